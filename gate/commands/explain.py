"""``gate explain TYPE``: what a check type does, its parameters and an example."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from typing import Any

import click
import yaml

from gate import registry
from gate.commands.common import error_boundary
from gate.errors import UsageError
from gate.policy.schema import suggest

WIDTH = 100  # columns: `gate explain` reads well in a terminal and in a CI log


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
        needed = "yes" if name in required else "no"
        rows.append((name, _type_words(spec), needed, default, str(spec.get("description", ""))))
    return rows


def _wrapped(text: str, indent: str, more: str = "") -> list[str]:
    """Paragraphs of ``text`` filled to WIDTH; continuation lines indented by ``more``."""
    out: list[str] = []
    for para in text.strip().split("\n\n"):
        lines = textwrap.wrap(
            " ".join(para.split()),
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + more,
            break_on_hyphens=False,
            break_long_words=False,
        )
        out.extend(line.rstrip() for line in lines or [""])
        out.append("")
    return out[:-1]


def parameter_lines(schema: Mapping[str, Any]) -> list[str]:
    """One block per parameter: name, type, required or its default; its description beneath."""
    out: list[str] = []
    for name, kind, needed, default, description in parameter_rows(schema):
        facts = [kind, "required" if needed == "yes" else f"default {default}" if default else "optional"]
        out.extend(_wrapped(f"{name}: " + "; ".join(facts), "  ", "    "))
        if description:
            out.extend(_wrapped(description, "      "))
    return out


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
    lines = _wrapped(f"{cls.name}: {cls.summary}", "")
    if cls.description:
        lines += ["", *_wrapped(cls.description, "")]
    lines.append("")
    params = parameter_lines(cls.params_schema)
    lines += ["Parameters (with:):", *params] if params else ["Parameters (with:): none"]
    if cls.apis:
        lines += ["", *_wrapped("Google APIs: " + ", ".join(cls.apis), "")]
    lines += ["", "Example:"]
    # Through JSON first: an example may hold tuples or Mapping types safe_dump refuses.
    plain = json.loads(json.dumps(cls.example, default=_plain))
    example = yaml.safe_dump([plain], sort_keys=False, default_flow_style=False, width=WIDTH - 4)
    lines += ["  " + line for line in example.rstrip().splitlines()]
    click.echo("\n".join(lines))
    return 0
