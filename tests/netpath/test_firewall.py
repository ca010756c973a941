"""gate.netpath.firewall: port specs, protocols, which egress rules apply, and the decision."""

from __future__ import annotations

import ipaddress

import pytest

from gate.netpath import firewall as nfw
from gate.netpath import hops as np
from gate.netpath.firewall import FirewallDecision, FwRule, Source
from gate.netpath.hops import HopState

IP = ipaddress.IPv4Address("10.166.204.83")
CONNECTOR = Source("10.1.0.0/28", frozenset({"vpc-connector", "vpc-connector-us-central1-conn"}))
SA = "x@p.iam.gserviceaccount.com"


def rule(
    name: str,
    action: str = "allow",
    priority: int = 1000,
    *,
    rules: tuple[tuple[str, tuple[str, ...]], ...] = (("tcp", ("6379",)),),
    direction: str = "EGRESS",
    destination_ranges: tuple[str, ...] = (),
    source_ranges: tuple[str, ...] = (),
    target_tags: tuple[str, ...] = (),
    target_service_accounts: tuple[str, ...] = (),
    disabled: bool = False,
) -> FwRule:
    return FwRule(
        name,
        direction,
        priority,
        action,
        rules,
        destination_ranges,
        source_ranges,
        target_tags,
        target_service_accounts,
        disabled,
    )


def decide(rules: list[FwRule], src: Source = CONNECTOR, port: int = 6379) -> FirewallDecision | None:
    return nfw.evaluate_egress(rules, IP, port, src)[0]


# -- port specs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "port", "matches"),
    [
        ("6379", 6379, True),
        ("6379", 6380, False),
        ("6379", 6378, False),
        ("6000-7000", 6000, True),  # ranges are inclusive at both ends
        ("6000-7000", 7000, True),
        ("6000-7000", 5999, False),
        ("6000-7000", 7001, False),
        ("1-65535", 1, True),
        ("1-65535", 65535, True),
        ("0-0", 0, True),
        ("7000-6000", 6500, False),  # an inverted range holds nothing
    ],
)
def test_port_specs(spec: str, port: int, matches: bool) -> None:
    assert nfw.port_matches(spec, port) is matches


@pytest.mark.parametrize("spec", ["", "-", "http", "6379-", "-6379", "60-70-80", "6k", "1.5"])
def test_malformed_port_specs_match_nothing(spec: str) -> None:
    assert nfw.port_matches(spec, 6379) is False
    assert nfw.port_matches(spec, 70) is False


# -- protocols ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "protocol", "port", "matches"),
    [
        ((("tcp", ("6379",)),), "tcp", 6379, True),
        ((("TCP", ("6379",)),), "tcp", 6379, True),
        ((("tcp", ("6379",)),), "TCP", 6379, True),
        ((("6", ("6379",)),), "tcp", 6379, True),  # IANA protocol number
        ((("17", ("53",)),), "udp", 53, True),
        ((("1", ()),), "icmp", 0, True),
        ((("udp", ("6379",)),), "tcp", 6379, False),
        ((("17", ("6379",)),), "tcp", 6379, False),
        ((("tcp", ()),), "tcp", 1, True),  # no ports: every port
        ((("tcp", ("80", "6000-7000")),), "tcp", 6379, True),
        ((("tcp", ("80", "443")),), "tcp", 6379, False),
        ((("all", ()),), "tcp", 6379, True),
        ((("ALL", ()),), "udp", 9, True),
        ((("udp", ()), ("tcp", ("6379",))), "tcp", 6379, True),  # any entry
        ((("tcp", ("80",)), ("udp", ())), "tcp", 6379, False),
        ((), "tcp", 6379, False),
        ((("sctp", ()),), "tcp", 6379, False),
        ((("sctp", ()),), "SCTP", 1, True),  # a protocol without a number known to gate, by name
    ],
)
def test_protocol_matches(
    rules: tuple[tuple[str, tuple[str, ...]], ...], protocol: str, port: int, matches: bool
) -> None:
    assert nfw.protocol_matches(rules, protocol, port) is matches


