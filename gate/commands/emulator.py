"""``gate emulator``: serve a world file in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import shlex
import signal
import threading
from types import FrameType

import click

from gate.commands.common import error_boundary, world_path
from gate.model import ExitCode


@click.command(name="emulator")
@click.option(
    "--world",
    "world_arg",
    required=True,
    metavar="FILE|NAME",
    help="World file (docs/WORLDS.md), or a bundled world's name such as s6-redis-unreachable.",
)
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="API port on 127.0.0.1; 0 picks a free one.",
)
@error_boundary
def command(world_arg: str, port: int) -> int:
    """Serve a world file over the Google APIs' REST wire format on 127.0.0.1.

    Prints the environment to point gate (or any official client) at it (the
    API host, the endpoint map, and the world's own `env:`), then serves until
    interrupted. `gate check` run with those exports gives the same verdict as
    `gate check --world FILE`.
    """
    from gate.emulator import Emulator, load_world

    world_file = world_path(world_arg)
    world = load_world(world_file)
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Emulator(world, port=port) as emu:
            pairs = " ".join(f"{origin}={base}" for origin, base in emu.resolver_map.items())
            click.echo(f"export GATE_EMULATOR_HOST={emu.api_host}")
            click.echo(f"export GATE_RESOLVE='{pairs}'")
            # The world's own environment (e.g. the test token its login accepts): with these,
            # `gate check` against GATE_EMULATOR_HOST sees what `gate check --world` sees.
            for name, value in sorted(world.env.items()):
                click.echo(f"export {name}={shlex.quote(value)}")
            click.echo(f"# serving world {world.name!r} from {world_file}; Ctrl-C to stop", err=True)
            while not stop.wait(0.5):
                pass
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    name = signal.Signals(received[0]).name if received else "stop"
    click.echo(f"# emulator stopped ({name})", err=True)
    return int(ExitCode.PASS)  # a requested stop is how a foreground server ends: success
