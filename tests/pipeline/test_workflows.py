"""action.yml and the workflows against SchemaStore's schemas (vendored by check-jsonschema: offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pipeline.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_action_yml_is_a_valid_action() -> None:
    r = check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    assert r.returncode == 0, r.stdout + r.stderr


def test_workflows_are_valid() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "deploy-example.yml"}
    r = check_jsonschema("vendor.github-workflows", *files)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_validator_does_reject_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    step: []\n")
    assert check_jsonschema("vendor.github-workflows", bad).returncode == 1


def load(name: str) -> dict[str, Any]:
    # PyYAML reads the `on:` key as True (YAML 1.1); irrelevant for these checks.
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def test_deploy_example_promotes_only_on_exit_0_and_always_reports() -> None:
    wf = load("deploy-example.yml")
    jobs = wf["jobs"]
    deploy = " ".join(s.get("run", "") for s in jobs["deploy"]["steps"])
    assert "gcloud run deploy" in deploy and "--no-traffic --tag candidate" in deploy
    assert any(s.get("uses", "").startswith("google-github-actions/auth@") for s in jobs["gate"]["steps"])
    assert wf["permissions"]["id-token"] == "write"
    assert jobs["promote"]["if"] == "needs.gate.outputs.exit-code == '0'"
    assert "--to-tags candidate=100" in jobs["promote"]["steps"][-1]["run"]
    verdict = jobs["gate-verdict"]
    assert verdict["if"] == "always()" and "gate" in verdict["needs"]


@pytest.mark.parametrize("name", ["ci.yml", "deploy-example.yml"])
def test_no_expression_is_pasted_into_a_script(name: str) -> None:
    """Inputs and outputs reach scripts through env, never `${{ }}` inside `run:` (injection)."""
    for job in load(name)["jobs"].values():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), step


def test_action_scripts_take_expressions_only_through_env() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