# -- which rules apply -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("r", "applies"),
    [
        (rule("plain"), "yes"),
        (rule("ingress", direction="INGRESS"), "no"),
        (rule("lower-case-egress", direction="egress"), "yes"),
        (rule("off", disabled=True), "no"),
        (rule("elsewhere", destination_ranges=("10.0.0.0/24",)), "no"),
        (rule("here", destination_ranges=("10.0.0.0/24", "10.166.204.80/29")), "yes"),
        (rule("other-port", rules=(("tcp", ("6380",)),)), "no"),
        (rule("tag-miss", target_tags=("db",)), "no"),
        (rule("tag-hit", target_tags=("db", "vpc-connector")), "yes"),
        (rule("sa", target_service_accounts=(SA,)), "maybe"),
        (rule("sa-tag-miss", target_tags=("db",), target_service_accounts=(SA,)), "no"),
        (rule("src-in", source_ranges=("10.1.0.0/16",)), "yes"),
        (rule("src-equal", source_ranges=("10.1.0.0/28",)), "yes"),
        (rule("src-out", source_ranges=("10.9.0.0/16",)), "no"),
        (rule("src-half", source_ranges=("10.1.0.0/29",)), "maybe"),
        (rule("src-any", source_ranges=("10.9.0.0/16", "10.1.0.0/20")), "yes"),
        (rule("src-v6", source_ranges=("fd00::/8",)), "no"),
        (rule("src-host-bits", source_ranges=("10.1.3.4/16",)), "yes"),  # as the API may hold them
        (rule("sa-src-out", target_service_accounts=(SA,), source_ranges=("10.9.0.0/16",)), "no"),
        (rule("sa-src-in", target_service_accounts=(SA,), source_ranges=("10.1.0.0/16",)), "maybe"),
    ],
)
def test_which_rules_apply(r: FwRule, applies: str) -> None:
    want = {"yes": nfw._Applies.YES, "no": nfw._Applies.NO, "maybe": nfw._Applies.MAYBE}[applies]
    assert nfw._applies(r, IP, 6379, "tcp", CONNECTOR) is want


def test_the_sender_range_may_have_host_bits_set() -> None:
    src = Source("10.1.0.5/28", CONNECTOR.tags)
    assert nfw._applies(rule("src", source_ranges=("10.1.0.0/16",)), IP, 6379, "tcp", src) is nfw._Applies.YES


def test_a_source_range_rule_is_uncertain_when_the_sender_range_is_unknown() -> None:
    r = rule("src", source_ranges=("10.1.0.0/16",))
    assert nfw._applies(r, IP, 6379, "tcp", Source(None)) is nfw._Applies.MAYBE
    assert nfw._applies(rule("plain"), IP, 6379, "tcp", Source(None)) is nfw._Applies.YES


# -- the decision ------------------------------------------------------------------------


def test_no_matching_rule_is_the_implied_allow_at_65535() -> None:
    assert decide([]) == FirewallDecision("allow", "implied allow egress", 65535)
    assert decide([rule("ingress", "deny", 0, direction="INGRESS")]) == FirewallDecision(
        "allow", "implied allow egress", np.IMPLIED_EGRESS_PRIORITY
    )


def test_the_lowest_priority_number_wins() -> None:
    assert decide([rule("allow-1000"), rule("deny-900", "deny", 900)]) == FirewallDecision(
        "deny", "deny-900", 900
    )
    assert decide([rule("deny-1000", "deny"), rule("allow-999", priority=999)]) == FirewallDecision(
        "allow", "allow-999", 999
    )
    assert decide([rule("deny-65535", "deny", 65535), rule("allow-0", priority=0)]) == FirewallDecision(
        "allow", "allow-0", 0
    )


