from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from gate.model import CheckResult, Report, Severity, Status
from gate.report import render

CHILD = {
    "PASS": None,
    "FAIL": "failure",
    "WARN": None,
    "ERROR": "error",
    "SKIP": "skipped",
    "CANCELLED": "skipped",
}


def _parse(report: Report) -> ET.Element:
    return ET.fromstring(render(report, "junit").encode("utf-8"))


def test_one_suite_one_case_per_check(mixed: Report) -> None:
    root = _parse(mixed)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "gate: netra-staging"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.id for r in mixed.results]
    assert [c.get("classname") for c in cases] == [f"gate.{r.type}" for r in mixed.results]
    assert suite.get("tests") == "7"
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("2", "1", "2")


def test_status_elements(mixed: Report) -> None:
    cases = _parse(mixed).findall("testsuite/testcase")
    for case, result in zip(cases, mixed.results, strict=True):
        wanted = CHILD[result.status.value]
        present = [el.tag for el in case if el.tag in ("failure", "error", "skipped")]
        assert present == ([wanted] if wanted else []), result.id
        if wanted:
            assert case.find(wanted).get("message") == f"{result.status.value}: {result.summary}"  # type: ignore[union-attr]


def test_failure_text_has_evidence_and_fix(mixed: Report) -> None:
    case = _parse(mixed).find("testsuite/testcase[@name='backend-env']")
    assert case is not None
    text = case.findtext("failure") or ""
    assert "POSTGRES_HOST" in text and "fix: Set POSTGRES_HOST" in text


def test_warn_passes_with_note_and_attempts_listed(mixed: Report) -> None:
    case = _parse(mixed).find("testsuite/testcase[@name='deep-health']")
    assert case is not None
    out = case.findtext("system-out") or ""
    assert out.startswith("WARNING (advisory check did not pass): /api/health reports degraded")
    assert "attempts: 3" in out and "#3 at +10.610s took 0.290s: FAIL degraded" in out


def test_escaping_round_trips(mixed: Report, nasty: str) -> None:
    xml = render(mixed, "junit")
    assert "<tag" not in xml  # escaped, never a real element
    case = _parse(mixed).find("testsuite/testcase[@name='boot-log']")
    assert case is not None
    assert case.find("failure").get("message") == "FAIL: " + nasty  # type: ignore[union-attr]


def test_characters_xml_forbids_are_made_visible(build: Callable[..., Report]) -> None:
    r = CheckResult(
        "c\x00", "t", Severity.BLOCK, Status.FAIL, "nul\x00 esc\x1b bell\x07 \ufffe", evidence={"k": "\x0c"}
    )
    root = _parse(build((r,)))  # would raise if the bytes leaked through
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("name") == "c\\x00"
    assert case.find("failure").get("message") == "FAIL: nul\\x00 esc\\x1b bell\\x07 \\xfffe"  # type: ignore[union-attr]


def test_verdict_properties(reports: dict[str, Callable[[], Report]]) -> None:
    suite = _parse(reports["interrupted"]()).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["verdict"], props["exitCode"], props["interruptedBy"]) == ("INTERRUPTED", "143", "SIGTERM")
