"""``gate list-checks``: the check types and one line on each."""

from __future__ import annotations

import click

from gate import registry
from gate.commands.common import error_boundary


@click.command("list-checks")
@error_boundary
def command() -> int:
    """List the check types a policy can use (see `gate explain TYPE`)."""
    types = registry.all_types()
    if not types:
        click.echo("no check types are available")
        return 0
    width = max(len(t.name) for t in types)
    click.echo(f"{'TYPE'.ljust(width)}  SUMMARY")
    for t in types:
        click.echo(f"{t.name.ljust(width)}  {t.summary}")
    return 0
