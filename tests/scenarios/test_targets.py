"""The same verdict through every target, a 403 that is never a pass, and env values
that never reach any output."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.emulator import load_world

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "gate" / "emulator" / "worlds"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}
    env.update(extra)
    return env


def _check(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    r = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--project", "netra-staging", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=env or _env(),
    )
    doc = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    return r.returncode, doc, r.stderr


def _statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in doc["checks"]}


@pytest.mark.parametrize("world", ["s12-healthy", "s6-redis-unreachable", "s8-shallow-health-lies"])
def test_emulator_host_gives_the_same_verdict_as_world(world: str) -> None:
    path = WORLDS / f"{world}.yaml"
    code_w, doc_w, _ = _check("--world", str(path), "--no-fail-fast", "-f", "json")
    emu = subprocess.Popen(
        [sys.executable, "-m", "gate", "emulator", "--world", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert emu.stdout is not None and emu.stderr is not None
        # The README recipe: every `export` line `gate emulator` prints, and nothing else.
        assert emu.stderr.readline().startswith("# serving world")  # printed after the exports
        exported = dict(
            shlex.split(line)[1].split("=", 1)
            for line in os.read(emu.stdout.fileno(), 1 << 20).decode().splitlines()
            if line.startswith("export ")
        )
        assert {"GATE_EMULATOR_HOST", "GATE_RESOLVE", *load_world(path).env} == set(exported)
        code_e, doc_e, stderr = _check("--no-fail-fast", "-f", "json", env=_env(**exported))
    finally:
        emu.send_signal(signal.SIGTERM)
        emu.wait(timeout=10)
    assert code_e == code_w, stderr
    assert _statuses(doc_e) == _statuses(doc_w)
    assert doc_e["target"].startswith("emulator:") and doc_w["target"].startswith("world:")


def test_cloud_run_403_is_inconclusive_and_names_the_permission(tmp_path: Path) -> None:
    world = yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text())
    world["faults"] = [{"api": "run", "status": 403}]
    faulty = tmp_path / "s12-run-forbidden.yaml"
    faulty.write_text(yaml.safe_dump(world))
    code, doc, stderr = _check("--world", str(faulty), "-f", "json")
    assert code == 3, stderr
    assert doc["verdict"] == "INCONCLUSIVE"
    errors = [c for c in doc["checks"] if c["status"] == "ERROR"]
    assert errors and all(c["status"] != "PASS" for c in doc["checks"] if c["type"].startswith("run."))
    assert any(re.search(r"run\.(services|revisions)\.get", c["summary"]) for c in errors)
    assert any("HTTP 403" in c["summary"] for c in errors)


def _plant_canaries(world: dict[str, Any]) -> list[str]:
    """Replace every literal env value in the world's revisions and services by a unique canary."""
    planted: list[str] = []

    def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
        return list(obj.get("containers") or obj.get("template", {}).get("containers") or [])

    for kind in ("services", "revisions"):
        for res in world.get("run", {}).get(kind, []):
            for c in containers(res):
                for var in c.get("env", []):
                    if "value" in var and var["value"] != "":
                        var["value"] = f"canary-{len(planted):03d}-{var['name'].lower()}-7f3e"
                        planted.append(var["value"])
    return planted


@pytest.mark.parametrize("world", sorted(p.stem for p in WORLDS.glob("s*.yaml")))
def test_no_env_value_appears_in_any_output(world: str, tmp_path: Path) -> None:
    data = yaml.safe_load((WORLDS / f"{world}.yaml").read_text())
    canaries = _plant_canaries(data)
    assert canaries, "the world has literal env values to plant"
    path = tmp_path / f"{world}.yaml"
    path.write_text(yaml.safe_dump(data))
    summary = tmp_path / "summary.md"
    env = _env(GITHUB_STEP_SUMMARY=str(summary))
    outputs = [f"{fmt}={tmp_path}/out.{fmt}" for fmt in ("json", "junit", "markdown")]
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "check",
            "--project",
            "netra-staging",
            "--world",
            str(path),
            "--no-fail-fast",
            "--verbose",
            "-f",
            "text,github,json,junit,markdown",
            *[a for o in outputs for a in ("-o", o)],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert r.returncode in (0, 1, 3), r.stderr
    texts = [r.stdout, r.stderr, summary.read_text() if summary.exists() else ""]
    texts += [p.read_text() for p in tmp_path.glob("out.*")]
    for text in texts:
        for canary in canaries:
            assert canary not in text
