"""Fault injection: what can go wrong between gate and a Google API.

A Fault matches requests by API name, HTTP method and a path regex, then
changes the answer. ``times`` counts the matching requests it affects (0 =
every one), which gives "N failures, then success" for free.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

APIS = (
    "run",
    "vpcaccess",
    "redis",
    "sqladmin",
    "compute",
    "logging",
    "monitoring",
    "secretmanager",
    "networkmanagement",
)


@dataclass
class Fault:
    api: str | None = None  # one of APIS; None = any
    method: str | None = None  # GET, POST, PATCH, DELETE; None = any
    path: str | None = None  # regex searched in the URL path (no query); None = any
    status: int | None = None  # answer with this HTTP status and a Google error body
    message: str | None = None  # error message; default names the permission for 403
    permission: str | None = None  # for 403; default: the route's real permission
    delay: float = 0.0  # seconds added before answering (combines with the rest)
    times: int = 0  # matching requests affected; 0 = always
    malformed: bool = False  # 200 with a body that is not JSON
    drop: tuple[str, ...] = ()  # answer normally minus these fields (dotted, camelCase)
    hang: bool = False  # never answer; the connection closes when the server stops
    reset: bool = False  # close the connection with a TCP reset, no answer
    empty_page: bool = False  # a list page with no items that still has a nextPageToken
    retry_delay: str | None = None  # with status: a google.rpc.RetryInfo detail, e.g. "3s"
    _used: int = field(default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path) if self.path else None

    def matches(self, api: str, method: str, path: str) -> bool:
        if self.api and self.api != api:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self._regex and not self._regex.search(path))

    @property
    def spent(self) -> bool:
        return bool(self.times) and self._used >= self.times


# World-file keys (camelCase like the resources) -> Fault attributes.
FIELDS: Mapping[str, str] = {
    "api": "api",
    "method": "method",
    "path": "path",
    "status": "status",
    "message": "message",
    "permission": "permission",
    "delay": "delay",
    "times": "times",
    "malformed": "malformed",
    "drop": "drop",
    "hang": "hang",
    "reset": "reset",
    "emptyPage": "empty_page",
    "retryDelay": "retry_delay",
}


class FaultSet:
    """Thread-safe list of faults; ``take`` consumes one use of each match."""

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = list(faults or [])

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, api: str, method: str, path: str) -> list[Fault]:
        with self._lock:
            hits = [f for f in self._faults if not f.spent and f.matches(api, method, path)]
            for f in hits:
                f._used += 1
            return hits


def summarise(faults: list[Fault]) -> dict[str, Any]:
    """Merge matching faults into one plan: the first one of each kind wins."""
    plan: dict[str, Any] = {"delay": sum(f.delay for f in faults)}
    for f in faults:
        for key in ("status", "message", "permission", "retry_delay"):
            if getattr(f, key) is not None:
                plan.setdefault(key, getattr(f, key))
        for key in ("malformed", "hang", "reset", "empty_page"):
            if getattr(f, key):
                plan[key] = True
        if f.drop:
            plan.setdefault("drop", f.drop)
    return plan
