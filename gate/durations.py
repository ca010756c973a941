"""Durations as written in policies: ``500ms``, ``10s``, ``2m``, ``1m30s``, ``1h``."""

from __future__ import annotations

import json
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

PATTERN = r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$"


def parse(text: str) -> float:
    """Seconds in ``text``; raises ValueError with the expected form."""
    s = text.strip()
    if not _WHOLE.match(s):
        shown = json.dumps(text)
        hint = f' (give a unit: "{s}s")' if re.fullmatch(r"\d+(?:\.\d+)?", s) else ""
        raise ValueError(f'expected a duration like "10s", got {shown}{hint}')
    return sum(float(n) * _UNIT[u] for n, u in _PART.findall(s))


def format(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    m, s = divmod(round(seconds), 60)
    return f"{m}m{s}s" if s else f"{m}m"
