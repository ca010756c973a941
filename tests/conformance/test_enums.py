"""Enum values: every one gate names is in the contract, and none the API can return passes silently."""

from __future__ import annotations

import ast
import functools
import re
import time
from pathlib import Path

import pytest

from tests.conformance import contract, discovery, known_gaps, sweeps
from tests.conformance.conftest import COUNTS

GATE = Path(__file__).resolve().parents[2] / "gate"
SCANNED = ("checks", "netpath", "gcp")
CAPS = re.compile(r"_?[A-Z][A-Z0-9_]{2,}")


@functools.cache
def caps_literals() -> dict[str, list[str]]:
    """ALL_CAPS string literals of gate/checks, gate/netpath and gate/gcp (not docstrings or f-strings)."""
    out: dict[str, list[str]] = {}
    for folder in SCANNED:
        for path in sorted((GATE / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = set()
            for node in ast.walk(tree):
                body = getattr(node, "body", None)
                if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                    skip.add(id(body[0].value))
                if isinstance(node, ast.JoinedStr):
                    skip |= {id(v) for v in node.values}
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skip
                    and CAPS.fullmatch(node.value)
                ):
                    out.setdefault(node.value, []).append(f"{path.relative_to(GATE.parent)}:{node.lineno}")
    return out


def _matches(declared: str, value: str) -> bool:
    if declared.startswith("~"):
        return value.startswith(declared[1:])
    if declared.endswith("~"):
        return value.endswith(declared[:-1])
    return value == declared


def test_every_judged_value_is_in_the_contract() -> None:
    total = 0
    for (api, owner, field), values in contract.JUDGED.items():
        spec = discovery.schema(api, owner)["properties"][field]
        enum = spec.get("enum") or spec.get("items", {}).get("enum")
        for v in sorted(values):
            total += 1
            if enum is None:
                assert v.strip("~") in spec.get("description", ""), f"{owner}.{field} documents no {v}"
            else:
                assert any(_matches(v, e) for e in enum), (
                    f"{discovery.DOCUMENTS[api]}: {owner}.{field} has no {v}"
                )
    COUNTS["judged enum values checked"] = total


def test_every_parameter_value_gate_sends_is_documented() -> None:
    total = 0
    for (api, method_id, param), values in contract.PARAMETERS.items():
        spec = discovery.method_by_id(api, method_id).parameters[param]
        assert spec.get("location") == "query", f"{method_id}: {param} is not a query parameter"
        missing = sorted(set(values) - set(spec.get("enum", [])))
        assert not missing, f"{discovery.DOCUMENTS[api]}: {method_id} {param} has no {missing}"
        total += len(values)
    COUNTS["query parameter enum values checked"] = total


def test_monitoring_aggregation_enums_are_the_documented_lists() -> None:
    """gate.gcp.monitoring refuses an aligner/reducer outside its lists: they must be the API's, whole."""
    from gate.gcp import monitoring

    method = discovery.method_by_id("monitoring", "monitoring.projects.timeSeries.list")
    assert tuple(method.parameters["aggregation.perSeriesAligner"]["enum"]) == monitoring.ALIGNERS
    assert tuple(method.parameters["aggregation.crossSeriesReducer"]["enum"]) == monitoring.REDUCERS
    api, method_id = "monitoring", "monitoring.projects.timeSeries.list"
    assert contract.PARAMETERS[(api, method_id, "aggregation.perSeriesAligner")] == set(monitoring.ALIGNERS)
    assert contract.PARAMETERS[(api, method_id, "aggregation.crossSeriesReducer")] == set(monitoring.REDUCERS)


def test_monitoring_reads_each_value_type_from_its_typed_value_field() -> None:
    """``_ONEOF`` (valueType -> TypedValue field) names documented values and fields; the
    documented value types it leaves out (MONEY) are refused (the sweep shows ERROR)."""
    from gate.gcp import monitoring
    from tests.conformance.reads import json_name

    value_types = discovery.schema("monitoring", "TimeSeries")["properties"]["valueType"]["enum"]
    fields = discovery.schema("monitoring", "TypedValue")["properties"]
    assert set(monitoring._ONEOF) <= set(value_types)
    assert {json_name(f) for f in monitoring._ONEOF.values()} == set(fields)
    assert set(value_types) - set(monitoring._ONEOF) == {"VALUE_TYPE_UNSPECIFIED", "MONEY"}


def test_every_caps_literal_is_a_declared_enum_value_or_explained() -> None:
    declared = {v for values in [*contract.JUDGED.values(), *contract.PARAMETERS.values()] for v in values}
    undeclared = {}
    for literal, where in caps_literals().items():
        if literal in contract.NOT_API_ENUMS:
            continue
        if literal in declared or f"~{literal}" in declared or f"{literal}~" in declared:
            continue
        undeclared[literal] = where
    assert not undeclared, (
        "ALL_CAPS literals that look like API enum values: declare them in contract.JUDGED under the "
        f"field they are compared with, or in NOT_API_ENUMS with why: {undeclared}"
    )
    used = set(caps_literals())
    stale = {v for v in declared if v.strip("~") not in used} | (set(contract.NOT_API_ENUMS) - used)
    assert not stale, f"declared but no longer in the code: {sorted(stale)}"


def test_enum_values_the_providers_build_exist() -> None:
    from tests.conformance.test_reads import walks

    named = {pair for w in walks().values() for pair in w.enum_values}
    assert named, "the walk found no enum value built by a provider"
    COUNTS["provider enum values checked"] = len(named)  # checked against discovery in the walk


# -- the sweep ---------------------------------------------------------------------------------

# Every documented value, and one no document lists (it must not pass either).
CASES = [(s, v) for s in sweeps.SWEEPS for v in [*s.values(), sweeps.UNDOCUMENTED]]
# The values of a known gap are one case per sweep (one xfail, not dozens).
PER_VALUE = [(s, v) for s, v in CASES if not known_gaps.sweep_gap(s.id, v, s.healthy)]
GAPPED = [s for s in sweeps.SWEEPS if s.id in known_gaps.SWEEP_GAPS]


def test_every_sweep_covers_its_whole_enum(outcomes: dict[str, dict[str, str]]) -> None:
    COUNTS["enum values swept"] = sum(len(s.values()) for s in sweeps.SWEEPS)
    COUNTS["judged fields swept"] = len({(s.api, s.schema, s.field) for s in sweeps.SWEEPS})
    for s in sweeps.SWEEPS:
        if s.described:  # the values the field's description lists, quoted there
            assert "enum" not in s.spec(), f"{s.id}: {s.schema}.{s.field} has an enum; sweep that"
            missing = [v for v in s.described if f'"{v}"' not in s.spec().get("description", "")]
            assert not missing, f"{s.id}: {s.schema}.{s.field}'s description does not list {missing}"
        assert s.healthy <= set(s.values()), f"{s.id}: healthy values not in {s.schema}.{s.field}"
        assert len(s.values()) > len(s.healthy), s.id
        assert set(outcomes[s.id]) == {*s.values(), sweeps.UNDOCUMENTED}, s.id
    newer = sorted(v for s in sweeps.SWEEPS for v in sweeps.client_unknown(s))
    COUNTS["swept values newer than the client library"] = len(newer)


@pytest.mark.parametrize(("sweep", "value"), PER_VALUE, ids=[f"{s.id}/{v}" for s, v in PER_VALUE])
def test_no_documented_value_passes_unless_healthy(
    sweep: sweeps.Sweep, value: str, outcomes: dict[str, dict[str, str]]
) -> None:
    status = outcomes[sweep.id][value]
    if value in sweep.healthy:
        assert status == "PASS", (
            f"{sweep.schema}.{sweep.field}={value} is healthy ({sweep.why}), got {status}"
        )
    else:
        assert status in ("FAIL", "ERROR"), (
            f"{sweep.schema}.{sweep.field}={value} must not pass ({sweep.why}): got {status}"
        )


@pytest.mark.parametrize("sweep", GAPPED, ids=[s.id for s in GAPPED])
def test_known_gap_no_unhealthy_value_passes(
    sweep: sweeps.Sweep, outcomes: dict[str, dict[str, str]], request: pytest.FixtureRequest
) -> None:
    request.applymarker(pytest.mark.xfail(strict=True, reason=known_gaps.SWEEP_GAPS[sweep.id][1]))
    passing = sorted(
        v
        for v, status in outcomes[sweep.id].items()
        if v not in sweep.healthy
        and status not in ("FAIL", "ERROR")
        and known_gaps.sweep_gap(sweep.id, v, sweep.healthy)
    )
    assert not passing, f"{sweep.schema}.{sweep.field}: these values PASS ({sweep.why}): {passing}"


def test_gap_table_names_real_sweeps() -> None:
    assert known_gaps.UNDOCUMENTED == sweeps.UNDOCUMENTED
    ids = {s.id for s in sweeps.SWEEPS}
    assert set(known_gaps.SWEEP_GAPS) <= ids, set(known_gaps.SWEEP_GAPS) - ids


# -- Monitoring: what gate/gcp/monitoring.py does with each metricKind and valueType -----------
#
# The emulator answers with the kind and type the documented aggregation produces, so these two
# fields are swept at the provider instead: one real HTTP answer per value (a local server),
# read by MonitoringProvider exactly as in a run (transport, paging, the official message type).

_SERIES_READ = {
    "metricKind": {"GAUGE", "DELTA", "CUMULATIVE"},
    "valueType": {"BOOL", "INT64", "DOUBLE", "STRING", "DISTRIBUTION"},
}
_POINT_VALUE = {
    "BOOL": {"boolValue": True},
    "INT64": {"int64Value": "3"},
    "DOUBLE": {"doubleValue": 1.5},
    "STRING": {"stringValue": "ok"},
    "DISTRIBUTION": {"distributionValue": {"count": "0"}},
}
SERIES_CASES = [
    (f, v)
    for f in ("metricKind", "valueType")
    for v in [*discovery.schema("monitoring", "TimeSeries")["properties"][f]["enum"], sweeps.UNDOCUMENTED]
]


def _series_answer(field: str, value: str) -> dict[str, object]:
    series = {"metricKind": "GAUGE", "valueType": "INT64", field: value}
    return {
        "timeSeries": [
            {
                "metric": {"type": "custom.googleapis.com/sweep"},
                "resource": {"type": "global", "labels": {"project_id": "p"}},
                **series,
                "points": [
                    {
                        "interval": {"endTime": "2025-09-03T10:00:00Z"},
                        "value": _POINT_VALUE.get(str(series["valueType"]), {}),
                    }
                ],
            }
        ]
    }


@pytest.mark.parametrize(("field", "value"), SERIES_CASES, ids=[f"{f}/{v}" for f, v in SERIES_CASES])
def test_monitoring_reads_only_series_it_can_interpret(field: str, value: str) -> None:
    import datetime as dt

    from gate.errors import MissingFactError
    from gate.gcp.cloud import Cloud
    from gate.gcp.transport.connection import Connection
    from tests.servers import json_body, serve

    answer = _series_answer(field, value)
    v = discovery.Validator.new("monitoring")
    v.check_object(answer, "ListTimeSeriesResponse", "answer")
    assert [p for p in v.problems if repr(sweeps.UNDOCUMENTED) not in p] == [], v.problems
    end = dt.datetime(2025, 9, 3, 10, 1, tzinfo=dt.timezone.utc)
    with serve({"/v3/projects/p/timeSeries": json_body(answer)}) as base:
        cloud = Cloud(Connection(emulator_host=base.removeprefix("http://")), "p", "us-central1")

        def read() -> tuple[object, ...]:
            return cloud.monitoring.time_series(
                'metric.type = "custom.googleapis.com/sweep"',
                start=end - dt.timedelta(minutes=5),
                end=end,
                aggregation=None,
                deadline=time.monotonic() + 10,
            )

        if value in _SERIES_READ[field]:
            (series,) = read()
            assert getattr(series, "metric_kind" if field == "metricKind" else "value_type") == value
        else:
            with pytest.raises(MissingFactError, match=r"(known|not one gate reads)"):
                read()
    COUNTS["monitoring series values swept (provider)"] = len(SERIES_CASES)
