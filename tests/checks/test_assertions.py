"""The expect.json assertion language: parsing (with exact errors) and JSON semantics."""

from __future__ import annotations

from typing import Any

import pytest

from gate.checks.jsonpath_assert import MISSING, AssertionSyntaxError, evaluate, parse

DOC: dict[str, Any] = {
    "status": "healthy",
    "version": "1.4.2",
    "uptime": 42,
    "ready": True,
    "ratio": 0.5,
    "nothing": None,
    "checks": {
        "redis": {"status": "failed"},
        "postgres": {"status": "degraded"},
        "clickhouse": {"status": "healthy"},
    },
    "items": [{"name": "x"}, {"name": "y"}],
    "a.b": {"c": 1},
    "x-version": "2",
}


@pytest.mark.parametrize(
    ("text", "path", "op", "expected"),
    [
        ('status == "healthy"', ("status",), "==", "healthy"),
        ('checks.redis.status in ["healthy","ok"]', ("checks", "redis", "status"), "in", ["healthy", "ok"]),
        ('checks.postgres.status != "degraded"', ("checks", "postgres", "status"), "!=", "degraded"),
        ('version =~ "^1\\\\."', ("version",), "=~", "^1\\."),
        ('version =~ "^1\\."', ("version",), "=~", "^1\\."),  # single backslash taken verbatim
        ("uptime > 10", ("uptime",), ">", 10),
        ("uptime>=10", ("uptime",), ">=", 10),
        ("checks.clickhouse exists", ("checks", "clickhouse"), "exists", None),
        ("checks.mongo not exists", ("checks", "mongo"), "not exists", None),
        ('items[0].name == "x"', ("items", 0, "name"), "==", "x"),
        ("len(items) >= 1", ("items",), ">=", 1),
        ('"a.b".c == 1', ("a.b", "c"), "==", 1),
        ('$.items[-1]["name"] == "y"', ("items", -1, "name"), "==", "y"),
        ('x-version == "2"', ("x-version",), "==", "2"),
        ("nothing == null", ("nothing",), "==", None),
        ("  ready   ==   true  ", ("ready",), "==", True),
        ('checks == {"a": [1, 2]}', ("checks",), "==", {"a": [1, 2]}),
    ],
)
def test_parse(text: str, path: tuple[Any, ...], op: str, expected: Any) -> None:
    a = parse(text)
    assert (a.path, a.op, a.expected) == (path, op, expected)
    assert a.text == text


OPS = "(==, !=, in, =~, <, <=, >, >=, exists)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("checks.redis.status", f"expected an operator {OPS} after 'checks.redis.status'"),
        ("status is healthy", f"expected an operator {OPS} after 'status'"),
        ("", "empty assertion; expected something like 'status == \"healthy\"'"),
        ("status ==", "expected a JSON value after '=='"),
        (
            "status == healthy",
            "expected a JSON value after '==' at column 11 (strings need double quotes): Expecting value",
        ),
        (
            "status == 'healthy'",
            "expected a JSON value after '==' at column 11 (strings need double quotes): Expecting value",
        ),
        ('status == "a" "b"', "unexpected text after the value: '\"b\"'"),
        ("status in 3", '\'in\' needs a JSON list on the right, like ["healthy", "ok"]; got 3'),
        ('uptime > "10"', "'>' compares numbers; got \"10\""),
        (
            'version =~ "("',
            "invalid regular expression '(': missing ), unterminated subpattern at position 0",
        ),
        ("version =~ 1", "'=~' needs a regular expression as a JSON string; got 1"),
        (
            "checks. == 1",
            "expected a key name after '.' at column 7 (quote keys with other characters: \"a.b\")",
        ),
        ("items[x] == 1", "expected an array index or a quoted key after '[' at column 7"),
        ("items[0 == 1", "expected ']' at column 9"),
        ("len(items == 1", "expected ')' to close len( at column 11"),
        ("len(items) exists", "'exists' applies to a path, not to len(...); write 'items exists'"),
        ("len(items) in [1]", "len(...) is compared with ==, !=, <, <=, > or >=, not 'in'"),
        ('"a.b == 1', "unterminated quoted key at column 1"),
        ("checks exists now", "unexpected text after 'exists': 'now'"),
        ("1abc == 1", 'expected a key name at the start (quote keys with other characters: "a.b")'),
    ],
)
def test_parse_errors_are_precise(text: str, message: str) -> None:
    with pytest.raises(AssertionSyntaxError) as e:
        parse(text)
    assert str(e.value) == message


@pytest.mark.parametrize(
    "text",
    [
        'status == "healthy"',
        'checks.clickhouse.status in ["healthy", "ok"]',
        'checks.postgres.status != "healthy"',
        'version =~ "^1\\\\."',
        "uptime > 10",
        "uptime <= 42",
        "ratio < 1",
        "uptime == 42.0",  # JSON numbers: 42 and 42.0 are equal
        "checks.clickhouse exists",
        "checks.mongo not exists",
        'items[0].name == "x"',
        'items[-1].name == "y"',
        "len(items) >= 1",
        "len(items) == 2",
        "len(status) == 7",
        '"a.b".c == 1',
        "nothing == null",
        "nothing exists",  # present with a null value
        "ready == true",
    ],
)
def test_holds(text: str) -> None:
    r = evaluate(parse(text), DOC)
    assert r.ok, r.message
    assert r.message == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'checks.redis.status in ["healthy", "ok"]',
            'expected checks.redis.status in ["healthy", "ok"], got "failed"',
        ),
        (
            'checks.postgres.status != "degraded"',
            'expected checks.postgres.status != "degraded", got "degraded"',
        ),
        ("uptime > 100", "expected uptime > 100, got 42"),
        ("ready == 1", "expected ready == 1, got true"),  # a boolean is not a number in JSON
        ("ready > 0", "expected ready > 0, got true (not a number)"),
        ("version > 1", 'expected version > 1, got "1.4.2" (not a number)'),
        ('uptime =~ "4"', 'expected uptime =~ "4", got 42 (not a string)'),
        ("checks.mongo exists", "expected checks.mongo to exist, it is missing"),
        ("checks.redis not exists", 'expected checks.redis not to exist, got {"status": "failed"}'),
        (
            'checks.mongo.status == "ok"',
            'expected checks.mongo.status == "ok", checks.mongo.status is missing',
        ),
        ('items[5].name == "x"', 'expected items[5].name == "x", items[5].name is missing'),
        ('status.deep == "x"', 'expected status.deep == "x", status.deep is missing'),
        ("len(items) > 5", "expected len(items) > 5, got 2"),
        ("len(uptime) > 0", "expected len(uptime) > 0, but len() needs an array, object or string, got 42"),
    ],
)
def test_fails_with_expected_and_actual(text: str, message: str) -> None:
    r = evaluate(parse(text), DOC)
    assert not r.ok
    assert r.message == message


def test_missing_is_reported_as_missing() -> None:
    r = evaluate(parse("nope == 1"), DOC)
    assert r.actual is MISSING and not r.ok


def test_not_a_document_root() -> None:
    # A body that is a JSON array or scalar still evaluates (paths are simply missing).
    assert evaluate(parse("status exists"), [1, 2]).ok is False
    assert evaluate(parse("[0] == 1"), [1, 2]).ok is True
    assert evaluate(parse("len($) == 2"), [1, 2]).ok is True


def test_long_actual_values_are_capped() -> None:
    r = evaluate(parse('blob == "x"'), {"blob": "y" * 1000})
    assert len(r.message) < 300 and "..." in r.message
