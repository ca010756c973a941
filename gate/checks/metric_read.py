"""What ``monitoring.metric`` reads from Cloud Monitoring, one measure of one revision at a time.

Every query covers the check's window ``(now - window, now]`` with an
alignment period of the whole window, so each series has one aligned point
(two at most if Monitoring lays periods out differently: counts are summed
across them, percentiles take the highest, which errs towards failing an
upper limit). Queries (Cloud Run metrics, cloud.google.com/monitoring/api/metrics_gcp):

- requests: ``run.googleapis.com/request_count`` (DELTA, INT64), ALIGN_DELTA +
  REDUCE_SUM grouped by ``metric.labels.response_code_class`` ("2xx", "5xx"...);
- latency: ``run.googleapis.com/request_latencies`` (DELTA, DISTRIBUTION, ms),
  ALIGN_DELTA + REDUCE_SUM for the sample count and histogram, and
  ALIGN_DELTA + REDUCE_PERCENTILE_50/95/99 for the percentile Monitoring computes;
- startup: ``run.googleapis.com/container/startup_latencies`` (DELTA, DISTRIBUTION, ms), the same;
- instances: ``run.googleapis.com/container/instance_count`` (GAUGE, INT64),
  ALIGN_MAX + REDUCE_SUM per minute, the peak of those;
- custom: the ``metric:`` type with the aligner/reducer of ``reduce``.

Each is scoped to the revision by the ``cloud_run_revision`` resource labels
(service_name, revision_name, location).

A percentile whose rank falls in the histogram's underflow or overflow bucket
is known only as a bound (below the first / at least the last finite bucket
boundary): the reading carries that interval and the threshold is judged
against it, so an unbounded value never passes by accident.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gate.checks.metric_params import ABSENT_NOTE, MEASURES, Measure
from gate.errors import MissingFactError

if TYPE_CHECKING:
    from gate.context import AttemptContext
    from gate.gcp.monitoring import Aggregation, Distribution, TimeSeries

REQUEST_COUNT = "run.googleapis.com/request_count"
REQUEST_LATENCIES = "run.googleapis.com/request_latencies"
STARTUP_LATENCIES = "run.googleapis.com/container/startup_latencies"
INSTANCE_COUNT = "run.googleapis.com/container/instance_count"
RESOURCE = "cloud_run_revision"
_CUSTOM = {
    # reduce -> (aligner, reducer, how aligned points of the window combine)
    "sum": ("ALIGN_DELTA", "REDUCE_SUM", "sum"),
    "rate": ("ALIGN_RATE", "REDUCE_SUM", "mean"),
    "mean": ("ALIGN_MEAN", "REDUCE_MEAN", "mean"),
    "max": ("ALIGN_MAX", "REDUCE_MAX", "max"),
    "min": ("ALIGN_MIN", "REDUCE_MIN", "min"),
    "p50": ("ALIGN_DELTA", "REDUCE_PERCENTILE_50", "max"),
    "p95": ("ALIGN_DELTA", "REDUCE_PERCENTILE_95", "max"),
    "p99": ("ALIGN_DELTA", "REDUCE_PERCENTILE_99", "max"),
}


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime

    @property
    def seconds(self) -> int:
        return round((self.end - self.start).total_seconds())

    def describe(self) -> dict[str, Any]:
        return {"start": _ts(self.start), "end": _ts(self.end), "seconds": self.seconds}


@dataclass(frozen=True)
class Reading:
    """One measure of one revision over the window."""

    measure: Measure
    revision: str
    value: float | None  # None: nothing to measure (no samples)
    samples: int  # compared with min_requests / min_samples
    sample_unit: str  # "requests", "latency samples", "container startups", "points"
    low: float = -math.inf  # the true value lies in [low, high] (both = value when exact)
    high: float = math.inf
    note: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return self.value is not None and self.low == self.high == self.value


def exact(
    measure: Measure, revision: str, value: float | None, samples: int, unit: str, **kw: Any
) -> Reading:
    if value is None:
        return Reading(measure, revision, None, samples, unit, **kw)
    return Reading(measure, revision, value, samples, unit, low=value, high=value, **kw)


class Reader:
    """Reads measures for one attempt; records every query for the evidence."""

    def __init__(
        self, ctx: AttemptContext, service: str, location: str, window: Window, params: Mapping[str, Any]
    ):
        self.ctx = ctx
        self.service = service
        self.location = location
        self.window = window
        self.params = params
        self.queries: list[dict[str, Any]] = []
        self._cache: dict[tuple[str, str], Any] = {}

    def scope(self, revision: str) -> str:
        return (
            f'resource.type = "{RESOURCE}" AND resource.labels.service_name = "{_q(self.service)}" '
            f'AND resource.labels.revision_name = "{_q(revision)}" '
            f'AND resource.labels.location = "{_q(self.location)}"'
        )

    def _series(
        self, what: str, revision: str, metric_type: str, scope: str, agg: Aggregation
    ) -> tuple[TimeSeries, ...]:
        flt = f'metric.type = "{_q(metric_type)}" AND {scope}'
        # The interval is the check's window (in the evidence once, beside these).
        self.queries.append(
            {"what": what, "revision": revision, "filter": flt, "aggregation": agg.describe()}
        )
        return self.ctx.cloud.monitoring.time_series(
            flt, start=self.window.start, end=self.window.end, aggregation=agg, deadline=self.ctx.deadline
        )

    def _agg(
        self, aligner: str, reducer: str, group_by: tuple[str, ...] = (), period: int | None = None
    ) -> Aggregation:
        from gate.gcp.monitoring import Aggregation

        return Aggregation(period or self.window.seconds, aligner, reducer, group_by)

    # -- per source ---------------------------------------------------------------

    def read(self, measure: Measure, revision: str) -> Reading:
        key = (measure.name, revision)
        if key not in self._cache:
            self._cache[key] = self._read(measure, revision)
        reading: Reading = self._cache[key]
        return reading

    def cached(self, measure: Measure, revision: str) -> Reading | None:
        """A reading already made in this attempt (no new query)."""
        reading: Reading | None = self._cache.get((measure.name, revision))
        return reading

    def _read(self, measure: Measure, revision: str) -> Reading:
        if measure.source == "requests":
            return self._requests(measure, revision)
        if measure.source in ("latency", "startup"):
            metric = REQUEST_LATENCIES if measure.source == "latency" else STARTUP_LATENCIES
            unit = "latency samples" if measure.source == "latency" else "container startups"
            assert measure.percentile is not None
            return self._percentile(measure, revision, metric, self.scope(revision), measure.percentile, unit)
        if measure.source == "instances":
            return self._instances(measure, revision)
        return self._custom(measure, revision)

    def classes(self, revision: str) -> dict[str, int]:
        """Responses by response_code_class over the window."""
        key = ("classes", revision)
        if key not in self._cache:
            agg = self._agg("ALIGN_DELTA", "REDUCE_SUM", ("metric.labels.response_code_class",))
            series = self._series(
                "requests by response_code_class", revision, REQUEST_COUNT, self.scope(revision), agg
            )
            out: dict[str, int] = {}
            for s in series:
                cls = s.metric_labels.get("response_code_class") or "unlabelled"
                out[cls] = out.get(cls, 0) + int(_sum_numbers(s))
            self._cache[key] = dict(sorted(out.items()))
        classes: dict[str, int] = self._cache[key]
        return classes

    def _requests(self, measure: Measure, revision: str) -> Reading:
        classes = self.classes(revision)
        total = sum(classes.values())
        errors = classes.get("5xx", 0)
        detail = {"requests": total, "by_class": classes}
        if measure.name == "request_count":
            return exact(measure, revision, float(total), total, "requests", detail=detail)
        if measure.name == "error_count":
            return exact(measure, revision, float(errors), total, "requests", detail=detail)
        return exact(measure, revision, errors / total if total else None, total, "requests", detail=detail)

    def histogram(self, revision: str, metric_type: str, scope: str) -> Distribution | None:
        key = ("histogram:" + metric_type, revision)
        if key not in self._cache:
            series = self._series(
                f"{metric_type} histogram (sample count)",
                revision,
                metric_type,
                scope,
                self._agg("ALIGN_DELTA", "REDUCE_SUM"),
            )
            self._cache[key] = _merge([_dist(p.value, s) for s in series for p in s.points])
        hist: Distribution | None = self._cache[key]
        return hist

    def _percentile(
        self, measure: Measure, revision: str, metric_type: str, scope: str, p: float, unit: str
    ) -> Reading:
        hist = self.histogram(revision, metric_type, scope)
        count = hist.count if hist is not None else 0
        if hist is None or count == 0:
            return exact(measure, revision, None, 0, unit)
        reducer = f"REDUCE_PERCENTILE_{int(p):02d}"
        series = self._series(
            f"{metric_type} {reducer}", revision, metric_type, scope, self._agg("ALIGN_DELTA", reducer)
        )
        values = [_number(pt.value, s) for s in series for pt in s.points]
        detail = {"samples": count, "mean": round(hist.mean, 3)}
        if not values:
            raise MissingFactError(
                f"Monitoring returned a {metric_type} histogram of {count} samples for {revision} "
                f"but no {reducer} value"
            )
        value = max(values)
        bucket = rank_bucket(hist, p)
        if bucket == 0:
            bound = hist.bounds[0]
            return Reading(
                measure,
                revision,
                value,
                count,
                unit,
                low=-math.inf,
                high=max(value, bound),
                note=f"in the histogram's underflow bucket: below {measure.format(bound)}",
                detail=detail,
            )
        if bucket == len(hist.bounds):
            bound = hist.bounds[-1]
            return Reading(
                measure,
                revision,
                value,
                count,
                unit,
                low=min(value, bound),
                high=math.inf,
                note=f"in the histogram's overflow bucket: at least {measure.format(bound)}",
                detail=detail,
            )
        return exact(measure, revision, value, count, unit, detail=detail)

    def _instances(self, measure: Measure, revision: str) -> Reading:
        agg = self._agg("ALIGN_MAX", "REDUCE_SUM", period=60)
        series = self._series(
            "instances per minute (peak)", revision, INSTANCE_COUNT, self.scope(revision), agg
        )
        values = [_number(p.value, s) for s in series for p in s.points]
        if not values:
            return exact(measure, revision, None, 0, "points")
        return exact(
            measure, revision, max(values), len(values), "points", detail={"per_minute": values[:60]}
        )

    def _custom(self, measure: Measure, revision: str) -> Reading:
        metric = self.params["metric"]
        metric_type = str(metric["type"])
        resource = str(metric.get("resource_type", RESOURCE))
        scope = self.scope(revision) if resource == RESOURCE else f'resource.type = "{_q(resource)}"'
        if metric.get("filter"):
            scope += f" AND ({metric['filter']})"
        reduce = str(metric.get("reduce", "sum"))
        aligner, reducer, combine = _CUSTOM[reduce]
        if reduce.startswith("p"):
            reading = self._percentile(measure, revision, metric_type, scope, float(reduce[1:]), "samples")
        else:
            series = self._series(
                f"{metric_type} {aligner} {reducer}",
                revision,
                metric_type,
                scope,
                self._agg(aligner, reducer),
            )
            values = [_number(p.value, s, distribution_count=True) for s in series for p in s.points]
            value = _combine(values, combine) if values else None
            reading = exact(measure, revision, value, len(values), "points")
        if reading.value is None and metric.get("absent") == "zero":
            return exact(
                measure,
                revision,
                0.0,
                0,
                "points",
                note=ABSENT_NOTE,
            )
        return reading


def rank_bucket(d: Distribution, p: float) -> int:
    """The bucket holding the p-th percentile's rank (0 = underflow, len(bounds) = overflow)."""
    rank = p / 100.0 * d.count
    cum = 0
    for i, c in enumerate(d.bucket_counts):
        if c and cum + c >= rank:
            return i
        cum += c
    return len(d.bucket_counts) - 1


