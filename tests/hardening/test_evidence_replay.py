"""Evidence bundles (`gate check --evidence DIR`) and `gate replay DIR`, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from gate import registry
from gate.evidence.bundle import PLACEHOLDER
from gate.evidence.replay import STUB_TYPE, replay
from tests.hardening.common import BACKEND, WORLDS, clean_env, gate

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
      required: [REDIS_HOST, JWT_SECRET_KEY]
      any_of: [[POSTGRES_HOST, POSTGRES_PORT], [DATABASE_URL]]
  - id: env-values
    type: run.env
    severity: warn
    with: {{service: netra-backend-staging, vars: {{REDIS_PORT: {{port: true}}}}}}
  - id: backend-health
    type: http.health
    needs: [backend-revision]
    timeout: 3s
    with:
      url: "{BACKEND}/health"
      headers: {{X-Probe-Key: {{env: GATE_TEST_PROBE_KEY}}}}
  - id: deep-health
    type: http.health
    timeout: 3s
    with:
      service: netra-backend-staging
      path: /api/health
      expect: {{json: ['status == "healthy"']}}
  - id: domain-health
    type: http.health
    timeout: 2s
    with: {{url: "https://api.staging.netrasystems.ai/health"}}
  - id: boot-log
    type: logs.boot
    with: {{service: netra-backend-staging, window: 10m}}
  - id: database
    type: sql.instance
    with: {{instance: staging-shared-postgres, min_tier: db-custom-1-3840}}
  - id: golden-path
    type: websocket.golden_path
    timeout: 10s
    with: {{service: netra-backend-staging, token_env: NETRA_E2E_TOKEN}}
"""
WORLD_CASES = ["s12-healthy", "s3-health-unreachable", "s5-missing-database-config", "s8-shallow-health-lies"]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str, int]]:
    tmp = tmp_path_factory.mktemp("evidence")
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    out = {}
    for world in WORLD_CASES:
        bundle = tmp / world
        r = gate(
            "check",
            "--policy",
            str(policy),
            "--world",
            str(WORLDS / f"{world}.yaml"),
            "--no-fail-fast",
            "-f",
            "json",
            "--evidence",
            str(bundle),
            env=clean_env({"GATE_TEST_PROBE_KEY": "probe-key-value-1234"}),
        )
        assert r.returncode in (0, 1), r.stderr
        assert f"evidence bundle written to {bundle}" in r.stderr
        out[world] = (bundle, r.stdout, r.returncode)
    return out


def test_bundle_holds_what_the_decision_rests_on(bundles: dict[str, tuple[Path, str, int]]) -> None:
    bundle, stdout, _ = bundles["s12-healthy"]
    assert sorted(p.name for p in bundle.iterdir()) == [
        "README.txt",
        "exchanges.jsonl",
        "manifest.json",
        "policy.json",
        "report.json",
    ]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["format"] == "gate.evidence/v1" and manifest["verdict"] == "PASS"
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == entry["sha256"]
    assert (bundle / "report.json").read_text() == stdout  # the same report, the same bytes
    policy = json.loads((bundle / "policy.json").read_text())
    health = next(c for c in policy["checks"] if c["id"] == "backend-health")
    assert health["with"]["headers"] == {"X-Probe-Key": {"env": "GATE_TEST_PROBE_KEY"}}
    assert health["needs"] == ["backend-revision"] and health["timing"]["timeout"] == 3.0
    assert policy["environment"] == {"GATE_TEST_PROBE_KEY": True, "NETRA_E2E_TOKEN": True}
    lines = [json.loads(x) for x in (bundle / "exchanges.jsonl").read_text().splitlines()]
    kinds = {x["kind"] for x in lines}
    assert kinds == {"google-api", "http", "websocket"}
    revision = next(x for x in lines if x.get("method") == "GetRevision")
    env = revision["body"]["containers"][0]["env"]
    assert {e["value"] for e in env if "value" in e} == {PLACEHOLDER}
    http = next(x for x in lines if x["kind"] == "http" and x["check"] == "backend-health")
    assert http["request"]["headers"] == ["X-Probe-Key"]  # names only
    everything = "".join(p.read_text() for p in bundle.iterdir())
    assert "probe-key-value-1234" not in everything
    assert "10.166.204.83" not in json.dumps(env)  # REDIS_HOST's literal value
    assert "gate replay" in (bundle / "README.txt").read_text()


@pytest.mark.parametrize("world", WORLD_CASES)
def test_replay_agrees_with_the_recording(bundles: dict[str, tuple[Path, str, int]], world: str) -> None:
    bundle, _, _ = bundles[world]
    result = replay(bundle)
    assert result.agree, [r for r in result.rows if not r.agrees]
    notes = {r.check_id: r.note for r in result.rows}
    assert notes["golden-path"].startswith("not replayable: WebSocket")
    assert notes["env-values"].startswith("not replayable: rests on redacted values")
    compared = [r for r in result.rows if r.note == "agree"]
    assert len(compared) == 7  # every other check was recomputed, not re-read
    assert STUB_TYPE not in registry.names()  # the stand-in was given to that run only


