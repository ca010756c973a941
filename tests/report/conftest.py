"""Reports built by hand for the reporter tests.

`mixed` covers every status, both severities, nested evidence, metrics,
multi-attempt results, and characters each format must escape.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from gate.model import (
    Attempt,
    CheckResult,
    Report,
    Severity,
    SourceRef,
    Status,
    Waiver,
    WaiverState,
    WaiverUse,
)

GOLDEN = Path(__file__).parent / "golden"
NASTY = 'a|b `tick` <tag a="1"> & 100% done\nsecond line: x, y \u00e9\u2603 [link](http://x) *bold*'


def _attempts(*spec: tuple[Status, float, str]) -> tuple[Attempt, ...]:
    out, t = [], 0.0
    for n, (status, dur, summary) in enumerate(spec, start=1):
        out.append(Attempt(number=n, started=round(t, 3), duration=dur, status=status, summary=summary))
        t += dur + 5.0
    return tuple(out)


def mixed_results() -> tuple[CheckResult, ...]:
    return (
        CheckResult(
            id="backend-health",
            type="http.probe",
            severity=Severity.BLOCK,
            status=Status.PASS,
            summary="GET /health answered 200 in 130 ms",
            evidence={"url": "https://netra-backend-staging-pnovr5vsba-uc.a.run.app/health", "status": 200},
            attempts=_attempts((Status.PASS, 0.13, "200 in 130 ms")),
            duration=0.13,
            metrics={"latency_p95_ms": 130.0, "requests": 1},
            description="The shallow health endpoint answers.",
        ),
        CheckResult(
            id="backend-env",
            type="run.env_vars",
            severity=Severity.BLOCK,
            status=Status.FAIL,
            summary="2 required environment variables are missing or empty",
            evidence={
                "service": "netra-backend-staging",
                "missing": ["POSTGRES_HOST", "POSTGRES_PORT"],
                "revision": {"name": "netra-backend-staging-00042-abc", "env": {"REDIS_PORT": "6379"}},
                "empty": [],
            },
            remediation="Set POSTGRES_HOST and POSTGRES_PORT on the service (names only shown).",
            attempts=_attempts((Status.FAIL, 0.21, "missing POSTGRES_HOST, POSTGRES_PORT")),
            duration=0.21,
            source=SourceRef("policies/netra-staging.yaml", 24, 5),
        ),
        CheckResult(
            id="boot-log",
            type="run.boot_log",
            severity=Severity.BLOCK,
            status=Status.FAIL,
            summary=NASTY,
            evidence={
                "line": "TypeError: 'NoneType' object is not callable\n  at thread_cleanup_manager.py:42",
                "quote": "```not a fence``` and \x1b[31mred\x1b[0m \x07bell",
                "ratio": 0.5,
                "ok": False,
                "none": None,
            },
            remediation="Fix the <startup> & retry | see `logs`",
            source=SourceRef("policies/netra-staging.yaml", 31, 5),
            attempts=_attempts(
                (Status.ERROR, 1.5, "logging API 503"),
                (Status.FAIL, 0.4, "traceback found"),
            ),
            duration=6.9,
        ),
        CheckResult(
            id="deep-health",
            type="http.json_body",
            severity=Severity.WARN,
            status=Status.WARN,
            summary="/api/health reports degraded",
            evidence={"body": {"status": "degraded", "redis": "failed", "postgres": "degraded"}},
            remediation="Check Redis reachability from the connector.",
            attempts=_attempts(
                (Status.FAIL, 0.3, "degraded"),
                (Status.FAIL, 0.31, "degraded"),
                (Status.FAIL, 0.29, "degraded"),
            ),
            duration=15.9,
            metrics={"latency_p95_ms": 310.25},
        ),
        CheckResult(
            id="sql-tier",
            type="sql.instance",
            severity=Severity.BLOCK,
            status=Status.ERROR,
            summary="Cloud SQL Admin API returned 403: permission denied",
            evidence={"instance": "staging-shared-postgres", "http_status": 403},
            remediation="Grant roles/cloudsql.viewer to the gate's service account.",
            attempts=_attempts((Status.ERROR, 2.0, "403")),
            duration=2.0,
        ),
        CheckResult(
            id="golden-path",
            type="websocket.golden_path",
            severity=Severity.BLOCK,
            status=Status.SKIP,
            summary="needs backend-env, which did not pass",
            needs=("backend-env",),
        ),
        CheckResult(
            id="redis-route",
            type="network.reachability",
            severity=Severity.BLOCK,
            status=Status.CANCELLED,
            summary="cancelled by fail-fast",
        ),
    )


def make_report(results: tuple[CheckResult, ...] | None = None, **kw: object) -> Report:
    fields: dict[str, object] = {
        "project": "netra-staging",
        "region": "us-central1",
        "policy": "policies/netra-staging.yaml",
        "results": mixed_results() if results is None else results,
        "started_at": "2025-01-02T03:04:05Z",
        "duration": 21.337,
        "gate_version": "0.1.0",
        "target": "world:worlds/s1.yaml",
    }
    fields.update(kw)
    return Report(**fields)  # type: ignore[arg-type]


def passing_report() -> Report:
    return make_report(mixed_results()[:1])


def waiver(check: str, line: int, match: str | None = None, **kw: object) -> Waiver:
    fields: dict[str, object] = {
        "check": check,
        "reason": "OPS-123: resize after the <launch> | `migration` & 100% *done*",
        "owner": "data-platform@netra.example",
        "expires": date(2025, 1, 31),
        "match": match,
        "source": SourceRef("policies/netra-staging.yaml", line, 5),
    }
    fields.update(kw)
    return Waiver(**fields)  # type: ignore[arg-type]


def with_waiver(result: CheckResult, status: Status, state: WaiverState, w: Waiver) -> CheckResult:
    return dataclasses.replace(result, status=status, waiver=WaiverUse(w, state))


def waived_results() -> tuple[CheckResult, ...]:
    """PASS with waivers: a blocking and an advisory failure waived, a stale waiver on a pass."""
    health, env, _, deep, _, _, _ = mixed_results()
    sql = CheckResult(
        id="sql-tier",
        type="sql.instance",
        severity=Severity.BLOCK,
        status=Status.WAIVED,
        summary="Cloud SQL instance staging-shared-postgres: tier db-g1-small is below the minimum "
        "db-custom-1-3840",
        evidence={
            "instance": "staging-shared-postgres",
            "tier": "db-g1-small",
            "min_tier": "db-custom-1-3840",
        },
        remediation="Resize: gcloud sql instances patch staging-shared-postgres --tier db-custom-1-3840",
        attempts=_attempts((Status.FAIL, 0.05, "tier db-g1-small is below the minimum")),
        duration=0.05,
        source=SourceRef("policies/netra-staging.yaml", 40, 5),
        waiver=WaiverUse(waiver("sql-tier", 60, match="below the minimum"), WaiverState.APPLIED),
    )
    env = with_waiver(
        dataclasses.replace(
            env,
            summary="every required variable is set",
            evidence={},
            remediation="",
            attempts=_attempts((Status.PASS, 0.21, "every required variable is set")),
        ),
        Status.PASS,
        WaiverState.NOT_NEEDED,
        waiver("backend-env", 66, reason="POSTGRES_HOST moves to Secret Manager", owner="backend"),
    )
    deep = with_waiver(deep, Status.WAIVED, WaiverState.APPLIED, waiver("deep-health", 71, owner="sre"))
    return (health, sql, env, deep)


def waiver_not_applied_results() -> tuple[CheckResult, ...]:
    """Waivers that did not apply: a FAIL they do not match, an ERROR (never waived), a SKIP."""
    _, env, _, _, sql, golden_path, _ = mixed_results()
    return (
        with_waiver(
            env, Status.FAIL, WaiverState.NOT_MATCHED, waiver("backend-env", 60, match="POSTGRES_DB")
        ),
        with_waiver(sql, Status.ERROR, WaiverState.NOT_APPLICABLE, waiver("sql-tier", 66)),
        with_waiver(golden_path, Status.SKIP, WaiverState.NOT_APPLICABLE, waiver("golden-path", 71)),
    )


REPORTS = {
    "mixed": make_report,
    "passing": passing_report,
    "interrupted": lambda: make_report(mixed_results()[:2], interrupted_by="SIGTERM"),
    "waived": lambda: make_report(waived_results()),
    "waiver-not-applied": lambda: make_report(waiver_not_applied_results()),
}


@pytest.fixture
def mixed() -> Report:
    return make_report()


@pytest.fixture
def waived() -> Report:
    return make_report(waived_results())


@pytest.fixture
def build() -> Callable[..., Report]:
    """make_report(results=None, **report_fields); results default to the mixed set."""
    return make_report


@pytest.fixture
def results() -> tuple[CheckResult, ...]:
    return mixed_results()


@pytest.fixture
def reports() -> dict[str, Callable[[], Report]]:
    return REPORTS


@pytest.fixture
def nasty() -> str:
    return NASTY


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    return check_golden


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GATE_UPDATE_GOLDEN") == "1":
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"missing golden {path}; run with GATE_UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_bytes().decode("utf-8"), f"{name} differs from its golden file"
