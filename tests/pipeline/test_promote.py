"""Gated promotion end to end: the real CLI, the emulator over HTTP, real traffic PATCHes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from gate.emulator import Fault
from gate.engine import Engine
from gate.model import DeployTarget, Verdict
from gate.pipeline.promote import NOT_PROMOTED, REFUSED, judged_revision, promote
from gate.policy.loader import load_policy
from gate.runner import RunOptions, open_run
from tests.pipeline.conftest import (
    LOC,
    NEW,
    OLD,
    SERVICE,
    WORLDS,
    emulator_env,
    gate,
    patches,
    service_json,
)

REVISION_TRAFFIC = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"


def promote_cli(policy: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return gate("check", "--policy", str(policy), "--promote", SERVICE, *extra, env=env)


def test_pass_moves_traffic_then_second_run_is_idempotent(
    candidate_world: Path, policy_file: Path, serve_world: Any
) -> None:
    emu = serve_world(candidate_world)
    env = emulator_env(emu)
    assert service_json(emu)["trafficStatuses"][0] == {
        "type": REVISION_TRAFFIC,
        "revision": OLD,
        "percent": 100,
    }

    r = promote_cli(policy_file, env, "--promote-tag", "candidate")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"promote {SERVICE}: promoted: 100% of traffic now goes to {NEW}; tags kept: candidate" in r.stderr
    after = service_json(emu)
    assert [(t["revision"], t.get("percent", 0), t.get("tag")) for t in after["trafficStatuses"]] == [
        (NEW, 100, None),
        (NEW, 0, "candidate"),
    ]
    sent = patches(emu)
    assert len(sent) == 1 and sent[0].query.get("updateMask") == ["traffic"]

    # Again, selecting the latest created revision (the same one): it already
    # has 100%, so nothing is sent and the run still exits 0.
    r = promote_cli(policy_file, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"already-serving: {NEW} already receives 100% of traffic (pinned); nothing sent" in r.stderr
    assert len(patches(emu)) == 1


def test_failing_verdict_leaves_traffic_untouched_and_says_how_to_roll_back(
    policy_file: Path, serve_world: Any
) -> None:
    emu = serve_world(WORLDS / "s1-worker-boot-failure.yaml")
    before = service_json(emu)
    r = gate("check", "--policy", str(policy_file), "--promote", SERVICE, env=emulator_env(emu))
    assert r.returncode == 1, r.stderr
    assert f"promote {SERVICE}: not-promoted: verdict FAIL: traffic left untouched" in r.stderr
    where = "--region us-central1 --project netra-staging"
    assert f"gcloud run revisions describe netra-backend-staging-00043-s1x {where}" in r.stderr
    assert f"gcloud run services update-traffic {SERVICE} --to-revisions={NEW}=100 {where}" in r.stderr
    assert patches(emu) == []
    assert service_json(emu) == before


def test_stale_etag_is_refused_and_traffic_untouched(
    candidate_world: Path, policy_file: Path, serve_world: Any
) -> None:
    emu = serve_world(candidate_world)
    policy = load_policy(policy_file)
    options = RunOptions(env=emulator_env(emu), handle_signals=False, target=DeployTarget(tag="candidate"))
    with open_run(policy, options) as (run, _target):
        report = Engine(policy, run, options.engine).execute()
        assert report.verdict is Verdict.PASS
        revision = judged_revision(run, SERVICE)
        # A concurrent deploy changes the service after the checks read it.
        current = service_json(emu)
        current["labels"] = {"deployed-by": "someone-else"}
        r = httpx.patch(
            f"{emu.api_endpoint}/v2/{LOC}/services/{SERVICE}",
            params={"updateMask": "labels"},
            json={"labels": current["labels"], "etag": current["etag"]},
            timeout=5,
        )
        assert r.status_code == 200, r.text
        changed = service_json(emu)
        result = promote(run, service=SERVICE, revision=revision)
    assert result.action == REFUSED and result.exit_code == 3
    assert "changed after it was checked" in result.message and "re-run the gate" in result.message
    assert len(patches(emu)) == 1  # only the concurrent deploy's own PATCH
    assert service_json(emu)["traffic"] == changed["traffic"]


def test_server_side_etag_conflict_is_refused(
    candidate_world: Path, policy_file: Path, serve_world: Any
) -> None:
    """The server's 409 ABORTED (a change between gate's re-read and its PATCH) maps to REFUSED."""
    emu = serve_world(candidate_world)
    emu.add_fault(Fault(api="run", method="PATCH", status=409, message="etag mismatch"))
    r = promote_cli(policy_file, emulator_env(emu), "--promote-tag", "candidate")
    assert r.returncode == 3, r.stderr
    assert "refused" in r.stderr and "traffic left untouched" in r.stderr


def test_permission_denied_on_patch_is_exit_3_untouched(
    candidate_world: Path, policy_file: Path, serve_world: Any
) -> None:
    emu = serve_world(candidate_world)
    emu.add_fault(Fault(api="run", method="PATCH", status=403))
    before = service_json(emu)["traffic"]
    r = promote_cli(policy_file, emulator_env(emu), "--promote-tag", "candidate")
    assert r.returncode == 3, r.stderr
    assert "failed" in r.stderr and "run.services.update" in r.stderr
    assert service_json(emu)["traffic"] == before


def test_promote_tag_is_tag_and_cannot_contradict_it(policy_file: Path) -> None:
    r = gate("check", "--policy", str(policy_file), "--promote-tag", "candidate", "--tag", "stable")
    assert r.returncode == 2 and "--promote-tag candidate contradicts --tag stable" in r.stderr
    r = gate("check", "--policy", str(policy_file), "--tag", "candidate", "--revision", "x-00001-abc")
    assert r.returncode == 2 and "either --tag or --revision" in r.stderr


def test_not_pass_makes_no_write(candidate_world: Path, policy_file: Path, serve_world: Any) -> None:
    emu = serve_world(candidate_world)
    emu.add_fault(Fault(api="run", method="GET", path="/revisions/", status=403))
    r = promote_cli(policy_file, emulator_env(emu), "--promote-tag", "candidate")
    assert r.returncode == 3, r.stderr
    assert NOT_PROMOTED in r.stderr and "INCONCLUSIVE" in r.stderr
    assert patches(emu) == []