def _q(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(v: Any, s: TimeSeries, *, distribution_count: bool = False) -> float:
    from gate.gcp.monitoring import Distribution

    if isinstance(v, Distribution):
        if distribution_count:
            return float(v.count)
        raise MissingFactError(f"{s.metric_type}: expected a number, Monitoring returned a distribution")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise MissingFactError(f"{s.metric_type}: expected a number, Monitoring returned {type(v).__name__}")
    if math.isnan(v):
        raise MissingFactError(f"{s.metric_type}: Monitoring returned NaN")
    return float(v)


def _sum_numbers(s: TimeSeries) -> float:
    return sum(_number(p.value, s) for p in s.points)


def _dist(v: Any, s: TimeSeries) -> Distribution:
    from gate.gcp.monitoring import Distribution

    if not isinstance(v, Distribution):
        raise MissingFactError(
            f"{s.metric_type}: expected a distribution, Monitoring returned {type(v).__name__}"
        )
    return v


def _merge(dists: list[Distribution]) -> Distribution | None:
    from gate.gcp.monitoring import Distribution

    live = [d for d in dists if d.count]
    if not live:
        return Distribution(0, 0.0, (), ()) if dists else None
    bounds = live[0].bounds
    if any(d.bounds != bounds for d in live):
        raise MissingFactError("Monitoring returned histograms with different buckets for one query")
    count = sum(d.count for d in live)
    return Distribution(
        count=count,
        mean=sum(d.mean * d.count for d in live) / count,
        bounds=bounds,
        bucket_counts=tuple(sum(c) for c in zip(*(d.bucket_counts for d in live), strict=True)),
    )


def _combine(values: list[float], how: str) -> float:
    if how == "sum":
        return sum(values)
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    return sum(values) / len(values)


__all__ = ["MEASURES", "Reader", "Reading", "Window", "rank_bucket"]
