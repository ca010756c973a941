"""Rebuilding the world a recorded run saw, from its exchanges (no emulator, no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.evidence.bundle import PLACEHOLDER
from gate.evidence.bundle_reader import Bundle
from gate.evidence.rebuild import REDACTED_NOTE, WS_NOTE, rebuild
from gate.model import CheckSpec, Policy

SVC = "projects/123456/locations/us-central1/services/api"


def _api(
    seq: int, api: str, method: str, resource: str, status: int | None, body: Any = None, **kw: Any
) -> dict[str, Any]:
    return {
        "kind": "google-api",
        "seq": seq,
        "api": api,
        "method": method,
        "resource": resource,
        "status": status,
        "body": body,
        **kw,
    }


def _http(seq: int, check: str, url: str, response: dict[str, Any], duration: float = 0.0) -> dict[str, Any]:
    return {
        "kind": "http",
        "seq": seq,
        "check": check,
        "request": {"url": url},
        "response": response,
        "duration": duration,
    }


def _rebuild(exchanges: list[dict[str, Any]], *specs: CheckSpec) -> Any:
    policy = Policy("proj", "us-central1", specs)
    return rebuild(Bundle(Path("/tmp/b"), {}, {}, {}, exchanges), policy)


def test_the_last_answer_for_a_resource_is_the_world() -> None:
    out = _rebuild(
        [
            _api(2, "run", "GetService", SVC, 200, {"name": SVC, "generation": "2"}),
            _api(1, "run", "GetService", SVC, 200, {"name": SVC, "generation": "1"}),
        ]
    )
    assert out.world["run"]["services"] == [{"name": SVC, "generation": "2"}]
    assert out.world["projectNumber"] == "123456"
    assert (out.world["project"], out.world["kind"]) == ("proj", "World")


def test_a_404_is_an_absent_resource_and_other_failures_are_faults() -> None:
    out = _rebuild(
        [
            _api(1, "redis", "GetInstance", "projects/p/locations/r/instances/gone", 404),
            _api(
                2,
                "sqladmin",
                "sql.instances.get",
                "projects/p/instances/db",
                403,
                {"error": {"message": "denied (sql.instances.get)"}},
            ),
            _api(
                3,
                "vpcaccess",
                "GetConnector",
                "projects/p/locations/r/connectors/c/",
                None,
                error="ReadTimeout: timed out",
            ),
            _api(4, "logging", "entries.list", "projects/p", None, error="JSONDecodeError: bad"),
            _api(5, "secretmanager", "GetSecret", "projects/p/secrets/s", None, error="ConnectError: reset"),
        ]
    )
    assert "redis" not in out.world
    assert out.world["faults"] == [
        {
            "api": "sqladmin",
            "path": "projects/p/instances/db$",
            "status": 403,
            "message": "denied (sql.instances.get)",
        },
        {"api": "vpcaccess", "path": "projects/p/locations/r/connectors/c$", "hang": True},
        {"api": "logging", "path": "entries:list", "malformed": True},
        {"api": "secretmanager", "path": "projects/p/secrets/s$", "reset": True},
    ]


def test_list_answers_are_merged_and_a_version_brings_its_secret() -> None:
    version = "projects/p/secrets/s/versions/3"
    out = _rebuild(
        [
            _api(1, "sqladmin", "sql.tiers.list", "projects/p", 200, {"items": [{"tier": "db-f1-micro"}]}),
            _api(2, "sqladmin", "sql.tiers.list", "projects/p", 200, {"items": [{"tier": "db-g1-small"}]}),
            _api(3, "secretmanager", "GetSecretVersion", version, 200, {"name": version, "state": "ENABLED"}),
            _api(
                4,
                "networkmanagement",
                "GetConnectivityTest",
                "projects/p/tests/t",
                200,
                {"name": "t", "source": {"a": 1}, "reachabilityDetails": {"result": "REACHABLE"}},
            ),
        ]
    )
    assert out.world["sqladmin"]["tiers"] == [{"tier": "db-f1-micro"}, {"tier": "db-g1-small"}]
    assert out.world["secretmanager"]["secrets"] == [{"name": "projects/p/secrets/s"}]
    assert out.world["networkmanagement"] == {
        "results": [{"source": {"a": 1}, "reachabilityDetails": {"result": "REACHABLE"}}]
    }


def test_http_answers_become_endpoints_and_the_rest_is_refused() -> None:
    spec = CheckSpec("h", "http.health", {"url": "https://other.example/health"})
    out = _rebuild(
        [
            _http(
                1,
                "h",
                "https://api.example/health",
                {"status": 503, "body": "down", "headers": [["X-A", "1"], ["Content-Length", "4"]]},
                0.25,
            ),
            _http(2, "h", "https://slow.example/", {"error": "timed out after 2s"}),
            _http(3, "h", "http://closed.example/", {"error": "connection refused"}),
            _http(4, "t", "https://api.example/big", {"status": 200, "body": "x", "body_truncated": True}),
            _http(5, "d", "https://dns.example/", {"error": "name resolution failed"}),
        ],
        spec,
    )
    assert out.world["endpoints"] == [
        {
            "origin": "https://api.example",
            "paths": {
                "/health": {"status": 503, "text": "down", "headers": {"X-A": "1"}, "delay": "250ms"},
                "/big": {"status": 200, "text": "x"},
            },
        },
        {"origin": "https://slow.example", "paths": {"/": {"hang": True}}},
    ]
    assert out.refused_origins == ["http://closed.example", "https://other.example"]
    assert out.not_replayable["t"].startswith("not replayable: the response body was truncated")
    assert out.not_replayable["d"].startswith("not replayable: the recorded failure cannot be reproduced")


def test_websocket_and_redacted_value_rules_are_not_replayable() -> None:
    rev = "projects/p/locations/r/services/api/revisions/api-1"
    env = [{"name": "PORT", "value": PLACEHOLDER}, {"name": "MODE", "value": "live"}]
    out = _rebuild(
        [_api(1, "run", "GetRevision", rev, 200, {"name": rev, "containers": [{"env": env}]})],
        CheckSpec("ws", "websocket.golden_path", {"service": "api"}),
        CheckSpec("port", "run.env", {"service": "api", "vars": {"PORT": {"port": True}}}),
        CheckSpec("mode", "run.env", {"service": "api", "vars": {"MODE": {"one_of": ["live"]}}}),
        CheckSpec("present", "run.env", {"service": "api", "required": ["PORT"]}),
    )
    assert out.not_replayable == {"ws": WS_NOTE, "port": f"{REDACTED_NOTE} (PORT)"}
