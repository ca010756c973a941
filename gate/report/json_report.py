"""Machine-readable report; schema in report.schema.json, documented in docs/REPORT.md.

Keys are emitted in the fixed order documented there (dicts keep insertion
order), evidence and metric keys sorted, checks in policy order. Output is ASCII
(non-ASCII as \\u escapes) so no CI log encoding can mangle it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from gate.model import Attempt, CheckResult, Report
from gate.report import RenderOptions
from gate.report._common import EPOCH, plain, seconds, sorted_metrics, status_text

SCHEMA_VERSION = "gate.report/v1"
SCHEMA_RESOURCE = "report.schema.json"


@cache
def _schema_text() -> str:
    return resources.files(__package__ or "gate.report").joinpath(SCHEMA_RESOURCE).read_text("utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of this report, shipped as package data."""
    loaded: dict[str, Any] = json.loads(_schema_text())
    return loaded


def to_dict(report: Report, *, timings: bool = True) -> dict[str, Any]:
    """The report as plain data. `timings=False` zeroes every run-dependent time."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "gateVersion": report.gate_version,
        "project": report.project,
        "region": report.region,
        "policy": report.policy,
        "target": report.target,
        "startedAt": report.started_at if timings else EPOCH,
        "durationSeconds": seconds(report.duration, timings),
        "verdict": report.verdict.value,
        "exitCode": report.exit_code,
        "interruptedBy": report.interrupted_by,
        "counts": report.counts(),
        "checks": [_check(r, timings) for r in report.results],
    }


def _check(result: CheckResult, timings: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": result.id,
        "type": result.type,
        "severity": status_text(result.severity),
        "status": status_text(result.status),
        "summary": result.summary,
        "description": result.description,
        "needs": list(result.needs),
        "evidence": plain(result.evidence),
        "remediation": result.remediation,
        "durationSeconds": seconds(result.duration, timings),
        "metrics": dict(sorted_metrics(result.metrics, timings)),
        "attempts": [_attempt(a, timings) for a in result.attempts],
    }
    if result.source is not None:
        # Optional: where the check appears in the policy (its include: entry for a library check).
        src = result.source
        out["source"] = {"file": src.file, "line": src.line, "col": src.col}
    return out


def _attempt(attempt: Attempt, timings: bool) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "startedSeconds": seconds(attempt.started, timings),
        "durationSeconds": seconds(attempt.duration, timings),
        "status": status_text(attempt.status),
        "summary": attempt.summary,
    }


def render(report: Report, options: RenderOptions) -> str:
    # allow_nan=False: `plain` already turned NaN/inf into strings or null, so a
    # regression fails loudly instead of emitting invalid JSON.
    doc = to_dict(report, timings=options.timings)
    return json.dumps(doc, indent=2, ensure_ascii=True, allow_nan=False) + "\n"
