"""Markdown summary, e.g. for $GITHUB_STEP_SUMMARY or a pull-request comment.

Untrusted text (summaries, evidence, remediation) is escaped so it cannot break
the table, open a link or image, or inject HTML; evidence goes in a fenced code
block whose fence is longer than any backtick run inside it.
"""

from __future__ import annotations

import re

from gate.model import CheckResult, Report, Status
from gate.report._common import (
    attempts_brief,
    counts_line,
    evidence_lines,
    exit_meaning,
    fmt_number,
    fmt_seconds,
    sorted_metrics,
    status_text,
    visible,
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md(text: str) -> str:
    """Escape for inline Markdown on one line (table cells and paragraphs)."""
    text = visible(text)
    text = "".join(_HTML.get(ch, ch) for ch in text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A raw newline would end the table row or start a heading/list; <br> keeps
    # the line break without giving the text control of the line start.
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def fence(body: str, info: str = "text") -> str:
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


def render(report: Report, *, verbose: bool = False, timings: bool = True, **_: object) -> str:
    verdict = report.verdict.value
    code = report.exit_code
    lines = [
        f"## gate: {verdict}",
        "",
        f"**{verdict}** for **{md(report.project)}** ({md(report.region)}): "
        f"exit code {code}, {md(exit_meaning(code))}.",
        "",
        _context(report, timings),
        "",
        "| Status | Check | Summary | Attempts | Duration |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for r in report.results:
        duration = fmt_seconds(r.duration) if timings else "-"
        lines.append(
            f"| {status_text(r.status)} | {md(r.id)} ({md(r.type)}) | {md(r.summary)} "
            f"| {len(r.attempts)} | {duration} |"
        )
    measured = [r for r in report.results if r.metrics]
    if measured:
        lines += ["", "### Timings", ""]
        for r in measured:
            values = ", ".join(f"{md(k)}={fmt_number(v)}" for k, v in sorted_metrics(r.metrics, timings))
            lines.append(f"- {md(r.id)}: {values}")
    shown = [r for r in report.results if verbose or r.status is not Status.PASS]
    if shown:
        lines += ["", "### Details"]
        for r in shown:
            lines += ["", *_details(r, timings)]
    return "\n".join(lines) + "\n"


def _context(report: Report, timings: bool) -> str:
    parts = [f"Policy: {md(report.policy)}"]
    if report.target:
        parts.append(f"target: {md(report.target)}")
    parts.append(counts_line(report))
    if report.interrupted_by:
        parts.append(f"interrupted by {md(report.interrupted_by)}")
    if timings:
        parts.append(f"started {md(report.started_at)}, took {fmt_seconds(report.duration)}")
    return "; ".join(parts) + "."


def _details(r: CheckResult, timings: bool) -> list[str]:
    lines = [
        f"#### {status_text(r.status)}: {md(r.id)}",
        "",
        f"**Summary:** {md(r.summary)}<br>",
        f"**Type:** {md(r.type)}, severity {status_text(r.severity)}, {attempts_brief(r.attempts, timings)}",
    ]
    if r.description:
        lines[-1] += "<br>"
        lines.append(f"**About:** {md(r.description)}")
    if r.needs:
        lines[-1] += "<br>"
        lines.append("**Needs:** " + ", ".join(md(n) for n in r.needs))
    if r.metrics:
        lines[-1] += "<br>"
        shown = ", ".join(f"{md(k)}={fmt_number(v)}" for k, v in sorted_metrics(r.metrics, timings))
        lines.append(f"**Metrics:** {shown}")
    if r.evidence:
        body = "\n".join(visible(line) for line in evidence_lines(r.evidence))
        lines += ["", "Evidence:", "", fence(body)]
    if r.remediation:
        lines += ["", f"**Fix:** {md(r.remediation)}"]
    return lines
