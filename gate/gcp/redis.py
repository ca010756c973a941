"""Memorystore for Redis instances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.gcp import names
from gate.gcp.facts import enum_name, need, need_enum, opt
from gate.gcp.transport.paging import first_page, pages

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport


@dataclass(frozen=True)
class RedisInstance:
    name: str  # projects/p/locations/r/instances/i
    state: str  # READY / CREATING / UPDATING / REPAIRING / MAINTENANCE / ...
    host: str
    port: int
    authorized_network: str  # full network name, e.g. projects/p/global/networks/default
    connect_mode: str  # DIRECT_PEERING (the API's default) / PRIVATE_SERVICE_ACCESS
    reserved_ip_range: str | None
    location_id: str | None  # zone
    auth_enabled: bool
    transit_encryption_mode: str  # SERVER_AUTHENTICATION / DISABLED
    redis_version: str | None
    status_message: str

    @property
    def region(self) -> str:
        return names.segment(self.name, "locations") or ""


class RedisProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def instance_name(self, name: str) -> str:
        return names.full(
            name, f"projects/{self.transport.project}/locations/{self.transport.region}", "instances"
        )

    def instance(self, name: str, *, deadline: float, fresh: bool = False) -> RedisInstance:
        full = self.instance_name(name)

        def get(dl: float) -> RedisInstance:
            client = self.transport.client("redis")
            m = self.transport.call(
                "redis",
                "GetInstance",
                lambda t: client.get_instance(name=full, retry=None, timeout=t),
                deadline=dl,
                resource=full,
                permission="redis.instances.get",
            )
            return parse_instance(m, full)

        return self.transport.fetch(("redis.instance", full), get, deadline=deadline, fresh=fresh)

    def instances(self, *, deadline: float, fresh: bool = False) -> tuple[RedisInstance, ...]:
        """Every instance in the transport's region (redis.v1 projects.locations.instances.list)."""
        parent = f"projects/{self.transport.project}/locations/{self.transport.region}"

        def list_all(dl: float) -> tuple[RedisInstance, ...]:
            client = self.transport.client("redis")
            out: list[RedisInstance] = []
            for page in pages(
                self.transport,
                "redis",
                "ListInstances",
                lambda token, t: first_page(
                    client.list_instances(
                        request={"parent": parent, "page_token": token}, retry=None, timeout=t
                    )
                ),
                deadline=dl,
                resource=parent,
                permission="redis.instances.list",
            ):
                out.extend(parse_instance(m, m.name or parent) for m in page.instances)
            return tuple(out)

        return self.transport.fetch(("redis.instances", parent), list_all, deadline=deadline, fresh=fresh)


def parse_instance(m: Any, resource: str) -> RedisInstance:
    mode = enum_name(m.connect_mode)
    transit = enum_name(m.transit_encryption_mode)
    return RedisInstance(
        name=need(m.name, "name", resource),
        state=need_enum(m.state, "state", resource),
        host=need(m.host, "host", resource),
        port=need(int(m.port), "port", resource),
        authorized_network=need(m.authorized_network, "authorizedNetwork", resource),
        # The API documents an unset connect mode as DIRECT_PEERING.
        connect_mode="DIRECT_PEERING" if mode.endswith("UNSPECIFIED") else mode,
        reserved_ip_range=opt(m.reserved_ip_range),
        location_id=opt(m.location_id),
        auth_enabled=bool(m.auth_enabled),
        # Unset transit encryption means DISABLED (the API default).
        transit_encryption_mode="DISABLED" if transit.endswith("UNSPECIFIED") else transit,
        redis_version=opt(m.redis_version),
        status_message=m.status_message,
    )
