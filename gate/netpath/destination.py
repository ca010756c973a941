"""Pure reasoning about the destination end of a private path (hops 4 and 6).

Like :mod:`gate.netpath.hops`, no I/O: ``gate.checks.reachability`` reads the
network, peering and instance facts and hands plain values here. One function
per kind of destination, because each reaches the VPC differently:

- Memorystore for Redis in DIRECT_PEERING mode: the producer peering
  ``redis-peer-...`` on the authorized network must be ACTIVE.
- Memorystore in PRIVATE_SERVICE_ACCESS mode and Cloud SQL private IP: the
  ``servicenetworking-googleapis-com`` peering must be ACTIVE and the address
  must lie in a range allocated for private services access.
- A literal address: the revision's network, or one it peers with directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.netpath.hops import (
    PSA_PEERING,
    REDIS_PEERING_PREFIX,
    Hop,
    IPv4,
    PeeringView,
    broken,
    in_any,
    ok,
    peering_hop,
    unknown,
)

SQL_PORTS = {"POSTGRES": 5432, "MYSQL": 3306, "SQLSERVER": 1433}


# -- Cloud SQL: private IP and port ------------------------------------------------------


def sql_port(database_version: str) -> int:
    """The engine's port for ``databaseVersion`` (POSTGRES_15 -> 5432); 0 when unknown."""
    return next((v for k, v in SQL_PORTS.items() if database_version.startswith(k)), 0)


def sql_no_private_ip(label: str) -> Hop:
    return broken(
        "destination",
        f"{label} has no private IP (settings.ipConfiguration.privateNetwork is not set)",
        "Enable private IP on the instance in the revision's VPC network.",
    )


# -- hop 4: the network ------------------------------------------------------------------


def other_network_hop(
    src_label: str,
    here: str,
    there: str,
    dest_label: str,
    kind: str,
    ip: IPv4,
    peering_state: str | None,
) -> Hop:
    """The source is not on the destination's network; ``peering_state`` is that of a
    direct peering between the two, if any (it does not help: peering is not transitive)."""
    where = "is authorized on" if kind == "redis" else "has its private IP on"
    via = (
        f"; {here} peers with {there} ({peering_state}), but VPC Network Peering is not "
        "transitive, so the producer's peering on "
        f"{there} is not reachable from {here}"
        if peering_state is not None
        else f"; no route from {here} reaches {ip}"
    )
    return broken(
        "network",
        f"{src_label} is on network {here}, but {dest_label} {where} network {there}{via}",
        f"Use a connector (or Direct VPC egress) on network {there}, or recreate the "
        f"destination on network {here}.",
    )


def redis_peering_hop(peerings: Sequence[PeeringView], there: str, label: str) -> Hop:
    """Memorystore DIRECT_PEERING: the producer's own peering on the authorized network."""
    bad = peering_hop(
        peerings,
        name_prefix=REDIS_PEERING_PREFIX,
        network=there,
        what="Memorystore",
        remediation="Recreate the Memorystore peering (or the instance) on this network.",
    )
    return bad or ok("network", f"{label} is on {there} through its ACTIVE Memorystore peering")


def psa_peering_hop(peerings: Sequence[PeeringView], there: str) -> Hop | None:
    """None when private services access is connected on ``there``; else the broken hop."""
    return peering_hop(
        peerings,
        name_prefix=PSA_PEERING,
        network=there,
        what="private services access",
        remediation="Connect private services access on this network (gcloud services vpc-peerings connect).",
    )


def psa_range_hop(ip: IPv4, cidrs: Sequence[str], there: str, label: str) -> Hop:
    """Is the destination's address inside a range allocated for private services access?"""
    hit = in_any(ip, cidrs)
    if hit is None:
        return broken(
            "network",
            f"{ip} is outside every allocated private services range of {there} "
            f"({', '.join(cidrs) or 'none'})",
            "Allocate the range for private services access on this network.",
        )
    return ok("network", f"{label} is on {there} via private services access (range {hit})")


def address_network_hop(ip: IPv4, here: str, there: str, *, same: bool, peer: PeeringView | None) -> Hop:
    """A literal address: on the revision's network (``same``), or across ``peer``, a
    direct peering from the revision's network to the address's."""
    if same:
        return ok("network", f"{ip} is on the revision's network {here}")
    if peer is None:
        return broken(
            "network",
            f"network {here} has no peering to {there}, where {ip} lives",
            "Peer the networks.",
        )
    if peer.state != "ACTIVE":
        return broken("network", f"peering {peer.name} from {here} to {there} is {peer.state}")
    return ok("network", f"{here} reaches {there} through ACTIVE peering {peer.name}")


# -- hop 6: the destination itself -------------------------------------------------------


def redis_destination_hop(label: str, state: str, region: str, rev_region: str, ip: IPv4, port: int) -> Hop:
    if state != "READY":
        return broken("destination", f"{label} is {state}, not READY", "Wait for or repair it.")
    if region != rev_region:
        return unknown(
            "destination",
            f"{label} is in {region}, the revision in {rev_region}: cross-region access is "
            "not judged from configuration",
            "Set confirm: true to ask a Connectivity Test, or use an instance in the same region.",
        )
    return ok("destination", f"{label} READY at {ip}:{port} in {region}")


def sql_destination_hop(
    label: str, serving: bool | None, detail: str, region: str, port: int, remediation: str = ""
) -> Hop:
    """``serving``: True / False (FAIL) / None (cannot tell: ERROR), as gate.checks.sql_state
    judged it from state and settings.activationPolicy (RUNNABLE alone is not enough)."""
    if serving is None:
        return unknown("destination", f"{label}: {detail}", remediation)
    if not serving:
        return broken("destination", f"{label} is not serving: {detail}", remediation)
    # Private services access routes are global: other regions of the VPC reach it too.
    return ok("destination", f"{label} {detail}, port {port}, region {region}")


def address_destination_hop(ip: IPv4, port: int) -> Hop:
    return ok("destination", f"{ip}:{port} (not inspected: a literal address)")
