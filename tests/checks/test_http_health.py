"""http.health against real servers on 127.0.0.1 (tests/servers.py); httpx is never patched."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest

from gate.checks.http_health import HttpHealth
from gate.context import AttemptContext, RunContext
from gate.model import CheckSpec, Outcome, Status
from gate.probes.resolve import Resolver
from tests.checks.worlds import service_facts
from tests.servers import (
    close_mid_response,
    echo,
    hang,
    huge,
    json_body,
    redirect,
    redirect_loop,
    refused_url,
    respond,
    self_signed_cert,
    serve,
    trickle,
)

S8_DEEP_HEALTH = {
    "status": "degraded",
    "checks": {
        "redis": {"status": "failed", "error": "Error -3 connecting to 10.166.204.83:6379"},
        "postgres": {"status": "degraded", "latency_ms": 5031},
        "clickhouse": {"status": "healthy"},
    },
}
S12_HEALTH = {"status": "healthy", "service": "netra-ai-platform", "version": "1.0.0", "uptime": 42}
DEEP_ASSERTIONS = [
    'status == "healthy"',
    'checks.redis.status in ["healthy", "ok"]',
    'checks.postgres.status != "degraded"',
    "checks.clickhouse exists",
]


class Recorder:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def record(self, check_id: str, **kw: Any) -> None:
        self.records.append({"check_id": check_id, **kw})


def run(
    params: Mapping[str, Any],
    *,
    timeout: float = 5.0,
    env: Mapping[str, str] | None = None,
    resolver: Resolver | None = None,
    recorder: Any = None,
    cloud: Any = None,
    attempt: int = 1,
) -> Outcome:
    check = HttpHealth(CheckSpec(id="health", type="http.health", params=params))
    ctx = AttemptContext(
        RunContext(
            project="p",
            region="r",
            env=dict(env or {}),
            resolver=resolver or Resolver(),
            recorder=recorder,
            cloud=cloud,
        ),
        check_id="health",
        deadline=time.monotonic() + timeout,
        attempt=attempt,
    )
    return check.attempt(ctx)


def dump(outcome: Outcome) -> str:
    return repr(outcome) + json.dumps(
        {"s": outcome.summary, "e": outcome.evidence, "r": outcome.remediation}, default=str
    )


# -- answers ---------------------------------------------------------------------------


def test_healthy_200_passes_with_evidence_and_metrics() -> None:
    with serve({"/health": json_body(S12_HEALTH)}) as base:
        out = run(
            {"url": base + "/health", "expect": {"json": ['status == "healthy"', 'version =~ "^1\\."']}}
        )
    assert out.status is Status.PASS, out
    assert out.evidence["status"] == 200
    assert out.evidence["url"] == base + "/health"
    assert [a["ok"] for a in out.evidence["assertions"]] == [True, True]
    assert out.evidence["assertions"][0]["actual"] == "healthy"
    assert out.metrics["latency_ms"] >= 0
    assert "2 body assertions held" in out.summary


def test_503_fails_quoting_status_and_body() -> None:
    with serve({"/health": respond(503, "Service Unavailable: Worker failed to boot.")}) as base:
        out = run({"url": base + "/health"})
    assert out.status is Status.FAIL
    assert "HTTP 503" in out.summary and "expected 200" in out.summary
    assert "Worker failed to boot." in out.summary
    assert out.evidence["status"] == 503
    assert not out.final  # a deploy may still become healthy while the engine polls


def test_status_list_and_class_accept() -> None:
    with serve({"/a": respond(204), "/b": respond(201)}) as base:
        assert run({"url": base + "/a", "expect": {"status": [200, 204]}}).status is Status.PASS
        assert run({"url": base + "/b", "expect": {"status": "2xx"}}).status is Status.PASS
        assert run({"url": base + "/b"}).status is Status.FAIL


def test_body_quote_is_capped_at_300_chars() -> None:
    with serve({"/": respond(500, "E" * 5000)}) as base:
        out = run({"url": base + "/"})
    assert out.status is Status.FAIL
    assert "E" * 300 in out.summary and "E" * 301 not in out.summary


def test_s8_degraded_body_fails_naming_the_assertion() -> None:
    with serve({"/api/health": json_body(S8_DEEP_HEALTH)}) as base:
        out = run({"url": base + "/api/health", "expect": {"json": DEEP_ASSERTIONS}})
    assert out.status is Status.FAIL
    assert "3 of 4 body assertions failed" in out.summary
    assert 'status == "healthy"' in out.summary and '"degraded"' in out.summary
    by_text = {a["assertion"]: a for a in out.evidence["assertions"]}
    assert by_text['checks.redis.status in ["healthy", "ok"]'] == {
        "assertion": 'checks.redis.status in ["healthy", "ok"]',
        "ok": False,
        "actual": "failed",
    }
    assert by_text['checks.postgres.status != "degraded"']["ok"] is False
    assert by_text["checks.clickhouse exists"]["ok"] is True
    assert not out.final


def test_s12_healthy_deep_health_passes() -> None:
    healthy = {
        "status": "healthy",
        "checks": {k: {"status": "healthy"} for k in ("redis", "postgres", "clickhouse")},
    }
    with serve({"/api/health": json_body(healthy)}) as base:
        out = run({"url": base + "/api/health", "expect": {"json": DEEP_ASSERTIONS}})
    assert out.status is Status.PASS, out.summary


def test_invalid_json_fails_when_assertions_exist() -> None:
    with serve({"/health": respond(200, "<html>login</html>")}) as base:
        out = run({"url": base + "/health", "expect": {"json": ['status == "healthy"']}})
        plain = run({"url": base + "/health"})
    assert out.status is Status.FAIL
    assert "not valid JSON" in out.summary
    assert out.evidence["body"] == "<html>login</html>"
    assert plain.status is Status.PASS  # no JSON assertion, no JSON needed


def test_body_contains_and_response_headers() -> None:
    routes = {"/": respond(200, "all OK", headers={"X-Version": "1.2.3", "Set-Cookie": "sid=abcdef123"})}
    with serve(routes) as base:
        ok = run(
            {
                "url": base + "/",
                "expect": {
                    "body_contains": "OK",
                    "body_not_contains": ["ERROR"],
                    "headers": {"X-Version": {"matches": "^1\\."}, "Set-Cookie": {"exists": True}},
                },
            }
        )
        missing = run({"url": base + "/", "expect": {"body_contains": ["healthy"]}})
        header = run({"url": base + "/", "expect": {"headers": {"Set-Cookie": "sid=other"}}})
    assert ok.status is Status.PASS, ok.summary
    assert missing.status is Status.FAIL and 'does not contain "healthy"' in missing.summary
    assert header.status is Status.FAIL and "Set-Cookie" in header.summary
    assert "abcdef123" not in dump(header)  # a sensitive header's value is never quoted


def test_post_json_body_is_sent() -> None:
    with serve({"/probe": echo()}) as base:
        out = run(
            {
                "url": base + "/probe",
                "method": "POST",
                "json": {"ping": 1},
                "expect": {"json": ['method == "POST"']},
            }
        )
        got = base.requests[-1]
    assert out.status is Status.PASS, out.summary
    assert json.loads(got.body) == {"ping": 1}
    assert got.headers["content-type"] == "application/json"


# -- no usable answer --------------------------------------------------------------------


def test_read_timeout_fails_timed_out_within_bound() -> None:
    with serve({"/health": hang()}) as base:
        t0 = time.monotonic()
        out = run({"url": base + "/health", "read_timeout": "500ms"}, timeout=10)
        took = time.monotonic() - t0
    assert out.status is Status.FAIL
    assert "timed out" in out.summary and "waiting for the response" in out.summary
    assert took < 5  # the read timeout, not the 10 s attempt deadline, ended it
    assert not out.final


def test_hang_is_bounded_by_the_attempt_deadline() -> None:
    # S3: the read timeout (30 s) is longer than the attempt; the attempt's deadline wins.
    with serve({"/health": hang()}) as base:
        t0 = time.monotonic()
        out = run({"url": base + "/health", "read_timeout": "30s"}, timeout=1.0)
        took = time.monotonic() - t0
    assert out.status is Status.FAIL and "timed out" in out.summary
    assert took < 1.0 + 2.0


def test_trickling_body_fails_within_the_attempt_deadline() -> None:
    # One byte every 0.2 s never trips a read timeout; only the total deadline stops it.
    with serve({"/health": trickle(b"x" * 200, bytes_per_second=5)}) as base:
        t0 = time.monotonic()
        out = run({"url": base + "/health", "read_timeout": "10s"}, timeout=1.5)
        took = time.monotonic() - t0
    assert out.status is Status.FAIL
    assert "timed out after" in out.summary and "reading the body" in out.summary
    assert took < 1.5 + 2.0


def test_slow_byte_trickle_is_cut_at_the_deadline_not_at_the_next_byte() -> None:
    # A byte every 4 s: waiting for the next byte would overrun a 1 s deadline by ~3 s.
    with serve({"/health": trickle(b"xxxx", bytes_per_second=0.25)}) as base:
        t0 = time.monotonic()
        out = run({"url": base + "/health", "read_timeout": "10s"}, timeout=1.0)
        took = time.monotonic() - t0
    assert out.status is Status.FAIL and "timed out" in out.summary
    assert took < 1.0 + 1.5


def test_connection_refused() -> None:
    with refused_url() as url:
        out = run({"url": url + "/health"})
    assert out.status is Status.FAIL
    assert out.summary.startswith("connection refused")
    assert out.evidence["error"] == "connection_refused"
    assert not out.final


def test_dns_failure_is_named() -> None:
    out = run({"url": "http://gate-health-test.invalid/health"}, timeout=10)
    assert out.status is Status.FAIL
    assert "DNS" in out.summary
    assert out.evidence["error"] == "dns"


def test_connection_closed_mid_response() -> None:
    with serve({"/health": close_mid_response(b'{"status": "hea', declared=500)}) as base:
        out = run({"url": base + "/health"})
    assert out.status is Status.FAIL
    assert "connection closed" in out.summary


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    made = self_signed_cert(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("neither the cryptography package nor the openssl CLI is available")
    return made


def test_tls_self_signed_fails_naming_tls(cert: tuple[Path, Path]) -> None:
    with serve({"/health": json_body(S12_HEALTH)}, tls=cert) as base:
        assert base.startswith("https://")
        out = run({"url": base + "/health"})
        unverified = run({"url": base + "/health", "verify_tls": False})
    assert out.status is Status.FAIL
    assert "TLS" in out.summary and "certificate verify failed" in out.summary
    assert out.evidence["error"] == "tls"
    assert unverified.status is Status.PASS, unverified.summary


# -- redirects and size -------------------------------------------------------------------


def test_redirect_loop_is_not_followed_and_names_location() -> None:
    with serve({"/health": redirect_loop()}) as base:
        out = run({"url": base + "/health"})
        seen = len(base.requests)
    assert out.status is Status.FAIL
    assert f"to {base}/health" in out.summary and "follow_redirects is false" in out.summary
    assert out.evidence["location"] == base + "/health"
    assert seen == 1


def test_redirect_to_another_host_names_redacted_location() -> None:
    target = "https://login.example.com/sso?token=canary-redirect-9f8e7d&next=%2F"
    with serve({"/health": redirect(target)}) as base:
        out = run({"url": base + "/health"})
        seen = len(base.requests)
    assert out.status is Status.FAIL
    assert "https://login.example.com/sso?token=" in out.summary
    assert "canary-redirect-9f8e7d" not in dump(out)
    assert seen == 1


def test_follow_redirects_follows_and_stops_loops() -> None:
    with serve(
        {"/old": redirect("/health", 301), "/health": json_body(S12_HEALTH), "/loop": redirect_loop()}
    ) as base:
        followed = run({"url": base + "/old", "follow_redirects": True})
        loop = run({"url": base + "/loop", "follow_redirects": True})
    assert followed.status is Status.PASS, followed.summary
    assert followed.evidence["redirects"] == [base + "/old"]
    assert loop.status is Status.FAIL and "more than 10 redirects" in loop.summary


@pytest.mark.parametrize("declare_length", [True, False])
def test_huge_body_fails_with_bounded_memory(declare_length: bool) -> None:
    with serve({"/health": huge(10 * 1024 * 1024, declare_length=declare_length)}) as base:
        tracemalloc.start()
        try:
            out = run({"url": base + "/health"}, timeout=10)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert out.status is Status.FAIL
    assert "body larger than 1 MiB" in out.summary
    assert peak < 4 * 1024 * 1024  # the 10 MiB body was never held


def test_max_body_is_configurable() -> None:
    with serve({"/health": respond(200, "x" * 2000)}) as base:
        out = run({"url": base + "/health", "max_body": "1KiB"})
    assert out.status is Status.FAIL and "body larger than 1 KiB" in out.summary


# -- latency ------------------------------------------------------------------------------


def test_latency_samples_report_percentiles_and_pass() -> None:
    with serve({"/health": json_body(S12_HEALTH)}) as base:
        out = run({"url": base + "/health", "latency": {"p95": "2s", "samples": 5}}, timeout=10)
        seen = len(base.requests)
    assert out.status is Status.PASS, out.summary
    assert seen == 5
    for key in ("latency_ms", "latency_p50_ms", "latency_p95_ms", "latency_max_ms"):
        assert key in out.metrics
    assert out.metrics["latency_p50_ms"] <= out.metrics["latency_p95_ms"] <= out.metrics["latency_max_ms"]


def test_latency_p95_over_budget_fails() -> None:
    with serve({"/health": respond(200, "ok", delay=0.3)}) as base:
        out = run({"url": base + "/health", "latency": {"p95": "100ms", "samples": 3}}, timeout=10)
    assert out.status is Status.FAIL
    assert "latency over budget" in out.summary and "p95 of 3 samples" in out.summary
    assert out.metrics["latency_p95_ms"] >= 300


def test_latency_max_over_budget_fails() -> None:
    with serve({"/health": respond(200, "ok", delay=0.3)}) as base:
        out = run({"url": base + "/health", "latency": {"max": "50ms"}})
    assert out.status is Status.FAIL and "latency over budget" in out.summary
    assert out.metrics["latency_ms"] >= 300


# -- secrets ----------------------------------------------------------------------------

HEADER_CANARY = "canary-header-5a1b2c3d4e"
QUERY_CANARY = "canary-query-6f7a8b9c0d"


@pytest.mark.parametrize("status", [200, 503])
def test_secrets_never_in_outcome_or_records(status: int) -> None:
    recorder = Recorder()
    with serve({"/health": echo(status)}) as base:
        out = run(
            {
                # sig= is masked in URLs but not by the free-text patterns: only the
                # check registering it as a secret keeps the echoed copy out.
                "url": f"{base}/health?token={QUERY_CANARY}&sig={QUERY_CANARY}2",
                "headers": {"X-Probe": {"env": "HEALTH_KEY"}, "Authorization": {"env": "HEALTH_AUTH"}},
                "expect": {"json": ['method == "GET"', "headers exists", 'path =~ "^/health"']},
            },
            env={"HEALTH_KEY": HEADER_CANARY, "HEALTH_AUTH": "Bearer " + HEADER_CANARY + "x"},
            recorder=recorder,
        )
        received = base.requests[-1]
    # The request really carried both secrets (so the test would notice a leak) ...
    assert received.headers["x-probe"] == HEADER_CANARY
    assert QUERY_CANARY in received.path
    # ... and the server echoed them back into the body, yet no output holds them.
    assert out.status is (Status.PASS if status == 200 else Status.FAIL), out.summary
    text = dump(out) + json.dumps(recorder.records, default=str)
    assert HEADER_CANARY not in text
    assert QUERY_CANARY not in text
    assert recorder.records[0]["request"]["headers"] == ["Authorization", "X-Probe"]
    assert recorder.records[0]["kind"] == "http"


def test_missing_env_var_is_an_error_and_nothing_is_sent() -> None:
    with serve({"/health": echo()}) as base:
        out = run({"url": base + "/health", "headers": {"X-Api-Key": {"env": "HEALTH_KEY_UNSET"}}})
        seen = len(base.requests)
    assert out.status is Status.ERROR
    assert "HEALTH_KEY_UNSET" in out.summary
    assert out.final
    assert seen == 0


def test_recorder_gets_the_exchange() -> None:
    recorder = Recorder()
    with serve({"/health": json_body(S12_HEALTH, headers={"Set-Cookie": "session=abc123secret"})}) as base:
        out = run({"url": base + "/health"}, recorder=recorder)
    assert out.status is Status.PASS
    (rec,) = recorder.records
    assert rec["check_id"] == "health" and rec["response"]["status"] == 200
    assert json.loads(rec["response"]["body"]) == S12_HEALTH
    assert ["set-cookie", "***"] in rec["response"]["headers"]
    assert rec["duration"] > 0


def test_object_without_record_method_is_ignored() -> None:
    with serve({"/health": json_body(S12_HEALTH)}) as base:
        assert run({"url": base + "/health"}, recorder=object()).status is Status.PASS


# -- where the request goes ----------------------------------------------------------------


def test_resolver_sends_original_host_to_local_server() -> None:
    public = "https://api.staging.netrasystems.ai"
    with serve({"/health": json_body(S12_HEALTH)}) as base:
        out = run({"url": public + "/health"}, resolver=Resolver({public: base}))
        got = base.requests[-1]
    assert out.status is Status.PASS, out.summary
    assert got.headers["host"] == "api.staging.netrasystems.ai"
    assert got.path == "/health"
    assert out.evidence["url"] == public + "/health"
    assert out.evidence["connected_to"] == base + "/health"


def _cloud(uri: str | None, tags: Mapping[str, str]) -> Any:
    calls: list[tuple[str, float, bool]] = []
    facts = service_facts(uri, tags)

    def service(name: str, *, deadline: float, fresh: bool = False) -> Any:
        calls.append((name, deadline, fresh))
        return facts

    return SimpleNamespace(run=SimpleNamespace(service=service), calls=calls)


def test_service_and_tag_urls_come_from_cloud_run() -> None:
    service_url = "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"
    tag_url = "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app"
    with serve({"/health": json_body(S12_HEALTH)}) as base:
        resolver = Resolver({service_url: base, tag_url: base})
        cloud = _cloud(service_url, {"candidate": tag_url})
        plain = run({"service": "netra-backend-staging", "path": "/health"}, resolver=resolver, cloud=cloud)
        tagged = run(
            {"service": "netra-backend-staging", "tag": "candidate", "path": "health"},
            resolver=resolver,
            cloud=cloud,
            attempt=2,
        )
        missing = run({"service": "netra-backend-staging", "tag": "nope"}, resolver=resolver, cloud=cloud)
        hosts = [r.headers["host"] for r in base.requests]
    assert plain.status is Status.PASS and plain.evidence["url"] == service_url + "/health"
    assert tagged.status is Status.PASS and tagged.evidence["url"] == tag_url + "/health"
    assert hosts == [service_url[8:], tag_url[8:]]
    assert [c[2] for c in cloud.calls] == [False, True, False]  # fresh facts on a retry
    assert missing.status is Status.FAIL and "no traffic tag 'nope'" in missing.summary
    assert "candidate" in missing.summary


def test_service_without_cloud_is_an_error() -> None:
    out = run({"service": "netra-backend-staging"})
    assert out.status is Status.ERROR and out.final


# -- parameters -----------------------------------------------------------------------------


def test_semantic_errors_name_the_path() -> None:
    errors = HttpHealth.semantic_errors(
        {
            "url": "https://x.example/health",
            "expect": {"json": ['status == "healthy"', "checks.redis.status"]},
        }
    )
    assert errors == [
        (
            "expect.json[1]",
            "expected an operator (==, !=, in, =~, <, <=, >, >=, exists) after 'checks.redis.status'",
        )
    ]
    assert HttpHealth.semantic_errors({"url": "https://x.example", "service": "s"}) == [
        ("", "give exactly one of url or service")
    ]
    assert ("latency.p95", "a p95 needs latency.samples of at least 2 (e.g. samples: 20)") in (
        HttpHealth.semantic_errors({"url": "https://x.example", "latency": {"p95": "1s"}})
    )
    assert HttpHealth.semantic_errors({"url": "https://x.example", "json": {"a": 1}}) == [
        ("json", "a request body is sent only with POST, PUT, PATCH, DELETE, not GET")
    ]
    assert HttpHealth.semantic_errors({"url": "https://x.example", "headers": {"Host": "y"}}) == [
        ("headers.Host", "Host is taken from the URL; it cannot be set")
    ]
    assert HttpHealth.semantic_errors({"url": "https://x.example", "read_timeout": "0s"}) == [
        ("read_timeout", "must be longer than 0s")
    ]


def test_invalid_params_attempt_is_a_final_error() -> None:
    out = run({"url": "https://x.example", "expect": {"json": ["status =="]}})
    assert out.status is Status.ERROR and out.final and "expect.json[0]" in out.summary


def test_schema_is_valid_and_documents_every_property() -> None:
    schema = HttpHealth.params_schema
    jsonschema.Draft202012Validator.check_schema(schema)

    def walk(node: Mapping[str, Any], path: str) -> None:
        for name, prop in node.get("properties", {}).items():
            assert prop.get("description"), f"{path}{name} has no description"
            if name not in ("url", "service", "tag", "body", "json") and "properties" not in prop:
                assert "default" in prop or path, f"{path}{name} has no default"
            walk(prop, f"{path}{name}.")

    walk(schema, "")
    jsonschema.validate(HttpHealth.example["with"], schema)
    assert HttpHealth.semantic_errors(HttpHealth.example["with"]) == []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"url": "https://x", "bogus": 1}, schema)
