from __future__ import annotations

from collections.abc import Callable

import pytest

from gate.model import CheckResult, Report, Severity, Status
from gate.report import render


def test_header_blocks_footer(mixed: Report) -> None:
    text = render(mixed, "text")
    head = text.split("\n\n")[0].splitlines()
    assert head == [
        "gate 0.1.0: netra-staging (us-central1), policy policies/netra-staging.yaml",
        "  target world:worlds/s1.yaml; started 2025-01-02T03:04:05Z, took 21.34s",
    ]
    assert "\x1b" not in text  # no colour unless asked
    assert (
        "7 checks: 1 PASS, 2 FAIL, 1 WARN, 1 ERROR, 1 SKIP, 1 CANCELLED\n"
        "verdict: FAIL\nexit code: 1 (a blocking check failed)\n\nfix first:\n"
    ) in text
    for r in mixed.results:
        if r.status in (Status.FAIL, Status.ERROR, Status.WARN):
            assert f"{r.status.value.ljust(9)}  {r.id}  [{r.type}, {r.severity.value}]" in text


def test_block_contents(mixed: Report) -> None:
    text = render(mixed, "text")
    env_block = text.split("\n\n")[1]
    assert env_block.splitlines() == [
        "FAIL       backend-env  [run.env_vars, block]",
        "  2 required environment variables are missing or empty",
        "  evidence:",
        "    empty: []",
        "    missing:",
        "      - POSTGRES_HOST",
        "      - POSTGRES_PORT",
        "    revision:",
        "      env:",
        "        REDIS_PORT: 6379",
        "      name: netra-backend-staging-00042-abc",
        "    service: netra-backend-staging",
        "  fix: Set POSTGRES_HOST and POSTGRES_PORT on the service (names only shown).",
        "  1 attempt (0.21s); took 0.21s",
    ]
    assert "  3 attempts (0.30s, 0.31s, 0.29s); took 15.90s\n  metrics: latency_p95_ms=310.25" in text


def test_causes_before_symptoms(mixed: Report) -> None:
    text = render(mixed, "text")
    heads = [line.split()[:2] for line in text.splitlines() if line[:1].isupper() and "  " in line]
    order = [h for h in heads if h[0] in {s.value for s in Status}]
    # FAIL (the one golden-path needs first), ERROR, WARN, then skipped, cancelled, passed.
    assert order == [
        ["FAIL", "backend-env"],
        ["FAIL", "boot-log"],
        ["ERROR", "sql-tier"],
        ["WARN", "deep-health"],
        ["SKIP", "1"],
        ["CANCELLED", "1"],
        ["PASS", "backend-health"],
    ]


def test_compact_one_line_per_pass_and_collapsed_skips(build: Callable[..., Report]) -> None:
    results = (
        CheckResult("rev", "run.revision", Severity.BLOCK, Status.FAIL, "revision failed", evidence={"k": 1}),
        CheckResult("health", "http.health", Severity.BLOCK, Status.SKIP, "skipped", needs=("rev",)),
        CheckResult("deep", "http.health", Severity.BLOCK, Status.SKIP, "skipped", needs=("rev",)),
        CheckResult("golden", "ws", Severity.BLOCK, Status.SKIP, "skipped", needs=("health",)),
        CheckResult("env", "run.env", Severity.BLOCK, Status.PASS, "ok", evidence={"big": list(range(50))}),
        CheckResult("sql", "sql.instance", Severity.BLOCK, Status.PASS, "tier ok", evidence={"x": 1}),
    )
    text = render(build(results), "text")
    lines = text.splitlines()
    # Evidence only for what did not pass; one line for each pass; one line for the skips,
    # naming the root cause through the skipped health check.
    assert "    k: 1" in lines and "big:" not in text and "    x: 1" not in lines
    assert "PASS       env  ok" in lines and "PASS       sql  tier ok" in lines
    assert "SKIP       3 checks (needs rev, which failed): health, deep, golden" in lines
    assert lines[-2:] == [
        "  FAIL rev: revision failed",
        "    fix: see the evidence of this check (gate check -v shows every attempt)",
    ]


