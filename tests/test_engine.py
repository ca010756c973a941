from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest

from gate import registry
from gate.context import RunContext
from gate.engine import Engine, EngineOptions, run_policy
from gate.model import (
    CheckSpec,
    ExitCode,
    Policy,
    Report,
    Severity,
    Status,
    Timing,
    Verdict,
    Waiver,
    WaiverState,
)
from tests.fakechecks import Script


@pytest.fixture(autouse=True)
def _script() -> Iterator[None]:
    registry.register(Script)
    Script.calls.clear()
    yield
    registry.unregister(Script.name)


def spec(
    cid: str,
    *script: str,
    severity: Severity = Severity.BLOCK,
    needs: tuple[str, ...] = (),
    timing: Timing | None = None,
) -> CheckSpec:
    return CheckSpec(
        cid,
        "test.script",
        {"script": list(script)},
        severity=severity,
        needs=needs,
        timing=timing or Timing(timeout=5, interval=0.01, deadline=0),
    )


def run(*specs: CheckSpec, **opts: object) -> tuple[Policy, object]:
    policy = Policy("p", "r", tuple(specs))
    report = run_policy(policy, RunContext("p", "r"), EngineOptions(**opts))  # type: ignore[arg-type]
    return policy, report


def statuses(report: object) -> dict[str, str]:
    return {r.id: r.status.value for r in report.results}  # type: ignore[attr-defined]


def test_all_pass_is_exit_0() -> None:
    _, rep = run(spec("a", "pass"), spec("b", "pass"))
    assert statuses(rep) == {"a": "PASS", "b": "PASS"}
    assert rep.exit_code == 0 and rep.verdict is Verdict.PASS  # type: ignore[attr-defined]


def test_exception_in_one_check_is_its_error_and_others_run() -> None:
    _, rep = run(spec("a", "raise"), spec("b", "pass"))
    a = rep.result("a")  # type: ignore[attr-defined]
    assert a.status is Status.ERROR and "RuntimeError" in a.summary and "boom" in a.summary
    assert rep.result("b").status is Status.PASS  # type: ignore[attr-defined]
    assert rep.exit_code == ExitCode.INCONCLUSIVE  # type: ignore[attr-defined]


def test_only_check_raising_exits_3() -> None:
    _, rep = run(spec("a", "raise"))
    assert rep.exit_code == 3  # type: ignore[attr-defined]


def test_concurrency_checks_run_in_parallel() -> None:
    specs = [spec(f"c{i}", "sleep:1") for i in range(8)]
    t = time.monotonic()
    _, rep = run(*specs, pool=8)
    took = time.monotonic() - t
    assert all(s == "PASS" for s in statuses(rep).values())
    assert took < 4.0, took  # serial would be 8 s


def test_pool_bounds_concurrency() -> None:
    specs = [spec(f"c{i}", "sleep:0.3") for i in range(4)]
    t = time.monotonic()
    run(*specs, pool=1)
    assert time.monotonic() - t >= 1.1


def test_retries_until_pass_within_deadline() -> None:
    t = Timing(timeout=5, interval=0.01, deadline=5)
    _, rep = run(spec("a", "fail", "fail", "pass", timing=t))
    a = rep.result("a")  # type: ignore[attr-defined]
    assert a.status is Status.PASS and len(a.attempts) == 3
    assert [x.status for x in a.attempts] == [Status.FAIL, Status.FAIL, Status.PASS]


def test_consecutive_successes_required() -> None:
    t = Timing(timeout=5, interval=0.01, deadline=5, successes=2)
    _, rep = run(spec("a", "pass", "fail", "pass", "pass", timing=t))
    a = rep.result("a")  # type: ignore[attr-defined]
    assert a.status is Status.PASS and len(a.attempts) == 4


def test_not_enough_consecutive_successes_before_deadline_fails() -> None:
    t = Timing(timeout=5, interval=0.05, deadline=0.2, successes=50)
    _, rep = run(spec("a", "pass", timing=t))
    a = rep.result("a")  # type: ignore[attr-defined]
    assert a.status is Status.FAIL and "consecutive" in a.summary


def test_final_fail_stops_polling() -> None:
    t = Timing(timeout=5, interval=0.01, deadline=30)
    _, rep = run(spec("a", "fail-final", timing=t))
    assert len(rep.result("a").attempts) == 1  # type: ignore[attr-defined]


def test_error_is_never_a_pass_even_when_advisory_checks_pass() -> None:
    _, rep = run(spec("a", "error"), spec("w", "pass", severity=Severity.WARN))
    assert rep.verdict is Verdict.INCONCLUSIVE and rep.exit_code == 3  # type: ignore[attr-defined]


