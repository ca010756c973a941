"""The suite's own checks catch what they claim to: each rule broken once, on purpose."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gate.emulator import Exchange
from tests.conformance import discovery, wire

SERVICE = "/v2/projects/p/locations/us-central1/services/s"
ALT = {"$alt": ["json;enum-encoding=int"]}


def response(api: str, path: str, body: Any, status: int = 200, method: str = "GET") -> list[str]:
    return wire.check_response(
        Exchange(api, method, path, {}, b"", status, json.dumps(body).encode())
    ).problems


def request(api: str, method: str, path: str, query: dict[str, list[str]], body: Any = None) -> list[str]:
    raw = json.dumps(body).encode() if body is not None else b""
    return wire.check_request(Exchange(api, method, path, query, raw, 200, b"{}")).problems


def test_a_conformant_service_passes() -> None:
    body = {
        "name": "projects/p/locations/us-central1/services/s",
        "generation": "3",
        "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED"},
        "template": {"containers": [{"image": "x", "ports": [{"containerPort": 8080}]}], "timeout": "300s"},
        "updateTime": "2025-09-03T10:11:30.512345Z",
    }
    assert response("run", SERVICE, body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"generation": 3}, "expected a string (int64), got a number"),
        (
            {"template": {"containers": [{"ports": [{"containerPort": "8080"}]}]}},
            "expected a JSON number (int32)",
        ),
        ({"terminalCondition": {"state": "SUCCEEDED"}}, "is not one of GoogleCloudRunV2Condition.state"),
        ({"updateTime": "2025-09-03 10:11:30"}, "is not a valid google-datetime"),
        ({"template": {"timeout": "300"}}, "is not a valid google-duration"),
        ({"trafficStatus": []}, "has no field 'trafficStatus'"),
        ({"labels": {"a": 1}}, "expected a string"),
        ({"reconciling": "false"}, "expected a boolean"),
    ],
)
def test_each_response_rule_catches_its_violation(body: dict[str, Any], expected: str) -> None:
    problems = response("run", SERVICE, body)
    assert any(expected in p for p in problems), problems


def test_an_operation_payload_is_checked_by_its_type() -> None:
    op = {
        "name": "projects/p/locations/us-central1/operations/o",
        "done": True,
        "response": {"@type": "type.googleapis.com/google.cloud.run.v2.Service", "bogus": 1},
    }
    assert any("has no field 'bogus'" in p for p in response("run", SERVICE, op, method="PATCH"))
    op["response"] = {"@type": "type.googleapis.com/google.cloud.run.v2.Nothing"}
    assert any("names no schema" in p for p in response("run", SERVICE, op, method="PATCH"))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, {"error": {"code": 404, "message": "m", "status": "ABORTED"}}, "maps to HTTP 409"),
        (403, {"error": {"code": 404, "message": "m"}}, "differs from the HTTP status"),
        (500, {"error": {"code": 500}}, "no message"),
        (500, {"message": "m"}, "expected {'error'"),
        (400, {"error": {"code": 400, "message": "m", "status": "NOPE"}}, "is not a google.rpc.Code"),
        (
            403,
            {
                "error": {
                    "code": 403,
                    "message": "m",
                    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "x": 1}],
                }
            },
            "ErrorInfo",
        ),
        (
            429,
            {"error": {"code": 429, "message": "m", "errors": [{"reason": "r", "weird": 1}]}},
            "legacy error item",
        ),
    ],
)
def test_error_bodies_are_google_rpc_status(status: int, body: Any, expected: str) -> None:
    problems = response("run", SERVICE, body, status=status)
    assert any(expected in p for p in problems), problems


def test_a_retry_info_detail_is_understood() -> None:
    detail = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}
    body = {"error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED", "details": [detail]}}
    assert response("run", SERVICE, body, status=429) == []


def test_requests_need_a_documented_method_and_parameters() -> None:
    assert any("no method of run.v2" in p for p in request("run", "POST", SERVICE + ":frobnicate", ALT))
    assert any(
        "unknown query parameter 'pageSise'" in p
        for p in request("run", "GET", SERVICE + "/revisions", {"pageSise": ["5"]})
    )
    assert any(
        "is not an integer" in p
        for p in request("run", "GET", SERVICE + "/revisions", {"pageSize": ["many"]})
    )
    assert any(
        "required query parameter testId is missing" in p
        for p in request(
            "networkmanagement", "POST", "/v1/projects/p/locations/global/connectivityTests", ALT, {}
        )
    )
    assert any("is not one of" in p for p in request("run", "GET", SERVICE, {"$alt": ["xml"]}))
    series = "/v3/projects/p/timeSeries"
    assert any(
        "is not a valid google-duration" in p
        for p in request("monitoring", "GET", series, {"aggregation.alignmentPeriod": ["300"]})
    )
    assert any(
        "is not a valid google-datetime" in p
        for p in request("monitoring", "GET", series, {"interval.endTime": ["2025-09-03 10:00"]})
    )
    assert any(
        "is not one of" in p
        for p in request("monitoring", "GET", series, {"aggregation.perSeriesAligner": ["ALIGN_P95"]})
    )
    ok = {
        "filter": ['metric.type = "run.googleapis.com/request_count"'],
        "interval.endTime": ["2025-09-03T10:00:00Z"],
        "view": ["FULL"],
        "aggregation.alignmentPeriod": ["300s"],
    }
    assert request("monitoring", "GET", series, ok) == []
    assert request("run", "GET", SERVICE, ALT) == []


def test_request_bodies_follow_the_request_schema() -> None:
    assert any("has no field 'trafic'" in p for p in request("run", "PATCH", SERVICE, ALT, {"trafic": []}))
    # Enum numbers are what the clients send with enum-encoding=int, and only then.
    body = {"template": {"containers": [{"image": "x"}]}, "traffic": [{"type": 2, "percent": 100}]}
    assert request("run", "PATCH", SERVICE, ALT, body) == []
    # "Required." in a field's description makes it required wherever its parent is sent.
    problems = request("run", "PATCH", SERVICE, ALT, {"template": {"containers": [{"name": "c"}]}})
    assert problems == [
        "run.projects.locations.services.patch body.template.containers[0]: required field image is missing"
    ]
    assert any(
        "expected a string" in p for p in request("run", "PATCH", SERVICE, {}, {"traffic": [{"type": 2}]})
    )


def test_documented_name_forms_are_enforced() -> None:
    body: dict[str, Any] = {
        "source": {"cloudRunRevision": {"uri": "projects/p/locations/r/services/s/revisions/x"}},
        "destination": {"ipAddress": "10.0.0.1", "port": 6379},
    }
    path = "/v1/projects/p/locations/global/connectivityTests"
    problems = request("networkmanagement", "POST", path, {**ALT, "testId": ["t"]}, body)
    assert any("is not in the documented form" in p for p in problems), problems
    body["source"]["cloudRunRevision"]["uri"] = "projects/p/locations/r/revisions/x"
    assert request("networkmanagement", "POST", path, {**ALT, "testId": ["t"]}, body) == []


def test_any_schema_finds_the_payload_type() -> None:
    assert (
        discovery.any_schema("run", "type.googleapis.com/google.cloud.run.v2.Service")
        == "GoogleCloudRunV2Service"
    )
    assert discovery.any_schema("networkmanagement", "type.googleapis.com/google.protobuf.Empty") == "Empty"
