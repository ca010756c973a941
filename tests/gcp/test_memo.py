"""gate.gcp.transport.memo: one call per key per run, shared by concurrent askers, failures not kept.

Threads are ordered with events, never sleeps: the leader's call holds until the
follower has seen the call in flight (it has left the memo's lock as a follower).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pytest

from gate.errors import ApiError
from gate.gcp.transport.memo import Memo

KEY = ("run", "services/api")
WAIT = 10.0  # generous: only reached if the code under test is broken


class WatchedLock:
    """The memo's lock, telling the test when a thread other than the leader has left it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.leader: threading.Thread | None = None
        self.follower_left = threading.Event()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._lock.release()
        if self.leader is not None and threading.current_thread() is not self.leader:
            self.follower_left.set()


def watched() -> tuple[Memo, WatchedLock]:
    memo = Memo()
    lock = WatchedLock()
    memo._lock = lock  # type: ignore[assignment]  # a test double of the memo's own lock
    return memo, lock


class Calls:
    def __init__(self, result: Callable[[int, float], Any]) -> None:
        self.deadlines: list[float] = []
        self._result = result
        self._lock = threading.Lock()

    def __call__(self, deadline: float) -> Any:
        with self._lock:
            self.deadlines.append(deadline)
            n = len(self.deadlines)
        return self._result(n, deadline)


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as e:
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    return t, out


def lead_and_follow(
    memo: Memo,
    lock: WatchedLock,
    leader_call: Callable[[int, float], Any],
    *,
    leader_deadline: float,
    follower_deadline: float,
    follower_fresh: bool = False,
) -> tuple[dict[str, Any], dict[str, Any], Calls]:
    """The leader's call runs until the follower has joined it; returns both outcomes."""

    def call(n: int, deadline: float) -> Any:
        if n == 1:
            assert lock.follower_left.wait(WAIT), "the follower never reached the memo"
        return leader_call(n, deadline)

    calls = Calls(call)
    leader, leader_out = in_thread(lambda: memo.fetch(KEY, calls, deadline=leader_deadline))
    follower, follower_out = in_thread(
        lambda: memo.fetch(KEY, calls, deadline=follower_deadline, fresh=follower_fresh)
    )
    lock.leader = leader
    leader.start()
    follower.start()
    leader.join(WAIT)
    follower.join(WAIT)
    assert not leader.is_alive() and not follower.is_alive()
    return leader_out, follower_out, calls


def soon(seconds: float = 30.0) -> float:
    return time.monotonic() + seconds


# -- single flight ------------------------------------------------------------------------------


def test_concurrent_askers_share_one_call() -> None:
    memo, lock = watched()
    leader, follower, calls = lead_and_follow(
        memo, lock, lambda n, d: f"value {n}", leader_deadline=soon(), follower_deadline=soon()
    )
    assert leader == {"value": "value 1"} and follower == {"value": "value 1"}
    assert len(calls.deadlines) == 1


def test_a_fresh_asker_joins_a_call_already_in_flight() -> None:
    memo, lock = watched()
    _, follower, calls = lead_and_follow(
        memo,
        lock,
        lambda n, d: f"value {n}",
        leader_deadline=soon(),
        follower_deadline=soon(),
        follower_fresh=True,
    )
    assert follower == {"value": "value 1"} and len(calls.deadlines) == 1


def test_the_call_gets_the_leader_s_deadline() -> None:
    memo = Memo()
    deadline = soon(12.5)
    calls = Calls(lambda n, d: n)
    memo.fetch(KEY, calls, deadline=deadline)
    assert calls.deadlines == [deadline]


# -- the memo ---------------------------------------------------------------------------------


def test_a_value_is_kept_for_the_run_and_fresh_calls_again() -> None:
    memo = Memo()
    calls = Calls(lambda n, d: f"value {n}")
    assert memo.fetch(KEY, calls, deadline=soon()) == "value 1"
    assert memo.fetch(KEY, calls, deadline=soon()) == "value 1"
    assert memo.fetch(("run", "other"), calls, deadline=soon()) == "value 2"
    assert memo.fetch(KEY, calls, deadline=soon(), fresh=True) == "value 3"
    assert memo.fetch(KEY, calls, deadline=soon()) == "value 3"  # fresh updates the memo
    assert len(calls.deadlines) == 3


