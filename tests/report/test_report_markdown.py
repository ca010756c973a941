from __future__ import annotations

import re
from collections.abc import Callable

from gate.model import CheckResult, Report, Severity, Status
from gate.report import render
from gate.report.markdown import fence, md


def _rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    # split on pipes that are not escaped, as GFM does
    return [re.split(r"(?<!\\)\|", line.strip())[1:-1] for line in lines]


def test_table_one_row_per_check_with_escaped_cells(mixed: Report) -> None:
    rows = _rows(render(mixed, "markdown"))
    header, _sep, *body = rows
    assert [c.strip() for c in header] == ["Status", "Check", "Summary", "Attempts", "Duration"]
    assert len(body) == len(mixed.results)
    assert all(len(row) == 5 for row in body)  # a `|` in a summary did not add a column
    boot = body[1]  # causes first: backend-env (which golden-path needs), then boot-log
    assert boot[0].strip() == "\u274c FAIL"
    assert r"a\|b \`tick\` &lt;tag" in boot[2] and "<br>second line" in boot[2]
    by_id = {r.id: r for r in mixed.results}
    assert [row[3].strip() for row in body] == [
        str(len(by_id[row[1].split(" (")[0].strip().replace("\\", "")].attempts)) for row in body
    ]
    assert [row[0].strip().split()[-1] for row in body] == [
        "FAIL",
        "FAIL",
        "ERROR",
        "WARN",
        "SKIP",
        "CANCELLED",
        "PASS",
    ]


def test_fix_first_on_top(mixed: Report) -> None:
    text = render(mixed, "markdown")
    top = text.split("| Status |")[0]
    assert "### Fix first" in top
    first = "- \u274c FAIL **backend-env**: 2 required environment variables are missing or empty<br>fix: Set"
    assert first in top


def test_details_only_for_non_passing_unless_verbose(mixed: Report) -> None:
    text = render(mixed, "markdown")
    assert "PASS: backend-health" not in text
    for r in mixed.results:
        if r.status in (Status.FAIL, Status.ERROR, Status.WARN):
            assert f" {r.status.value}: {md(r.id)}\n" in text
    assert "#### \u2705 PASS: backend-health" in render(mixed, "markdown", verbose=True)


def test_headline_verdict_and_exit(reports: dict[str, Callable[[], Report]]) -> None:
    assert render(reports["passing"](), "markdown").startswith("## gate: PASS\n")
    text = render(reports["interrupted"](), "markdown")
    assert text.startswith("## gate: INTERRUPTED\n") and "exit code 143" in text


def test_evidence_fence_outlasts_backticks_in_content(mixed: Report) -> None:
    text = render(mixed, "markdown")
    assert "````text\n" in text  # the boot-log evidence quotes ``` itself
    assert fence("a ````` b").startswith("``````text\n")


def test_inline_escaping_blocks_html_and_links() -> None:
    assert md("<img src=x onerror=1>") == "&lt;img src=x onerror=1&gt;"
    assert md("[a](b) *c* _d_ ~e~ \\") == r"\[a\](b) \*c\* \_d\_ \~e\~ \\"
    assert md("x\n# heading") == "x<br># heading"
    assert md("esc\x1b[31m") == r"esc\\x1b\[31m"  # renders as esc\x1b[31m


def test_remediation_and_evidence_present(build: Callable[..., Report]) -> None:
    r = CheckResult(
        "c", "t", Severity.BLOCK, Status.FAIL, "bad", evidence={"k": ["v"]}, remediation="do | it"
    )
    text = render(build((r,)), "markdown")
    assert "```text\nk:\n  - v\n```" in text
    assert r"**Fix:** do \| it" in text
