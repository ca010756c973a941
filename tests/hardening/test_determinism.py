"""Determinism: the same world and policy give byte-identical JSON reports with
timings excluded, 20 runs in a row, in-process; and with the default flags
(fail-fast on) every shipped world gives the same per-check statuses on every
run, because fail-fast only cuts waiting and every check gets its first attempt.

One emulator serves all 20 runs of a world ("the same world"): its loopback
ports are then part of the world, like a real service's address. The byte
comparison runs without fail-fast: how many polls a check made before a
failure elsewhere stopped the polling depends on timing; statuses do not.
"""

from __future__ import annotations

import concurrent.futures
import difflib
from pathlib import Path

import pytest

from gate.emulator import Emulator, load_world
from gate.engine import EngineOptions
from gate.policy.loader import load_policy
from gate.report import render
from gate.runner import RunOptions, execute
from tests.hardening.common import BACKEND, WORLDS, clean_env

RUNS = 20
POLICY = f"""\
apiVersion: gate/v1
project: netra-staging
region: us-central1
checks:
  - id: backend-revision
    type: run.revision
    with: {{service: netra-backend-staging}}
  - id: backend-env
    type: run.env
    with:
      service: netra-backend-staging
      required: [REDIS_HOST, REDIS_PORT, JWT_SECRET_KEY]
      any_of: [[POSTGRES_HOST, POSTGRES_PORT], [DATABASE_URL]]
      vars: {{REDIS_PORT: {{port: true}}}}
  - id: backend-health
    type: http.health
    needs: [backend-revision]
    with: {{url: "{BACKEND}/health", expect: {{json: ['status == "healthy"']}}}}
  - id: deep-health
    type: http.health
    with:
      service: netra-backend-staging
      path: /api/health
      expect: {{json: ['status == "healthy"', 'checks.redis.status == "healthy"']}}
  - id: boot-log
    type: logs.boot
    with: {{service: netra-backend-staging, window: 10m}}
  - id: database
    type: sql.instance
    with: {{instance: staging-shared-postgres, min_tier: db-custom-1-3840}}
  - id: golden-path
    type: websocket.golden_path
    severity: warn
    timeout: 10s
    with: {{service: netra-backend-staging, token_env: NETRA_E2E_TOKEN, sessions: 2}}
"""


@pytest.mark.parametrize("world", ["s12-healthy", "s8-shallow-health-lies"])
def test_json_report_is_byte_identical_over_runs(tmp_path: Path, world: str) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY, encoding="utf-8")
    policy = load_policy(policy_file)
    w = load_world(WORLDS / f"{world}.yaml")
    with Emulator(w) as emu:
        env = clean_env(
            {
                **w.env,
                "GATE_EMULATOR_HOST": emu.api_host,
                "GATE_RESOLVE": " ".join(f"{o}={b}" for o, b in emu.resolver_map.items()),
            }
        )
        options = RunOptions(env=env, handle_signals=False, engine=EngineOptions(fail_fast=False))
        outputs = [render(execute(policy, options), "json", timings=False) for _ in range(RUNS)]
    first = outputs[0]
    for i, out in enumerate(outputs[1:], 2):
        diff = "\n".join(
            difflib.unified_diff(first.splitlines(), out.splitlines(), "run 1", f"run {i}", lineterm="")
        )
        assert out == first, diff
    expected = "PASS" if world == "s12-healthy" else "FAIL"
    assert f'"verdict": "{expected}"' in first


STATUS_RUNS = 3


def _statuses(world: Path) -> list[dict[str, str]]:
    from gate.policy.bundled import bundled_dir

    policy = load_policy(bundled_dir("policies") / "netra-staging.yaml")
    options = RunOptions(world=world, env=clean_env(), handle_signals=False)  # default engine options
    return [{r.id: r.status.value for r in execute(policy, options).results} for _ in range(STATUS_RUNS)]


def test_default_flags_give_the_same_statuses_on_every_run() -> None:
    worlds = sorted(WORLDS.glob("s*.yaml"))
    # Half the worlds at once: all twelve in one process starve the local servers of the
    # GIL until a 2 s latency budget reads the machine's load as a slow deploy.
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(worlds) // 2)) as pool:
        runs = dict(zip((w.stem for w in worlds), pool.map(_statuses, worlds), strict=True))
    for world, seen in runs.items():
        assert all(s == seen[0] for s in seen), (world, seen)
        # No check of an incident world is left CANCELLED by fail-fast: each one got its attempt.
        assert "CANCELLED" not in seen[0].values(), (world, seen[0])
