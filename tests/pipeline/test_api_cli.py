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


def test_api_takes_the_target_and_moves_traffic_like_the_cli(tmp_path: Path) -> None:
    """gate.run(tag=, promote=) and gate.run(rollback_on_fail=) do what the CLI flags do."""
    import yaml

    from gate.emulator import Emulator, parse_world
    from gate.report import render
    from tests.pipeline.conftest import SERVICE, service_json
    from tests.pipeline.flows import S5_ENV, SERVING, deploy, flow_world, gate_env, spec

    policy = Path(__file__).resolve().parents[2] / "policies" / "netra-staging.yaml"
    data = flow_world()
    with Emulator(parse_world(yaml.safe_dump(data))) as emu:
        env = gate_env(emu, data)
        candidate = deploy(emu, "healthy", candidate=True)
        report = gate.run(policy, env=env, tag="candidate", promote=SERVICE)
        assert report.exit_code == 0 and report.traffic is not None
        assert (report.traffic.action, report.traffic.revision) == ("promoted", candidate)
        assert report.deploy_target is not None and report.deploy_target.tag == "candidate"
        assert spec(service_json(emu))[0] == (candidate, 100, "")
        assert json.loads(render(report, "json"))["traffic"]["action"] == "promoted"
        again = gate.run(policy, env=env, tag="candidate", promote=True)  # True: the policy's target.service
        assert (
            again.exit_code == 0 and again.traffic is not None and again.traffic.action == "already-serving"
        )

        # Traffic is pinned now: a plain deploy gives the new revision nothing, so nothing to roll back.
        pinned = deploy(emu, "s5", *S5_ENV, candidate=False)
        report = gate.run(policy, env=env, rollback_on_fail=True)
        assert report.exit_code == 1 and report.traffic is not None
        assert (report.traffic.action, report.traffic.revision) == ("not-needed", pinned)
    with Emulator(parse_world(yaml.safe_dump(data))) as emu:
        broken = deploy(emu, "s5", *S5_ENV, candidate=False)
        report = gate.run(policy, env=gate_env(emu, data), rollback_on_fail=True)
        assert report.exit_code == 1 and report.traffic is not None
        assert (report.traffic.action, report.traffic.revision) == ("rolled-back", broken)
        assert spec(service_json(emu))[0] == (SERVING, 100, "")  # back to what served before it


def test_api_refuses_contradictory_targets(policy_file: Path) -> None:
    from gate.errors import UsageError

    with pytest.raises(UsageError, match="either --tag or --revision"):
        gate.run(policy_file, world=WORLDS / "s12-healthy.yaml", tag="a", revision="netra-backend-staging-1")
    with pytest.raises(UsageError, match=r"no check of .* follows the target"):
        gate.run(policy_file, world=WORLDS / "s12-healthy.yaml", revision="other-service-00001-abc")
