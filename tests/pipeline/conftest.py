"""Shared pieces for the pipeline tests: shipped worlds, a candidate world, the real CLI."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.emulator import Emulator, load_world

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "gate" / "emulator" / "worlds"
PROJECT = "netra-staging"
SERVICE = "netra-backend-staging"
LOC = f"projects/{PROJECT}/locations/us-central1"
NEW = "netra-backend-staging-00042-xq7"
OLD = "netra-backend-staging-00041-m4f"

# Only check types that ship today (run.revision, http.health): the pipeline
# tests are about promotion and plumbing, not about any one check type.
POLICY = """\
apiVersion: gate/v1
project: netra-staging
region: us-central1
checks:
  - id: backend-revision
    type: run.revision
    timeout: 5s
    with: {service: netra-backend-staging}
  - id: backend-health
    type: http.health
    timeout: 5s
    needs: [backend-revision]  # keeps failing worlds fast: no wait on a dead /health
    with:
      url: https://netra-backend-staging-pnovr5vsba-uc.a.run.app/health
      expect:
        json: ['status == "healthy"']
"""


def candidate_world_data() -> dict[str, Any]:
    """s12 as `gcloud run deploy --no-traffic --tag candidate` leaves it: old revision serves."""
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text()))
    data = data  # the anchors alias shared lists; edit copies
    data["name"] = "candidate-no-traffic"
    data.pop("incident", None)
    svc = next(s for s in data["run"]["services"] if s["name"].endswith(f"/{SERVICE}"))
    svc["traffic"] = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD, "percent": 100},
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": NEW, "tag": "candidate"},
    ]
    svc["trafficStatuses"] = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD, "percent": 100},
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": NEW,
            "tag": "candidate",
            "uri": "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app",
        },
    ]
    return data


@pytest.fixture
def candidate_world(tmp_path: Path) -> Path:
    path = tmp_path / "candidate.yaml"
    path.write_text(yaml.safe_dump(candidate_world_data(), sort_keys=False))
    return path


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.fixture
def serve_world() -> Iterator[Any]:
    """serve_world(path) -> a started Emulator, stopped after the test."""
    started: list[Emulator] = []

    def start(path: Path) -> Emulator:
        emu = Emulator(load_world(str(path))).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


def emulator_env(emu: Emulator) -> dict[str, str]:
    """The environment `gate emulator` prints: every API and endpoint to loopback."""
    env = clean_env()
    env["GATE_EMULATOR_HOST"] = emu.api_host
    env["GATE_RESOLVE"] = " ".join(f"{o}={b}" for o, b in emu.resolver_map.items())
    return env


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    drop = ("GATE_EMULATOR_HOST", "GATE_RESOLVE", "GITHUB_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra or {})
    return env


def gate(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=dict(env) if env is not None else clean_env(),
        cwd=cwd,
    )


def service_json(emu: Emulator, service: str = SERVICE) -> dict[str, Any]:
    """The service as the Run API serves it now, over HTTP."""
    import httpx

    r = httpx.get(f"{emu.api_endpoint}/v2/{LOC}/services/{service}", timeout=5)
    r.raise_for_status()
    out: dict[str, Any] = r.json()
    return out


def patches(emu: Emulator) -> list[Any]:
    return [r for r in emu.requests if r.api == "run" and r.method == "PATCH"]