def test_advisory_failure_is_warn_and_does_not_block() -> None:
    _, rep = run(spec("a", "pass"), spec("w", "fail", severity=Severity.WARN))
    assert statuses(rep) == {"a": "PASS", "w": "WARN"}
    assert rep.exit_code == 0  # type: ignore[attr-defined]


def test_needs_skip_when_dependency_fails_no_fail_fast() -> None:
    _, rep = run(spec("a", "error"), spec("b", "pass", needs=("a",)), fail_fast=False)
    b = rep.result("b")  # type: ignore[attr-defined]
    assert b.status is Status.SKIP and b.summary == "skipped: needs a, which could not be evaluated"
    assert Script.calls.get("b") is None
    assert rep.exit_code == 3  # type: ignore[attr-defined]


def test_needs_runs_after_dependency_passes() -> None:
    _, rep = run(spec("a", "sleep:0.2"), spec("b", "pass", needs=("a",)))
    a, b = rep.result("a"), rep.result("b")  # type: ignore[attr-defined]
    assert b.status is Status.PASS
    assert b.attempts[0].started >= a.attempts[0].started + a.attempts[0].duration - 1e-3


def test_fail_fast_stops_polling_but_keeps_the_first_attempt() -> None:
    slow = Timing(timeout=5, interval=0.05, deadline=300)
    t = time.monotonic()
    _, rep = run(
        spec("boot", "sleep-fail:0.2"),
        spec("health", "fail", timing=slow),
        spec("boot2", "fail-final", needs=("boot",)),
    )
    assert time.monotonic() - t < 10
    h = rep.result("health")  # type: ignore[attr-defined]
    # The first attempt's answer stands; only the polling was cut.
    assert h.status is Status.FAIL and "not retried: fail-fast after" in h.summary
    assert h.summary.startswith("bad")
    assert rep.exit_code == 1  # type: ignore[attr-defined]


def test_fail_fast_never_cancels_a_one_shot_check_unstarted() -> None:
    # pool 1: the cheap checks are still queued when "first" fails; each gets its attempt.
    _, rep = run(
        spec("first", "fail-final"),
        spec("cause", "fail"),
        spec("fine", "pass"),
        spec("slow", "sleep:0.3"),
        pool=1,
    )
    assert statuses(rep) == {"first": "FAIL", "cause": "FAIL", "fine": "PASS", "slow": "PASS"}
    assert all(len(r.attempts) == 1 for r in rep.results)  # type: ignore[attr-defined]


def test_fail_fast_runs_dependents_of_checks_that_pass() -> None:
    _, rep = run(
        spec("boom", "fail-final"),
        spec("a", "sleep:0.3"),
        spec("b", "pass", needs=("a",)),
        spec("c", "pass", needs=("boom",)),
    )
    assert statuses(rep) == {"boom": "FAIL", "a": "PASS", "b": "PASS", "c": "SKIP"}
    assert rep.result("c").summary == "skipped: needs boom, which failed"  # type: ignore[attr-defined]


def test_fail_fast_dependents_of_a_cut_poller_are_skipped_naming_it() -> None:
    slow = Timing(timeout=5, interval=0.05, deadline=300)
    _, rep = run(
        spec("boom", "sleep-fail:0.2"),
        spec("rev", "fail", timing=slow),
        spec("health", "pass", needs=("rev",)),
    )
    assert statuses(rep) == {"boom": "FAIL", "rev": "FAIL", "health": "SKIP"}
    assert rep.result("health").summary == "skipped: needs rev, which failed"  # type: ignore[attr-defined]


def test_fail_fast_a_poller_short_of_its_successes_is_cancelled_not_passed() -> None:
    need_two = Timing(timeout=5, interval=2, deadline=300, successes=2)
    _, rep = run(spec("boom", "sleep-fail:0.2"), spec("p", "pass", timing=need_two))
    p = rep.result("p")  # type: ignore[attr-defined]
    assert p.status is Status.CANCELLED and "consecutive" in p.summary


def test_fail_fast_repeat_attempt_still_running_gets_a_short_grace() -> None:
    slow = Timing(timeout=30, interval=0.01, deadline=300)
    t0 = time.monotonic()
    _, rep = run(spec("boom", "sleep-fail:0.3"), spec("poll", "fail", "sleep:20", timing=slow))
    assert time.monotonic() - t0 < 10
    poll = rep.result("poll")  # type: ignore[attr-defined]
    assert poll.status is Status.FAIL and poll.summary.startswith("bad")


