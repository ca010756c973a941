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


def test_annotation_levels(mixed: Report) -> None:
    lines = render(mixed, "github").splitlines()
    assert len(lines) == 7  # 6 non-passing checks + the verdict; no raw newline leaked
    by_id = {
        line.split("::")[1].removeprefix("error title=gate ").removeprefix("warning title=gate "): line
        for line in lines[:-1]
    }
    for check_id in ("backend-env", "boot-log", "sql-tier", "golden-path", "redis-route"):
        assert by_id[check_id].startswith(f"::error title=gate {check_id}::")
    assert by_id["deep-health"].startswith("::warning title=gate deep-health::WARN: ")
    assert lines[-1].startswith("::notice title=gate verdict::FAIL for netra-staging: exit code 1")
    assert all(line.startswith("::") for line in lines)


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
