"""Policy unit tests (``gate test``): run a policy against worlds and compare with expectations.

Like ``conftest verify``: a test file names a policy and, per case, a world and
what the gate must conclude there (verdict, exit code, per-check status and
summary text). Each case runs against its own in-process emulator, so a suite
needs no network and no credentials. See docs/PIPELINE.md for the format.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate import durations
from gate.errors import Diagnostic, InputError
from gate.model import Report, SourceRef, Status
from gate.policy import yamlsafe

BUNDLED_WORLDS = Path(__file__).resolve().parent.parent / "emulator" / "worlds"
KIND = "PolicyTest"
STATUSES = [s.value for s in Status]
VERDICTS = ["PASS", "FAIL", "INCONCLUSIVE", "INTERRUPTED"]

_SCALAR = {"type": ["string", "number", "boolean"]}
_VARS = {"type": "object", "additionalProperties": _SCALAR}
# `id: FAIL` is shorthand for `id: {status: FAIL}`. if/then/else rather than
# oneOf, so a mistake is reported as the one rule it broke.
_CHECK = {
    "type": ["string", "object"],
    "if": {"type": "string"},
    "then": {"enum": STATUSES},
    "else": {
        "additionalProperties": False,
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": STATUSES},
            "summary_contains": {"type": "string", "minLength": 1},
        },
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "policy", "cases"],
    "properties": {
        "apiVersion": {"const": "gate/v1"},
        "kind": {"const": KIND},
        "description": {"type": "string"},
        "policy": {"type": "string", "minLength": 1},
        "vars": _VARS,
        "deadline": {"type": "string", "minLength": 1},
        "cases": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["world", "expect"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "world": {"type": "string", "minLength": 1},
                    "policy": {"type": "string", "minLength": 1},
                    "vars": _VARS,
                    "expect": {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "properties": {
                            "verdict": {"type": "string", "enum": VERDICTS},
                            "exit_code": {"type": "integer", "enum": [0, 1, 3, 130, 143]},
                            "checks": {"type": "object", "minProperties": 1, "additionalProperties": _CHECK},
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Expect:
    what: str  # "verdict", "exit_code", "<check id>.status", "<check id>.summary"
    expected: str
    source: SourceRef
    path: str = ""  # key path in the test file, for diagnostics


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    source: SourceRef
    policy: Path
    world: Path
    vars: Mapping[str, str]
    deadline: float
    expects: tuple[Expect, ...]


@dataclass(frozen=True)
class Outcome:
    case: Case
    expect: Expect
    got: str
    ok: bool

    def line(self) -> str:
        word = "ok    " if self.ok else "FAILED"
        where = f"{self.expect.source.file}:{self.expect.source.line}"
        text = f"{word} {where} {self.case.name}: {self.expect.what}"
        if self.expect.what.endswith(".summary"):
            shown = f"contains {self.expect.expected!r}"
        else:
            shown = f"= {self.expect.expected}"
        if self.ok:
            return f"{text} {shown}"
        return f"{text}: expected {shown[2:] if shown.startswith('= ') else shown}, got {self.got}"


def bundled_world_names() -> list[str]:
    return sorted(p.stem for p in BUNDLED_WORLDS.glob("*.yaml"))


def find_world(name: str, base: Path) -> Path | None:
    """A world file: a path relative to ``base``, else a bundled world's name (``s1-worker-boot-failure``)."""
    path = Path(name)
    candidate = path if path.is_absolute() else base / path
    if candidate.is_file():
        return candidate
    if "/" not in name and os.sep not in name:
        bundled = BUNDLED_WORLDS / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
        if bundled.is_file():
            return bundled
    return None


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Test files: each file given, and every *.yaml/*.yml under each directory given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file()))
        else:
            out.append(p)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load(path: str | Path) -> list[Case]:
    """Parse and validate one test file; raises InputError (file:line:col) for every problem."""
    from gate.policy.schema import schema_problems

    doc = yamlsafe.load(path)
    diags = [
        Diagnostic(doc.ref(p, key=is_key), yamlsafe.format_path(p), msg)
        for p, is_key, msg in schema_problems(SCHEMA, doc.data, doc.raw)
    ]
    if diags:
        raise InputError(sorted(diags, key=lambda d: (d.source.line, d.source.col) if d.source else (0, 0)))
    data, base = doc.data, Path(path).resolve().parent
    deadline = 120.0
    if "deadline" in data:
        try:
            deadline = durations.parse(data["deadline"])
        except ValueError as e:
            diags.append(Diagnostic(doc.ref(("deadline",)), "deadline", str(e)))
    cases: list[Case] = []
    for i, raw in enumerate(data["cases"]):
        at: tuple[str | int, ...] = ("cases", i)
        world = find_world(raw["world"], base)
        if world is None:
            known = ", ".join(bundled_world_names())
            diags.append(
                Diagnostic(
                    doc.ref((*at, "world")),
                    yamlsafe.format_path((*at, "world")),
                    f"no world {raw['world']!r} (relative to {base}, or a bundled world: {known})",
                )
            )
            continue
        policy_key = (*at, "policy") if "policy" in raw else ("policy",)
        policy = base / str(raw.get("policy", data["policy"]))
        if not policy.is_file():
            diags.append(
                Diagnostic(doc.ref(policy_key), yamlsafe.format_path(policy_key), f"no policy file {policy}")
            )
            continue
        expects = _expects(doc, raw["expect"], (*at, "expect"))
        cases.append(
            Case(
                name=str(raw.get("name") or world.stem),
                file=doc.file,
                source=doc.ref(at),
                policy=policy,
                world=world,
                vars={k: _text(v) for k, v in {**data.get("vars", {}), **raw.get("vars", {})}.items()},
                deadline=deadline,
                expects=expects,
            )
        )
    if diags:
        raise InputError(diags)
    return cases


def _expects(
    doc: yamlsafe.Document, expect: Mapping[str, Any], at: tuple[str | int, ...]
) -> tuple[Expect, ...]:
    out = []
    for key in ("verdict", "exit_code"):
        if key in expect:
            out.append(Expect(key, str(expect[key]), doc.ref((*at, key))))
    for check_id, spec in (expect.get("checks") or {}).items():
        where = (*at, "checks", check_id)
        status = spec if isinstance(spec, str) else spec["status"]
        out.append(
            Expect(f"{check_id}.status", status, doc.ref(where, key=True), yamlsafe.format_path(where))
        )
        if isinstance(spec, Mapping) and "summary_contains" in spec:
            out.append(
                Expect(f"{check_id}.summary", spec["summary_contains"], doc.ref((*where, "summary_contains")))
            )
    return tuple(out)


def prepare(case: Case) -> Any:
    """Load the case's policy (with its vars) and refuse expectations about unknown check ids."""
    from gate.policy.loader import load_policy
    from gate.policy.schema import suggest

    policy = load_policy(case.policy, vars=case.vars)
    ids = [c.id for c in policy.checks]
    diags = []
    for e in case.expects:
        check_id = e.what.rsplit(".", 1)[0] if "." in e.what else ""
        if check_id and check_id not in ids:
            msg = f"policy {case.policy.name} has no check {check_id!r}{suggest(check_id, ids)}"
            diags.append(Diagnostic(e.source, e.path or f"expect.checks.{check_id}", msg))
    if diags:
        raise InputError(diags)
    return policy


def judge(case: Case, report: Report) -> list[Outcome]:
    out = []
    for e in case.expects:
        if e.what == "verdict":
            got = report.verdict.value
            ok = got == e.expected
        elif e.what == "exit_code":
            got = str(report.exit_code)
            ok = got == e.expected
        else:
            check_id, _, field = e.what.rpartition(".")
            result = report.result(check_id)
            if field == "status":
                got = result.status.value
                ok = got == e.expected
                if not ok:
                    got += f" ({result.summary.splitlines()[0] if result.summary else 'no summary'})"
            else:
                got = repr(result.summary)
                ok = e.expected in result.summary
        out.append(Outcome(case, e, got, ok))
    return out


def _hermetic_env() -> dict[str, str]:
    # A case's world is the whole truth: no emulator or resolver from the caller's shell.
    return {k: v for k, v in os.environ.items() if k not in ("GATE_EMULATOR_HOST", "GATE_RESOLVE")}


def run_case(case: Case, policy: Any) -> list[Outcome]:
    from gate.api import run

    # No fail-fast: every check runs to its own end, so each expected status is
    # deterministic rather than CANCELLED by whichever failure came first.
    report = run(policy, world=case.world, deadline=case.deadline, fail_fast=False, env=_hermetic_env())
    return judge(case, report)


def run_all(cases: list[Case], jobs: int = 4) -> list[Outcome]:
    """Validate every case first (exit 2 before anything runs), then run them ``jobs`` at a time."""
    diags: list[Diagnostic] = []
    policies = []
    for case in cases:
        try:
            policies.append(prepare(case))
        except InputError as e:
            diags.extend(e.diagnostics)
    if diags:
        raise InputError(diags)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="gate-test") as pool:
        results = list(pool.map(run_case, cases, policies))
    return [o for outcomes in results for o in outcomes]
