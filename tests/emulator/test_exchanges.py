"""``Emulator(world, exchanges=True)`` keeps request bodies and the answers exactly as sent."""

from __future__ import annotations

import json

import httpx

from gate.emulator import Emulator, Fault, load_world
from tests.conformance.recording import WORLDS

SERVICE = "/v2/projects/netra-staging/locations/us-central1/services/netra-backend-staging"


def test_exchanges_hold_bodies_and_answers_as_sent() -> None:
    world = load_world(WORLDS / "s12-healthy.yaml")
    with Emulator(world, exchanges=True) as emu:
        emu.add_fault(Fault(api="run", method="GET", path="services/netra-backend-staging$", drop=("uri",)))
        httpx.get(emu.api_endpoint + SERVICE + "?x=1")
        httpx.post(emu.api_endpoint + "/v2/entries:list", json={"resourceNames": []})
        first, second = emu.exchanges
    assert (first.method, first.path, first.query, first.status) == ("GET", SERVICE, {"x": ["1"]}, 200)
    served = json.loads(first.response)
    assert "uri" not in served and served["name"].endswith("/netra-backend-staging")  # after the fault
    assert json.loads(second.body) == {"resourceNames": []} and second.status == 400
    assert "error" in json.loads(second.response)


def test_exchanges_are_off_by_default() -> None:
    with Emulator(load_world(WORLDS / "s12-healthy.yaml")) as emu:
        httpx.get(emu.api_endpoint + SERVICE)
        assert emu.exchanges == [] and len(emu.requests) == 1
