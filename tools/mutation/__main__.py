"""``python -m tools.mutation [TARGET...]``: mutation scores of gate's central pure modules.

Each target is mutated in a scratch copy of the repository and checked against
its own unit tests only (seconds, not the suite's minutes). Two kinds of
mutants are counted:

- mutmut's (3.8: function and method bodies; its trampolines cannot reach
  module-level code), read back with ``mutmut results`` and ``mutmut show``;
- this script's own edits of module-level tables (``targets.EDITS``): regular
  expressions, ranges, defaults, enum values, which mutmut 3 never touches.

score = killed / (mutants - equivalent). Equivalent mutants are listed, each
with why, in ``targets.EQUIVALENT``; a listed one that no longer occurs is
reported so the list cannot rot. Exit 0 when every target meets its goal.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.mutation.targets import EDITS, EQUIVALENT, TARGETS, Equivalent, Target

ROOT = Path(__file__).resolve().parents[2]
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
PYPROJECT = """\
[tool.mutmut]
source_paths = ["gate"]
only_mutate = {files}
pytest_add_cli_args_test_selection = {tests}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]
use_git_change_detection = false

[tool.pytest.ini_options]
markers = ["slow: takes more than a few seconds"]
"""


@dataclass
class Mutant:
    name: str  # mutmut's name, or "edit: <what>"
    function: str  # "Redactor.text", "" for module-level edits
    status: str
    change: list[str] = field(default_factory=list)  # the mutated line(s), stripped
    equivalent: Equivalent | None = None


@dataclass
class Score:
    target: Target
    mutants: list[Mutant]

    def scored(self, functions: Sequence[str] = ()) -> list[Mutant]:
        return [
            m for m in self.mutants if m.equivalent is None and (not functions or m.function in functions)
        ]

    def value(self, functions: Sequence[str] = ()) -> float:
        scored = self.scored(functions)
        return sum(m.status in KILLED for m in scored) / len(scored) if scored else 1.0


def _workspace(target: Target, tmp: Path) -> Path:
    ws = tmp / target.name
    shutil.copytree(ROOT / "gate", ws / "gate", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", ws / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    files = "[" + ", ".join(f'"{f}"' for f in target.files) + "]"
    tests = "[" + ", ".join(f'"{t}"' for t in target.tests) + "]"
    (ws / "pyproject.toml").write_text(PYPROJECT.format(files=files, tests=tests), encoding="utf-8")
    return ws


def _mutmut(ws: Path, *args: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "mutmut", *args], cwd=ws, capture_output=True, text=True, env=_env()
    )
    if r.returncode != 0:
        raise SystemExit(f"mutmut {' '.join(args)} failed in {ws}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return r.stdout


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the scratch copy, not the checkout, must be imported
    return env


def _function(name: str) -> str:
    """``gate.redact.xǁRedactorǁtext__mutmut_3`` -> ``Redactor.text``; ``gate.m.x_f__mutmut_1`` -> ``f``."""
    leaf = re.sub(r"__mutmut_\d+$", "", name.rsplit(".", 1)[-1])
    if leaf.startswith("xǁ"):
        return ".".join(leaf[2:].split("ǁ"))
    return leaf[2:] if leaf.startswith("x_") else leaf


def _changed_lines(diff: str) -> list[str]:
    return [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]


def run_mutmut(target: Target, ws: Path, jobs: int) -> list[Mutant]:
    _mutmut(ws, "run", "--max-children", str(jobs))
    out = []
    for line in _mutmut(ws, "results", "--all", "true").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep:
            continue
        m = Mutant(name, _function(name), status)
        if status not in KILLED:
            m.change = _changed_lines(_mutmut(ws, "show", name))
        out.append(m)
    return out


def run_edits(target: Target, ws: Path) -> list[Mutant]:
    out = []
    for edit in (e for e in EDITS if e.file in target.files):
        path = ws / edit.file
        original = path.read_text(encoding="utf-8")
        if original.count(edit.old) != 1:
            raise SystemExit(f"targets.EDITS {edit.what!r}: {edit.old!r} is not once in {edit.file}")
        path.write_text(original.replace(edit.old, edit.new), encoding="utf-8")
        try:
            r = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *target.tests],
                cwd=ws,
                capture_output=True,
                text=True,
                env=_env(),
            )
        finally:
            path.write_text(original, encoding="utf-8")
        if r.returncode not in (0, 1):  # not a test failure: pytest itself could not run
            raise SystemExit(f"edit {edit.what!r}: pytest exited {r.returncode}:\n{r.stdout[-2000:]}")
        status = "killed" if r.returncode == 1 else "survived"
        out.append(Mutant(f"edit: {edit.what}", edit.function, status, [edit.new.strip()]))
    return out


def _mark_equivalent(target: Target, mutants: list[Mutant]) -> list[Equivalent]:
    """Attach each listed equivalent to the surviving mutant it describes; return those that matched none."""
    listed = [e for e in EQUIVALENT if e.file in target.files]
    used: set[int] = set()
    for m in mutants:
        if m.status in KILLED:
            continue
        for i, e in enumerate(listed):
            if e.function == m.function and e.line in m.change:
                m.equivalent = e
                used.add(i)
                break
    return [e for i, e in enumerate(listed) if i not in used]


def measure(target: Target, tmp: Path, jobs: int) -> tuple[Score, list[Equivalent]]:
    ws = _workspace(target, tmp)
    mutants = run_mutmut(target, ws, jobs) + run_edits(target, ws)
    stale = _mark_equivalent(target, mutants)
    return Score(target, mutants), stale


def report(scores: list[Score], stale: list[Equivalent]) -> bool:
    met = True
    print(f"{'target':<10} {'mutants':>7} {'killed':>6} {'equiv':>5} {'survived':>8} {'score':>7}  goal")
    rows: list[tuple[str, Score, tuple[str, ...], float]] = []
    for sc in scores:
        rows.append((sc.target.name, sc, (), sc.target.goal))
        rows.extend((f"  {name}", sc, functions, goal) for name, functions, goal in sc.target.subsets)
    for label, s, only, goal in rows:
        inside = [m for m in s.mutants if not only or m.function in only]
        equivalent = sum(m.equivalent is not None for m in inside)
        scored = s.scored(only)
        killed = sum(m.status in KILLED for m in scored)
        value = s.value(only)
        ok = value >= goal
        met = met and ok
        print(
            f"{label:<10} {len(inside):>7} {killed:>6} {equivalent:>5} {len(scored) - killed:>8} "
            f"{value:>7.1%}  >= {goal:.0%} {'ok' if ok else 'NOT MET'}"
        )
    for s in scores:
        for m in s.scored():
            if m.status not in KILLED:
                print(f"\n{s.target.name}: {m.status}: {m.name} ({m.function or 'module level'})")
                for line in m.change:
                    print(f"    + {line}")
    for e in stale:
        print(f"\nlisted as equivalent but no such surviving mutant: {e.file} {e.function}: {e.line}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.mutation", description=__doc__.split("\n\n")[0])
    names = [t.name for t in TARGETS]
    ap.add_argument("targets", nargs="*", metavar="TARGET", help=f"any of {', '.join(names)} (default: all)")
    ap.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch copies (printed)")
    args = ap.parse_args(argv)
    unknown = sorted(set(args.targets) - set(names))
    if unknown:
        ap.error(f"unknown target {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = [t for t in TARGETS if not args.targets or t.name in args.targets]
    tmp = Path(tempfile.mkdtemp(prefix="gate-mutation-"))
    try:
        results = [measure(t, tmp, args.jobs) for t in chosen]
        met = report([s for s, _ in results], [e for _, stale in results for e in stale])
    finally:
        if args.keep:
            print(f"\nscratch copies kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
