"""Dry runs never touch production: against an emulator, an HTTP or WebSocket URL that no
--resolve/GATE_RESOLVE rule maps to a local server is an ERROR naming it, never dialled."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

import gate
from gate.model import Status
from tests.pipeline.conftest import WORLDS, emulator_env
from tests.pipeline.conftest import gate as gate_cli

POLICY = """\
apiVersion: gate/v1
project: netra-staging
region: us-central1
checks:
  - id: backend-revision
    type: run.revision
    timeout: 5s
    with: {service: netra-backend-staging}
  - id: status-page
    type: http.health
    timeout: 5s
    with: {url: "https://status.example.com/health?token=s3cr3t-value"}
  - id: chat
    type: websocket.golden_path
    timeout: 5s
    with: {url: "wss://chat.example.com/ws", token_env: NETRA_E2E_TOKEN}
  - id: mapped-health
    type: http.health
    timeout: 5s
    with: {service: netra-backend-staging, path: /health}
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    p = tmp_path / "policy.yaml"
    p.write_text(POLICY)
    return p


def test_unmapped_public_urls_are_errors_naming_them(policy: Path, serve_world: Any) -> None:
    emu = serve_world(WORLDS / "s12-healthy.yaml")
    env = emulator_env(emu)
    env["NETRA_E2E_TOKEN"] = "t"
    r = gate_cli("check", "--policy", str(policy), "-f", "json", "--no-fail-fast", env=env)
    assert r.returncode == 3, r.stderr
    checks = {c["id"]: c for c in json.loads(r.stdout)["checks"]}
    assert checks["backend-revision"]["status"] == "PASS"
    assert checks["mapped-health"]["status"] == "PASS"  # the service URL is mapped: probed locally
    for cid, url in (
        ("status-page", "https://status.example.com/health"),
        ("chat", "wss://chat.example.com/ws"),
    ):
        c = checks[cid]
        assert c["status"] == "ERROR", c
        assert c["summary"].startswith(f"dry run: {url}") and "not mapped to a local server" in c["summary"]
        assert len(c["attempts"]) == 1  # final: never retried towards production
    assert "s3cr3t-value" not in r.stdout + r.stderr


class Tripwire:
    """Records every name lookup and connect that is not to loopback, and refuses it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.off_loopback: list[str] = []
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.socket.connect
        trip = self

        def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
            if not _loopback(host):
                trip.off_loopback.append(f"getaddrinfo {host}")
                raise socket.gaierror(socket.EAI_NONAME, "tripwire: off loopback")
            return real_getaddrinfo(host, *args, **kw)

        def connect(sock: socket.socket, address: Any) -> Any:
            host = address[0] if isinstance(address, tuple) else str(address)
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(host):
                trip.off_loopback.append(f"connect {address}")
                raise OSError("tripwire: off loopback")
            return real_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)


def _loopback(host: Any) -> bool:
    if host in (None, "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host)).is_loopback
    except ValueError:
        return False


@pytest.mark.parametrize("how", ["GATE_EMULATOR_HOST", "--world"])
def test_no_connection_is_attempted_off_loopback(
    policy: Path, serve_world: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    world = WORLDS / "s12-healthy.yaml"
    if how == "--world":
        kwargs: dict[str, Any] = {"world": world, "env": {"NETRA_E2E_TOKEN": "t"}}
    else:
        env = emulator_env(serve_world(world))
        env["NETRA_E2E_TOKEN"] = "t"
        kwargs = {"env": env}
    trip = Tripwire(monkeypatch)
    report = gate.run(policy, deadline=60, fail_fast=False, **kwargs)
    assert trip.off_loopback == []
    assert report.result("status-page").status is Status.ERROR
    assert report.result("chat").status is Status.ERROR
    assert report.result("mapped-health").status is Status.PASS
    assert report.exit_code == 3


def test_the_tripwire_does_catch_a_real_dial(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard above could only pass vacuously if the tripwire saw nothing; it sees this."""
    from gate.probes import http as probe_http
    from gate.probes.resolve import Resolver

    trip = Tripwire(monkeypatch)
    request = probe_http.Request(method="GET", url="https://status.example.com/health")
    with pytest.raises(probe_http.ProbeError):
        probe_http.fetch(request, deadline=time.monotonic() + 5, resolver=Resolver())
    assert trip.off_loopback and "status.example.com" in trip.off_loopback[0]
