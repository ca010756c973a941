"""The README's two deploy flows, run verbatim (bash, `gcloud` = tests.gcloud) against the emulator."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.emulator import Emulator, parse_world
from tests.pipeline.conftest import ROOT, service_json
from tests.pipeline.flows import IMAGE, SERVING, flow_world, gate_env, run_patches, spec
from tests.pipeline.test_deploy_example import gcloud_on_path


def readme_block(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- readme-flow: {name} -->\n```sh\n(.*?)```", text, re.S)
    assert m, f"README has no `readme-flow: {name}` block"
    return m.group(1)


def run_block(tmp: Path, name: str, image: str) -> tuple[Emulator, subprocess.CompletedProcess[str]]:
    data = flow_world("s12-healthy")
    emu = Emulator(parse_world(yaml.safe_dump(data))).start()
    env = {**gate_env(emu, data), "PATH": gcloud_on_path(tmp), "IMAGE": f"{IMAGE}:{image}"}
    r = subprocess.run(
        ["bash", "-c", readme_block(name)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    return emu, r


@pytest.fixture
def stop() -> Any:
    emus: list[Emulator] = []
    yield emus.append
    for e in emus:
        e.stop()


def test_candidate_flow_promotes_a_healthy_candidate(tmp_path: Path, stop: Any) -> None:
    emu, r = run_block(tmp_path, "candidate", "healthy")
    stop(emu)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: PASS" in r.stdout and "promote netra-backend-staging: promoted:" in r.stderr
    svc = service_json(emu)
    candidate = svc["latestCreatedRevision"].rsplit("/", 1)[-1]
    assert spec(svc) == [(candidate, 100, ""), (SERVING, 0, "stable"), (candidate, 0, "candidate")]


def test_candidate_flow_keeps_a_broken_candidate_away_from_traffic(tmp_path: Path, stop: Any) -> None:
    emu, r = run_block(tmp_path, "candidate", "s1")
    stop(emu)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not-promoted: verdict FAIL: traffic left untouched" in r.stderr
    assert len(run_patches(emu)) == 1  # the deploy's own
    assert spec(service_json(emu))[0] == (SERVING, 100, "")


def test_direct_flow_rolls_back_a_failing_deploy(tmp_path: Path, stop: Any) -> None:
    emu, r = run_block(tmp_path, "direct", "s9")
    stop(emu)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "rollback netra-backend-staging: rolled-back:" in r.stderr and "traffic after:" in r.stderr
    assert "--to-latest" in r.stderr  # the command that undoes the rollback
    assert spec(service_json(emu)) == [(SERVING, 100, ""), (SERVING, 0, "stable")]


def test_direct_flow_leaves_a_healthy_deploy_alone(tmp_path: Path, stop: Any) -> None:
    emu, r = run_block(tmp_path, "direct", "healthy")
    stop(emu)
    assert r.returncode == 0, r.stdout + r.stderr
    assert spec(service_json(emu))[0] == ("LATEST", 100, "")
    assert len(run_patches(emu)) == 1
    assert "verdict: PASS" in r.stdout and "not-rolled-back: verdict PASS" in r.stderr
