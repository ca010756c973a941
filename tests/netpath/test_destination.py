"""gate.netpath.destination: the network and destination hops for Redis, Cloud SQL and addresses."""

from __future__ import annotations

import ipaddress

import pytest

from gate.checks import sql_state
from gate.netpath import destination as nd
from gate.netpath import hops as np
from gate.netpath.hops import HopState, PeeringView

IP = ipaddress.IPv4Address
SQL_IP = IP("10.107.0.3")
PSA = PeeringView("servicenetworking-googleapis-com", "servicenetworking", "ACTIVE")
REDIS_PEER = PeeringView("redis-peer-701982941522", "redis-peer-network", "ACTIVE")


# -- Cloud SQL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "port"),
    [
        ("POSTGRES_15", 5432),
        ("POSTGRES_9_6", 5432),
        ("MYSQL_8_0", 3306),
        ("SQLSERVER_2019_STANDARD", 1433),
        ("SPANNER_1", 0),  # unknown engine: no port, the check fails closed (ERROR)
        ("", 0),
        ("postgres_15", 0),  # enum values are upper case; a lower-case one is not guessed at
        ("MY_POSTGRES", 0),
    ],
)
def test_the_engine_port_comes_from_the_database_version(version: str, port: int) -> None:
    assert nd.sql_port(version) == port


def test_an_instance_without_private_ip_is_broken_at_the_destination() -> None:
    assert nd.sql_no_private_ip("Cloud SQL db") == np.broken(
        "destination",
        "Cloud SQL db has no private IP (settings.ipConfiguration.privateNetwork is not set)",
        "Enable private IP on the instance in the revision's VPC network.",
    )


def test_psa_range_holds_the_address() -> None:
    hop = nd.psa_range_hop(SQL_IP, ["10.0.0.0/24", "10.107.0.0/16"], "vpc-a", "Cloud SQL db")
    assert hop == np.ok(
        "network", "Cloud SQL db is on vpc-a via private services access (range 10.107.0.0/16)"
    )


def test_an_address_outside_every_allocated_range_is_broken() -> None:
    hop = nd.psa_range_hop(SQL_IP, ["10.108.0.0/16", "10.0.0.0/24"], "vpc-a", "Cloud SQL db")
    assert hop == np.broken(
        "network",
        "10.107.0.3 is outside every allocated private services range of vpc-a (10.108.0.0/16, 10.0.0.0/24)",
        "Allocate the range for private services access on this network.",
    )
    assert nd.psa_range_hop(SQL_IP, [], "vpc-a", "db").detail == (
        "10.107.0.3 is outside every allocated private services range of vpc-a (none)"
    )


def test_psa_peering_must_be_there_and_active() -> None:
    assert nd.psa_peering_hop([REDIS_PEER, PSA], "vpc-a") is None
    remediation = "Connect private services access on this network (gcloud services vpc-peerings connect)."
    assert nd.psa_peering_hop([REDIS_PEER], "vpc-a") == np.broken(
        "network",
        "network vpc-a has no private services access peering (servicenetworking-googleapis-com...)",
        remediation,
    )
    inactive = PeeringView(PSA.name, PSA.network, "INACTIVE")
    assert nd.psa_peering_hop([inactive], "vpc-a") == np.broken(
        "network",
        "the private services access peering servicenetworking-googleapis-com of network vpc-a is INACTIVE",
        remediation,
    )


@pytest.mark.parametrize("region", ["europe-west1", "us-central1"])
@pytest.mark.parametrize(
    ("serving", "hop"),
    [
        (
            True,
            np.ok(
                "destination", "Cloud SQL db RUNNABLE, activationPolicy ALWAYS, port 5432, region {region}"
            ),
        ),
        (
            False,
            np.broken("destination", "Cloud SQL db is not serving: RUNNABLE, activationPolicy ALWAYS", "fix"),
        ),
        (None, np.unknown("destination", "Cloud SQL db: RUNNABLE, activationPolicy ALWAYS", "fix")),
    ],
)
def test_sql_destination_follows_the_serving_judgement_in_any_region(
    serving: bool | None, hop: np.Hop, region: str
) -> None:
    # Private services access routes are global: the region does not matter, only whether
    # gate.checks.sql_state judged the instance serving (True), not (False) or cannot tell (None).
    # The detail is passed through as given (deliberately the same text in every case).
    want = np.Hop(hop.name, hop.state, hop.detail.format(region=region), hop.remediation)
    got = nd.sql_destination_hop(
        "Cloud SQL db", serving, "RUNNABLE, activationPolicy ALWAYS", region, 5432, "fix"
    )
    assert got == want


