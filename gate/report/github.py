"""GitHub Actions workflow commands (annotations), plus the step-summary writer.

Every annotation is exactly one line: newlines in a message are escaped, so no
text from a report can start a line of its own and smuggle in a workflow
command (``::add-mask::``, ``::stop-commands::`` ...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gate.model import CheckResult, Report, SourceRef, Status, WaiverState
from gate.report import RenderOptions, markdown
from gate.report._common import (
    collapsed,
    counts_line,
    ordered,
    report_meaning,
    status_text,
    verdict_text,
    waiver_note,
)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str) -> str:
    prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{name}{' ' + prop_text if prop_text else ''}::{escape_data(message)}"


def render(report: Report, options: RenderOptions) -> str:
    """Errors for blocking FAIL and ERROR (causes first), warnings for advisory
    checks that did not pass, for waived failures (at the waiver, with its expiry;
    never an error) and for waivers no longer needed, one notice for everything
    skipped or cancelled, and the verdict notice last.

    GitHub shows only the first 10 error annotations of a step, so nothing that
    is a consequence (a skip, a cancellation) is an error: the real failures
    come first and are not crowded out.
    """
    results = ordered(report.results)
    by_id = {r.id: r for r in report.results}
    lines = [line for r in results if (line := _annotation(r)) is not None]
    lines.extend(
        _stale(r) for r in results if r.waiver is not None and r.waiver.state is WaiverState.NOT_NEEDED
    )
    unproven = [
        line
        for status in (Status.SKIP, Status.CANCELLED)
        for line in (f"{status_text(status)} {g}" for g in collapsed(results, status, by_id))
    ]
    if unproven:
        lines.append(command("notice", "; ".join(unproven), title="gate not proven"))
    code = report.exit_code
    verdict = f"{verdict_text(report)} for {report.project}: exit code {code}, {report_meaning(report)}"
    lines.append(command("notice", f"{verdict}. {counts_line(report)}", title="gate verdict"))
    return "\n".join(lines) + "\n"


def _annotation(r: CheckResult) -> str | None:
    if r.status in (Status.PASS, Status.SKIP, Status.CANCELLED):
        return None
    if r.status is Status.WAIVED and r.waiver is not None:
        # At the waiver, not the check: the line to edit when the fix lands or the date nears.
        message = f"WAIVED: {waiver_note(r, r.waiver)}\nFAIL: {r.summary}"
        if r.remediation:
            message += f"\nfix: {r.remediation}"
        return command(
            "warning", message, **_where(r.waiver.waiver.source or r.source), title=f"gate waived {r.id}"
        )
    level = "error" if r.blocking and r.status in (Status.FAIL, Status.ERROR) else "warning"
    message = f"{status_text(r.status)}: {r.summary}"
    if r.remediation:
        message += f"\nfix: {r.remediation}"
    if r.waiver is not None:
        message += f"\n{waiver_note(r, r.waiver)}"
    return command(level, message, **_where(r.source), title=f"gate {r.id}")


def _stale(r: CheckResult) -> str:
    assert r.waiver is not None
    message = waiver_note(r, r.waiver)
    return command(
        "warning", message, **_where(r.waiver.waiver.source), title=f"gate waiver not needed {r.id}"
    )


def _where(source: SourceRef | None) -> dict[str, str]:
    return {} if source is None else {"file": source.file, "line": str(source.line)}


def write_step_summary(report: Report, env: Mapping[str, str] = os.environ) -> Path | None:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY; None when it is unset.

    Kept apart from `render` because it writes a file: the CLI decides to call it.
    """
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown.render(report, RenderOptions()))
    return path
