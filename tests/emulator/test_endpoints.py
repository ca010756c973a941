"""The world's HTTP and WebSocket endpoints, reached through gate.probes.resolve.Resolver."""

from __future__ import annotations

import json
import time

import httpx

from gate.emulator import Emulator, load_world
from gate.probes.resolve import Resolver
from tests.emulator.conftest import WORLDS

BACKEND = "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"


def _get(resolver: Resolver, url: str, timeout: float = 5) -> httpx.Response:
    rw = resolver.rewrite(url)
    return httpx.get(rw.url, headers={"Host": rw.host}, timeout=timeout)


def test_health_endpoints_by_host(emu: Emulator) -> None:
    resolver = Resolver(emu.resolver_map)
    started = time.monotonic()
    r = _get(resolver, f"{BACKEND}/health")
    assert time.monotonic() - started >= 0.12
    assert r.json() == {"status": "healthy", "service": "netra-ai-platform", "version": "1.0.0"}
    deep = _get(resolver, "https://netra-backend-staging-701982941522.us-central1.run.app/api/health").json()
    assert {k: v["status"] for k, v in deep["checks"].items()} == {
        "postgres": "healthy",
        "redis": "healthy",
        "clickhouse": "healthy",
    }
    assert _get(resolver, f"{BACKEND}/missing").status_code == 404
    front = _get(resolver, "https://netra-frontend-staging-pnovr5vsba-uc.a.run.app/")
    assert front.headers["content-type"] == "text/html"


def test_websocket_golden_path_is_mapped(emu: Emulator) -> None:
    from websockets.sync.client import connect

    rw = Resolver(emu.resolver_map).rewrite("wss://netra-backend-staging-pnovr5vsba-uc.a.run.app/ws")
    assert rw.url.startswith("ws://127.0.0.1:")
    token = emu.world.env["NETRA_E2E_TOKEN"]  # the world accepts only its own test token
    with connect(rw.url, subprotocols=[f"jwt.{token}"], open_timeout=5) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
        seen = []
        while "agent_completed" not in seen:
            msg = json.loads(ws.recv(timeout=5))
            seen.append(msg.get("type"))
    assert "agent_started" in seen


def test_s3_custom_domain_hangs_until_client_timeout() -> None:
    with Emulator(load_world(WORLDS / "s3-health-unreachable.yaml")) as emu:
        resolver = Resolver(emu.resolver_map)
        started = time.monotonic()
        try:
            _get(resolver, "https://api.staging.netrasystems.ai/health", timeout=0.3)
            raise AssertionError("expected a timeout")
        except httpx.ReadTimeout:
            pass
        assert time.monotonic() - started < 2
        assert _get(resolver, f"{BACKEND}/health").status_code == 200
