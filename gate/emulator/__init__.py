"""A wire-compatible emulator of the Google APIs gate reads, driven by world files.

from gate.emulator import load_world, Emulator, World, Fault
with Emulator(load_world("s1.yaml"), port=0) as emu:
    os.environ["GATE_EMULATOR_HOST"] = emu.api_host
"""

from __future__ import annotations

from gate.emulator.emulator import Emulator
from gate.emulator.faults import Fault
from gate.emulator.server import Exchange, RecordedRequest
from gate.emulator.world import Endpoint, EndpointPath, World, load_world, parse_world

__all__ = [
    "Emulator",
    "Endpoint",
    "EndpointPath",
    "Exchange",
    "Fault",
    "RecordedRequest",
    "World",
    "load_world",
    "parse_world",
]