def test_a_deny_wins_a_tie_whatever_the_order_or_names() -> None:
    for rules in (
        [rule("a-allow", priority=500), rule("z-deny", "deny", 500)],
        [rule("z-deny", "deny", 500), rule("a-allow", priority=500)],
    ):
        assert decide(rules) == FirewallDecision("deny", "z-deny", 500)


def test_among_equal_rules_the_first_name_is_reported() -> None:
    assert decide([rule("b-allow"), rule("a-allow")]) == FirewallDecision("allow", "a-allow", 1000)
    assert decide([rule("b-deny", "deny"), rule("a-deny", "deny")]) == FirewallDecision(
        "deny", "a-deny", 1000
    )


def test_matched_rules_are_listed_by_priority_then_deny_first_then_name() -> None:
    rules = [
        rule("z-allow", priority=10),
        rule("b-allow", priority=5),
        rule("c-deny", "deny", 10),
        rule("a-allow", priority=10),
        rule("ignored", direction="INGRESS"),
    ]
    _, matched = nfw.evaluate_egress(rules, IP, 6379, CONNECTOR)
    assert [r.name for r in matched] == ["b-allow", "c-deny", "a-allow", "z-allow"]


def test_uncertain_rules_that_cannot_change_the_answer_do_not_matter() -> None:
    rules = [rule("deny-all", "deny", 100), rule("allow-sa", priority=2000, target_service_accounts=(SA,))]
    assert decide(rules) == FirewallDecision("deny", "deny-all", 100)
    # An uncertain allow below an allow cannot change "allow" either.
    rules = [rule("allow", priority=100), rule("allow-sa", priority=50, target_service_accounts=(SA,))]
    assert decide(rules) == FirewallDecision("allow", "allow", 100)


def test_an_uncertain_rule_that_could_change_the_answer_is_no_decision() -> None:
    rules = [rule("deny-sa", "deny", 100, target_service_accounts=(SA,))]
    decision, matched = nfw.evaluate_egress(rules, IP, 6379, CONNECTOR)
    assert decision is None and [r.name for r in matched] == ["deny-sa"]


def test_any_number_of_uncertain_rules_is_decided_exactly() -> None:
    # The rules are walked in evaluation order (no enumeration of 2**n subsets, so no limit):
    # uncertain denies below a sure allow at the top cannot change it, however many there are...
    sure = rule("allow-top", priority=0)
    many = [rule(f"deny-sa-{i}", "deny", 100 + i, target_service_accounts=(SA,)) for i in range(40)]
    assert decide([sure, *many]) == FirewallDecision("allow", "allow-top", 0)
    # ...nor can uncertain allows above it, and the sure one is still what is named...
    allows = [rule(f"allow-sa-{i}", priority=1 + i, target_service_accounts=(SA,)) for i in range(40)]
    assert decide([*allows, rule("allow-late", priority=500)]) == FirewallDecision("allow", "allow-late", 500)
    # ...but one uncertain deny above the sure allow, among any number, is no decision.
    deny = rule("deny-sa", "deny", 300, target_service_accounts=(SA,))
    assert decide([*allows, deny, rule("allow-late", priority=500)]) is None
    assert decide([*allows, deny]) is None  # the implied allow is no surer than a sure allow


# -- the hop -----------------------------------------------------------------------------


def test_firewall_hop_allowed_names_the_rule() -> None:
    hop = nfw.firewall_hop([rule("allow-redis", priority=900)], IP, 6379, CONNECTOR, "vpc-a")
    assert hop == np.ok(
        "firewall",
        "egress to 10.166.204.83:6379/tcp allowed by firewall rule allow-redis (priority 900) on vpc-a; "
        "matching rules: allow-redis (allow p900)",
    )


