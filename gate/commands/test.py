"""``gate test``: policy unit tests, every expectation against its world."""

from __future__ import annotations

from pathlib import Path

import click

from gate.commands.common import error_boundary
from gate.errors import InputError, UsageError

DEFAULT_DIR = Path("policies") / "tests"


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--jobs", "-j", default=4, show_default=True, type=click.IntRange(1, 32), help="Cases run at once."
)
@click.option("--quiet", "-q", is_flag=True, help="Print only failed expectations and the summary.")
@error_boundary
def command(paths: tuple[str, ...], jobs: int, quiet: bool) -> int:
    """Run policy tests: each case runs a policy against a world (in-process
    emulator, no credentials) and compares verdict, exit code and per-check
    statuses with its expectations.

    \b
    PATHS are test files or directories (default ./policies/tests).
    Exit codes: 0 every expectation held, 1 some did not, 2 a malformed test file.
    """
    from gate.pipeline import policytest

    targets = list(paths) or [str(DEFAULT_DIR)]
    for t in targets:
        if not Path(t).exists():
            raise UsageError(f"no such test file or directory: {t}")
    files = policytest.discover(targets)
    if not files:
        raise UsageError(f"no test files (*.yaml) under {', '.join(targets)}")
    cases, problems = [], []
    for f in files:
        try:
            cases.extend(policytest.load(f))
        except InputError as e:
            problems.extend(e.diagnostics)
    if problems:
        raise InputError(problems)
    outcomes = policytest.run_all(cases, jobs=jobs)
    failed = [o for o in outcomes if not o.ok]
    for o in outcomes:
        if not quiet or not o.ok:
            click.echo(o.line())
    verdict = "FAILED" if failed else "ok"
    held = len(outcomes) - len(failed)
    click.echo(
        f"{verdict}: {held} of {len(outcomes)} expectations held "
        f"({_plural(len(cases), 'case')} in {_plural(len(files), 'file')})"
    )
    return 1 if failed else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