def test_fail_fast_statuses_are_the_same_on_every_run() -> None:
    slow = Timing(timeout=5, interval=0.02, deadline=300)
    specs = (
        spec("boom", "fail-final"),
        spec("poll", "fail", "fail", "pass", timing=slow),
        spec("later", "sleep:0.2"),
        spec("dep", "pass", needs=("later",)),
        spec("dep2", "pass", needs=("poll",)),
    )
    seen = set()
    for _ in range(3):
        Script.calls.clear()
        _, rep = run(*specs)
        seen.add(tuple(sorted(statuses(rep).items())))
    assert len(seen) == 1, seen


def test_no_fail_fast_waits_for_all() -> None:
    slow = Timing(timeout=5, interval=0.01, deadline=0.3)
    _, rep = run(spec("a", "fail-final"), spec("h", "fail", "fail", "pass", timing=slow), fail_fast=False)
    assert rep.result("h").status is Status.PASS  # type: ignore[attr-defined]


def test_hung_attempt_is_abandoned_at_its_timeout() -> None:
    t0 = time.monotonic()
    _, rep = run(spec("h", "hang", timing=Timing(timeout=0.3, interval=0.01, deadline=0)), spec("b", "pass"))
    assert time.monotonic() - t0 < 5
    h = rep.result("h")  # type: ignore[attr-defined]
    assert h.status is Status.ERROR and "timed out" in h.summary
    assert rep.result("b").status is Status.PASS  # type: ignore[attr-defined]


def test_global_deadline_bounds_the_run() -> None:
    t0 = time.monotonic()
    _, rep = run(spec("h", "fail", timing=Timing(timeout=5, interval=0.05, deadline=60)), deadline=0.5)
    assert time.monotonic() - t0 < 3
    h = rep.result("h")  # type: ignore[attr-defined]
    assert h.status is Status.FAIL and "deadline" in h.summary


def test_global_deadline_with_hung_check_is_error() -> None:
    _, rep = run(spec("h", "hang", timing=Timing(timeout=60, interval=1, deadline=0)), deadline=0.5)
    assert rep.result("h").status is Status.ERROR  # type: ignore[attr-defined]
    assert rep.exit_code == 3  # type: ignore[attr-defined]


def test_api_errors_map_to_error_and_not_found_to_fail() -> None:
    _, rep = run(spec("denied", "403"), spec("ghost", "404"), fail_fast=False)
    d, g = rep.result("denied"), rep.result("ghost")  # type: ignore[attr-defined]
    assert d.status is Status.ERROR and "run.services.get" in d.summary and "HTTP 403" in d.summary
    assert g.status is Status.FAIL and "services/ghost" in g.summary


def test_unknown_type_is_error_not_pass() -> None:
    policy = Policy("p", "r", (CheckSpec("x", "no.such", {}),))
    rep = run_policy(policy, RunContext("p", "r"))
    assert rep.results[0].status is Status.ERROR and rep.exit_code == 3


def test_secrets_registered_by_a_check_are_redacted() -> None:
    _, rep = run(spec("s", "secret:canary-5f2a9"))
    r = rep.result("s")  # type: ignore[attr-defined]
    blob = repr(r)
    assert "canary-5f2a9" not in blob and "***" in r.summary


def test_interrupt_cancels_promptly() -> None:
    policy = Policy("p", "r", (spec("h", "fail", timing=Timing(timeout=5, interval=0.05, deadline=60)),))
    eng = Engine(policy, RunContext("p", "r"))
    threading.Timer(0.3, eng.interrupt, args=("SIGINT",)).start()
    t0 = time.monotonic()
    rep = eng.execute()
    assert time.monotonic() - t0 < 2
    assert rep.exit_code == 130 and rep.result("h").status is Status.CANCELLED


@pytest.mark.parametrize(
    ("states", "code"),
    [
        (["PASS"], 0),
        (["PASS", "PASS"], 0),
        (["FAIL"], 1),
        (["FAIL", "ERROR"], 1),
        (["FAIL", "SKIP"], 1),
        (["FAIL", "CANCELLED"], 1),
        (["ERROR"], 3),
        (["SKIP"], 3),
        (["PASS", "ERROR"], 3),
        (["PASS", "SKIP"], 3),
        (["PASS", "CANCELLED"], 3),
        ([], 3),
    ],
)
def test_verdict_table(states: list[str], code: int) -> None:
    from gate.model import CheckResult, Report

    results = tuple(CheckResult(f"c{i}", "t", Severity.BLOCK, Status(s), "") for i, s in enumerate(states))
    results += (CheckResult("adv", "t", Severity.WARN, Status.ERROR, ""),)
    assert Report("p", "r", "x", results, "", 0).exit_code == code


def test_sigterm_exit_code() -> None:
    from gate.model import Report

    assert Report("p", "r", "x", (), "", 0, interrupted_by="SIGTERM").exit_code == 143