def test_firewall_hop_names_the_rule_sure_to_apply_not_one_that_only_may() -> None:
    rules = [rule("allow-sa", priority=50, target_service_accounts=(SA,)), rule("allow-redis", priority=900)]
    hop = nfw.firewall_hop(rules, IP, 6379, CONNECTOR, "vpc-a")
    assert hop == np.ok(
        "firewall",
        "egress to 10.166.204.83:6379/tcp allowed by firewall rule allow-redis (priority 900) on vpc-a; "
        "matching rules: allow-sa (allow p50), allow-redis (allow p900)",
    )
    # A deny: the detail names the sure deny; the remedy must come before the first that may apply.
    rules = [rule("deny-sa", "deny", 50, target_service_accounts=(SA,)), rule("deny-redis", "deny", 900)]
    assert nfw.firewall_hop(rules, IP, 6379, CONNECTOR, "vpc-a") == np.broken(
        "firewall",
        "egress to 10.166.204.83:6379/tcp is denied by firewall rule deny-redis (priority 900) on vpc-a; "
        "matching rules: deny-sa (deny p50), deny-redis (deny p900)",
        "Allow egress tcp:6379 to 10.166.204.83 before firewall rule deny-sa (priority 50) is reached "
        "(a higher priority, or an earlier level of the evaluation order), or remove that deny rule.",
    )


def test_firewall_hop_judges_the_packet_it_is_given() -> None:
    rules = [
        rule("deny-elsewhere", "deny", 10, destination_ranges=("10.0.0.0/24",)),
        rule("deny-db-tag", "deny", 20, target_tags=("db",)),
        rule("deny-other-port", "deny", 30, rules=(("tcp", ("5432",)),)),
        rule("allow-connectors", priority=40, target_tags=("vpc-connector",)),
    ]
    hop = nfw.firewall_hop(rules, IP, 6379, CONNECTOR, "vpc-a")
    assert (
        hop.state is HopState.OK and "allowed by firewall rule allow-connectors (priority 40)" in hop.detail
    )
    other = nfw.firewall_hop(rules, ipaddress.IPv4Address("10.0.0.9"), 6379, CONNECTOR, "vpc-a")
    assert other.state is HopState.BROKEN and "deny-elsewhere" in other.detail
    db = nfw.firewall_hop(rules, IP, 6379, Source("10.1.0.0/28", frozenset({"db"})), "vpc-a")
    assert db.state is HopState.BROKEN and "deny-db-tag" in db.detail


def test_firewall_hop_implied_allow_lists_no_rule() -> None:
    hop = nfw.firewall_hop([], IP, 6379, CONNECTOR, "vpc-a")
    assert hop.detail == (
        "egress to 10.166.204.83:6379/tcp allowed by implied allow egress (priority 65535) on vpc-a; "
        "matching rules: none"
    )


def test_firewall_hop_denied_names_rule_priority_and_remedy() -> None:
    hop = nfw.firewall_hop(
        [rule("deny-redis", "deny", 900), rule("allow-redis")], IP, 6379, CONNECTOR, "vpc-a"
    )
    assert hop == np.broken(
        "firewall",
        "egress to 10.166.204.83:6379/tcp is denied by firewall rule deny-redis (priority 900) on vpc-a; "
        "matching rules: deny-redis (deny p900), allow-redis (allow p1000)",
        "Allow egress tcp:6379 to 10.166.204.83 before firewall rule deny-redis (priority 900) is reached "
        "(a higher priority, or an earlier level of the evaluation order), or remove that deny rule.",
    )


def test_firewall_hop_uncertain_is_unknown_never_ok() -> None:
    hop = nfw.firewall_hop(
        [rule("deny-sa", "deny", 100, target_service_accounts=(SA,))], IP, 6379, CONNECTOR, "vpc-a"
    )
    assert hop == np.unknown(
        "firewall",
        "egress rules of vpc-a that may apply depend on the sender's service account or address: "
        "deny-sa (deny p100)",
        "Target the rules by network tag, range or network, or set confirm: true to ask a Connectivity Test.",
    )
    assert hop.state is HopState.UNKNOWN
