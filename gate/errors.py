"""Exceptions that cross layers. Imports nothing of the project but the model.

The engine maps them onto check statuses (see ``gate.engine``) and the CLI maps
the rest onto exit codes; nothing else catches them broadly.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate.model import SourceRef


class GateError(Exception):
    """Base of every error gate raises on purpose."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem in an input file, formatted as ``file:line:col: path: message``."""

    source: SourceRef | None
    path: str  # key path such as ``checks[2].retry.interval``; "" for the document
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"


class InputError(GateError):
    """A policy, check library, world or test file is invalid (exit code 2)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class UsageError(GateError):
    """Bad flags or arguments (exit code 2)."""


class CredentialsError(GateError):
    """No usable Google credentials (exit code 2); the message says how to log in."""


class ApiError(GateError):
    """A Google API call failed. The check becomes ERROR (could not be evaluated).

    The message names the API, the HTTP status, the canonical status and, where
    known, the permission and the resource, never a credential.
    """

    def __init__(
        self,
        api: str,
        message: str,
        *,
        code: int | None = None,
        status: str = "",
        permission: str = "",
        resource: str = "",
    ) -> None:
        self.api = api
        self.code = code
        self.status = status
        self.permission = permission
        self.resource = resource
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        parts = [f"HTTP {self.code}"] if self.code is not None else []
        if self.status:
            parts.append(self.status)
        head = f"{self.api}: {' '.join(parts)}" if parts else self.api
        tail = [self.detail] if self.detail else []
        if self.resource:
            tail.append(f"resource {self.resource}")
        if self.permission:
            tail.append(f"needs permission {self.permission}")
        return head + (": " + "; ".join(tail) if tail else "")

    @property
    def retryable(self) -> bool:
        return self.code in (429, 500, 502, 503, 504) or self.code is None


class NotFoundError(ApiError):
    """A gated resource does not exist (HTTP 404). The check FAILs, naming it."""


class MissingFactError(GateError):
    """An API answered but without a field the check needs: ERROR, never a pass."""
