"""The production policy is stricter than staging: the deploy that passes staging
(S12), moved as it is to production names, must be blocked for exactly the reasons
production adds (availability, tier, environment) and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RENAMES = {
    "netra-backend-staging": "netra-backend-production",
    "staging-redis-f1adc35c": "production-redis",
    "staging-shared-postgres": "production-postgres",
    "api.staging.netrasystems.ai": "api.netrasystems.ai",
    "netra-staging": "netra-production",
}


def test_staging_healthy_deploy_is_not_good_enough_for_production(tmp_path: Path) -> None:
    text = (ROOT / "gate/emulator/worlds/s12-healthy.yaml").read_text()
    for old, new in RENAMES.items():
        text = text.replace(old, new)
    world = tmp_path / "production-like-staging.yaml"
    world.write_text(text)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "check",
            "--project",
            "netra-production",
            "--world",
            str(world),
            "--no-fail-fast",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 1, r.stderr
    checks = {c["id"]: c for c in json.loads(r.stdout)["checks"]}
    failed = {cid for cid, c in checks.items() if c["status"] != "PASS"}
    assert failed == {"production-postgres-sql", "netra-backend-production-env"}, {
        cid: checks[cid]["summary"] for cid in failed
    }
    sql = checks["production-postgres-sql"]["summary"]
    assert "REGIONAL" in sql or "db-custom-4-15360" in sql
    env = checks["netra-backend-production-env"]["summary"]
    assert "ENVIRONMENT" in env and "staging" not in env  # names, never values
