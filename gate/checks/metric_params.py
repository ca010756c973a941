"""``monitoring.metric`` parameters: the schema, the measures and the threshold language.

One threshold per string, parsed when the policy loads (a typo is exit 2 with
its column, not a failed deploy)::

    threshold := measure OP bound
    OP        := "<=" | "<" | ">=" | ">" | "=="
    bound     := quantity                            absolute:  p95 <= 2s, error_ratio <= 1%
               | number MUL "baseline"               relative:  p95 <= 1.2 x baseline
               | "baseline" [MUL number]                        p95 <= baseline * 1.2
               | "baseline" ("+" | "-") quantity                error_ratio <= baseline + 0.5%
    MUL       := "x" | "*" | the multiplication sign (U+00D7)
    quantity  := number [unit]

Units: ratios (error_ratio) take a plain fraction (0.01) or a percentage
(1%); latencies (p50..p99, startup_p50..startup_p99) take a duration (2s,
250ms) or a plain number of milliseconds, Cloud Run's unit for them; counts
and ``value`` take plain numbers. ``baseline`` is the same measure of the
baseline revision over the same window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gate import durations


@dataclass(frozen=True)
class Measure:
    name: str
    unit: str  # "ratio", "ms", "count", "value"
    source: str  # "requests", "latency", "startup", "instances", "custom"
    percentile: float | None = None
    description: str = ""

    def format(self, v: float) -> str:
        if self.unit == "ratio":
            return f"{v * 100:.2f}%"
        if self.unit == "ms":
            return f"{v:.0f} ms" if abs(v) >= 10 else f"{v:.3g} ms"
        if self.unit == "count":
            return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"
        return f"{v:.6g}"


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("error_ratio", "ratio", "requests", description="5xx responses / all responses"),
        Measure("error_count", "count", "requests", description="5xx responses"),
        Measure("request_count", "count", "requests", description="responses of every class"),
        Measure("p50", "ms", "latency", 50.0, "request latency, 50th percentile"),
        Measure("p95", "ms", "latency", 95.0, "request latency, 95th percentile"),
        Measure("p99", "ms", "latency", 99.0, "request latency, 99th percentile"),
        Measure("startup_p50", "ms", "startup", 50.0, "container startup latency, 50th percentile"),
        Measure("startup_p95", "ms", "startup", 95.0, "container startup latency, 95th percentile"),
        Measure("startup_p99", "ms", "startup", 99.0, "container startup latency, 99th percentile"),
        Measure("instances", "count", "instances", description="peak container instances (per minute)"),
        Measure("value", "value", "custom", description="the `metric:` time series, reduced by `reduce`"),
    )
}
ABSENT_NOTE = "no point in the window, counted as 0 (absent: zero)"
OPERATORS = ("<=", "<", ">=", ">", "==")
REDUCE = ("sum", "rate", "mean", "max", "min", "p50", "p95", "p99")


class ThresholdSyntaxError(ValueError):
    """The message says what was expected and where."""


@dataclass(frozen=True)
class Bound:
    """The right-hand side: a number, or ``factor * baseline + offset``."""

    number: float = 0.0
    relative: bool = False
    factor: float = 1.0
    offset: float = 0.0

    def of(self, baseline: float) -> float:
        return self.factor * baseline + self.offset


@dataclass(frozen=True)
class Threshold:
    text: str
    measure: Measure
    op: str
    bound: Bound


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)(?P<unit>%|ms|s|m|h)?
      | (?P<op><=|>=|==|<|>)
      | (?P<mul>\u00d7|\*|x(?![A-Za-z0-9_]))
      | (?P<sign>[+-])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str, str, int]]:
    """(kind, text, unit, column) tuples."""
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        kind = m.lastgroup or "bad"
        if kind == "unit":
            kind = "num"
        col = m.start(kind) + 1
        out.append((kind, m.group(kind), m.group("unit") or "", col))
        pos = m.end()
    return out


def _quantity(measure: Measure, number: str, unit: str, col: int) -> float:
    value = float(number)
    if measure.unit == "ratio":
        if unit == "%":
            return value / 100.0
        if unit:
            raise ThresholdSyntaxError(
                f"column {col}: {measure.name} is a ratio: write 0.01 or 1%, not {number}{unit}"
            )
        return value
    if measure.unit == "ms":
        if unit == "%":
            raise ThresholdSyntaxError(
                f"column {col}: {measure.name} is a latency: write 2s, 250ms or 250 (ms)"
            )
        return durations.parse(number + unit) * 1000.0 if unit else value
    if unit:
        raise ThresholdSyntaxError(f"column {col}: {measure.name} takes a plain number, not {number}{unit}")
    return value


def parse_threshold(text: str) -> Threshold:
    tokens = _tokens(text)
    if not tokens:
        raise ThresholdSyntaxError("empty threshold; expected e.g. 'p95 <= 2s'")
    kind, word, _, col = tokens[0]
    if kind != "word" or word not in MEASURES:
        raise ThresholdSyntaxError(f"column {col}: expected a measure ({', '.join(MEASURES)}), got {word!r}")
    measure = MEASURES[word]
    if len(tokens) < 3:
        raise ThresholdSyntaxError(f"expected '{word} OP BOUND' (OP one of {', '.join(OPERATORS)})")
    kind, op, _, col = tokens[1]
    if kind != "op":
        raise ThresholdSyntaxError(
            f"column {col}: expected one of {', '.join(OPERATORS)} after {word}, got {op!r}"
        )
    bound = _bound(measure, tokens[2:], text)
    return Threshold(text=text.strip(), measure=measure, op=op, bound=bound)


def _bound(measure: Measure, rest: list[tuple[str, str, str, int]], text: str) -> Bound:
    kinds = [k for k, *_ in rest]
    words = [w for _, w, _, _ in rest]
    col = rest[0][3]

    def is_base(i: int) -> bool:
        return kinds[i] == "word" and words[i] == "baseline"

    if kinds == ["num"]:
        return Bound(number=_quantity(measure, words[0], rest[0][2], col))
    if kinds == ["sign", "num"]:
        number = _quantity(measure, words[1], rest[1][2], rest[1][3])
        return Bound(number=-number if words[0] == "-" else number)
    if kinds == ["word"] and is_base(0):
        return Bound(relative=True)
    if kinds == ["num", "mul", "word"] and is_base(2):
        return Bound(relative=True, factor=_factor(rest[0]))
    if kinds == ["word", "mul", "num"] and is_base(0):
        return Bound(relative=True, factor=_factor(rest[2]))
    if kinds == ["word", "sign", "num"] and is_base(0):
        offset = _quantity(measure, words[2], rest[2][2], rest[2][3])
        return Bound(relative=True, offset=offset if words[1] == "+" else -offset)
    bad = next((r for r in rest if r[0] in ("bad", "word") and r[1] != "baseline"), rest[0])
    raise ThresholdSyntaxError(
        f"column {bad[3]}: cannot read the bound {text[col - 1 :].strip()!r}; expected a number "
        "(2s, 1%, 0.01), 'N x baseline', 'baseline * N' or 'baseline + N'"
    )


def _factor(token: tuple[str, str, str, int]) -> float:
    _, number, unit, col = token
    if unit:
        raise ThresholdSyntaxError(f"column {col}: a baseline factor is a plain number, not {number}{unit}")
    return float(number)


# -- the schema --------------------------------------------------------------------

_TARGET = {
    "service": {
        "type": "string",
        "minLength": 1,
        "description": "Cloud Run service: short name or projects/P/locations/R/services/S.",
    },
    "revision": {
        "type": "string",
        "minLength": 1,
        "description": "Judge this revision (default: latest created).",
    },
    "tag": {"type": "string", "minLength": 1, "description": "Judge the revision behind this traffic tag."},
}
_DURATION = {"type": "string", "pattern": durations.PATTERN}

PARAMS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["service", "assert"],
    "properties": {
        **_TARGET,
        "window": {**_DURATION, "default": "5m", "description": "How far back from now to read (60s..24h)."},
        "min_requests": {
            "type": "integer",
            "minimum": 1,
            "default": 50,
            "description": "Requests (or latency samples) below which request measures are not judged.",
        },
        "min_samples": {
            "type": "integer",
            "minimum": 1,
            "default": 1,
            "description": "Samples below which startup, instance and custom measures are not judged.",
        },
        "baseline": {
            "type": "object",
            "additionalProperties": False,
            "description": "The revision relative thresholds compare with (default: the one with the most "
            "traffic that is not the target).",
            "properties": {"revision": _TARGET["revision"], "tag": _TARGET["tag"]},
        },
        "metric": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "description": "Any metric, as the `value` measure.",
            "properties": {
                "type": {
                    "type": "string",
                    "minLength": 1,
                    "description": "e.g. logging.googleapis.com/user/boot-failures",
                },
                "filter": {"type": "string", "minLength": 1, "description": "More filter clauses, ANDed."},
                "resource_type": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Monitored resource type (default cloud_run_revision, scoped to the "
                    "revision).",
                },
                "reduce": {
                    "enum": list(REDUCE),
                    "description": "How the window becomes one number (default sum).",
                },
                "absent": {
                    "enum": ["error", "zero"],
                    "description": "No point at all: ERROR (default) or 0, for a counter that writes "
                    "nothing when nothing happened (log-based metrics); zero still needs "
                    "min_requests of traffic.",
                },
            },
        },
        "assert": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "minLength": 1},
            "description": "Thresholds like 'error_ratio <= 1%', 'p95 <= 2s', 'p95 <= 1.2 x baseline'.",
        },
    },
}


def semantic_errors(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if params.get("revision") and params.get("tag"):
        errors.append(("tag", "give either revision or tag, not both"))
    base = params.get("baseline")
    if isinstance(base, Mapping):
        if base.get("revision") and base.get("tag"):
            errors.append(("baseline.tag", "give either revision or tag, not both"))
        if not base.get("revision") and not base.get("tag"):
            errors.append(("baseline", "give revision or tag (or leave baseline out for the default)"))
    window = params.get("window")
    if isinstance(window, str):
        try:
            seconds = durations.parse(window)
            if not 60 <= seconds <= 86400:
                errors.append(("window", "must be between 60s (Monitoring's shortest alignment) and 24h"))
            elif not float(seconds).is_integer():
                errors.append(("window", "must be a whole number of seconds"))
        except ValueError as e:
            errors.append(("window", str(e)))
    metric = params.get("metric") if isinstance(params.get("metric"), Mapping) else None
    for i, text in enumerate(params.get("assert") or []):
        try:
            t = parse_threshold(str(text))
        except ThresholdSyntaxError as e:
            errors.append((f"assert[{i}]", str(e)))
            continue
        if t.measure.name == "value" and metric is None:
            errors.append((f"assert[{i}]", "'value' is the `metric:` series: give metric.type"))
        if t.bound.relative and t.bound.factor < 0:
            errors.append((f"assert[{i}]", "a baseline factor must not be negative"))
        if (
            t.bound.relative
            and t.measure.name == "value"
            and metric is not None
            and metric.get("resource_type", "cloud_run_revision") != "cloud_run_revision"
        ):
            errors.append(
                (f"assert[{i}]", "a baseline needs a cloud_run_revision metric (one series per revision)")
            )
    return errors
