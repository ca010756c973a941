"""Pure path reasoning: egress settings, CIDR containment, VPC firewall evaluation."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from gate.netpath import firewall as nfw
from gate.netpath import hops as np
from gate.netpath.firewall import FwRule, Source
from gate.netpath.hops import HopState

REDIS = ipaddress.IPv4Address("10.166.204.83")
CONNECTOR = Source("10.1.0.0/28", frozenset({"vpc-connector", "vpc-connector-us-central1-conn"}))


def rule(name: str, action: str = "allow", priority: int = 1000, **kw: object) -> FwRule:
    kw.setdefault("rules", (("tcp", ("6379",)),))
    kw.setdefault("direction", "EGRESS")
    return FwRule(name=name, priority=priority, action=action, **kw)  # type: ignore[arg-type]


def decide(
    rules: list[FwRule], ip: ipaddress.IPv4Address = REDIS, port: int = 6379, src: Source = CONNECTOR
) -> Any:
    return nfw.evaluate_egress(rules, ip, port, src)[0]


# -- firewall evaluation table ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "action", "winner"),
    [
        ([], "allow", "implied allow egress"),
        ([rule("deny-900", "deny", 900), rule("allow-1000")], "deny", "deny-900"),
        ([rule("deny-1000", "deny", 1000), rule("allow-900", priority=900)], "allow", "allow-900"),
        ([rule("allow-same", priority=500), rule("deny-same", "deny", 500)], "deny", "deny-same"),
        ([rule("deny-off", "deny", 0, disabled=True)], "allow", "implied allow egress"),
        ([rule("deny-ingress", "deny", 0, direction="INGRESS")], "allow", "implied allow egress"),
        ([rule("deny-range", "deny", 0, rules=(("tcp", ("6000-7000",)),))], "deny", "deny-range"),
        (
            [rule("deny-other-port", "deny", 0, rules=(("tcp", ("6380-7000",)),))],
            "allow",
            "implied allow egress",
        ),
        ([rule("deny-all", "deny", 0, rules=(("all", ()),))], "deny", "deny-all"),
        ([rule("deny-tcp-any-port", "deny", 0, rules=(("tcp", ()),))], "deny", "deny-tcp-any-port"),
        ([rule("deny-proto-6", "deny", 0, rules=(("6", ("6379",)),))], "deny", "deny-proto-6"),
        ([rule("deny-udp", "deny", 0, rules=(("udp", ("6379",)),))], "allow", "implied allow egress"),
        (
            [rule("deny-elsewhere", "deny", 0, destination_ranges=("10.0.0.0/24",))],
            "allow",
            "implied allow egress",
        ),
        ([rule("deny-redis", "deny", 0, destination_ranges=("10.166.204.80/29",))], "deny", "deny-redis"),
        ([rule("deny-other-tag", "deny", 0, target_tags=("db",))], "allow", "implied allow egress"),
        ([rule("deny-connectors", "deny", 0, target_tags=("vpc-connector",))], "deny", "deny-connectors"),
        (
            [rule("deny-other-src", "deny", 0, source_ranges=("10.9.0.0/16",))],
            "allow",
            "implied allow egress",
        ),
        ([rule("deny-our-src", "deny", 0, source_ranges=("10.1.0.0/16",))], "deny", "deny-our-src"),
    ],
)
def test_firewall_table(rules: Any, action: str, winner: Any) -> None:
    d = decide(rules)
    assert d is not None and (d.action, d.rule) == (action, winner)


def test_implied_allow_is_priority_65535() -> None:
    d = decide([])
    assert d is not None and d.priority == np.IMPLIED_EGRESS_PRIORITY == 65535


def test_deny_all_egress_with_allow_above_it() -> None:
    rules = [
        rule("deny-all-egress", "deny", 65534, rules=(("all", ()),), destination_ranges=("0.0.0.0/0",)),
        rule("allow-redis", priority=1000, destination_ranges=("10.166.204.80/29",)),
    ]
    d = decide(rules)
    assert d is not None and d.rule == "allow-redis"


def test_service_account_rule_that_could_change_the_answer_is_unknown() -> None:
    rules = [rule("deny-sa", "deny", 100, target_service_accounts=("x@p.iam.gserviceaccount.com",))]
    assert decide(rules) is None
    hop = nfw.firewall_hop(rules, REDIS, 6379, CONNECTOR, "vpc-a")
    assert hop.state is HopState.UNKNOWN and "deny-sa" in hop.detail


def test_service_account_rule_that_cannot_change_the_answer_is_ignored() -> None:
    rules = [
        rule("deny-all", "deny", 100),
        rule("allow-sa", priority=2000, target_service_accounts=("x@p.iam.gserviceaccount.com",)),
    ]
    d = decide(rules)
    assert d is not None and d.rule == "deny-all"


def test_partly_overlapping_source_range_is_unknown() -> None:
    assert decide([rule("deny-half", "deny", 0, source_ranges=("10.1.0.0/29",))]) is None


def test_firewall_hop_broken_names_rule_and_priority() -> None:
    hop = nfw.firewall_hop(
        [rule("deny-redis", "deny", 900), rule("allow-redis")], REDIS, 6379, CONNECTOR, "vpc-a"
    )
    assert hop.state is HopState.BROKEN
    assert "deny-redis (priority 900)" in hop.detail and "allow-redis (allow p1000)" in hop.detail


# -- egress setting, addresses ----------------------------------------------------------


@pytest.mark.parametrize(
    ("egress", "ip", "state"),
    [
        ("ALL_TRAFFIC", "34.1.2.3", HopState.OK),
        ("PRIVATE_RANGES_ONLY", "10.166.204.83", HopState.OK),
        (None, "172.20.0.1", HopState.OK),  # unset = PRIVATE_RANGES_ONLY
        ("PRIVATE_RANGES_ONLY", "192.168.1.1", HopState.OK),
        ("PRIVATE_RANGES_ONLY", "100.64.0.5", HopState.OK),  # RFC 6598
        ("PRIVATE_RANGES_ONLY", "34.1.2.3", HopState.BROKEN),
        (None, "172.32.0.1", HopState.BROKEN),  # just outside 172.16.0.0/12
        ("PRIVATE_RANGES_ONLY", "240.0.0.1", HopState.BROKEN),  # Class E: not documented as internal
        ("SOMETHING_NEW", "10.0.0.1", HopState.UNKNOWN),
    ],
)
def test_egress_setting(egress: Any, ip: str, state: Any) -> None:
    hop = np.egress_hop(egress, ipaddress.IPv4Address(ip))
    assert hop.state is state


def test_egress_default_is_named() -> None:
    hop = np.egress_hop(None, ipaddress.IPv4Address("34.1.2.3"))
    assert "PRIVATE_RANGES_ONLY (the default) sends 34.1.2.3 to the internet" in hop.detail
    assert "ALL_TRAFFIC" in hop.remediation


@pytest.mark.parametrize(
    ("cidr", "ip", "inside"),
    [
        ("10.166.204.80/29", "10.166.204.83", True),
        ("10.166.204.80/29", "10.166.204.88", False),
        ("10.166.204.83/32", "10.166.204.83", True),
        ("10.166.204.81/29", "10.166.204.87", True),  # host bits set: still the /29
        ("0.0.0.0/0", "8.8.8.8", True),
        ("fd00::/8", "10.0.0.1", False),
        ("not-a-range", "10.0.0.1", False),
    ],
)
def test_cidr_containment(cidr: Any, ip: str, inside: Any) -> None:
    assert np.contains(cidr, ipaddress.IPv4Address(ip)) is inside


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.166.204.83", 'expected "IPv4:port"'),
        ("redis.internal:6379", "is not an IPv4 address"),
        ("10.0.0.1:0", "is not a port"),
        ("10.0.0.1:http", "is not a port"),
    ],
)
def test_bad_addresses(text: str, message: Any) -> None:
    with pytest.raises(ValueError, match=message):
        np.parse_address(text)


def test_good_address() -> None:
    assert np.parse_address("10.166.204.83:6379") == (REDIS, 6379)


# -- peerings and verdicts ---------------------------------------------------------------


def test_peering_states() -> None:
    active = np.PeeringView("redis-peer-1", "x", "ACTIVE")
    inactive = np.PeeringView("redis-peer-1", "x", "INACTIVE", "peer network deleted")
    args = {"name_prefix": "redis-peer-", "network": "vpc-a", "what": "Memorystore", "remediation": ""}
    assert np.peering_hop([active], **args) is None
    hop = np.peering_hop([inactive], **args)
    assert hop is not None and hop.detail == (
        "the Memorystore peering redis-peer-1 of network vpc-a is INACTIVE: peer network deleted"
    )
    missing = np.peering_hop([], **args)
    assert missing is not None and missing.state is HopState.BROKEN


def test_a_broken_hop_after_an_unknown_one_still_breaks_the_path() -> None:
    hops = [np.ok("a", ""), np.unknown("b", ""), np.broken("c", "")]
    assert np.first_broken(hops) is hops[2] and np.first_unknown(hops) is hops[1]


# -- effective firewalls: policies in the enforcement order ---------------------------------


def prule(priority: int, action: str, **kw: object) -> nfw.PolicyRule:
    kw.setdefault("layer4", (("tcp", ()),))
    kw.setdefault("direction", "EGRESS")
    return nfw.PolicyRule(priority=priority, action=action, **kw)  # type: ignore[arg-type]


def pol(type_: str, *rules: nfw.PolicyRule, name: str = "p", priority: int = 1000) -> nfw.FirewallPolicy:
    return nfw.FirewallPolicy(name=name, type=type_, rules=rules, priority=priority)


def effective(rules: Any = (), policies: Any = (), order: Any = None) -> Any:
    return nfw.effective_hop(list(rules), REDIS, 6379, CONNECTOR, "vpc-a", list(policies), order)


ALLOW_VPC = rule("allow-redis", priority=1000)


@pytest.mark.parametrize(
    ("order", "state"),
    [
        (None, HopState.OK),
        ("AFTER_CLASSIC_FIREWALL", HopState.OK),
        ("BEFORE_CLASSIC_FIREWALL", HopState.BROKEN),
    ],
)
def test_enforcement_order_decides_between_vpc_rules_and_network_policies(order: Any, state: Any) -> None:
    hop = effective([ALLOW_VPC], [pol("NETWORK", prule(1, "deny"))], order)
    assert hop.state is state, hop.detail


def test_hierarchical_and_system_policies_come_first_in_either_order() -> None:
    for order in (None, "BEFORE_CLASSIC_FIREWALL"):
        for kind in ("HIERARCHY", "SYSTEM_REGIONAL"):
            assert effective([ALLOW_VPC], [pol(kind, prule(1, "deny"))], order).state is HopState.BROKEN


def test_goto_next_and_no_match_pass_to_the_next_level() -> None:
    hier = pol("HIERARCHY", prule(1, "goto_next"), prule(2, "deny"))  # goto_next wins: lower number
    assert effective([], [hier]).state is HopState.OK  # then the implied allow
    elsewhere = pol("HIERARCHY", prule(1, "deny", dest_ranges=("192.168.0.0/16",)))
    assert effective([rule("deny-vpc", "deny", 5)], [elsewhere]).state is HopState.BROKEN


def test_global_before_regional_network_policy() -> None:
    hop = effective(
        [],
        [pol("NETWORK_REGIONAL", prule(1, "deny"), name="r"), pol("NETWORK", prule(9, "allow"), name="g")],
        "BEFORE_CLASSIC_FIREWALL",
    )
    assert hop.state is HopState.OK and "network firewall policy g" in hop.detail


@pytest.mark.parametrize(
    "doubt",
    [
        {"target_secure_tags": (("tagValues/1", "EFFECTIVE"),)},
        {"target_service_accounts": ("sa@p.iam.gserviceaccount.com",)},
        {"other_dest": ("destFqdns",), "dest_ranges": ("192.168.0.0/16",)},
        {"other_src": ("srcAddressGroups",)},
        {"other_targets": ("forwarding rules (fr)",)},
        {"layer4": ()},
    ],
)
def test_a_deny_that_may_apply_makes_the_hop_unknown(doubt: Any) -> None:
    hop = effective([], [pol("HIERARCHY", prule(1, "deny", **doubt))])
    assert hop.state is HopState.UNKNOWN and "cannot prove" in hop.detail


def test_a_doubtful_rule_that_cannot_change_the_verdict_is_ignored() -> None:
    sure = prule(1, "deny")
    maybe = prule(2, "allow", target_service_accounts=("sa@p.iam.gserviceaccount.com",))
    assert effective([], [pol("HIERARCHY", sure, maybe)]).state is HopState.BROKEN


@pytest.mark.parametrize(
    ("kw", "state"),
    [
        ({"disabled": True}, HopState.OK),
        ({"direction": "INGRESS"}, HopState.OK),
        ({"target_type": "INTERNAL_MANAGED_LB"}, HopState.OK),
        ({"targets_network": False}, HopState.OK),
        ({"targets_network": True}, HopState.BROKEN),
        ({"dest_network_type": "INTERNET"}, HopState.OK),  # a private destination is not internet
        ({"dest_network_type": "NON_INTERNET"}, HopState.BROKEN),
        ({"layer4": (("udp", ()),)}, HopState.OK),
        ({"src_ranges": ("10.1.0.0/16",)}, HopState.BROKEN),
        ({"src_ranges": ("10.9.0.0/16",)}, HopState.OK),
    ],
)
def test_policy_rule_applicability(kw: Any, state: Any) -> None:
    assert effective([], [pol("HIERARCHY", prule(1, "deny", **kw))]).state is state


@pytest.mark.parametrize("action", ["apply_security_profile_group", "mirror"])
def test_actions_gate_cannot_interpret_are_unknown(action: str) -> None:
    hop = effective([], [pol("NETWORK", prule(1, action))])
    assert hop.state is HopState.UNKNOWN


def test_unknown_policy_type_or_order_is_unknown() -> None:
    assert effective([], [pol("SOMETHING_NEW", prule(1, "allow"))]).state is HopState.UNKNOWN
    assert effective([], [pol("NETWORK", prule(1, "allow"))], "SIDEWAYS").state is HopState.UNKNOWN
    assert effective([], [], "SIDEWAYS").state is HopState.OK  # no network policy: order is moot
