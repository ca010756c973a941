"""Cloud Run Admin API v2: services and revisions (facts in ``facts_run``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gate.errors import ApiError
from gate.gcp import names
from gate.gcp.facts import Sensitive, enum_name, need, opt, timestamp
from gate.gcp.facts_run import (
    Condition,
    Container,
    ContainerPort,
    EnvVar,
    NetworkInterface,
    Probe,
    Revision,
    SecretRef,
    Service,
    TrafficStatus,
    TrafficTarget,
    VpcAccess,
)
from gate.gcp.transport.paging import first_page, pages
from gate.model import TrafficEntry

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport


class RunProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.parent = f"projects/{transport.project}/locations/{transport.region}"

    def service_name(self, name: str) -> str:
        return names.full(name, self.parent, "services")

    def revision_name(self, name: str, service: str) -> str:
        return names.full(name, self.service_name(service), "revisions")

    def service(self, name: str, *, deadline: float, fresh: bool = False) -> Service:
        full = self.service_name(name)
        return self.transport.fetch(
            ("run.service", full),
            lambda dl: parse_service(self._get_service(full, dl)),
            deadline=deadline,
            fresh=fresh,
        )

    def services(self, *, deadline: float, fresh: bool = False) -> tuple[Service, ...]:
        """Every service in the region (run.v2 services.list; deleted ones are not listed by default)."""
        parent = self.parent

        def list_all(dl: float) -> tuple[Service, ...]:
            client = self.transport.client("run")
            out: list[Service] = []
            for page in pages(
                self.transport,
                "run",
                "ListServices",
                lambda token, t: first_page(
                    client.list_services(
                        request={"parent": parent, "page_token": token}, retry=None, timeout=t
                    )
                ),
                deadline=dl,
                resource=parent,
                permission="run.services.list",
            ):
                out.extend(parse_service(s) for s in page.services)
            return tuple(out)

        return self.transport.fetch(("run.services", parent), list_all, deadline=deadline, fresh=fresh)

    def revision(self, name: str, service: str, *, deadline: float, fresh: bool = False) -> Revision:
        full = self.revision_name(name, service)

        def get(dl: float) -> Revision:
            client = self.transport.client("run.revisions")
            msg = self.transport.call(
                "run",
                "GetRevision",
                lambda t: client.get_revision(name=full, retry=None, timeout=t),
                deadline=dl,
                resource=full,
                permission="run.revisions.get",
            )
            return parse_revision(msg)

        return self.transport.fetch(("run.revision", full), get, deadline=deadline, fresh=fresh)

    def revisions(self, service: str, *, deadline: float, fresh: bool = False) -> tuple[Revision, ...]:
        parent = self.service_name(service)

        def list_all(dl: float) -> tuple[Revision, ...]:
            client = self.transport.client("run.revisions")
            out: list[Revision] = []
            for page in pages(
                self.transport,
                "run",
                "ListRevisions",
                lambda token, t: first_page(
                    client.list_revisions(
                        request={"parent": parent, "page_token": token}, retry=None, timeout=t
                    )
                ),
                deadline=dl,
                resource=parent,
                permission="run.revisions.list",
            ):
                out.extend(parse_revision(r) for r in page.revisions)
            return tuple(out)

        return self.transport.fetch(("run.revisions", parent), list_all, deadline=deadline, fresh=fresh)

    def update_traffic(
        self, service: str, targets: Sequence[TrafficEntry], etag: str, *, deadline: float
    ) -> str:
        """Replace the service's traffic with ``targets`` (PATCH guarded by ``etag``); returns the operation.

        The service is re-read and sent back whole with only ``traffic`` changed and
        ``updateMask=traffic`` (services.patch in the run.v2 reference), so nothing
        else in its spec moves. The etag is the one the caller judged: the server
        refuses the update (409 ABORTED) if the service changed since.
        """
        from gate.narrow_import import narrow_import

        traffic_types = narrow_import("google.cloud.run_v2.types.traffic_target")
        full = self.service_name(service)
        raw = self._get_service(full, deadline)
        if raw.etag != etag:
            raise ApiError(
                "run",
                "the service changed since it was checked (etag mismatch); re-run the gate",
                code=409,
                status="ABORTED",
                resource=full,
            )
        kinds = traffic_types.TrafficTargetAllocationType
        raw.traffic = [
            traffic_types.TrafficTarget(
                type_=kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
                if t.revision is None
                else kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
                revision=names.last(t.revision) if t.revision else "",
                percent=t.percent,
                tag=t.tag or "",
            )
            for t in targets
        ]
        client = self.transport.client("run")
        op = self.transport.call(
            "run",
            "UpdateService",
            lambda t: client.update_service(
                request={"service": raw, "update_mask": {"paths": ["traffic"]}}, retry=None, timeout=t
            ),
            deadline=deadline,
            resource=full,
            permission="run.services.update",
        )
        return str(op.operation.name)

    def _get_service(self, full: str, deadline: float) -> Any:
        client = self.transport.client("run")
        return self.transport.call(
            "run",
            "GetService",
            lambda t: client.get_service(name=full, retry=None, timeout=t),
            deadline=deadline,
            resource=full,
            permission="run.services.get",
        )


def parse_condition(c: Any) -> Condition:
    reason = ""
    for field in ("reason", "revision_reason", "execution_reason"):
        if field in c:
            reason = enum_name(getattr(c, field))
            break
    return Condition(
        type=c.type_,
        state=enum_name(c.state),
        reason=reason,
        message=c.message,
        severity=enum_name(c.severity) if c.severity else "",
        last_transition_time=timestamp(c.last_transition_time),
    )


def parse_service(s: Any) -> Service:
    name = need(s.name, "name", "run service")
    return Service(
        name=name,
        generation=need(int(s.generation), "generation", name),
        observed_generation=int(s.observed_generation),
        reconciling=bool(s.reconciling),
        terminal_condition=parse_condition(s.terminal_condition) if "terminal_condition" in s else None,
        conditions=tuple(parse_condition(c) for c in s.conditions),
        latest_created_revision=opt(s.latest_created_revision),
        latest_ready_revision=opt(s.latest_ready_revision),
        uri=opt(s.uri),
        urls=tuple(s.urls),
        traffic=tuple(
            TrafficTarget(
                type=enum_name(t.type_), percent=int(t.percent), revision=opt(t.revision), tag=opt(t.tag)
            )
            for t in s.traffic
        ),
        traffic_statuses=tuple(
            TrafficStatus(
                type=enum_name(t.type_),
                percent=int(t.percent),
                revision=opt(t.revision),
                tag=opt(t.tag),
                uri=opt(t.uri),
            )
            for t in s.traffic_statuses
        ),
        etag=s.etag,
    )


def _env(e: Any) -> EnvVar:
    if "value_source" in e and "secret_key_ref" in e.value_source:
        ref = e.value_source.secret_key_ref
        return EnvVar(name=e.name, secret=SecretRef(secret=ref.secret, version=ref.version or "latest"))
    return EnvVar(name=e.name, value=Sensitive(e.value))


def _int_or_none(value: Any) -> int | None:
    # proto3 scalars without presence: 0 is what the API sends for "unset".
    n = int(value)
    return n or None


def _probe(c: Any, field: str) -> Probe | None:
    if field not in c:
        return None
    p = getattr(c, field)
    action, port, path = "", None, None
    # run.v2 Probe: exactly one of httpGet, tcpSocket or grpc (discovery doc, GoogleCloudRunV2Probe).
    for name, label in (("http_get", "httpGet"), ("tcp_socket", "tcpSocket"), ("grpc", "grpc")):
        if name in p:
            act = getattr(p, name)
            action, port = label, _int_or_none(act.port)
            if name == "http_get":
                path = opt(act.path)
            break
    return Probe(
        action=action,
        port=port,
        path=path,
        initial_delay_seconds=int(p.initial_delay_seconds),
        timeout_seconds=_int_or_none(p.timeout_seconds),
        period_seconds=_int_or_none(p.period_seconds),
        failure_threshold=_int_or_none(p.failure_threshold),
    )


def _container(c: Any, revision: str) -> Container:
    limits = dict(c.resources.limits) if "resources" in c else {}
    return Container(
        name=c.name,
        image=need(c.image, "container image", revision),
        env=tuple(_env(e) for e in c.env),
        limits=tuple(sorted((str(k), str(v)) for k, v in limits.items())),
        startup_probe=_probe(c, "startup_probe"),
        liveness_probe=_probe(c, "liveness_probe"),
        ports=tuple(ContainerPort(p.name, int(p.container_port)) for p in c.ports),
    )


def _parent_service(service: str, revision: str) -> str:
    # The API's `service` may be the short name; facts always carry the full one.
    derived = revision.rsplit("/", 2)[0]
    if not service:
        return derived
    return service if service.startswith("projects/") else f"{derived.rsplit('/', 1)[0]}/{service}"


def parse_revision(r: Any) -> Revision:
    name = need(r.name, "name", "run revision")
    vpc = None
    if "vpc_access" in r:
        v = r.vpc_access
        egress = enum_name(v.egress)
        vpc = VpcAccess(
            connector=opt(v.connector),
            egress=None if egress.endswith("UNSPECIFIED") else egress,
            network_interfaces=tuple(
                NetworkInterface(network=opt(n.network), subnetwork=opt(n.subnetwork), tags=tuple(n.tags))
                for n in v.network_interfaces
            ),
        )
    sql: list[str] = []
    for vol in r.volumes:
        if "cloud_sql_instance" in vol:
            sql.extend(vol.cloud_sql_instance.instances)
    return Revision(
        name=name,
        service=_parent_service(r.service, name),
        generation=int(r.generation),
        create_time=timestamp(r.create_time) if "create_time" in r else None,
        reconciling=bool(r.reconciling),
        conditions=tuple(parse_condition(c) for c in r.conditions),
        containers=tuple(_container(c, name) for c in r.containers),
        vpc_access=vpc,
        cloudsql_instances=tuple(sql),
        service_account=opt(r.service_account),
        log_uri=opt(r.log_uri),
        min_instances=_int_or_none(r.scaling.min_instance_count) if "scaling" in r else None,
        max_instances=_int_or_none(r.scaling.max_instance_count) if "scaling" in r else None,
    )
