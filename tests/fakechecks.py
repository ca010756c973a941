"""Small check types for engine and CLI tests, registered on demand."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from gate.checks.base import CheckType
from gate.context import AttemptContext
from gate.errors import ApiError, NotFoundError
from gate.model import Outcome


class Script(CheckType):
    """Follows ``with.script``: a list of steps, one per attempt (the last repeats).

    A step is ``pass``, ``fail``, ``error``, ``fail-final``, ``raise``, ``403``,
    ``404``, ``sleep:<seconds>`` (then pass), ``sleep-fail:<seconds>`` (then a final
    failure) or ``hang`` (ignores its deadline).
    """

    name = "test.script"
    summary = "scripted outcomes, for tests"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"script": {"type": "array", "items": {"type": "string"}}},
        "additionalProperties": False,
    }
    example: ClassVar[dict[str, Any]] = {"id": "x", "type": "test.script", "with": {"script": ["pass"]}}
    calls: ClassVar[dict[str, int]] = {}
    lock = threading.Lock()

    def attempt(self, ctx: AttemptContext) -> Outcome:
        with self.lock:
            n = Script.calls.get(self.spec.id, 0)
            Script.calls[self.spec.id] = n + 1
        script = list(self.params.get("script", ["pass"]))
        step = script[min(n, len(script) - 1)]
        if step == "pass":
            return Outcome.passed("ok", metrics={"n": n + 1})
        if step == "fail":
            return Outcome.failed("bad", evidence={"attempt": n + 1})
        if step == "fail-final":
            return Outcome.failed("definitely bad", final=True)
        if step == "error":
            return Outcome.error("could not see")
        if step == "raise":
            raise RuntimeError("boom inside the check")
        if step == "403":
            raise ApiError(
                "run.googleapis.com",
                "denied",
                code=403,
                status="PERMISSION_DENIED",
                permission="run.services.get",
            )
        if step == "404":
            raise NotFoundError(
                "run.googleapis.com", "missing", code=404, status="NOT_FOUND", resource="services/ghost"
            )
        if step.startswith("sleep-fail:"):
            time.sleep(float(step.split(":")[1]))
            return Outcome.failed("failed after a while", final=True)
        if step.startswith("sleep:"):
            time.sleep(float(step.split(":")[1]))
            return Outcome.passed("slept")
        if step == "hang":
            time.sleep(3600)
        if step.startswith("secret:"):
            value = ctx.secret(step.split(":", 1)[1])
            return Outcome.failed(f"saw {value}", evidence={"v": value, "nested": [f"x{value}x"]})
        raise AssertionError(step)
