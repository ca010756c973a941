"""websocket.golden_path against the real Netra-like server in gate.emulator.agent_server.

Every test talks to a real server on 127.0.0.1 (port 0); nothing is patched.
Timing bounds are loose: the machine is shared.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from gate.checks.golden_path import EVENTS, GoldenPath
from gate.context import AttemptContext, Cancelled, RunContext
from gate.emulator.agent_server import GoldenPathServer, config_errors
from gate.emulator.world import load_world
from gate.gcp.facts_run import Service
from gate.model import CheckSpec, Outcome, Status
from gate.probes.resolve import Resolver
from gate.redact import Redactor
from tests.checks.worlds import service_facts

CANARY = "eyJhbGciOiJIUzI1NiJ9.Y2FuYXJ5LXRva2VuLTQyNDI.c2lnbmF0dXJlLWNhbmFyeQ"
PASSWORD = "hunter2-canary-password"


@contextlib.contextmanager
def server(**config: Any) -> Iterator[GoldenPathServer]:
    s = GoldenPathServer(config)
    s.start()
    try:
        yield s
    finally:
        s.stop()


def run(
    params: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    resolver: Resolver | None = None,
    budget: float = 30.0,
    cancelled: threading.Event | None = None,
    cloud: Any = None,
) -> Outcome:
    check = GoldenPath(CheckSpec(id="golden-path", type=GoldenPath.name, params=dict(params)))
    run_ctx = RunContext(
        project="netra-staging",
        region="us-central1",
        env=dict(env or {}),
        resolver=resolver or Resolver(),
        redactor=Redactor(),
        cloud=cloud,
    )
    if cancelled is not None:
        run_ctx.cancelled = cancelled
    ctx = AttemptContext(run=run_ctx, check_id="golden-path", deadline=time.monotonic() + budget)
    return check.attempt(ctx)


def dump(outcome: Outcome) -> str:
    return repr(outcome) + json.dumps(
        {
            "summary": outcome.summary,
            "evidence": outcome.evidence,
            "remediation": outcome.remediation,
            "metrics": outcome.metrics,
        },
        default=str,
    )


def session_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("gate-ws-session")]


# -- each server mode: status and exact reason --------------------------------------


def test_healthy_single_session_passes_with_metrics() -> None:
    with server(token=CANARY) as s:
        out = run({"url": s.url + "/ws", "token_env": "TOKEN"}, env={"TOKEN": CANARY})
    assert out.status is Status.PASS, out.summary
    assert out.summary == "all 5 events arrived in order"
    for key in ("ws_connect_ms", "first_event_ms", "final_ms", "first_event_p95_ms", "final_p95_ms"):
        assert out.metrics[key] >= 0, key
    assert out.metrics["sessions_ok"] == 1 and out.metrics["sessions_failed"] == 0
    assert out.evidence["events_received"] == ["connection_established", *EVENTS]
    assert s.handshakes[0]["subprotocol_offered"] and s.handshakes[0]["bearer_offered"]
    assert not session_threads()


def test_reject_subprotocol_reports_http_status_and_body() -> None:
    with server(mode="reject_subprotocol", token=CANARY) as s:
        out = run({"url": s.url + "/ws", "token_env": "TOKEN"}, env={"TOKEN": CANARY})
    assert out.status is Status.FAIL
    assert out.summary == "handshake rejected with HTTP 500"
    assert out.evidence["http_status"] == 500
    assert out.evidence["http_body"] == "no subprotocols supported"
    assert out.evidence["subprotocol_offered"] == "jwt.<token, base64url>"
    assert "subprotocol" in out.remediation


def test_reject_status_503_is_named() -> None:
    with server(mode="reject_subprotocol", reject_status=503) as s:
        out = run({"url": s.url, "token_env": "TOKEN"}, env={"TOKEN": CANARY})
    assert (out.status, out.summary) == (Status.FAIL, "handshake rejected with HTTP 503")


def test_no_subprotocol_selected_fails() -> None:
    with server(mode="no_subprotocol", token=CANARY) as s:
        out = run({"url": s.url, "token_env": "TOKEN"}, env={"TOKEN": CANARY})
    assert (out.status, out.summary) == (Status.FAIL, "server selected no subprotocol")


def test_no_subprotocol_is_fine_when_none_was_offered() -> None:
    with server(mode="no_subprotocol", token=CANARY) as s:
        out = run({"url": s.url, "token_env": "TOKEN", "subprotocol": False}, env={"TOKEN": CANARY})
    assert out.status is Status.PASS, out.summary
    assert not s.handshakes[0]["subprotocol_offered"]


def test_silent_pipeline_lists_every_missing_event() -> None:
    with server(mode="silent") as s:
        started = time.monotonic()
        out = run({"url": s.url, "step_timeout": "1s"})
        elapsed = time.monotonic() - started
    assert out.status is Status.FAIL
    assert out.summary == (
        "events never came: agent_started, agent_thinking, tool_executing, tool_completed, agent_completed "
        "(received: none); timed out waiting for agent_started after 1s"
    )
    assert out.evidence["events_missing"] == list(EVENTS)
    assert "LLM Manager" in out.remediation
    assert elapsed < 10


def test_partial_events_names_received_and_missing() -> None:
    with server(mode="partial") as s:
        out = run({"url": s.url, "step_timeout": "1s"})
    assert out.status is Status.FAIL
    assert out.summary == (
        "events never came: tool_completed, agent_completed "
        "(received: agent_started, agent_thinking, tool_executing); "
        "timed out waiting for tool_completed after 1s"
    )


def test_close_midway_reports_close_code_and_where() -> None:
    with server(mode="close_midway") as s:
        out = run({"url": s.url})
    assert out.status is Status.FAIL
    assert out.summary == "connection closed with 1000 (OK) main cleanup mid-flow after agent_thinking"
    assert out.evidence["close"] == "1000 (OK) main cleanup"
    assert out.evidence["events_missing"] == ["tool_executing", "tool_completed", "agent_completed"]


def test_slow_backend_over_latency_budget() -> None:
    with server(mode="slow", delay=0.3) as s:
        out = run({"url": s.url, "latency": {"final": "500ms"}})
    assert out.status is Status.FAIL
    assert out.summary.startswith("final event ") and out.summary.endswith("ms over budget 500ms")
    assert out.metrics["final_ms"] >= 1200  # four gaps of 0.3 s


def test_slow_backend_within_budget_passes() -> None:
    with server(mode="slow", delay=0.05) as s:
        out = run({"url": s.url, "latency": {"first_event": "5s", "final": "10s"}})
    assert out.status is Status.PASS, out.summary


def test_slow_event_times_out_per_step() -> None:
    with server(mode="slow", delay=3) as s:
        out = run({"url": s.url, "step_timeout": "1s"})
    assert out.status is Status.FAIL
    assert out.summary.endswith("timed out waiting for agent_thinking after 1s")


# -- concurrency (S11) ---------------------------------------------------------


def test_concurrent_sessions_closed_with_main_cleanup() -> None:
    with server(mode="fail_under_concurrency") as s:
        out = run({"url": s.url, "sessions": 5})
    assert out.status is Status.FAIL
    assert out.summary == (
        "5 of 5 concurrent sessions failed: "
        "connection closed with 1000 (OK) main cleanup mid-flow after agent_thinking (5)"
    )
    assert out.metrics["sessions_failed"] == 5 and out.metrics["sessions_ok"] == 0
    assert len(out.evidence["failures"]) == 5
    assert "main cleanup" in out.remediation
    assert s.peak_sessions == 5
    assert not session_threads()


def test_fail_under_concurrency_is_healthy_alone() -> None:
    with server(mode="fail_under_concurrency") as s:
        out = run({"url": s.url})
    assert out.status is Status.PASS, out.summary


def test_healthy_five_sessions_pass_with_p95() -> None:
    with server(token=CANARY) as s:
        out = run({"url": s.url, "token_env": "TOKEN", "sessions": 5}, env={"TOKEN": CANARY})
    assert out.status is Status.PASS, out.summary
    assert out.summary == "5 of 5 concurrent sessions completed the golden path"
    assert out.metrics["sessions_ok"] == 5
    assert out.metrics["final_p95_ms"] >= out.metrics["final_ms"] > 0
    assert s.peak_sessions == 5  # all five really were open at once


def test_some_concurrent_sessions_failed_names_the_count() -> None:
    with server(mode="fail_under_concurrency", survivors=2) as s:
        out = run({"url": s.url, "sessions": 5})
    assert out.status is Status.FAIL
    assert out.summary == (
        "3 of 5 concurrent sessions failed: "
        "connection closed with 1000 (OK) main cleanup mid-flow after agent_thinking (3)"
    )
    assert len(out.evidence["failures"]) == 3
    assert out.metrics["sessions_ok"] == 2


@pytest.mark.parametrize("require", [0.4, 2])
def test_require_tolerates_failed_sessions(require: float) -> None:
    with server(mode="fail_under_concurrency", survivors=2) as s:
        out = run({"url": s.url, "sessions": 5, "require": require})
    assert out.status is Status.PASS, out.summary
    assert out.summary == (
        "2 of 5 concurrent sessions completed the golden path (require 2); 3 failed: "
        "connection closed with 1000 (OK) main cleanup mid-flow after agent_thinking (3)"
    )


def test_require_three_of_five_is_not_met_by_two() -> None:
    with server(mode="fail_under_concurrency", survivors=2) as s:
        out = run({"url": s.url, "sessions": 5, "require": 0.6})
    assert out.status is Status.FAIL
    assert out.summary.startswith("3 of 5 concurrent sessions failed")


def test_errors_are_grouped_by_reason() -> None:
    # No token offered to a server that wants one: every session is refused the same way.
    with server(token=CANARY) as s:
        out = run({"url": s.url, "sessions": 4})
    assert out.status is Status.FAIL
    assert out.summary == "4 of 4 concurrent sessions failed: handshake rejected with HTTP 401 (4)"


# -- auth ------------------------------------------------------------------------


def test_login_flow_takes_token_from_json_path_and_never_shows_it() -> None:
    login = {"credentials": {"email": "probe@netrasystems.ai", "password": PASSWORD}}
    with server(token=CANARY, login=login) as s:
        params = {
            "url": s.url,
            "login": {
                "url": s.login_url,
                "json": {"email": "probe@netrasystems.ai", "password": {"env": "PROBE_PASSWORD"}},
                "token_path": "access_token",
            },
        }
        out = run(params, env={"PROBE_PASSWORD": PASSWORD})
    assert out.status is Status.PASS, out.summary
    assert s.handshakes[0]["subprotocol_offered"] and s.handshakes[0]["bearer_offered"]
    text = dump(out)
    for secret in (CANARY, PASSWORD, base64.urlsafe_b64encode(CANARY.encode()).decode().rstrip("=")):
        assert secret not in text


def test_login_with_wrong_password_fails() -> None:
    login = {"credentials": {"password": PASSWORD}}
    with server(token=CANARY, login=login) as s:
        params = {"url": s.url, "login": {"url": s.login_url, "json": {"password": "wrong-password"}}}
        out = run(params)
    assert (out.status, out.summary) == (Status.FAIL, "login failed with HTTP 401")
    assert "wrong-password" not in dump(out)


def test_login_token_path_missing_fails() -> None:
    with server(token=CANARY, login={}) as s:
        params = {"url": s.url, "login": {"url": s.login_url, "token_path": "data.token"}}
        out = run(params)
    assert (out.status, out.summary) == (Status.FAIL, "login response has no token at data.token")
    assert CANARY not in dump(out)


def test_wrong_token_is_rejected_401() -> None:
    with server(token=CANARY) as s:
        out = run({"url": s.url, "token_env": "TOKEN"}, env={"TOKEN": "not-the-token-123"})
    assert (out.status, out.summary) == (Status.FAIL, "handshake rejected with HTTP 401")
    assert "JWT_SECRET_KEY" in out.remediation


@pytest.mark.parametrize("encoding", ["raw", "base64url"])
def test_subprotocol_only_auth_in_both_encodings(encoding: str) -> None:
    with server(token=CANARY) as s:
        params = {"url": s.url, "token_env": "T", "header": False, "subprotocol_encoding": encoding}
        out = run(params, env={"T": CANARY})
    assert out.status is Status.PASS, out.summary
    assert not s.handshakes[0]["bearer_offered"]


def test_missing_token_env_is_error() -> None:
    out = run({"url": "ws://127.0.0.1:1/ws", "token_env": "NETRA_TOKEN"})
    assert out.status is Status.ERROR
    assert out.summary == "environment variable NETRA_TOKEN (token_env) is not set or empty"


@pytest.mark.parametrize(
    "mode", ["healthy", "reject_subprotocol", "no_subprotocol", "silent", "close_midway", "partial"]
)
def test_token_never_in_outcome(mode: str) -> None:
    with server(mode=mode, token=CANARY) as s:
        out = run({"url": s.url, "token_env": "T", "step_timeout": "1s"}, env={"T": CANARY})
    text = dump(out)
    assert CANARY not in text
    assert base64.urlsafe_b64encode(CANARY.encode()).decode().rstrip("=") not in text


def test_token_echoed_by_the_server_is_masked() -> None:
    # Not JWT-shaped, so only the registration with ctx.secret() can mask it.
    plain = "plain-canary-5f2b9c1e7d4a"
    with server(token=plain, result=plain) as s:
        out = run({"url": s.url, "token_env": "T", "final": ['payload.result == "x"']}, env={"T": plain})
    assert out.status is Status.FAIL
    assert out.summary.startswith("final message: expected payload.result") and "***" in out.summary
    assert plain not in dump(out)


def test_final_assertions() -> None:
    with server() as s:
        good = run({"url": s.url, "final": ['type == "agent_completed"', 'payload.result =~ "Readiness"']})
        bad = run({"url": s.url, "final": ['payload.status == "done"']})
    assert good.status is Status.PASS, good.summary
    # The wording after the assertion belongs to gate.checks.jsonpath_assert.
    assert bad.status is Status.FAIL
    assert bad.summary.startswith('final message: expected payload.status == "done"')
    assert '"success"' in bad.summary


# -- routing and network failures -------------------------------------------------


@pytest.mark.parametrize(
    "origin", ["https://api.staging.netrasystems.ai", "wss://api.staging.netrasystems.ai"]
)
def test_resolver_rewrites_public_wss_url_and_keeps_host(origin: str) -> None:
    with server(path="/ws") as s:
        resolver = Resolver({origin: "http://127.0.0.1:" + s.url.rsplit(":", 1)[1]})
        out = run({"url": "wss://api.staging.netrasystems.ai/ws"}, resolver=resolver)
    assert out.status is Status.PASS, out.summary
    assert s.handshakes[0]["host"] == "api.staging.netrasystems.ai"
    assert s.handshakes[0]["path"] == "/ws"
    assert out.evidence["url"] == "wss://api.staging.netrasystems.ai/ws"


class StubRun:
    """Stands in for gate.gcp.run.RunProvider (our own interface): returns one service's facts."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self.calls: list[str] = []

    def service(self, name: str, *, deadline: float, fresh: bool = False) -> Service:
        assert deadline > time.monotonic()
        self.calls.append(name)
        return self._service


