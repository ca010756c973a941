"""Cloud Monitoring API v3: ``projects.timeSeries.list`` (``GET /v3/projects/P/timeSeries``).

google-cloud-monitoring has no REST transport (its clients are gRPC only, and
gate talks REST everywhere, the emulator included), so the request is sent over
the transport's authorized session exactly as the discovery document
(monitoring.v3.json) describes it, and the answer is parsed into that library's
own message type (``ListTimeSeriesResponse``) before it becomes facts.

Read semantics the checks rely on (monitoring.v3 discovery document):

- the interval of a read is half-open, ``(startTime, endTime]``;
- with an aligner other than ALIGN_NONE, ``alignmentPeriod`` is required and at
  least 60 s; a cross-series reducer needs an aligner;
- points come newest first; ``pageSize`` counts points, so one series may be
  continued on the next page: pages are merged here by series identity;
- ``executionErrors`` (and ``unreachable`` regions) mean the data may be
  incomplete: that is an error, never a partial answer.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gate.errors import ApiError, MissingFactError
from gate.gcp.facts import rfc3339
from gate.gcp.transport.paging import pages

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport

PAGE_SIZE = 10_000  # points per page; the API's own default and maximum is 100,000
MIN_ALIGNMENT_S = 60  # documented minimum of aggregation.alignmentPeriod

ALIGNERS = (
    "ALIGN_NONE",
    "ALIGN_DELTA",
    "ALIGN_RATE",
    "ALIGN_INTERPOLATE",
    "ALIGN_NEXT_OLDER",
    "ALIGN_MIN",
    "ALIGN_MAX",
    "ALIGN_MEAN",
    "ALIGN_COUNT",
    "ALIGN_SUM",
    "ALIGN_STDDEV",
    "ALIGN_COUNT_TRUE",
    "ALIGN_COUNT_FALSE",
    "ALIGN_FRACTION_TRUE",
    "ALIGN_PERCENTILE_99",
    "ALIGN_PERCENTILE_95",
    "ALIGN_PERCENTILE_50",
    "ALIGN_PERCENTILE_05",
    "ALIGN_PERCENT_CHANGE",
)
REDUCERS = (
    "REDUCE_NONE",
    "REDUCE_MEAN",
    "REDUCE_MIN",
    "REDUCE_MAX",
    "REDUCE_SUM",
    "REDUCE_STDDEV",
    "REDUCE_COUNT",
    "REDUCE_COUNT_TRUE",
    "REDUCE_COUNT_FALSE",
    "REDUCE_FRACTION_TRUE",
    "REDUCE_PERCENTILE_99",
    "REDUCE_PERCENTILE_95",
    "REDUCE_PERCENTILE_50",
    "REDUCE_PERCENTILE_05",
)


@dataclass(frozen=True)
class Aggregation:
    """``aggregation.*`` of a timeSeries.list request."""

    alignment_period_s: int
    per_series_aligner: str
    cross_series_reducer: str = "REDUCE_NONE"
    group_by_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.per_series_aligner not in ALIGNERS:
            raise ValueError(f"unknown aligner {self.per_series_aligner}")
        if self.cross_series_reducer not in REDUCERS:
            raise ValueError(f"unknown reducer {self.cross_series_reducer}")
        if self.per_series_aligner != "ALIGN_NONE" and self.alignment_period_s < MIN_ALIGNMENT_S:
            raise ValueError(f"alignment period must be at least {MIN_ALIGNMENT_S}s")

    def query(self) -> list[tuple[str, str]]:
        out = [
            ("aggregation.alignmentPeriod", f"{self.alignment_period_s}s"),
            ("aggregation.perSeriesAligner", self.per_series_aligner),
        ]
        if self.cross_series_reducer != "REDUCE_NONE":
            out.append(("aggregation.crossSeriesReducer", self.cross_series_reducer))
            out.extend(("aggregation.groupByFields", f) for f in self.group_by_fields)
        return out

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "alignmentPeriod": f"{self.alignment_period_s}s",
            "perSeriesAligner": self.per_series_aligner,
        }
        if self.cross_series_reducer != "REDUCE_NONE":
            out["crossSeriesReducer"] = self.cross_series_reducer
            if self.group_by_fields:
                out["groupByFields"] = list(self.group_by_fields)
        return out


@dataclass(frozen=True)
class Distribution:
    """A Distribution value; ``bounds`` are the finite bucket boundaries, expanded from
    the bucket options (bucket 0 is the underflow (-inf, bounds[0]), the last bucket the
    overflow [bounds[-1], +inf)); ``bucket_counts`` has ``len(bounds) + 1`` entries."""

    count: int
    mean: float
    bounds: tuple[float, ...]
    bucket_counts: tuple[int, ...]


Value = int | float | bool | str | Distribution


@dataclass(frozen=True)
class Point:
    end: dt.datetime
    value: Value
    start: dt.datetime | None = None  # absent for GAUGE points


@dataclass(frozen=True)
class TimeSeries:
    metric_type: str
    resource_type: str
    metric_kind: str  # GAUGE / DELTA / CUMULATIVE
    value_type: str  # BOOL / INT64 / DOUBLE / STRING / DISTRIBUTION / MONEY
    points: tuple[Point, ...]  # newest first, as the API returns them
    metric_labels: Mapping[str, str] = field(default_factory=dict)
    resource_labels: Mapping[str, str] = field(default_factory=dict)
    unit: str = ""

    def label(self, key: str) -> str | None:
        """``metric.labels.X`` / ``resource.labels.X`` (also the singular ``label`` form)."""
        root, _, rest = key.partition(".")
        _, _, name = rest.partition(".")
        if root == "metric":
            return self.metric_labels.get(name)
        if root == "resource":
            return self.resource_type if rest == "type" else self.resource_labels.get(name)
        return None


class MonitoringProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def time_series(
        self,
        filter: str,
        *,
        start: dt.datetime,
        end: dt.datetime,
        aggregation: Aggregation | None,
        deadline: float,
        page_size: int = PAGE_SIZE,
        fresh: bool = True,
    ) -> tuple[TimeSeries, ...]:
        """Every series matching ``filter`` in ``(start, end]``, aggregated as asked.

        Fresh by default: metrics keep arriving while a check polls.
        """
        if end <= start:
            raise ValueError("end must be after start")
        if page_size <= 0:
            raise ValueError("page_size must be positive")
        resource = f"projects/{self.transport.project}"
        params: list[tuple[str, str]] = [
            ("filter", filter),
            ("interval.startTime", rfc3339(start)),
            ("interval.endTime", rfc3339(end)),
            ("view", "FULL"),
            ("pageSize", str(page_size)),
        ]
        if aggregation is not None:
            params.extend(aggregation.query())
        key = ("monitoring.timeSeries", resource, tuple(params))
        return self.transport.fetch(
            key, lambda dl: self._list(resource, params, dl), deadline=deadline, fresh=fresh
        )

    def _list(self, resource: str, params: list[tuple[str, str]], deadline: float) -> tuple[TimeSeries, ...]:
        session = self.transport.client("monitoring")
        url = self.transport.session_url("monitoring", f"/v3/{resource}/timeSeries")
        identity = f"{resource} timeSeries {json.dumps(params)}"

        def fetch(token: str, timeout: float) -> Any:
            query = [*params, ("pageToken", token)] if token else params
            return _get(session, url, query, timeout)

        merged: dict[tuple[Any, ...], list[Any]] = {}
        order: list[tuple[Any, ...]] = []
        for page in pages(
            _Identified(self.transport, identity),
            "monitoring",
            "timeSeries.list",
            fetch,
            deadline=deadline,
            resource=resource,
            permission="monitoring.timeSeries.list",
        ):
            _complete(page, resource)
            for ts in page.time_series:
                ident = _identity(ts)
                if ident not in merged:
                    merged[ident] = []
                    order.append(ident)
                merged[ident].append(ts)
        return tuple(parse_series(merged[i], resource) for i in order)


class _Identified:
    """``Transport.call`` with a per-query identity, so stats tell queries of one project apart."""

    def __init__(self, transport: Transport, identity: str) -> None:
        self.transport = transport
        self.identity = identity

    def call(self, api: str, method: str, fn: Any, *, deadline: float, resource: str, permission: str) -> Any:
        return self.transport.call(
            api,
            method,
            fn,
            deadline=deadline,
            resource=resource,
            permission=permission,
            identity=self.identity,
        )


def _get(session: Any, url: str, query: list[tuple[str, str]], timeout: float) -> Any:
    from google.api_core import exceptions as gexc
    from google.protobuf import json_format

    from gate.narrow_import import import_attr

    response = session.get(url, params=query, timeout=timeout)
    if response.status_code >= 400:
        raise gexc.from_http_response(response)  # type: ignore[no-untyped-call]
    data = response.json()  # json.JSONDecodeError on a malformed body: mapped by call()
    if not isinstance(data, dict):
        raise json.JSONDecodeError("expected a JSON object", response.text[:50], 0)
    message = import_attr("google.cloud.monitoring_v3.types.metric_service:ListTimeSeriesResponse").pb()()
    # Unknown fields are ignored (newer API versions add some); an unknown enum name
    # becomes *_UNSPECIFIED, which parse_series refuses.
    json_format.ParseDict(data, message, ignore_unknown_fields=True)
    return _Page(message, tuple(str(r) for r in data.get("unreachable") or ()))


@dataclass(frozen=True)
class _Page:
    message: Any  # ListTimeSeriesResponse (protobuf)
    unreachable: tuple[str, ...]

    @property
    def next_page_token(self) -> str:
        return str(self.message.next_page_token)

    @property
    def time_series(self) -> Any:
        return self.message.time_series


def _complete(page: _Page, resource: str) -> None:
    errors = [f"{e.message} (code {e.code})" for e in page.message.execution_errors]
    if page.unreachable:
        errors.append(f"unreachable regions: {', '.join(page.unreachable)}")
    if errors:
        raise ApiError(
            "monitoring",
            "timeSeries.list: the API reports the data may be incomplete: " + "; ".join(errors)[:500],
            resource=resource,
        )


def _identity(ts: Any) -> tuple[Any, ...]:
    return (
        ts.metric.type,
        tuple(sorted(ts.metric.labels.items())),
        ts.resource.type,
        tuple(sorted(ts.resource.labels.items())),
        ts.metric_kind,
        ts.value_type,
    )


def parse_series(parts: list[Any], resource: str) -> TimeSeries:
    """One series from its page parts (a series may continue on the next page)."""
    from google.api import metric_pb2

    first = parts[0]
    kinds = metric_pb2.MetricDescriptor.MetricKind
    types = metric_pb2.MetricDescriptor.ValueType
    what = f"{resource}: time series {first.metric.type or '?'}"
    kind = kinds.Name(first.metric_kind) if first.metric_kind in kinds.values() else ""
    value_type = types.Name(first.value_type) if first.value_type in types.values() else ""
    if not first.metric.type:
        raise MissingFactError(f"{resource}: a time series without metric.type")
    if kind in ("", "METRIC_KIND_UNSPECIFIED"):
        raise MissingFactError(f"{what}: no (known) metricKind")
    if value_type in ("", "VALUE_TYPE_UNSPECIFIED"):
        raise MissingFactError(f"{what}: no (known) valueType")
    points = tuple(_point(p, value_type, what) for part in parts for p in part.points)
    return TimeSeries(
        metric_type=first.metric.type,
        resource_type=first.resource.type,
        metric_kind=kind,
        value_type=value_type,
        points=tuple(sorted(points, key=lambda p: p.end, reverse=True)),
        metric_labels=dict(first.metric.labels),
        resource_labels=dict(first.resource.labels),
        unit=first.unit,
    )


def _time(ts: Any) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        seconds=ts.seconds, microseconds=ts.nanos // 1000
    )


def _point(p: Any, value_type: str, what: str) -> Point:
    if not p.HasField("interval") or not p.interval.HasField("end_time"):
        raise MissingFactError(f"{what}: a point without interval.endTime")
    start = _time(p.interval.start_time) if p.interval.HasField("start_time") else None
    return Point(end=_time(p.interval.end_time), start=start, value=_value(p.value, value_type, what))


_ONEOF = {
    "BOOL": "bool_value",
    "INT64": "int64_value",
    "DOUBLE": "double_value",
    "STRING": "string_value",
    "DISTRIBUTION": "distribution_value",
}


def _value(v: Any, value_type: str, what: str) -> Value:
    which = v.WhichOneof("value")
    want = _ONEOF.get(value_type)
    if want is None:
        raise MissingFactError(f"{what}: value type {value_type} is not one gate reads")
    if which != want:
        raise MissingFactError(f"{what}: a {value_type} series has a point holding {which or 'no value'}")
    if which == "distribution_value":
        return parse_distribution(v.distribution_value, what)
    value: Value = getattr(v, which)
    return value


def bucket_bounds(options: Any, what: str) -> tuple[float, ...]:
    """Finite bucket boundaries of BucketOptions (google/api/distribution.proto formulas)."""
    which = options.WhichOneof("options")
    if which == "explicit_buckets":
        bounds = tuple(float(b) for b in options.explicit_buckets.bounds)
        if not bounds or any(b2 <= b1 for b1, b2 in itertools.pairwise(bounds)):
            raise MissingFactError(f"{what}: explicit bucket bounds are empty or not increasing")
        return bounds
    if which == "linear_buckets":
        lin = options.linear_buckets
        if lin.num_finite_buckets <= 0 or lin.width <= 0:
            raise MissingFactError(f"{what}: invalid linear bucket options")
        # Upper bound of bucket i (0 <= i < N-1): offset + width * i.
        return tuple(lin.offset + lin.width * i for i in range(lin.num_finite_buckets + 1))
    if which == "exponential_buckets":
        exp = options.exponential_buckets
        if exp.num_finite_buckets <= 0 or exp.growth_factor <= 1 or exp.scale <= 0:
            raise MissingFactError(f"{what}: invalid exponential bucket options")
        # Upper bound of bucket i (0 <= i < N-1): scale * growth_factor ^ i.
        return tuple(exp.scale * exp.growth_factor**i for i in range(exp.num_finite_buckets + 1))
    raise MissingFactError(f"{what}: a distribution without bucket options")


def parse_distribution(d: Any, what: str) -> Distribution:
    count = int(d.count)
    if count == 0:
        return Distribution(count=0, mean=0.0, bounds=(), bucket_counts=())
    bounds = bucket_bounds(d.bucket_options, what) if d.HasField("bucket_options") else ()
    counts = [int(c) for c in d.bucket_counts]
    if not bounds or not counts:
        raise MissingFactError(f"{what}: a distribution with count {count} but no histogram")
    if len(counts) > len(bounds) + 1:
        raise MissingFactError(f"{what}: more bucket counts than buckets")
    counts += [0] * (len(bounds) + 1 - len(counts))  # missing trailing buckets count zero
    if sum(counts) != count:
        raise MissingFactError(f"{what}: bucket counts sum to {sum(counts)}, not the count {count}")
    return Distribution(count=count, mean=float(d.mean), bounds=bounds, bucket_counts=tuple(counts))
