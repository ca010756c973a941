"""Cloud Monitoring API v3: ``GET /v3/projects/{project}/timeSeries`` (projects.timeSeries.list).

Query parameters as the discovery document names them (monitoring.v3.json):
``filter``, ``interval.startTime``/``interval.endTime`` (a read interval is
``(startTime, endTime]``; the start defaults to the end), ``aggregation.*``,
``view`` (FULL / HEADERS), ``orderBy`` (must be blank), ``pageSize`` (points
per page under FULL, series under HEADERS; default and maximum 100,000) and
``pageToken``. Points come newest first; a series may continue on the next page.
Enum parameters are accepted by name or number, as Google's REST front ends do.
What the emulator does not evaluate (filter syntax beyond the subset in
gate.emulator.metricfilter, secondaryAggregation, some aligners/reducers) is
a 400 that says so, never a guess.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from gate.emulator import metricfilter, timeseries, traffic_series
from gate.emulator.state import State, route
from gate.emulator.wire import ApiFailure, Request, Response

_KNOWN = {
    "filter",
    "interval.startTime",
    "interval.endTime",
    "aggregation.alignmentPeriod",
    "aggregation.perSeriesAligner",
    "aggregation.crossSeriesReducer",
    "aggregation.groupByFields",
    "orderBy",
    "view",
    "pageSize",
    "pageToken",
    "$alt",
    "alt",
    "prettyPrint",
}
MAX_PAGE = 100_000
MAX_ALIGNMENT_S = 104 * 7 * 24 * 3600  # 104 weeks, the documented maximum


def _bad(message: str) -> ApiFailure:
    return ApiFailure(400, message)


def _enums(name: str) -> dict[int, str]:
    """number -> name of an enum of the official message types (numbers are not contiguous)."""
    from gate.narrow_import import narrow_import

    types = "google.cloud.monitoring_v3.types"
    common, metric_service = narrow_import(f"{types}.common"), narrow_import(f"{types}.metric_service")
    enum: Any = {
        "aligner": common.Aggregation.Aligner,
        "reducer": common.Aggregation.Reducer,
        "view": metric_service.ListTimeSeriesRequest.TimeSeriesView,
    }[name]
    return {int(e.value): str(e.name) for e in enum}


def _enum(req: Request, param: str, enum: str, default: str) -> str:
    values = _enums(enum)
    raw = req.arg(param, default) or default
    if raw.lstrip("-").isdigit() and int(raw) in values:
        return values[int(raw)]
    if raw not in values.values():
        expected = ", ".join(values.values())
        raise _bad(f"Invalid value at '{param.split('.')[-1]}' ({raw!r}); expected one of {expected}")
    return raw


def _period(req: Request) -> float | None:
    raw = req.arg("aggregation.alignmentPeriod")
    if not raw:
        return None
    try:
        if not raw.endswith("s"):
            raise ValueError
        seconds = float(raw[:-1])
    except ValueError:
        raise _bad(
            f"Invalid value at 'aggregation.alignment_period' ({raw!r}); expected a duration like 300s"
        ) from None
    return seconds


def _aggregation(req: Request) -> timeseries.Aggregation | None:
    aligner = _enum(req, "aggregation.perSeriesAligner", "aligner", "ALIGN_NONE")
    reducer = _enum(req, "aggregation.crossSeriesReducer", "reducer", "REDUCE_NONE")
    group_by = tuple(req.query.get("aggregation.groupByFields", []))
    period = _period(req)
    if reducer != "REDUCE_NONE" and aligner == "ALIGN_NONE":
        raise _bad("The cross-series reducer requires a per-series aligner other than ALIGN_NONE.")
    if aligner == "ALIGN_NONE":
        return None  # alignmentPeriod is ignored without an aligner
    if period is None:
        raise _bad("The alignment period is required when a per-series aligner is specified.")
    if period < 60:
        raise _bad(f"The alignment period must be at least 60 seconds; got {period:g}s.")
    if period > MAX_ALIGNMENT_S:
        raise _bad("The alignment period must be at most 104 weeks.")
    try:
        timeseries.check_group_by(group_by)
    except timeseries.QueryError as e:
        raise _bad(str(e)) from None
    return timeseries.Aggregation(period, aligner, reducer, group_by if reducer != "REDUCE_NONE" else ())


def _token(series: int, point: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([series, point]).encode()).decode().rstrip("=")


def _untoken(token: str) -> tuple[int, int]:
    if not token:
        return 0, 0
    try:
        s, p = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if isinstance(s, int) and isinstance(p, int) and s >= 0 and p >= 0:
            return s, p
    except (ValueError, TypeError):
        pass
    raise _bad(f"Invalid page token: {token!r}")


@route("monitoring", "GET", "/v3/projects/{project}/timeSeries", "monitoring.timeSeries.list")
def list_time_series(state: State, req: Request, project: str) -> Response:
    unknown = sorted(set(req.query) - _KNOWN)
    if unknown:
        raise _bad(
            f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot bind query parameter.'
        )
    if req.arg("orderBy"):
        raise _bad("orderBy is unsupported and must be left blank.")
    text = req.arg("filter")
    if not text:
        raise _bad("Field filter had an invalid value: a filter is required.")
    try:
        keep = metricfilter.parse(text)
    except metricfilter.FilterError as e:
        raise _bad(f"Field filter had an invalid value of {text!r}: {e}") from None
    if not req.arg("interval.endTime"):
        raise _bad("Field interval.endTime is required.")
    try:
        end = timeseries.rfc3339(req.arg("interval.endTime"))
        start = timeseries.rfc3339(req.arg("interval.startTime")) if req.arg("interval.startTime") else end
    except ValueError as e:
        raise _bad(str(e)) from None
    if start > end:
        raise _bad("Field interval.startTime must not be later than interval.endTime.")
    view = _enum(req, "view", "view", "FULL")
    raw_size = req.arg("pageSize", "0") or "0"
    try:
        size = int(raw_size)
    except ValueError:
        raise _bad(f"Invalid value at 'page_size' ({raw_size!r})") from None
    if size < 0:
        raise _bad("pageSize must be positive.")
    size = min(size or MAX_PAGE, MAX_PAGE)
    agg = _aggregation(req)

    if not state.same_project(project, state.world.project):
        return Response(200, {}, list_key="timeSeries")
    now = state.clock()
    with state.lock:
        items = list(state.items("monitoring", "timeSeries"))
        model = state.items("monitoring", "traffic")
        if model:
            # Request metrics that follow the live traffic split (docs/WORLDS.md, monitoring.traffic).
            services = state.items("run", "services")
            items += traffic_series.generate(model, services, state.world.project, now)
    world = timeseries.materialise(items, now)
    chosen = timeseries.select(world, keep, start, end) if agg is None else [s for s in world if keep(s)]
    try:
        result = chosen if agg is None else timeseries.aggregate(chosen, start, end, agg)
    except timeseries.QueryError as e:
        raise _bad(str(e)) from None
    # Series with no point in the interval are not returned.
    result = [s for s in result if s.points]
    return _page(result, view, size, req.arg("pageToken"))


def _page(result: list[timeseries.Series], view: str, size: int, token: str) -> Response:
    si, pi = _untoken(token)
    body: dict[str, Any] = {}
    out: list[dict[str, Any]] = []
    if view == "HEADERS":
        out = [s.to_json(points=[]) for s in result[si : si + size]]
        if si + size < len(result):
            body["nextPageToken"] = _token(si + size, 0)
    else:
        room = size
        while si < len(result) and room > 0:
            pts = result[si].points[pi : pi + room]
            out.append(result[si].to_json(points=pts))
            room -= len(pts)
            pi += len(pts)
            if pi >= len(result[si].points):
                si, pi = si + 1, 0
        if si < len(result):
            body["nextPageToken"] = _token(si, pi)
    if out:
        body["timeSeries"] = out
    return Response(200, body, list_key="timeSeries")


ROUTES = [list_time_series]
