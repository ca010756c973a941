"""One fetch per resource per run, however many checks read it (issue 3)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from gate.emulator import Emulator, load_world
from gate.engine import EngineOptions
from gate.policy.loader import load_policy
from gate.runner import RunOptions, execute

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("pool", [1, 64])
def test_each_resource_is_fetched_once(pool: int) -> None:
    world = load_world(ROOT / "gate/emulator/worlds/s12-healthy.yaml")
    policy = load_policy(ROOT / "policies/netra-staging.yaml")
    with Emulator(world) as emu:
        env = {**os.environ, **world.env, "GATE_EMULATOR_HOST": emu.api_host}
        env.pop("GATE_RESOLVE", None)
        resolve = tuple(f"{o}={b}" for o, b in emu.resolver_map.items())
        options = RunOptions(resolve=resolve, env=env, engine=EngineOptions(pool=pool), handle_signals=False)
        report = execute(policy, options)
        requests = list(emu.requests)
    assert report.exit_code == 0, [(r.id, r.summary) for r in report.results if r.status.value != "PASS"]
    reads = Counter((r.method, r.path, repr(r.query)) for r in requests)
    repeated = {k: n for k, n in reads.items() if n > 1}
    assert not repeated, repeated
    # Several checks share the backend service, its revision, the connector and the network:
    # without the per-run memo this policy would read them many times over.
    services = [k for k in reads if k[1].endswith("/services/netra-backend-staging")]
    assert len(services) == 1
