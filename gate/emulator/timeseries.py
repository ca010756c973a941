"""Time series for the emulated Cloud Monitoring API: the world section and the aggregation.

World section (docs/WORLDS.md)::

    monitoring:
      timeSeries:                       # google.monitoring.v3.TimeSeries, as the API returns it
        - metric: {type: run.googleapis.com/request_count, labels: {response_code_class: 2xx}}
          resource: {type: cloud_run_revision, labels: {revision_name: ..., service_name: ...}}
          metricKind: DELTA
          valueType: INT64
          points:
            - interval: {startTime: -2m, endTime: -1m}   # relative to "now", or RFC 3339
              value: {int64Value: "120"}

Times may be RFC 3339 or relative to the moment a request is answered: ``now``
or ``-DURATION`` (``-90s``, ``-5m``, ``-1h30m``). Relative times are resolved
per request, so a world's traffic always "just happened", however long the
emulator has been running; absolute times stay where they are (a pasted real
answer ages out of a window like real data does).

Aggregation follows the documented semantics of ``Aggregation``
(monitoring.v3 discovery document) for what gate uses; see ``align`` and
``reduce``. Percentiles of distributions interpolate linearly inside the bucket
that holds the rank, the method Google documents in "Percentiles and
distribution-valued metrics" (cloud.google.com/monitoring/api/v3/distribution-metrics):
``bucket_low + (bucket_up - bucket_low) * (p - p_low) / (p_up - p_low)``.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gate import durations
from gate.emulator.yamlsource import Located, Path
from gate.errors import Diagnostic

KINDS = ("GAUGE", "DELTA", "CUMULATIVE")
VALUE_FIELDS = {
    "BOOL": "boolValue",
    "INT64": "int64Value",
    "DOUBLE": "doubleValue",
    "STRING": "stringValue",
    "DISTRIBUTION": "distributionValue",
}
NUMERIC = ("INT64", "DOUBLE")
_RELATIVE = re.compile(r"^(?:now|-(?P<d>(?:\d+(?:\.\d+)?(?:ms|s|m|h))+))$")
_PLACEHOLDER = "2000-01-01T00:00:00Z"


class QueryError(ValueError):
    """A request the API would refuse (400), or an aggregation the emulator does not implement."""


# -- values ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dist:
    count: int
    mean: float
    ssd: float  # sumOfSquaredDeviation
    bounds: tuple[float, ...]
    counts: tuple[int, ...]  # len(bounds) + 1
    options: Mapping[str, Any]  # the bucketOptions JSON, echoed back

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": str(self.count)}
        if self.count:
            out["mean"] = self.mean
            out["sumOfSquaredDeviation"] = self.ssd
            out["bucketOptions"] = copy.deepcopy(dict(self.options))
            out["bucketCounts"] = [str(c) for c in self.counts]
        return out


Value = int | float | bool | str | Dist


@dataclass(frozen=True)
class Pt:
    start: dt.datetime | None
    end: dt.datetime
    value: Value


@dataclass
class Series:
    metric_type: str
    metric_labels: dict[str, str]
    resource_type: str
    resource_labels: dict[str, str]
    kind: str
    value_type: str
    unit: str = ""
    points: list[Pt] = field(default_factory=list)

    # the filter's view of a series
    def type_of(self, root: str) -> str:
        return self.metric_type if root == "metric" else self.resource_type

    def labels_of(self, root: str) -> Mapping[str, str]:
        return self.metric_labels if root == "metric" else self.resource_labels

    def to_json(self, points: Iterable[Pt] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "metric": {
                "type": self.metric_type,
                **({"labels": dict(self.metric_labels)} if self.metric_labels else {}),
            },
            "resource": {
                "type": self.resource_type,
                **({"labels": dict(self.resource_labels)} if self.resource_labels else {}),
            },
            "metricKind": self.kind,
            "valueType": self.value_type,
        }
        pts = [_point_json(p, self.value_type) for p in (self.points if points is None else points)]
        if pts:
            out["points"] = pts
        if self.unit:
            out["unit"] = self.unit
        return out


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _point_json(p: Pt, value_type: str) -> dict[str, Any]:
    interval = {"endTime": _ts(p.end)}
    interval["startTime"] = _ts(p.start if p.start is not None else p.end)
    v = p.value
    if isinstance(v, Dist):
        value: Any = v.to_json()
    elif value_type == "INT64":
        value = str(int(v))
    else:
        value = v
    return {"interval": interval, "value": {VALUE_FIELDS[value_type]: value}}


# -- times -------------------------------------------------------------------------


def parse_time(text: Any, now: dt.datetime) -> dt.datetime:
    """An RFC 3339 timestamp, ``now``, or ``-DURATION`` before ``now``."""
    s = str(text).strip()
    m = _RELATIVE.match(s)
    if m:
        return now - dt.timedelta(seconds=durations.parse(m.group("d")) if m.group("d") else 0.0)
    return rfc3339(s)


def rfc3339(text: str) -> dt.datetime:
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    if "." in s:
        head, _, rest = s.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        s = f"{head}.{(digits + '000000')[:6]}{rest}"
    try:
        parsed = dt.datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"invalid timestamp {text!r}; use RFC 3339 like 2025-09-03T10:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    return parsed.astimezone(dt.timezone.utc)


def _is_relative(text: Any) -> bool:
    return isinstance(text, str) and bool(_RELATIVE.match(text.strip()))


# -- the world section ---------------------------------------------------------------


def parse_section(
    doc: Located, value: Any, errors: list[Diagnostic], proto_checks: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Validate ``monitoring:`` strictly; returns {"timeSeries": [raw items]} (times unresolved).
    ``proto_checks=False`` skips the TimeSeries message-type check only (see worldcache)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - {"timeSeries", "traffic"}:
        errors.append(doc.diag(("monitoring",), "expected a mapping with timeSeries and/or traffic"))
        return {}
    from gate.emulator import traffic_series

    traffic = traffic_series.parse(doc, value.get("traffic"), errors)
    items = value.get("timeSeries") or []
    if not isinstance(items, list):
        errors.append(doc.diag(("monitoring", "timeSeries"), "expected a list"))
        return {}
    from gate.emulator.protocheck import check
    from gate.narrow_import import import_attr

    message = import_attr("google.cloud.monitoring_v3.types.metric:TimeSeries").pb() if proto_checks else None
    now = dt.datetime.now(dt.timezone.utc)
    seen: dict[str, Path] = {}
    for i, item in enumerate(items):
        here: Path = ("monitoring", "timeSeries", i)
        problem = check(_with_placeholders(item), message, here) if message is not None else None
        if problem:
            errors.append(doc.diag(*problem))
            continue
        before = len(errors)
        _validate_series(doc, item, here, now, errors)
        if len(errors) > before:
            continue
        ident = json.dumps(_identity(item), sort_keys=True)
        if ident in seen:
            errors.append(
                doc.diag(here, f"duplicate time series (same metric and resource as {_dotted(seen[ident])})")
            )
        seen[ident] = here
    out: dict[str, list[dict[str, Any]]] = {"timeSeries": [x for x in items if isinstance(x, dict)]}
    if traffic:
        out["traffic"] = traffic  # series generated from the live traffic split (traffic_series)
    return out


def _dotted(path: Path) -> str:
    from gate.emulator.yamlsource import dotted

    return dotted(path)


def _with_placeholders(item: Any) -> Any:
    """The item with relative times replaced by a valid timestamp, for ParseDict."""
    if not isinstance(item, dict) or not isinstance(item.get("points"), list):
        return item
    out = dict(item)
    pts = []
    for p in item["points"]:
        if isinstance(p, dict) and isinstance(p.get("interval"), dict):
            interval = {k: (_PLACEHOLDER if _is_relative(v) else v) for k, v in p["interval"].items()}
            p = {**p, "interval": interval}
        pts.append(p)
    out["points"] = pts
    return out


def _identity(item: dict[str, Any]) -> list[Any]:
    metric = item.get("metric") or {}
    resource = item.get("resource") or {}
    return [
        metric.get("type"),
        metric.get("labels") or {},
        resource.get("type"),
        resource.get("labels") or {},
    ]


def _validate_series(
    doc: Located,
    item: dict[str, Any],
    here: Path,
    now: dt.datetime,
    errors: list[Diagnostic],
) -> None:
    options_seen: dict[str, tuple[Any, Path]] = {}  # one series keeps one bucket layout
    metric_type = (item.get("metric") or {}).get("type")
    if not metric_type:
        errors.append(
            doc.diag(
                (*here, "metric", "type"), "required: the metric type, e.g. run.googleapis.com/request_count"
            )
        )
    if not (item.get("resource") or {}).get("type"):
        errors.append(
            doc.diag(
                (*here, "resource", "type"), "required: the monitored resource type, e.g. cloud_run_revision"
            )
        )
    kind = item.get("metricKind")
    if kind not in KINDS:
        errors.append(doc.diag((*here, "metricKind"), f"required: one of {', '.join(KINDS)}"))
        return
    value_type = item.get("valueType")
    if value_type not in VALUE_FIELDS:
        errors.append(
            doc.diag(
                (*here, "valueType"), f"required: one of {', '.join(VALUE_FIELDS)} (MONEY is not served)"
            )
        )
        return
    want = VALUE_FIELDS[value_type]
    spans: list[tuple[dt.datetime, dt.datetime, Path]] = []
    for j, p in enumerate(item.get("points") or []):
        ph: Path = (*here, "points", j)
        interval = p.get("interval") or {}
        if "endTime" not in interval:
            errors.append(doc.diag((*ph, "interval", "endTime"), "required"))
            continue
        end = parse_time(interval["endTime"], now)
        start = parse_time(interval["startTime"], now) if "startTime" in interval else None
        # TimeInterval (discovery document): GAUGE points have startTime equal to endTime or
        # none; DELTA and CUMULATIVE points need a non-zero interval.
        if kind == "GAUGE" and start is not None and start != end:
            errors.append(
                doc.diag(
                    (*ph, "interval", "startTime"),
                    "a GAUGE point's startTime must equal its endTime (or be omitted)",
                )
            )
        if kind != "GAUGE":
            if start is None:
                errors.append(doc.diag((*ph, "interval", "startTime"), f"required for a {kind} point"))
                continue
            if start >= end:
                errors.append(doc.diag((*ph, "interval"), f"a {kind} point needs startTime before endTime"))
                continue
            if kind == "DELTA":
                spans.append((start, end, ph))
        fields = set((p.get("value") or {}).keys())
        if fields != {want}:
            errors.append(
                doc.diag(
                    (*ph, "value"),
                    f"a {value_type} series holds {want} values, got {', '.join(sorted(fields)) or 'none'}",
                )
            )
            continue
        if value_type == "DISTRIBUTION":
            _validate_distribution(
                doc, p["value"][want], (*ph, "value", want), errors, str(metric_type), options_seen
            )
    spans.sort()
    for (_, e1, _), (s2, _, p2) in itertools.pairwise(spans):
        if s2 < e1:
            errors.append(doc.diag((*p2, "interval"), "DELTA points of one series must not overlap"))


def _validate_distribution(
    doc: Located,
    d: dict[str, Any],
    here: Path,
    errors: list[Diagnostic],
    metric_type: str,
    options_seen: dict[str, tuple[Any, Path]],
) -> None:
    count = int(d.get("count") or 0)
    counts = [int(c) for c in d.get("bucketCounts") or []]
    if count == 0:
        if counts and any(counts):
            errors.append(doc.diag((*here, "bucketCounts"), "count is 0 but buckets are not empty"))
        return
    options = d.get("bucketOptions")
    if not options:
        errors.append(doc.diag((*here, "bucketOptions"), "required when count > 0 (Cloud Monitoring v3)"))
        return
    try:
        bounds = bounds_of(options)
    except QueryError as e:
        errors.append(doc.diag((*here, "bucketOptions"), str(e)))
        return
    if len(counts) > len(bounds) + 1:
        errors.append(
            doc.diag((*here, "bucketCounts"), f"{len(counts)} counts for {len(bounds) + 1} buckets")
        )
    elif sum(counts) != count:
        errors.append(
            doc.diag((*here, "bucketCounts"), f"bucket counts sum to {sum(counts)}, not count {count}")
        )
    seen = options_seen.get(metric_type)
    if seen is None:
        options_seen[metric_type] = (options, here)
    elif seen[0] != options:
        errors.append(
            doc.diag(
                (*here, "bucketOptions"),
                f"differs from the bucketOptions at {_dotted(seen[1])}: the points of one series "
                "share one bucket layout (the emulator merges them)",
            )
        )


def bounds_of(options: Mapping[str, Any]) -> tuple[float, ...]:
    """Finite bucket boundaries of a BucketOptions JSON (google/api/distribution.proto)."""
    if len(options) != 1:
        raise QueryError(
            "bucketOptions needs exactly one of linearBuckets, exponentialBuckets, explicitBuckets"
        )
    ((kind, spec),) = options.items()
    spec = spec or {}
    if kind == "explicitBuckets":
        bounds = tuple(float(b) for b in spec.get("bounds") or [])
        if not bounds or any(b2 <= b1 for b1, b2 in itertools.pairwise(bounds)):
            raise QueryError("explicitBuckets.bounds must be non-empty and strictly increasing")
        return bounds
    n = int(spec.get("numFiniteBuckets") or 0)
    if n <= 0:
        raise QueryError(f"{kind}.numFiniteBuckets must be greater than 0")
    if kind == "linearBuckets":
        width, offset = float(spec.get("width") or 0), float(spec.get("offset") or 0)
        if width <= 0:
            raise QueryError("linearBuckets.width must be greater than 0")
        return tuple(offset + width * i for i in range(n + 1))
    growth, scale = float(spec.get("growthFactor") or 0), float(spec.get("scale") or 0)
    if growth <= 1 or scale <= 0:
        raise QueryError("exponentialBuckets needs growthFactor > 1 and scale > 0")
    return tuple(scale * growth**i for i in range(n + 1))


# -- materialising a world's series at a moment ----------------------------------------


def materialise(items: list[dict[str, Any]], now: dt.datetime) -> list[Series]:
    out = []
    for item in items:
        metric, resource = item.get("metric") or {}, item.get("resource") or {}
        s = Series(
            metric_type=str(metric.get("type")),
            metric_labels={str(k): str(v) for k, v in (metric.get("labels") or {}).items()},
            resource_type=str(resource.get("type")),
            resource_labels={str(k): str(v) for k, v in (resource.get("labels") or {}).items()},
            kind=str(item["metricKind"]),
            value_type=str(item["valueType"]),
            unit=str(item.get("unit") or ""),
        )
        for p in item.get("points") or []:
            interval = p["interval"]
            end = parse_time(interval["endTime"], now)
            start = parse_time(interval["startTime"], now) if "startTime" in interval else None
            s.points.append(Pt(None if s.kind == "GAUGE" else start, end, _value(p["value"], s.value_type)))
        s.points.sort(key=lambda p: p.end, reverse=True)
        out.append(s)
    return out


def _value(v: Mapping[str, Any], value_type: str) -> Value:
    raw = v[VALUE_FIELDS[value_type]]
    if value_type == "INT64":
        return int(raw)
    if value_type == "DOUBLE":
        return float(raw)
    if value_type == "BOOL":
        return bool(raw)
    if value_type == "STRING":
        return str(raw)
    count = int(raw.get("count") or 0)
    if count == 0:
        return Dist(0, 0.0, 0.0, (), (), {})
    options = raw["bucketOptions"]
    bounds = bounds_of(options)
    counts = [int(c) for c in raw.get("bucketCounts") or []]
    counts += [0] * (len(bounds) + 1 - len(counts))
    return Dist(
        count,
        float(raw.get("mean") or 0.0),
        float(raw.get("sumOfSquaredDeviation") or 0.0),
        bounds,
        tuple(counts),
        options,
    )


# -- aggregation -------------------------------------------------------------------


@dataclass(frozen=True)
class Aggregation:
    period: float  # seconds
    aligner: str
    reducer: str = "REDUCE_NONE"
    group_by: tuple[str, ...] = ()


PERCENTILES = {"99": 99.0, "95": 95.0, "50": 50.0, "05": 5.0}


def select(
    series: list[Series], keep: Callable[[Series], bool], start: dt.datetime, end: dt.datetime
) -> list[Series]:
    """Raw read: the matching series' points with endTime in (start, end]."""
    out = []
    for s in series:
        if keep(s):
            out.append(replace(s, points=[p for p in s.points if start < p.end <= end]))
    return out


