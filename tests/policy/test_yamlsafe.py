"""gate.policy.yamlsafe: plain data, positions, and every refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import InputError
from gate.model import SourceRef
from gate.policy import yamlsafe


def _errors(text: str) -> list[str]:
    with pytest.raises(InputError) as e:
        yamlsafe.loads(text, "p.yaml")
    return [str(d) for d in e.value.diagnostics]


def test_plain_data_with_value_and_key_positions() -> None:
    doc = yamlsafe.loads("a: 1\nchecks:\n  - id: x\n    with: {url: 'u', on: no}\n", "p.yaml")
    assert doc.data == {"a": 1, "checks": [{"id": "x", "with": {"url": "u", "on": False}}]}
    assert doc.values[("checks", 0, "id")] == (3, 9)
    assert doc.keys[("checks", 0, "with")] == (4, 5)
    assert doc.values[("checks", 0, "with", "url")] == (4, 17)
    # Keys stay names (``on`` is not a boolean key); values keep their source text.
    assert doc.raw[("checks", 0, "with", "on")] == "no"
    assert doc.ref(("checks", 0, "with", "missing")) == SourceRef("p.yaml", 4, 11)
    assert doc.ref(("checks", 0, "with"), key=True) == SourceRef("p.yaml", 4, 5)


def test_dates_stay_text_and_core_tags_are_allowed() -> None:
    doc = yamlsafe.loads("d: 2024-01-02\ns: !!str 12\nn: ~\nf: 1.5\n", "p.yaml")
    assert doc.data == {"d": "2024-01-02", "s": "12", "n": None, "f": 1.5}


def test_aliases_within_bound_expand() -> None:
    doc = yamlsafe.loads("a: &x [1, 2]\nb: *x\n", "p.yaml")
    assert doc.data == {"a": [1, 2], "b": [1, 2]}
    assert doc.data["a"] is not doc.data["b"]


def test_duplicate_keys_nested() -> None:
    assert _errors("a:\n  b: 1\n  b: 2\n") == ['p.yaml:3:3: a.b: duplicate key "b" (first at line 2)']


def test_every_problem_in_one_pass_sorted() -> None:
    assert _errors("x: !!binary aGk=\na: 1\na: 2\ny: !!set {a}\n") == [
        'p.yaml:1:4: x: unsupported YAML tag "!!binary"',
        'p.yaml:3:1: a: duplicate key "a" (first at line 2)',
        'p.yaml:4:4: y: unsupported YAML tag "!!set"',
    ]


def test_complex_keys_are_refused() -> None:
    assert _errors("? [a, b]\n: 1\n") == ["p.yaml:1:3: a mapping key must be a plain name"]


def test_deep_nesting_is_refused() -> None:
    errors = _errors("a: " + "[" * 70 + "]" * 70 + "\n")
    assert len(errors) == 1 and errors[0].endswith("nested more than 64 levels deep")


def test_pathological_nesting_is_an_error_not_a_crash() -> None:
    errors = _errors("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert len(errors) == 1 and "nested" in errors[0]


def test_alias_bomb_counts_expanded_nodes() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcd", "bcde", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    errors = _errors("\n".join(lines) + "\n")
    assert len(errors) == 1 and errors[0].endswith("aliases expand to more than 10000 values; refusing")


def test_size_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("a: 1\n")
    monkeypatch.setattr(yamlsafe, "MAX_BYTES", 3)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file over the limit was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(InputError) as e:
        yamlsafe.load(f, "p.yaml")
    assert str(e.value) == "p.yaml:1:1: file is too large: 5 bytes (the limit is 3 bytes, 1 MiB)"


def test_not_a_file(tmp_path: Path) -> None:
    for target, message in ((tmp_path, "not a regular file"), (tmp_path / "x", "no such file")):
        with pytest.raises(InputError) as e:
            yamlsafe.load(target, "shown.yaml")
        assert str(e.value) == f"shown.yaml: {message}"


def test_format_path() -> None:
    assert yamlsafe.format_path(("checks", 2, "with", "url")) == "checks[2].with.url"
    assert yamlsafe.format_path(("vars", "a b")) == "vars['a b']"
    assert yamlsafe.format_path(()) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "checks:\n  - id: a\n    needs: [${auth}-revision]\n",
            'p.yaml:3:13: invalid YAML: a ${...} inside [ ] or { } must be quoted: write "${auth}-revision"',
        ),
        (
            "checks:\n  - id: a\n    with: {url: ${base}/health}\n",
            'p.yaml:3:17: invalid YAML: a ${...} inside [ ] or { } must be quoted: write "${base}/health"',
        ),
        (
            # The brace left open on line 2 is the mistake, not line 3 where the parser gave up.
            "checks:\n  - with: {status: 200\n  - id: b\n",
            "p.yaml:2:11: invalid YAML: this { is not closed with } (expected ',' or '}', but got ':' "
            "at line 3, column 7)",
        ),
        (
            'a: "open\nb: 1\nc: 2\n',
            "p.yaml:1:4: invalid YAML: this quoted string is never closed (found unexpected end of stream "
            "at line 4, column 1)",
        ),
    ],
)
def test_syntax_errors_point_at_the_mistake(text: str, expected: str) -> None:
    assert _errors(text) == [expected]
