"""Serverless VPC Access connectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.gcp import names
from gate.gcp.facts import need, need_enum, opt

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport


@dataclass(frozen=True)
class Connector:
    name: str  # projects/p/locations/r/connectors/c
    state: str  # READY / CREATING / DELETING / ERROR / UPDATING
    network: str | None  # short network name; None when the connector uses `subnet` instead
    ip_cidr_range: str | None  # the /28 the connector's instances use (None with `subnet`)
    subnet_name: str | None
    subnet_project: str | None
    min_instances: int
    max_instances: int
    min_throughput: int
    max_throughput: int
    connected_projects: tuple[str, ...]
    machine_type: str | None

    @property
    def region(self) -> str:
        return names.segment(self.name, "locations") or ""


class VpcAccessProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def connector_name(self, name: str) -> str:
        return names.full(
            name, f"projects/{self.transport.project}/locations/{self.transport.region}", "connectors"
        )

    def connector(self, name: str, *, deadline: float, fresh: bool = False) -> Connector:
        full = self.connector_name(name)

        def get(dl: float) -> Connector:
            client = self.transport.client("vpcaccess")
            m = self.transport.call(
                "vpcaccess",
                "GetConnector",
                lambda t: client.get_connector(name=full, retry=None, timeout=t),
                deadline=dl,
                resource=full,
                permission="vpcaccess.connectors.get",
            )
            return parse_connector(m, full)

        return self.transport.fetch(("vpcaccess.connector", full), get, deadline=deadline, fresh=fresh)


def parse_connector(m: Any, resource: str) -> Connector:
    has_subnet = "subnet" in m and bool(m.subnet.name)
    network = opt(m.network)
    cidr = opt(m.ip_cidr_range)
    if not has_subnet and not (network and cidr):
        need(None, "network and ipCidrRange (or subnet)", resource)
    return Connector(
        name=need(m.name, "name", resource),
        state=need_enum(m.state, "state", resource),
        network=network,
        ip_cidr_range=cidr,
        subnet_name=opt(m.subnet.name) if has_subnet else None,
        subnet_project=opt(m.subnet.project_id) if has_subnet else None,
        min_instances=int(m.min_instances),
        max_instances=int(m.max_instances),
        min_throughput=int(m.min_throughput),
        max_throughput=int(m.max_throughput),
        connected_projects=tuple(m.connected_projects),
        machine_type=opt(m.machine_type),
    )
