"""Human-readable report for a terminal or a CI log.

Colour only when asked (the CLI decides from the stream and NO_COLOR); every
string from the report passes through `visible` so a log line quoted in the
evidence cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

from gate.model import CheckResult, Report, Status, Verdict
from gate.report._common import (
    attempts_brief,
    counts_line,
    evidence_lines,
    exit_meaning,
    fmt_number,
    fmt_seconds,
    seconds,
    sorted_metrics,
    status_text,
    visible,
)

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
DIM = "\x1b[2m"
COLOURS: dict[str, str] = {
    Status.PASS.value: "\x1b[32m",  # green
    Status.FAIL.value: "\x1b[31m",  # red
    Status.WARN.value: "\x1b[33m",  # yellow
    Status.ERROR.value: "\x1b[35m",  # magenta: distinct from FAIL, never mistaken for a pass
    Status.SKIP.value: "\x1b[36m",  # cyan
    Status.CANCELLED.value: "\x1b[36m",
    Verdict.INCONCLUSIVE.value: "\x1b[35m",
    Verdict.INTERRUPTED.value: "\x1b[35m",
}
WIDTH = max(len(s.value) for s in Status)  # "CANCELLED": aligns the check ids


def paint(word: str, color: bool, *, pad: int = 0) -> str:
    text = word.ljust(pad)
    if not color or word not in COLOURS:
        return text
    # Pad outside the escape codes so columns line up with and without colour.
    return f"{BOLD}{COLOURS[word]}{word}{RESET}" + " " * (len(text) - len(word))


def render(
    report: Report, *, color: bool = False, verbose: bool = False, timings: bool = True, **_: object
) -> str:
    lines = _header(report, timings)
    for result in report.results:
        lines.append("")
        lines.extend(_block(result, color=color, verbose=verbose, timings=timings))
    lines.append("")
    lines.extend(_footer(report, color))
    return "\n".join(lines) + "\n"


def _header(report: Report, timings: bool) -> list[str]:
    lines = [f"gate {visible(report.gate_version)}".rstrip()]
    lines.append(f"  project: {visible(report.project)}")
    lines.append(f"  region: {visible(report.region)}")
    lines.append(f"  policy: {visible(report.policy)}")
    if report.target:
        lines.append(f"  target: {visible(report.target)}")
    if timings:
        lines.append(f"  started: {visible(report.started_at)}  duration: {fmt_seconds(report.duration)}")
    return lines


def _block(result: CheckResult, *, color: bool, verbose: bool, timings: bool) -> list[str]:
    status = status_text(result.status)
    head = f"{paint(status, color, pad=WIDTH)}  {visible(result.id)}"
    lines = [f"{head}  [{visible(result.type)}, {status_text(result.severity)}]"]
    lines.extend(_indented(result.summary))
    if verbose and result.description:
        lines.extend(_indented("about: " + result.description))
    if verbose and result.needs:
        lines.append("  needs: " + ", ".join(visible(n) for n in result.needs))
    if result.evidence:
        lines.append("  evidence:")
        lines.extend("    " + visible(line) for line in evidence_lines(result.evidence))
    if result.remediation:
        lines.extend(_indented("fix: " + result.remediation))
    brief = attempts_brief(result.attempts, timings)
    if timings:
        brief += f"; took {fmt_seconds(result.duration)}"
    lines.append(f"  {brief}")
    if verbose:
        for a in result.attempts:
            when = f" at +{seconds(a.started):.2f}s took {fmt_seconds(a.duration)}" if timings else ""
            lines.append(f"    #{a.number}{when}: {status_text(a.status)} {visible(a.summary)}".rstrip())
    if result.metrics:
        shown = ", ".join(f"{visible(k)}={fmt_number(v)}" for k, v in sorted_metrics(result.metrics, timings))
        lines.append(f"  metrics: {shown}")
    return lines


def _indented(text: str) -> list[str]:
    first, *rest = visible(text).split("\n")
    return ["  " + first] + ["    " + line for line in rest]


def _footer(report: Report, color: bool) -> list[str]:
    verdict = report.verdict.value
    code = report.exit_code
    lines = [counts_line(report)]
    if report.interrupted_by:
        lines.append(f"interrupted by {visible(report.interrupted_by)}")
    if report.deploy_target is not None:
        lines.append(f"judged: {visible(report.deploy_target.describe())}")
    if report.traffic is not None:
        t = report.traffic
        lines.append(f"traffic: {t.kind} {visible(t.service)}: {t.action}: {visible(t.message)}")
        if t.changed:
            lines.append("  before: " + visible(", ".join(e.text() for e in t.before)))
            lines.append("  after:  " + visible(", ".join(e.text() for e in t.after)))
    lines.append(f"verdict: {paint(verdict, color)}")
    lines.append(f"exit code: {code} ({exit_meaning(code)})")
    return lines
