"""The README's "your own project in three commands", run verbatim against an emulated project.

The commands are read from README.md, so the test breaks when they do. The project is
the shipped healthy world renamed to the README's `my-project`, served by the emulator
through GATE_EMULATOR_HOST (and its URLs through GATE_RESOLVE), exactly as a user
would point gate at an emulator.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from gate.emulator import Emulator, parse_world
from tests.starter import ROOT, SHIPPED, clean_env, gate


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own project in three commands", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    lines = [ln.split("#", 1)[0].strip() for ln in block.group(1).splitlines()]
    return [shlex.split(ln) for ln in lines if ln]


def test_the_readme_quick_start_works_verbatim(tmp_path: Path) -> None:
    commands = readme_commands()
    assert [c[:2] for c in commands] == [["gate", "init"], ["gate", "validate"], ["gate", "check"]]
    project = commands[0][commands[0].index("--project") + 1]
    text = (SHIPPED / "s12-healthy.yaml").read_text(encoding="utf-8").replace("netra-staging", project)
    world = parse_world(text, "my-project.yaml")
    with Emulator(world) as emu:
        pairs = " ".join(f"{o}={b}" for o, b in emu.resolver_map.items())
        env = clean_env({"GATE_EMULATOR_HOST": emu.api_host, "GATE_RESOLVE": pairs, **world.env})
        results = [gate(*cmd[1:], cwd=tmp_path, env=env) for cmd in commands]
    for cmd, r in zip(commands, results, strict=True):
        assert r.returncode == 0, (cmd, r.stdout[-3000:], r.stderr[-3000:])
    assert (tmp_path / "policies" / f"{project}.yaml").is_file()
    assert "verdict: PASS" in results[2].stdout