def aggregate(series: list[Series], start: dt.datetime, end: dt.datetime, agg: Aggregation) -> list[Series]:
    """Align every series, then reduce across series (group by ``group_by``)."""
    aligned = [align(s, start, end, agg.period, agg.aligner) for s in series]
    if agg.reducer == "REDUCE_NONE":
        return aligned
    return reduce(aligned, agg.reducer, agg.group_by)


def periods(start: dt.datetime, end: dt.datetime, period: float) -> list[tuple[dt.datetime, dt.datetime]]:
    """The alignment periods of a read, newest first: ``(end - (k+1)P, end - kP]`` while they
    end after ``start``. The emulator anchors periods at the interval's end time."""
    out = []
    step = dt.timedelta(seconds=period)
    pe = end
    while pe > start:
        out.append((pe - step, pe))
        pe -= step
    return out


def _check_aligner(s: Series, aligner: str) -> None:
    kind, vt = s.kind, s.value_type
    ok: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
        "ALIGN_DELTA": (("DELTA", "CUMULATIVE"), ("INT64", "DOUBLE", "DISTRIBUTION")),
        "ALIGN_RATE": (("DELTA", "CUMULATIVE"), NUMERIC),
        "ALIGN_SUM": (("GAUGE", "DELTA"), ("INT64", "DOUBLE", "DISTRIBUTION")),
        "ALIGN_MEAN": (("GAUGE", "DELTA"), NUMERIC),
        "ALIGN_MIN": (("GAUGE", "DELTA"), NUMERIC),
        "ALIGN_MAX": (("GAUGE", "DELTA"), NUMERIC),
        "ALIGN_COUNT": (("GAUGE", "DELTA"), (*NUMERIC, "BOOL")),
        **{f"ALIGN_PERCENTILE_{k}": (("GAUGE", "DELTA"), ("DISTRIBUTION",)) for k in PERCENTILES},
    }
    if aligner not in ok:
        raise QueryError(f"the emulator does not implement the aligner {aligner}")
    kinds, types = ok[aligner]
    if kind not in kinds or vt not in types:
        raise QueryError(
            f"The aligner {aligner} cannot be applied to metrics with kind {kind} and value type {vt}."
        )
    if kind == "CUMULATIVE" and vt == "DISTRIBUTION":
        raise QueryError("the emulator does not align CUMULATIVE distributions")


