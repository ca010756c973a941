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

from gate.model import (
    Attempt,
    CheckResult,
    DeployTarget,
    Report,
    Rollout,
    RolloutStep,
    TrafficChange,
    TrafficEntry,
    WaiverUse,
)
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
    out: dict[str, Any] = {
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
    # Optional: present only when the run had a target / changed traffic (docs/REPORT.md).
    if report.deploy_target is not None:
        out["deployTarget"] = _deploy_target(report.deploy_target)
    if report.traffic is not None:
        out["traffic"] = _traffic(report.traffic)
    if report.rollout is not None:
        out["rollout"] = _rollout(report.rollout, timings)
    return out


def _rollout(r: Rollout, timings: bool) -> dict[str, Any]:
    return {
        "service": r.service,
        "revision": r.revision,
        "tag": r.tag,
        "plan": list(r.plan),
        "pauseSeconds": r.pause,
        "onInconclusive": r.on_inconclusive,
        "action": r.action,
        "message": r.message,
        "share": r.share,
        "resumedFrom": r.resumed_from,
        "baseline": [_entry(e) for e in r.baseline],
        "traffic": [_entry(e) for e in r.traffic],
        "commands": list(r.commands),
        "steps": [_step(s, timings) for s in r.steps],
    }


def _step(s: RolloutStep, timings: bool) -> dict[str, Any]:
    return {
        "number": s.number,
        "percent": s.percent,
        "verdict": s.verdict.value if s.verdict is not None else None,
        "changed": s.changed,
        "before": [_entry(e) for e in s.before],
        "after": [_entry(e) for e in s.after],
        "startedSeconds": seconds(s.started, timings),
        "trafficSeconds": seconds(s.traffic_seconds, timings),
        "pauseSeconds": seconds(s.pause_seconds, timings),
        "checksSeconds": seconds(s.checks_seconds, timings),
        "note": s.note,
        "checks": [_check(c, timings) for c in s.results],
    }


def _deploy_target(t: DeployTarget) -> dict[str, Any]:
    return {"service": t.service, "tag": t.tag, "revision": t.revision, "source": t.source}


def _entry(e: TrafficEntry) -> dict[str, Any]:
    return {"latest": e.latest, "revision": e.revision, "percent": e.percent, "tag": e.tag}


def _traffic(c: TrafficChange) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "action": c.action,
        "service": c.service,
        "revision": c.revision,
        "message": c.message,
        "changed": c.changed,
        "before": [_entry(e) for e in c.before],
        "after": [_entry(e) for e in c.after],
        "undo": c.undo,
        "commands": list(c.commands),
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
    if result.waiver is not None:
        # Optional: the policy's waiver for this check and what it did (state).
        out["waiver"] = _waiver(result.waiver)
    return out


def _waiver(use: WaiverUse) -> dict[str, Any]:
    w = use.waiver
    out: dict[str, Any] = {
        "state": use.state.value,
        "reason": w.reason,
        "owner": w.owner,
        "expires": w.expires.isoformat(),
        "endsAt": w.ends_at.isoformat().replace("+00:00", "Z"),
        "match": w.match,
    }
    if w.source is not None:
        out["source"] = {"file": w.source.file, "line": w.source.line, "col": w.source.col}
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
