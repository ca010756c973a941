"""``gate schema``: the policy JSON Schema, for editors and CI."""

from __future__ import annotations

import json

import click

from gate.commands.common import error_boundary
from gate.policy.schema import build_schema


@click.command("schema")
@error_boundary
def command() -> int:
    """Print the JSON Schema (Draft 2020-12) of policies and check libraries."""
    click.echo(json.dumps(build_schema(), indent=2, sort_keys=True))
    return 0
