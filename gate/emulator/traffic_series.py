"""Cloud Run request metrics that follow the live traffic split: ``monitoring.traffic`` in a world.

Real Cloud Monitoring data of a revision comes from the requests it serves, so
its volume follows its share of traffic: a candidate at 0% has none, at 25% a
quarter of the service's requests. A world that is rolled out step by step
cannot write that data in advance (the split changes while gate runs), so it
describes the traffic instead::

    monitoring:
      traffic:
        - service: netra-backend-staging
          requestsPerMinute: 600                  # the whole service's
          minutes: 60                             # points for the last hour (default)
          revisions:
            netra-backend-staging-00042-xq7: {errorRatio: 0.002, latencyMs: 120}
            netra-backend-staging-00043-cnd:
              errorRatio: 0.002
              latencyMs: 130
              fromShare: {25: {errorRatio: 0.08}}  # from 25% up, 8% of its answers are 5xx

On every ``timeSeries.list`` the emulator reads the service's current
``trafficStatuses`` and writes, for each listed revision with a share, one
point per whole minute of the last ``minutes``: ``run.googleapis.com/request_count``
(DELTA, INT64; ``response_code_class`` 2xx and 5xx) and
``run.googleapis.com/request_latencies`` (DELTA, DISTRIBUTION, ms). The split is
taken to have held for the whole of that time: the data a rollout sees once its
pause is at least the metric window (tests use zero pauses and still see the
step's traffic). Every request of a revision takes ``latencyMs``, so its
histogram has one filled bucket of the ladder below and Monitoring's
interpolated percentiles fall inside that bucket. These generated series go
through the same filter, alignment and reduction as written ones.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from gate.emulator.yamlsource import Located, Path
from gate.errors import Diagnostic

REQUEST_COUNT = "run.googleapis.com/request_count"
REQUEST_LATENCIES = "run.googleapis.com/request_latencies"
# Explicit bucket bounds (ms) of the generated latency histograms.
BOUNDS = (0.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0, 50000.0)
DEFAULT_MINUTES = 60
_ENTRY = {"service", "requestsPerMinute", "minutes", "revisions"}
_PROFILE = {"errorRatio", "latencyMs", "fromShare"}


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def parse(doc: Located, value: Any, errors: list[Diagnostic]) -> list[dict[str, Any]]:
    """Validate ``monitoring.traffic`` strictly; returns its entries as written."""
    base: Path = ("monitoring", "traffic")
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(doc.diag(base, "expected a list of {service, requestsPerMinute, revisions}"))
        return []
    out = []
    for i, entry in enumerate(value):
        here: Path = (*base, i)
        if not isinstance(entry, dict):
            errors.append(doc.diag(here, "expected a mapping"))
            continue
        before = len(errors)
        for key in sorted(set(entry) - _ENTRY):
            errors.append(doc.diag((*here, key), f"unknown key; expected {', '.join(sorted(_ENTRY))}"))
        if not isinstance(entry.get("service"), str) or not entry.get("service"):
            errors.append(doc.diag((*here, "service"), "required: the Cloud Run service's short name"))
        rpm: Any = entry.get("requestsPerMinute")
        if not _number(rpm) or rpm <= 0:
            errors.append(doc.diag((*here, "requestsPerMinute"), "required: a number of requests > 0"))
        minutes = entry.get("minutes", DEFAULT_MINUTES)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
            errors.append(doc.diag((*here, "minutes"), "expected a whole number of minutes from 1 to 1440"))
        revisions = entry.get("revisions")
        if not isinstance(revisions, dict) or not revisions:
            errors.append(doc.diag((*here, "revisions"), "required: revision short name -> its profile"))
        else:
            for name, profile in revisions.items():
                _profile(doc, profile, (*here, "revisions", str(name)), errors, nested=True)
        if len(errors) == before:
            out.append(entry)
    return out


def _profile(doc: Located, profile: Any, here: Path, errors: list[Diagnostic], *, nested: bool) -> None:
    if not isinstance(profile, dict):
        errors.append(doc.diag(here, "expected a mapping with errorRatio, latencyMs, fromShare"))
        return
    allowed = _PROFILE if nested else _PROFILE - {"fromShare"}
    for key in sorted(set(profile) - allowed):
        errors.append(doc.diag((*here, key), f"unknown key; expected {', '.join(sorted(allowed))}"))
    ratio = profile.get("errorRatio", 0)
    if not _number(ratio) or not 0 <= ratio <= 1:
        errors.append(doc.diag((*here, "errorRatio"), "expected a fraction of 5xx answers from 0 to 1"))
    latency = profile.get("latencyMs", 100)
    if not _number(latency) or latency <= 0 or latency >= BOUNDS[-1]:
        errors.append(doc.diag((*here, "latencyMs"), f"expected milliseconds > 0 and < {BOUNDS[-1]:g}"))
    if nested and "fromShare" in profile:
        steps = profile["fromShare"]
        if not isinstance(steps, dict):
            errors.append(doc.diag((*here, "fromShare"), "expected share (1-100) -> errorRatio/latencyMs"))
            return
        for share, override in steps.items():
            where: Path = (*here, "fromShare", str(share))
            if not isinstance(share, int) or isinstance(share, bool) or not 1 <= share <= 100:
                errors.append(doc.diag(where, "expected a share of traffic from 1 to 100"))
                continue
            _profile(doc, override, where, errors, nested=False)


def _shares(services: list[dict[str, Any]], short: str) -> tuple[str, dict[str, int]]:
    """(full service name, revision -> percent it receives now) from trafficStatuses."""
    for s in services:
        name = str(s.get("name", ""))
        if name.rsplit("/", 1)[-1] == short:
            out: dict[str, int] = {}
            for t in s.get("trafficStatuses") or []:
                rev = str(t.get("revision") or "").rsplit("/", 1)[-1]
                if rev and int(t.get("percent", 0) or 0) > 0:
                    out[rev] = out.get(rev, 0) + int(t["percent"])
            return name, out
    return "", {}


def _effective(profile: Mapping[str, Any], share: int) -> tuple[float, float]:
    ratio, latency = float(profile.get("errorRatio", 0)), float(profile.get("latencyMs", 100))
    steps = profile.get("fromShare") or {}
    for at in sorted(int(k) for k in steps):
        if share >= at:
            override = steps[at]
            ratio = float(override.get("errorRatio", ratio))
            latency = float(override.get("latencyMs", latency))
    return ratio, latency


def generate(
    entries: list[dict[str, Any]], services: list[dict[str, Any]], project: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """The series the traffic model implies at ``now``, as TimeSeries JSON with absolute times."""
    out: list[dict[str, Any]] = []
    last = now.replace(second=0, microsecond=0)
    for entry in entries:
        full, shares = _shares(services, str(entry["service"]))
        parts = full.split("/")
        location = parts[3] if len(parts) > 3 else ""
        minutes = int(entry.get("minutes", DEFAULT_MINUTES))
        for revision, profile in (entry.get("revisions") or {}).items():
            share = shares.get(str(revision), 0)
            per_minute = round(float(entry["requestsPerMinute"]) * share / 100)
            if per_minute <= 0:
                continue  # a revision that serves nothing writes no point
            ratio, latency = _effective(profile, share)
            errors = round(per_minute * ratio)
            labels = {
                "service_name": str(entry["service"]),
                "revision_name": str(revision),
                "location": location,
                "configuration_name": str(entry["service"]),
                "project_id": project,
            }
            ends = [last - dt.timedelta(minutes=k) for k in range(minutes)]
            for cls, code, count in (("2xx", "200", per_minute - errors), ("5xx", "500", errors)):
                if count > 0:
                    out.append(_count_series(labels, cls, code, count, ends))
            out.append(_latency_series(labels, per_minute, latency, ends))
    return out


def _interval(end: dt.datetime) -> dict[str, str]:
    return {"startTime": _ts(end - dt.timedelta(minutes=1)), "endTime": _ts(end)}


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _resource(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"type": "cloud_run_revision", "labels": dict(labels)}


def _count_series(
    labels: Mapping[str, str], cls: str, code: str, count: int, ends: list[dt.datetime]
) -> dict[str, Any]:
    return {
        "metric": {"type": REQUEST_COUNT, "labels": {"response_code": code, "response_code_class": cls}},
        "resource": _resource(labels),
        "metricKind": "DELTA",
        "valueType": "INT64",
        "points": [{"interval": _interval(e), "value": {"int64Value": str(count)}} for e in ends],
    }


def _latency_series(
    labels: Mapping[str, str], count: int, latency: float, ends: list[dt.datetime]
) -> dict[str, Any]:
    bucket = next(i for i, b in enumerate(BOUNDS) if latency < b)  # 0: underflow; i: [BOUNDS[i-1], BOUNDS[i])
    counts = ["0"] * (len(BOUNDS) + 1)
    counts[bucket] = str(count)
    value = {
        "count": str(count),
        "mean": latency,
        "sumOfSquaredDeviation": 0.0,
        "bucketOptions": {"explicitBuckets": {"bounds": list(BOUNDS)}},
        "bucketCounts": counts,
    }
    return {
        "metric": {"type": REQUEST_LATENCIES},
        "resource": _resource(labels),
        "metricKind": "DELTA",
        "valueType": "DISTRIBUTION",
        "unit": "ms",
        "points": [{"interval": _interval(e), "value": {"distributionValue": value}} for e in ends],
    }
