"""The action's script run as GitHub runs it: a subprocess with GitHub's files and INPUT_* env."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.errors import UsageError
from tests.pipeline.conftest import ROOT, WORLDS, candidate_world_data, clean_env

ACTION = ROOT / "action.yml"


def parse_github_output(text: str) -> dict[str, str]:
    """GitHub's $GITHUB_OUTPUT format: `name=value` lines and `name<<DELIM ... DELIM` blocks."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delim = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delim:
                    break
                body.append(inner)
            else:
                raise AssertionError(f"unterminated output {name}")
            out[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
    return out


class ActionRun:
    def __init__(self, proc: subprocess.CompletedProcess[str], tmp: Path) -> None:
        self.proc = proc
        self.code = proc.returncode
        self.stdout, self.stderr = proc.stdout, proc.stderr
        self.outputs = parse_github_output((tmp / "output.txt").read_text())
        self.summary = (tmp / "summary.md").read_text()


def run_action(tmp: Path, **inputs: str) -> ActionRun:
    workspace = tmp / "ws"
    workspace.mkdir(exist_ok=True)
    (workspace / "policy.yaml").write_text(POLICY)
    (tmp / "output.txt").write_text("")
    (tmp / "summary.md").write_text("")
    env = clean_env(
        {
            "GITHUB_OUTPUT": str(tmp / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
            "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_TEMP": str(tmp / "runner-temp"),
        }
    )
    for name, value in {"policy": "policy.yaml", **inputs}.items():
        env["INPUT_" + name.upper().replace("-", "_")] = value
    proc = subprocess.run(
        [sys.executable, "-m", "gate.action"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=tmp,
    )
    return ActionRun(proc, tmp)


POLICY = """\
apiVersion: gate/v1
project: netra-staging
region: us-central1
vars:
  health_path: /health
checks:
  - id: backend-revision
    type: run.revision
    timeout: 5s
    with: {service: netra-backend-staging}
  - id: backend-health
    type: http.health
    timeout: 5s
    needs: [backend-revision]  # keeps failing worlds fast: no wait on a dead /health
    with:
      url: https://netra-backend-staging-pnovr5vsba-uc.a.run.app${health_path}
      expect:
        json: ['status == "healthy"']
"""


def test_healthy_world_passes_and_sets_outputs(tmp_path: Path) -> None:
    r = run_action(
        tmp_path, world="s12-healthy", vars="# comment\nhealth_path=/health\n", region="us-central1"
    )
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["verdict"] == "PASS" and r.outputs["exit-code"] == "0"
    assert r.outputs["promoted"] == "false" and r.outputs["promotion"] == ""
    report = json.loads(Path(r.outputs["report-path"]).read_text())
    assert report["verdict"] == "PASS" and [c["status"] for c in report["checks"]] == ["PASS", "PASS"]
    assert Path(r.outputs["junit-path"]).read_text().startswith("<?xml")
    assert r.summary.startswith("## gate: PASS")
    assert "::notice title=gate verdict::PASS for netra-staging" in r.stdout
    assert "::error" not in r.stdout
    assert "PASS       backend-revision" in r.stdout  # the text format in the log (default `formats`)


def test_incident_world_blocks_with_annotations(tmp_path: Path) -> None:
    r = run_action(tmp_path, world=str(WORLDS / "s1-worker-boot-failure.yaml"), formats="markdown")
    assert r.code == 1, r.stdout + r.stderr
    assert r.outputs["verdict"] == "FAIL" and r.outputs["exit-code"] == "1"
    # At the check's line in the policy, so GitHub shows it on the file.
    annotation = r"^::error file=[^,]+\.yaml,line=\d+,title=gate backend-revision::FAIL: "
    assert re.search(annotation, r.stdout, re.M)
    assert "## gate: FAIL" in r.summary and "backend-revision" in r.summary
    assert json.loads(Path(r.outputs["report-path"]).read_text())["exitCode"] == 1


def test_permission_denied_is_inconclusive_and_fails_the_step(tmp_path: Path) -> None:
    data: dict[str, Any] = yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text())
    data["faults"] = [{"api": "run", "status": 403}]
    world = tmp_path / "ws" / "forbidden.yaml"
    world.parent.mkdir()
    world.write_text(yaml.safe_dump(data, sort_keys=False))
    r = run_action(tmp_path, world="forbidden.yaml")
    assert r.code == 3, r.stdout + r.stderr
    assert r.outputs["verdict"] == "INCONCLUSIVE" and r.outputs["exit-code"] == "3"
    assert "run.services.get" in r.stdout  # the annotation names the missing permission
    assert "## gate: INCONCLUSIVE" in r.summary


def test_invalid_policy_annotates_the_position_and_exits_2(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "bad.yaml").write_text(POLICY.replace("timeout: 5s", "timeout: five", 1))
    r = run_action(tmp_path, policy="bad.yaml", world="s12-healthy")
    assert r.code == 2
    assert r.outputs["verdict"] == "INVALID" and r.outputs["report-path"] == ""
    assert re.search(r"^::error title=gate%3A invalid input,file=.*bad.yaml,line=9,col=14::", r.stdout, re.M)
    assert "## gate: INVALID" in r.summary and "bad.yaml:9:14" in r.summary


def test_region_mismatch_stops_before_running(tmp_path: Path) -> None:
    r = run_action(tmp_path, world="s12-healthy", region="europe-west1")
    assert r.code == 2
    assert "gates region 'us-central1' but the action's region input is 'europe-west1'" in r.stdout
    assert r.outputs["verdict"] == "INVALID"


def test_malformed_vars_never_echo_the_value(tmp_path: Path) -> None:
    r = run_action(tmp_path, world="s12-healthy", vars="hunter2-not-a-pair")
    assert r.code == 2 and "vars line 1: expected NAME=VALUE" in r.stdout
    assert "hunter2" not in r.stdout + r.stderr + r.summary


def test_promote_on_a_dry_run_moves_traffic_in_the_emulated_project(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "candidate.yaml").write_text(yaml.safe_dump(candidate_world_data(), sort_keys=False))
    r = run_action(
        tmp_path, world="candidate.yaml", promote="netra-backend-staging", **{"promote-tag": "candidate"}
    )
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["promotion"] == "promoted" and r.outputs["promoted"] == "true"


@pytest.mark.parametrize("value", ["line one\nline two", "a<<b\nghadelimiter_x\n"])
def test_outputs_are_multiline_safe(tmp_path: Path, value: str) -> None:
    from gate.action.outputs import set_outputs

    path = tmp_path / "out"
    set_outputs(str(path), {"one": value, "two": "x"})
    assert parse_github_output(path.read_text()) == {"one": value, "two": "x"}


def test_action_yml_passes_every_input_and_exposes_every_output() -> None:
    action = yaml.safe_load(ACTION.read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "gate")
    passed = {k for k in step["env"] if k.startswith("INPUT_")}
    setup_only = {"python-version", "gate-version"}
    assert passed == {"INPUT_" + n.upper().replace("-", "_") for n in action["inputs"]} - {
        "INPUT_" + n.upper().replace("-", "_") for n in setup_only
    }
    from gate.action.main import _outputs

    assert set(action["outputs"]) == set(_outputs("PASS", 0, "", "", ""))
    for name, spec in action["outputs"].items():
        assert spec["value"] == "${{ steps.gate.outputs." + name + " }}"


def test_rollback_on_a_dry_run_moves_traffic_back_and_says_so(tmp_path: Path) -> None:
    r = run_action(
        tmp_path,
        world=str(WORLDS / "s1-worker-boot-failure.yaml"),
        service="netra-backend-staging",
        **{"rollback-on-fail": "true"},
    )
    assert r.code == 1, r.stdout + r.stderr
    assert r.outputs["rollback"] == "rolled-back" and r.outputs["rolled-back"] == "true"
    assert r.outputs["promotion"] == "" and r.outputs["promoted"] == "false"
    report = json.loads(Path(r.outputs["report-path"]).read_text())
    assert report["traffic"]["revision"] == "netra-backend-staging-00043-s1x"
    assert [e["revision"] for e in report["traffic"]["after"] if e["percent"]] == [
        "netra-backend-staging-00042-xq7"
    ]


def test_target_and_rollback_inputs_become_gate_check_flags(tmp_path: Path) -> None:
    from gate.action.inputs import read_inputs
    from gate.action.main import check_argv

    env = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "INPUT_POLICY": "p.yaml",
        "INPUT_TAG": "candidate",
        "INPUT_SERVICE": "netra-backend-staging",
        "INPUT_PROMOTE": "netra-backend-staging",
        "INPUT_ROLLBACK_ON_FAIL": "true",
        "INPUT_ROLLBACK_ON_INCONCLUSIVE": "false",
    }
    argv = check_argv(read_inputs(env), tmp_path / "r.json", tmp_path / "j.xml")
    joined = " ".join(argv)
    assert (
        "--tag candidate --service netra-backend-staging --promote netra-backend-staging --rollback-on-fail"
        in joined
    )
    assert "--rollback-on-inconclusive" not in joined
    assert "--tag candidate" in " ".join(
        check_argv(
            read_inputs({**env, "INPUT_TAG": "", "INPUT_PROMOTE_TAG": "candidate"}),
            tmp_path / "r",
            tmp_path / "j",
        )
    )


def test_a_non_boolean_flag_input_is_invalid(tmp_path: Path) -> None:
    r = run_action(tmp_path, world="s12-healthy", **{"rollback-on-fail": "maybe"})
    assert r.code == 2 and "`rollback-on-fail` input expects true or false" in r.stdout


ROLLOUT = ROOT / "examples" / "rollout"


def test_rollout_mode_on_a_dry_run_rolls_back_and_says_so(tmp_path: Path) -> None:
    r = run_action(
        tmp_path,
        mode="rollout",
        policy=str(ROLLOUT / "policy.yaml"),
        world=str(ROLLOUT / "canary-5xx-at-25.yaml"),
        pause="0s",
    )
    assert r.code == 1, r.stdout + r.stderr
    assert r.outputs["verdict"] == "FAIL"
    assert r.outputs["rollout"] == "rolled-back" and r.outputs["rollout-share"] == "0"
    assert r.outputs["rollback"] == "rolled-back" and r.outputs["rolled-back"] == "true"
    assert "::error" in r.stdout and "netra-backend-staging-canary-errors" in r.stdout
    assert "### Rollout" in r.summary and "| 2/4 | 25% |" in r.summary
    report = json.loads(Path(r.outputs["report-path"]).read_text())
    assert [s["percent"] for s in report["rollout"]["steps"]] == [0, 5, 25]


def test_rollout_mode_reaches_100_on_a_healthy_candidate(tmp_path: Path) -> None:
    r = run_action(
        tmp_path,
        mode="rollout",
        policy=str(ROLLOUT / "policy.yaml"),
        world=str(ROLLOUT / "canary-healthy.yaml"),
        pause="0s",
        steps="10,100",
    )
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["rollout"] == "completed" and r.outputs["rollout-share"] == "100"
    assert r.outputs["rolled-back"] == "false"


def test_rollout_inputs_become_gate_rollout_flags_and_contradictions_are_refused(tmp_path: Path) -> None:
    from gate.action.inputs import read_inputs
    from gate.action.main import check_argv

    env = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "INPUT_POLICY": "p.yaml",
        "INPUT_MODE": "rollout",
        "INPUT_TAG": "candidate",
        "INPUT_SERVICE": "netra-backend-staging",
        "INPUT_STEPS": "5,25,100",
        "INPUT_PAUSE": "5m",
        "INPUT_ON_INCONCLUSIVE": "hold",
    }
    argv = check_argv(read_inputs(env), tmp_path / "r.json", tmp_path / "j.xml")
    assert argv[3] == "rollout"
    joined = " ".join(argv)
    assert (
        "--service netra-backend-staging --tag candidate --steps 5,25,100 --pause 5m --on-inconclusive hold"
        in joined
    )
    assert "--promote" not in joined and "--no-progress" not in joined
    for extra, words in (
        ({"INPUT_PROMOTE": "netra-backend-staging"}, "drop the `promote`"),
        ({"INPUT_ROLLBACK_ON_FAIL": "true"}, "always rolls back on FAIL"),
        ({"INPUT_ON_INCONCLUSIVE": "wait"}, "expects rollback, hold or continue"),
        ({"INPUT_MODE": "canary"}, "expects check or rollout"),
        ({"INPUT_MODE": "check"}, "for mode rollout only"),
    ):
        with pytest.raises(UsageError, match=re.escape(words)):
            read_inputs({**env, **extra})
