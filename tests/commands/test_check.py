"""`gate check` end to end: real policy files, real local servers, the real CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate import registry
from gate.cli import cli
from tests.fakechecks import Script
from tests.servers import json_body, refused_url, respond, serve

POLICY = """\
apiVersion: gate/v1
project: demo
region: us-central1
checks:
  - id: api-health
    type: http.health
    timeout: 3s
    with:
      url: {url}
      expect:
        json: ['status == "healthy"']
"""


def write_policy(tmp_path: Path, url: str) -> Path:
    p = tmp_path / "policy.yaml"
    p.write_text(POLICY.format(url=url))
    return p


def gate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GATE_EMULATOR_HOST"}
    return subprocess.run(
        [sys.executable, "-m", "gate", *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_healthy_endpoint_exits_0(tmp_path: Path) -> None:
    with serve({"/health": json_body({"status": "healthy"})}) as base:
        r = gate("check", "--policy", str(write_policy(tmp_path, base + "/health")), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "PASS" and doc["checks"][0]["status"] == "PASS"
    assert "Traceback" not in r.stderr


def test_503_exits_1(tmp_path: Path) -> None:
    with serve({"/health": respond(503, "Service Unavailable")}) as base:
        r = gate("check", "--policy", str(write_policy(tmp_path, base + "/health")))
    assert r.returncode == 1
    assert "503" in r.stdout and "api-health" in r.stdout


def test_refused_port_exits_1(tmp_path: Path) -> None:
    with refused_url() as url:
        r = gate("check", "--policy", str(write_policy(tmp_path, url + "/health")))
    assert r.returncode == 1
    assert "refused" in r.stdout


@pytest.fixture()
def script_type() -> Iterator[None]:
    registry.register(Script)
    Script.calls.clear()
    yield
    registry.unregister(Script.name)


def test_only_check_raising_exits_3(tmp_path: Path, script_type: None) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(
        "apiVersion: gate/v1\nproject: demo\nregion: r\nchecks:\n"
        "  - {id: boom, type: test.script, with: {script: [raise]}}\n"
    )
    r = CliRunner().invoke(cli, ["check", "--policy", str(p), "--format", "json"])
    assert r.exit_code == 3, r.output
    doc = json.loads(r.stdout)
    assert doc["checks"][0]["status"] == "ERROR" and "RuntimeError" in doc["checks"][0]["summary"]


def test_multiple_formats_to_files(tmp_path: Path) -> None:
    with serve({"/health": json_body({"status": "healthy"})}) as base:
        r = gate(
            "check",
            "--policy",
            str(write_policy(tmp_path, base + "/health")),
            "-f",
            "text,json,junit",
            "-o",
            f"json={tmp_path}/r.json",
            "-o",
            f"junit={tmp_path}/r.xml",
        )
    assert r.returncode == 0
    assert json.loads((tmp_path / "r.json").read_text())["exitCode"] == 0
    assert "<testcase" in (tmp_path / "r.xml").read_text()
    assert "api-health" in r.stdout and not r.stdout.lstrip().startswith("{")


def test_invalid_policy_exits_2_without_traceback(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(
        "apiVersion: gate/v1\nproject: demo\nregion: r\nchecks:\n  - id: x\n    type: http.health\n"
        "    retry: {interval: ten}\n    with: {url: 'http://127.0.0.1:1/'}\n"
    )
    r = gate("check", "--policy", str(p))
    assert r.returncode == 2
    assert f"{p}:7:" in r.stderr and "retry.interval" in r.stderr and "Traceback" not in r.stderr


def test_project_convention_finds_policy(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    with serve({"/health": json_body({"status": "healthy"})}) as base:
        (tmp_path / "policies" / "demo.yaml").write_text(POLICY.format(url=base + "/health"))
        env = {k: v for k, v in os.environ.items() if k != "GATE_EMULATOR_HOST"}
        r = subprocess.run(
            [sys.executable, "-m", "gate", "check", "--project", "demo"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    assert r.returncode == 0, r.stdout + r.stderr


def test_help_imports_no_google_client() -> None:
    code = (
        "import sys; from gate.cli import main\ntry:\n main(['--help'])\nexcept SystemExit: pass\n"
        "bad=[m for m in sys.modules if m.startswith(('google','httpx','gate.gcp','gate.emulator'))]\n"
        "print('IMPORTED', bad)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "IMPORTED []" in r.stdout, r.stdout


def test_unwritable_output_target_is_exit_2_before_anything_runs(tmp_path: Path) -> None:
    with serve({"/health": json_body({"status": "healthy"})}) as base:
        policy = str(write_policy(tmp_path, base + "/health"))
        as_dir = gate("check", "--policy", policy, "-o", f"json={tmp_path}")
        under_file = gate("check", "--policy", policy, "-o", f"junit={policy}/report.xml")
        assert base.requests == []  # nothing was run
    assert as_dir.returncode == 2 and f"--output json: {tmp_path} is a directory" in as_dir.stderr
    assert as_dir.stdout == ""
    assert under_file.returncode == 2 and "is not a directory" in under_file.stderr
    assert "Traceback" not in as_dir.stderr + under_file.stderr


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run gate with stdout and stderr on a pseudo-terminal; everything it wrote."""
    import pty

    main, child = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "NO_COLOR")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", *args],
        stdout=child,
        stderr=child,
        env={**base, **env, "TERM": "xterm"},
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
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_color_is_honoured_on_a_terminal(tmp_path: Path) -> None:
    with serve({"/health": respond(503, "down")}) as base:
        args = ["check", "--policy", str(write_policy(tmp_path, base + "/health"))]
        coloured = _on_a_terminal(args, {})
        plain = _on_a_terminal(args, {"NO_COLOR": "1"})
    assert "\x1b[31m" in coloured  # the report's FAIL, on a terminal
    assert "verdict: FAIL" in plain and "running" in plain  # report and live progress were drawn
    assert not re.search(r"\x1b\[[0-9;]*m", plain), plain  # ... without a single colour code
    for line in coloured.replace("\r", "").split("\n"):
        if "\x1b[3" in line:
            assert line.rfind("\x1b[0m") > line.rfind("\x1b[3"), repr(line)  # reset before the newline


