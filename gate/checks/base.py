"""The interface every check type implements.

A check type is built once per check in a policy (so it can compile regexes and
parse assertions once) and then attempted as often as the engine's poll loop
asks. Check types never print, exit, parse YAML or build API clients: they read
facts through ``ctx.cloud`` (providers) or talk HTTP/WebSocket themselves, and
return an :class:`~gate.model.Outcome`.

Raising is allowed: ``NotFoundError`` becomes FAIL naming the resource,
``ApiError`` and ``MissingFactError`` become ERROR, and any other exception
becomes ERROR with its type (see ``gate.engine``).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from gate.model import CheckSpec, Outcome

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.context import AttemptContext


class CheckType(abc.ABC):
    #: the ``type:`` value in a policy, e.g. ``http.health``
    name: ClassVar[str]
    #: one line for ``gate list-checks``
    summary: ClassVar[str]
    #: a paragraph or more for ``gate explain``
    description: ClassVar[str] = ""
    #: JSON Schema (Draft 2020-12) of the check's ``with:`` mapping
    params_schema: ClassVar[Mapping[str, Any]]
    #: an example check (the whole list item, as YAML-able data) for ``gate explain``
    example: ClassVar[Mapping[str, Any]]
    #: Google APIs this check may call (names as in ``gate.gcp``); informs docs and IAM roles
    apis: ClassVar[tuple[str, ...]] = ()

    def __init__(self, spec: CheckSpec) -> None:
        self.spec = spec
        self.params: Mapping[str, Any] = spec.params

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems the JSON Schema cannot express, as ``(sub_path, message)``.

        ``sub_path`` is relative to ``with`` (e.g. ``"assert[1]"``). Called by the
        loader, so a bad regex is a policy error (exit 2), not a run-time ERROR.
        """
        return []

    @classmethod
    def uses_cloud(cls, params: Mapping[str, Any]) -> bool:
        """Whether this check (with these params) calls Google APIs, so credentials
        are needed before the run starts (a missing login fails fast, exit 2)."""
        return bool(cls.apis)

    @classmethod
    def apis_for(cls, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The APIs this check (with these params) will call, so a run imports their
        clients in the background from its start (``gate.gcp.transport.preload``).
        Only a hint for speed: a client not named here is imported on first use."""
        return cls.apis if cls.uses_cloud(params) else ()

    @abc.abstractmethod
    def attempt(self, ctx: AttemptContext) -> Outcome:
        """Evaluate once, returning within ``ctx.deadline``."""
