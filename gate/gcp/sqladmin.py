"""Cloud SQL Admin (``sqladmin_v1beta4``, the only version with a REST transport)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.gcp import names
from gate.gcp.facts import enum_name, need, need_enum, opt
from gate.gcp.transport.paging import first_page, pages

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport


@dataclass(frozen=True)
class IpAddress:
    type: str  # PRIMARY (public) / PRIVATE / OUTGOING
    address: str


@dataclass(frozen=True)
class SqlInstance:
    name: str
    project: str
    state: str  # RUNNABLE / SUSPENDED / MAINTENANCE / FAILED / ...
    # settings.activationPolicy: ALWAYS / NEVER / ON_DEMAND; None when the API sent none.
    activation_policy: str | None
    tier: str  # "db-g1-small", "db-custom-2-7680"
    availability_type: str | None  # ZONAL / REGIONAL
    database_version: str  # POSTGRES_15, ...
    ip_addresses: tuple[IpAddress, ...]
    ipv4_enabled: bool
    # As the API writes it: "/projects/p/global/networks/default" (the documented form) or
    # "projects/p/global/networks/default"; see gate.gcp.names.compute_ref.
    private_network: str | None
    region: str
    gce_zone: str | None
    connection_name: str  # "project:region:instance", as Cloud Run's cloudsql volumes name it

    def address(self, type_: str) -> str | None:
        return next((ip.address for ip in self.ip_addresses if ip.type == type_), None)


@dataclass(frozen=True)
class Tier:
    tier: str
    ram_bytes: int
    disk_quota_bytes: int
    regions: tuple[str, ...]


class SqlAdminProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def instance(self, name: str, *, deadline: float, fresh: bool = False) -> SqlInstance:
        # Accepts "instance", "project:region:instance" or "projects/p/instances/i".
        project = self.transport.project
        if ":" in name:
            parts = name.split(":")  # a domain-scoped project keeps its own colon
            project, name = ":".join(parts[:-2]) or project, parts[-1]
        elif name.startswith("projects/"):
            project, name = name.split("/")[1], names.last(name)
        resource = f"projects/{project}/instances/{name}"

        def get(dl: float) -> SqlInstance:
            client = self.transport.client("sqladmin")
            m = self.transport.call(
                "sqladmin",
                "sql.instances.get",
                lambda t: client.get(request={"project": project, "instance": name}, retry=None, timeout=t),
                deadline=dl,
                resource=resource,
                permission="cloudsql.instances.get",
            )
            return parse_instance(m, resource)

        return self.transport.fetch(("sqladmin.instance", resource), get, deadline=deadline, fresh=fresh)

    def instances(self, *, deadline: float, fresh: bool = False) -> tuple[SqlInstance, ...]:
        """Every instance of the transport's project (sql.instances.list, paged by pageToken)."""
        project = self.transport.project
        resource = f"projects/{project}/instances"

        def list_all(dl: float) -> tuple[SqlInstance, ...]:
            client = self.transport.client("sqladmin")
            out: list[SqlInstance] = []
            for page in pages(
                self.transport,
                "sqladmin",
                "sql.instances.list",
                lambda token, t: first_page(
                    client.list(request={"project": project, "page_token": token}, retry=None, timeout=t)
                ),
                deadline=dl,
                resource=resource,
                permission="cloudsql.instances.list",
            ):
                out.extend(parse_instance(m, f"{resource}/{m.name}") for m in page.items)
            return tuple(out)

        return self.transport.fetch(("sqladmin.instances", project), list_all, deadline=deadline, fresh=fresh)

    def tiers(self, *, deadline: float, fresh: bool = False) -> tuple[Tier, ...]:
        project = self.transport.project
        resource = f"projects/{project}/tiers"

        def list_tiers(dl: float) -> tuple[Tier, ...]:
            client = self.transport.client("sqladmin.tiers")
            # tiers.list is not paginated (TiersListResponse has no page token).
            m = self.transport.call(
                "sqladmin",
                "sql.tiers.list",
                lambda t: client.list(request={"project": project}, retry=None, timeout=t),
                deadline=dl,
                resource=resource,
                permission="cloudsql.instances.list",
            )
            return tuple(
                Tier(
                    tier=need(x.tier, "tier", resource),
                    ram_bytes=int(x.RAM),
                    disk_quota_bytes=int(x.Disk_Quota),
                    regions=tuple(x.region),
                )
                for x in m.items
            )

        return self.transport.fetch(("sqladmin.tiers", project), list_tiers, deadline=deadline, fresh=fresh)


def parse_instance(m: Any, resource: str) -> SqlInstance:
    if "settings" not in m:
        need(None, "settings", resource)
    settings = m.settings
    ipc = settings.ip_configuration if "ip_configuration" in settings else None
    availability = enum_name(settings.availability_type)
    activation = enum_name(settings.activation_policy)
    return SqlInstance(
        name=need(m.name, "name", resource),
        project=m.project or resource.split("/")[1],
        state=need_enum(m.state, "state", resource),
        activation_policy=None if activation.endswith("UNSPECIFIED") else activation,
        tier=need(settings.tier, "settings.tier", resource),
        availability_type=None if availability.endswith("UNSPECIFIED") else availability,
        database_version=need_enum(m.database_version, "databaseVersion", resource),
        ip_addresses=tuple(
            IpAddress(type=enum_name(ip.type_), address=ip.ip_address) for ip in m.ip_addresses
        ),
        ipv4_enabled=bool(ipc.ipv4_enabled) if ipc is not None and "ipv4_enabled" in ipc else False,
        private_network=opt(ipc.private_network) if ipc is not None else None,
        region=need(m.region, "region", resource),
        gce_zone=opt(m.gce_zone),
        connection_name=need(m.connection_name, "connectionName", resource),
    )
