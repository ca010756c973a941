"""The mutable copy of a world that one running emulator serves.

The World stays as loaded; PATCHes and created connectivity tests change only
this copy, so a World can be served many times and each run starts clean.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gate.emulator.wire import ApiFailure, Request, Response
from gate.emulator.world import World


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class State:
    def __init__(self, world: World, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.world = world
        # What "now" is for relative times in the world (monitoring points): tests may fix it.
        self.clock = clock
        self.lock = threading.RLock()
        self.resources: dict[str, dict[str, list[dict[str, Any]]]] = copy.deepcopy(world.resources)
        self.operations: dict[str, dict[str, Any]] = {}
        self.connectivity_tests: dict[str, dict[str, Any]] = {}

    def items(self, section: str, kind: str) -> list[dict[str, Any]]:
        return self.resources.get(section, {}).get(kind, [])

    def same_project(self, asked: str, written: str) -> bool:
        """Requests name projects by id; pasted responses often by number."""
        ids = {self.world.project, self.world.project_number} - {""}
        return asked == written or (asked in ids and written in ids)

    def name_matches(self, asked: str, written: str) -> bool:
        """Full names equal, allowing the project id/number swap in segment 2."""
        a, w = asked.split("/"), written.split("/")
        if len(a) != len(w) or len(a) < 2 or a[0] != w[0]:
            return False
        return self.same_project(a[1], w[1]) and a[2:] == w[2:]

    def find(self, section: str, kind: str, name: str, key: str = "name") -> dict[str, Any] | None:
        for item in self.items(section, kind):
            if self.name_matches(name, str(item.get(key, ""))):
                return item
        return None

    def under(self, section: str, kind: str, parent: str, key: str = "name") -> list[dict[str, Any]]:
        """Resources whose full name is directly below ``parent`` ("-" matches any segment)."""
        want = parent.split("/")
        out = []
        for item in self.items(section, kind):
            got = str(item.get(key, "")).split("/")[: len(want)]
            if len(got) == len(want) and all(
                w in ("-", g) or (i == 1 and self.same_project(w, g))
                for i, (w, g) in enumerate(zip(want, got, strict=False))
            ):
                out.append(item)
        return out


@dataclass(frozen=True)
class Route:
    api: str
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., Response]
    permission: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.pattern.fullmatch(path)
        return m.groupdict() if m else None


def route(
    api: str, method: str, template: str, permission: str
) -> Callable[[Callable[..., Response]], Route]:
    """``/v2/projects/{project}/locations/{location}/services/{service}`` -> a Route."""
    rx = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/:]+)", template)
    pattern = re.compile(rx)

    def wrap(fn: Callable[..., Response]) -> Route:
        return Route(api, method, pattern, fn, permission)

    return wrap


def json_body(req: Request) -> dict[str, Any]:
    if not isinstance(req.body, dict):
        raise ApiFailure(400, "Invalid JSON payload received. Expected an object.")
    return req.body