def align(s: Series, start: dt.datetime, end: dt.datetime, period: float, aligner: str) -> Series:
    _check_aligner(s, aligner)
    out_kind, out_type = s.kind, s.value_type
    if aligner == "ALIGN_DELTA":
        out_kind = "DELTA"
    elif aligner in ("ALIGN_RATE", "ALIGN_MEAN") or aligner.startswith("ALIGN_PERCENTILE_"):
        out_kind, out_type = "GAUGE", "DOUBLE"
    elif aligner in ("ALIGN_MIN", "ALIGN_MAX"):
        out_kind = "GAUGE"
    elif aligner == "ALIGN_COUNT":
        out_kind, out_type = "GAUGE", "INT64"
    points: list[Pt] = []
    for ps, pe in periods(start, end, period):
        # A period that reaches back past the interval's start still reads only the interval.
        inside = [p for p in s.points if max(ps, start) < p.end <= pe]
        if not inside:
            continue  # the emulator does not interpolate empty periods: no point
        value = _aligned(s, inside, ps, aligner, period)
        if value is None:
            continue
        points.append(Pt(ps if out_kind != "GAUGE" else None, pe, value))
    return replace(s, kind=out_kind, value_type=out_type, points=points)


def _aligned(s: Series, inside: list[Pt], ps: dt.datetime, aligner: str, period: float) -> Value | None:
    values = [p.value for p in inside]
    if aligner in ("ALIGN_DELTA", "ALIGN_RATE"):
        delta = _cumulative_delta(s, inside, ps) if s.kind == "CUMULATIVE" else _sum(values)
        if aligner == "ALIGN_RATE":
            return _num(delta) / period
        return delta
    if aligner == "ALIGN_SUM":
        return _sum(values)
    if aligner.startswith("ALIGN_PERCENTILE_"):
        merged = merge([v for v in values if isinstance(v, Dist)])
        return dist_percentile(merged, PERCENTILES[aligner.rsplit("_", 1)[1]])
    nums = [_num(v) for v in values]
    if aligner == "ALIGN_MEAN":
        return sum(nums) / len(nums)
    if aligner == "ALIGN_MIN":
        return _typed(min(nums), s.value_type)
    if aligner == "ALIGN_MAX":
        return _typed(max(nums), s.value_type)
    return len(values)  # ALIGN_COUNT


