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
