"""``monitoring.traffic``: Cloud Run request metrics that follow the live traffic split.

The emulator runs on a fixed clock on a minute boundary, so a 5-minute read holds
exactly five one-minute points of each series.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gate.emulator import Emulator, parse_world
from gate.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "examples" / "rollout" / "canary-5xx-at-25.yaml"
NOW = dt.datetime(2025, 9, 4, 12, 0, 0, tzinfo=dt.timezone.utc)
SVC = "projects/netra-staging/locations/us-central1/services/netra-backend-staging"
OLD, NEW = "netra-backend-staging-00042-xq7", "netra-backend-staging-00043-cnd"
COUNT = "run.googleapis.com/request_count"
LATENCY = "run.googleapis.com/request_latencies"


def _data() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(BASE.read_text()))


@pytest.fixture
def split_emu() -> Iterator[Emulator]:
    world = parse_world(yaml.safe_dump(_data(), sort_keys=False), "<rollout>")
    with Emulator(world, clock=lambda: NOW) as e:
        yield e


def _route(emu: Emulator, split: dict[str, int]) -> None:
    now = httpx.get(f"{emu.api_endpoint}/v2/{SVC}").json()
    traffic = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": r, "percent": p}
        for r, p in split.items()
    ]
    traffic.append({"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": NEW, "tag": "candidate"})
    r = httpx.patch(
        f"{emu.api_endpoint}/v2/{SVC}",
        params={"updateMask": "traffic"},
        json={"traffic": traffic, "etag": now["etag"]},
    )
    assert r.status_code == 200, r.text


def _read(emu: Emulator, metric: str, revision: str, **agg: str) -> list[dict[str, Any]]:
    params = {
        "filter": f'metric.type = "{metric}" AND resource.labels.revision_name = "{revision}"',
        "interval.startTime": (NOW - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interval.endTime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **agg,
    }
    r = httpx.get(f"{emu.api_endpoint}/v3/projects/netra-staging/timeSeries", params=params)
    assert r.status_code == 200, r.text
    series: list[dict[str, Any]] = r.json().get("timeSeries", [])
    return series


def _by_class(emu: Emulator, revision: str) -> dict[str, int]:
    series = _read(
        emu,
        COUNT,
        revision,
        **{
            "aggregation.alignmentPeriod": "300s",
            "aggregation.perSeriesAligner": "ALIGN_DELTA",
            "aggregation.crossSeriesReducer": "REDUCE_SUM",
            "aggregation.groupByFields": "metric.labels.response_code_class",
        },
    )
    return {
        s["metric"]["labels"]["response_code_class"]: sum(int(p["value"]["int64Value"]) for p in s["points"])
        for s in series
    }


def test_a_revision_without_traffic_has_no_data_and_data_follows_the_share(split_emu: Emulator) -> None:
    emu = split_emu
    assert _by_class(emu, NEW) == {}  # deployed --no-traffic: silence
    assert _by_class(emu, OLD) == {
        "2xx": 2995,
        "5xx": 5,
    }  # 600/min, 0.2% of them (1.2, rounded) 5xx, 5 minutes
    _route(emu, {NEW: 5, OLD: 95})
    assert _by_class(emu, NEW) == {"2xx": 150}  # 30/min; 0.2% of 30 rounds to no error
    assert sum(_by_class(emu, OLD).values()) == 5 * 570
    _route(emu, {NEW: 25, OLD: 75})
    assert _by_class(emu, NEW) == {"2xx": 690, "5xx": 60}  # fromShare 25: 8% of 150/min


def test_one_point_per_whole_minute_and_latency_in_its_bucket(split_emu: Emulator) -> None:
    emu = split_emu
    _route(emu, {NEW: 50, OLD: 50})
    raw = _read(emu, COUNT, NEW)
    assert [p["interval"]["endTime"] for p in raw[0]["points"]][:2] == [
        "2025-09-04T12:00:00.000000Z",
        "2025-09-04T11:59:00.000000Z",
    ]
    assert len(raw[0]["points"]) == 5  # (11:55, 12:00]: the point ending 11:55 is outside
    p95 = _read(
        emu,
        LATENCY,
        NEW,
        **{
            "aggregation.alignmentPeriod": "300s",
            "aggregation.perSeriesAligner": "ALIGN_DELTA",
            "aggregation.crossSeriesReducer": "REDUCE_PERCENTILE_95",
        },
    )
    value = p95[0]["points"][0]["value"]["doubleValue"]
    assert 100 <= value < 200  # every request took 130 ms: the [100, 200) bucket


def test_the_section_is_checked_with_positions() -> None:
    data = _data()
    data["monitoring"]["traffic"][0].update({"requestsPerMinute": 0, "minutes": 0, "extra": 1})
    revs = data["monitoring"]["traffic"][0]["revisions"]
    revs[NEW] = {"errorRatio": 1.5, "latencyMs": -1, "fromShare": {0: {"errorRatio": 0.1}, 30: {"x": 1}}}
    with pytest.raises(InputError) as e:
        parse_world(yaml.safe_dump(data, sort_keys=False), "w.yaml")
    text = "\n".join(str(d) for d in e.value.diagnostics)
    for expected in (
        "monitoring.traffic[0].extra: unknown key",
        "monitoring.traffic[0].requestsPerMinute: required: a number of requests > 0",
        "monitoring.traffic[0].minutes: expected a whole number of minutes from 1 to 1440",
        f"monitoring.traffic[0].revisions.{NEW}.errorRatio: expected a fraction",
        f"monitoring.traffic[0].revisions.{NEW}.latencyMs: expected milliseconds",
        f"monitoring.traffic[0].revisions.{NEW}.fromShare.0: expected a share of traffic from 1 to 100",
        f"monitoring.traffic[0].revisions.{NEW}.fromShare.30.x: unknown key",
    ):
        assert expected in text, text
    assert all(str(d).startswith("w.yaml:") for d in e.value.diagnostics)
