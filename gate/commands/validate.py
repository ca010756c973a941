"""``gate validate [PATH...]``: prove policy and check-library files valid, offline."""

from __future__ import annotations

from pathlib import Path

import click

from gate.commands.common import error_boundary
from gate.errors import Diagnostic, InputError
from gate.policy.bundled import bundled_dir
from gate.policy.loader import validate_file

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
    """Validate policy and check-library files (default: ./policies and ./checks).

    Nothing is run and no API is called. Exit 0 when every file is valid, 2 otherwise.
    """
    files, problems = _files(paths or _defaults())
    if not files and not problems:
        where = ", ".join(paths or _defaults()) or "./policies, ./checks"
        problems.append(Diagnostic(None, "", f"no .yaml files to validate in {where}"))
    for f in files:
        problems.extend(validate_file(f))
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    click.echo(f"ok: {len(files)} file{'s' if len(files) != 1 else ''}")
    return 0
