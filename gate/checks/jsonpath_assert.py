"""The body assertion language of ``expect.json``: one comparison per string.

Grammar (whitespace between tokens is free)::

    assertion := target OP json-literal | target "exists" | target "not" "exists"
    target    := path | "len(" path ")"
    path      := ["$" ["."]] step ("." key | "[" integer "]" | "[" quoted "]")*
    step      := key | "[" integer "]"
    key       := name | quoted           name: letters, digits, "_" and "-", not starting with a digit
    OP        := "==" | "!=" | "in" | "=~" | "<" | "<=" | ">" | ">="

Examples: ``status == "healthy"``, ``checks.redis.status in ["healthy", "ok"]``,
``version =~ "^1\\."``, ``uptime > 10``, ``checks.clickhouse exists``,
``items[0].name == "x"``, ``len(items) >= 1``, ``"a.b".c == 1``.

Assertions are parsed once, when the policy loads, so a typo is a policy error
with the column, not a failed deploy. Comparison follows JSON, not Python:
``true`` is not ``1``, and ``<``/``>`` compare numbers only.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

_OPS_TEXT = "(==, !=, in, =~, <, <=, >, >=, exists)"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INT = re.compile(r"-?\d+")
_ORDERING = ("<", "<=", ">", ">=")


class AssertionSyntaxError(ValueError):
    """The message says what was expected, where, and after what."""


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


@dataclass(frozen=True)
class Assertion:
    text: str
    path: tuple[str | int, ...]
    op: str  # an OP of the grammar above, "exists" or "not exists"
    expected: Any = None
    length: bool = False  # compare len(path) rather than the value
    pattern: re.Pattern[str] | None = None

    @property
    def target(self) -> str:
        p = format_path(self.path)
        return f"len({p})" if self.length else p


@dataclass(frozen=True)
class Result:
    assertion: Assertion
    ok: bool
    actual: Any  # the value found (or its length), MISSING if the path is absent
    message: str  # why it failed ("" when ok)


def format_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _NAME.fullmatch(step):
            out += ("." if out else "") + step
        else:
            out += ("." if out else "") + json.dumps(step)
    return out or "$"


def parse(text: str) -> Assertion:
    return _Parser(text).assertion()


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def fail(self, message: str) -> AssertionSyntaxError:
        return AssertionSyntaxError(message)

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self, token: str) -> bool:
        return self.s.startswith(token, self.i)

    def consumed(self, start: int) -> str:
        return self.s[start : self.i].strip()

    def assertion(self) -> Assertion:
        self.ws()
        if not self.s.strip():
            raise self.fail("empty assertion; expected something like 'status == \"healthy\"'")
        start = self.i
        length = False
        if self.s.startswith("len(", self.i) or self.s.startswith("len (", self.i):
            self.i = self.s.index("(", self.i) + 1
            self.ws()
            path = self.path()
            self.ws()
            if not self.peek(")"):
                raise self.fail(f"expected ')' to close len( at column {self.i + 1}")
            self.i += 1
            length = True
        else:
            path = self.path()
        target = self.consumed(start)
        self.ws()
        op = self.operator(target)
        if op in ("exists", "not exists"):
            if length:
                raise self.fail(
                    f"'{op}' applies to a path, not to len(...); write '{format_path(path)} {op}'"
                )
            self.ws()
            if self.i < len(self.s):
                raise self.fail(f"unexpected text after '{op}': {self.s[self.i :]!r}")
            return Assertion(self.s, path, op)
        self.ws()
        expected = self.literal(op)
        return self._checked(Assertion(self.s, path, op, expected, length))

    def path(self) -> tuple[str | int, ...]:
        steps: list[str | int] = []
        if self.peek("$"):
            self.i += 1
            if self.peek("."):
                self.i += 1
            elif not self.peek("["):
                return ()
        first = True
        while True:
            if self.peek("["):
                self.i += 1
                self.ws()
                if self.peek('"'):
                    steps.append(self.quoted())
                else:
                    m = _INT.match(self.s, self.i)
                    if not m:
                        raise self.fail(
                            f"expected an array index or a quoted key after '[' at column {self.i + 1}"
                        )
                    steps.append(int(m.group()))
                    self.i = m.end()
                self.ws()
                if not self.peek("]"):
                    raise self.fail(f"expected ']' at column {self.i + 1}")
                self.i += 1
            elif first or self.peek("."):
                if not first:
                    self.i += 1
                if self.peek('"'):
                    steps.append(self.quoted())
                else:
                    m = _NAME.match(self.s, self.i)
                    if not m:
                        where = "at the start" if first else f"after '.' at column {self.i}"
                        raise self.fail(
                            f'expected a key name {where} (quote keys with other characters: "a.b")'
                        )
                    steps.append(m.group())
                    self.i = m.end()
            else:
                return tuple(steps)
            first = False

    def quoted(self) -> str:
        try:
            value, end = json.JSONDecoder().raw_decode(self.s, self.i)
        except json.JSONDecodeError:
            raise self.fail(f"unterminated quoted key at column {self.i + 1}") from None
        self.i = end
        assert isinstance(value, str)
        return value

    def operator(self, target: str) -> str:
        for op in ("==", "!=", "=~", "<=", ">=", "<", ">"):
            if self.peek(op):
                self.i += len(op)
                return op
        for word in ("in", "exists", "not"):
            if self.peek(word) and not _NAME.match(self.s, self.i + len(word)):
                self.i += len(word)
                if word == "not":
                    self.ws()
                    if self.peek("exists"):
                        self.i += len("exists")
                        return "not exists"
                    break
                return word
        raise self.fail(f"expected an operator {_OPS_TEXT} after '{target}'")

    def literal(self, op: str) -> Any:
        if self.i >= len(self.s):
            raise self.fail(f"expected a JSON value after '{op}'")
        try:
            value, end = json.JSONDecoder().raw_decode(self.s, self.i)
        except json.JSONDecodeError as e:
            raw = re.compile(r'"([^"]*)"\s*$').match(self.s, self.i) if op == "=~" else None
            if raw:
                # A regex written with single backslashes ("^1\.") is not valid JSON;
                # take it verbatim, which is what its author meant.
                self.i = len(self.s)
                return raw.group(1)
            hint = " (strings need double quotes)" if self.s[self.i] in "'abcdefghijklmnopqrstuvwxyz" else ""
            raise self.fail(
                f"expected a JSON value after '{op}' at column {self.i + 1}{hint}: {e.msg}"
            ) from None
        rest = self.s[end:].strip()
        if rest:
            raise self.fail(f"unexpected text after the value: {rest!r}")
        self.i = len(self.s)
        return value

    def _checked(self, a: Assertion) -> Assertion:
        if a.op == "in" and not isinstance(a.expected, list):
            raise self.fail(
                f'\'in\' needs a JSON list on the right, like ["healthy", "ok"]; got {_show(a.expected)}'
            )
        if a.op in _ORDERING and not _is_number(a.expected):
            raise self.fail(f"'{a.op}' compares numbers; got {_show(a.expected)}")
        if a.length and a.op not in ("==", "!=", *_ORDERING):
            raise self.fail(f"len(...) is compared with ==, !=, <, <=, > or >=, not '{a.op}'")
        if a.op == "=~":
            if not isinstance(a.expected, str):
                raise self.fail(f"'=~' needs a regular expression as a JSON string; got {_show(a.expected)}")
            try:
                pattern = re.compile(a.expected)
            except re.error as e:
                raise self.fail(f"invalid regular expression {a.expected!r}: {e}") from None
            return Assertion(a.text, a.path, a.op, a.expected, a.length, pattern)
        return a


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: booleans are not numbers; 1 == 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def lookup(doc: Any, path: tuple[str | int, ...]) -> Any:
    cur = doc
    for step in path:
        if isinstance(step, int):
            if not isinstance(cur, list) or not -len(cur) <= step < len(cur):
                return MISSING
            cur = cur[step]
        else:
            if not isinstance(cur, dict) or step not in cur:
                return MISSING
            cur = cur[step]
    return cur


def _show(v: Any, limit: int = 200) -> str:
    if v is MISSING:
        return "nothing (missing)"
    text = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def evaluate(a: Assertion, doc: Any) -> Result:
    value = lookup(doc, a.path)
    target = a.target
    if a.op == "exists":
        ok = value is not MISSING
        return Result(a, ok, value, "" if ok else f"expected {target} to exist, it is missing")
    if a.op == "not exists":
        ok = value is MISSING
        return Result(a, ok, value, "" if ok else f"expected {target} not to exist, got {_show(value)}")
    if value is MISSING:
        return Result(a, False, value, f"expected {target} {a.op} {_show(a.expected)}, {target} is missing")
    if a.length:
        if not isinstance(value, (list, dict, str)):
            return Result(
                a,
                False,
                value,
                f"expected {target} {a.op} {_show(a.expected)}, but len() needs an array, object "
                f"or string, got {_show(value)}",
            )
        value = len(value)
    ok, why = _compare(a, value)
    if ok:
        return Result(a, True, value, "")
    return Result(a, False, value, f"expected {target} {a.op} {_show(a.expected)}, got {_show(value)}{why}")


def _compare(a: Assertion, value: Any) -> tuple[bool, str]:
    if a.op == "==":
        return json_equal(value, a.expected), ""
    if a.op == "!=":
        return not json_equal(value, a.expected), ""
    if a.op == "in":
        return any(json_equal(value, x) for x in a.expected), ""
    if a.op == "=~":
        if not isinstance(value, str):
            return False, " (not a string)"
        assert a.pattern is not None
        return a.pattern.search(value) is not None, ""
    if not _is_number(value):
        return False, " (not a number)"
    return {
        "<": value < a.expected,
        "<=": value <= a.expected,
        ">": value > a.expected,
        ">=": value >= a.expected,
    }[a.op], ""
