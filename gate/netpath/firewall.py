"""Hop 5 of a private path: does the VPC firewall let the egress packet out?

Pure, like :mod:`gate.netpath.hops`. VPC firewall rules: lower priority number
wins; at equal priority a deny overrides an allow; disabled rules are ignored;
an egress rule without destination ranges means 0.0.0.0/0; with no matching
rule the implied allow-egress rule (priority 65535) applies.
"""

from __future__ import annotations

import enum
import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gate.netpath.hops import (
    IMPLIED_EGRESS_PRIORITY,
    MAX_UNCERTAIN_RULES,
    Hop,
    IPv4,
    broken,
    contains,
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


def _applies(rule: FwRule, ip: IPv4, port: int, protocol: str, src: Source) -> _Applies:
    if rule.disabled or rule.direction.upper() != "EGRESS":
        return _Applies.NO
    # An egress rule with no destination ranges matches every destination (0.0.0.0/0).
    if rule.destination_ranges and not any(contains(c, ip) for c in rule.destination_ranges):
        return _Applies.NO
    if not protocol_matches(rule.rules, protocol, port):
        return _Applies.NO
    maybe = False
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


def _decide(rules: Sequence[FwRule]) -> FirewallDecision:
    if not rules:
        return FirewallDecision("allow", "implied allow egress", IMPLIED_EGRESS_PRIORITY)
    top = min(r.priority for r in rules)
    at_top = sorted((r for r in rules if r.priority == top), key=lambda r: r.name)
    deny = next((r for r in at_top if r.action == "deny"), None)  # deny wins a tie
    winner = deny or at_top[0]
    return FirewallDecision(winner.action, winner.name, winner.priority)


def evaluate_egress(
    rules: Sequence[FwRule], ip: IPv4, port: int, src: Source, protocol: str = "tcp"
) -> tuple[FirewallDecision | None, list[FwRule]]:
    """The decision for one egress packet, and the rules that match it.

    Returns ``(None, rules)`` when rules of uncertain applicability could change
    the decision (fail closed: the caller reports the hop as unknown).
    """
    sure: list[FwRule] = []
    maybe: list[FwRule] = []
    for r in rules:
        a = _applies(r, ip, port, protocol, src)
        if a is _Applies.YES:
            sure.append(r)
        elif a is _Applies.MAYBE:
            maybe.append(r)
    matched = sorted(sure + maybe, key=lambda r: (r.priority, r.action != "deny", r.name))
    if len(maybe) > MAX_UNCERTAIN_RULES:
        return None, matched
    outcomes = {
        _decide(sure + list(subset)).action
        for n in range(len(maybe) + 1)
        for subset in itertools.combinations(maybe, n)
    }
    if len(outcomes) > 1:
        return None, matched
    return _decide(sure), matched


def firewall_hop(rules: Sequence[FwRule], ip: IPv4, port: int, src: Source, network: str) -> Hop:
    decision, matched = evaluate_egress(rules, ip, port, src)
    listed = ", ".join(f"{r.name} ({r.action} p{r.priority})" for r in matched) or "none"
    if decision is None:
        return unknown(
            "firewall",
            f"egress rules of {network} that may apply depend on the sender's service account or "
            f"address: {listed}",
            "Target the rules by network tag or range, or set confirm: true to ask a Connectivity Test.",
        )
    if decision.action == "deny":
        return broken(
            "firewall",
            f"egress to {ip}:{port}/tcp is denied by firewall rule {decision.rule} "
            f"(priority {decision.priority}) on {network}; matching rules: {listed}",
            f"Allow egress tcp:{port} to {ip} at a higher priority (lower number) than "
            f"{decision.rule}, or remove that deny rule.",
        )
    return ok(
        "firewall",
        f"egress to {ip}:{port}/tcp allowed by {decision.rule} (priority {decision.priority}) "
        f"on {network}; matching rules: {listed}",
    )
