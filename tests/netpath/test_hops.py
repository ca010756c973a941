"""gate.netpath.hops: addresses, the egress setting, peerings, and how hops combine."""

from __future__ import annotations

import ipaddress

import pytest

from gate.netpath import hops as np
from gate.netpath.hops import Hop, HopState, PeeringView

IP = ipaddress.IPv4Address


# -- hops and their combination ---------------------------------------------------------


def test_hop_constructors_and_evidence() -> None:
    assert np.ok("egress", "fine") == Hop("egress", HopState.OK, "fine", "")
    assert np.broken("network", "cut", "fix it") == Hop("network", HopState.BROKEN, "cut", "fix it")
    assert np.broken("network", "cut").remediation == ""
    assert np.unknown("firewall", "unsure", "ask") == Hop("firewall", HopState.UNKNOWN, "unsure", "ask")
    assert np.unknown("firewall", "unsure").remediation == ""
    hop = np.broken("network", "cut", "fix it")
    assert hop.as_evidence() == {"hop": "network", "state": "broken", "detail": "cut"}
    assert [s.value for s in HopState] == ["ok", "broken", "unknown"]


def test_the_first_broken_and_the_first_unknown_hop() -> None:
    a, b1, u1, b2, u2 = (
        np.ok("a", ""),
        np.broken("b1", ""),
        np.unknown("u1", ""),
        np.broken("b2", ""),
        np.unknown("u2", ""),
    )
    assert np.first_broken([a, u1, b1, b2]) is b1
    assert np.first_unknown([a, b1, u1, u2]) is u1
    assert np.first_broken([a, u1]) is None
    assert np.first_unknown([a, b1]) is None
    assert np.first_broken([]) is None and np.first_unknown([]) is None


# -- addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("10.166.204.83:6379", (IP("10.166.204.83"), 6379)),
        ("10.0.0.1:1", (IP("10.0.0.1"), 1)),
        ("10.0.0.1:65535", (IP("10.0.0.1"), 65535)),
    ],
)
def test_parse_address(text: str, want: tuple[ipaddress.IPv4Address, int]) -> None:
    assert np.parse_address(text) == want


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.166.204.83", 'expected "IPv4:port" like "10.166.204.83:6379", got \'10.166.204.83\''),
        (":6379", 'expected "IPv4:port" like "10.166.204.83:6379", got \':6379\''),
        ("redis.internal:6379", "'redis.internal' is not an IPv4 address"),
        ("10.0.0.1:2:6379", "'10.0.0.1:2' is not an IPv4 address"),
        ("10.0.0.1:0", "'0' is not a port (1-65535)"),
        ("10.0.0.1:65536", "'65536' is not a port (1-65535)"),
        ("10.0.0.1:http", "'http' is not a port (1-65535)"),
        ("10.0.0.1:+80", "'+80' is not a port (1-65535)"),
        ("10.0.0.1:", "'' is not a port (1-65535)"),
    ],
)
def test_bad_addresses_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError) as e:
        np.parse_address(text)
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("cidr", "ip", "inside"),
    [
        ("10.166.204.80/29", "10.166.204.80", True),
        ("10.166.204.80/29", "10.166.204.87", True),
        ("10.166.204.80/29", "10.166.204.88", False),
        ("10.166.204.80/29", "10.166.204.79", False),
        ("10.166.204.81/29", "10.166.204.87", True),  # host bits set: still the /29
        ("10.0.0.7", "10.0.0.7", True),
        ("fd00::/8", "10.0.0.1", False),
        ("::/0", "10.0.0.1", False),
        ("not-a-range", "10.0.0.1", False),
        ("", "10.0.0.1", False),
    ],
)
def test_contains(cidr: str, ip: str, inside: bool) -> None:
    assert np.contains(cidr, IP(ip)) is inside


@pytest.mark.parametrize(
    ("ip", "private"),
    [
        ("10.0.0.0", True),
        ("10.255.255.255", True),
        ("9.255.255.255", False),
        ("11.0.0.0", False),
        ("172.16.0.0", True),
        ("172.31.255.255", True),
        ("172.15.255.255", False),
        ("172.32.0.0", False),
        ("192.168.0.0", True),
        ("192.168.255.255", True),
        ("192.167.255.255", False),
        ("192.169.0.0", False),
        ("100.64.0.0", True),  # RFC 6598
        ("100.127.255.255", True),
        ("100.63.255.255", False),
        ("100.128.0.0", False),
        ("240.0.0.1", False),  # Class E: not documented as internal
        ("34.1.2.3", False),
    ],
)
def test_private_ranges_are_rfc1918_and_rfc6598(ip: str, private: bool) -> None:
    assert np.is_private(IP(ip)) is private


