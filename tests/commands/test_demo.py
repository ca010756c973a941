"""`gate demo` as a new user runs it: the real CLI against every bundled world."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gate.commands.demo import WorldRun, closing, table
from gate.model import CheckResult, Report, Severity, Status
from tests.report.conftest import check_golden

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
HEALTHY = "s12-healthy"


def _demo(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE", "NO_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "gate", "demo", "--no-progress", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    return _demo()


def test_demo_table_golden(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stderr
    check_golden_here("demo.txt", demo.stdout)


def check_golden_here(name: str, actual: str) -> None:
    import tests.report.conftest as conftest

    saved = conftest.GOLDEN
    conftest.GOLDEN = GOLDEN
    try:
        check_golden(name, actual)
    finally:
        conftest.GOLDEN = saved


def test_demo_is_short_and_ends_with_what_it_ran(demo: subprocess.CompletedProcess[str]) -> None:
    lines = demo.stdout.splitlines()
    assert len(lines) <= 40, len(lines)
    assert lines[-1] == "demo: every incident blocked; the healthy deploy passed (13 worlds run)"
    assert "Traceback" not in demo.stderr and demo.stderr == ""  # no progress: not a terminal


def test_unknown_world_is_exit_2_before_anything_runs() -> None:
    r = _demo("--world", "s6-redis-unreachabel", timeout=60)
    assert r.returncode == 2
    assert 'did you mean "s6-redis-unreachable"?' in r.stderr and r.stdout == ""


def test_deadline_takes_the_duration_syntax() -> None:
    r = _demo("--deadline", "120", timeout=60)
    assert r.returncode == 2 and '(give a unit: "120s")' in r.stderr


def test_one_world_by_name_or_file_claims_only_what_ran() -> None:
    world = ROOT / "gate" / "emulator" / "worlds" / "s7-database-underprovisioned.yaml"
    r = _demo("--world", "s7-database-underprovisioned", "--world", str(world), "--deadline", "60s")
    assert r.returncode == 0, r.stderr
    last = [line for line in r.stdout.splitlines() if line.startswith("demo: ")]
    assert last == ["demo: 1 of 1 incident blocked; the healthy deploy was not run (1 world run)"]


def _run(name: str, incident: str, code_status: Status) -> WorldRun:
    result = CheckResult("x-check", "t", Severity.BLOCK, code_status, "what went wrong")
    report = Report("p", "r", "policy.yaml", (result,), "", 0.0)
    return WorldRun(Path(f"{name}.yaml"), name, incident, "", report)


def test_closing_line_never_claims_a_block_that_did_not_happen() -> None:
    runs = [
        _run("s3-x", "S3", Status.ERROR),
        _run("s4-y", "S4", Status.FAIL),
        _run("s12-healthy", "S12", Status.PASS),
    ]
    line = closing(runs, every_world=True)
    assert line == (
        "demo: 1 of 2 incidents blocked; NOT blocked: S3 (exit 3); the healthy deploy passed (3 worlds run)"
    )
    assert table(runs)[1].startswith("!!  S3   s3-x")
    bad_healthy = [_run("s12-healthy", "S12", Status.FAIL)]
    assert closing(bad_healthy, every_world=False) == "demo: the healthy deploy did NOT pass (1 world run)"


def test_live_progress_per_world_on_a_terminal() -> None:
    import pty

    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", "demo", "--world", "s7-database-underprovisioned", "--world", HEALTHY],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=child,
        env={**env, "NO_COLOR": "1", "TERM": "xterm"},
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out, _ = proc.communicate(timeout=120)
    os.close(main)
    live = b"".join(chunks).decode()
    assert "checks finished" in live and "s7-database-underprovisioned" in live
    assert "FAIL       s7-database-underprovisioned" in live.replace("\x1b[2K", "")
    assert "\x1b[3" not in live  # NO_COLOR
    assert proc.returncode == 0 and b"caught by" in out
