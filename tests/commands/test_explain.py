"""`gate explain TYPE`: every parameter described, with its default, within 100 columns."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gate import registry
from gate.cli import cli
from gate.model import CheckSpec

TYPES = [cls.name for cls in registry.all_types()]


@pytest.mark.parametrize("type_name", TYPES)
def test_every_parameter_is_described_within_100_columns(type_name: str) -> None:
    out = CliRunner().invoke(cli, ["explain", type_name])
    assert out.exit_code == 0, out.output
    assert max(len(line) for line in out.output.splitlines()) <= 100
    schema = registry.get(type_name).params_schema
    for name, spec in schema["properties"].items():
        assert spec.get("description"), f"{type_name}: parameter {name} has no description"
        assert f"\n  {name}: " in out.output
        if "default" in spec:
            shown = " ".join(f"default {json.dumps(spec['default'])}".split())
            assert shown in " ".join(out.output.split())


def test_logs_boot_defaults_shown_are_the_ones_it_uses() -> None:
    cls = registry.get("logs.boot")
    props = cls.params_schema["properties"]
    check = cls(CheckSpec("b", "logs.boot", {"service": "s"}))
    assert check.window == 600 and props["window"]["default"] == "10m"  # type: ignore[attr-defined]
    assert check.grace == 60 and props["grace"]["default"] == "60s"  # type: ignore[attr-defined]
    assert check.max_entries == props["max_entries"]["default"]  # type: ignore[attr-defined]
    assert [r.pattern for r in check.require] == props["require"]["default"]  # type: ignore[attr-defined]
    assert props["severity"]["default"] == "ERROR"


def test_unknown_type_suggests_one() -> None:
    out = CliRunner().invoke(cli, ["explain", "logs.bot"])
    assert out.exit_code == 2 and 'did you mean "logs.boot"?' in out.output