def test_use_color_rules() -> None:
    from gate.commands.common import use_color

    class TTY:
        def isatty(self) -> bool:
            return True

    tty = TTY()
    assert use_color(None, tty, {}) is True  # type: ignore[arg-type]
    assert use_color(None, tty, {"NO_COLOR": "1"}) is False  # type: ignore[arg-type]
    assert use_color(None, tty, {"TERM": "dumb"}) is False  # type: ignore[arg-type]
    assert use_color(True, tty, {"NO_COLOR": "1"}) is True  # type: ignore[arg-type]
    assert use_color(None, object(), {}) is False  # type: ignore[arg-type]


def test_quiet_prints_the_verdict_and_what_to_fix(tmp_path: Path) -> None:
    with serve({"/health": respond(503, "down")}) as base:
        r = gate("check", "--policy", str(write_policy(tmp_path, base + "/health")), "-q")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[:3] == [
        "1 check: 0 PASS, 1 FAIL, 0 WARN, 0 ERROR, 0 SKIP, 0 CANCELLED",
        "verdict: FAIL",
        "exit code: 1 (a blocking check failed)",
    ]
    assert lines[4] == "fix first:" and lines[5].startswith("  FAIL api-health: HTTP 503")
    assert "evidence:" not in r.stdout


def test_bad_deadline_and_unknown_world_are_exit_2(tmp_path: Path) -> None:
    policy = str(write_policy(tmp_path, "http://127.0.0.1:1/health"))
    bad = gate("check", "--policy", policy, "--deadline", "ten")
    assert bad.returncode == 2 and 'expected a duration like "10s"' in bad.stderr
    unknown = gate("check", "--policy", policy, "--world", "s6-redis")
    assert unknown.returncode == 2 and "bundled worlds: s1-worker-boot-failure" in unknown.stderr


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    for args in (["schema"], ["explain", "http.health"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "gate", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # like `gate schema | true`
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
        assert "Traceback" not in err and "Exception ignored" not in err, err
        assert proc.returncode != 0  # the output was not delivered: never a silent success
