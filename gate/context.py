"""What a check attempt may use: its deadline, the providers, the environment.

Kept free of Google imports at run time: ``cloud`` is typed against the
``gate.gcp.cloud`` facade for mypy only, so importing a check type never imports
a client. The evidence recorder is a higher layer, so it is seen through a
``Protocol`` here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from gate.model import DeployTarget
from gate.probes.resolve import Resolver
from gate.redact import Redactor

if TYPE_CHECKING:
    from gate.gcp.cloud import Cloud


class ExchangeRecorder(Protocol):
    """Where HTTP and WebSocket exchanges go for the evidence bundle (``--evidence``)."""

    def record(
        self,
        check_id: str,
        *,
        kind: str,
        request: Mapping[str, Any],
        response: Mapping[str, Any],
        duration: float,
    ) -> None: ...


class Cancelled(Exception):
    """Raised inside a check when the run no longer wants its answer."""


@dataclass
class RunContext:
    """Shared by every check of one run."""

    project: str
    region: str
    vars: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    cloud: Cloud | None = None  # None when no check of the policy reads Google APIs
    resolver: Resolver = field(default_factory=Resolver)
    redactor: Redactor = field(default_factory=Redactor)
    cancelled: threading.Event = field(default_factory=threading.Event)
    # Exchanges recorded for the evidence bundle (already redacted); None = not recording.
    recorder: ExchangeRecorder | None = None
    # The revision checks judge unless they name their own (--tag/--revision, `target:`).
    target: DeployTarget | None = None


@dataclass
class AttemptContext:
    run: RunContext
    check_id: str
    deadline: float  # time.monotonic() by which the attempt must return
    attempt: int = 1

    @property
    def project(self) -> str:
        return self.run.project

    @property
    def region(self) -> str:
        return self.run.region

    @property
    def cloud(self) -> Cloud:
        if self.run.cloud is None:
            raise RuntimeError("this run has no Google API access (no provider was set up)")
        return self.run.cloud

    @property
    def env(self) -> Mapping[str, str]:
        return self.run.env

    @property
    def resolver(self) -> Resolver:
        return self.run.resolver

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def secret(self, value: str) -> str:
        """Register a value that must never be printed; returns it unchanged."""
        self.run.redactor.add(value)
        return value

    def check_cancelled(self) -> None:
        if self.run.cancelled.is_set():
            raise Cancelled()