# -- waivers: applied when a check finishes ----------------------------------------------


def waiver(check: str, match: str | None = None) -> Waiver:
    # The engine never judges dates (the loader refuses an expired waiver): any date will do.
    return Waiver(check, "known", "team", date(2000, 1, 1), match)


def run_waived(*specs: CheckSpec, waivers: tuple[Waiver, ...], **opts: object) -> Report:
    policy = Policy("p", "r", tuple(specs), waivers=waivers)
    return run_policy(policy, RunContext("p", "r"), EngineOptions(**opts))  # type: ignore[arg-type]


def test_a_waived_blocking_fail_lets_the_run_pass_and_says_so() -> None:
    rep = run_waived(spec("a", "pass"), spec("b", "fail-final"), waivers=(waiver("b", "definitely"),))
    b = rep.result("b")
    assert b.status is Status.WAIVED and b.summary == "definitely bad"
    assert b.waiver is not None and b.waiver.state is WaiverState.APPLIED
    assert rep.result("a").waiver is None
    assert (rep.verdict, rep.exit_code) == (Verdict.PASS, 0)


def test_a_waiver_whose_match_misses_leaves_the_fail() -> None:
    rep = run_waived(spec("a", "pass"), spec("b", "fail-final"), waivers=(waiver("b", "tier"),))
    b = rep.result("b")
    assert b.status is Status.FAIL and b.waiver is not None and b.waiver.state is WaiverState.NOT_MATCHED
    assert rep.exit_code == 1


def test_an_error_is_never_waived() -> None:
    rep = run_waived(spec("a", "pass"), spec("b", "403"), waivers=(waiver("b"),))
    b = rep.result("b")
    assert b.status is Status.ERROR and b.waiver is not None
    assert b.waiver.state is WaiverState.NOT_APPLICABLE
    assert rep.exit_code == 3


def test_an_advisory_fail_is_waived_not_warned_and_a_missed_one_warns() -> None:
    rep = run_waived(
        spec("a", "pass"),
        spec("w1", "fail-final", severity=Severity.WARN),
        spec("w2", "fail-final", severity=Severity.WARN),
        waivers=(waiver("w1"), waiver("w2", "nope")),
    )
    assert rep.result("w1").status is Status.WAIVED
    assert rep.result("w2").status is Status.WARN
    w2 = rep.result("w2").waiver
    assert w2 is not None and w2.state is WaiverState.NOT_MATCHED


def test_a_check_that_passes_while_waived_says_the_waiver_is_not_needed() -> None:
    rep = run_waived(spec("a", "pass"), waivers=(waiver("a"),))
    a = rep.result("a")
    assert a.status is Status.PASS and a.waiver is not None and a.waiver.state is WaiverState.NOT_NEEDED


def test_a_waiver_is_judged_on_the_final_answer_of_a_polled_check() -> None:
    # The first attempts fail; the check is polled on and passes: nothing was waived.
    timing = Timing(timeout=5, interval=0.01, deadline=5)
    rep = run_waived(spec("a", "fail", "fail", "pass", timing=timing), waivers=(waiver("a"),))
    a = rep.result("a")
    assert a.status is Status.PASS and a.waiver is not None and a.waiver.state is WaiverState.NOT_NEEDED


def test_a_waived_failure_does_not_start_fail_fast() -> None:
    # b keeps polling until it passes: a waived failure is not a reason to stop waiting.
    timing = Timing(timeout=5, interval=0.01, deadline=5)
    rep = run_waived(
        spec("a", "fail-final"), spec("b", "fail", "fail", "pass", timing=timing), waivers=(waiver("a"),)
    )
    assert rep.result("a").status is Status.WAIVED
    assert rep.result("b").status is Status.PASS and len(rep.result("b").attempts) == 3
    assert rep.exit_code == 0


def test_a_check_that_needs_a_waived_one_runs_and_is_judged_on_its_own() -> None:
    rep = run_waived(
        spec("a", "fail-final"),
        spec("b", "pass", needs=("a",)),
        spec("c", "fail-final", needs=("a",)),
        waivers=(waiver("a"),),
    )
    assert rep.result("b").status is Status.PASS and Script.calls["b"] == 1
    assert rep.result("c").status is Status.FAIL  # its own failure still blocks
    assert rep.exit_code == 1


def test_a_skipped_check_keeps_its_skip_whatever_its_waiver() -> None:
    rep = run_waived(spec("a", "403"), spec("b", "fail-final", needs=("a",)), waivers=(waiver("b"),))
    b = rep.result("b")
    assert b.status is Status.SKIP and b.waiver is not None and b.waiver.state is WaiverState.NOT_APPLICABLE
    assert "b" not in Script.calls
