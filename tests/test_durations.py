"""gate.durations: the duration syntax of policies (docs/POLICY.md) and how durations are shown."""

from __future__ import annotations

import json
import re

import pytest

from gate import durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("10s", 10.0),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("1h2m3s", 3723.0),
        ("1.5s", 1.5),
        ("0.25m", 15.0),
        ("0s", 0.0),
        ("1s500ms", 1.5),
        (" 10s ", 10.0),  # surrounding blanks, as YAML may leave them
    ],
)
def test_parse(text: str, seconds: float) -> None:
    assert durations.parse(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["10", "", "s", "10 s", "10sec", "-1s", "1.s", ".5s", "1d", "10S", "1m 30s", "ms"]
)
def test_parse_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError) as e:
        durations.parse(text)
    hint = f' (give a unit: "{text}s")' if text == "10" else ""  # a bare number: the likely fix
    assert str(e.value) == f'expected a duration like "10s", got {json.dumps(text)}{hint}'


def test_the_schema_pattern_accepts_exactly_what_parse_accepts() -> None:
    for text in ["500ms", "1m30s", "1.5s", "10", "10sec", "-1s", "1d", ""]:
        try:
            durations.parse(text)
            parsed = True
        except ValueError:
            parsed = False
        assert bool(re.match(durations.PATTERN, text)) is parsed, text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0ms"),
        (0.25, "250ms"),
        (0.9994, "999ms"),
        (1.0, "1s"),
        (1.5, "1.5s"),
        (12.345, "12.3s"),
        (59.9, "59.9s"),
        (60.0, "1m"),
        (90.0, "1m30s"),
        (90.4, "1m30s"),
        (600.0, "10m"),
        (3723.0, "62m3s"),
    ],
)
def test_format(seconds: float, text: str) -> None:
    assert durations.format(seconds) == text