def test_replay_cli_prints_the_table_and_exits_0(
    bundles: dict[str, tuple[Path, str, int]], tmp_path: Path
) -> None:
    bundle, _, _ = bundles["s8-shallow-health-lies"]
    r = gate("replay", str(bundle), "--world-out", str(tmp_path / "w.json"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deep-health       FAIL      FAIL      agree" in r.stdout
    assert "verdict: recorded FAIL, replayed FAIL: agree" in r.stdout
    # The rebuilt world is a world file: `gate emulator --world` and `gate check --world` take it.
    check = gate(
        "check",
        "--policy",
        str(bundle.parent / "policy.yaml"),
        "--world",
        str(tmp_path / "w.json"),
        "--no-fail-fast",
        "-f",
        "json",
    )
    assert json.loads(check.stdout)["verdict"] == "FAIL"


def _copy(bundle: Path, tmp: Path) -> Path:
    dst = tmp / "copy"
    shutil.copytree(bundle, dst)
    return dst


def test_replay_disagreement_exits_1(bundles: dict[str, tuple[Path, str, int]], tmp_path: Path) -> None:
    bundle = _copy(bundles["s8-shallow-health-lies"][0], tmp_path)
    report = json.loads((bundle / "report.json").read_text())
    next(c for c in report["checks"] if c["id"] == "deep-health")["status"] = "PASS"
    report["verdict"] = "PASS"
    data = (json.dumps(report, indent=2) + "\n").encode()
    (bundle / "report.json").write_bytes(data)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["report.json"]["sha256"] = hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    r = gate("replay", str(bundle))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "deep-health       PASS      FAIL      DIFFERENT" in r.stdout
    assert "replay DISAGREES" in r.stdout


@pytest.mark.parametrize("damage", ["tamper", "missing-file", "not-json", "no-dir"])
def test_malformed_bundle_exits_2(
    bundles: dict[str, tuple[Path, str, int]], tmp_path: Path, damage: str
) -> None:
    bundle = _copy(bundles["s12-healthy"][0], tmp_path)
    if damage == "tamper":
        (bundle / "exchanges.jsonl").write_text("{}\n")
    elif damage == "missing-file":
        (bundle / "policy.json").unlink()
    elif damage == "not-json":
        (bundle / "manifest.json").write_text("{nope")
    else:
        bundle = tmp_path / "nothing-here"
    r = gate("replay", str(bundle))
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("gate: malformed evidence bundle:") and "Traceback" not in r.stderr


def test_evidence_into_a_used_directory_is_refused_before_running(tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "old.txt").write_text("x")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    r = gate(
        "check", "--policy", str(policy), "--world", str(WORLDS / "s12-healthy.yaml"), "--evidence", str(used)
    )
    assert r.returncode == 2 and "--evidence" in r.stderr and r.stdout == ""


def test_replay_rebuilds_firewall_policies_from_effective_firewalls(tmp_path: Path) -> None:
    """The firewall hop reads getEffectiveFirewalls; replay turns the recorded answer back into
    the world's VPC rules and firewall policies, so a policy's deny is recomputed, not re-read."""
    import yaml

    data = yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text())
    data["compute"]["firewallPolicies"] = [
        {
            "name": "601234567890",
            "shortName": "org-data-guard",
            "parent": "organizations/123456789012",
            "associations": [{"name": "org", "attachmentTarget": "organizations/123456789012"}],
            "rules": [
                {
                    "priority": 100,
                    "action": "deny",
                    "direction": "EGRESS",
                    "match": {"destIpRanges": ["10.107.0.0/16"], "layer4Configs": [{"ipProtocol": "all"}]},
                }
            ],
        }
    ]
    world = tmp_path / "world.yaml"
    world.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "apiVersion: gate/v1\nproject: netra-staging\nregion: us-central1\nchecks:\n"
        "  - {id: to-sql, type: network.reachability, with: {service: netra-backend-staging, "
        "sql: staging-shared-postgres}}\n"
        "  - {id: to-redis, type: network.reachability, with: {service: netra-backend-staging, "
        "redis: staging-redis-f1adc35c}}\n",
        encoding="utf-8",
    )
    bundle = tmp_path / "bundle"
    r = gate("check", "--policy", str(policy), "--world", str(world), "--no-fail-fast", "-f", "json",
             "--evidence", str(bundle), env=clean_env())  # fmt: skip
    assert r.returncode == 1, r.stderr
    result = replay(bundle)
    assert result.agree, [x for x in result.rows if not x.agrees]
    assert {x.check_id: x.replayed for x in result.rows} == {"to-sql": "FAIL", "to-redis": "PASS"}
    rebuilt = json.loads(result.world)
    # The regional answer names a policy by displayName (it has no shortName field).
    assert [p.get("displayName") for p in rebuilt["compute"]["firewallPolicies"]] == ["org-data-guard"]
