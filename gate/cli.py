"""The command line. The only place that prints or exits.

Subcommands live one per module in ``gate.commands`` and are imported only
when invoked, so ``gate --help`` imports no Google client.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

import click

from gate import __version__

# name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "check": "gate.commands.check:command",
    "rollout": "gate.commands.rollout:command",
    "demo": "gate.commands.demo:command",
    "validate": "gate.commands.validate:command",
    "init": "gate.commands.init:command",
    "schema": "gate.commands.schema:command",
    "list-checks": "gate.commands.list_checks:command",
    "explain": "gate.commands.explain:command",
    "emulator": "gate.commands.emulator:command",
    "test": "gate.commands.test:command",
    "snapshot": "gate.commands.snapshot:command",
    "replay": "gate.commands.replay:command",
}

SHORT_HELP: dict[str, str] = {
    "check": "Run a policy and decide: exit 0 pass, 1 fail, 2 bad input, 3 inconclusive.",
    "rollout": "Shift traffic to a tagged candidate step by step, judging each step; roll back on FAIL.",
    "demo": "Run the bundled Netra policy against bundled emulated worlds (no account needed).",
    "validate": "Validate policy and check-library files without running anything.",
    "init": "Write a starter policy from what a project runs now (names only).",
    "schema": "Print the policy JSON Schema (for editors and CI).",
    "list-checks": "List the check types.",
    "explain": "Describe a check type's parameters, with an example.",
    "emulator": "Serve a world file over the Google APIs' REST wire format.",
    "test": "Run policy tests: expected statuses against worlds.",
    "snapshot": "Record a project's resources and revision logs into a world file.",
    "replay": "Recompute the verdict from an evidence bundle, offline.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gate")
def cli() -> None:
    """gate: prove a Google Cloud deploy is ready before it is called successful.

    \b
    Exit codes: 0 pass, 1 a blocking check failed, 2 invalid policy or usage,
    3 inconclusive (a blocking check could not be evaluated), 130/143 interrupted.
    """


def main(argv: list[str] | None = None) -> Any:
    if argv is not None:  # called from Python (tests, scripts): leave the interpreter alone
        return cli.main(args=argv, prog_name="gate")
    try:
        return cli.main(prog_name="gate")
    finally:
        # This process ends here. The interpreter's shutdown would run the cyclic GC
        # over every object the Google client libraries created (their message
        # descriptors: about 0.5 s of exit after Compute's); frozen objects are left to
        # the OS. Output is flushed and atexit handlers run as usual.
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
