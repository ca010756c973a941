"""Helpers for the ``gate init`` tests: healthy worlds, and broken variants edited from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SHIPPED = ROOT / "gate" / "emulator" / "worlds"

# name -> (world file, project)
HEALTHY: dict[str, tuple[Path, str]] = {
    "s12-healthy": (SHIPPED / "s12-healthy.yaml", "netra-staging"),
    "direct-vpc": (HERE / "worlds" / "direct-vpc.yaml", "acme-shop"),
    "shared-vpc": (HERE / "worlds" / "shared-vpc.yaml", "acme-orders"),
    "multi-container": (HERE / "worlds" / "multi-container.yaml", "acme-chat"),
}


def load(path: Path) -> dict[str, Any]:
    """A world as plain data: anchors and merge keys resolved, nothing shared (aliased)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Any] = json.loads(json.dumps(data))
    return out


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def variant(name: str, edit: Callable[[dict[str, Any]], None], where: Path) -> Path:
    """World ``name`` changed by ``edit``, written under ``where``."""
    data = load(HEALTHY[name][0])
    edit(data)
    return write(where / f"{name}-{edit.__name__}.json", data)


def revision(data: dict[str, Any], short: str) -> dict[str, Any]:
    return next(r for r in data["run"]["revisions"] if r["name"].endswith(f"/revisions/{short}"))


def env_of(data: dict[str, Any], short: str, container: int = 0) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = revision(data, short)["containers"][container]["env"]
    return env


def literal_values(data: dict[str, Any]) -> Iterator[str]:
    """Every literal env value in a world's services and revisions."""
    run = data.get("run", {})
    for resource in [*run.get("services", []), *run.get("revisions", [])]:
        for c in resource.get("template", {}).get("containers", []) + resource.get("containers", []):
            for e in c.get("env", []):
                if e.get("value"):
                    yield str(e["value"])


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}
    env.update(extra or {})
    return env


def gate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
