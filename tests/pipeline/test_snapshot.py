"""`gate snapshot` against the emulator over HTTP, replayed with `gate check --world`."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import gate
from gate.emulator import Emulator, load_world, parse_world
from gate.evidence.snapshot import PLACEHOLDER, Snapshot, SnapshotOptions
from gate.gcp.cloud import Cloud
from gate.gcp.transport.connection import Connection
from tests.pipeline.conftest import WORLDS, clean_env
from tests.pipeline.conftest import gate as gate_cli

# Checks that judge what the APIs report (HTTP endpoints are probed live and
# are not part of a snapshot), with env rules on names only.
POLICY = """\
apiVersion: gate/v1
project: netra-staging
region: us-central1
checks:
  - id: backend-revision
    type: run.revision
    with: {service: netra-backend-staging}
  - id: backend-env
    type: run.env
    with:
      service: netra-backend-staging
      required: [REDIS_HOST, REDIS_PORT, JWT_SECRET_KEY]
      any_of: [[POSTGRES_HOST, POSTGRES_PORT], [DATABASE_URL]]
  - id: backend-boot-log
    type: logs.boot
    with: {service: netra-backend-staging, window: 10m}
  - id: database
    type: sql.instance
    with:
      instance: staging-shared-postgres
      min_tier: db-custom-1-3840
      connected_from: {service: netra-backend-staging}
  - id: reaches-redis
    type: network.reachability
    with: {service: netra-backend-staging, redis: staging-redis-f1adc35c}
