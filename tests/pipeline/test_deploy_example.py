"""The deploy-example workflow's steps, run in order as GitHub would run them, against the emulator.

`run:` steps run in bash with the workflow's env, and `gcloud` on PATH is tests.gcloud (what
gcloud sends to the Cloud Run Admin API, to GATE_EMULATOR_HOST); the gate step runs the action's
script with its `with:` inputs (action.yml's defaults for the rest); `uses:` steps that only log
in, install gcloud or upload artifacts are skipped; `if:` conditions are evaluated. Any other
expression fails the test, so a changed workflow cannot pass unexercised.
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
import yaml

from gate.emulator import Emulator, parse_world
from tests.pipeline.conftest import ROOT, SERVICE, service_json
from tests.pipeline.flows import SERVING, flow_world, gate_env, spec
from tests.pipeline.test_action import parse_github_output

WORKFLOW = ROOT / ".github" / "workflows" / "deploy-example.yml"
SKIPPED_USES = (
    "actions/checkout@",
    "google-github-actions/auth@",
    "google-github-actions/setup-gcloud@",
    "actions/upload-artifact@",
)
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def gcloud_on_path(tmp: Path) -> str:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "gcloud"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m tests.gcloud "$@"\n')
    shim.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


class Run:
    """One workflow run: contexts for expressions, and what each job produced."""

    def __init__(self, wf: dict[str, Any], sha: str) -> None:
        self.wf = wf
        self.github = {"sha": sha}
        self.env = {k: self.expand(str(v), {}) for k, v in wf.get("env", {}).items()}
        self.needs: dict[str, dict[str, Any]] = {}

    def value(self, expr: str, steps: dict[str, dict[str, str]]) -> Any:
        if expr == "always()":
            return True
        m = re.fullmatch(r"(.+?)\s*==\s*'([^']*)'", expr)
        if m:
            return str(self.value(m.group(1), steps)) == m.group(2)
        parts = expr.split(".")
        if parts[0] == "env":
            return self.env[parts[1]]
        if parts[0] == "github":
            return self.github[parts[1]]
        if parts[0] == "steps":
            return steps.get(parts[1], {}).get(parts[3], "")
        if parts[0] == "needs" and parts[2] == "result":
            return self.needs[parts[1]]["result"]
        if parts[0] == "needs" and parts[2] == "outputs":
            return self.needs[parts[1]]["outputs"].get(parts[3], "")
        raise AssertionError(f"the workflow uses an expression this test does not know: {expr}")

    def expand(self, text: str, steps: dict[str, dict[str, str]]) -> str:
        return _EXPR.sub(lambda m: str(self.value(m.group(1), steps)), text)

    def condition(self, cond: Any, steps: dict[str, dict[str, str]]) -> bool:
        if cond is None:
            return True
        return bool(self.value(_EXPR.sub(lambda m: m.group(1), str(cond)).strip(), steps))


def run_workflow(tmp: Path, emu: Emulator, world: dict[str, Any], sha: str) -> Run:
    wf = yaml.safe_load(WORKFLOW.read_text())
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    run = Run(wf, sha)
    path = gcloud_on_path(tmp)
    base_env = {**gate_env(emu, world), "PATH": path, **run.env}
    for name, job in wf["jobs"].items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        # GitHub ANDs success() of the needed jobs unless the condition names a status function.
        implicit = not re.search(r"\b(always|success|failure|cancelled)\(\)", str(job.get("if", "")))
        upstream_ok = all(run.needs[n]["result"] == "success" for n in needs)
        if (implicit and not upstream_ok) or not run.condition(job.get("if"), {}):
            run.needs[name] = {"result": "skipped", "outputs": {}}
            continue
        steps: dict[str, dict[str, str]] = {}
        failed = False
        for step in job["steps"]:
            if failed and "always()" not in str(step.get("if", "")):
                continue
            if not run.condition(step.get("if"), steps):
                continue
            uses = str(step.get("uses", ""))
            env = {**base_env, **{k: run.expand(str(v), steps) for k, v in step.get("env", {}).items()}}
            if uses.startswith(SKIPPED_USES):
                continue
            if uses.startswith("netrasystems/gate@"):
                code, outputs = _gate_step(tmp, action, step, run, steps, env)
            else:
                assert not uses, f"unknown action {uses}"
                r = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True)
                code, outputs = r.returncode, {}
                with (tmp / f"{name}-steps.log").open("a") as fh:
                    fh.write(r.stdout + r.stderr)
            if step.get("id"):
                steps[step["id"]] = outputs
            failed = failed or code != 0
        outs = {k: run.expand(str(v), steps) for k, v in job.get("outputs", {}).items()}
        run.needs[name] = {"result": "failure" if failed else "success", "outputs": outs}
    return run


def _gate_step(
    tmp: Path, action: dict[str, Any], step: dict[str, Any], run: Run, steps: Any, env: dict[str, str]
) -> tuple[int, dict[str, str]]:
    inputs = {n: str(spec.get("default", "")) for n, spec in action["inputs"].items()}
    inputs.update({k: run.expand(str(v), steps) for k, v in step.get("with", {}).items()})
    out, summary = tmp / "output.txt", tmp / "summary.md"
    out.write_text("")
    env = {
        **env,
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(ROOT),
        "RUNNER_TEMP": str(tmp / "runner"),
        **{"INPUT_" + k.upper().replace("-", "_"): v for k, v in inputs.items()},
    }
    r = subprocess.run(
        [sys.executable, "-m", "gate.action"], env=env, capture_output=True, text=True, timeout=180
    )
    (tmp / "gate.log").write_text(r.stdout + r.stderr)
    return r.returncode, parse_github_output(out.read_text())


@pytest.fixture
def emu_world() -> Any:
    data = flow_world("s12-healthy")
    emu = Emulator(parse_world(yaml.safe_dump(data))).start()
    yield emu, data
    emu.stop()


def test_healthy_candidate_goes_through_every_job_and_is_promoted(tmp_path: Path, emu_world: Any) -> None:
    emu, data = emu_world
    run = run_workflow(tmp_path, emu, data, sha="healthy")
    log = (tmp_path / "gate.log").read_text()
    assert {n: j["result"] for n, j in run.needs.items()} == {
        "deploy": "success",
        "gate": "success",
        "promote": "success",
        "gate-verdict": "success",
    }, log
    assert run.needs["gate"]["outputs"] == {"verdict": "PASS", "exit-code": "0"}
    svc = service_json(emu)
    candidate = svc["latestCreatedRevision"].rsplit("/", 1)[-1]
    assert spec(svc) == [(candidate, 100, ""), (SERVING, 0, "stable"), (candidate, 0, "candidate")]
    report = json.loads(next((tmp_path / "runner" / "gate-report").glob("gate-report.json")).read_text())
    assert report["deployTarget"]["tag"] == "candidate"
    assert {c["evidence"].get("revision") for c in report["checks"] if c["id"].startswith(SERVICE)} >= {
        candidate
    }


def test_broken_candidate_stops_at_the_gate_and_the_required_check_fails(
    tmp_path: Path, emu_world: Any
) -> None:
    emu, data = emu_world
    run = run_workflow(tmp_path, emu, data, sha="s9")
    results = {n: j["result"] for n, j in run.needs.items()}
    assert results == {
        "deploy": "success",
        "gate": "failure",
        "promote": "skipped",
        "gate-verdict": "failure",
    }
    assert run.needs["gate"]["outputs"] == {"verdict": "FAIL", "exit-code": "1"}
    assert "::error::FAIL: a blocking check failed" in (tmp_path / "gate-steps.log").read_text()
    svc = service_json(emu)
    candidate = svc["latestCreatedRevision"].rsplit("/", 1)[-1]
    # As the deploy left it: the old revision serves, the candidate only has its tag.
    assert spec(svc) == [(SERVING, 100, ""), (SERVING, 0, "stable"), (candidate, 0, "candidate")]
    assert len([r for r in emu.requests if r.api == "run" and r.method == "PATCH"]) == 1  # the deploy's
