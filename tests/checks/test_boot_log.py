"""logs.boot through the emulator's Logging API: incidents fail, the healthy boot passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gate.checks.boot_log import BootLog
from gate.emulator import Fault
from gate.model import Status
from tests.checks.worlds import SERVICE, attempt, edited, revision, serving, world

REV = "netra-backend-staging-00042-xq7"


def check(w: Any, **params: Any) -> Any:
    with serving(w) as emu:
        return attempt(BootLog, {"service": SERVICE, **params}, emu)


def lines(o: Any) -> str:
    return "\n".join(x["line"] for x in o.evidence.get("offending", []))


def add_entry(text: str, severity: str = "ERROR", ts: str = "2025-09-03T10:12:05.000000Z") -> Any:
    def edit(d: dict[str, Any]) -> None:
        first = d["logging"]["entries"][0]
        d["logging"]["entries"].append(
            {
                **first,
                "insertId": f"extra{len(d['logging']['entries'])}",
                "timestamp": ts,
                "severity": severity,
                "textPayload": text,
            }
        )

    return edit


def test_s12_healthy_boot_passes() -> None:
    o = check(world("s12-healthy"))
    assert o.status is Status.PASS, o.summary
    assert o.evidence["entries_read"] == 8
    assert "Booting worker with pid: 14" in o.evidence["marker"]
    assert 'resource.labels.revision_name="netra-backend-staging-00042-xq7"' in o.evidence["filter"]


def test_s1_quotes_the_type_error_and_the_worker_exit() -> None:
    o = check(world("s1-worker-boot-failure"))
    assert o.status is Status.FAIL and o.final
    assert "2025-09-03T10:12:03.501Z ERROR TypeError: 'NoneType' object is not callable" in o.summary
    text = lines(o)
    assert "Worker (pid:14) exited with code 3" in text
    assert "Reason: Worker failed to boot." in text
    assert len(o.evidence["offending"]) == 5
    assert o.evidence["offending_total"] >= 5


def test_s2_quotes_the_attribute_error() -> None:
    o = check(world("s2-startup-attributeerror"))
    assert o.status is Status.FAIL and o.final
    assert (
        "AttributeError: type object 'UnifiedExecutionEngineFactory' has no attribute 'configure'"
        in o.summary
    )


def test_s9_startup_validation_lines_fail_although_health_is_200() -> None:
    o = check(world("s9-startup-validation-failures"))
    assert o.status is Status.FAIL and o.final
    assert (
        "CRITICAL Startup Validation Timeout (System): Startup validation timed out after 5.0 seconds"
        in o.summary
    )
    assert "ERROR LLM Manager (Services): LLM Manager is None" in lines(o)


def test_s5_configuration_error_lines_fail() -> None:
    o = check(world("s5-missing-database-config"))
    assert o.status is Status.FAIL
    assert "Configuration validation failed" in o.summary


def test_deny_pattern_applies_at_info_severity() -> None:
    o = check(edited("s12-healthy", add_entry("coroutine 'warm_cache' was never awaited", "INFO")))
    assert o.status is Status.FAIL and o.final
    assert o.evidence["offending"][0]["why"] == "matches deny pattern was never awaited"


def test_no_entries_at_all_is_an_error() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["logging"]["entries"] = []

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.ERROR
    assert o.summary == (
        f"no log entries for revision {REV} between 2025-09-03T10:11:31Z and 2025-09-03T10:21:31Z "
        "— cannot prove a clean boot"
    )


def test_entries_without_a_start_marker_fail() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["logging"]["entries"] = d["logging"]["entries"][:3]

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and not o.final
    assert o.summary.startswith(f"no start marker in 3 log entries of revision {REV}")


def test_known_noise_can_be_allowed() -> None:
    noise = 'Default STARTUP TCP probe failed 1 time consecutively for container "backend-1" on port 8000.'
    w = edited("s12-healthy", add_entry(noise))
    assert check(w).status is Status.FAIL
    o = check(w, allow=[r"STARTUP TCP probe failed 1 time"])
    assert o.status is Status.PASS, o.summary


def test_severity_threshold_can_be_lowered_or_disabled() -> None:
    w = edited("s12-healthy", add_entry("slow dependency", "WARNING"))
    assert check(w).status is Status.PASS
    assert check(w, severity="WARNING").status is Status.FAIL
    w = edited("s12-healthy", add_entry("plain error", "ERROR"))
    assert check(w, severity="NONE").status is Status.PASS


def test_quotes_are_redacted_and_capped() -> None:
    text = "auth failed for Bearer abcdefghijklmnop1234 " + "x" * 500
    o = check(edited("s12-healthy", add_entry(text)))
    assert o.status is Status.FAIL
    assert "abcdefghijklmnop1234" not in o.summary
    assert "Bearer ***" in o.summary
    assert len(o.evidence["offending"][0]["line"]) < 400


def test_logging_permission_denied_is_an_error_naming_the_permission() -> None:
    with serving(world("s12-healthy")) as emu:
        emu.add_fault(Fault(api="logging", status=403))
        o = attempt(BootLog, {"service": SERVICE}, emu)
    assert o.status is Status.ERROR
    assert "logging.logEntries.list" in o.summary
    assert "HTTP 403" in o.summary


def test_waits_for_ingestion_during_the_grace_period() -> None:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)

    def edit(d: dict[str, Any]) -> None:
        revision(d, REV)["createTime"] = now.isoformat().replace("+00:00", "Z")

    o = check(edited("s12-healthy", edit), grace="60s")
    assert o.status is Status.FAIL and not o.final
    assert o.summary.startswith(f"waiting for log ingestion: revision {REV} was created at")


def test_entry_limit_is_reported() -> None:
    o = check(world("s12-healthy"), max_entries=5)
    assert o.evidence["truncated"] is True
    assert o.status is Status.PASS
    assert "entry limit reached" in o.summary


@pytest.mark.parametrize(
    ("params", "path"),
    [({"deny": ["("]}, "deny[0]"), ({"allow": ["[x"]}, "allow[0]"), ({"window": "0s"}, "window")],
)
def test_semantic_errors(params: dict[str, Any], path: str) -> None:
    errors = BootLog.semantic_errors({"service": "s", **params})
    assert [p for p, _ in errors] == [path]


@pytest.mark.parametrize(
    ("name", "code", "failing"),
    [
        ("s12-healthy", 0, set()),
        ("s1-worker-boot-failure", 1, {"netra-backend-staging-revision", "netra-backend-staging-boot-log"}),
        ("s5-missing-database-config", 1, {"netra-backend-staging-env", "netra-backend-staging-boot-log"}),
        ("s7-database-underprovisioned", 1, {"staging-shared-postgres-sql"}),
        ("s9-startup-validation-failures", 1, {"netra-backend-staging-boot-log"}),
    ],
)
def test_cli_runs_the_check_library_against_incident_worlds(name: str, code: int, failing: set[str]) -> None:
    import json

    from click.testing import CliRunner

    from gate.cli import cli
    from tests.checks.worlds import HERE, shipped_path

    args = ["check", "--policy", str(HERE / "library-policy.yaml"), "--world", str(shipped_path(name))]
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--no-fail-fast"])
    assert result.exit_code == code, result.output
    report = json.loads(result.output)
    statuses = {r["id"]: r["status"] for r in report["checks"]}
    assert {i for i, s in statuses.items() if s == "FAIL"} == failing, statuses
    assert all(s in ("PASS", "FAIL") for s in statuses.values()), statuses
