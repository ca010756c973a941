"""``gate validate [PATH...]``: prove policy, check-library, policy-test and world
files valid, offline. The file's ``kind:`` says which it is."""

from __future__ import annotations

import re
from pathlib import Path

import click

from gate.commands.common import error_boundary, print_warnings
from gate.errors import Diagnostic, InputError
from gate.policy import yamlsafe
from gate.policy.bundled import bundled_dir
from gate.policy.loader import inspect_file

_SUFFIXES = (".yaml", ".yml")


def _files(paths: tuple[str, ...]) -> tuple[list[str], list[Diagnostic]]:
    files: list[str] = []
    problems: list[Diagnostic] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(c for c in p.iterdir() if c.suffix in _SUFFIXES and c.is_file())
            # Keep the user's spelling: "policies" stays relative in every message.
            files.extend(str(Path(given) / c.name) for c in found)
        elif p.exists():
            files.append(given)
        else:
            problems.append(Diagnostic(None, "", f"{given}: no such file or directory"))
    return files, problems


def _defaults() -> tuple[str, ...]:
    local = tuple(name for name in ("policies", "checks") if Path(name).is_dir())
    if local:
        return local
    return tuple(str(bundled_dir(name)) for name in ("policies", "checks") if bundled_dir(name).is_dir())


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@error_boundary
def command(paths: tuple[str, ...]) -> int:
    """Validate policy, check-library, policy-test and world files (default:
    ./policies and ./checks). Each file's kind: says which it is.

    Nothing is run and no API is called. Exit 0 when every file is valid, 2 otherwise.
    """
    files, problems = _files(paths or _defaults())
    if not files and not problems:
        where = ", ".join(paths or _defaults()) or "./policies, ./checks"
        problems.append(Diagnostic(None, "", f"no .yaml files to validate in {where}"))
    tests: list[str] = []
    warnings: list[Diagnostic] = []
    for f in files:
        kind = _kind(f)
        if kind == "PolicyTest":
            tests.append(f)
            problems.extend(_policy_test(f))
        elif kind == "World":
            problems.extend(_world(f))
        else:
            found, warned = inspect_file(f)
            problems.extend(found)
            warnings.extend(warned)
    # Warnings first and on stderr, so they are seen whatever the outcome; they never change it.
    print_warnings(list(dict.fromkeys(warnings)))
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    note = ""
    if tests:
        noun = "policy test" if len(tests) == 1 else "policy tests"
        note = f" ({len(tests)} {noun}: run with gate test {' '.join(tests)})"
    if warnings:
        note += f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})"
    click.echo(f"ok: {len(files)} file{'s' if len(files) != 1 else ''}{note}")
    return 0


_KIND = re.compile(r"^kind:[ \t]*[\"']?([A-Za-z]+)", re.MULTILINE)


def _kind(path: str) -> str | None:
    """The top-level ``kind:`` read from the text: world files have their own YAML rules
    (anchors and merge keys), so the file is not parsed here."""
    try:
        m = _KIND.search(yamlsafe.read_text(path))
    except InputError:
        return None  # validate_file reports it, with its position
    return m.group(1) if m else None


def _policy_test(path: str) -> list[Diagnostic]:
    """A `gate test` file: its cases, worlds and the policy each names (not run)."""
    from gate.pipeline import policytest

    try:
        for case in policytest.load(path):
            policytest.prepare(case)
    except InputError as e:
        return e.diagnostics
    return []


def _world(path: str) -> list[Diagnostic]:
    from gate.emulator import load_world

    try:
        load_world(path, trust_cache=False)  # validate means check it now, in full
    except InputError as e:
        return e.diagnostics
    return []
