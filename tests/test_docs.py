"""Every YAML example in README.md and docs/ is valid for what it shows.

A policy or check library is run through `gate validate`'s own loader; a
fragment (a list of checks, an `include:` block) is validated inside a minimal
policy; a policy test against the policy-test schema; a world (or a fragment of
one, merged into the healthy world) through the emulator's strict world
loader; GitHub workflow snippets and report excerpts are parsed as YAML. A
block whose info string says ``yaml schematic`` shows a shape with ``...`` and
is only parsed.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(yaml|yml)([^\n]*)\n(.*?)^```", re.S | re.M)
WRAP = "apiVersion: gate/v1\nproject: netra-staging\nregion: us-central1\n"
FILLER_CHECK = "checks:\n  - {id: filler, type: run.revision, with: {service: netra-backend-staging}}\n"
WORKFLOW_KEYS = {"permissions", "steps", "jobs", "on", "uses", "if", "runs-on", "needs", "gate-verdict"}
WORLD_KEYS = {
    "run",
    "vpcaccess",
    "redis",
    "sqladmin",
    "compute",
    "secretmanager",
    "logging",
    "networkmanagement",
    "monitoring",
    "endpoints",
    "faults",
    "images",
}


def _examples() -> list[tuple[str, str, str]]:
    out = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text[: m.start()].count("\n") + 1
            out.append((f"{path.relative_to(ROOT)}:{line}", m.group(2).strip(), m.group(3)))
    return out


EXAMPLES = _examples()


# Examples are judged on a fixed date, so a waiver written in the docs (expires: 2025-06-30)
# shows a realistic date and never expires under the test.
EXAMPLES_TODAY = date(2025, 6, 1)


def _validate_policy_text(text: str, tmp_path: Path, name: str = "example.yaml") -> list[str]:
    from gate.policy.loader import validate_file

    policies = tmp_path / "policies"
    policies.mkdir(exist_ok=True)
    path = policies / name
    path.write_text(text, encoding="utf-8")
    return [str(d) for d in validate_file(path, today=EXAMPLES_TODAY)]


def _world_fragment(data: dict[str, Any], tmp_path: Path) -> list[str]:
    from gate.emulator.world import parse_world

    base = (ROOT / "gate" / "emulator" / "worlds" / "s12-healthy.yaml").read_text(encoding="utf-8")
    world = yaml.safe_load(base)
    world.update(data)
    try:
        parse_world(yaml.safe_dump(world, sort_keys=False), "fragment.yaml")
    except InputError as e:
        return [str(d) for d in e.diagnostics]
    return []


def test_there_are_examples_to_check() -> None:
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(("where", "info", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_is_valid(where: str, info: str, body: str, tmp_path: Path) -> None:
    data = yaml.safe_load(body)  # every example is at least YAML
    if "schematic" in info.split():
        return
    if isinstance(data, list) and data and isinstance(data[0], dict) and "id" in data[0]:
        # A list of checks, as a check type's page shows them.
        indented = "".join("  " + line + "\n" for line in body.splitlines())
        problems = _validate_policy_text(WRAP + "checks:\n" + indented, tmp_path)
    elif isinstance(data, list) or not isinstance(data, dict):
        assert isinstance(data, list) and all(isinstance(d, dict) for d in data), where
        assert set().union(*data) & WORKFLOW_KEYS, f"{where}: not a known kind of example"
        return
    elif data.get("kind") == "PolicyTest":
        from gate.pipeline.policytest import SCHEMA
        from gate.policy.schema import schema_problems

        problems = [f"{p}: {m}" for p, _, m in schema_problems(SCHEMA, data)]
    elif data.get("kind") == "World":
        problems = _world_fragment({k: v for k, v in data.items()}, tmp_path)
    elif data.get("apiVersion") == "gate/v1":
        problems = _validate_policy_text(body, tmp_path)
    elif set(data) <= {"include", "checks", "vars", "defaults", "target", "rollout"}:
        # A fragment that shows no checks of its own still needs one to be a valid policy.
        filler = "" if {"include", "checks"} & set(data) else FILLER_CHECK
        problems = _validate_policy_text(WRAP + body + filler, tmp_path)
    elif set(data) <= WORLD_KEYS:
        problems = _world_fragment(data, tmp_path)
    else:
        assert set(data) & WORKFLOW_KEYS or info == "evidence", f"{where}: not a known kind of example"
        return
    assert problems == [], f"{where}: " + "\n".join(problems)


def test_readme_shows_the_real_compact_output_of_a_failing_run() -> None:
    import os
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("What a failing run prints", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE", "NO_COLOR")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "check",
            "--project",
            "netra-staging",
            "--world",
            "s6-redis-unreachable",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 1, run.stderr

    def plain(text: str) -> str:  # times and the start instant differ from run to run
        text = re.sub(r"started \S+Z", "started T", text)
        return re.sub(r"\d+\.\d\ds", "N.NNs", text)

    assert plain(shown) == plain(run.stdout), "README's example is not what gate prints; paste it again"


def test_readme_shows_the_real_output_of_a_rollout() -> None:
    import os
    import shlex
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    part = readme.split("What a rollout prints", 1)[1]
    command = part.split("```sh\n", 1)[1].split("```", 1)[0].strip()
    shown = part.split("```text\n", 1)[1].split("```", 1)[0]
    args = shlex.split(command)
    assert args[:2] == ["gate", "rollout"], command
    env = {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE", "NO_COLOR")}
    run = subprocess.run(
        [sys.executable, "-m", "gate", *args[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 1, run.stderr

    def plain(text: str) -> str:  # the step timings differ from run to run
        return re.sub(r"\d+\.\d\ds", "N.NNs", text)

    assert plain(shown) == plain(run.stdout), "README's rollout is not what gate prints; paste it again"
