"""Per-run memo with single-flight: concurrent askers of one key share one call.

Failures are not memoised: the next asker calls again. A follower whose own
deadline is later than the leader's retries itself when the leader failed for
a reason time could cure (a timeout, a 5xx), so a check with a longer deadline
is never failed by a shorter one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

from gate.errors import ApiError

T = TypeVar("T")


@dataclass
class _Flight:
    future: Future[Any]
    deadline: float


class Memo:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Hashable, Any] = {}
        self._flights: dict[Hashable, _Flight] = {}

    def fetch(self, key: Hashable, fn: Callable[[float], T], *, deadline: float, fresh: bool = False) -> T:
        """``fn(deadline)`` once per key per run (``fresh=True`` calls again and updates the memo)."""
        while True:
            with self._lock:
                flight = self._flights.get(key)
                if flight is None:
                    if not fresh and key in self._values:
                        return self._values[key]  # type: ignore[no-any-return]
                    flight = _Flight(Future(), deadline)
                    self._flights[key] = flight
                    leader = True
                else:
                    # A fresh asker may join a call already in flight: it started
                    # no earlier than the asker arrived at the memo's lock.
                    leader = False
            if leader:
                return self._lead(key, flight, fn)
            try:
                return flight.future.result(timeout=max(0.0, deadline - time.monotonic()))  # type: ignore[no-any-return]
            except FutureTimeout:
                raise ApiError(
                    "gate", f"timed out waiting for an in-flight request ({_label(key)})"
                ) from None
            except ApiError as e:
                if e.retryable and deadline > flight.deadline + 0.05 and time.monotonic() < deadline:
                    fresh = True
                    continue
                raise

    def _lead(self, key: Hashable, flight: _Flight, fn: Callable[[float], T]) -> T:
        try:
            value = fn(flight.deadline)
        except BaseException as e:
            with self._lock:
                del self._flights[key]
            flight.future.set_exception(e)
            raise
        with self._lock:
            self._values[key] = value
            del self._flights[key]
        flight.future.set_result(value)
        return value


def _label(key: Hashable) -> str:
    return "/".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
