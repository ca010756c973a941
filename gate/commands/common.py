"""The one error boundary: exceptions to messages and exit codes.

No traceback reaches a user unless ``GATE_DEBUG=1``; an unexpected exception is
exit 3 (inconclusive), never 0.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gate.errors import CredentialsError, InputError, UsageError
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
