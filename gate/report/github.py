"""GitHub Actions workflow commands (annotations), plus the step-summary writer.

Every annotation is exactly one line: newlines in a message are escaped, so no
text from a report can start a line of its own and smuggle in a workflow
command (``::add-mask::``, ``::stop-commands::`` ...).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gate.model import CheckResult, Report, Status
from gate.report import markdown
from gate.report._common import counts_line, exit_meaning, status_text

# Statuses that leave a blocking check unproven or failed: each is an error
# annotation. An advisory check in any of these states is a warning instead.
_NOT_PASSED = {Status.FAIL.value, Status.ERROR.value, Status.SKIP.value, Status.CANCELLED.value}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str) -> str:
    prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{name}{' ' + prop_text if prop_text else ''}::{escape_data(message)}"


def render(report: Report, **_: object) -> str:
    lines = [line for r in report.results if (line := _annotation(r)) is not None]
    code = report.exit_code
    verdict = f"{report.verdict.value} for {report.project}: exit code {code}, {exit_meaning(code)}"
    lines.append(command("notice", f"{verdict}. {counts_line(report)}", title="gate verdict"))
    return "\n".join(lines) + "\n"


def _annotation(r: CheckResult) -> str | None:
    status = status_text(r.status)
    if status == Status.WARN.value or (status in _NOT_PASSED and not r.blocking):
        level = "warning"
    elif status in _NOT_PASSED:
        level = "error"
    else:
        return None
    message = f"{status}: {r.summary}"
    if r.remediation:
        message += f"\nfix: {r.remediation}"
    return command(level, message, title=f"gate {r.id}")


def write_step_summary(report: Report, env: Mapping[str, str] = os.environ) -> Path | None:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY; None when it is unset.

    Kept apart from `render` because it writes a file: the CLI decides to call it.
    """
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown.render(report))
    return path
