"""Every field gate/gcp/<api>.py reads exists in the API's discovery document, and is declared."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.conformance import contract, discovery, reads
from tests.conformance.conftest import COUNTS
from tests.conformance.reads_table import READS

GCP = Path(__file__).resolve().parents[2] / "gate" / "gcp"


@functools.cache
def walks() -> dict[str, reads.Walked]:
    return {
        api: reads.ModuleWalk(
            GCP / f"{api}.py",
            api,
            contract.CALLS,
            contract.LRO,
            contract.ROOTS.get(api, {}),
            contract.WRAPPERS.get(api, {}),
        ).run()
        for api in discovery.DOCUMENTS
    }


def render(api: str, entries: set[tuple[str, str, str]]) -> str:
    lines = "".join(f'        "{s}.{f}",\n' for _, s, f in sorted(entries))
    return f'    "{api}": {{\n{lines}    }},\n'


def test_every_provider_module_is_walked() -> None:
    providers = {p.stem for p in GCP.glob("*.py")} - {"__init__", "cloud", "facts", "facts_run", "names"}
    assert providers == set(discovery.DOCUMENTS), "a provider without a discovery document (or vice versa)"


def test_calls_name_real_methods() -> None:
    for (api, _label), method in contract.CALLS.items():
        discovery.method_by_id(api.split(".")[0], method)  # KeyError names the unknown method


@pytest.mark.parametrize("api", sorted(discovery.DOCUMENTS))
def test_provider_reads_only_documented_and_declared_fields(api: str) -> None:
    w = walks()[api]
    assert not w.violations, "\n".join(w.violations)
    undeclared = {(api, fn, attr) for fn, attr in w.untyped} - set(contract.UNTYPED)
    assert not undeclared, (
        "attributes that may be API fields, read on values the walk could not type: give the "
        f"function a ROOTS entry or explain it in UNTYPED: {sorted(undeclared)}"
    )
    unknown_labels = w.labels - set(contract.CALLS)
    assert not unknown_labels, f"calls missing from contract.CALLS: {sorted(unknown_labels)}"
    declared = {(api, *e.split(".", 1)) for e in READS.get(api, set())}
    found = {(a, s, f) for a, s, f in w.reads}
    assert found == declared, (
        f"gate/gcp/{api}.py reads {len(found)} fields, reads_table.READS declares {len(declared)}; "
        f"new: {sorted(found - declared)}; no longer read: {sorted(declared - found)}. "
        f"Review, then replace the entry with:\n{render(api, found)}"
    )


def test_declared_reads_exist_in_discovery() -> None:
    total = 0
    for api, entries in READS.items():
        for entry in entries:
            owner, field = entry.split(".", 1)
            props = discovery.schema(api, owner).get("properties", {})
            assert field in props, f"{discovery.DOCUMENTS[api]}: {owner} has no field {field}"
            total += 1
    COUNTS["provider fields checked"] = total


def test_untyped_entries_are_still_needed() -> None:
    used = {(api, fn, attr) for api, w in walks().items() for fn, attr in w.untyped}
    assert set(contract.UNTYPED) <= used, f"stale UNTYPED entries: {sorted(set(contract.UNTYPED) - used)}"


def test_the_walk_catches_unknown_fields_and_untyped_reads(tmp_path: Path) -> None:
    src = tmp_path / "redis.py"
    src.write_text(
        "def get(transport):\n"
        "    m = transport.call('redis', 'GetInstance', lambda t: None)\n"
        "    return parse(m)\n"
        "def parse(m):\n"
        "    return m.host, m.no_such_field, m.persistence_config.persistence_mode\n"
        "def elsewhere(x):\n"
        "    return x.reserved_ip_range\n"
    )
    w = reads.ModuleWalk(src, "redis", contract.CALLS, contract.LRO, {}).run()
    assert any("has no field 'no_such_field'" in v for v in w.violations), w.violations
    assert ("redis", "PersistenceConfig", "persistenceMode") in w.reads
    assert ("elsewhere", "reserved_ip_range") in w.untyped
