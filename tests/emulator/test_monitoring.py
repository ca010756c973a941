"""``GET /v3/projects/P/timeSeries``: intervals, filters, aggregation, percentiles, paging, world checks.

The emulator runs on a fixed clock here, so relative world times ("-90s") and the request
intervals line up to the second. Percentiles are checked against values computed by hand
with Google's documented interpolation (cloud.google.com/monitoring/api/v3/distribution-metrics).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from gate.context import AttemptContext, RunContext
from gate.emulator import Emulator, parse_world
from gate.errors import ApiError, InputError, MissingFactError
from gate.gcp.cloud import Cloud
from gate.gcp.monitoring import ALIGNERS, REDUCERS, Aggregation
from gate.gcp.transport.connection import Connection

NOW = dt.datetime(2025, 9, 4, 12, 0, 0, tzinfo=dt.timezone.utc)
RUN = "run.googleapis.com/request_count"
LAT = "run.googleapis.com/request_latencies"
GAUGE = "custom.googleapis.com/queue_depth"
TOTAL = "custom.googleapis.com/jobs_total"


def _res(rev: str) -> dict[str, Any]:
    return {
        "type": "cloud_run_revision",
        "labels": {"service_name": "svc", "revision_name": rev, "location": "us-central1"},
    }


def _delta(metric: str, rev: str, cls: str, values: list[int]) -> dict[str, Any]:
    # One point per minute, newest first: (-1m, 0], (-2m, -1m], ...
    return {
        "metric": {"type": metric, "labels": {"response_code_class": cls}},
        "resource": _res(rev),
        "metricKind": "DELTA",
        "valueType": "INT64",
        "points": [
            {
                "interval": {"startTime": f"-{i + 1}m", "endTime": f"-{i}m" if i else "now"},
                "value": {"int64Value": str(v)},
            }
            for i, v in enumerate(values)
        ],
    }


# Google's own example: exponential buckets, scale 1, growth 2, 10 finite buckets; one sample
# in bucket 8, [128, 256): p50 = 128 + 128 * 0.50 = 192, p95 = 249.6, p99 = 254.72.
EXP = {"exponentialBuckets": {"numFiniteBuckets": 10, "growthFactor": 2, "scale": 1}}


def _dist(rev: str, counts: list[int], *, options: dict[str, Any] = EXP, end: str = "-1m") -> dict[str, Any]:
    return {
        "metric": {"type": LAT, "labels": {"response_code_class": "2xx"}},
        "resource": _res(rev),
        "metricKind": "DELTA",
        "valueType": "DISTRIBUTION",
        "unit": "ms",
        "points": [
            {
                "interval": {"startTime": "-2m", "endTime": end},
                "value": {
                    "distributionValue": {
                        "count": str(sum(counts)),
                        "mean": 1.0,
                        "bucketOptions": options,
                        "bucketCounts": [str(c) for c in counts],
                    }
                },
            }
        ],
    }


SERIES: list[dict[str, Any]] = [
    _delta(RUN, "r1", "2xx", [10, 20, 30, 40, 50]),
    _delta(RUN, "r1", "5xx", [1, 0, 2]),
    _delta(RUN, "r2", "2xx", [100, 100]),
    _dist("r1", [0, 0, 0, 0, 0, 0, 0, 0, 1]),
    # r2: explicit buckets [0, 100, 200, 400]; 10 samples: 4 in [0,100), 4 in [100,200), 2 in [200,400).
    _dist("r2", [0, 4, 4, 2], options={"explicitBuckets": {"bounds": [0, 100, 200, 400]}}),
    {
        "metric": {"type": GAUGE},
        "resource": {"type": "cloud_run_revision", "labels": _res("r1")["labels"]},
        "metricKind": "GAUGE",
        "valueType": "DOUBLE",
        "points": [
            {"interval": {"endTime": f"-{i}m" if i else "now"}, "value": {"doubleValue": v}}
            for i, v in enumerate([3.0, 9.0, 6.0])
        ],
    },
    {
        "metric": {"type": TOTAL},
        "resource": {"type": "cloud_run_revision", "labels": _res("r1")["labels"]},
        "metricKind": "CUMULATIVE",
        "valueType": "INT64",
        "points": [
            {
                "interval": {"startTime": "-1h", "endTime": f"-{i}m" if i else "now"},
                "value": {"int64Value": str(v)},
            }
            for i, v in enumerate([150, 120, 100, 90])
        ],
    },
]


def _world(series: list[dict[str, Any]]) -> Any:
    import yaml

    doc = {
        "apiVersion": "gate/v1",
        "kind": "World",
        "name": "mon",
        "project": "p",
        "monitoring": {"timeSeries": series},
    }
    return parse_world(yaml.safe_dump(doc, sort_keys=False), "<mon>")


@pytest.fixture(scope="module")
def mon() -> Iterator[Emulator]:
    with Emulator(_world(SERIES), port=0, clock=lambda: NOW) as e:
        yield e


def _ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _list(
    emu: Emulator,
    metric: str,
    *,
    minutes: float = 10,
    end: dt.datetime = NOW,
    query: Mapping[str, Any] | None = None,
    **params: Any,
) -> httpx.Response:
    params = {**(query or {}), **params}
    flt = params.pop("filter", f'metric.type = "{metric}"')
    sent: dict[str, Any] = {
        "filter": flt,
        "interval.startTime": _ts(end - dt.timedelta(minutes=minutes)),
        "interval.endTime": _ts(end),
        **params,
    }
    return httpx.get(f"{emu.api_endpoint}/v3/projects/p/timeSeries", params=sent)


def _values(body: dict[str, Any]) -> list[Any]:
    out = []
    for s in body.get("timeSeries", []):
        for p in s.get("points", []):
            (v,) = p["value"].values()
            out.append(v)
    return out


def test_raw_read_is_newest_first_within_start_exclusive_end_inclusive(mon: Emulator) -> None:
    flt = (
        f'metric.type = "{RUN}" AND resource.labels.revision_name = "r1" '
        'AND metric.labels.response_code_class = "2xx"'
    )
    body = _list(mon, RUN, minutes=2, filter=flt).json()
    (s,) = body["timeSeries"]
    # Points end at now, -1m, -2m...: (now-2m, now] holds the first two; -2m is excluded.
    assert [p["value"]["int64Value"] for p in s["points"]] == ["10", "20"]
    assert s["points"][0]["interval"] == {
        "startTime": "2025-09-04T11:59:00.000000Z",
        "endTime": "2025-09-04T12:00:00.000000Z",
    }
    assert s["metricKind"] == "DELTA" and s["valueType"] == "INT64"
    later = _list(mon, RUN, minutes=1, end=NOW - dt.timedelta(minutes=2), filter=flt).json()
    assert _values(later) == ["30"]  # (-3m, -2m]: the point ending at -2m, nothing else


def test_delta_sum_grouped_by_class(mon: Emulator) -> None:
    flt = f'metric.type = "{RUN}" AND resource.labels.revision_name = "r1"'
    agg: dict[str, Any] = {
        "aggregation.alignmentPeriod": "300s",
        "aggregation.perSeriesAligner": "ALIGN_DELTA",
        "aggregation.crossSeriesReducer": "REDUCE_SUM",
        "aggregation.groupByFields": "metric.labels.response_code_class",
    }
    body = _list(mon, RUN, minutes=5, filter=flt, **agg).json()
    got = {
        s["metric"]["labels"]["response_code_class"]: _values({"timeSeries": [s]}) for s in body["timeSeries"]
    }
    assert got == {"2xx": ["150"], "5xx": ["3"]}  # 10+20+30+40+50 (all five end in (-5m, now])
    (s,) = [x for x in body["timeSeries"] if x["metric"]["labels"]["response_code_class"] == "2xx"]
    assert s["resource"] == {"type": "cloud_run_revision"}  # ungrouped labels are aggregated away
    assert s["points"][0]["interval"] == {
        "startTime": "2025-09-04T11:55:00.000000Z",
        "endTime": "2025-09-04T12:00:00.000000Z",
    }
    # Two-minute periods anchored at the end: (-2m, 0] = 30, (-4m, -2m] = 70, (-6m, -4m] = 50.
    body = _list(
        mon,
        RUN,
        minutes=6,
        filter=flt + ' AND metric.labels.response_code_class = "2xx"',
        query={**agg, "aggregation.alignmentPeriod": "120s"},
    ).json()
    assert _values(body) == ["30", "70", "50"]


def test_rate_mean_max_count_and_cumulative_delta(mon: Emulator) -> None:
    def one(metric: str, aligner: str, reducer: str = "REDUCE_NONE", minutes: float = 3) -> list[Any]:
        return _values(
            _list(
                mon,
                metric,
                minutes=minutes,
                query={
                    "aggregation.alignmentPeriod": f"{int(minutes * 60)}s",
                    "aggregation.perSeriesAligner": aligner,
                    "aggregation.crossSeriesReducer": reducer,
                },
            ).json()
        )

    assert one(RUN, "ALIGN_RATE", "REDUCE_SUM", minutes=2) == [
        pytest.approx((10 + 20 + 1 + 0 + 100 + 100) / 120)
    ]
    assert one(GAUGE, "ALIGN_MAX") == [9.0]
    assert one(GAUGE, "ALIGN_MEAN") == [6.0]
    assert one(GAUGE, "ALIGN_MIN") == [3.0]
    assert one(GAUGE, "ALIGN_COUNT") == ["3"]
    # CUMULATIVE: y1 - y0 = 150 (at now) - 90 (at -3m, the last value at the period's start).
    assert one(TOTAL, "ALIGN_DELTA") == ["60"]


def test_percentiles_from_buckets_match_the_hand_computed_values(mon: Emulator) -> None:
    def pct(rev: str, how: str, which: str) -> float:
        params = {"aggregation.alignmentPeriod": "600s", "aggregation.perSeriesAligner": "ALIGN_DELTA"}
        if how == "reducer":
            params["aggregation.crossSeriesReducer"] = f"REDUCE_PERCENTILE_{which}"
        else:
            params["aggregation.perSeriesAligner"] = f"ALIGN_PERCENTILE_{which}"
        flt = f'metric.type = "{LAT}" AND resource.labels.revision_name = "{rev}"'
        (v,) = _values(_list(mon, LAT, filter=flt, query=params).json())
        return float(v)

    for how in ("aligner", "reducer"):
        # Google's documented example (one sample in [128, 256)).
        assert pct("r1", how, "50") == pytest.approx(192.0)
        assert pct("r1", how, "95") == pytest.approx(249.6)
        assert pct("r1", how, "99") == pytest.approx(254.72)
        # 10 samples [4 in [0,100), 4 in [100,200), 2 in [200,400)]:
        # p50: rank 5, bucket [100,200) after 4: 100 + 100 * (5 - 4) / 4 = 125
        # p95: rank 9.5, bucket [200,400) after 8: 200 + 200 * (9.5 - 8) / 2 = 350
        # p05: rank 0.5, bucket [0,100): 0 + 100 * 0.5 / 4 = 12.5
        assert pct("r2", how, "50") == pytest.approx(125.0)
        assert pct("r2", how, "95") == pytest.approx(350.0)
        assert pct("r2", how, "05") == pytest.approx(12.5)


def test_distribution_sum_merges_histograms(mon: Emulator) -> None:
    params: dict[str, Any] = {
        "aggregation.alignmentPeriod": "600s",
        "aggregation.perSeriesAligner": "ALIGN_DELTA",
        "aggregation.crossSeriesReducer": "REDUCE_SUM",
        "aggregation.groupByFields": "resource.labels.revision_name",
    }
    body = _list(mon, LAT, **params).json()
    by_rev = {
        s["resource"]["labels"]["revision_name"]: s["points"][0]["value"]["distributionValue"]
        for s in body["timeSeries"]
    }
    assert by_rev["r2"]["count"] == "10" and by_rev["r2"]["bucketCounts"] == ["0", "4", "4", "2", "0"]
    assert by_rev["r1"]["bucketOptions"] == EXP


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter": 'metric.type = "a" OR metric.type = "b"'}, "expected AND between clauses"),
        ({"filter": 'metric.type != "a"'}, "unsupported operator"),
        ({"filter": 'resource.labels.x = "a"'}, "exactly one metric.type"),
        (
            {"filter": f'metric.type = "{RUN}" AND resource.labels.x = starts_with("a")'},
            "double-quoted value",
        ),
        ({"filter": f"metric.type = {RUN}"}, "double-quoted value"),
        ({"filter": f'metric.type = "{RUN}" AND (resource.type = "x"'}, "unbalanced parentheses"),
        ({"aggregation.perSeriesAligner": "ALIGN_DELTA"}, "alignment period is required"),
        (
            {"aggregation.perSeriesAligner": "ALIGN_DELTA", "aggregation.alignmentPeriod": "30s"},
            "at least 60 seconds",
        ),
        ({"aggregation.crossSeriesReducer": "REDUCE_SUM"}, "requires a per-series aligner"),
        (
            {"aggregation.perSeriesAligner": "ALIGN_SOMETIMES", "aggregation.alignmentPeriod": "60s"},
            "Invalid value",
        ),
        (
            {"aggregation.perSeriesAligner": "ALIGN_PERCENTILE_95", "aggregation.alignmentPeriod": "60s"},
            "cannot be applied to metrics with kind DELTA and value type INT64",
        ),
        (
            {"aggregation.perSeriesAligner": "ALIGN_STDDEV", "aggregation.alignmentPeriod": "60s"},
            "does not implement",
        ),
        ({"orderBy": "x"}, "must be left blank"),
        ({"secondaryAggregation.perSeriesAligner": "ALIGN_SUM"}, "Unknown name"),
        ({"pageToken": "garbage"}, "Invalid page token"),
    ],
)
def test_requests_the_api_would_refuse_are_400(mon: Emulator, params: dict[str, Any], message: str) -> None:
    r = _list(mon, RUN, **params)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert message in r.json()["error"]["message"]


def test_interval_errors(mon: Emulator) -> None:
    url = f"{mon.api_endpoint}/v3/projects/p/timeSeries"
    assert httpx.get(url, params={"filter": f'metric.type = "{RUN}"'}).status_code == 400  # no endTime
    bad = {
        "filter": f'metric.type = "{RUN}"',
        "interval.startTime": _ts(NOW),
        "interval.endTime": _ts(NOW - dt.timedelta(minutes=1)),
    }
    assert "must not be later" in httpx.get(url, params=bad).json()["error"]["message"]


def test_enums_by_number_and_other_projects(mon: Emulator) -> None:
    by_number = {
        "aggregation.alignmentPeriod": "300s",
        "aggregation.perSeriesAligner": "1",
        "aggregation.crossSeriesReducer": "4",
    }
    assert _values(
        _list(
            mon,
            RUN,
            minutes=5,
            filter=f'metric.type = "{RUN}" AND resource.labels.revision_name = "r2"',
            query=by_number,
        ).json()
    ) == ["200"]
    other = httpx.get(
        f"{mon.api_endpoint}/v3/projects/other/timeSeries",
        params={"filter": f'metric.type = "{RUN}"', "interval.endTime": _ts(NOW)},
    )
    assert other.status_code == 200 and "timeSeries" not in other.json()


def test_paging_counts_points_and_continues_a_series(mon: Emulator) -> None:
    flt = f'metric.type = "{RUN}"'
    seen: list[tuple[str, str, str]] = []
    token, pages = "", 0
    while True:
        body = _list(mon, RUN, filter=flt, pageSize=3, query={"pageToken": token} if token else {}).json()
        pages += 1
        assert sum(len(s["points"]) for s in body["timeSeries"]) <= 3
        for s in body["timeSeries"]:
            key = (s["resource"]["labels"]["revision_name"], s["metric"]["labels"]["response_code_class"])
            seen.extend((*key, p["value"]["int64Value"]) for p in s["points"])
        token = body.get("nextPageToken", "")
        if not token:
            break
    assert pages == 4  # 10 points in pages of 3
    assert len(seen) == 10 and sum(int(v) for *_, v in seen) == 150 + 3 + 200
    headers = _list(mon, RUN, filter=flt, view="HEADERS", pageSize=2).json()
    assert (
        len(headers["timeSeries"]) == 2
        and "points" not in headers["timeSeries"][0]
        and headers["nextPageToken"]
    )


# -- the provider through the transport ---------------------------------------------------


def _cloud(emu: Emulator) -> Cloud:
    return Cloud(Connection(emulator_host=emu.api_host), "p", "us-central1", concurrency=2)


def test_provider_merges_a_series_split_across_pages(mon: Emulator) -> None:
    cloud = _cloud(mon)
    start, end = NOW - dt.timedelta(minutes=10), NOW
    flt = f'metric.type = "{RUN}"'
    whole = cloud.monitoring.time_series(
        flt, start=start, end=end, aggregation=None, deadline=time.monotonic() + 10
    )
    mon.clear_requests()
    paged = cloud.monitoring.time_series(
        flt, start=start, end=end, aggregation=None, deadline=time.monotonic() + 10, page_size=1
    )
    assert len([r for r in mon.requests if r.api == "monitoring"]) == 10  # 10 points, one per page
    assert paged == whole and len(whole) == 3
    r1 = next(
        s
        for s in whole
        if s.resource_labels["revision_name"] == "r1" and s.metric_labels["response_code_class"] == "2xx"
    )
    assert [p.value for p in r1.points] == [10, 20, 30, 40, 50] and r1.metric_kind == "DELTA"
    assert cloud.stats.calls[("monitoring", "timeSeries.list")] == 1 + 10


def test_provider_reads_distributions(mon: Emulator) -> None:
    from gate.gcp.monitoring import Distribution

    cloud = _cloud(mon)
    (s,) = cloud.monitoring.time_series(
        f'metric.type = "{LAT}" AND resource.labels.revision_name = "r2"',
        start=NOW - dt.timedelta(minutes=10),
        end=NOW,
        aggregation=Aggregation(600, "ALIGN_DELTA", "REDUCE_SUM"),
        deadline=time.monotonic() + 10,
    )
    (p,) = s.points
    assert p.value == Distribution(
        count=10, mean=1.0, bounds=(0.0, 100.0, 200.0, 400.0), bucket_counts=(0, 4, 4, 2, 0)
    )


def test_provider_maps_api_errors(mon: Emulator) -> None:
    from gate.emulator import Fault

    cloud = _cloud(mon)
    mon.add_fault(Fault(api="monitoring", status=403))
    try:
        with pytest.raises(ApiError) as e:
            cloud.monitoring.time_series(
                f'metric.type = "{RUN}"',
                start=NOW - dt.timedelta(minutes=1),
                end=NOW,
                aggregation=None,
                deadline=time.monotonic() + 5,
            )
    finally:
        mon.clear_faults()
    assert e.value.code == 403 and e.value.permission == "monitoring.timeSeries.list"
    assert e.value.status == "PERMISSION_DENIED"


def test_incomplete_data_is_refused() -> None:
    from google.cloud import monitoring_v3
    from google.protobuf import json_format

    from gate.gcp.monitoring import _complete, _Page

    message = json_format.ParseDict(
        {"executionErrors": [{"code": 14, "message": "region down"}]},
        monitoring_v3.ListTimeSeriesResponse.pb()(),
    )
    with pytest.raises(ApiError, match="may be incomplete: region down"):
        _complete(_Page(message, ()), "projects/p")
    with pytest.raises(ApiError, match="unreachable regions: us-east1"):
        _complete(_Page(monitoring_v3.ListTimeSeriesResponse.pb()(), ("us-east1",)), "projects/p")


def test_aggregation_values_match_the_official_enums() -> None:
    from google.cloud import monitoring_v3

    assert set(ALIGNERS) == {e.name for e in list(monitoring_v3.Aggregation.Aligner)}
    assert set(REDUCERS) == {e.name for e in list(monitoring_v3.Aggregation.Reducer)}
    with pytest.raises(ValueError, match="at least 60s"):
        Aggregation(30, "ALIGN_DELTA")


def test_a_bad_histogram_from_the_api_is_a_missing_fact() -> None:
    from google.api import distribution_pb2

    from gate.gcp.monitoring import parse_distribution

    d = distribution_pb2.Distribution(count=5, bucket_counts=[1, 1])
    d.bucket_options.explicit_buckets.bounds.extend([1.0, 2.0])
    with pytest.raises(MissingFactError, match="sum to 2, not the count 5"):
        parse_distribution(d, "x")


# -- the world section -------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.update(metricKind="SOMETIMES"), "invalid MetricKind value"),
        (lambda s: s.update(colour="red"), "unknown field 'colour'"),
        (lambda s: s.pop("metricKind"), "metricKind: required: one of GAUGE, DELTA, CUMULATIVE"),
        (lambda s: s["points"][0]["interval"].pop("startTime"), "required for a DELTA point"),
        (
            lambda s: s["points"][0]["interval"].update(startTime="-10s", endTime="-20s"),
            "needs startTime before endTime",
        ),
        (lambda s: s["points"][0]["interval"].update(endTime="-5x"), "points[0].interval.endTime"),
        (lambda s: s["points"][0].update(value={"doubleValue": 1.0}), "holds int64Value values"),
        (lambda s: s["points"][1]["interval"].update(startTime="-150s"), "must not overlap"),
    ],
)
def test_world_series_are_checked_strictly(edit: Any, message: str) -> None:
    import copy

    s = copy.deepcopy(SERIES[0])
    edit(s)
    with pytest.raises(InputError) as e:
        _world([s])
    assert message in str(e.value), str(e.value)
    assert "<mon>:" in str(e.value)  # file:line:col


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ([_dist("r1", [0, 1])], None),
        ([{**_dist("r1", [1, 1]), "points": [{**_dist("r1", [1, 1])["points"][0]}]}], None),
        ([SERIES[0], SERIES[0]], "duplicate time series"),
        ([_dist("r1", [0] * 12 + [1])], "13 counts for 12 buckets"),
        ([_dist("r1", [0, 1], options={"explicitBuckets": {"bounds": [2, 1]}})], "strictly increasing"),
        (
            [
                {
                    **_dist("r1", [0, 1]),
                    "points": [
                        _dist("r1", [0, 1])["points"][0],
                        {
                            **_dist("r1", [0, 1], options={"explicitBuckets": {"bounds": [1, 2]}})["points"][
                                0
                            ],
                            "interval": {"startTime": "-4m", "endTime": "-3m"},
                        },
                    ],
                }
            ],
            "differs from the bucketOptions",
        ),
        (
            [
                {
                    **SERIES[5],
                    "points": [
                        {"interval": {"startTime": "-2m", "endTime": "-1m"}, "value": {"doubleValue": 1.0}}
                    ],
                }
            ],
            "startTime must equal its endTime",
        ),
    ],
)
def test_world_distributions_and_duplicates(series: list[dict[str, Any]], message: str | None) -> None:
    if message is None:
        _world(series)
        return
    with pytest.raises(InputError, match=message):
        _world(series)


def test_bucket_counts_must_sum_to_the_count() -> None:
    bad = _dist("r1", [0, 1])
    bad["points"][0]["value"]["distributionValue"]["count"] = "3"
    with pytest.raises(InputError, match="bucket counts sum to 1, not count 3"):
        _world([bad])


def test_relative_times_follow_the_clock() -> None:
    w = _world([SERIES[0]])
    clock = [NOW]
    with Emulator(w, port=0, clock=lambda: clock[0]) as emu:
        flt = f'metric.type = "{RUN}"'
        assert _values(_list(emu, RUN, minutes=1, filter=flt).json()) == ["10"]
        clock[0] = NOW + dt.timedelta(hours=5)
        later = NOW + dt.timedelta(hours=5)
        assert _values(_list(emu, RUN, minutes=1, end=later, filter=flt).json()) == ["10"]
        assert (
            "timeSeries" not in _list(emu, RUN, minutes=1, filter=flt).json()
        )  # the old window is empty now


def test_metric_check_reads_through_an_attempt_context(mon: Emulator) -> None:
    # The provider is what monitoring.metric calls; an AttemptContext reaches it the same way.
    ctx = AttemptContext(
        RunContext(project="p", region="us-central1", cloud=_cloud(mon)), "t", time.monotonic() + 5
    )
    got = ctx.cloud.monitoring.time_series(
        f'metric.type = "{GAUGE}"',
        start=NOW - dt.timedelta(minutes=5),
        end=NOW,
        aggregation=None,
        deadline=ctx.deadline,
    )
    assert [p.value for p in got[0].points] == [3.0, 9.0, 6.0] and got[0].metric_kind == "GAUGE"