def test_a_serving_sql_destination_carries_no_remediation() -> None:
    hop = nd.sql_destination_hop(
        "Cloud SQL db", True, "RUNNABLE, activationPolicy ALWAYS", "r", 3306, "unused"
    )
    assert hop == np.ok("destination", "Cloud SQL db RUNNABLE, activationPolicy ALWAYS, port 3306, region r")
    # Without a remediation, none is made up.
    assert nd.sql_destination_hop("Cloud SQL db", False, "why", "r", 3306) == np.broken(
        "destination", "Cloud SQL db is not serving: why"
    )
    assert nd.sql_destination_hop("Cloud SQL db", None, "why", "r", 3306) == np.unknown(
        "destination", "Cloud SQL db: why"
    )


@pytest.mark.parametrize(
    ("state", "activation", "hop_state", "detail"),
    [
        (
            "RUNNABLE",
            "ALWAYS",
            HopState.OK,
            "Cloud SQL db RUNNABLE, activationPolicy ALWAYS, port 5432, region europe-west1",
        ),
        ("SUSPENDED", "ALWAYS", HopState.BROKEN, "Cloud SQL db is not serving: SUSPENDED, not RUNNABLE: "),
        (
            "MAINTENANCE",
            "ALWAYS",
            HopState.BROKEN,
            "Cloud SQL db is not serving: MAINTENANCE, not RUNNABLE: ",
        ),
        ("RUNNABLE", "NEVER", HopState.BROKEN, "Cloud SQL db is not serving: stopped: state RUNNABLE but "),
        (
            "RUNNABLE",
            None,
            HopState.UNKNOWN,
            "Cloud SQL db: state RUNNABLE but settings.activationPolicy is absent",
        ),
        (
            "STATE_NEW_TO_GATE",
            "ALWAYS",
            HopState.UNKNOWN,
            "Cloud SQL db: state STATE_NEW_TO_GATE is not one gate knows",
        ),
    ],
)
def test_sql_destination_must_be_runnable_and_on(
    state: str, activation: str | None, hop_state: HopState, detail: str
) -> None:
    # As gate.checks.reachability wires them: sql_state judges, the hop reports.
    up = sql_state.judge("db", "p", state, activation)
    serving = None if up.serving is sql_state.Serving.UNKNOWN else up.ok
    hop = nd.sql_destination_hop("Cloud SQL db", serving, up.detail, "europe-west1", 5432, up.remediation)
    assert hop.state is hop_state and hop.detail.startswith(detail), hop.detail
    assert hop.remediation == up.remediation


# -- Memorystore -------------------------------------------------------------------------


def test_redis_peering_active_is_ok() -> None:
    hop = nd.redis_peering_hop([PSA, REDIS_PEER], "vpc-a", "Redis cache")
    assert hop == np.ok("network", "Redis cache is on vpc-a through its ACTIVE Memorystore peering")


def test_redis_peering_missing_or_inactive_is_broken() -> None:
    remediation = "Recreate the Memorystore peering (or the instance) on this network."
    assert nd.redis_peering_hop([PSA], "vpc-a", "Redis cache") == np.broken(
        "network", "network vpc-a has no Memorystore peering (redis-peer-...)", remediation
    )
    inactive = PeeringView(REDIS_PEER.name, REDIS_PEER.network, "INACTIVE", "peer deleted")
    assert nd.redis_peering_hop([inactive], "vpc-a", "Redis cache") == np.broken(
        "network",
        "the Memorystore peering redis-peer-701982941522 of network vpc-a is INACTIVE: peer deleted",
        remediation,
    )


def test_redis_destination_ready_in_the_revision_region() -> None:
    hop = nd.redis_destination_hop("Redis cache", "READY", "us-central1", "us-central1", SQL_IP, 6379)
    assert hop == np.ok("destination", "Redis cache READY at 10.107.0.3:6379 in us-central1")


