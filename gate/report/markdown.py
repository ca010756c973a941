"""Markdown summary, e.g. for $GITHUB_STEP_SUMMARY or a pull-request comment.

The verdict, then "Fix first" (each failing check, why, fix), then one table
row per check with a status icon, causes first, then the details of what did
not pass (of everything with ``verbose``; none with ``quiet``).

Untrusted text (summaries, evidence, remediation) is escaped so it cannot break
the table, open a link or image, or inject HTML; evidence goes in a fenced code
block whose fence is longer than any backtick run inside it.
"""

from __future__ import annotations

import re

from gate.model import CheckResult, Report, Status
from gate.report import RenderOptions
from gate.report._common import (
    attempts_brief,
    counts_line,
    evidence_lines,
    fix_first,
    fmt_number,
    fmt_seconds,
    ordered,
    report_meaning,
    skip_reason,
    sorted_metrics,
    status_text,
    verdict_text,
    visible,
    waiver_counts,
    waiver_note,
    waiver_outcome,
    waiver_uses,
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


# A glyph beside each status word: the table is scanned, not read.
ICONS = {
    Status.PASS: "\u2705",  # white heavy check mark
    Status.FAIL: "\u274c",  # cross mark
    Status.ERROR: "\u26d4",  # no entry
    Status.WARN: "\u26a0\ufe0f",  # warning sign
    Status.SKIP: "\u23ed\ufe0f",  # next track
    Status.CANCELLED: "\u23f9\ufe0f",  # stop
    Status.WAIVED: "\u23f3",  # hourglass: accepted for a time
}


def icon(status: Status) -> str:
    return f"{ICONS.get(status, '')} {status_text(status)}".strip()


def render(report: Report, options: RenderOptions) -> str:
    verbose, timings = options.verbose, options.timings
    verdict = verdict_text(report)
    code = report.exit_code
    lines = [
        f"## gate: {verdict}",
        "",
        f"**{verdict}** for **{md(report.project)}** ({md(report.region)}): "
        f"exit code {code}, {md(report_meaning(report))}.",
        "",
        *_fix_first(report),
        *_waivers(report),
        _context(report, timings),
        "",
        "| Status | Check | Summary | Attempts | Duration |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    results = ordered(report.results)
    by_id = {r.id: r for r in report.results}
    for r in results:
        duration = fmt_seconds(r.duration) if timings else "-"
        summary = r.summary if r.status is not Status.SKIP else "skipped: " + skip_reason(r, by_id)
        lines.append(
            f"| {icon(r.status)} | {md(r.id)} ({md(r.type)}) | {md(summary)} "
            f"| {len(r.attempts)} | {duration} |"
        )
    if report.rollout is not None:
        lines += _rollout(report, timings)
    if options.quiet:
        return "\n".join(lines) + "\n"
    measured = [r for r in results if r.metrics]
    if measured:
        lines += ["", "### Timings", ""]
        for r in measured:
            values = ", ".join(f"{md(k)}={fmt_number(v)}" for k, v in sorted_metrics(r.metrics, timings))
            lines.append(f"- {md(r.id)}: {values}")
    shown = [r for r in results if verbose or r.status not in (Status.PASS, Status.SKIP, Status.CANCELLED)]
    if shown:
        lines += ["", "### Details"]
        for r in shown:
            lines += ["", *_details(r, timings)]
    return "\n".join(lines) + "\n"


def _fix_first(report: Report) -> list[str]:
    entries = fix_first(report)
    if not entries:
        return []
    lines = ["### Fix first", ""]
    for r, why, fix in entries:
        note = "" if r.blocking else " (advisory)"
        if r.status is Status.WAIVED and r.waiver is not None:
            note += f" (waived until {r.waiver.waiver.expires.isoformat()}: fix it before then)"
        lines.append(f"- {icon(r.status)} **{md(r.id)}**{note}: {md(why)}<br>fix: {md(fix)}")
    return [*lines, ""]


def _waivers(report: Report) -> list[str]:
    """Every waiver of the policy's checks and what it did: never hidden below the table."""
    uses = waiver_uses(report)
    if not uses:
        return []
    lines = [
        f"### Waivers ({md(waiver_counts(report))})",
        "",
        "| Status | Check | Waiver | Expires (UTC) | Owner | Reason | Waiver at |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r, use in uses:
        w = use.waiver
        where = md(str(w.source)) if w.source is not None else "-"
        lines.append(
            f"| {icon(r.status)} | {md(r.id)} | {md(waiver_outcome(r, use))} | {w.expires.isoformat()} "
            f"| {md(w.owner)} | {md(w.reason)} | {where} |"
        )
    return [*lines, ""]


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
        f"#### {icon(r.status)}: {md(r.id)}",
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
    if r.waiver is not None:
        lines[-1] += "<br>"
        lines.append(f"**Waiver:** {md(waiver_note(r, r.waiver))}")
    if r.evidence:
        body = "\n".join(visible(line) for line in evidence_lines(r.evidence))
        lines += ["", "Evidence:", "", fence(body)]
    if r.remediation:
        lines += ["", f"**Fix:** {md(r.remediation)}"]
    return lines


def _rollout(report: Report, timings: bool) -> list[str]:
    from gate.report import rollout_table

    r = report.rollout
    assert r is not None
    heads = rollout_table.HEADERS if timings else rollout_table.HEADERS[:-1]
    lines = ["", "### Rollout", "", md(rollout_table.heading(r)) + ".", ""]
    lines += ["| " + " | ".join(heads) + " |", "| " + " | ".join("---" for _ in heads) + " |"]
    for row in rollout_table.rows(r, timings):
        cells = row.cells()[: len(heads)]
        lines.append("| " + " | ".join(md(c) for c in cells) + " |")
    lines += ["", f"**{md(r.action)}**: {md(r.message)}"]
    return lines
