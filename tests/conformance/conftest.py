"""One recording of every scenario per session, and the suite's counts in pytest's summary."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.recording import Recorded, Runs, run_all

COUNTS: dict[str, int] = {}


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return run_all(tmp_path_factory.mktemp("conformance"))


@pytest.fixture(scope="session")
def recorded(runs: Runs) -> list[Recorded]:
    return runs.recorded


@pytest.fixture(scope="session")
def outcomes(runs: Runs) -> dict[str, dict[str, str]]:
    return runs.outcomes


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if COUNTS:
        parts = ", ".join(f"{v} {k}" for k, v in COUNTS.items())
        terminalreporter.write_line(f"conformance against Google's discovery documents: {parts}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The sweeps serve an undocumented enum number on purpose; proto-plus warns when it parses one.
    quiet = pytest.mark.filterwarnings("ignore:Unrecognized .* enum value:UserWarning")
    for item in items:
        if "tests/conformance/" in item.nodeid:
            item.add_marker(quiet)
