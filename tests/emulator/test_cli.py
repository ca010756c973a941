"""``gate emulator`` as a user runs it: prints the environment, answers, exits cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from tests.emulator.conftest import WORLDS


def test_gate_emulator_serves_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", "emulator", "--world", str(WORLDS / "s12-healthy.yaml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        second = proc.stdout.readline().strip()
        assert first.startswith("export GATE_EMULATOR_HOST=127.0.0.1:")
        host = first.split("=", 1)[1]
        assert second.startswith(
            "export GATE_RESOLVE='https://netra-backend-staging-pnovr5vsba-uc.a.run.app=http"
        )
        r = httpx.get(f"http://{host}/v1/projects/netra-staging/locations/us-central1/connectors")
        assert r.json()["connectors"][0]["ipCidrRange"] == "10.1.0.0/28"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_gate_emulator_bad_world_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "w.yaml"
    bad.write_text("apiVersion: gate/v1\nkind: World\nname: x\nproject: p\nrun: {services: [{name: s}]}\n")
    out = subprocess.run(
        [sys.executable, "-m", "gate", "emulator", "--world", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert f"{bad}:5:" in out.stderr and "run.services[0].name" in out.stderr


def test_a_client_that_goes_away_never_prints_a_traceback() -> None:
    import socket
    import struct
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", "emulator", "--world", "s12-healthy"],  # a bundled name
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        host, port = proc.stdout.readline().strip().split("=", 1)[1].split(":")
        for _ in range(5):
            # Send a request, then reset the connection before the answer is written.
            s = socket.create_connection((host, int(port)))
            path = b"/v2/projects/netra-staging/locations/us-central1/services"
            s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        time.sleep(0.5)
        r = httpx.get(f"http://{host}:{port}/v1/projects/netra-staging/locations/us-central1/connectors")
        assert r.status_code == 200  # still serving
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert "Traceback" not in stderr and "Exception occurred" not in stderr, stderr


def test_gate_emulator_unknown_world_name_exits_2() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gate", "emulator", "--world", "s6-redis-unreachabel"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert 'did you mean "s6-redis-unreachable"?' in out.stderr and "Traceback" not in out.stderr
