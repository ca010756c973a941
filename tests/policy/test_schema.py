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
    raw: dict[tuple[str | int, ...], str] = {("a",): "no"}
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


def _shipped() -> list[Path]:
    return sorted([*(REPO / "policies").glob("*.yaml"), *(REPO / "checks").glob("*.yaml")])


def _gate_schema() -> dict[str, Any]:
    """`gate schema` as a user runs it (a fresh process: only the built-in check types)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "gate", "schema"], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: dict[str, Any] = json.loads(out.stdout)
    return loaded


def test_every_shipped_policy_and_library_validates_against_gate_schema() -> None:
    """With a standard validator and a standard YAML reader, as an editor or CI would."""
    import yaml

    schema = _gate_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = _shipped()
    assert len(files) >= 8
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert errors == [], (path.name, errors)


def test_the_schema_file_in_docs_is_what_gate_schema_prints_and_its_id_names_it() -> None:
    shipped = json.loads((REPO / "docs" / "gate-policy.schema.json").read_text(encoding="utf-8"))
    assert shipped == _gate_schema()  # regenerate: gate schema > docs/gate-policy.schema.json
    assert shipped["$id"].endswith("/docs/gate-policy.schema.json")
    for path in _shipped():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        if first.startswith("# yaml-language-server: $schema="):
            target = (path.parent / first.split("=", 1)[1]).resolve()
            assert target == (REPO / "docs" / "gate-policy.schema.json").resolve(), path


def test_variables_inside_patterned_strings_are_accepted_and_typos_are_not() -> None:
    v = _validator()
    doc: dict[str, Any] = {
        "apiVersion": "gate/v1",
        "project": "p",
        "region": "r",
        "endpoints": {"run": "${run_endpoint}"},
        "checks": [
            {"id": "${svc}-health", "type": "test.ping", "timeout": "${t}", "with": {"url": "${base}/health"}}
        ],
    }
    assert list(v.iter_errors(doc)) == []
    doc["checks"][0]["timeout"] = "ten seconds"
    assert list(v.iter_errors(doc))
