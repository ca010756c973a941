"""Pure reasoning about one private path from a Cloud Run revision into a VPC.

No I/O and no project imports: ``gate.checks.reachability``
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
