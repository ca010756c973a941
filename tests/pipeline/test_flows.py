"""Both deploy flows end to end with the shipped policy: the real CLI, the emulator's Cloud Run
deploy path (what `gcloud run deploy` sends), real traffic PATCHes.

- candidate: `gcloud run deploy --no-traffic --tag candidate`, then
  `gate check --tag candidate --promote SERVICE`;
- direct: `gcloud run deploy` (the new revision takes the traffic), then
  `gate check --rollback-on-fail`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from gate.emulator import Emulator, Fault, parse_world
from gate.report.json_report import schema as report_schema
from tests.pipeline.conftest import LOC, ROOT, SERVICE, service_json
from tests.pipeline.flows import (
    S5_ENV,
    SERVING,
    deploy,
    flow_world,
    gate_env,
    run_patches,
    spec,
)

POLICY_ARGS = ["check", "--project", "netra-staging", "-f", "json", "--no-progress"]


@pytest.fixture
def flow() -> Iterator[Any]:
    """flow(base) -> (emulator, world data); the emulator is stopped after the test."""
    started: list[Emulator] = []

    def start(base: str = "s12-healthy") -> tuple[Emulator, dict[str, Any]]:
        data = flow_world(base)
        emu = Emulator(parse_world(yaml.safe_dump(data), f"<flow {base}>")).start()
        started.append(emu)
        return emu, data

    yield start
    for emu in started:
        emu.stop()


def gate(emu: Emulator, data: dict[str, Any], *args: str) -> tuple[int, dict[str, Any], str]:
    r = subprocess.run(
        [sys.executable, "-m", "gate", *POLICY_ARGS, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=gate_env(emu, data),
    )
    doc = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    if doc:  # the optional deployTarget and traffic fields are part of the published schema
        jsonschema.validate(doc, report_schema())
    return r.returncode, doc, r.stderr


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in doc.get("checks", [])}


# --------------------------------------------------------------------------- candidate flow


def test_healthy_candidate_is_promoted_with_every_tag_kept_and_a_rerun_is_a_no_op(flow: Any) -> None:
    emu, data = flow()
    candidate = deploy(emu, "healthy", candidate=True)
    before = spec(service_json(emu))
    assert before == [(SERVING, 100, ""), (SERVING, 0, "stable"), (candidate, 0, "candidate")]

    code, doc, stderr = gate(emu, data, "--tag", "candidate", "--promote", SERVICE)
    assert code == 0, stderr
    assert set(statuses(doc).values()) == {"PASS"}, statuses(doc)
    # Every revision-targeting check and probe judged the candidate, not what serves.
    checks = {c["id"]: c for c in doc["checks"]}
    assert checks["netra-backend-staging-revision"]["evidence"]["revision"] == candidate
    assert checks["netra-backend-staging-health"]["evidence"]["url"].startswith("https://candidate---")
    assert checks["golden-path"]["evidence"]["url"].startswith("wss://candidate---")
    assert doc["deployTarget"] == {
        "service": SERVICE,
        "tag": "candidate",
        "revision": None,
        "source": "--tag",
    }
    t = doc["traffic"]
    assert (t["kind"], t["action"], t["revision"], t["changed"]) == ("promote", "promoted", candidate, True)
    assert [(e["revision"], e["percent"], e["tag"]) for e in t["before"]] == [
        (SERVING, 100, None),
        (SERVING, 0, "stable"),
        (candidate, 0, "candidate"),
    ]
    after = service_json(emu)
    assert spec(after) == [(candidate, 100, ""), (SERVING, 0, "stable"), (candidate, 0, "candidate")]
    assert [(e["revision"], e["percent"], e["tag"]) for e in t["after"]] == [
        (r, p, tag or None) for r, p, tag in spec(after)
    ]
    tags = {s.get("tag"): s.get("uri") for s in after["trafficStatuses"] if s.get("tag")}
    assert set(tags) == {"stable", "candidate"} and all(tags.values())
    assert f"--to-revisions={SERVING}=100" in t["undo"]
    assert "promoted: 100% of traffic now goes to" in stderr and "traffic before:" in stderr
    patches = run_patches(emu)
    assert len(patches) == 2 and patches[-1].query.get("updateMask") == ["traffic"]  # deploy + promote

    code, doc, stderr = gate(emu, data, "--tag", "candidate", "--promote", SERVICE)
    assert code == 0, stderr
    assert doc["traffic"]["action"] == "already-serving" and not doc["traffic"]["changed"]
    assert "already receives 100% of traffic (pinned); nothing sent" in stderr
    assert len(run_patches(emu)) == 2
    assert spec(service_json(emu)) == spec(after)


@pytest.mark.parametrize(
    ("base", "image", "extra", "failing"),
    [
        ("s12-healthy", "s1", [], "netra-backend-staging-boot-log"),
        ("s12-healthy", "s5", S5_ENV, "netra-backend-staging-env"),
        ("s6-redis-unreachable", "healthy", [], "netra-backend-staging-reaches-redis"),
        ("s7-database-underprovisioned", "healthy", [], "staging-shared-postgres-sql"),
    ],
    ids=["S1", "S5", "S6", "S7"],
)
def test_broken_candidate_blocks_and_traffic_is_untouched(
    flow: Any, base: str, image: str, extra: list[str], failing: str
) -> None:
    emu, data = flow(base)
    candidate = deploy(emu, image, *extra, candidate=True)
    before = service_json(emu)
    # S1's revision never becomes Ready: its Ready check would poll for minutes; fail fast there.
    fast = [] if image == "s1" else ["--no-fail-fast"]
    code, doc, stderr = gate(emu, data, "--tag", "candidate", "--promote", SERVICE, *fast)
    assert code == 1, stderr
    assert statuses(doc)[failing] == "FAIL", statuses(doc)
    assert candidate in json.dumps(doc["checks"])  # judged: the candidate
    assert doc["traffic"]["action"] == "not-promoted" and not doc["traffic"]["changed"]
    assert "not-promoted: verdict FAIL: traffic left untouched" in stderr
    assert len(run_patches(emu)) == 1  # the deploy's own
    after = service_json(emu)
    assert (after["traffic"], after["trafficStatuses"], after["etag"]) == (
        before["traffic"],
        before["trafficStatuses"],
        before["etag"],
    )


# --------------------------------------------------------------------------- direct flow


@pytest.mark.parametrize(("image", "extra"), [("s5", S5_ENV), ("s1", [])], ids=["S5-serving", "S1-not-ready"])
def test_broken_direct_deploy_is_rolled_back_to_the_previous_revision(
    flow: Any, image: str, extra: list[str]
) -> None:
    emu, data = flow()
    broken = deploy(emu, image, *extra, candidate=False)
    assert spec(service_json(emu))[0] == ("LATEST", 100, "")
    code, doc, stderr = gate(emu, data, "--rollback-on-fail")
    assert code == 1, stderr
    assert doc["verdict"] == "FAIL"
    t = doc["traffic"]
    assert (t["kind"], t["action"], t["revision"], t["changed"]) == ("rollback", "rolled-back", broken, True)
    assert [(e["latest"], e["percent"], e["tag"]) for e in t["before"]] == [
        (True, 100, None),
        (False, 0, "stable"),
    ]
    after = service_json(emu)
    assert spec(after) == [(SERVING, 100, ""), (SERVING, 0, "stable")]
    assert [(s["revision"], s.get("percent", 0)) for s in after["trafficStatuses"]] == [
        (SERVING, 100),
        (SERVING, 0),
    ]
    where = "--region us-central1 --project netra-staging"
    assert t["undo"] == f"gcloud run services update-traffic {SERVICE} --to-latest {where}"
    assert f"rollback {SERVICE}: rolled-back: traffic moved off {broken} back to {SERVING} 100%" in stderr
    assert "traffic after:" in stderr


def test_healthy_direct_deploy_is_left_alone(flow: Any) -> None:
    emu, data = flow()
    deploy(emu, "healthy", candidate=False)
    before = service_json(emu)
    code, doc, stderr = gate(emu, data, "--rollback-on-fail")
    assert code == 0, stderr
    assert doc["traffic"]["action"] == "not-rolled-back" and not doc["traffic"]["changed"]
    assert len(run_patches(emu)) == 1
    assert service_json(emu)["etag"] == before["etag"]


def test_inconclusive_rolls_back_only_when_asked(flow: Any) -> None:
    emu, data = flow()
    broken = deploy(emu, "healthy", candidate=False)
    emu.add_fault(Fault(api="sqladmin", status=403))  # a check that cannot be evaluated
    code, doc, stderr = gate(emu, data, "--rollback-on-fail", "--no-fail-fast")
    assert code == 3 and doc["traffic"]["action"] == "not-rolled-back", stderr
    assert len(run_patches(emu)) == 1
    code, doc, stderr = gate(emu, data, "--rollback-on-fail", "--rollback-on-inconclusive", "--no-fail-fast")
    assert code == 3, stderr
    assert (doc["traffic"]["action"], doc["traffic"]["revision"]) == ("rolled-back", broken)
    assert spec(service_json(emu))[0] == (SERVING, 100, "")


def test_rollback_needs_a_service(tmp_path: Any) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: gate/v1\nproject: netra-staging\nregion: us-central1\nchecks:\n"
        "  - {id: r, type: run.revision, with: {service: netra-backend-staging}}\n"
    )
    r = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--policy", str(policy), "--rollback-on-fail"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "--rollback-on-fail needs the service" in r.stderr


# --------------------------------------------------------------------------- concurrency


@pytest.mark.parametrize("kind", ["promote", "rollback"])
def test_a_change_between_the_checks_and_the_patch_is_refused(flow: Any, kind: str) -> None:
    """Someone deploys while gate runs: the PATCH would overwrite it, so gate refuses (etag), exit 3."""
    emu, data = flow()
    if kind == "promote":
        deploy(emu, "healthy", candidate=True)
        args = ["--tag", "candidate", "--promote", SERVICE]
    else:
        deploy(emu, "s5", *S5_ENV, candidate=False)
        args = ["--rollback-on-fail", "--no-fail-fast"]
    # Slow the SQL check so the run is still going when the concurrent change lands.
    emu.add_fault(Fault(api="sqladmin", delay=3.0))
    emu.clear_requests()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", *POLICY_ARGS, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=gate_env(emu, data),
    )
    try:
        until = time.monotonic() + 60
        while not any(
            r.api == "run" and r.method == "GET" and r.path.endswith(SERVICE) for r in emu.requests
        ):
            assert time.monotonic() < until and proc.poll() is None, "gate never read the service"
            time.sleep(0.02)
        current = service_json(emu)
        r = httpx.patch(
            f"{emu.api_endpoint}/v2/{LOC}/services/{SERVICE}",
            params={"updateMask": "labels"},
            json={"labels": {"deployed-by": "someone-else"}, "etag": current["etag"]},
            timeout=5,
        )
        assert r.status_code == 200, r.text
        changed = service_json(emu)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, err
    doc = json.loads(out)
    assert doc["traffic"]["action"] == "refused" and not doc["traffic"]["changed"]
    assert "changed after it was checked" in err and "traffic left untouched" in err
    assert [p for p in run_patches(emu) if p.query.get("updateMask") == ["traffic"]] == []
    assert service_json(emu) == changed


def test_evidence_of_a_tagged_run_replays_to_the_same_verdict(flow: Any, tmp_path: Any) -> None:
    """The bundle records the run's target, so replay judges the candidate again, not the latest."""
    emu, data = flow()
    candidate = deploy(emu, "healthy", candidate=True)
    # A later, broken deploy with no traffic and no tag: the latest created is no longer the candidate.
    later = deploy(emu, "s5", "--no-traffic", *S5_ENV, candidate=False)
    bundle = tmp_path / "evidence"
    code, doc, stderr = gate(emu, data, "--tag", "candidate", "--evidence", str(bundle))
    assert code == 0, stderr
    judged = {c["evidence"].get("revision") for c in doc["checks"] if c["id"].startswith(SERVICE)}
    assert candidate in judged and later not in judged
    policy = json.loads((bundle / "policy.json").read_text())
    assert policy["target"] == {"service": SERVICE, "tag": "candidate", "revision": None, "source": "--tag"}
    r = subprocess.run(
        [sys.executable, "-m", "gate", "replay", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: recorded PASS, replayed PASS: agree" in r.stdout
