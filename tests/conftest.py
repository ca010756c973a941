"""Suite-wide set-up: one validated-world cache per test session (gate.emulator.worldcache).

Every test and every CLI subprocess it starts shares a fresh cache directory, set
before collection (some test modules load worlds at import), so a world file is
validated in full the first time the session loads it and the user's own cache
(~/.cache/gate) is never read or written. Set GATE_CACHE_DIR yourself to choose
another (an empty value turns the cache off).
"""

from __future__ import annotations

import compileall
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from gate.emulator.worldcache import CACHE_ENV

_made: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # once, in the controller
        # The CLI subprocesses the tests start import gate from this tree; with
        # PYTHONDONTWRITEBYTECODE=1 (as on this project's machines) each would compile
        # every module again. Compiled once here, they load like an installed gate.
        compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "gate"), quiet=1)
    if CACHE_ENV not in os.environ:
        _made.append(tempfile.mkdtemp(prefix="gate-test-cache-"))
        os.environ[CACHE_ENV] = _made[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    for directory in _made:
        os.environ.pop(CACHE_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


# Suites that each keep both cores busy on their own (dozens of gate runs or CLI
# subprocesses at once): one worker runs them one after another, so they never starve
# each other's deadlines.
HEAVY = (
    "tests/conformance/",
    "tests/scenarios/test_incidents.py",
    "tests/hardening/test_api_faults.py",
    "tests/hardening/test_determinism.py",
)

# The longest files (measured with --durations), started first so that no worker is
# left with one of them at the end while the others are idle.
LONGEST_FIRST = (
    "heavy",
    "tests/test_bench_smoke.py",
    "tests/hardening/test_property.py",
    "tests/scenarios/test_targets.py",
    "tests/scenarios/test_api_semantics.py",
    "tests/scenarios/test_production.py",
    "tests/commands/test_demo.py",
)


def _scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return "heavy" if path.startswith(HEAVY) else path


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's, absent without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Files whole on one worker (so module fixtures are built once), like ``--dist
    loadfile``; the heavy suites share one worker (the conformance files also share one
    recording of every scenario, a session fixture, which each worker would otherwise
    record again at the same time). ``xdist_group`` marks cannot say this: pytest 9.2
    no longer lets xdist rename node ids, which those marks rely on."""
    from xdist.scheduler import LoadFileScheduling

    class FilesAndHeavy(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return FilesAndHeavy(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The order the xdist scheduler hands files out in (with --no-loadscope-reorder):
    # the longest first, the rest as collected.
    rank = {scope: i for i, scope in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_scope(item.nodeid), len(rank)))
