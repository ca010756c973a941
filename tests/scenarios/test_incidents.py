"""Every incident in shared/INCIDENTS.md, through the real CLI against the emulator.

Each world runs once (all at once, in subprocesses) with --no-fail-fast so every
check's evidence is there to assert on; the blocking verdict must not depend on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "gate" / "emulator" / "worlds"
B = "netra-backend-staging"

# world -> checks that must FAIL, and words each failing summary must contain
EXPECTED: dict[str, dict[str, list[str]]] = {
    "s1-worker-boot-failure": {
        f"{B}-revision": [],
        f"{B}-boot-log": ["Worker failed to boot", "exited with code 3"],
    },
    "s2-startup-attributeerror": {
        f"{B}-revision": [],
        f"{B}-boot-log": ["AttributeError", "UnifiedExecutionEngineFactory"],
    },
    "s3-health-unreachable": {f"{B}-domain-health": ["timed out"]},
    "s4-websocket-subprotocol-rejected": {"golden-path": ["handshake rejected with HTTP 500"]},
    "s5-missing-database-config": {
        f"{B}-env": ["POSTGRES_HOST", "POSTGRES_PORT"],
        # The serving revision before the deploy had both: lost, not just missing.
        f"{B}-diff": ["env:POSTGRES_HOST emptied", "env:POSTGRES_PORT removed"],
    },
    "s6-redis-unreachable": {f"{B}-reaches-redis": ["10.1.0.0/28", "10.166.204.80/29"]},
    "s7-database-underprovisioned": {"staging-shared-postgres-sql": ["db-g1-small"]},
    "s8-shallow-health-lies": {f"{B}-deep-health": ["checks.redis.status"]},
    "s9-startup-validation-failures": {f"{B}-boot-log": ["Startup validation timed out"]},
    "s10-agent-events-missing": {"golden-path": ["agent_started"]},
    "s11-concurrent-sessions-closed": {"golden-path": ["5 of 5", "1000 (OK) main cleanup"]},
    # Not a catalogued incident: a candidate without the serving revision's VPC access.
    "x1-vpc-access-removed": {
        f"{B}-diff": ["vpc removed", "serving 100% of traffic"],
        f"{B}-reaches-redis": ["has no VPC access"],
    },
}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}


@pytest.fixture(scope="module")
def reports() -> dict[str, tuple[int, dict[str, Any], str]]:
    procs = {}
    for world in sorted([*WORLDS.glob("s*.yaml"), *WORLDS.glob("x*.yaml")]):
        cmd = [
            sys.executable,
            "-m",
            "gate",
            "check",
            "--project",
            "netra-staging",
            "--world",
            str(world),
            "--no-fail-fast",
            "-f",
            "json",
        ]
        procs[world.stem] = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        )
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=240)
        out[name] = (p.returncode, json.loads(stdout) if stdout.strip() else {}, stderr)
    return out


def _checks(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in doc["checks"]}


@pytest.mark.parametrize("world", sorted(EXPECTED))
def test_incident_is_blocked_by_the_right_check(world: str, reports: dict[str, Any]) -> None:
    code, doc, stderr = reports[world]
    assert code == 1, (world, stderr)
    assert doc["verdict"] == "FAIL"
    checks = _checks(doc)
    for check_id, words in EXPECTED[world].items():
        c = checks[check_id]
        assert c["status"] == "FAIL", (check_id, c["summary"])
        text = c["summary"] + json.dumps(c["evidence"])
        for w in words:
            assert w in text, (check_id, w, c["summary"])
    assert "Traceback" not in stderr


def test_healthy_deploy_passes_with_no_false_alarm(reports: dict[str, Any]) -> None:
    code, doc, stderr = reports["s12-healthy"]
    assert code == 0, stderr
    statuses = {c["id"]: c["status"] for c in doc["checks"]}
    assert set(statuses.values()) == {"PASS"}, statuses
    assert len(statuses) >= 12


def test_every_shipped_world_is_covered() -> None:
    assert {w.stem for w in WORLDS.glob("*.yaml")} == set(EXPECTED) | {"s12-healthy"}


def test_golden_path_timings_in_report(reports: dict[str, Any]) -> None:
    _, doc, _ = reports["s12-healthy"]
    metrics = _checks(doc)["golden-path"]["metrics"]
    assert metrics["sessions_ok"] == 5 and "first_event_p95_ms" in metrics and "final_p95_ms" in metrics
