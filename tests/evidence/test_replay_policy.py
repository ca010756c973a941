"""How `gate replay` turns the recorded policy into the one it runs, and runs its stand-ins."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gate import registry
from gate.context import RunContext
from gate.engine import EngineOptions, run_policy
from gate.evidence.rebuild import Rebuilt
from gate.evidence.replay import STUB_TYPE, Recorded, replay_policy
from gate.model import CheckSpec, Policy, Severity, SourceRef, Status, Timing

SRC = SourceRef("policy.yaml", 7, 5)


def _policy(*specs: CheckSpec) -> Policy:
    return Policy(
        "p", "r", specs, vars={"tag": "x"}, source="policy.yaml", endpoints={"run": "https://run.example"}
    )


def _spec(cid: str, *, needs: tuple[str, ...] = (), successes: int = 1) -> CheckSpec:
    return CheckSpec(
        cid,
        "http.health",
        {"url": "https://x.example/health"},
        Severity.WARN,
        Timing(timeout=3.0, interval=5.0, deadline=60.0, successes=successes),
        needs,
        "the description",
        SRC,
    )


def test_replayed_checks_keep_every_field_but_their_polling() -> None:
    policy = _policy(_spec("a"), _spec("b", successes=3))
    out = replay_policy(policy, {"a": "PASS", "b": "FAIL"}, Rebuilt({}))
    a, b = out.checks
    assert (a.id, a.type, a.params, a.severity, a.description, a.source) == (
        "a",
        "http.health",
        {"url": "https://x.example/health"},
        Severity.WARN,
        "the description",
        SRC,
    )
    assert a.timing == Timing(timeout=3.0, interval=0.01, deadline=0.0, successes=1)
    # Three consecutive successes still need room for three attempts.
    assert (b.timing.interval, b.timing.successes, b.timing.timeout) == (0.01, 3, 3.0)
    assert b.timing.deadline == pytest.approx(0.15)
    assert (out.project, out.region, out.vars, out.source) == ("p", "r", {"tag": "x"}, "policy.yaml")
    assert out.endpoints == {}  # the replay talks to its own emulator only


def test_cancelled_and_unrecorded_checks_are_not_run_and_not_needed() -> None:
    policy = _policy(
        _spec("a"), _spec("gone"), _spec("c", needs=("a", "cancelled", "gone")), _spec("cancelled")
    )
    out = replay_policy(policy, {"a": "PASS", "c": "SKIP", "cancelled": "CANCELLED"}, Rebuilt({}))
    assert [c.id for c in out.checks] == ["a", "c"]
    assert out.checks[1].needs == ("a",)


def test_a_check_that_cannot_be_recomputed_becomes_its_recorded_status() -> None:
    rebuilt = Rebuilt({}, not_replayable={"ws": "not replayable: WebSocket sessions"})
    policy = _policy(_spec("a"), _spec("ws", needs=("a",)))
    ws = replay_policy(policy, {"a": "PASS", "ws": "WARN"}, rebuilt).checks[1]
    assert (ws.type, ws.params) == (
        STUB_TYPE,
        {"status": "WARN", "note": "not replayable: WebSocket sessions"},
    )
    assert ws.timing == Timing(timeout=5.0)
    assert (ws.needs, ws.severity, ws.source, ws.description) == (
        ("a",),
        Severity.WARN,
        SRC,
        "the description",
    )


def _stub(cid: str, status: str, severity: Severity) -> CheckSpec:
    return CheckSpec(
        cid, STUB_TYPE, {"status": status, "note": f"kept {status}"}, severity, Timing(timeout=5)
    )


def test_stand_ins_run_through_the_engine_without_a_global_registration() -> None:
    policy = Policy(
        "p",
        "r",
        (
            _stub("p", "PASS", Severity.BLOCK),
            _stub("w", "WARN", Severity.WARN),
            _stub("f", "FAIL", Severity.BLOCK),
            _stub("e", "ERROR", Severity.BLOCK),
        ),
    )
    report = run_policy(
        policy, RunContext("p", "r"), EngineOptions(fail_fast=False, check_types={STUB_TYPE: Recorded})
    )
    assert {r.id: r.status for r in report.results} == {
        "p": Status.PASS,
        "w": Status.WARN,
        "f": Status.FAIL,
        "e": Status.ERROR,
    }
    assert report.result("f").summary == "kept FAIL"
    assert len(report.result("f").attempts) == 1  # final: never polled
    assert STUB_TYPE not in registry.names()


def test_without_the_run_s_types_the_stand_in_is_unknown() -> None:
    report = run_policy(Policy("p", "r", (_stub("p", "PASS", Severity.BLOCK),)), RunContext("p", "r"))
    assert report.result("p").status is Status.ERROR


def test_a_waived_stand_in_fails_with_the_recorded_summary_and_is_waived_again() -> None:
    from datetime import date

    from gate.model import Waiver, WaiverState

    rebuilt = Rebuilt({}, not_replayable={"ws": "not replayable: WebSocket sessions"})
    waiver = Waiver("ws", "known", "team", date(2000, 1, 1), "3 of 5 sessions")
    policy = replace(_policy(_spec("ws")), waivers=(waiver,))
    summaries = {"ws": "3 of 5 sessions closed"}
    out = replay_policy(policy, {"ws": "WAIVED"}, rebuilt, summaries)
    assert out.checks[0].params == {
        "status": "WAIVED",
        "note": "not replayable: WebSocket sessions",
        "summary": "3 of 5 sessions closed",
    }
    assert out.waivers == (waiver,)
    report = run_policy(out, RunContext("p", "r"), EngineOptions(check_types={STUB_TYPE: Recorded}))
    ws = report.result("ws")
    assert ws.status is Status.WAIVED and ws.waiver is not None and ws.waiver.state is WaiverState.APPLIED
