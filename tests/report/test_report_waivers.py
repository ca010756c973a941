"""Waived checks in every format: shown, counted, never hidden, never an error; and the
waivers that did not apply say why. The golden files pin the layout; these pin the facts."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from gate.model import Report, Status, WaiverState
from gate.report import FORMATS, render

# What a reader must find about each applied waiver, whatever the format.
FACTS = ("sql-tier", "2025-01-31", "data-platform@netra.example", "OPS-123")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_names_each_waived_check_its_expiry_owner_and_reason(waived: Report, fmt: str) -> None:
    out = render(waived, fmt)
    for fact in FACTS:
        assert fact in out, (fmt, fact)
    assert "deep-health" in out and "sre" in out  # the advisory one too


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "json"])  # JSON: state "not-needed", below
def test_every_format_says_a_waiver_is_no_longer_needed(waived: Report, fmt: str) -> None:
    assert "waiver no longer needed" in render(waived, fmt), fmt


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "junit"])
def test_a_pass_with_waivers_says_so_where_the_verdict_is(waived: Report, fmt: str) -> None:
    assert (waived.verdict.value, waived.exit_code) == ("PASS", 0)
    assert "PASS with waivers" in render(waived, fmt)
    assert "pass with 2 waived checks" in render(waived, fmt)


def test_a_pass_without_waivers_says_nothing_of_them(reports: dict[str, Callable[[], Report]]) -> None:
    for fmt in FORMATS:
        out = render(reports["passing"](), fmt)
        if fmt == "json":
            assert json.loads(out)["counts"]["WAIVED"] == 0  # every status is counted, zeros included
            out = out.replace('"WAIVED": 0', "")
        assert "waive" not in out.lower(), fmt


def test_text_counts_the_waived_and_quiet_still_lists_them(waived: Report) -> None:
    out = render(waived, "text")
    assert "4 checks: 2 PASS, 0 FAIL, 0 WARN, 0 ERROR, 0 SKIP, 0 CANCELLED, 2 WAIVED" in out
    assert "verdict: PASS with waivers\nexit code: 0 (pass with 2 waived checks" in out
    assert re.search(r"^WAIVED +sql-tier +\[sql\.instance, block\]$", out, re.MULTILINE)
    assert "  waiver at: policies/netra-staging.yaml:60:5" in out
    quiet = render(waived, "text", quiet=True)
    assert "WAIVED sql-tier (waived until 2025-01-31)" in quiet  # fix first keeps the fix to make
    assert "waivers: 2 applied, 1 no longer needed" in quiet
    assert "  sql-tier: waived until 2025-01-31 (UTC), owner data-platform@netra.example" in quiet


def test_text_evidence_of_a_waived_failure_is_one_flag_away(waived: Report) -> None:
    assert "min_tier: db-custom-1-3840" not in render(waived, "text")
    assert "min_tier: db-custom-1-3840" in render(waived, "text", verbose=True)


def test_json_has_the_status_the_count_and_the_waiver(waived: Report) -> None:
    doc = json.loads(render(waived, "json"))
    assert (doc["verdict"], doc["exitCode"], doc["counts"]["WAIVED"]) == ("PASS", 0, 2)
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["sql-tier"]["status"] == "WAIVED"
    assert by_id["sql-tier"]["waiver"] == {
        "state": "applied",
        "reason": "OPS-123: resize after the <launch> | `migration` & 100% *done*",
        "owner": "data-platform@netra.example",
        "expires": "2025-01-31",
        "endsAt": "2025-02-01T00:00:00Z",
        "match": "below the minimum",
        "source": {"file": "policies/netra-staging.yaml", "line": 60, "col": 5},
    }
    assert by_id["backend-env"]["status"] == "PASS"
    assert by_id["backend-env"]["waiver"]["state"] == "not-needed"
    assert "waiver" not in by_id["backend-health"]


def test_json_states_of_waivers_that_did_not_apply(reports: dict[str, Callable[[], Report]]) -> None:
    doc = json.loads(render(reports["waiver-not-applied"](), "json"))
    got = {c["id"]: (c["status"], c["waiver"]["state"]) for c in doc["checks"]}
    assert got == {
        "backend-env": ("FAIL", "not-matched"),
        "sql-tier": ("ERROR", "not-applicable"),
        "golden-path": ("SKIP", "not-applicable"),
    }
    assert (doc["verdict"], doc["counts"]["WAIVED"]) == ("FAIL", 0)


def test_junit_a_waived_check_is_skipped_with_its_waiver_never_a_failure(waived: Report) -> None:
    root = ET.fromstring(render(waived, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "2")
    case = suite.find("testcase[@name='sql-tier']")
    assert case is not None and case.find("failure") is None and case.find("error") is None
    skipped = case.find("skipped")
    assert skipped is not None
    message = skipped.get("message", "")
    assert message.startswith("WAIVED: waived until 2025-01-31 (UTC), owner data-platform@netra.example")
    assert "FAIL: Cloud SQL instance staging-shared-postgres" in message
    out = case.findtext("system-out") or ""
    assert "min_tier: db-custom-1-3840" in out and "fix: Resize" in out  # the failure in full
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert (props["verdict"], props["waived"]) == ("PASS", "2")


def test_junit_a_waiver_that_did_not_apply_keeps_the_failure_and_error(
    reports: dict[str, Callable[[], Report]],
) -> None:
    suite = ET.fromstring(render(reports["waiver-not-applied"](), "junit")).find("testsuite")
    assert suite is not None
    env = suite.find("testcase[@name='backend-env']")
    sql = suite.find("testcase[@name='sql-tier']")
    assert env is not None and env.find("failure") is not None
    assert 'does not match "POSTGRES_DB"' in (env.findtext("system-out") or "")
    assert sql is not None and sql.find("error") is not None
    assert "an ERROR is never waived" in (sql.findtext("system-out") or "")


def test_github_waived_is_a_warning_at_the_waiver_never_an_error(waived: Report) -> None:
    lines = render(waived, "github").splitlines()
    assert not [line for line in lines if line.startswith("::error")]
    sql = next(line for line in lines if "title=gate waived sql-tier" in line)
    assert sql.startswith("::warning file=policies/netra-staging.yaml,line=60,")
    assert "::WAIVED: waived until 2025-01-31 (UTC)" in sql and "%0AFAIL: Cloud SQL" in sql
    stale = next(line for line in lines if "title=gate waiver not needed backend-env" in line)
    assert stale.startswith("::warning file=policies/netra-staging.yaml,line=66,")
    assert lines[-1].startswith(
        "::notice title=gate verdict::PASS with waivers for netra-staging: exit code 0"
    )


def test_github_a_failure_the_waiver_missed_stays_an_error_and_says_why(
    reports: dict[str, Callable[[], Report]],
) -> None:
    lines = render(reports["waiver-not-applied"](), "github").splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 2
    assert 'waiver not applied: the failure does not match "POSTGRES_DB"' in errors[0]
    assert "waiver not applied: an ERROR is never waived" in errors[1]


def test_markdown_headline_waivers_table_and_details(waived: Report) -> None:
    out = render(waived, "markdown")
    assert out.startswith("## gate: PASS with waivers\n")
    assert "### Waivers (2 applied, 1 no longer needed)" in out
    # The waivers come before the table of checks: prominent, not below the fold.
    assert out.index("### Waivers") < out.index("| Status | Check | Summary |")
    row = next(line for line in out.splitlines() if line.startswith("| \u23f3 WAIVED | sql-tier | waived |"))
    assert "| 2025-01-31 | data-platform@netra.example |" in row
    assert "\\| \\`migration\\`" in row and "&lt;launch&gt;" in row  # the reason is escaped
    assert "#### \u23f3 WAIVED: sql-tier" in out and "**Waiver:** waived until 2025-01-31" in out


def test_the_states_the_reports_show_are_the_engines(waived: Report) -> None:
    """Reporters present the waiver's state; they never decide it."""
    states = {r.id: r.waiver.state for r in waived.results if r.waiver is not None}
    assert states == {
        "sql-tier": WaiverState.APPLIED,
        "backend-env": WaiverState.NOT_NEEDED,
        "deep-health": WaiverState.APPLIED,
    }
    assert [r.id for r in waived.results if r.status is Status.WAIVED] == ["sql-tier", "deep-health"]
