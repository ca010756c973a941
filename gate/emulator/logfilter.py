"""The Cloud Logging query language, the part gate and its users write.

Supported: comparisons ``field OP value`` with OP in ``= != > >= < <= : =~ !~``
on dotted fields (``resource.labels.service_name``, ``jsonPayload.x``),
``severity`` compared by rank, ``timestamp`` compared as instants, bare
string terms (global search), ``AND``, ``OR``, ``NOT``/``-``, juxtaposition as
AND, and parentheses. Anything else raises FilterError: a clause is never
silently ignored, because an ignored clause widens a query and could hide a
boot failure among unrelated entries.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from collections.abc import Callable
from typing import Any

SEVERITIES = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"]
_NUMERIC = {
    "DEFAULT": 0,
    "DEBUG": 100,
    "INFO": 200,
    "NOTICE": 300,
    "WARNING": 400,
    "ERROR": 500,
    "CRITICAL": 600,
    "ALERT": 700,
    "EMERGENCY": 800,
}
_ROOTS = {
    "logName",
    "log_name",
    "resource",
    "severity",
    "timestamp",
    "receiveTimestamp",
    "receive_timestamp",
    "textPayload",
    "text_payload",
    "jsonPayload",
    "json_payload",
    "protoPayload",
    "proto_payload",
    "labels",
    "insertId",
    "insert_id",
    "trace",
    "spanId",
    "span_id",
    "httpRequest",
    "http_request",
    "operation",
    "sourceLocation",
    "source_location",
    "traceSampled",
    "trace_sampled",
}
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|!=|=~|!~|[=<>:])|(?P<lp>\()|(?P<rp>\))'
    r"|(?P<word>[^\s()=<>:!\"]+))"
)

Entry = dict[str, Any]
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
Pred = Callable[[Entry], bool]


class FilterError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"unexpected character at column {pos + 1}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _timestamp(text: str) -> dt.datetime:
    s = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    # Logging writes nanoseconds; datetime keeps microseconds.
    s = re.sub(r"(\.\d{6})\d+", r"\1", s)
    try:
        t = dt.datetime.fromisoformat(s)
    except ValueError:
        raise FilterError(f"invalid timestamp {text!r}; use RFC 3339 like 2024-05-01T12:00:00Z") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _camel(part: str) -> str:
    head, *rest = part.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _lookup(entry: Entry, path: list[str]) -> Any:
    v: Any = entry
    for i, part in enumerate(path):
        if not isinstance(v, dict):
            return None
        # Top-level and structural fields are camelCase on the wire; label keys are literal.
        key = part if part in v else _camel(part) if i == 0 or path[i - 1] not in ("labels",) else part
        v = v.get(key)
    return v


def _compare(field: str, op: str, literal: str) -> Pred:
    path = field.split(".")
    if path[0] not in _ROOTS:
        raise FilterError(f"unknown field {field!r}")
    root = _camel(path[0])

    if root == "severity":
        if op in ("=~", "!~", ":"):
            raise FilterError(f"operator {op} is not supported for severity")
        want = literal.upper()
        if want.isdigit():
            rank = int(want)
        elif want in _NUMERIC:
            rank = _NUMERIC[want]
        else:
            raise FilterError(f"invalid severity {literal!r}; one of {', '.join(SEVERITIES)}")

        def sev(e: Entry) -> bool:
            have = _NUMERIC.get(str(e.get("severity", "DEFAULT")), 0)
            return _ordered(have, op, rank)

        return sev

    if root in ("timestamp", "receiveTimestamp"):
        if op in ("=~", "!~", ":"):
            raise FilterError(f"operator {op} is not supported for {field}")
        want_t = _timestamp(literal)

        def ts(e: Entry) -> bool:
            raw = e.get(root)
            return raw is not None and bool(_ordered(_timestamp(str(raw)), op, want_t))

        return ts

    def generic(e: Entry) -> bool:
        v = _lookup(e, path)
        if op == "!=" and v is None:
            return True
        if v is None:
            return False
        s = (
            json.dumps(v)
            if isinstance(v, (dict, list))
            else str(v).lower()
            if isinstance(v, bool)
            else str(v)
        )
        if op == ":":
            return literal.lower() in s.lower()
        if op == "=~":
            return re.search(literal, s) is not None
        if op == "!~":
            return re.search(literal, s) is None
        if op in ("=", "!="):
            return (s == literal) == (op == "=")
        return _ordered(s, op, literal)

    if op in ("=~", "!~"):
        try:
            re.compile(literal)
        except re.error as err:
            raise FilterError(f"invalid regular expression {literal!r}: {err}") from None
    return generic


def _ordered(a: Any, op: str, b: Any) -> bool:
    return bool(_OPS[op](a, b))


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError("unexpected end of filter")
        self.i += 1
        return tok

    def parse(self) -> Pred:
        if not self.toks:
            return lambda e: True
        pred = self.or_expr()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return pred

    def or_expr(self) -> Pred:
        parts = [self.and_expr()]
        while self.peek() == ("word", "OR"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda e: any(p(e) for p in parts))

    def and_expr(self) -> Pred:
        parts = [self.unary()]
        while (tok := self.peek()) is not None and tok[0] != "rp" and tok != ("word", "OR"):
            if tok == ("word", "AND"):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda e: all(p(e) for p in parts))

    def unary(self) -> Pred:
        tok = self.peek()
        if tok == ("word", "NOT") or (tok and tok[0] == "word" and tok[1] == "-"):
            self.take()
            inner = self.unary()
            return lambda e: not inner(e)
        if tok and tok[0] == "word" and tok[1].startswith("-") and len(tok[1]) > 1:
            self.toks[self.i] = ("word", tok[1][1:])
            inner = self.unary()
            return lambda e: not inner(e)
        return self.primary()

    def primary(self) -> Pred:
        kind, value = self.take()
        if kind == "lp":
            inner = self.or_expr()
            if self.take()[0] != "rp":
                raise FilterError("missing )")
            return inner
        if kind == "str" or kind == "word":
            nxt = self.peek()
            if kind == "word" and nxt is not None and nxt[0] == "op":
                op = self.take()[1]
                lk, lit = self.take()
                if lk not in ("str", "word"):
                    raise FilterError(f"expected a value after {value} {op}")
                return _compare(value, op, _unquote(lit) if lk == "str" else lit)
            if kind == "word" and value in ("AND", "OR"):
                raise FilterError(f"{value} without a left-hand side")
            needle = (_unquote(value) if kind == "str" else value).lower()
            return lambda e: needle in json.dumps(e).lower()  # global search
        raise FilterError(f"unexpected {value!r}")


def _unquote(s: str) -> str:
    return str(json.loads(s)) if s.startswith('"') else s


def compile_filter(text: str) -> Pred:
    """A predicate over LogEntry JSON; raises FilterError if any part is not understood."""
    return _Parser(text).parse()