def _num(v: Value) -> float:
    if isinstance(v, (Dist, str)):
        raise QueryError("a numeric operation on a non-numeric value")
    return float(v)


def _typed(v: float, value_type: str) -> Value:
    return int(v) if value_type == "INT64" else v


def _cumulative_delta(s: Series, inside: list[Pt], ps: dt.datetime) -> Value:
    """y1 - y0: the newest value in the period minus the last value at or before its start
    (same cumulative start time); after a reset, the value accumulated since the reset."""
    last = inside[0]  # newest first
    before = [p for p in s.points if p.end <= ps and p.start == last.start]
    if before:
        base = _num(before[0].value)
    elif last.start is not None and last.start >= ps:
        base = 0.0
    else:
        base = _num(inside[-1].value)
    return _typed(_num(last.value) - base, s.value_type)


def _sum(values: list[Value]) -> Value:
    if values and isinstance(values[0], Dist):
        return merge([v for v in values if isinstance(v, Dist)])
    total = sum(_num(v) for v in values)
    return int(total) if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else total


def merge(dists: list[Dist]) -> Dist:
    """Sum of distributions (same buckets): counts add, mean and squared deviation combine."""
    live = [d for d in dists if d.count]
    if not live:
        return Dist(0, 0.0, 0.0, (), (), {})
    first = live[0]
    for d in live[1:]:
        if d.bounds != first.bounds:
            raise QueryError("the emulator cannot merge distributions with different bucket options")
    count = sum(d.count for d in live)
    mean = sum(d.mean * d.count for d in live) / count
    # Parallel combination of squared deviations (Chan et al.).
    ssd = sum(d.ssd + d.count * (d.mean - mean) ** 2 for d in live)
    counts = tuple(sum(col) for col in zip(*(d.counts for d in live), strict=True))
    return Dist(count, mean, ssd, first.bounds, counts, first.options)


