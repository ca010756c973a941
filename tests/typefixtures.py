"""The loader's test-only check types (tests/policy/files/testtypes.py), registered for a test.

Import the fixture into a test module (``from tests.typefixtures import test_types``);
it is autouse there. It also runs the test from the repo root, because diagnostics
print file names as given, relative to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gate import registry
from tests.policy.files.testtypes import TYPES

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def test_types(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(REPO)
    for t in TYPES:
        registry.register(t)
    yield
    for t in TYPES:
        registry.unregister(t.name)
