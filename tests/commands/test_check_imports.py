"""What a `gate check` process imports, per kind of policy: only the Google clients its
checks call (docs/PERFORMANCE.md, rows 9 and 10).

Each run is a fresh interpreter running the real CLI; what it imported is read from
its ``sys.modules`` once the run and its background preload are over. Facts, not
timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.emulator import Emulator, load_world
from gate.gcp.transport.clients import CLIENTS
from tests.servers import json_body, serve

ROOT = Path(__file__).resolve().parents[2]
S12 = ROOT / "gate" / "emulator" / "worlds" / "s12-healthy.yaml"
SERVICE = "netra-backend-staging"
COMPUTE = "google.cloud.compute_v1"

PROBE = textwrap.dedent(
    """
    import json, sys, threading
    from gate.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
    for t in threading.enumerate():
        if t.name == "gate-preload":
            t.join()
    print(json.dumps({"code": code, "modules": sorted(m for m in sys.modules if m.startswith("google"))}))
    """
)

HEADER = "apiVersion: gate/v1\nproject: netra-staging\nregion: us-central1\nchecks:\n"
NO_NETWORK = HEADER + "".join(
    f"  - {{id: {i}, type: {t}, with: {{{w}}}}}\n"
    for i, t, w in (
        ("revision", "run.revision", f"service: {SERVICE}"),
        ("env", "run.env", f"service: {SERVICE}, required: [REDIS_HOST, JWT_SECRET_KEY]"),
        ("sql", "sql.instance", "instance: staging-shared-postgres"),
        ("boot", "logs.boot", f"service: {SERVICE}"),
    )
)
REDIS = "staging-redis-f1adc35c"
NETWORK = NO_NETWORK + (
    f"  - {{id: redis, type: network.reachability, with: {{service: {SERVICE}, redis: {REDIS}}}}}\n"
)


def gate_check(policy: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "check", "--policy", str(policy), "-f", "json", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def emulator_host() -> Iterator[str]:
    with Emulator(load_world(S12), port=0) as emu:
        yield emu.api_host


def test_a_policy_of_http_health_checks_imports_no_google_module(tmp_path: Path) -> None:
    with serve({"/health": json_body({"status": "healthy"})}) as base:
        policy = tmp_path / "http.yaml"
        policy.write_text(HEADER + f"  - {{id: up, type: http.health, with: {{url: '{base}/health'}}}}\n")
        got = gate_check(policy, clean_env())
    assert got["code"] == 0
    assert got["modules"] == []


def test_a_policy_without_network_checks_imports_no_compute_module(
    tmp_path: Path, emulator_host: str
) -> None:
    policy = tmp_path / "no-network.yaml"
    policy.write_text(NO_NETWORK)
    got = gate_check(policy, clean_env(GATE_EMULATOR_HOST=emulator_host))
    assert got["code"] == 0  # every check ran and passed: the facts below are about a real run
    assert not [m for m in got["modules"] if m.startswith(COMPUTE)]
    for api in ("run", "secretmanager", "sqladmin"):
        assert CLIENTS[api][0] in got["modules"], api


def test_a_network_check_imports_only_the_compute_services_gate_reads(
    tmp_path: Path, emulator_host: str
) -> None:
    policy = tmp_path / "network.yaml"
    policy.write_text(NETWORK)
    got = gate_check(policy, clean_env(GATE_EMULATOR_HOST=emulator_host))
    assert got["code"] == 0
    used = {m.split(".")[4] for m, _ in CLIENTS.values() if m.startswith(f"{COMPUTE}.services.")}
    loaded = {
        m.split(".")[4] for m in got["modules"] if m.startswith(f"{COMPUTE}.services.") and m.count(".") >= 4
    }
    # Each client may import its own operations service (long-running operations), nothing else.
    assert loaded - used <= {"global_operations", "region_operations", "zone_operations"}, loaded - used
    assert loaded & used


def test_with_a_world_cached_a_policy_without_network_checks_imports_no_compute_module(
    tmp_path: Path,
) -> None:
    """--world validates the world once (which needs every section's message types);
    later runs of the same world import only what the policy's checks call."""
    policy = tmp_path / "no-network.yaml"
    policy.write_text(NO_NETWORK)
    env = clean_env(GATE_CACHE_DIR=str(tmp_path / "cache"))
    first = gate_check(policy, env, "--world", str(S12))
    second = gate_check(policy, env, "--world", str(S12))
    assert first["code"] == second["code"] == 0
    assert [m for m in first["modules"] if m.startswith(COMPUTE)], "the first run validates compute sections"
    assert not [m for m in second["modules"] if m.startswith(COMPUTE)]
