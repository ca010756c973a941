"""gate.model: the documented defaults, the statuses, and the verdict and exit code of a report."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

import pytest

from gate.model import (
    CheckResult,
    CheckSpec,
    DeployTarget,
    ExitCode,
    Outcome,
    Policy,
    Report,
    Severity,
    SourceRef,
    Status,
    Timing,
    TrafficEntry,
    Verdict,
    Waiver,
    WaiverState,
)

# -- the public vocabulary (README, docs/REPORT.md, report.schema.json) ---------------------


def test_status_severity_and_verdict_values() -> None:
    # WAIVED was added last: the earlier values keep their order (docs/REPORT.md).
    assert [s.value for s in Status] == ["PASS", "FAIL", "WARN", "ERROR", "SKIP", "CANCELLED", "WAIVED"]
    assert [s.value for s in Severity] == ["block", "warn"]
    assert [v.value for v in Verdict] == ["PASS", "FAIL", "INCONCLUSIVE", "INTERRUPTED"]
    assert Status("PASS") is Status.PASS and Severity("warn") is Severity.WARN


def test_exit_codes_are_the_documented_ones() -> None:
    assert {e.name: int(e) for e in ExitCode} == {
        "PASS": 0,
        "FAIL": 1,
        "USAGE": 2,
        "INCONCLUSIVE": 3,
        "INTERRUPTED": 130,
        "TERMINATED": 143,
    }


def test_source_ref_prints_file_line_col() -> None:
    assert str(SourceRef("policies/p.yaml", 12, 7)) == "policies/p.yaml:12:7"


# -- defaults (docs/POLICY.md) ---------------------------------------------------------------


def test_timing_defaults() -> None:
    t = Timing()
    assert (t.timeout, t.interval, t.deadline, t.successes) == (10.0, 5.0, 0.0, 1)


def test_check_spec_defaults() -> None:
    spec = CheckSpec("a", "http.health", {"url": "https://x"})
    assert spec.severity is Severity.BLOCK and spec.blocking
    assert spec.timing == Timing()
    assert (spec.needs, spec.description, spec.source) == ((), "", None)
    assert not CheckSpec("a", "t", {}, Severity.WARN).blocking


def test_policy_defaults() -> None:
    p = Policy("proj", "region", ())
    assert (p.vars, p.source, p.api_version, p.endpoints) == ({}, "<memory>", "gate/v1", {})


def test_outcome_constructors() -> None:
    assert Outcome.passed("ok") == Outcome(Status.PASS, "ok", {}, "", False, {})
    assert Outcome.passed("ok", metrics={"ms": 1.0}, final=True) == Outcome(
        Status.PASS, "ok", metrics={"ms": 1.0}, final=True
    )
    assert Outcome.failed("bad", remediation="fix", final=True) == Outcome(
        Status.FAIL, "bad", remediation="fix", final=True
    )
    assert Outcome.error("?", evidence={"k": 1}, metrics={"ms": 2.0}) == Outcome(
        Status.ERROR, "?", {"k": 1}, "", False, {"ms": 2.0}
    )


def test_check_result_defaults_and_blocking() -> None:
    r = CheckResult("a", "t", Severity.BLOCK, Status.PASS, "ok")
    assert (r.evidence, r.remediation, r.attempts, r.duration, r.metrics, r.needs, r.description) == (
        {},
        "",
        (),
        0.0,
        {},
        (),
        "",
    )
    assert r.blocking and not CheckResult("a", "t", Severity.WARN, Status.PASS, "").blocking


# -- the verdict -------------------------------------------------------------------------------


def result(cid: str, status: Status, severity: Severity = Severity.BLOCK) -> CheckResult:
    return CheckResult(cid, "t", severity, status, "")


def report(*results: CheckResult, interrupted_by: str | None = None) -> Report:
    return Report(
        "p", "r", "policy.yaml", results, "2024-01-01T00:00:00Z", 1.0, interrupted_by=interrupted_by
    )


def test_report_defaults() -> None:
    r = Report("p", "r", "policy.yaml", (), "2024-01-01T00:00:00Z", 1.0)
    assert (r.gate_version, r.interrupted_by, r.target) == ("", None, "")


def test_all_blocking_checks_passed_is_pass_exit_0() -> None:
    r = report(result("a", Status.PASS), result("b", Status.PASS))
    assert (r.verdict, r.exit_code) == (Verdict.PASS, 0)


def test_one_blocking_fail_is_fail_exit_1_whatever_else() -> None:
    for other in Status:
        r = report(result("a", Status.FAIL), result("b", other))
        assert (r.verdict, r.exit_code) == (Verdict.FAIL, 1), other


@pytest.mark.parametrize("status", [Status.ERROR, Status.SKIP, Status.CANCELLED, Status.WARN])
def test_a_blocking_check_not_proven_is_inconclusive_exit_3(status: Status) -> None:
    r = report(result("a", Status.PASS), result("b", status))
    assert (r.verdict, r.exit_code) == (Verdict.INCONCLUSIVE, 3)


def test_no_blocking_check_at_all_is_inconclusive_never_pass() -> None:
    assert report().verdict is Verdict.INCONCLUSIVE and report().exit_code == 3
    advisory = report(result("w", Status.PASS, Severity.WARN))
    assert (advisory.verdict, advisory.exit_code) == (Verdict.INCONCLUSIVE, 3)


@pytest.mark.parametrize("status", list(Status))
def test_advisory_checks_never_change_the_verdict(status: Status) -> None:
    r = report(result("a", Status.PASS), result("w", status, Severity.WARN))
    assert (r.verdict, r.exit_code) == (Verdict.PASS, 0)
    r = report(result("a", Status.ERROR), result("w", status, Severity.WARN))
    assert r.verdict is Verdict.INCONCLUSIVE


def test_the_verdict_over_every_pair_of_blocking_statuses() -> None:
    passing = {(Status.PASS, Status.PASS), (Status.PASS, Status.WAIVED), (Status.WAIVED, Status.PASS)}
    for a, b in itertools.product(Status, repeat=2):
        verdict = report(result("a", a), result("b", b)).verdict
        if Status.FAIL in (a, b):
            assert verdict is Verdict.FAIL, (a, b)
        elif (a, b) in passing:
            assert verdict is Verdict.PASS, (a, b)
        else:
            assert verdict is Verdict.INCONCLUSIVE, (a, b)


# -- waivers: the verdict and exit code (docs/POLICY.md, "Waivers") --------------------------

B, W = Severity.BLOCK, Severity.WARN


@pytest.mark.parametrize(
    ("statuses", "verdict", "code"),
    [
        # A waived blocking failure lets the deploy ship: PASS, exit 0 ...
        (((Status.PASS, B), (Status.WAIVED, B)), Verdict.PASS, 0),
        (((Status.PASS, B), (Status.WAIVED, W)), Verdict.PASS, 0),
        (((Status.PASS, B), (Status.WAIVED, B), (Status.WAIVED, W), (Status.WARN, W)), Verdict.PASS, 0),
        # ... but proves nothing: with no blocking check that passed, not proven ready.
        (((Status.WAIVED, B),), Verdict.INCONCLUSIVE, 3),
        (((Status.WAIVED, B), (Status.WAIVED, B), (Status.PASS, W)), Verdict.INCONCLUSIVE, 3),
        # A waiver never hides another failure or an unknown answer.
        (((Status.WAIVED, B), (Status.FAIL, B)), Verdict.FAIL, 1),
        (((Status.PASS, B), (Status.WAIVED, B), (Status.ERROR, B)), Verdict.INCONCLUSIVE, 3),
        (((Status.PASS, B), (Status.WAIVED, B), (Status.SKIP, B)), Verdict.INCONCLUSIVE, 3),
        (((Status.PASS, B), (Status.WAIVED, B), (Status.CANCELLED, B)), Verdict.INCONCLUSIVE, 3),
    ],
)
def test_the_verdict_and_exit_code_with_waived_checks(
    statuses: tuple[tuple[Status, Severity], ...], verdict: Verdict, code: int
) -> None:
    r = report(*(result(f"c{i}", st, sev) for i, (st, sev) in enumerate(statuses)))
    assert (r.verdict, r.exit_code) == (verdict, code)
    assert [x.id for x in r.waived] == [f"c{i}" for i, (st, _) in enumerate(statuses) if st is Status.WAIVED]


def test_an_interrupted_run_with_waived_checks_is_interrupted() -> None:
    r = report(result("a", Status.PASS), result("b", Status.WAIVED), interrupted_by="SIGINT")
    assert (r.verdict, r.exit_code) == (Verdict.INTERRUPTED, 130)


def test_a_waiver_ends_at_midnight_utc_after_its_last_day() -> None:
    w = Waiver("a", "known", "team", date(2024, 2, 28))
    assert w.ends_at == datetime(2024, 2, 29, tzinfo=timezone.utc)  # a leap day is a day
    assert Waiver("a", "r", "o", date(2024, 12, 31)).ends_at == datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert (w.match, w.source) == (None, None)
    assert [s.value for s in WaiverState] == ["applied", "not-needed", "not-matched", "not-applicable"]


@pytest.mark.parametrize(("signal", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_run_is_interrupted_whatever_its_results(signal: str, code: int) -> None:
    for results in ((), (result("a", Status.PASS),), (result("a", Status.FAIL),)):
        r = report(*results, interrupted_by=signal)
        assert (r.verdict, r.exit_code) == (Verdict.INTERRUPTED, code)


def test_counts_every_status_even_absent_ones() -> None:
    r = report(result("a", Status.PASS), result("b", Status.PASS), result("c", Status.SKIP, Severity.WARN))
    assert r.counts() == {"PASS": 2, "FAIL": 0, "WARN": 0, "ERROR": 0, "SKIP": 1, "CANCELLED": 0, "WAIVED": 0}


def test_result_by_id() -> None:
    a, b = result("a", Status.PASS), result("b", Status.FAIL)
    r = report(a, b)
    assert r.result("b") is b and r.result("a") is a
    with pytest.raises(KeyError, match="nope"):
        r.result("nope")


# -- which revision the checks judge (DeployTarget) and traffic as printed -----------------


@pytest.mark.parametrize(
    ("target", "service", "applies"),
    [
        (DeployTarget(), "backend", True),  # nothing named: every service's checks
        (DeployTarget(tag="candidate"), "backend", True),
        (DeployTarget(service="backend"), "backend", True),
        (DeployTarget(service="backend"), "auth", False),
        (DeployTarget(service="projects/p/locations/r/services/backend"), "backend", True),
        (DeployTarget(service="backend"), "projects/p/locations/r/services/backend", True),
        (DeployTarget(service="backend", revision="auth-00001-abc"), "backend", True),  # service wins
        (DeployTarget(revision="backend-00042-xq7"), "backend", True),
        (DeployTarget(revision="backend-00042-xq7"), "auth", False),
        (DeployTarget(revision="backend-00042-xq7"), "backend-worker", False),
        (DeployTarget(revision="backend"), "backend", False),  # a revision is SERVICE-..., not SERVICE
        (DeployTarget(revision="projects/p/locations/r/services/backend/revisions/x-1"), "backend", True),
        (DeployTarget(revision="projects/p/locations/r/services/backend/revisions/x-1"), "auth", False),
        (DeployTarget(revision="projects/p/locations/r/services/backend"), "backend", True),
        (DeployTarget(revision="projects/p/locations/r/services/backend/revisions/x-1"), "x", False),
    ],
)
def test_a_target_applies_to_its_service_only(target: DeployTarget, service: str, applies: bool) -> None:
    assert target.applies_to(service) is applies


def test_a_target_describes_what_it_names_and_where_the_name_came_from() -> None:
    assert DeployTarget().describe() == "the latest created revision"
    assert DeployTarget(tag="candidate", revision="r-1").describe() == "the revision behind tag 'candidate'"
    assert DeployTarget(revision="backend-00042").describe() == "revision backend-00042"
    assert (
        DeployTarget(service="backend", tag="candidate", source="--tag").describe()
        == "the revision behind tag 'candidate' of backend (--tag)"
    )
    assert DeployTarget(service="backend", source="policy target").describe() == (
        "the latest created revision of backend (policy target)"
    )


def test_a_traffic_entry_prints_like_gcloud() -> None:
    assert TrafficEntry(None, 100).text() == "LATEST=100%"
    assert TrafficEntry("backend-00042", 0, "candidate").text() == "backend-00042=0% (tag candidate)"
    assert TrafficEntry("backend-00041", 90).text() == "backend-00041=90%"
    assert TrafficEntry(None).latest and not TrafficEntry("r").latest