"""


def env_values(data: dict[str, Any]) -> list[str]:
    run = data.get("run", {})
    out = []
    for r in [*run.get("services", []), *run.get("revisions", [])]:
        for c in r.get("template", {}).get("containers", []) + r.get("containers", []):
            out += [e["value"] for e in c.get("env", []) if e.get("value")]
    return out


def statuses(report: Any) -> list[tuple[str, str]]:
    return [(r.id, r.status.value) for r in report.results]


@pytest.mark.parametrize("world", ["s12-healthy", "s5-missing-database-config"])
def test_snapshot_replays_to_the_same_verdict_without_env_values(tmp_path: Path, world: str) -> None:
    original = WORLDS / f"{world}.yaml"
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "snapshot.yaml"
    with Emulator(load_world(str(original))) as emu:
        r = gate_cli(
            "snapshot", "--project", "netra-staging", "--region", "us-central1", "-o", str(out),
            env=clean_env({"GATE_EMULATOR_HOST": emu.api_host}),
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert not [q for q in emu.requests if ":access" in q.path]  # payloads never read
    assert r.stderr.startswith(f"wrote {out}: 3 services, ")

    before = gate.run(policy, world=original, fail_fast=False)
    after = gate.run(policy, world=out, fail_fast=False)
    assert after.verdict == before.verdict
    assert statuses(after) == statuses(before)

    text = out.read_text()
    snap = yaml.safe_load(text)
    assert set(env_values(snap)) == {PLACEHOLDER}
    source = yaml.safe_load(original.read_text())
    # Values that the world holds only as env values must be gone from the whole file.
    rest = copy.deepcopy(source)
    for r in [*rest["run"]["services"], *rest["run"]["revisions"]]:
        for c in r.get("template", {}).get("containers", []) + r.get("containers", []):
            c.pop("env", None)
    rest_text = json.dumps(rest)
    only_env = [v for v in env_values(source) if len(v) >= 4 and v not in rest_text]
    assert only_env  # the test would prove nothing otherwise
    assert [v for v in only_env if v in text] == []
    # Secret references keep their names.
    assert "secret: jwt-secret-key-staging" in text


def test_tokens_and_echoed_env_values_are_scrubbed_from_logs(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text())
    data = copy.deepcopy(data)
    revision = data["run"]["revisions"][0]
    revision["containers"][0]["env"].append(
        {"name": "DATABASE_URL", "value": "postgresql://netra:pa55-w0rd-xyz@10.20.0.3:5432/netra"}
    )
    entry = copy.deepcopy(data["logging"]["entries"][0])
    entry["insertId"] = "leak-1"
    entry.pop("jsonPayload", None)
    entry["textPayload"] = (
        "connecting with postgresql://netra:pa55-w0rd-xyz@10.20.0.3:5432/netra "
        "Authorization: Bearer ya29.a0AfB_byC-secret-token-value"
    )
    data["logging"]["entries"].append(entry)
    world = parse_world(yaml.safe_dump(data, sort_keys=False), "<leaky>")
    with Emulator(world) as emu:
        cloud = Cloud(Connection(emulator_host=emu.api_host), "netra-staging", "us-central1")
        snap = Snapshot(cloud.transport, SnapshotOptions(keep_env=("REDIS_PORT",))).world()
    text = yaml.safe_dump(snap)
    assert "pa55-w0rd-xyz" not in text and "ya29.a0AfB_byC-secret-token-value" not in text
    leaked = next(e for e in snap["logging"]["entries"] if e["insertId"] == "leak-1")
    assert leaked["textPayload"] == f"connecting with {PLACEHOLDER} Authorization: Bearer {PLACEHOLDER}"
    env = {e["name"]: e.get("value") for e in snap["run"]["revisions"][0]["containers"][0]["env"]}
    assert env["REDIS_PORT"] == "6379" and env["REDIS_HOST"] == PLACEHOLDER  # --keep-env
    assert "valueSource" in next(
        e for e in snap["run"]["revisions"][0]["containers"][0]["env"] if e["name"] == "JWT_SECRET_KEY"
    )


def test_a_failing_list_stops_the_snapshot_naming_the_permission(tmp_path: Path) -> None:
    from gate.emulator import Fault

    with Emulator(load_world(str(WORLDS / "s12-healthy.yaml"))) as emu:
        emu.add_fault(Fault(api="redis", status=403))
        r = gate_cli(
            "snapshot", "-p", "netra-staging", "-r", "us-central1", "-o", str(tmp_path / "w.yaml"),
            env=clean_env({"GATE_EMULATOR_HOST": emu.api_host}),
        )  # fmt: skip
    assert r.returncode == 3 and "redis.instances.list" in r.stderr
    assert not (tmp_path / "w.yaml").exists()


def _with_firewall_policies() -> dict[str, Any]:
    """s12 with a network firewall policy that denies Redis, evaluated before the VPC rules."""
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text()))
    net = "https://www.googleapis.com/compute/v1/projects/netra-staging/global/networks/staging-vpc"
    data["compute"]["networks"][0]["networkFirewallPolicyEnforcementOrder"] = "BEFORE_CLASSIC_FIREWALL"
    data["compute"]["firewallPolicies"] = [
        {
            "name": "staging-egress",
            "associations": [{"name": "staging", "attachmentTarget": net, "priority": 1000}],
            "rules": [
                {
                    "priority": 100,
                    "action": "deny",
                    "direction": "EGRESS",
                    "match": {"destIpRanges": ["10.166.204.80/29"], "layer4Configs": [{"ipProtocol": "tcp"}]},
                }
            ],
        }
    ]
    return data


def test_snapshot_keeps_the_firewall_policies_that_decide_a_path(tmp_path: Path) -> None:
    world = tmp_path / "policies.yaml"
    world.write_text(yaml.safe_dump(_with_firewall_policies(), sort_keys=False))
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "snapshot.yaml"
    with Emulator(load_world(str(world))) as emu:
        r = gate_cli(
            "snapshot", "-p", "netra-staging", "-r", "us-central1", "-o", str(out),
            env=clean_env({"GATE_EMULATOR_HOST": emu.api_host}),
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
    snap = yaml.safe_load(out.read_text())
    assert [p["name"] for p in snap["compute"]["firewallPolicies"]] == ["staging-egress"]
    before = gate.run(policy, world=world, fail_fast=False)
    after = gate.run(policy, world=out, fail_fast=False)
    assert dict(statuses(before))["reaches-redis"] == "FAIL"
    assert statuses(after) == statuses(before)
