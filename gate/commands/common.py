"""What every subcommand shares: the one error boundary (exceptions to
messages and exit codes), colour, bundled world names and output targets.

No traceback reaches a user unless ``GATE_DEBUG=1``; an unexpected exception is
exit 3 (inconclusive), never 0.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

import gate
from gate.errors import CredentialsError, Diagnostic, InputError, UsageError
from gate.model import ExitCode

F = TypeVar("F", bound=Callable[..., Any])


def error_boundary(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            code = fn(*args, **kwargs)
        except InputError as e:
            for d in e.diagnostics:
                click.echo(str(d), err=True)
            n = len(e.diagnostics)
            click.echo(f"{n} error{'s' if n != 1 else ''}; nothing was run.", err=True)
            sys.exit(int(ExitCode.USAGE))
        except (UsageError, CredentialsError) as e:
            click.echo(f"gate: {e}", err=True)
            sys.exit(int(ExitCode.USAGE))
        except KeyboardInterrupt:
            click.echo("gate: interrupted", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))
        except BrokenPipeError:
            # The reader went away (`gate ... | head`): nothing more can be said to it.
            _silence_stdout()
            sys.exit(int(ExitCode.INCONCLUSIVE))
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except SystemExit:
            raise
        except Exception as e:  # the boundary: a bug in gate is never a pass
            if os.environ.get("GATE_DEBUG") == "1":
                traceback.print_exc()
            click.echo(f"gate: internal error: {type(e).__name__}: {e}", err=True)
            sys.exit(int(ExitCode.INCONCLUSIVE))
        sys.exit(int(code or 0))

    return wrapper  # type: ignore[return-value]


def print_warnings(warnings: list[Diagnostic]) -> None:
    """``file:line:col: warning: message`` on stderr, one per line; never an exit code."""
    for d in warnings:
        where = f"{d.source}: " if d.source else ""
        key = f"{d.path}: " if d.path else ""
        click.echo(f"{where}warning: {key}{d.message}", err=True)


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; pointed at devnull that cannot raise.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def use_color(flag: bool | None, stream: TextIO, env: Mapping[str, str] = os.environ) -> bool:
    """--color/--no-color wins; otherwise colour on a terminal unless NO_COLOR is set
    (https://no-color.org: any non-empty value) or TERM is "dumb"."""
    if flag is not None:
        return flag
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def bundled_worlds() -> dict[str, Path]:
    """The incident worlds shipped with gate, by name (``s6-redis-unreachable``)."""
    here = Path(gate.__file__).resolve().parent / "emulator" / "worlds"
    return {p.stem: p for p in sorted(here.glob("*.yaml"))}


def world_path(given: str, option: str = "--world") -> Path:
    """A world file, or the name of a bundled world (with or without ``.yaml``)."""
    path = Path(given)
    if path.is_file():
        return path
    if path.exists():
        raise UsageError(f"{option}: {given} is not a file")
    worlds = bundled_worlds()
    found = worlds.get(given.removesuffix(".yaml").removesuffix(".yml"))
    if found is not None:
        try:  # as short as the user would write it: reports name the world they ran
            return found.relative_to(Path.cwd())
        except ValueError:
            return found
    from gate.policy.schema import suggest

    hint = suggest(given, worlds)
    raise UsageError(
        f"{option}: no world file {given!r} and no bundled world of that name{hint}; "
        f"bundled worlds: {', '.join(worlds)}"
    )


def check_output_path(path: Path, option: str) -> None:
    """Refuse, before anything runs, an output target that cannot be written."""
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a directory; give a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UsageError(f"{option}: {path} is not writable")
        return
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # created on write
    if not parent.is_dir():
        raise UsageError(f"{option}: cannot create {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option}: cannot create {path}: {parent} is not writable")
