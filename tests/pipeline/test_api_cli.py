"""The in-process API and the CLI reach the same verdict and per-check statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gate
from tests.pipeline.conftest import WORLDS
from tests.pipeline.conftest import gate as gate_cli


@pytest.mark.parametrize("world", ["s1-worker-boot-failure", "s12-healthy"])
def test_api_and_cli_agree(policy_file: Path, world: str) -> None:
    path = WORLDS / f"{world}.yaml"
    report = gate.run(policy_file, world=path, fail_fast=False)
    r = gate_cli("check", "--policy", str(policy_file), "--world", str(path), "--no-fail-fast", "-f", "json")
    doc = json.loads(r.stdout)
    assert r.returncode == report.exit_code == doc["exitCode"]
    assert doc["verdict"] == report.verdict.value
    assert [(c["id"], c["status"]) for c in doc["checks"]] == [(x.id, x.status.value) for x in report.results]
