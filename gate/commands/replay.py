"""``gate replay DIR``: recompute the verdict of an evidence bundle offline and compare."""

from __future__ import annotations

from pathlib import Path

import click

from gate.commands.common import error_boundary
from gate.errors import UsageError


@click.command(name="replay")
@click.argument("bundle", type=click.Path(file_okay=False))
@click.option(
    "--world-out",
    type=click.Path(dir_okay=False),
    help="Also write the rebuilt world (JSON; `gate emulator --world` serves it).",
)
@error_boundary
def command(bundle: str, world_out: str | None) -> int:
    """Rebuild the project from an evidence bundle and re-run its policy, offline.

    \b
    Exit codes: 0 the replay agrees with the recorded statuses and verdict,
    1 it does not, 2 the bundle is missing, malformed or was changed.
    """
    from gate.evidence.bundle_reader import BundleError
    from gate.evidence.replay import replay, table

    try:
        outcome = replay(Path(bundle))
    except BundleError as e:
        raise UsageError(f"malformed evidence bundle: {e}") from None
    if world_out:
        Path(world_out).write_text(outcome.world, encoding="utf-8")
    click.echo(table(outcome), nl=False)
    return 0 if outcome.agree else 1
