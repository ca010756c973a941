"""Waivers through the real CLI: `gate check --world` on the S7 incident (an under-provisioned
Cloud SQL tier) and `gate validate`. Dates are computed from today's UTC date with days to
spare on each side, so a run at midnight cannot flip an outcome and nothing rots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from gate import waivers

REPO = Path(__file__).resolve().parents[2]
STAGING = REPO / "policies" / "netra-staging.yaml"
S7 = "s7-database-underprovisioned"
SQL = "staging-shared-postgres-sql"  # the check S7 fails: tier db-g1-small below db-custom-1-3840


def gate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GITHUB_STEP_SUMMARY")}
    return subprocess.run(
        [sys.executable, "-m", "gate", *args], capture_output=True, text=True, timeout=120, env=env
    )


def staging_with_waiver(tmp_path: Path, days: int, match: str | None = "is below the minimum") -> Path:
    """The shipped staging policy plus one waiver of S7's failure, ending ``days`` from today."""
    expires = (waivers.today() + timedelta(days=days)).isoformat()
    lines = [
        "",
        "waivers:",
        f"  - check: {SQL}",
        '    reason: "OPS-4211: the resize is booked for the next maintenance window"',
        "    owner: data-platform@netrasystems.ai",
        f"    expires: {expires}",
    ]
    if match is not None:
        lines.append(f'    match: "{match}"')
    p = tmp_path / "netra-staging.yaml"
    p.write_text(STAGING.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    return p


def waiver_line(p: Path) -> int:
    return p.read_text(encoding="utf-8").splitlines().index(f"  - check: {SQL}") + 1


def test_s7_blocks_without_a_waiver() -> None:
    r = gate("check", "--policy", str(STAGING), "--world", S7, "--format", "json")
    assert r.returncode == 1, r.stderr
    assert {c["id"]: c["status"] for c in json.loads(r.stdout)["checks"]}[SQL] == "FAIL"


def test_a_waiver_of_s7s_tier_failure_ships_with_the_waiver_shown(tmp_path: Path) -> None:
    p = staging_with_waiver(tmp_path, days=30)
    out = tmp_path / "report.json"
    r = gate("check", "--policy", str(p), "--world", S7, "-o", f"json={out}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"WAIVED     {SQL}  [sql.instance, block]" in r.stdout
    assert "waived until " in r.stdout and "owner data-platform@netrasystems.ai: OPS-4211" in r.stdout
    assert f"waiver at: {p}:{waiver_line(p)}:5" in r.stdout
    assert "13 PASS, 0 FAIL, 0 WARN, 0 ERROR, 0 SKIP, 0 CANCELLED, 1 WAIVED" in r.stdout
    assert "verdict: PASS with waivers" in r.stdout
    assert "warning" not in r.stderr  # 30 days out: nothing to warn about
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["verdict"], doc["exitCode"], doc["counts"]["WAIVED"]) == ("PASS", 0, 1)
    sql = next(c for c in doc["checks"] if c["id"] == SQL)
    assert sql["status"] == "WAIVED" and sql["waiver"]["state"] == "applied"
    assert "db-g1-small" in sql["summary"] and sql["evidence"]["tier"] == "db-g1-small"  # never hidden


def test_a_waiver_whose_match_misses_the_failure_still_blocks(tmp_path: Path) -> None:
    p = staging_with_waiver(tmp_path, days=30, match="instance is STOPPED")
    r = gate("check", "--policy", str(p), "--world", S7, "--format", "json")
    assert r.returncode == 1, r.stderr
    sql = next(c for c in json.loads(r.stdout)["checks"] if c["id"] == SQL)
    assert (sql["status"], sql["waiver"]["state"]) == ("FAIL", "not-matched")


def test_an_expired_waiver_is_exit_2_naming_it_and_nothing_runs(tmp_path: Path) -> None:
    p = staging_with_waiver(tmp_path, days=-2)
    r = gate("check", "--policy", str(p), "--world", S7)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith(f'{p}:{waiver_line(p)}:5: waiver for check "{SQL}" (owner data-platform')
    assert "expired at the end of" in r.stderr and "(2 days ago)" in r.stderr
    assert r.stderr.rstrip().endswith("1 error; nothing was run.")


def test_gate_check_warns_on_stderr_of_a_waiver_ending_soon_and_still_runs(tmp_path: Path) -> None:
    p = staging_with_waiver(tmp_path, days=5)
    r = gate("check", "--policy", str(p), "--world", S7, "-q")
    assert r.returncode == 0, r.stderr
    assert f'{p}:{waiver_line(p)}:5: warning: waiver for check "{SQL}"' in r.stderr
    assert "(in 5 days)" in r.stderr and "warning" not in r.stdout


def test_gate_validate_warns_ten_days_ahead_and_exits_0(tmp_path: Path) -> None:
    soon = staging_with_waiver(tmp_path, days=5)
    r = gate("validate", str(soon))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok: 1 file (1 warning)"
    (line,) = r.stderr.splitlines()
    assert line.startswith(f'{soon}:{waiver_line(soon)}:5: warning: waiver for check "{SQL}"')
    assert "(in 5 days)" in line
    later = staging_with_waiver(tmp_path, days=30)
    r = gate("validate", str(later))
    assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "ok: 1 file", "")


def test_gate_validate_refuses_an_expired_waiver(tmp_path: Path) -> None:
    p = staging_with_waiver(tmp_path, days=-1)
    r = gate("validate", str(p))
    assert r.returncode == 2
    assert f'{p}:{waiver_line(p)}:5: waiver for check "{SQL}"' in r.stderr and "(yesterday)" in r.stderr


def test_replay_of_a_waived_run_agrees_and_never_judges_the_expiry_again(tmp_path: Path) -> None:
    from gate.evidence.bundle_reader import load_bundle
    from gate.evidence.replay import replay

    p = staging_with_waiver(tmp_path, days=30)
    bundle = tmp_path / "bundle"
    r = gate("check", "--policy", str(p), "--world", S7, "--evidence", str(bundle), "-q")
    assert r.returncode == 0, r.stderr
    (recorded,) = load_bundle(bundle).policy["waivers"]
    assert recorded["check"] == SQL and recorded["match"] == "is below the minimum"
    outcome = replay(bundle)
    assert outcome.agree, [row for row in outcome.rows if not row.agrees]
    assert next(row for row in outcome.rows if row.check_id == SQL).replayed == "WAIVED"
    # The bundle is read as it was recorded: a waiver that has expired since still applies.
    policy_json = bundle / "policy.json"
    doc = json.loads(policy_json.read_text(encoding="utf-8"))
    assert doc["waivers"][0]["expires"] > waivers.today().isoformat()
