"""Shared by the hardening suites: the real CLI in a subprocess, worlds derived from s12."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

WORLDS = Path(__file__).resolve().parents[2] / "gate" / "emulator" / "worlds"
BACKEND = "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"
REVISION = "netra-backend-staging-00042-xq7"


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment minus anything that would point gate elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}
    env.pop("GITHUB_STEP_SUMMARY", None)
    env.update(extra or {})
    return env


def gate(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else clean_env(),
    )


def load_s12() -> dict[str, Any]:
    """The healthy world as data (anchors and merge keys resolved)."""
    data: dict[str, Any] = yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text(encoding="utf-8"))
    copy: dict[str, Any] = json.loads(json.dumps(data))  # a deep copy with no shared (aliased) lists
    return copy


def write_world(path: Path, world: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(world, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def boot_entry(text: str, insert_id: str, ts: str, severity: str = "ERROR") -> dict[str, Any]:
    return {
        "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "project_id": "netra-staging",
                "service_name": "netra-backend-staging",
                "revision_name": REVISION,
                "configuration_name": "netra-backend-staging",
                "location": "us-central1",
            },
        },
        "insertId": insert_id,
        "timestamp": ts,
        "receiveTimestamp": ts,
        "severity": severity,
        "textPayload": text,
    }