def test_a_failure_is_not_kept() -> None:
    memo = Memo()

    def fail_once(n: int, d: float) -> str:
        if n == 1:
            raise ApiError("run", "denied", code=403)
        return "value"

    calls = Calls(fail_once)
    with pytest.raises(ApiError, match="HTTP 403"):
        memo.fetch(KEY, calls, deadline=soon())
    assert memo.fetch(KEY, calls, deadline=soon()) == "value"
    assert len(calls.deadlines) == 2


def test_any_exception_clears_the_flight() -> None:
    class Stop(BaseException):
        pass

    memo = Memo()

    def stop_once(n: int, d: float) -> str:
        if n == 1:
            raise Stop
        return "value"

    calls = Calls(stop_once)
    with pytest.raises(Stop):
        memo.fetch(KEY, calls, deadline=soon())
    assert memo.fetch(KEY, calls, deadline=soon()) == "value"


# -- a follower and the leader's failure -------------------------------------------------------


def _unavailable(n: int, d: float) -> str:
    if n == 1:
        raise ApiError("run", "unavailable", code=503)
    return f"value {n}"


def test_a_follower_with_a_later_deadline_retries_a_failure_time_could_cure() -> None:
    memo, lock = watched()
    leader, follower, calls = lead_and_follow(
        memo, lock, _unavailable, leader_deadline=soon(5), follower_deadline=soon(60)
    )
    assert isinstance(leader["error"], ApiError) and leader["error"].code == 503
    assert follower == {"value": "value 2"}
    assert len(calls.deadlines) == 2 and calls.deadlines[1] > calls.deadlines[0]  # its own deadline


def test_a_follower_with_the_same_deadline_shares_the_failure() -> None:
    memo, lock = watched()
    deadline = soon()
    leader, follower, calls = lead_and_follow(
        memo, lock, _unavailable, leader_deadline=deadline, follower_deadline=deadline + 0.04
    )
    assert follower["error"] is leader["error"]
    assert len(calls.deadlines) == 1


def test_a_follower_does_not_retry_a_failure_time_cannot_cure() -> None:
    memo, lock = watched()

    def denied(n: int, d: float) -> str:
        raise ApiError("run", "denied", code=403, permission="run.services.get")

    leader, follower, calls = lead_and_follow(
        memo, lock, denied, leader_deadline=soon(5), follower_deadline=soon(60)
    )
    assert follower["error"] is leader["error"] and len(calls.deadlines) == 1


def test_a_follower_whose_deadline_passes_while_waiting_is_an_error_naming_the_request() -> None:
    memo, lock = watched()
    release = threading.Event()

    def held(n: int, d: float) -> str:
        assert release.wait(WAIT)
        return "value"

    calls = Calls(held)
    leader, leader_out = in_thread(lambda: memo.fetch(KEY, calls, deadline=soon()))
    lock.leader = leader
    leader.start()
    try:
        with pytest.raises(ApiError) as e:
            memo.fetch(KEY, calls, deadline=time.monotonic() - 1)  # already past: no wait at all
        assert str(e.value) == "gate: timed out waiting for an in-flight request (run/services/api)"
    finally:
        release.set()
        leader.join(WAIT)
    assert leader_out == {"value": "value"} and len(calls.deadlines) == 1


def test_the_label_of_a_plain_key() -> None:
    memo, lock = watched()
    release = threading.Event()
    calls = Calls(lambda n, d: release.wait(WAIT))
    leader, _ = in_thread(lambda: memo.fetch("tiers", calls, deadline=soon()))
    lock.leader = leader
    leader.start()
    try:
        with pytest.raises(ApiError, match=r"in-flight request \(tiers\)"):
            memo.fetch("tiers", calls, deadline=time.monotonic() - 1)
    finally:
        release.set()
        leader.join(WAIT)