def test_verbose_shows_everything(mixed: Report) -> None:
    text = render(mixed, "text", verbose=True)
    for r in mixed.results:
        assert f"{r.status.value.ljust(9)}  {r.id}  [{r.type}, {r.severity.value}]" in text
    assert "    url: https://netra-backend-staging-pnovr5vsba-uc.a.run.app/health" in text
    assert "  in the policy at: policies/netra-staging.yaml:24:5" in text


def test_quiet_is_the_verdict_and_the_failures(mixed: Report) -> None:
    text = render(mixed, "text", quiet=True)
    assert text.startswith("7 checks: ")
    assert "evidence:" not in text and "backend-health" not in text
    assert "  FAIL backend-env: 2 required environment variables are missing or empty\n" in text
    assert "  ERROR sql-tier: Cloud SQL Admin API returned 403: permission denied\n" in text


def test_fix_first_block_ends_every_report(reports: dict[str, Callable[[], Report]]) -> None:
    passing = render(reports["passing"](), "text")
    assert passing.endswith("\nfix first: nothing; every blocking check passed\n")
    tail = render(reports["interrupted"](), "text").split("\n\n")[-1]
    assert tail.startswith("fix first:\n  FAIL backend-env: ")


def test_one_line_cuts_between_words() -> None:
    from gate.report._common import one_line

    text = "credentials transport failed (" + "word " * 60 + ")"
    cut = one_line(text, 80)
    assert len(cut) <= 80 and cut.endswith("word...") and "  " not in cut


def test_control_characters_never_reach_the_terminal(mixed: Report) -> None:
    text = render(mixed, "text", verbose=True)
    assert "\x1b" not in text and "\x07" not in text
    assert r"\x1b[31mred\x1b[0m \x07bell" in text


def test_colour_only_when_asked(mixed: Report) -> None:
    text = render(mixed, "text", color=True)
    assert "\x1b[31mFAIL\x1b[0m" in text
    # Every colour is reset on the line it starts on.
    for line in text.splitlines():
        if "\x1b[" in line:
            assert line.rfind("\x1b[0m") > line.rfind("\x1b[3"), line
    # colour does not change the layout
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", text) == render(mixed, "text")


def test_verbose_lists_each_attempt(mixed: Report) -> None:
    text = render(mixed, "text", verbose=True)
    assert "    #2 at +6.50s took 0.40s: FAIL traceback found" in text
    assert "  needs: backend-env" in text
    assert "  about: The shallow health endpoint answers." in text
    assert "#2 at" not in render(mixed, "text")


def _one(status: Status, severity: Severity = Severity.BLOCK) -> CheckResult:
    return CheckResult("c", "t", severity, status, "s")


@pytest.mark.parametrize(
    ("results", "kw", "tail"),
    [
        ((_one(Status.PASS),), {}, "verdict: PASS\nexit code: 0 (pass: every blocking check passed)\n"),
        ((_one(Status.FAIL),), {}, "verdict: FAIL\nexit code: 1 (a blocking check failed)\n"),
        ((_one(Status.ERROR),), {}, "verdict: INCONCLUSIVE\nexit code: 3 (inconclusive: a blocking check"),
        ((_one(Status.WARN, Severity.WARN),), {}, "exit code: 3 (inconclusive:"),
        ((_one(Status.PASS),), {"interrupted_by": "SIGINT"}, "exit code: 130 (interrupted (SIGINT)"),
        ((_one(Status.PASS),), {"interrupted_by": "SIGTERM"}, "exit code: 143 (terminated (SIGTERM)"),
    ],
)
def test_exit_code_meaning(
    build: Callable[..., Report], results: tuple[CheckResult, ...], kw: dict[str, str], tail: str
) -> None:
    report = build(results, **kw)
    text = render(report, "text")
    assert f"exit code: {report.exit_code} (" in text
    assert tail in text


def test_timings_excluded(mixed: Report) -> None:
    text = render(mixed, "text", timings=False)
    assert "started:" not in text and "took" not in text and "0.21s" not in text
