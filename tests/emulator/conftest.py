"""Shared fixtures: the healthy world served once per module, and client builders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.emulator import Emulator, World, load_world

WORLDS = Path(__file__).resolve().parents[2] / "gate" / "emulator" / "worlds"


@pytest.fixture(scope="module")
def healthy() -> World:
    return load_world(WORLDS / "s12-healthy.yaml")


@pytest.fixture(scope="module")
def emu(healthy: World) -> Iterator[Emulator]:
    with Emulator(healthy, port=0) as e:
        yield e


@pytest.fixture(autouse=True)
def _clean_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "emu" in request.fixturenames:
        request.getfixturevalue("emu").clear_faults()


def client(cls: Any, emu: Emulator) -> Any:
    """An official client over REST to the emulator, as gate's providers build them."""
    from google.auth.credentials import AnonymousCredentials

    return cls(
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        transport="rest",
        client_options={"api_endpoint": emu.api_endpoint},
    )
