"""The check types gate knows, by policy ``type:`` name.

Modules are imported on first use so that listing names costs nothing; a check
type module must not import a Google client at import time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.checks.base import CheckType

BUILTIN: dict[str, str] = {
    "http.health": "gate.checks.http_health:HttpHealth",
    "run.revision": "gate.checks.run_revision:RevisionReady",
    "run.env": "gate.checks.run_env:RequiredEnv",
    "run.diff": "gate.checks.run_diff:RevisionDiff",
    "network.reachability": "gate.checks.reachability:Reachability",
    "sql.instance": "gate.checks.sql_instance:SqlInstance",
    "logs.boot": "gate.checks.boot_log:BootLog",
    "websocket.golden_path": "gate.checks.golden_path:GoldenPath",
    "monitoring.metric": "gate.checks.metric:MonitoringMetric",
}

_extra: dict[str, type[CheckType]] = {}
_loaded: dict[str, type[CheckType]] = {}


def register(cls: type[CheckType]) -> type[CheckType]:
    """Add a check type at run time (tests, extensions). Usable as a decorator."""
    _extra[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    _extra.pop(name, None)


def names() -> list[str]:
    return sorted(set(BUILTIN) | set(_extra))


def get(name: str) -> type[CheckType]:
    if name in _extra:
        return _extra[name]
    if name in _loaded:
        return _loaded[name]
    target = BUILTIN.get(name)
    if target is None:
        raise KeyError(name)
    module_name, _, attr = target.partition(":")
    cls: type[CheckType] = getattr(importlib.import_module(module_name), attr)
    _loaded[name] = cls
    return cls


def all_types() -> list[type[CheckType]]:
    return [get(n) for n in names()]
