"""Pure reasoning about one private path from a Cloud Run revision into a VPC.

No I/O and no project imports beyond the model: ``gate.checks.reachability``
reads the facts and hands plain values here, so every rule below is unit-tested
on its own (tests/test_netpath.py). Each function returns a :class:`Hop`; the
path is broken at its FIRST broken hop, and a hop that could not be judged is
UNKNOWN, which the check reports as ERROR, never as a pass.

Sources for the semantics (see docs/checks/network.reachability.md):

- Serverless VPC Access: a connector sends "internal IP addresses (as defined by
  RFC 1918 and RFC 6598)" into the VPC; its instances carry the network tags
  ``vpc-connector`` and ``vpc-connector-REGION-NAME``.
- VPC firewall rules: lower priority number wins; at equal priority a deny
  overrides an allow; disabled rules are ignored; an egress rule without
  destination ranges means 0.0.0.0/0; with no matching rule the implied
  allow-egress rule (priority 65535) applies.
- VPC Network Peering is not transitive: a producer network (Memorystore,
  Cloud SQL) peered with network A is not reachable from network B peered with A.
"""

from __future__ import annotations

import enum
import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

IPv4 = ipaddress.IPv4Address
Net = ipaddress.IPv4Network

# What PRIVATE_RANGES_ONLY sends through the VPC: RFC 1918 and RFC 6598, the
# ranges Serverless VPC Access documents as internal. Anything else (Class E,
# privately used public IPs) goes to the internet and needs ALL_TRAFFIC.
PRIVATE_RANGES: tuple[Net, ...] = tuple(
    ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
IMPLIED_EGRESS_PRIORITY = 65535
# Peerings the producers create (names fixed by Google).
PSA_PEERING = "servicenetworking-googleapis-com"
REDIS_PEERING_PREFIX = "redis-peer-"
# At most this many rules of uncertain applicability are enumerated (2**n cases).
MAX_UNCERTAIN_RULES = 8


class HopState(str, enum.Enum):
    OK = "ok"
    BROKEN = "broken"
    UNKNOWN = "unknown"  # could not be evaluated: ERROR, never a pass


@dataclass(frozen=True)
class Hop:
    name: str
    state: HopState
    detail: str
    remediation: str = ""

    def as_evidence(self) -> dict[str, str]:
        return {"hop": self.name, "state": self.state.value, "detail": self.detail}


def ok(name: str, detail: str) -> Hop:
    return Hop(name, HopState.OK, detail)


def broken(name: str, detail: str, remediation: str = "") -> Hop:
    return Hop(name, HopState.BROKEN, detail, remediation)


def unknown(name: str, detail: str, remediation: str = "") -> Hop:
    return Hop(name, HopState.UNKNOWN, detail, remediation)


def first_broken(hops: Sequence[Hop]) -> Hop | None:
    """The hop that breaks the path. A broken hop anywhere proves unreachability,
    even after an unknown one (every hop is needed)."""
    return next((h for h in hops if h.state is HopState.BROKEN), None)


def first_unknown(hops: Sequence[Hop]) -> Hop | None:
    return next((h for h in hops if h.state is HopState.UNKNOWN), None)


# -- addresses -------------------------------------------------------------------------


def parse_address(text: str) -> tuple[IPv4, int]:
    """``"10.166.204.83:6379"`` -> (address, port); ValueError with a readable message."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f'expected "IPv4:port" like "10.166.204.83:6379", got {text!r}')
    try:
        ip = ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not an IPv4 address") from None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{port_text!r} is not a port (1-65535)")
    return ip, int(port_text)


def contains(cidr: str, ip: IPv4) -> bool:
    """Whether ``cidr`` holds ``ip``; an unparsable or IPv6 range holds nothing IPv4."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return isinstance(net, ipaddress.IPv4Network) and ip in net


def is_private(ip: IPv4) -> bool:
    return any(ip in r for r in PRIVATE_RANGES)


# -- hop 3: egress setting ---------------------------------------------------------------


def egress_hop(egress: str | None, ip: IPv4) -> Hop:
    """Does the revision's egress setting send ``ip`` into the VPC at all?"""
    setting = egress or "PRIVATE_RANGES_ONLY"  # the API's default when unset
    shown = setting if egress else "PRIVATE_RANGES_ONLY (the default)"
    if setting == "ALL_TRAFFIC":
        return ok("egress", f"egress {shown}: all traffic goes through the VPC")
    if setting != "PRIVATE_RANGES_ONLY":
        return unknown("egress", f"unknown egress setting {setting!r}")
    if is_private(ip):
        return ok("egress", f"egress {shown}: {ip} is an internal address, sent through the VPC")
    return broken(
        "egress",
        f"egress {shown} sends {ip} to the internet, not through the VPC "
        "(only RFC 1918 and 100.64.0.0/10 go through the VPC)",
        "Set the revision's VPC egress to ALL_TRAFFIC (--vpc-egress=all-traffic), "
        "or use an internal address.",
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


# -- hop 4: networks ---------------------------------------------------------------------


@dataclass(frozen=True)
class PeeringView:
    name: str
    network: str  # the peer network (short "project/name" or a URL)
    state: str
    state_details: str = ""


def find_peering(peerings: Sequence[PeeringView], *, name_prefix: str) -> PeeringView | None:
    return next((p for p in peerings if p.name.startswith(name_prefix)), None)


def peering_hop(
    peerings: Sequence[PeeringView], *, name_prefix: str, network: str, what: str, remediation: str
) -> Hop | None:
    """None when the producer peering is there and ACTIVE; else the broken hop."""
    p = find_peering(peerings, name_prefix=name_prefix)
    if p is None:
        return broken("network", f"network {network} has no {what} peering ({name_prefix}...)", remediation)
    if p.state != "ACTIVE":
        details = f": {p.state_details}" if p.state_details else ""
        return broken(
            "network",
            f"the {what} peering {p.name} of network {network} is {p.state}{details}",
            remediation,
        )
    return None


def in_any(ip: IPv4, cidrs: Iterable[str]) -> str | None:
    return next((c for c in cidrs if contains(c, ip)), None)
