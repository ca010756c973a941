"""The subset of the Cloud Monitoring filter language the emulator evaluates.

Monitoring filters (https://cloud.google.com/monitoring/api/v3/filters) select
time series by metric and resource. The emulator understands conjunctions of
equalities, which is all gate sends::

    filter   := clause ("AND" clause)*
    clause   := selector "=" string | "(" filter ")"
    selector := "metric.type" | "resource.type"
              | ("metric" | "resource") "." ("labels" | "label") "." NAME

``string`` is double-quoted (backslash escapes ``\\"`` and ``\\\\``).
Anything else (OR, NOT, ``!=``, ``starts_with()``, ``one_of()``, unquoted
values, ``project``, ``metadata.*``) is refused with a message, never
guessed: a filter the emulator misread would answer with the wrong series.
The real API requires exactly one ``metric.type``; so does the emulator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>!=|=~|!~|>=|<=|=|<|>|:)
      | (?P<paren>[()])
      | (?P<word>[A-Za-z_][A-Za-z0-9_./-]*(?:\(\))?)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_SELECTOR = re.compile(r"^(metric|resource)\.(?:(type)|(?:labels?)\.([A-Za-z_][A-Za-z0-9_./-]*))$")


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Clause:
    root: str  # "metric" or "resource"
    label: str | None  # None = the type
    value: str

    def matches(self, series: Any) -> bool:
        if self.label is None:
            return bool(series.type_of(self.root) == self.value)
        return bool(series.labels_of(self.root).get(self.label) == self.value)


@dataclass(frozen=True)
class MetricFilter:
    metric_type: str
    clauses: tuple[Clause, ...]

    def __call__(self, series: Any) -> bool:
        return all(c.matches(series) for c in self.clauses)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup or "bad"
        out.append((kind, m.group(kind)))
    return out


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1])


def parse(text: str) -> MetricFilter:
    tokens = _tokens(text)
    if not tokens:
        raise FilterError("the filter is empty; it must name a metric.type")
    clauses: list[Clause] = []
    i = _conjunction(tokens, 0, clauses, text)
    if i != len(tokens):
        raise FilterError(f"unexpected {tokens[i][1]!r} in {text!r}")
    types = [c.value for c in clauses if c.root == "metric" and c.label is None]
    if len(types) != 1:
        raise FilterError(f"the filter must specify exactly one metric.type (found {len(types)})")
    return MetricFilter(types[0], tuple(clauses))


def _conjunction(tokens: list[tuple[str, str]], i: int, out: list[Clause], text: str) -> int:
    """clause (AND clause)*, where a clause may be a parenthesised conjunction."""
    while True:
        if i < len(tokens) and tokens[i] == ("paren", "("):
            i = _conjunction(tokens, i + 1, out, text)
            if i >= len(tokens) or tokens[i] != ("paren", ")"):
                raise FilterError(f"unbalanced parentheses in {text!r}")
            i += 1
        else:
            i = _clause(tokens, i, out, text)
        if i == len(tokens) or tokens[i] == ("paren", ")"):
            return i
        word = tokens[i][1]
        if word != "AND":
            raise FilterError(
                f"expected AND between clauses, got {word!r} (the emulator does not evaluate OR or NOT)"
            )
        i += 1


def _clause(tokens: list[tuple[str, str]], i: int, out: list[Clause], text: str) -> int:
    if i + 3 > len(tokens):
        raise FilterError(f'incomplete clause at the end of {text!r}; expected SELECTOR = "VALUE"')
    (k1, selector), (_, op), (k3, value) = tokens[i : i + 3]
    if k1 != "word":
        raise FilterError(f"expected a selector like metric.type, got {selector!r}")
    m = _SELECTOR.match(selector)
    if m is None:
        raise FilterError(
            f"unsupported selector {selector!r}; the emulator evaluates metric.type, resource.type, "
            "metric.labels.NAME and resource.labels.NAME"
        )
    if op != "=":
        raise FilterError(f"unsupported operator {op!r} after {selector}; the emulator evaluates = only")
    if k3 != "string":
        raise FilterError(f"expected a double-quoted value after {selector} =, got {value!r}")
    out.append(Clause(m.group(1), m.group(3), _unquote(value)))
    return i + 3