def test_in_any_names_the_first_range_that_holds_the_address() -> None:
    ip = IP("10.107.0.3")
    assert np.in_any(ip, ["10.0.0.0/24", "10.107.0.0/16", "10.0.0.0/8"]) == "10.107.0.0/16"
    assert np.in_any(ip, ["10.0.0.0/24", "bad"]) is None
    assert np.in_any(ip, []) is None


# -- the egress setting ----------------------------------------------------------------


def test_all_traffic_sends_everything_through_the_vpc() -> None:
    hop = np.egress_hop("ALL_TRAFFIC", IP("34.1.2.3"))
    assert hop == np.ok("egress", "egress ALL_TRAFFIC: all traffic goes through the VPC")


def test_private_ranges_only_sends_internal_addresses_through_the_vpc() -> None:
    hop = np.egress_hop("PRIVATE_RANGES_ONLY", IP("10.166.204.83"))
    assert hop == np.ok(
        "egress", "egress PRIVATE_RANGES_ONLY: 10.166.204.83 is an internal address, sent through the VPC"
    )


def test_unset_egress_is_the_documented_default_and_says_so() -> None:
    for unset in (None, ""):
        assert np.egress_hop(unset, IP("172.20.0.1")).detail == (
            "egress PRIVATE_RANGES_ONLY (the default): 172.20.0.1 is an internal address, "
            "sent through the VPC"
        )
    hop = np.egress_hop(None, IP("34.1.2.3"))
    assert hop == np.broken(
        "egress",
        "egress PRIVATE_RANGES_ONLY (the default) sends 34.1.2.3 to the internet, not through the VPC "
        "(only RFC 1918 and 100.64.0.0/10 go through the VPC)",
        "Set the revision's VPC egress to ALL_TRAFFIC (--vpc-egress=all-traffic), "
        "or use an internal address.",
    )


def test_a_public_address_with_private_ranges_only_is_broken() -> None:
    hop = np.egress_hop("PRIVATE_RANGES_ONLY", IP("240.0.0.1"))
    assert hop.state is HopState.BROKEN
    assert hop.detail.startswith("egress PRIVATE_RANGES_ONLY sends 240.0.0.1 to the internet")


@pytest.mark.parametrize("setting", ["SOMETHING_NEW", "all_traffic", "VPC_EGRESS_UNSPECIFIED"])
def test_an_unknown_egress_setting_is_unknown_never_ok(setting: str) -> None:
    hop = np.egress_hop(setting, IP("10.0.0.1"))
    assert hop == np.unknown("egress", f"unknown egress setting {setting!r}")


# -- peerings ---------------------------------------------------------------------------

ARGS = {
    "name_prefix": "redis-peer-",
    "network": "vpc-a",
    "what": "Memorystore",
    "remediation": "Recreate it.",
}


def test_find_peering_matches_the_name_prefix() -> None:
    other = PeeringView("servicenetworking-googleapis-com", "sn", "ACTIVE")
    redis = PeeringView("redis-peer-7019", "rp", "ACTIVE")
    assert np.find_peering([other, redis], name_prefix="redis-peer-") is redis
    assert np.find_peering([other], name_prefix="redis-peer-") is None
    assert np.find_peering([PeeringView("my-redis-peer-1", "x", "ACTIVE")], name_prefix="redis-peer-") is None


def test_an_active_producer_peering_is_no_broken_hop() -> None:
    assert np.peering_hop([PeeringView("redis-peer-1", "x", "ACTIVE")], **ARGS) is None


@pytest.mark.parametrize(
    ("peering", "detail"),
    [
        (
            PeeringView("redis-peer-1", "x", "INACTIVE", "peer network deleted"),
            "the Memorystore peering redis-peer-1 of network vpc-a is INACTIVE: peer network deleted",
        ),
        (
            PeeringView("redis-peer-1", "x", "INACTIVE"),
            "the Memorystore peering redis-peer-1 of network vpc-a is INACTIVE",
        ),
        (
            PeeringView("redis-peer-1", "x", "STATE_NEW_TO_GATE"),
            "the Memorystore peering redis-peer-1 of network vpc-a is STATE_NEW_TO_GATE",
        ),
    ],
)
def test_a_producer_peering_that_is_not_active_is_broken(peering: PeeringView, detail: str) -> None:
    assert np.peering_hop([peering], **ARGS) == np.broken("network", detail, "Recreate it.")


def test_a_missing_producer_peering_is_broken() -> None:
    assert np.peering_hop([PeeringView("other", "x", "ACTIVE")], **ARGS) == np.broken(
        "network", "network vpc-a has no Memorystore peering (redis-peer-...)", "Recreate it."
    )
