"""gate.policy.schema: the editor schema is valid 2020-12 and ties ``with:`` to the type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner

from gate.cli import cli
from gate.policy import yamlsafe
from gate.policy.schema import LIBRARY, POLICY, build_schema, schema_problems, suggest
from tests.typefixtures import test_types  # noqa: F401  (autouse)

REPO = Path(__file__).resolve().parents[2]


def _validator() -> Any:
    schema = build_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _doc(name: str) -> Any:
    return yamlsafe.load(REPO / "tests/policy/files" / name).data


def test_envelopes_are_valid_schemas() -> None:
    jsonschema.Draft202012Validator.check_schema(POLICY)
    jsonschema.Draft202012Validator.check_schema(LIBRARY)


def test_good_files_validate_against_the_editor_schema() -> None:
    v = _validator()
    for name in ("good/basic.yaml", "good/include.yaml", "checks/web.yaml", "good/library-standalone.yaml"):
        assert list(v.iter_errors(_doc(name))) == [], name


def test_with_is_tied_to_the_type() -> None:
    schema = build_schema()
    assert schema["$defs"]["with.test.ping"]["required"] == ["url"]
    assert (
        "test.ping"
        in schema["$defs"]["policy"]["properties"]["checks"]["items"]["properties"]["type"]["enum"]
    )
    doc = _doc("good/basic.yaml")
    doc["checks"][0]["with"] = {"expect": 200}  # url missing for test.ping
    errors = list(_validator().iter_errors(doc))
    assert errors and any(
        "'url' is a required property" in e.message for c in errors for e in c.context or [c]
    )


def test_library_kind_selects_the_library_shape() -> None:
    doc = _doc("checks/web.yaml")
    doc["project"] = "p"
    assert list(_validator().iter_errors(doc))


def test_schema_command_prints_sorted_json() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == build_schema()
    assert result.stdout == json.dumps(build_schema(), indent=2, sort_keys=True) + "\n"


def test_plain_word_messages() -> None:
    raw = {("a",): "no"}
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": ["integer", "null"]}}}
    assert schema_problems(schema, {"a": False, "b": "x"}, raw) == [
        (("a",), False, 'expected a string, got boolean false (quote it: "no")'),
        (("b",), False, 'expected an integer or null, got string "x"'),
    ]


def test_any_of_reports_the_best_branch() -> None:
    schema = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "number", "exclusiveMaximum": 1}]}
    assert schema_problems(schema, 0) == []
    assert schema_problems(schema, "x") == [((), False, 'expected an integer or a number, got string "x"')]
    nested = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^a"}]}
    assert schema_problems(nested, -1) == [((), False, "expected a number >= 1, got number -1")]


def test_suggest() -> None:
    assert suggest("retyr", ["retry", "timeout"]) == ' (did you mean "retry"?)'
    assert suggest("zzz", ["retry"]) == ""
