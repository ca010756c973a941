"""``gate explain TYPE``: what a check type does, its parameters and an example."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
import yaml

from gate import registry
from gate.commands.common import error_boundary
from gate.errors import UsageError
from gate.policy.schema import suggest


def _type_words(spec: Mapping[str, Any]) -> str:
    if "enum" in spec:
        return "one of " + ", ".join(json.dumps(v) for v in spec["enum"])
    kind = spec.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array" and isinstance(spec.get("items"), Mapping):
        return f"list of {_type_words(spec['items'])}"
    if kind:
        return str(kind)
    for key in ("oneOf", "anyOf"):
        if key in spec:
            return " or ".join(_type_words(s) for s in spec[key] if isinstance(s, Mapping))
    return "any"


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else list(value)


def parameter_rows(schema: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(name, type, required, default, description) for each top-level parameter."""
    required = set(schema.get("required", ()))
    rows = []
    for name, spec in schema.get("properties", {}).items():
        spec = spec if isinstance(spec, Mapping) else {}
        default = json.dumps(spec["default"]) if "default" in spec else ""
        default = default if len(default) <= 40 else default[:37] + "..."
        needed = "yes" if name in required else "no"
        rows.append((name, _type_words(spec), needed, default, str(spec.get("description", ""))))
    return rows


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    cells = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in rows)
    return ["  " + line for line in cells]


@click.command("explain")
@click.argument("type_name", metavar="TYPE")
@error_boundary
def command(type_name: str) -> int:
    """Describe check type TYPE: parameters, defaults and an example."""
    try:
        cls = registry.get(type_name)
    except KeyError:
        hint = suggest(type_name, registry.names())
        raise UsageError(f"unknown check type {json.dumps(type_name)}{hint}; see gate list-checks") from None
    click.echo(f"{cls.name}: {cls.summary}")
    if cls.description:
        click.echo("")
        click.echo(cls.description.strip())
    click.echo("")
    rows = parameter_rows(cls.params_schema)
    if rows:
        click.echo("Parameters (with:):")
        for line in _table([("NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"), *rows]):
            click.echo(line.rstrip())
    else:
        click.echo("Parameters (with:): none")
    if cls.apis:
        click.echo("")
        click.echo("Google APIs: " + ", ".join(cls.apis))
    click.echo("")
    click.echo("Example:")
    # Through JSON first: an example may hold tuples or Mapping types safe_dump refuses.
    plain = json.loads(json.dumps(cls.example, default=_plain))
    example = yaml.safe_dump([plain], sort_keys=False, default_flow_style=False)
    click.echo("\n".join("  " + line for line in example.rstrip().splitlines()))
    return 0
