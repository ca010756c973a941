"""Human-readable report for a terminal or a CI log, compact like conftest or goss.

Colour only when asked (the CLI decides from the stream and NO_COLOR), and
every colour resets right after the word it paints, so no line ends coloured.
Every string from the report passes through `visible` so a log line quoted in
the evidence cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

from gate.model import CheckResult, Report, Status, Verdict
from gate.report import RenderOptions
from gate.report._common import (
    attempts_brief,
    collapsed,
    counts_line,
    evidence_lines,
    fix_first,
    fmt_number,
    fmt_seconds,
    one_line,
    ordered,
    report_meaning,
    seconds,
    sorted_metrics,
    status_text,
    verdict_text,
    visible,
    waiver_counts,
    waiver_note,
    waiver_uses,
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
    Status.WAIVED.value: "\x1b[34m",  # blue: not a pass (green), not a failure (red)
    Verdict.INCONCLUSIVE.value: "\x1b[35m",
    Verdict.INTERRUPTED.value: "\x1b[35m",
}
WIDTH = max(len(s.value) for s in Status)  # "CANCELLED": aligns the check ids
LINE_WIDTH = 120  # one-line entries are cut (between words) to about this width
FIX_WIDTH = 160  # a fix-first line says why and how in full where it can


def paint(word: str, color: bool, *, pad: int = 0) -> str:
    text = word.ljust(pad)
    if not color or word not in COLOURS:
        return text
    # Pad outside the escape codes so columns line up with and without colour.
    return f"{BOLD}{COLOURS[word]}{word}{RESET}" + " " * (len(text) - len(word))


def render(report: Report, options: RenderOptions) -> str:
    """Compact by default: evidence for what did not pass, one line for the rest.

    Results come causes first (:func:`ordered`); skipped and cancelled checks
    collapse into one line per reason; the report ends with "fix first".
    ``verbose`` shows every check in full, ``quiet`` only the verdict and the
    failures.
    """
    color, verbose, timings = options.color, options.verbose, options.timings
    lines: list[str] = []
    if not options.quiet:
        lines.extend(_header(report, timings))
        results = ordered(report.results)
        by_id = {r.id: r for r in report.results}
        passes: list[str] = []
        for result in results:
            if verbose or result.status not in (Status.PASS, Status.SKIP, Status.CANCELLED):
                lines.append("")
                lines.extend(_block(result, color=color, verbose=verbose, timings=timings))
            elif result.status is Status.PASS:
                passes.append(_pass_line(result, color))
        short: list[str] = []
        if not verbose:
            for status in (Status.SKIP, Status.CANCELLED):
                word = paint(status.value, color, pad=WIDTH)
                short.extend(f"{word}  {visible(line)}" for line in collapsed(results, status, by_id))
        short.extend(passes)
        if short:
            lines.append("")
            lines.extend(short)
        lines.append("")
    lines.extend(_footer(report, color, timings))
    lines.append("")
    lines.extend(_fix_first(report, color))
    return "\n".join(lines) + "\n"


def _header(report: Report, timings: bool) -> list[str]:
    head = f"gate {visible(report.gate_version)}".rstrip()
    lines = [f"{head}: {visible(report.project)} ({visible(report.region)}), policy {visible(report.policy)}"]
    where = [f"target {visible(report.target)}"] if report.target else []
    if timings:
        where.append(f"started {visible(report.started_at)}, took {fmt_seconds(report.duration)}")
    if where:
        lines.append("  " + "; ".join(where))
    return lines


def _pass_line(result: CheckResult, color: bool) -> str:
    tail = " (waiver no longer needed)" if result.waiver is not None else ""
    room = max(40, LINE_WIDTH - WIDTH - 4 - len(result.id) - len(tail))
    summary = one_line(result.summary, room) + tail
    return f"{paint(Status.PASS.value, color, pad=WIDTH)}  {visible(result.id)}  {visible(summary)}".rstrip()


def _block(result: CheckResult, *, color: bool, verbose: bool, timings: bool) -> list[str]:
    status = status_text(result.status)
    head = f"{paint(status, color, pad=WIDTH)}  {visible(result.id)}"
    lines = [f"{head}  [{visible(result.type)}, {status_text(result.severity)}]"]
    lines.extend(_indented(result.summary))
    if result.waiver is not None:
        lines.extend(_indented(waiver_note(result, result.waiver)))
        if result.waiver.waiver.source is not None:
            lines.append(f"  waiver at: {visible(str(result.waiver.waiver.source))}")
    if verbose and result.description:
        lines.extend(_indented("about: " + result.description))
    if verbose and result.needs:
        lines.append("  needs: " + ", ".join(visible(n) for n in result.needs))
    if verbose and result.source is not None:
        lines.append(f"  in the policy at: {visible(str(result.source))}")
    # A waived failure is accepted and known: its evidence is one -v away, its summary,
    # waiver and fix are always shown.
    if result.evidence and (verbose or result.status is not Status.WAIVED):
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


def _footer(report: Report, color: bool, timings: bool = True) -> list[str]:
    verdict = report.verdict.value
    code = report.exit_code
    lines = [counts_line(report)]
    uses = waiver_uses(report)
    if uses:
        lines.append(f"waivers: {waiver_counts(report)}")
        for result, use in uses:
            room = max(60, FIX_WIDTH - 4 - len(result.id))  # the reason is worth the width
            lines.append(f"  {visible(result.id)}: {visible(one_line(waiver_note(result, use), room))}")
    if report.interrupted_by:
        lines.append(f"interrupted by {visible(report.interrupted_by)}")
    if report.deploy_target is not None:
        lines.append(f"judged: {visible(report.deploy_target.describe())}")
    if report.rollout is not None:
        lines.extend(_rollout(report, color, timings))
    if report.traffic is not None:
        t = report.traffic
        lines.append(f"traffic: {t.kind} {visible(t.service)}: {t.action}: {visible(t.message)}")
        if t.changed:
            lines.append("  before: " + visible(", ".join(e.text() for e in t.before)))
            lines.append("  after:  " + visible(", ".join(e.text() for e in t.after)))
    shown = verdict_text(report)
    lines.append(f"verdict: {paint(verdict, color)}{shown.removeprefix(verdict)}")
    lines.append(f"exit code: {code} ({report_meaning(report)})")
    return lines


def _fix_first(report: Report, color: bool) -> list[str]:
    entries = fix_first(report, width=FIX_WIDTH - 10)
    waived = [e for e in entries if e[0].status is Status.WAIVED]
    if len(waived) < len(entries):
        return ["fix first:", *_fix_lines(entries, color)]
    head = _nothing_to_fix(report)
    if not waived:
        return [head]
    return [f"{head}; fix the waived failures before their waivers expire:", *_fix_lines(waived, color)]


def _nothing_to_fix(report: Report) -> str:
    if report.verdict is Verdict.PASS:
        if report.waived:
            return "fix first: nothing blocks; every blocking check passed or is waived"
        return "fix first: nothing; every blocking check passed"
    if report.interrupted_by:
        return f"fix first: nothing failed before {visible(report.interrupted_by)}; re-run to finish"
    unproven = [r.id for r in report.results if r.blocking and r.status not in (Status.PASS, Status.WAIVED)]
    if not unproven:
        return "fix first: the policy has no blocking check that passed"
    return f"fix first: nothing failed, but {len(unproven)} blocking checks were not proven; re-run"


def _fix_lines(entries: list[tuple[CheckResult, str, str]], color: bool) -> list[str]:
    lines = []
    for result, _, fix in entries:
        note = "" if result.blocking else " (advisory)"
        if result.status is Status.WAIVED and result.waiver is not None:
            note += f" (waived until {result.waiver.waiver.expires.isoformat()})"
        word = paint(status_text(result.status), color)
        head = f"{status_text(result.status)} {result.id}{note}: "
        why = one_line(result.summary, max(60, FIX_WIDTH - 2 - len(head)))
        lines.append(f"  {word} {visible(result.id)}{note}: {visible(why)}")
        lines.append(f"    fix: {visible(fix)}")
    return lines


def _rollout(report: Report, color: bool, timings: bool) -> list[str]:
    """The rollout's step table (docs/REPORT.md): one row per step, then what it came to."""
    from gate.report import rollout_table

    r = report.rollout
    assert r is not None
    width = len(rollout_table.HEADERS) - (0 if timings else 1)
    table: list[tuple[str, ...]] = [rollout_table.HEADERS[:width]]
    table += [row.cells()[:width] for row in rollout_table.rows(r, timings)]
    widths = [max(len(visible(t[i])) for t in table) for i in range(width)]
    lines = [visible(rollout_table.heading(r))]
    for n, t in enumerate(table):
        cells = [visible(cell).ljust(widths[i]) for i, cell in enumerate(t)]
        cells[1] = visible(t[1]).rjust(widths[1])
        if n > 0:  # the verdict column, coloured like a status
            cells[3] = paint(t[3], color, pad=widths[3])
        lines.append(("  " + "  ".join(cells)).rstrip())
    lines.append(f"  {visible(r.action)}: {visible(r.message)}")
    return lines
