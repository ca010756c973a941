"""Every incident in docs/INCIDENTS.md, through the real CLI against the emulator.

Each world runs once (all at once, in subprocesses) with the default flags, as a
user would run it, writing the text, JSON and GitHub formats. The root-cause
checks named in the catalogue's table must FAIL in all three.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "gate" / "emulator" / "worlds"
CATALOGUE = ROOT / "docs" / "INCIDENTS.md"
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
    drop = ("GATE_EMULATOR_HOST", "GATE_RESOLVE", "GITHUB_STEP_SUMMARY")
    return {k: v for k, v in os.environ.items() if k not in drop}


def catalogue() -> dict[str, list[str]]:
    """world -> root-cause check ids, from the table in docs/INCIDENTS.md."""
    out: dict[str, list[str]] = {}
    text = CATALOGUE.read_text(encoding="utf-8")
    for line in text.split("\n## In this repository", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"S\d+", cells[0]):
            out[cells[1].strip("`")] = re.findall(r"`([^`]+)`", cells[2])
    return out


ROOT_CAUSES = catalogue()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict[str, str], str]]:
    """world -> (exit code, {format: output}, stderr), default flags."""
    procs = {}
    files: dict[str, dict[str, Path]] = {}
    for world in sorted([*WORLDS.glob("s*.yaml"), *WORLDS.glob("x*.yaml")]):
        out = tmp_path_factory.mktemp(world.stem)
        files[world.stem] = {fmt: out / f"report.{fmt}" for fmt in ("text", "json", "github")}
        cmd = [sys.executable, "-m", "gate", "check", "--project", "netra-staging", "--world", str(world)]
        for fmt, path in files[world.stem].items():
            cmd += ["-o", f"{fmt}={path}"]
        procs[world.stem] = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        )
    got = {}
    for name, p in procs.items():
        _, stderr = p.communicate(timeout=240)
        texts = {fmt: path.read_text(encoding="utf-8") for fmt, path in files[name].items() if path.exists()}
        got[name] = (p.returncode, texts, stderr)
    return got


@pytest.fixture(scope="module")
def reports(
    outputs: dict[str, tuple[int, dict[str, str], str]],
) -> dict[str, tuple[int, dict[str, Any], str]]:
    return {
        name: (code, json.loads(texts.get("json") or "{}"), err)
        for name, (code, texts, err) in outputs.items()
    }


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
    assert set(ROOT_CAUSES) == {w.stem for w in WORLDS.glob("s*.yaml")}
    assert ROOT_CAUSES["s12-healthy"] == []
    for world, causes in ROOT_CAUSES.items():
        if world != "s12-healthy":
            assert causes and set(causes) <= set(EXPECTED[world]), world  # the table and the test agree


@pytest.mark.parametrize("world", sorted(ROOT_CAUSES.keys() - {"s12-healthy"}))
def test_root_cause_fails_in_text_json_and_github(
    world: str, outputs: dict[str, tuple[int, dict[str, str], str]]
) -> None:
    code, texts, stderr = outputs[world]
    assert code == 1, (world, stderr)
    assert set(texts) == {"text", "json", "github"}, stderr
    checks = {c["id"]: c for c in json.loads(texts["json"])["checks"]}
    errors = [line for line in texts["github"].splitlines() if line.startswith("::error ")]
    for check_id in ROOT_CAUSES[world]:
        assert checks[check_id]["status"] == "FAIL", (check_id, checks[check_id]["summary"])
        assert checks[check_id]["source"]["file"] == "policies/netra-staging.yaml"
        # text: its block, with evidence, and its line in the fix-first block at the end
        assert f"\nFAIL       {check_id}  [" in texts["text"]
        fix_first = texts["text"].split("\nfix first:\n", 1)[1]
        assert f"  FAIL {check_id}: " in fix_first
        # github: an error annotation at its place in the policy
        line = checks[check_id]["source"]["line"]
        mine = [e for e in errors if f"title=gate {check_id}::FAIL: " in e]
        assert mine and f"file=policies/netra-staging.yaml,line={line}," in mine[0], errors
    # Only failures are errors, and GitHub shows the first 10: the causes are among them.
    assert len(errors) <= 10 and all("::FAIL: " in e or "::ERROR: " in e for e in errors)
    assert "Traceback" not in stderr


def test_golden_path_timings_in_report(reports: dict[str, Any]) -> None:
    _, doc, _ = reports["s12-healthy"]
    metrics = _checks(doc)["golden-path"]["metrics"]
    assert metrics["sessions_ok"] == 5 and "first_event_p95_ms" in metrics and "final_p95_ms" in metrics
