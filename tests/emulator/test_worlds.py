"""World files: every shipped world is valid against the clients' own messages; bad files point at the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format

from gate.emulator import load_world, parse_world
from gate.emulator.kinds import KINDS
from gate.errors import InputError
from tests.emulator.conftest import WORLDS

SHIPPED = sorted(WORLDS.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_world_parses_strictly(path: Path) -> None:
    """Contract: every resource parses as the client's message type with ignore_unknown_fields=False."""
    world = load_world(path)
    assert world.project == "netra-staging"
    for kind in KINDS:
        cls = kind.message_class()
        for item in world.items(kind.section, kind.key):
            json_format.ParseDict(item, cls(), ignore_unknown_fields=False)


def test_incident_worlds_exist() -> None:
    names = {p.stem.split("-")[0] for p in SHIPPED}
    assert {"s1", "s2", "s3", "s5", "s6", "s7", "s8", "s9", "s12"} <= names


HEAD = "apiVersion: gate/v1\nkind: World\nname: t\nproject: p\n"


def _errors(text: str) -> list[str]:
    with pytest.raises(InputError) as e:
        parse_world(text, "w.yaml")
    return [str(d) for d in e.value.diagnostics]


def test_unknown_field_points_at_its_key() -> None:
    errs = _errors(
        HEAD + "redis:\n  instances:\n    - name: projects/p/locations/l/instances/r\n      hostt: 10.0.0.1\n"
    )
    assert errs[0].startswith("w.yaml:8:7: redis.instances[0].hostt: unknown field 'hostt'")


def test_bad_enum_points_at_its_key() -> None:
    errs = _errors(
        HEAD + "vpcaccess:\n  connectors:\n    - name: projects/p/locations/l/connectors/c\n"
        "      state: GREEN\n"
    )
    assert errs[0].startswith("w.yaml:8:7: vpcaccess.connectors[0].state: invalid State value 'GREEN'")


def test_short_resource_name_is_refused() -> None:
    errs = _errors(HEAD + "run:\n  services:\n    - name: netra-backend-staging\n")
    assert errs == [
        "w.yaml:7:7: run.services[0].name: required: a full name like "
        "'projects/netra-staging/locations/us-central1/services/netra-backend-staging', "
        "got 'netra-backend-staging'"
    ]


def test_bad_timestamp_bad_fault_and_yaml_syntax() -> None:
    errs = _errors(
        HEAD + "logging:\n  entries:\n    - logName: projects/p/logs/x\n      timestamp: yesterday\n"
        "faults:\n  - {api: nope, status: 200}\n"
    )
    assert errs[0].startswith("w.yaml:8:7: logging.entries[0].timestamp: Failed to parse timestamp")
    assert errs[1].startswith("w.yaml:10:6: faults[0].api: unknown api 'nope'")
    assert errs[2].startswith("w.yaml:10:17: faults[0].status: expected an HTTP error status")
    syntax = _errors("apiVersion: gate/v1\nkind: [World\n")
    assert syntax[0].startswith("w.yaml:3:1: invalid YAML")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read world file"):
        load_world(tmp_path / "none.yaml")