@pytest.mark.parametrize("state", ["CREATING", "REPAIRING", "MAINTENANCE", "STATE_UNSPECIFIED"])
def test_redis_destination_not_ready_is_broken(state: str) -> None:
    hop = nd.redis_destination_hop("Redis cache", state, "us-central1", "us-central1", SQL_IP, 6379)
    assert hop == np.broken("destination", f"Redis cache is {state}, not READY", "Wait for or repair it.")


def test_redis_in_another_region_is_not_judged() -> None:
    hop = nd.redis_destination_hop("Redis cache", "READY", "us-east1", "us-central1", SQL_IP, 6379)
    assert hop == np.unknown(
        "destination",
        "Redis cache is in us-east1, the revision in us-central1: cross-region access is not judged "
        "from configuration",
        "Set confirm: true to ask a Connectivity Test, or use an instance in the same region.",
    )


def test_a_not_ready_redis_is_broken_before_its_region_is_considered() -> None:
    hop = nd.redis_destination_hop("Redis cache", "CREATING", "us-east1", "us-central1", SQL_IP, 6379)
    assert hop.state is HopState.BROKEN


# -- the source on another network -----------------------------------------------------


def test_another_network_without_peering() -> None:
    hop = nd.other_network_hop("connector c", "vpc-a", "vpc-b", "Redis cache", "redis", SQL_IP, None)
    assert hop == np.broken(
        "network",
        "connector c is on network vpc-a, but Redis cache is authorized on network vpc-b; "
        "no route from vpc-a reaches 10.107.0.3",
        "Use a connector (or Direct VPC egress) on network vpc-b, "
        "or recreate the destination on network vpc-a.",
    )


def test_another_network_with_a_peering_is_still_broken_because_peering_is_not_transitive() -> None:
    hop = nd.other_network_hop("connector c", "vpc-a", "vpc-b", "Cloud SQL db", "sql", SQL_IP, "ACTIVE")
    assert hop.state is HopState.BROKEN
    assert hop.detail == (
        "connector c is on network vpc-a, but Cloud SQL db has its private IP on network vpc-b; "
        "vpc-a peers with vpc-b (ACTIVE), but VPC Network Peering is not transitive, so the "
        "producer's peering on vpc-b is not reachable from vpc-a"
    )


# -- a literal address -------------------------------------------------------------------


def test_an_address_on_the_revision_network() -> None:
    hop = nd.address_network_hop(IP("10.10.0.7"), "vpc-a", "vpc-a", same=True, peer=None)
    assert hop == np.ok("network", "10.10.0.7 is on the revision's network vpc-a")


def test_an_address_across_an_active_peering() -> None:
    peer = PeeringView("a-to-b", "vpc-b", "ACTIVE")
    hop = nd.address_network_hop(IP("10.20.0.7"), "vpc-a", "vpc-b", same=False, peer=peer)
    assert hop == np.ok("network", "vpc-a reaches vpc-b through ACTIVE peering a-to-b")


@pytest.mark.parametrize("state", ["INACTIVE", "STATE_NEW_TO_GATE", ""])
def test_an_address_across_a_peering_that_is_not_active_is_broken(state: str) -> None:
    peer = PeeringView("a-to-b", "vpc-b", state)
    hop = nd.address_network_hop(IP("10.20.0.7"), "vpc-a", "vpc-b", same=False, peer=peer)
    assert hop == np.broken("network", f"peering a-to-b from vpc-a to vpc-b is {state}")


def test_an_address_on_an_unpeered_network() -> None:
    hop = nd.address_network_hop(IP("10.20.0.7"), "vpc-a", "vpc-b", same=False, peer=None)
    assert hop == np.broken(
        "network", "network vpc-a has no peering to vpc-b, where 10.20.0.7 lives", "Peer the networks."
    )


def test_same_network_wins_over_any_peering() -> None:
    inactive = PeeringView("a-to-a", "vpc-a", "INACTIVE")
    assert (
        nd.address_network_hop(IP("10.10.0.7"), "vpc-a", "vpc-a", same=True, peer=inactive).state
        is HopState.OK
    )


def test_a_literal_destination_is_not_inspected() -> None:
    assert nd.address_destination_hop(IP("10.10.0.7"), 8080) == np.ok(
        "destination", "10.10.0.7:8080 (not inspected: a literal address)"
    )
