"""gate.netpath.firewall on effective firewalls: firewall policies in the enforcement order, the
rules' applicability, and the exact hop each outcome reports (what a user reads)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from gate.netpath import firewall as nfw
from gate.netpath import hops as np
from gate.netpath.firewall import FirewallDecision, FwRule, Source
from gate.netpath.hops import HopState

IP = ipaddress.IPv4Address("10.166.204.83")
PUBLIC = ipaddress.IPv4Address("34.1.2.3")
CONNECTOR = Source("10.1.0.0/28", frozenset({"vpc-connector"}))
SA = "x@p.iam.gserviceaccount.com"
SA2 = "y@p.iam.gserviceaccount.com"
DEFAULT = "vpc-a (enforcement order AFTER_CLASSIC_FIREWALL (the default))"
BEFORE = "vpc-a (enforcement order BEFORE_CLASSIC_FIREWALL)"
CANNOT_PROVE = "cannot prove egress to 10.166.204.83:6379/tcp on "
TARGET_REMEDY = (
    "Target the rules by network tag, range or network, or set confirm: true to ask a Connectivity Test."
)
CONFIRM = "Set confirm: true to ask a Connectivity Test."


def prule(priority: int, action: str, **kw: Any) -> nfw.PolicyRule:
    kw.setdefault("layer4", (("tcp", ()),))
    kw.setdefault("direction", "EGRESS")
    return nfw.PolicyRule(priority=priority, action=action, **kw)


def pol(type_: str, *rules: nfw.PolicyRule, name: str = "p", priority: int = 1000) -> nfw.FirewallPolicy:
    return nfw.FirewallPolicy(name=name, type=type_, rules=rules, priority=priority)


def vrule(name: str, action: str = "allow", priority: int = 1000, **kw: Any) -> FwRule:
    kw.setdefault("rules", (("tcp", ("6379",)),))
    kw.setdefault("direction", "EGRESS")
    return FwRule(name=name, priority=priority, action=action, **kw)


def effective(
    rules: tuple[FwRule, ...] = (),
    policies: tuple[nfw.FirewallPolicy, ...] = (),
    order: str | None = None,
    ip: ipaddress.IPv4Address = IP,
) -> np.Hop:
    return nfw.effective_hop(list(rules), ip, 6379, CONNECTOR, "vpc-a", list(policies), order)


def denied_by(by: str, where: str, matched: str) -> np.Hop:
    return np.broken(
        "firewall",
        f"egress to 10.166.204.83:6379/tcp is denied by {by} on {where}; matching rules: {matched}",
        f"Allow egress tcp:6379 to 10.166.204.83 before {by} is reached (a higher priority, or an "
        "earlier level of the evaluation order), or remove that deny rule.",
    )


def allowed_by(by: str, where: str, matched: str) -> np.Hop:
    return np.ok(
        "firewall", f"egress to 10.166.204.83:6379/tcp allowed by {by} on {where}; matching rules: {matched}"
    )


IMPLIED = "implied allow egress (priority 65535)"


# -- the order of the levels -----------------------------------------------------------


def test_a_passing_hierarchical_rule_is_listed_once_and_the_vpc_rule_decides() -> None:
    hier = pol("HIERARCHY", prule(1, "goto_next", rule_name="to-next"), name="org-guard")
    assert effective((vrule("allow-redis"),), (hier,)) == allowed_by(
        "firewall rule allow-redis (priority 1000)",
        DEFAULT,
        "rule 1 (to-next) of hierarchical firewall policy org-guard: goto_next, allow-redis (allow p1000)",
    )


def test_everything_passing_reaches_the_implied_allow_once() -> None:
    policies = (
        pol("HIERARCHY", prule(1, "goto_next"), name="h"),
        pol("NETWORK", prule(1, "goto_next"), name="g"),
        pol("NETWORK_REGIONAL", prule(1, "goto_next"), name="r"),
    )
    assert effective((), policies) == allowed_by(
        IMPLIED,
        DEFAULT,
        "rule 1 of hierarchical firewall policy h: goto_next, "
        "rule 1 of network firewall policy g: goto_next, "
        "rule 1 of regional network firewall policy r: goto_next",
    )


@pytest.mark.parametrize(
    ("kind", "label"), [("NETWORK", "network"), ("NETWORK_REGIONAL", "regional network")]
)
def test_network_policies_act_in_association_priority_order_not_listing_order(kind: str, label: str) -> None:
    late = pol(kind, prule(1, "allow"), name="late", priority=2000)
    early = pol(kind, prule(1, "deny"), name="early", priority=100)
    by = f"rule 1 of {label} firewall policy early"
    assert effective((), (late, early), "BEFORE_CLASSIC_FIREWALL") == denied_by(by, BEFORE, f"{by}: deny")
    assert effective((), (early, late), "BEFORE_CLASSIC_FIREWALL") == denied_by(by, BEFORE, f"{by}: deny")


def test_system_policies_are_placed_and_labelled() -> None:
    for kind in ("SYSTEM", "SYSTEM_GLOBAL", "SYSTEM_REGIONAL"):
        hop = effective((vrule("allow-redis"),), (pol(kind, prule(1, "deny"), name="sys"),))
        by = "rule 1 of system firewall policy sys"
        assert hop == denied_by(by, DEFAULT, f"{by}: deny")


# -- which policy rules apply ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "state"),
    [
        ({"layer4": (("tcp", ("6379",)),)}, HopState.BROKEN),
        ({"layer4": (("tcp", ("6000-7000",)),)}, HopState.BROKEN),
        ({"layer4": (("tcp", ("5432",)),)}, HopState.OK),
        ({"dest_ranges": ("10.166.204.80/29",)}, HopState.BROKEN),
        ({"dest_ranges": ("10.0.0.0/24", "10.166.0.0/16")}, HopState.BROKEN),
        ({"dest_ranges": ("10.0.0.0/24",)}, HopState.OK),
        # In the ranges: the other destination matchers cannot take the match away.
        ({"dest_ranges": ("10.166.204.80/29",), "other_dest": ("destFqdns",)}, HopState.BROKEN),
        ({"dest_network_type": "UNSPECIFIED"}, HopState.BROKEN),
        ({"dest_network_type": "non_internet"}, HopState.BROKEN),  # compared upper case
        ({"dest_network_type": "INTERNET"}, HopState.OK),
        ({"target_type": "internal_managed_lb"}, HopState.OK),
        ({"target_type": "INSTANCES"}, HopState.BROKEN),
        ({"direction": "egress"}, HopState.BROKEN),
        (
            {"target_secure_tags": (("tagValues/1", "INEFFECTIVE"), ("tagValues/2", "ineffective"))},
            HopState.OK,
        ),
        ({"src_ranges": ("10.1.0.0/28",)}, HopState.BROKEN),
    ],
)
def test_policy_rule_applicability(kw: dict[str, Any], state: HopState) -> None:
    assert effective((), (pol("HIERARCHY", prule(1, "deny", **kw)),)).state is state


def test_a_rule_that_does_not_apply_does_not_stop_the_walk_through_its_policy() -> None:
    policy = pol(
        "HIERARCHY",
        prule(1, "allow", direction="INGRESS"),
        prule(2, "allow", layer4=(("udp", ()),)),
        prule(3, "deny", rule_name="deny-redis"),
        name="h",
    )
    by = "rule 3 (deny-redis) of hierarchical firewall policy h"
    assert effective((), (policy,)) == denied_by(by, DEFAULT, f"{by}: deny")


def test_the_rule_sure_to_apply_is_named_not_one_that_only_may() -> None:
    policy = pol("HIERARCHY", prule(1, "allow", target_service_accounts=(SA,)), prule(2, "allow"), name="h")
    assert effective((), (policy,)) == allowed_by(
        "rule 2 of hierarchical firewall policy h",
        DEFAULT,
        "rule 1 of hierarchical firewall policy h: allow, rule 2 of hierarchical firewall policy h: allow",
    )
    # A deny: named as the sure one, remedied before the first that may apply.
    policy = pol("HIERARCHY", prule(1, "deny", target_service_accounts=(SA,)), prule(2, "deny"), name="h")
    hop = effective((), (policy,))
    assert hop.detail.startswith(
        "egress to 10.166.204.83:6379/tcp is denied by rule 2 of hierarchical firewall policy h on "
    )
    assert hop.remediation.startswith("Allow egress tcp:6379 to 10.166.204.83 before rule 1 of hierarchical")


# -- what gate cannot prove, said exactly ------------------------------------------------


def test_the_doubts_of_a_rule_that_may_apply_are_each_named() -> None:
    doubtful = prule(
        5,
        "deny",
        rule_name="odd",
        layer4=(),
        other_targets=("forwarding rules (a)", "forwarding rules (b)"),
        dest_ranges=("192.168.0.0/16",),
        other_dest=("destFqdns", "destAddressGroups"),
        src_ranges=("10.1.0.0/29",),
        other_src=("srcFqdns", "srcRegionCodes"),
        dest_network_type="INTRA_VPC",
    )
    assert effective((), (pol("NETWORK", doubtful),)) == np.unknown(
        "firewall",
        CANNOT_PROVE + DEFAULT + ": possible verdicts allow, deny; rule 5 (odd) of network firewall policy p "
        "(deny) may apply: it lists no layer4Configs; its destination is given by destFqdns, "
        "destAddressGroups; destNetworkType INTRA_VPC; it targets forwarding rules (a), "
        "forwarding rules (b); its source ranges cover part of the sender's range; "
        "its source is given by srcFqdns, srcRegionCodes",
        TARGET_REMEDY,
    )


def test_secure_tag_and_service_account_targets_are_named() -> None:
    rule = prule(
        1,
        "deny",
        target_secure_tags=(("tagValues/1", "EFFECTIVE"), ("tagValues/2", "INEFFECTIVE")),
        target_service_accounts=(SA, SA2),
    )
    assert effective((), (pol("HIERARCHY", rule),)) == np.unknown(
        "firewall",
        CANNOT_PROVE + DEFAULT + ": possible verdicts allow, deny; rule 1 of hierarchical firewall policy p "
        "(deny) may apply: it targets secure tags (tagValues/1, tagValues/2) gate cannot map to the sender; "
        f"it targets service accounts ({SA}, {SA2}) gate cannot map to the sender",
        TARGET_REMEDY,
    )


@pytest.mark.parametrize("net_type", ["NON_INTERNET", "INTERNET", "UNSPECIFIED_NEW"])
def test_a_public_destination_or_an_unknown_network_type_is_a_doubt(net_type: str) -> None:
    hop = nfw.effective_hop(
        [], PUBLIC, 6379, CONNECTOR, "vpc-a", [pol("HIERARCHY", prule(1, "deny", dest_network_type=net_type))]
    )
    assert hop == np.unknown(
        "firewall",
        f"cannot prove egress to 34.1.2.3:6379/tcp on {DEFAULT}: possible verdicts allow, deny; rule 1 of "
        f"hierarchical firewall policy p (deny) may apply: destNetworkType {net_type}",
        TARGET_REMEDY,
    )


@pytest.mark.parametrize("net_type", ["INTRA_VPC", "VPC_NETWORKS"])
def test_network_types_gate_does_not_map_are_doubts_for_a_private_address_too(net_type: str) -> None:
    hop = effective((), (pol("HIERARCHY", prule(1, "deny", dest_network_type=net_type)),))
    assert hop.state is HopState.UNKNOWN and hop.detail.endswith(f"may apply: destNetworkType {net_type}")


def test_layer7_inspection_is_not_a_verdict_gate_can_see() -> None:
    hop = effective((), (pol("NETWORK", prule(1, "apply_security_profile_group", rule_name="l7"), name="i"),))
    assert hop == np.unknown(
        "firewall",
        CANNOT_PROVE + DEFAULT + ": possible verdicts unknown; rule 1 (l7) of network firewall policy i: it "
        "hands the packet to layer-7 inspection (a security profile group), whose verdict gate cannot see",
        TARGET_REMEDY,
    )


@pytest.mark.parametrize("action", ["mirror", "APPLY_SECURITY_PROFILE_GROUP_V2", "Allow-ish"])
def test_an_action_gate_does_not_know_is_named(action: str) -> None:
    hop = effective((), (pol("NETWORK", prule(1, action), name="m"),))
    assert hop == np.unknown(
        "firewall",
        CANNOT_PROVE + DEFAULT + f": possible verdicts unknown; rule 1 of network firewall policy m: gate "
        f"cannot interpret action {action!r}",
        TARGET_REMEDY,
    )


def test_actions_are_compared_lower_case() -> None:
    assert effective((), (pol("NETWORK", prule(1, "DENY")),)).state is HopState.BROKEN
    assert effective((), (pol("NETWORK", prule(1, "GOTO_NEXT"), prule(2, "deny")),)).state is HopState.OK
    hop = effective((), (pol("NETWORK", prule(1, "Apply_Security_Profile_Group")),))
    assert hop.detail.endswith("whose verdict gate cannot see")


def test_doubts_from_every_level_and_verdicts_gate_cannot_see_are_all_listed() -> None:
    vpc = (vrule("deny-sa", "deny", 100, target_service_accounts=(SA,)),)
    policies = (pol("NETWORK", prule(1, "apply_security_profile_group"), name="i"),)
    assert effective(vpc, policies) == np.unknown(
        "firewall",
        CANNOT_PROVE + DEFAULT + ": possible verdicts deny, unknown; rule 1 of network firewall policy i: it "
        "hands the packet to layer-7 inspection (a security profile group), whose verdict gate cannot see; "
        "VPC firewall rule deny-sa (deny p100) may apply: it depends on the sender's service account or part "
        "of its address range",
        TARGET_REMEDY,
    )


def test_vpc_rules_that_may_apply_under_policies_are_named_deny_first() -> None:
    vpc = (
        vrule("b-deny-sa", "deny", 500, target_service_accounts=(SA,)),
        vrule("a-allow-half", "allow", 500, source_ranges=("10.1.0.0/29",)),
        vrule("allow-redis", "allow", 900),
    )
    may = "may apply: it depends on the sender's service account or part of its address range"
    assert effective(vpc, (pol("HIERARCHY", prule(1, "goto_next"), name="h"),)) == np.unknown(
        "firewall",
        CANNOT_PROVE + DEFAULT + f": possible verdicts allow, deny; VPC firewall rule b-deny-sa (deny p500) "
        f"{may}; VPC firewall rule a-allow-half (allow p500) {may}",
        TARGET_REMEDY,
    )


def test_policies_of_a_type_gate_cannot_place_are_named() -> None:
    policies = (pol("SOMETHING_NEW", prule(1, "allow"), name="n"), pol("", prule(1, "deny"), name="e"))
    assert effective((), policies) == np.unknown(
        "firewall",
        "cannot prove egress to 10.166.204.83:6379/tcp on vpc-a: firewall policy n has type SOMETHING_NEW, "
        "which gate cannot place in the evaluation order; firewall policy e has type unset, which gate "
        "cannot place in the evaluation order",
        CONFIRM,
    )


def test_a_policy_gate_cannot_place_matters_only_if_one_of_its_rules_may_apply() -> None:
    matches = {"dest_ranges": ("10.166.204.80/29",), "src_ranges": ("10.1.0.0/16",)}
    elsewhere = pol(
        "SOMETHING_NEW",
        prule(1, "deny", layer4=(("tcp", ("5432",)),), **matches),
        prule(2, "deny", direction="INGRESS"),
        prule(3, "deny", src_ranges=("10.9.0.0/16",)),
        prule(4, "deny", dest_ranges=("10.0.0.0/24",)),
    )
    assert effective((), (elsewhere,)) == allowed_by(IMPLIED, DEFAULT, "none")
    here = pol("SOMETHING_NEW", prule(1, "deny", layer4=(("tcp", ("6379",)),), **matches), name="n")
    assert effective((), (here,)).state is HopState.UNKNOWN


def test_an_unknown_enforcement_order_is_named() -> None:
    assert effective((), (pol("NETWORK_REGIONAL", prule(1, "allow")),), "SIDEWAYS") == np.unknown(
        "firewall",
        "cannot prove egress on vpc-a: unknown networkFirewallPolicyEnforcementOrder 'SIDEWAYS'",
        CONFIRM,
    )
    # Without a network policy the order places nothing: hierarchical ones still act.
    assert effective((), (pol("HIERARCHY", prule(1, "deny")),), "SIDEWAYS").state is HopState.BROKEN


def test_the_policy_labels() -> None:
    assert pol("HIERARCHY", name="h").label == "hierarchical firewall policy h"
    assert pol("NETWORK", name="g").label == "network firewall policy g"
    assert pol("NETWORK_REGIONAL", name="r").label == "regional network firewall policy r"
    assert pol("SYSTEM_GLOBAL", name="s").label == "system firewall policy s"
    assert pol("SOMETHING_NEW", name="n").label == "firewall policy n"


def test_policy_rule_and_policy_defaults() -> None:
    r = nfw.PolicyRule(priority=1, action="deny", direction="EGRESS", layer4=())
    assert (r.dest_ranges, r.src_ranges, r.dest_network_type, r.rule_name) == ((), (), "", "")
    assert (r.disabled, r.target_type, r.targets_network) == (False, "", None)
    assert (r.target_service_accounts, r.target_secure_tags, r.other_targets) == ((), (), ())
    assert (r.other_dest, r.other_src) == ((), ())
    assert nfw.FirewallPolicy("p", "NETWORK", ()).priority == 0


# -- VPC rules alone through the same walk ---------------------------------------------


def test_the_implied_allow_is_the_same_rule_for_the_decision_and_the_hop() -> None:
    assert nfw.evaluate_egress([], IP, 6379, CONNECTOR)[0] == FirewallDecision(
        "allow", "implied allow egress", 65535
    )
    assert nfw.firewall_hop([], IP, 6379, CONNECTOR, "vpc-a") == allowed_by(IMPLIED, "vpc-a", "none")
