"""Hop 5 of a private path: do the network's effective firewalls let the egress packet out?

Pure, like :mod:`gate.netpath.hops`; ``gate.checks.reachability`` reads Compute's
``regionNetworkFirewallPolicies.getEffectiveFirewalls`` (VPC firewall rules, and
the hierarchical, global and regional network firewall policies of the network)
and hands plain values here.

VPC firewall rules: lower priority number wins; at equal priority a deny
overrides an allow; disabled rules are ignored; an egress rule without
destination ranges means 0.0.0.0/0; a match ends the evaluation.

Firewall policies (Cloud NGFW, "Evaluation order for firewall policies and
rules", https://cloud.google.com/firewall/docs/firewall-policies-rule-eval-order):
the network's ``networkFirewallPolicyEnforcementOrder`` decides the order:

- AFTER_CLASSIC_FIREWALL (the default): hierarchical policies, system policies,
  VPC firewall rules, the global network policy, regional network policies;
- BEFORE_CLASSIC_FIREWALL: hierarchical, system, global network, regional
  network policies, then VPC firewall rules;

then the implied rules (egress: allow, priority 65535). Within a policy the
matching rule with the lowest priority number acts: ``allow`` / ``deny`` end the
evaluation, ``goto_next`` (or no matching rule) passes to the next level, and
``apply_security_profile_group`` hands the packet to layer-7 inspection, whose
verdict gate cannot see.

Fail closed: a rule whose applicability gate cannot decide (secure-tag or
service-account targets, address groups, FQDNs, geolocations, threat
intelligence, a direction or target type compute v1 does not document, ...) is
followed both ways; when the possible verdicts differ, or
one of them is an action gate cannot interpret, the hop is UNKNOWN ("cannot
prove"), never ok.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gate.netpath.hops import (
    IMPLIED_EGRESS_PRIORITY,
    Hop,
    IPv4,
    broken,
    contains,
    is_private,
    ok,
    unknown,
)

# -- hop 5: firewall ---------------------------------------------------------------------


@dataclass(frozen=True)
class FwRule:
    """The parts of a VPC firewall rule that decide an egress packet (from the Firewall fact)."""

    name: str
    direction: str
    priority: int
    action: str  # "allow" / "deny"
    rules: tuple[tuple[str, tuple[str, ...]], ...]  # (protocol, ports)
    destination_ranges: tuple[str, ...] = ()
    source_ranges: tuple[str, ...] = ()
    target_tags: tuple[str, ...] = ()
    target_service_accounts: tuple[str, ...] = ()
    disabled: bool = False


@dataclass(frozen=True)
class Source:
    """Who sends: the connector's or subnet's range, and the network tags its instances carry."""

    cidr: str | None  # 10.1.0.0/28 for a connector; the subnet's range for Direct VPC
    tags: frozenset[str] = field(default_factory=frozenset)


_PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1"}


def port_matches(spec: str, port: int) -> bool:
    """``"6379"`` or ``"6000-7000"`` (inclusive) against one port."""
    lo, sep, hi = spec.partition("-")
    try:
        return int(lo) <= port <= int(hi if sep else lo)
    except ValueError:
        return False


def protocol_matches(rules: Iterable[tuple[str, tuple[str, ...]]], protocol: str, port: int) -> bool:
    want = {protocol.lower(), _PROTOCOL_NUMBERS.get(protocol.lower(), "")}
    for proto, ports in rules:
        p = proto.lower()
        if p == "all":
            return True  # "all" cannot list ports: every port
        if p in want and (not ports or any(port_matches(s, port) for s in ports)):
            return True
    return False


class _Applies(enum.Enum):
    YES = 1
    NO = 2
    MAYBE = 3


DIRECTIONS = ("INGRESS", "EGRESS")


def _odd_direction(direction: str) -> bool:
    """A direction gate does not know (compute v1 documents INGRESS and EGRESS): such a rule
    may filter egress, so it is followed both ways, never ignored."""
    return direction.upper() not in DIRECTIONS


def _applies(rule: FwRule, ip: IPv4, port: int, protocol: str, src: Source) -> _Applies:
    if rule.disabled or rule.direction.upper() == "INGRESS":
        return _Applies.NO
    # An egress rule with no destination ranges matches every destination (0.0.0.0/0).
    if rule.destination_ranges and not any(contains(c, ip) for c in rule.destination_ranges):
        return _Applies.NO
    if not protocol_matches(rule.rules, protocol, port):
        return _Applies.NO
    maybe = _odd_direction(rule.direction)
    if rule.target_tags and not (set(rule.target_tags) & src.tags):
        return _Applies.NO
    if rule.target_service_accounts:
        # Which identity the connector's (or Direct VPC's) packets carry is not
        # visible to gate: such a rule may or may not apply.
        maybe = True
    if rule.source_ranges:
        verdict = _source_overlap(rule.source_ranges, src.cidr)
        if verdict is _Applies.NO:
            return _Applies.NO
        maybe = maybe or verdict is _Applies.MAYBE
    return _Applies.MAYBE if maybe else _Applies.YES


def _source_overlap(ranges: Sequence[str], cidr: str | None) -> _Applies:
    if cidr is None:
        return _Applies.MAYBE
    src = ipaddress.ip_network(cidr, strict=False)
    nets = [ipaddress.ip_network(r, strict=False) for r in ranges]
    if any(src.version == n.version and src.subnet_of(n) for n in nets):  # type: ignore[arg-type]
        return _Applies.YES
    if any(src.overlaps(n) for n in nets):
        return _Applies.MAYBE  # some of the sender's addresses match, some do not
    return _Applies.NO


@dataclass(frozen=True)
class FirewallDecision:
    action: str  # "allow" / "deny"
    rule: str  # the deciding rule's name, or "implied allow egress"
    priority: int


def evaluate_egress(
    rules: Sequence[FwRule], ip: IPv4, port: int, src: Source, protocol: str = "tcp"
) -> tuple[FirewallDecision | None, list[FwRule]]:
    """The VPC firewall rules' decision for one egress packet, and the rules that match it.

    Returns ``(None, rules)`` when rules of uncertain applicability could change
    the decision (fail closed: the caller reports the hop as unknown).
    """
    level = _vpc_level(rules, ip, port, protocol, src)
    matched = sorted(
        (r for r in rules if _applies(r, ip, port, protocol, src) is not _Applies.NO),
        key=lambda r: (r.priority, r.action != "deny", r.name),
    )
    verdicts = list(level.verdicts)
    if level.passes:
        verdicts.append(_implied_allow())
    if len({v.action for v in verdicts}) != 1:
        return None, matched
    decider = _decider(verdicts)
    return FirewallDecision(decider.action, decider.rule, decider.priority), matched


# -- firewall policies -----------------------------------------------------------------

HIERARCHY = "HIERARCHY"
SYSTEM = ("SYSTEM", "SYSTEM_GLOBAL", "SYSTEM_REGIONAL")
NETWORK = "NETWORK"
NETWORK_REGIONAL = "NETWORK_REGIONAL"
AFTER = "AFTER_CLASSIC_FIREWALL"
BEFORE = "BEFORE_CLASSIC_FIREWALL"


@dataclass(frozen=True)
class PolicyRule:
    """The parts of a FirewallPolicyRule that decide an egress packet (plain values)."""

    priority: int
    action: str  # allow / deny / goto_next / apply_security_profile_group / ...
    direction: str
    layer4: tuple[tuple[str, tuple[str, ...]], ...]  # (ipProtocol, ports); () = none given
    dest_ranges: tuple[str, ...] = ()
    src_ranges: tuple[str, ...] = ()
    dest_network_type: str = ""  # INTERNET / NON_INTERNET / ...; "" = not set
    rule_name: str = ""
    disabled: bool = False
    target_type: str = ""  # INSTANCES (default) / INTERNAL_MANAGED_LB
    # None: the rule names no target networks (all); else whether the sender's network is one.
    targets_network: bool | None = None
    target_service_accounts: tuple[str, ...] = ()
    target_secure_tags: tuple[tuple[str, str], ...] = ()  # (tagValues/..., EFFECTIVE|INEFFECTIVE)
    other_targets: tuple[str, ...] = ()  # targets gate cannot map (targetForwardingRules: ...)
    # Matchers gate cannot evaluate, by their API name (destAddressGroups, srcFqdns, ...).
    other_dest: tuple[str, ...] = ()
    other_src: tuple[str, ...] = ()


@dataclass(frozen=True)
class FirewallPolicy:
    name: str  # shortName / displayName / name, as the API gives it
    type: str  # HIERARCHY / NETWORK / NETWORK_REGIONAL / SYSTEM_* / ...
    rules: tuple[PolicyRule, ...]
    priority: int = 0  # association priority (not for HIERARCHY)

    @property
    def label(self) -> str:
        kinds = {
            HIERARCHY: "hierarchical firewall policy",
            NETWORK: "network firewall policy",
            NETWORK_REGIONAL: "regional network firewall policy",
        }
        kind = kinds.get(self.type, "system firewall policy" if self.type in SYSTEM else "firewall policy")
        return f"{kind} {self.name}"


@dataclass(frozen=True)
class _Verdict:
    action: str  # allow / deny / unknown
    by: str  # what decided it
    why: str = ""  # for unknown: what gate cannot interpret
    rule: str = ""  # the deciding rule's name (VPC rules)
    priority: int = IMPLIED_EGRESS_PRIORITY
    sure: bool = True  # False: from a rule that may or may not apply to the packet


def _implied_allow() -> _Verdict:
    """The implied rule every network has: allow egress, at the lowest priority."""
    return _Verdict(
        "allow", f"implied allow egress (priority {IMPLIED_EGRESS_PRIORITY})", rule="implied allow egress"
    )


def _decider(verdicts: Sequence[_Verdict]) -> _Verdict:
    """The verdict to name when all possible verdicts agree: the first rule sure to apply.

    A rule that only may apply is not what decides the packet (if it does not apply,
    the sure one does), so it is not named as the one that allowed or denied it. The
    walk always ends on a sure match or the implied rule, so there is one.
    """
    return next(v for v in verdicts if v.sure)


@dataclass
class _Level:
    """The possible outcomes of one level: terminal verdicts, and whether it may pass on."""

    verdicts: list[_Verdict] = field(default_factory=list)
    passes: bool = False
    doubts: list[str] = field(default_factory=list)  # rules followed both ways, and why
    matched: list[str] = field(default_factory=list)


_NOT_APPLIES = (_Applies.NO, "")
_APPLIES = (_Applies.YES, "")


def _policy_applies(
    rule: PolicyRule, ip: IPv4, port: int, protocol: str, src: Source
) -> tuple[_Applies, str]:
    """Whether ``rule`` applies to the egress packet, and why it may (for MAYBE)."""
    if rule.disabled or rule.direction.upper() == "INGRESS":
        return _NOT_APPLIES
    if rule.target_type.upper() == "INTERNAL_MANAGED_LB" or rule.targets_network is False:
        return _NOT_APPLIES
    if rule.layer4 and not protocol_matches(rule.layer4, protocol, port):
        return _NOT_APPLIES
    net_type = rule.dest_network_type.upper()
    if net_type == "INTERNET" and is_private(ip):
        return _NOT_APPLIES  # a private VPC/peering destination is not an internet one
    in_ranges = any(contains(c, ip) for c in rule.dest_ranges)
    if rule.dest_ranges and not in_ranges and not rule.other_dest:
        return _NOT_APPLIES
    doubts: list[str] = []
    if _odd_direction(rule.direction):
        doubts.append(f"its direction {rule.direction} is not one gate knows ({'/'.join(DIRECTIONS)})")
    if rule.target_type.upper() not in ("", "INSTANCES"):
        # compute v1 FirewallPolicyRule.targetType: INSTANCES (the default) or INTERNAL_MANAGED_LB.
        doubts.append(
            f"its targetType {rule.target_type} is not one gate knows (INSTANCES/INTERNAL_MANAGED_LB)"
        )
    if not rule.layer4:
        doubts.append("it lists no layer4Configs")
    if rule.other_dest and not in_ranges:
        doubts.append(f"its destination is given by {', '.join(rule.other_dest)}")
    # Sure: unset, UNSPECIFIED, and NON_INTERNET for a private address (INTERNET for one is
    # excluded above). A doubt: a public address under INTERNET / NON_INTERNET, and INTRA_VPC,
    # VPC_NETWORKS (in compute v1's enum, not in the field's description) or any newer value.
    if not (net_type in ("", "UNSPECIFIED") or (net_type == "NON_INTERNET" and is_private(ip))):
        doubts.append(f"destNetworkType {rule.dest_network_type}")
    if rule.target_secure_tags:
        if all(state.upper() == "INEFFECTIVE" for _, state in rule.target_secure_tags):
            return _NOT_APPLIES  # documented: then the rule is ignored
        tags = ", ".join(name for name, _ in rule.target_secure_tags)
        doubts.append(f"it targets secure tags ({tags}) gate cannot map to the sender")
    if rule.target_service_accounts:
        doubts.append(
            f"it targets service accounts ({', '.join(rule.target_service_accounts)}) gate cannot "
            "map to the sender"
        )
    if rule.other_targets:
        doubts.append(f"it targets {', '.join(rule.other_targets)}")
    if rule.src_ranges:
        overlap = _source_overlap(rule.src_ranges, src.cidr)
        if overlap is _Applies.NO:
            return _NOT_APPLIES
        if overlap is _Applies.MAYBE:
            doubts.append("its source ranges cover part of the sender's range")
    if rule.other_src:
        doubts.append(f"its source is given by {', '.join(rule.other_src)}")
    return (_Applies.MAYBE, "; ".join(doubts)) if doubts else _APPLIES


def _rule_label(rule: PolicyRule, policy: FirewallPolicy) -> str:
    name = f" ({rule.rule_name})" if rule.rule_name else ""
    return f"rule {rule.priority}{name} of {policy.label}"


def _policy_level(policy: FirewallPolicy, ip: IPv4, port: int, protocol: str, src: Source) -> _Level:
    out = _Level()
    for rule in sorted(policy.rules, key=lambda r: r.priority):
        applies, doubt = _policy_applies(rule, ip, port, protocol, src)
        if applies is _Applies.NO:
            continue
        label = _rule_label(rule, policy)
        out.matched.append(f"{label}: {rule.action}")
        if applies is _Applies.MAYBE:
            out.doubts.append(f"{label} ({rule.action}) may apply: {doubt}")
        action = rule.action.lower()
        if action in ("allow", "deny"):
            out.verdicts.append(_Verdict(action, label, sure=applies is _Applies.YES))
        elif action == "goto_next":
            out.passes = True
        elif action == "apply_security_profile_group":
            out.verdicts.append(
                _Verdict(
                    "unknown",
                    label,
                    "it hands the packet to layer-7 inspection (a security "
                    "profile group), whose verdict gate cannot see",
                )
            )
        else:
            out.verdicts.append(_Verdict("unknown", label, f"gate cannot interpret action {rule.action!r}"))
        if applies is _Applies.YES:
            return out  # the first sure match acts; goto_next has already set `passes`
    out.passes = True  # no (sure) match: the next level decides
    return out


def _vpc_level(rules: Sequence[FwRule], ip: IPv4, port: int, protocol: str, src: Source) -> _Level:
    out = _Level()
    by_priority: dict[int, list[tuple[FwRule, _Applies]]] = {}
    for r in rules:
        a = _applies(r, ip, port, protocol, src)
        if a is not _Applies.NO:
            by_priority.setdefault(r.priority, []).append((r, a))
            out.matched.append(f"{r.name} ({r.action} p{r.priority})")
    for priority in sorted(by_priority):
        group = sorted(by_priority[priority], key=lambda x: (x[0].action != "deny", x[0].name))
        for r, a in group:
            if a is _Applies.MAYBE:
                why = (
                    f"its direction {r.direction} is not one gate knows ({'/'.join(DIRECTIONS)})"
                    if _odd_direction(r.direction)
                    else "it depends on the sender's service account or part of its address range"
                )
                out.doubts.append(f"VPC firewall rule {r.name} ({r.action} p{r.priority}) may apply: {why}")
            out.verdicts.append(
                _Verdict(
                    r.action,
                    f"firewall rule {r.name} (priority {r.priority})",
                    rule=r.name,
                    priority=r.priority,
                    sure=a is _Applies.YES,
                )
            )
        if any(a is _Applies.YES for _, a in group):
            # A sure match ends the evaluation; at equal priority a deny overrides an allow,
            # so an allow here may still lose to a deny of the same priority (listed first).
            sure_deny = any(a is _Applies.YES and r.action == "deny" for r, a in group)
            if sure_deny:
                out.verdicts = [v for v in out.verdicts if not _same_priority_allow(v, priority)]
            return out
    out.passes = True
    return out


def _same_priority_allow(v: _Verdict, priority: int) -> bool:
    return v.action == "allow" and bool(v.rule) and v.priority == priority


def _levels(policies: Sequence[FirewallPolicy], order: str) -> list[FirewallPolicy | None]:
    """The evaluation order; None stands for the VPC firewall rules."""
    hier = [p for p in policies if p.type == HIERARCHY]  # the API lists them from the organization down
    system = [p for p in policies if p.type in SYSTEM]
    glob = sorted((p for p in policies if p.type == NETWORK), key=lambda p: p.priority)
    regional = sorted((p for p in policies if p.type == NETWORK_REGIONAL), key=lambda p: p.priority)
    head: list[FirewallPolicy | None] = [*hier, *system]
    network: list[FirewallPolicy | None] = [*glob, *regional]
    if order == BEFORE:
        return [*head, *network, None]
    return [*head, None, *network]


def effective_hop(
    rules: Sequence[FwRule],
    ip: IPv4,
    port: int,
    src: Source,
    network: str,
    policies: Sequence[FirewallPolicy] = (),
    order: str | None = None,
    protocol: str = "tcp",
) -> Hop:
    """The firewall hop from the network's effective firewalls (VPC rules and firewall policies)."""
    shown_order = order or f"{AFTER} (the default)"
    known_types = {HIERARCHY, NETWORK, NETWORK_REGIONAL, *SYSTEM}
    odd = [p for p in policies if p.type not in known_types and _could_apply(p, ip, port, protocol, src)]
    if odd:
        return unknown(
            "firewall",
            f"cannot prove egress to {ip}:{port}/{protocol} on {network}: "
            + "; ".join(
                f"{p.label} has type {p.type or 'unset'}, which gate cannot place in the evaluation order"
                for p in odd
            ),
            "Set confirm: true to ask a Connectivity Test.",
        )
    if order not in (None, AFTER, BEFORE) and any(p.type in (NETWORK, NETWORK_REGIONAL) for p in policies):
        return unknown(
            "firewall",
            f"cannot prove egress on {network}: unknown networkFirewallPolicyEnforcementOrder {order!r}",
            "Set confirm: true to ask a Connectivity Test.",
        )
    verdicts: list[_Verdict] = []
    doubts: list[str] = []
    matched: list[str] = []
    for policy in _levels(policies, order or AFTER):
        level = (
            _vpc_level(rules, ip, port, protocol, src)
            if policy is None
            else _policy_level(policy, ip, port, protocol, src)
        )
        verdicts.extend(level.verdicts)
        doubts.extend(level.doubts)
        matched.extend(level.matched)
        if not level.passes:
            break
    else:
        verdicts.append(_implied_allow())
    listed = ", ".join(matched) or "none"
    layered = bool(policies)
    where = f"{network} (enforcement order {shown_order})" if layered else network
    actions = {v.action for v in verdicts}
    if actions == {"deny"}:
        # The allow must come before the first deny that may apply, not only the sure one.
        first = verdicts[0]
        return broken(
            "firewall",
            f"egress to {ip}:{port}/{protocol} is denied by {_decider(verdicts).by} on {where}; "
            f"matching rules: {listed}",
            f"Allow egress {protocol}:{port} to {ip} before {first.by} is reached (a higher priority, "
            "or an earlier level of the evaluation order), or remove that deny rule.",
        )
    if actions == {"allow"}:
        return ok(
            "firewall",
            f"egress to {ip}:{port}/{protocol} allowed by {_decider(verdicts).by} on {where}; "
            f"matching rules: {listed}",
        )
    why = [f"{v.by}: {v.why}" for v in verdicts if v.action == "unknown"] + doubts
    odd_direction = any(_odd_direction(r.direction) for r in rules)
    # VPC rules alone, all known: every verdict is allow or deny, the doubt is applicability
    if not layered and not odd_direction and not any(v.action == "unknown" for v in verdicts):
        detail = (
            f"egress rules of {network} that may apply depend on the sender's service account or "
            f"address: {listed}"
        )
    else:
        detail = (
            f"cannot prove egress to {ip}:{port}/{protocol} on {where}: possible verdicts "
            f"{', '.join(sorted(actions))}; " + "; ".join(why)
        )
    return unknown(
        "firewall",
        detail,
        "Target the rules by network tag, range or network, or set confirm: true to ask a Connectivity Test.",
    )


def _could_apply(policy: FirewallPolicy, ip: IPv4, port: int, protocol: str, src: Source) -> bool:
    return any(_policy_applies(r, ip, port, protocol, src)[0] is not _Applies.NO for r in policy.rules)


def firewall_hop(rules: Sequence[FwRule], ip: IPv4, port: int, src: Source, network: str) -> Hop:
    """The firewall hop from VPC firewall rules alone (no firewall policies)."""
    return effective_hop(rules, ip, port, src, network)
