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


def test_the_walk_follows_label_pairs_assigned_together(tmp_path: Path) -> None:
    """``api, method = ...`` in both branches: each pair's answer is typed (compute's effective firewalls)."""
    src = tmp_path / "compute.py"
    src.write_text(
        "def get(transport, region):\n"
        "    if region:\n"
        "        api, method = ('compute.regionNetworkFirewallPolicies',\n"
        "                       'regionNetworkFirewallPolicies.getEffectiveFirewalls')\n"
        "    else:\n"
        "        api, method = 'compute.networks', 'networks.getEffectiveFirewalls'\n"
        "    m = transport.call(api, method, lambda t: None)\n"
        "    names = [p.short_name for p in m.firewall_policys]\n"
        "    return names, [r.action for p in m.firewall_policys for r in p.rules]\n"
    )
    w = reads.ModuleWalk(src, "compute", contract.CALLS, contract.LRO, {}).run()
    assert w.violations == []
    assert w.labels == {
        ("compute.networks", "networks.getEffectiveFirewalls"),
        ("compute.regionNetworkFirewallPolicies", "regionNetworkFirewallPolicies.getEffectiveFirewalls"),
    }
    assert ("compute", "NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy", "shortName") in w.reads
    assert (
        "compute",
        "RegionNetworkFirewallPoliciesGetEffectiveFirewallsResponse",
        "firewallPolicys",
    ) in w.reads
    assert ("compute", "FirewallPolicyRule", "action") in w.reads


def test_a_call_the_walk_cannot_name_is_a_violation(tmp_path: Path) -> None:
    src = tmp_path / "redis.py"
    src.write_text(
        "def get(transport, which):\n"
        "    return transport.call('redis', which, lambda t: None).host\n"
        "def forward(transport, api, label):\n"
        "    return transport.call(api, label, lambda t: None)\n"
    )
    w = reads.ModuleWalk(src, "redis", contract.CALLS, contract.LRO, {}).run()
    assert [v for v in w.violations if "cannot resolve" in v] == [
        "redis.py:2 (get): call(...) with an (api, label) the walk cannot resolve to constants"
    ]


def test_the_walk_follows_constant_arguments_wrappers_and_flags_dynamic_getattr(tmp_path: Path) -> None:
    src = tmp_path / "run.py"
    src.write_text(
        "def get(transport):\n"
        "    page = transport.call('run', 'GetRevision', lambda t: None)\n"
        "    c = page.wrapped.containers[0]\n"
        "    return probe(c, 'startup_probe'), probe(c, 'liveness_probe'), pick(c, 'image')\n"
        "def probe(c, field):\n"
        "    p = getattr(c, field)\n"
        "    for name, label in (('http_get', 'httpGet'), ('tcp_socket', 'tcpSocket')):\n"
        "        if name in p:\n"
        "            return getattr(p, name).port\n"
        "def pick(c, field):\n"
        "    which = field + ''\n"
        "    return getattr(c, which)\n"
    )
    w = reads.ModuleWalk(src, "run", contract.CALLS, contract.LRO, {}, {"wrapped"}).run()
    assert w.violations == []
    assert {
        ("run", "GoogleCloudRunV2Container", "startupProbe"),
        ("run", "GoogleCloudRunV2Container", "livenessProbe"),
        ("run", "GoogleCloudRunV2Probe", "httpGet"),
        ("run", "GoogleCloudRunV2TCPSocketAction", "port"),
    } <= w.reads
    assert ("pick", "getattr(which)") in w.untyped