def dist_percentile(d: Dist, p: float) -> float | None:
    """The p-th percentile of a histogram, interpolated linearly inside its bucket.

    Google's documented rule: find the bucket whose percentile range [p_low, p_up]
    holds p, then ``bucket_low + (bucket_up - bucket_low) * (p - p_low) / (p_up - p_low)``.
    In the underflow or overflow bucket (one infinite bound) the emulator answers the
    finite bound; Google does not document those cases. An empty distribution has none.
    """
    if d.count == 0:
        return None
    rank = p / 100.0 * d.count
    cum = 0
    last = len(d.counts) - 1
    for i, c in enumerate(d.counts):
        if c == 0:
            continue
        if cum + c >= rank:
            if i == 0:
                return d.bounds[0]
            if i == last:
                return d.bounds[-1]
            low, up = d.bounds[i - 1], d.bounds[i]
            return low + (up - low) * (rank - cum) / c
        cum += c
    return d.bounds[-1]  # not reached: the counts sum to the count


def _numeric_percentile(values: list[float], p: float) -> float:
    # Between closest ranks (linear interpolation, like numpy's default); Google does not
    # document the method for numeric values.
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = p / 100.0 * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _group_key(s: Series, fields: tuple[str, ...]) -> tuple[Any, ...]:
    out: list[Any] = [s.resource_type]
    for f in fields:
        out.append(_field(s, f))
    return tuple(out)


