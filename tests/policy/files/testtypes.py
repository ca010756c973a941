"""Small check types for the loader's tests, so they never depend on the real ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gate.checks.base import CheckType
from gate.context import AttemptContext
from gate.model import Outcome


class Ping(CheckType):
    name = "test.ping"
    summary = "Answer an HTTP GET (test type)."
    description = "A test-only type with a URL and an expected status."
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "pattern": "^https?://", "description": "Where to send the GET."},
            "expect": {"type": "integer", "minimum": 100, "maximum": 599, "default": 200},
            "name": {"type": "string"},
        },
    }
    example = {"id": "ping", "type": "test.ping", "with": {"url": "https://example.com/"}}

    def attempt(self, ctx: AttemptContext) -> Outcome:
        return Outcome.passed("ok")


class Count(CheckType):
    name = "test.count"
    summary = "Count things (test type)."
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "min_instances": {"type": "integer", "minimum": 0},
            "labels": {"type": "array", "items": {"type": "string"}},
            "mode": {"enum": ["fast", "slow"]},
            "enabled": {"type": "boolean"},
        },
    }
    example = {"id": "count", "type": "test.count", "with": {"min_instances": 1}}

    def attempt(self, ctx: AttemptContext) -> Outcome:
        return Outcome.passed("ok")


class Regex(CheckType):
    name = "test.regex"
    summary = "Match patterns (test type)."
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"patterns": {"type": "array", "items": {"type": "string"}}},
    }
    example = {"id": "rx", "type": "test.regex", "with": {"patterns": ["a+"]}}

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        out = []
        for i, p in enumerate(params.get("patterns", [])):
            try:
                re.compile(p)
            except re.error as e:
                out.append((f"patterns[{i}]", f"invalid regular expression: {e}"))
        return out

    def attempt(self, ctx: AttemptContext) -> Outcome:
        return Outcome.passed("ok")


TYPES = (Ping, Count, Regex)
