from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gate.model import CheckResult, Report, Severity, Status
from gate.report import render
from gate.report.github import command, escape_data, escape_property, write_step_summary


def test_escaping_rules() -> None:
    assert escape_data("100%\r\nx:y,z") == "100%25%0D%0Ax:y,z"
    assert escape_property("100%\r\nx:y,z") == "100%25%0D%0Ax%3Ay%2Cz"
    assert command("error", "a\nb", title="gate a:b,c") == "::error title=gate a%3Ab%2Cc::a%0Ab"


def test_annotation_levels_count_and_order(mixed: Report) -> None:
    lines = render(mixed, "github").splitlines()
    heads = [line.split("::")[1] for line in lines]
    # Errors only for blocking FAIL and ERROR, failures first, each at its place in the policy;
    # the advisory failure is a warning; skipped and cancelled checks share one notice.
    assert heads == [
        "error file=policies/netra-staging.yaml,line=24,title=gate backend-env",
        "error file=policies/netra-staging.yaml,line=31,title=gate boot-log",
        "error title=gate sql-tier",
        "warning title=gate deep-health",
        "notice title=gate not proven",
        "notice title=gate verdict",
    ]
    assert lines[3].startswith("::warning title=gate deep-health::WARN: ")
    assert lines[4] == (
        "::notice title=gate not proven::SKIP 1 check (needs backend-env, which failed): golden-path; "
        "CANCELLED 1 check (cancelled by fail-fast): redis-route"
    )
    assert lines[-1].startswith("::notice title=gate verdict::FAIL for netra-staging: exit code 1")
    assert all(line.startswith("::") for line in lines)


def test_consequences_never_crowd_out_the_cause(build: Callable[..., Report]) -> None:
    # GitHub shows 10 error annotations per step: twelve skipped checks must not hide the failure.
    cause = CheckResult("rev", "t", Severity.BLOCK, Status.FAIL, "revision failed")
    skipped = tuple(
        CheckResult(f"s{i}", "t", Severity.BLOCK, Status.SKIP, "skipped", needs=("rev",)) for i in range(12)
    )
    lines = render(build((*skipped, cause)), "github").splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::notice", "::notice"]
    assert lines[0].startswith("::error title=gate rev::FAIL: revision failed")


def test_message_escaped(mixed: Report) -> None:
    boot = next(line for line in render(mixed, "github").splitlines() if "boot-log" in line)
    assert "100%25 done%0Asecond line" in boot and "%0Afix: Fix the <startup>" in boot


def test_advisory_failure_is_a_warning(build: Callable[..., Report]) -> None:
    r = CheckResult("adv", "t", Severity.WARN, Status.ERROR, "could not ask")
    lines = render(build((r,)), "github").splitlines()
    assert lines[0] == "::warning title=gate adv::ERROR: could not ask"
    assert lines[1].startswith("::notice title=gate verdict::INCONCLUSIVE")


def test_passing_report_has_only_the_verdict(reports: dict[str, Callable[[], Report]]) -> None:
    out = render(reports["passing"](), "github")
    assert out.count("\n") == 1 and out.startswith("::notice title=gate verdict::PASS")


def test_write_step_summary_appends(tmp_path: Path, mixed: Report) -> None:
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n", encoding="utf-8")
    assert write_step_summary(mixed, env={"GITHUB_STEP_SUMMARY": str(target)}) == target
    write_step_summary(mixed, env={"GITHUB_STEP_SUMMARY": str(target)})
    text = target.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## gate: FAIL")
    assert text.count("## gate: FAIL") == 2
    assert text.endswith(render(mixed, "markdown"))


def test_write_step_summary_noop_without_env(tmp_path: Path, mixed: Report) -> None:
    assert write_step_summary(mixed, env={}) is None
    assert write_step_summary(mixed, env={"GITHUB_STEP_SUMMARY": ""}) is None
    assert list(tmp_path.iterdir()) == []
