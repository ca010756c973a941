"""JUnit XML for CI test tabs (GitHub, GitLab, Jenkins, Buildkite).

One <testsuite> inside <testsuites>, one <testcase> per check. ElementTree does
the escaping of <, & and quotes; it does not drop characters XML 1.0 forbids
(most control characters), so those are shown as \\xNN escapes first, or a
single stray byte in a log line would make the whole file unparsable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from gate.model import CheckResult, Report, Status
from gate.report import RenderOptions
from gate.report._common import (
    counts_line,
    evidence_lines,
    fmt_number,
    report_meaning,
    seconds,
    sorted_metrics,
    status_text,
    verdict_text,
    waiver_note,
)

# Everything outside XML 1.0's Char production (tab, LF and CR are allowed).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_PROVEN = {Status.SKIP.value, Status.CANCELLED.value}


def xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render(report: Report, options: RenderOptions) -> str:
    timings = options.timings
    counts = report.counts()
    totals = {
        "tests": str(len(report.results)),
        "failures": str(counts[Status.FAIL.value]),
        "errors": str(counts[Status.ERROR.value]),
        # WAIVED is a <skipped> case (see _testcase): counted where CI shows it, never as a pass.
        "skipped": str(
            counts[Status.SKIP.value] + counts[Status.CANCELLED.value] + counts[Status.WAIVED.value]
        ),
        "time": _time(report.duration, timings),
    }
    root = ET.Element("testsuites", {"name": "gate", **totals})
    suite_attrs = {"name": xml_safe(f"gate: {report.project}"), **totals}
    if timings and report.started_at:
        suite_attrs["timestamp"] = xml_safe(report.started_at)
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    props = ET.SubElement(suite, "properties")
    for name, value in _properties(report):
        ET.SubElement(props, "property", {"name": name, "value": xml_safe(value)})
    for result in report.results:
        _testcase(suite, result, timings)
    out = ET.SubElement(suite, "system-out")
    code = report.exit_code
    verdict = f"verdict: {verdict_text(report)}\nexit code: {code} ({report_meaning(report)})"
    out.text = xml_safe(f"{counts_line(report)}\n{verdict}\n")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _properties(report: Report) -> list[tuple[str, str]]:
    props = [
        ("project", report.project),
        ("region", report.region),
        ("policy", report.policy),
        ("target", report.target),
        ("gateVersion", report.gate_version),
        ("verdict", report.verdict.value),
        ("exitCode", str(report.exit_code)),
    ]
    if report.interrupted_by:
        props.append(("interruptedBy", report.interrupted_by))
    if report.waived:
        props.append(("waived", str(len(report.waived))))
    return props


def _testcase(suite: ET.Element, result: CheckResult, timings: bool) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": xml_safe(f"gate.{result.type}"),
            "name": xml_safe(result.id),
            "time": _time(result.duration, timings),
        },
    )
    status = status_text(result.status)
    details = xml_safe(_details(result, timings))
    message = xml_safe(f"{status}: {result.summary}")
    if status == Status.FAIL.value:
        ET.SubElement(case, "failure", {"message": message, "type": status}).text = details
    elif status == Status.ERROR.value:
        ET.SubElement(case, "error", {"message": message, "type": status}).text = details
    elif status in _NOT_PROVEN:
        ET.SubElement(case, "skipped", {"message": message})
    elif status == Status.WAIVED.value and result.waiver is not None:
        # A waived failure is neither a pass nor a failure. <skipped> is the one JUnit
        # state every CI test tab counts and shows apart (GitLab, Jenkins, GitHub test
        # reporters) without failing the job; a passed case would hide it in green.
        waived = f"{waiver_note(result, result.waiver)}; FAIL: {result.summary}"
        ET.SubElement(case, "skipped", {"message": xml_safe(f"WAIVED: {waived}")})
    out_lines = []
    if result.waiver is not None:
        out_lines.append(waiver_note(result, result.waiver))
        if result.waiver.waiver.source is not None:
            out_lines.append(f"waiver at: {result.waiver.waiver.source}")
    if status == Status.WARN.value:
        # JUnit has no "warning"; the case counts as passed and says why it is yellow.
        out_lines.append(f"WARNING (advisory check did not pass): {result.summary}")
        out_lines.append(_details(result, timings).rstrip("\n"))
    elif status in _NOT_PROVEN or status == Status.WAIVED.value:
        out_lines.append(_details(result, timings).rstrip("\n"))
    elif status == Status.PASS.value and result.metrics:
        # A passing case has no failure text; its timings (latencies, golden-path
        # event times) still belong in the report.
        out_lines.append(_metrics_line(result, timings))
    out_lines.extend(_attempt_lines(result, timings))
    text = "\n".join(line for line in out_lines if line)
    if text:
        ET.SubElement(case, "system-out").text = xml_safe(text + "\n")


def _details(result: CheckResult, timings: bool) -> str:
    lines = [f"{status_text(result.status)} {result.id} [{result.type}, {status_text(result.severity)}]"]
    lines.append(result.summary)
    if result.evidence:
        lines.append("evidence:")
        lines.extend("  " + line for line in evidence_lines(result.evidence))
    if result.remediation:
        lines.append(f"fix: {result.remediation}")
    if result.metrics:
        lines.append(_metrics_line(result, timings))
    return "\n".join(lines) + "\n"


def _metrics_line(result: CheckResult, timings: bool) -> str:
    return "metrics: " + ", ".join(f"{k}={fmt_number(v)}" for k, v in sorted_metrics(result.metrics, timings))


def _attempt_lines(result: CheckResult, timings: bool) -> list[str]:
    lines = [f"attempts: {len(result.attempts)}"] if result.attempts else []
    for a in result.attempts:
        when = f" at +{seconds(a.started):.3f}s took {seconds(a.duration):.3f}s" if timings else ""
        lines.append(f"  #{a.number}{when}: {status_text(a.status)} {a.summary}".rstrip())
    return lines


def _time(value: float, timings: bool) -> str:
    return f"{seconds(value, timings):.3f}"
