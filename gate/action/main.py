"""Run ``gate check`` (``gate rollout`` in mode rollout) for the action; its results as step outputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from gate.action.inputs import Inputs, read_inputs
from gate.action.outputs import append_summary, set_outputs
from gate.errors import GateError, UsageError
from gate.model import ExitCode
from gate.report.github import command

# `file:line:col: message` as the loader reports every invalid-input problem.
_DIAGNOSTIC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")
_PROMOTION = re.compile(r"^promote \S+: (?P<action>[a-z-]+): ")
INVALID = "INVALID"  # no verdict: the policy, a flag or an input is wrong (exit 2)


def check_argv(inputs: Inputs, json_path: Path, junit_path: Path) -> list[str]:
    if inputs.mode == "rollout":
        return rollout_argv(inputs, json_path, junit_path)
    argv = [sys.executable, "-m", "gate", "check"]
    if inputs.policy:
        argv += ["--policy", inputs.policy]
    if inputs.project:
        argv += ["--project", inputs.project]
    for pair in inputs.vars:
        argv += ["--var", pair]
    argv += ["--deadline", inputs.deadline, "--no-progress", "--no-color"]
    if inputs.world:
        argv += ["--world", inputs.world]
    # github to stdout: annotations in the log and, as a side effect of that
    # format, the Markdown summary appended to $GITHUB_STEP_SUMMARY.
    for fmt in (*inputs.formats, "github"):
        argv += ["--format", fmt]
    argv += ["--output", f"json={json_path}", "--output", f"junit={junit_path}"]
    if inputs.tag:
        argv += ["--tag", inputs.tag]
    if inputs.revision:
        argv += ["--revision", inputs.revision]
    if inputs.service:
        argv += ["--service", inputs.service]
    if inputs.promote:
        argv += ["--promote", inputs.promote]
    if inputs.rollback_on_fail:
        argv += ["--rollback-on-fail"]
    if inputs.rollback_on_inconclusive:
        argv += ["--rollback-on-inconclusive"]
    return argv


def rollout_argv(inputs: Inputs, json_path: Path, junit_path: Path) -> list[str]:
    """``gate rollout`` for mode rollout: the same reports and annotations as ``gate check``."""
    argv = [sys.executable, "-m", "gate", "rollout"]
    if inputs.policy:
        argv += ["--policy", inputs.policy]
    if inputs.project:
        argv += ["--project", inputs.project]
    for pair in inputs.vars:
        argv += ["--var", pair]
    argv += ["--deadline", inputs.deadline, "--no-color"]
    if inputs.world:
        argv += ["--world", inputs.world]
    for fmt in (*inputs.formats, "github"):
        argv += ["--format", fmt]
    argv += ["--output", f"json={json_path}", "--output", f"junit={junit_path}"]
    for flag, value in (
        ("--service", inputs.service),
        ("--tag", inputs.tag),
        ("--steps", inputs.steps),
        ("--pause", inputs.pause),
        ("--on-inconclusive", inputs.on_inconclusive),
    ):
        if value:
            argv += [flag, value]
    return argv


def guard_region(inputs: Inputs, workspace: Path) -> None:
    """The policy names its region; a different `region` input means the wrong policy was picked."""
    if not inputs.region:
        return
    from gate.policy.loader import find_policy, load_policy

    try:
        path = Path(inputs.policy) if inputs.policy else find_policy(inputs.project, cwd=workspace)
        policy = load_policy(
            path, vars=dict(p.split("=", 1) for p in inputs.vars), project=inputs.project or None
        )
    except GateError:
        return  # `gate check` reports an invalid policy itself, with positions
    if policy.region != inputs.region:
        raise UsageError(
            f"the policy {path} gates region {policy.region!r} but the action's region input is "
            f"{inputs.region!r}: use the policy for that region"
        )


def _annotate_invalid(stderr: str) -> list[str]:
    lines = []
    for raw in stderr.splitlines():
        m = _DIAGNOSTIC.match(raw)
        if m:
            # An expiring waiver is a warning printed beside the errors; it stays one.
            warning = m["message"].startswith("warning: ")
            lines.append(
                command(
                    "warning" if warning else "error",
                    m["message"].removeprefix("warning: "),
                    title="gate: waiver expires soon" if warning else "gate: invalid input",
                    file=m["file"],
                    line=m["line"],
                    col=m["col"],
                )
            )
    if not lines and stderr.strip():
        lines.append(command("error", stderr.strip()[:4000], title="gate: invalid input"))
    return lines


def _invalid_summary(stderr: str) -> str:
    body = stderr.strip() or "(no message)"
    fence = "```"
    while fence in body:
        fence += "`"
    return (
        f"## gate: {INVALID}\n\nexit code 2: invalid policy, input or usage; nothing was run.\n\n"
        f"{fence}text\n{body}\n{fence}\n"
    )


def _verdict(json_path: Path, code: int) -> str:
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8"))
        return str(doc["verdict"])
    except (OSError, ValueError, KeyError, TypeError):
        return INVALID if code == ExitCode.USAGE else "ERROR"


def _rollout(json_path: Path) -> tuple[str, str]:
    """(rollout action, the candidate's share when it ended) from the JSON report's ``rollout``."""
    try:
        r = json.loads(json_path.read_text(encoding="utf-8")).get("rollout") or {}
    except (OSError, ValueError, AttributeError):
        return "", ""
    return str(r.get("action", "")), (str(r["share"]) if "share" in r else "")


def _traffic(json_path: Path) -> tuple[str, str]:
    """(promotion action, rollback action) from the JSON report's optional ``traffic``."""
    try:
        change = json.loads(json_path.read_text(encoding="utf-8")).get("traffic") or {}
    except (OSError, ValueError, AttributeError):
        return "", ""
    kind, action = str(change.get("kind", "")), str(change.get("action", ""))
    return (action, "") if kind == "promote" else ("", action)


def main(env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    outputs_file, summary_file = env.get("GITHUB_OUTPUT"), env.get("GITHUB_STEP_SUMMARY")
    try:
        inputs = read_inputs(env)
        guard_region(inputs, workspace)
    except UsageError as e:
        print(command("error", str(e), title="gate: invalid input"), flush=True)
        append_summary(summary_file, _invalid_summary(str(e)))
        set_outputs(outputs_file, _outputs(INVALID, 2, "", "", ""))
        return int(ExitCode.USAGE)

    inputs.output_dir.mkdir(parents=True, exist_ok=True)
    json_path, junit_path = inputs.output_dir / "gate-report.json", inputs.output_dir / "gate-junit.xml"
    for stale in (json_path, junit_path):
        stale.unlink(missing_ok=True)  # a report from an earlier run must never stand in for this one
    proc = subprocess.run(
        check_argv(inputs, json_path, junit_path),
        cwd=workspace,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=None,  # straight to the log: the annotations
        stderr=subprocess.PIPE,
        text=True,
    )
    sys.stderr.write(proc.stderr)
    sys.stderr.flush()
    code = proc.returncode
    verdict = _verdict(json_path, code)
    if code == ExitCode.USAGE:
        for line in _annotate_invalid(proc.stderr):
            print(line, flush=True)
        append_summary(summary_file, _invalid_summary(proc.stderr))
    promotion, rollback = _traffic(json_path)
    rollout, share = _rollout(json_path)
    if not promotion:  # no report (a crash): what the promote line on stderr said
        promotion = next((m["action"] for m in map(_PROMOTION.match, proc.stderr.splitlines()) if m), "")
    set_outputs(
        outputs_file,
        _outputs(
            verdict,
            code,
            str(json_path) if json_path.is_file() else "",
            str(junit_path) if junit_path.is_file() else "",
            promotion,
            rollback,
            rollout,
            share,
        ),
    )
    # A negative code (killed by a signal) must still fail the step.
    return code if code > 0 else (0 if code == 0 else int(ExitCode.INCONCLUSIVE))


def _outputs(
    verdict: str,
    code: int,
    report: str,
    junit: str,
    promotion: str,
    rollback: str = "",
    rollout: str = "",
    share: str = "",
) -> dict[str, str]:
    return {
        "verdict": verdict,
        "exit-code": str(code),
        "report-path": report,
        "junit-path": junit,
        "promotion": promotion,
        "promoted": "true" if promotion in ("promoted", "already-serving") else "false",
        "rollback": rollback,
        "rolled-back": "true" if rollback == "rolled-back" else "false",
        "rollout": rollout,
        "rollout-share": share,
    }
