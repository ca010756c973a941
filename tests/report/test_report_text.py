from __future__ import annotations

from collections.abc import Callable

import pytest

from gate.model import CheckResult, Report, Severity, Status
from gate.report import render


def test_header_blocks_footer(mixed: Report) -> None:
    text = render(mixed, "text")
    head = text.split("\n\n")[0]
    for line in (
        "  project: netra-staging",
        "  region: us-central1",
        "  policy: policies/netra-staging.yaml",
        "  target: world:worlds/s1.yaml",
    ):
        assert line in head.splitlines()
    assert "\x1b" not in text  # no colour unless asked
    assert text.endswith(
        "7 checks: 1 PASS, 2 FAIL, 1 WARN, 1 ERROR, 1 SKIP, 1 CANCELLED\n"
        "verdict: FAIL\nexit code: 1 (a blocking check failed)\n"
    )
    for r in mixed.results:
        assert f"{r.status.value.ljust(9)}  {r.id}  [{r.type}, {r.severity.value}]" in text


def test_block_contents(mixed: Report) -> None:
    text = render(mixed, "text")
    env_block = text.split("\n\n")[2]
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


def test_control_characters_never_reach_the_terminal(mixed: Report) -> None:
    text = render(mixed, "text", verbose=True)
    assert "\x1b" not in text and "\x07" not in text
    assert r"\x1b[31mred\x1b[0m \x07bell" in text


def test_colour_only_when_asked(mixed: Report) -> None:
    text = render(mixed, "text", color=True)
    assert "\x1b[31mFAIL\x1b[0m" in text
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