def backend(uri: str, tags: Mapping[str, str]) -> Service:
    return service_facts(uri, tags)


@pytest.mark.parametrize("tag", [None, "canary"])
def test_service_target_uses_cloud_run_url_as_wss(tag: str | None) -> None:
    public = "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"
    tagged = "https://canary---netra-backend-staging-pnovr5vsba-uc.a.run.app"
    stub = StubRun(backend(public, {"canary": tagged}))
    with server(path="/ws") as s:
        local = "http://127.0.0.1:" + s.url.rsplit(":", 1)[1]
        resolver = Resolver({public: local, tagged: local})
        params: dict[str, Any] = {"service": "netra-backend-staging"}
        if tag:
            params["tag"] = tag
        out = run(params, resolver=resolver, cloud=SimpleNamespace(run=stub))
    assert out.status is Status.PASS, out.summary
    assert stub.calls == ["netra-backend-staging"]
    assert s.handshakes[0]["host"] == urlsplit(tagged if tag else public).netloc
    assert out.evidence["url"] == (tagged if tag else public).replace("https://", "wss://") + "/ws"


def test_service_without_the_tag_fails() -> None:
    stub = StubRun(backend("https://b.a.run.app", {}))
    out = run({"service": "netra-backend-staging", "tag": "canary"}, cloud=SimpleNamespace(run=stub))
    assert (out.status, out.summary) == (
        Status.FAIL,
        "service netra-backend-staging has no traffic tag 'canary' (existing tags: none)",
    )


