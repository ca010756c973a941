"""`gate check` end to end: real policy files, real local servers, the real CLI."""

from __future__ import annotations

import json
import os
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
