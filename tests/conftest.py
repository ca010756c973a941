"""Suite-wide set-up: one validated-world cache per test session (gate.emulator.worldcache).

Every test and every CLI subprocess it starts shares a fresh cache directory, set
before collection (some test modules load worlds at import), so a world file is
validated in full the first time the session loads it and the user's own cache
(~/.cache/gate) is never read or written. Set GATE_CACHE_DIR yourself to choose
another (an empty value turns the cache off).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from gate.emulator.worldcache import CACHE_ENV

_made: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    if CACHE_ENV not in os.environ:
        _made.append(tempfile.mkdtemp(prefix="gate-test-cache-"))
        os.environ[CACHE_ENV] = _made[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    for directory in _made:
        os.environ.pop(CACHE_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