@contextlib.contextmanager
def silent_tcp(answer: bytes = b"") -> Iterator[str]:
    """Accepts TCP connections and never answers the WebSocket handshake (or sends ``answer``)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn = listener.accept()[0]
                held.append(conn)
                if answer:
                    conn.settimeout(2)
                    conn.recv(65536)  # the upgrade request
                    conn.sendall(answer)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}/ws"
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        listener.close()


def test_handshake_never_answered_times_out() -> None:
    with silent_tcp() as url:
        started = time.monotonic()
        out = run({"url": url, "step_timeout": "1s"})
        elapsed = time.monotonic() - started
    assert (out.status, out.summary) == (Status.FAIL, "timed out waiting for the handshake response after 1s")
    assert elapsed < 10


def test_handshake_never_answered_is_bounded_by_the_attempt_deadline() -> None:
    with silent_tcp() as url:
        started = time.monotonic()
        out = run({"url": url, "sessions": 3}, budget=1.5)  # step_timeout default 30s
        elapsed = time.monotonic() - started
    assert out.status is Status.FAIL
    assert out.summary.startswith("3 of 3 concurrent sessions failed: timed out waiting for the handshake")
    assert elapsed < 10
    assert not session_threads()


def test_redirected_handshake_is_reported_not_followed() -> None:
    answer = (
        b"HTTP/1.1 302 Found\r\nLocation: https://accounts.example.com/login\r\nContent-Length: 0\r\n\r\n"
    )
    with silent_tcp(answer) as url:
        out = run({"url": url})
    assert (out.status, out.summary) == (Status.FAIL, "handshake rejected with HTTP 302")


def test_closed_port_is_connection_refused() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused, no race
    port = sock.getsockname()[1]
    try:
        out = run({"url": f"ws://127.0.0.1:{port}/ws"})
    finally:
        sock.close()
    assert (out.status, out.summary) == (Status.FAIL, f"connection refused by 127.0.0.1:{port}")


def test_cancel_stops_a_probe_stuck_in_the_handshake() -> None:
    cancelled = threading.Event()
    with silent_tcp() as url:
        threading.Timer(0.5, cancelled.set).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            run({"url": url}, cancelled=cancelled)  # step_timeout 30s, deadline 30s
        assert time.monotonic() - started < 10
        assert not session_threads()  # the server still holds the socket: we shut it


def test_cancel_stops_a_waiting_probe() -> None:
    cancelled = threading.Event()
    with server(mode="silent") as s:
        threading.Timer(0.5, cancelled.set).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            run({"url": s.url}, cancelled=cancelled)
        assert time.monotonic() - started < 10


# -- parameters --------------------------------------------------------------------


def test_schema_is_valid_and_defaults_validate() -> None:
    jsonschema.Draft202012Validator.check_schema(GoldenPath.params_schema)
    validator = jsonschema.Draft202012Validator(GoldenPath.params_schema)
    validator.validate(GoldenPath.example["with"])
    validator.validate({"url": "wss://x/ws", "require": 0.8, "sessions": 5, "final": ["a exists"]})
    assert not validator.is_valid({"url": "https://x/ws"})
    assert not validator.is_valid({"url": "wss://x", "bogus": 1})
    assert not validator.is_valid({"url": "wss://x", "step_timeout": "soon"})
    assert not validator.is_valid({"url": "wss://x", "final": [{"path": "a"}]})
    assert GoldenPath.semantic_errors({"url": "wss://x", "final": ["type = 1"]})[0][0] == "final[0]"


def test_semantic_errors() -> None:
    errors = GoldenPath.semantic_errors
    assert errors({"url": "wss://x"}) == []
    assert errors({}) == [("", "give exactly one of url or service")]
    assert ("login", "give token_env or login, not both") in errors(
        {"url": "wss://x", "token_env": "T", "login": {"url": "https://a"}}
    )
    assert ("require", "require 6 is more than sessions 5") in errors(
        {"url": "wss://x", "sessions": 5, "require": 6}
    )


def test_server_config_is_validated() -> None:
    assert config_errors({"mode": "healthy", "delay": "1s"}) == []
    assert [k for k, _ in config_errors({"mode": "flaky", "dely": 1, "delay": "soon"})] == [
        "dely",
        "mode",
        "delay",
    ]
    with pytest.raises(ValueError, match="unknown mode 'flaky'"):
        GoldenPathServer({"mode": "flaky"})


# -- the incident worlds: each /ws config, probed as a policy would -----------------

WORLDS = Path(__file__).resolve().parents[2] / "gate" / "emulator" / "worlds"
BACKEND = "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"


@pytest.mark.parametrize(
    ("world", "status", "summary"),
    [
        ("s12-healthy", Status.PASS, "5 of 5 concurrent sessions completed the golden path"),
        (
            "s4-websocket-subprotocol-rejected",
            Status.FAIL,
            "5 of 5 concurrent sessions failed: handshake rejected with HTTP 500 (5)",
        ),
        (
            "s10-agent-events-missing",
            Status.FAIL,
            "5 of 5 concurrent sessions failed: events never came: agent_started, agent_thinking, "
            "tool_executing, tool_completed, agent_completed (received: none); "
            "timed out waiting for agent_started after 1s (5)",
        ),
        (
            "s11-concurrent-sessions-closed",
            Status.FAIL,
            "5 of 5 concurrent sessions failed: "
            "connection closed with 1000 (OK) main cleanup mid-flow after agent_thinking (5)",
        ),
    ],
)
def test_incident_worlds(world: str, status: Status, summary: str) -> None:
    w = load_world(WORLDS / f"{world}.yaml")
    (endpoint,) = [e for e in w.endpoints if e.origin == BACKEND]
    config = endpoint.paths["/ws"].websocket
    assert config is not None
    with GoldenPathServer({**config, "token": CANARY}) as s:
        resolver = Resolver({BACKEND: "http://127.0.0.1:" + s.url.rsplit(":", 1)[1]})
        params = {
            "url": "wss://" + BACKEND.split("://")[1] + "/ws",
            "token_env": "T",
            "sessions": 5,
            "step_timeout": "1s",
        }
        out = run(params, env={"T": CANARY}, resolver=resolver)
    assert (out.status, out.summary) == (status, summary)
