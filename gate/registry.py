"""The check types gate knows, by policy ``type:`` name.

Modules are imported on first use so that listing names costs nothing; a check
type module must not import a Google client at import time.
"""

from __future__ import annotations

import importlib
import importlib.util
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
    return sorted(set(_available_builtin()) | set(_extra))


def _available_builtin() -> list[str]:
    # A built-in whose module is not written yet is simply not offered.
    out = []
    for name, target in BUILTIN.items():
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            out.append(name)
    return out


def get(name: str) -> type[CheckType]:
    if name in _extra:
        return _extra[name]
    if name in _loaded:
        return _loaded[name]
    target = BUILTIN.get(name)
    if target is None:
        raise KeyError(name)
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise KeyError(name) from None
        raise
    cls: type[CheckType] = getattr(module, attr)
    _loaded[name] = cls
    return cls


def all_types() -> list[type[CheckType]]:
    return [get(n) for n in names()]
