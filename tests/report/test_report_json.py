from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from typing import Any

import jsonschema
import pytest

from gate.model import Attempt, CheckResult, Report, Severity, Status
from gate.report import json_report, render

TOP_KEYS = [
    "schemaVersion",
    "gateVersion",
    "project",
    "region",
    "policy",
    "target",
    "startedAt",
    "durationSeconds",
    "verdict",
    "exitCode",
    "interruptedBy",
    "counts",
    "checks",
]
CHECK_KEYS = [
    "id",
    "type",
    "severity",
    "status",
    "summary",
    "description",
    "needs",
    "evidence",
    "remediation",
    "durationSeconds",
    "metrics",
    "attempts",
]


def _validator() -> jsonschema.Draft202012Validator:
    schema = json_report.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_schema_ships_as_package_data() -> None:
    text = resources.files("gate.report").joinpath("report.schema.json").read_text("utf-8")
    assert json.loads(text)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", ["mixed", "passing", "interrupted", "waived", "waiver-not-applied"])
@pytest.mark.parametrize("timings", [True, False])
def test_output_validates_against_schema(
    name: str, timings: bool, reports: dict[str, Callable[[], Report]]
) -> None:
    doc = json.loads(render(reports[name](), "json", timings=timings))
    _validator().validate(doc)


def test_schema_rejects_unknown_status(mixed: Report) -> None:
    doc = json.loads(render(mixed, "json"))
    doc["checks"][0]["status"] = "OK"
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(doc)


def test_key_order_fixed_and_documented(mixed: Report) -> None:
    doc = json.loads(render(mixed, "json"))
    assert list(doc) == TOP_KEYS
    # `source`, optional, comes last when the check's place in the policy is known.
    assert all(list(c) in (CHECK_KEYS, [*CHECK_KEYS, "source"]) for c in doc["checks"])
    assert doc["checks"][1]["source"] == {"file": "policies/netra-staging.yaml", "line": 24, "col": 5}
    schema = json_report.schema()
    assert schema["required"] == TOP_KEYS
    assert schema["$defs"]["check"]["required"] == CHECK_KEYS


def test_values_come_from_report(mixed: Report) -> None:
    text = render(mixed, "json")
    assert text.endswith("}\n") and text.startswith('{\n  "schemaVersion"')
    doc = json.loads(text)
    assert doc["verdict"] == mixed.verdict.value == "FAIL"
    assert doc["exitCode"] == mixed.exit_code == 1
    assert doc["counts"] == mixed.counts()
    assert [c["id"] for c in doc["checks"]] == [r.id for r in mixed.results]  # policy order
    boot = doc["checks"][2]
    assert boot["summary"] == mixed.results[2].summary  # escaping round-trips
    assert [a["number"] for a in boot["attempts"]] == [1, 2]
    assert doc["checks"][1]["evidence"]["revision"]["env"] == {"REDIS_PORT": "6379"}
    assert doc["checks"][0]["metrics"] == {"latency_p95_ms": 130.0, "requests": 1}


def test_interrupted(reports: dict[str, Callable[[], Report]]) -> None:
    doc = json.loads(render(reports["interrupted"](), "json"))
    assert (doc["verdict"], doc["exitCode"], doc["interruptedBy"]) == ("INTERRUPTED", 143, "SIGTERM")


def _retimed(report: Report) -> Report:
    results = tuple(
        replace(
            r,
            duration=r.duration * 3 + 1,
            attempts=tuple(replace(a, started=a.started + 7, duration=a.duration + 1) for a in r.attempts),
            metrics={k: (v * 2 + 1 if k.endswith("_ms") else v) for k, v in r.metrics.items()},
        )
        for r in report.results
    )
    return replace(report, results=results, started_at="2030-12-31T23:59:59Z", duration=99.0)


def test_timings_false_is_byte_identical_across_runs(mixed: Report) -> None:
    other = _retimed(mixed)
    assert render(mixed, "json") != render(other, "json")
    assert render(mixed, "json", timings=False) == render(other, "json", timings=False)
    doc = json.loads(render(mixed, "json", timings=False))
    assert doc["startedAt"] == "1970-01-01T00:00:00Z" and doc["durationSeconds"] == 0
    # counts (requests) are not timings and survive; latencies are zeroed
    assert doc["checks"][0]["metrics"] == {"latency_p95_ms": 0, "requests": 1}


def test_evidence_insertion_order_does_not_matter(build: Callable[..., Report]) -> None:
    def one(evidence: dict[str, object]) -> Report:
        r = CheckResult("c", "t", Severity.BLOCK, Status.PASS, "ok", evidence=evidence)
        return build((r,))

    a = one({"b": 1, "a": {"y": 2, "x": 3}})
    b = one({"a": {"x": 3, "y": 2}, "b": 1})
    assert a == b
    assert render(a, "json") == render(b, "json")


def test_odd_values_never_break_json(build: Callable[..., Report]) -> None:
    evidence: dict[Any, Any] = {
        "t": (1, 2),
        "s": Status.FAIL,
        "nan": float("nan"),
        "obj": object.__name__,
        3: "int key",
    }
    r = CheckResult(
        "c",
        "t",
        Severity.BLOCK,
        Status.ERROR,
        "odd",
        evidence=evidence,
        metrics={"weird": float("inf")},
        attempts=(Attempt(1, 0.1 + 0.2, 0.30000000000000004, Status.ERROR, "x"),),
    )
    doc = json.loads(render(build((r,)), "json"))
    _validator().validate(doc)
    check = doc["checks"][0]
    assert check["evidence"] == {"3": "int key", "nan": "nan", "obj": "object", "s": "FAIL", "t": [1, 2]}
    assert check["metrics"] == {"weird": None}
    assert check["attempts"][0]["durationSeconds"] == 0.3