_FIELD = re.compile(r"^(metric|resource)\.(?:(type)|labels?\.([A-Za-z_][A-Za-z0-9_./-]*))$")


def check_group_by(fields: tuple[str, ...]) -> None:
    for f in fields:
        if not _FIELD.match(f):
            raise QueryError(
                f"the emulator groups by metric.labels.NAME, resource.labels.NAME or resource.type, not {f!r}"
            )


def _field(s: Series, f: str) -> str | None:
    m = _FIELD.match(f)
    assert m is not None  # checked by check_group_by
    if m.group(2):
        return s.type_of(m.group(1))
    return s.labels_of(m.group(1)).get(m.group(3))


_REDUCERS = (
    "REDUCE_SUM",
    "REDUCE_MEAN",
    "REDUCE_MIN",
    "REDUCE_MAX",
    "REDUCE_COUNT",
    *(f"REDUCE_PERCENTILE_{k}" for k in PERCENTILES),
)


def reduce(aligned: list[Series], reducer: str, group_by: tuple[str, ...]) -> list[Series]:
    """Combine aligned series per group; the output keeps only the grouped labels."""
    if reducer not in _REDUCERS:
        raise QueryError(f"the emulator does not implement the reducer {reducer}")
    groups: dict[tuple[Any, ...], list[Series]] = {}
    for s in aligned:
        if s.kind == "CUMULATIVE":
            raise QueryError(
                "a cross-series reducer needs DELTA or GAUGE input; align CUMULATIVE metrics first"
            )
        if reducer in ("REDUCE_MIN", "REDUCE_MAX") and s.value_type not in NUMERIC:
            raise QueryError(f"The reducer {reducer} cannot be applied to value type {s.value_type}.")
        groups.setdefault(_group_key(s, group_by), []).append(s)
    out = []
    for members in groups.values():
        first = members[0]
        metric_labels = {
            f.split(".", 2)[2]: first.metric_labels[f.split(".", 2)[2]]
            for f in group_by
            if f.startswith("metric.label") and f.split(".", 2)[2] in first.metric_labels
        }
        resource_labels = {
            f.split(".", 2)[2]: first.resource_labels[f.split(".", 2)[2]]
            for f in group_by
            if f.startswith("resource.label") and f.split(".", 2)[2] in first.resource_labels
        }
        by_end: dict[dt.datetime, list[Pt]] = {}
        for s in members:
            for p in s.points:
                by_end.setdefault(p.end, []).append(p)
        kind, value_type = first.kind, first.value_type
        if reducer == "REDUCE_COUNT":
            value_type = "INT64"
        elif reducer == "REDUCE_MEAN" or reducer.startswith("REDUCE_PERCENTILE_"):
            kind, value_type = "GAUGE", "DOUBLE"
        points = []
        for end in sorted(by_end, reverse=True):
            pts = by_end[end]
            value = _reduced([p.value for p in pts], reducer, first.value_type)
            if value is not None:
                points.append(Pt(pts[0].start if kind != "GAUGE" else None, end, value))
        out.append(
            Series(
                metric_type=first.metric_type,
                metric_labels=metric_labels,
                resource_type=first.resource_type,
                resource_labels=resource_labels,
                kind=kind,
                value_type=value_type,
                unit=first.unit,
                points=points,
            )
        )
    return out


def _reduced(values: list[Value], reducer: str, value_type: str) -> Value | None:
    if reducer == "REDUCE_COUNT":
        return len(values)
    if reducer == "REDUCE_SUM":
        return _sum(values)
    dists = [v for v in values if isinstance(v, Dist)]
    if reducer.startswith("REDUCE_PERCENTILE_"):
        p = PERCENTILES[reducer.rsplit("_", 1)[1]]
        if dists:
            return dist_percentile(merge(dists), p)
        return _numeric_percentile([_num(v) for v in values], p)
    if reducer == "REDUCE_MEAN":
        if dists:
            merged = merge(dists)
            return merged.mean if merged.count else None
        return sum(_num(v) for v in values) / len(values)
    nums = [_num(v) for v in values]
    return _typed(min(nums) if reducer == "REDUCE_MIN" else max(nums), value_type)
