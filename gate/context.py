"""What a check attempt may use: its deadline, the providers, the environment.

Kept free of Google imports: ``cloud`` is built lazily by ``gate.gcp.cloud`` and
typed loosely here so that importing a check type never imports a client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.redact import Redactor
from gate.resolve import Resolver


class Cancelled(Exception):
    """Raised inside a check when the run no longer wants its answer."""


@dataclass
class RunContext:
    """Shared by every check of one run."""

    project: str
    region: str
    vars: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    cloud: Any = None  # gate.gcp.cloud.Cloud; Any keeps this module import-light
    resolver: Resolver = field(default_factory=Resolver)
    redactor: Redactor = field(default_factory=Redactor)
    cancelled: threading.Event = field(default_factory=threading.Event)
    # Exchanges recorded for the evidence bundle (already redacted); None = not recording.
    recorder: Any = None


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
    def cloud(self) -> Any:
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
