"""Options that several subcommands share, declared once so their names and help agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def policy(f: F) -> F:
    """``--project``/``-p``, ``--policy`` and ``--var`` (the policy to run and its variables)."""
    f = click.option(
        "--var", "var_pairs", multiple=True, metavar="NAME=VALUE", help="Set a policy variable (repeatable)."
    )(f)
    f = click.option(
        "--policy",
        "policy_path",
        type=click.Path(dir_okay=False),
        help="Policy file (default: policies/<project>.yaml).",
    )(f)
    return click.option(
        "--project",
        "-p",
        help="Project id; finds policies/<project>.yaml and overrides the policy's project.",
    )(f)


pool = click.option(
    "--pool", default=64, show_default=True, type=click.IntRange(1, 256), help="Checks attempted at once."
)

resolve = click.option(
    "--resolve",
    multiple=True,
    metavar="ORIGIN=BASE",
    help="Send requests for ORIGIN to BASE (like curl --resolve); also GATE_RESOLVE.",
)


def impersonate(help: str = "Call Google APIs as this service account.") -> Callable[[F], F]:
    return click.option("--impersonate-service-account", "impersonate", metavar="EMAIL", help=help)


def reports(f: F) -> F:
    """``--format``/``-f`` and ``--output``/``-o`` (parsed by ``check.parse_formats``)."""
    f = click.option(
        "--output",
        "-o",
        "outputs",
        multiple=True,
        metavar="FORMAT=PATH",
        help="Write a format to a file instead of stdout.",
    )(f)
    return click.option(
        "--format",
        "-f",
        "formats",
        multiple=True,
        help="text, json, junit, markdown, github (comma-separated or repeated).",
    )(f)


color = click.option(
    "--color/--no-color",
    default=None,
    help="Colour the text report (default: on a terminal, unless NO_COLOR is set).",
)
