"""Network Management connectivity tests: create, wait, read the analysis, delete.

A test is created per question and deleted afterwards, always (even when
creating, polling or reading failed), so the gate leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.errors import ApiError, GateError
from gate.gcp.facts import enum_name, need, need_enum, timestamp

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport

POLL_INTERVAL_S = 1.0
DELETE_GRACE_S = 3.0  # at most this much of the check's deadline is kept back for deleting
DELETE_MIN_S = 0.3  # the delete always gets this long (less than the engine's abandon grace)

# Step detail messages that name a resource (the oneof `step_info`), most specific first.
_INFO_FIELDS = (
    "drop",
    "abort",
    "deliver",
    "forward",
    "firewall",
    "route",
    "vpc_connector",
    "direct_vpc_egress_connection",
    "serverless_external_connection",
    "cloud_run_revision",
    "redis_instance",
    "cloud_sql_instance",
    "instance",
    "network",
    "endpoint",
    "forwarding_rule",
    "load_balancer",
    "nat",
    "proxy_connection",
    "google_service",
    "vpn_gateway",
    "vpn_tunnel",
    "interconnect_attachment",
    "hybrid_subnet",
    "gke_master",
    "gke_pod",
    "cloud_function",
    "app_engine_version",
    "cloud_run_job",
    "redis_cluster",
    "storage_bucket",
    "serverless_neg",
)


_SERVICE_REVISION = re.compile(
    r"^projects/(?P<p>[^/]+)/locations/(?P<l>[^/]+)/services/[^/]+/revisions/(?P<r>[^/]+)$"
)
_REVISION_URI = re.compile(r"^projects/[^/]+/locations/[^/]+/revisions/[^/]+$")


def cloud_run_revision_uri(name: str) -> str:
    """The Endpoint.cloudRunRevision.uri of a revision.

    Network Management v1 (CloudRunRevisionEndpoint.uri) documents the form
    ``projects/{project}/locations/{location}/revisions/{revision}``, not the
    service-scoped name Cloud Run Admin v2 gives a revision
    (``projects/P/locations/L/services/S/revisions/R``).
    """
    m = _SERVICE_REVISION.match(name)
    if m:
        return f"projects/{m['p']}/locations/{m['l']}/revisions/{m['r']}"
    if _REVISION_URI.match(name):
        return name
    raise ValueError(f"{name!r} is not a Cloud Run revision name")


@dataclass(frozen=True)
class EndpointSpec:
    """One end of a connectivity test (fields as in the API's Endpoint)."""

    ip_address: str | None = None
    port: int | None = None
    network: str | None = None  # projects/p/global/networks/n
    project_id: str | None = None
    cloud_run_revision: str | None = None  # full revision name (either form; sent as the documented uri)
    redis_instance: str | None = None  # full instance name
    cloud_sql_instance: str | None = None  # projects/p/instances/i
    network_type: str | None = None  # GCP_NETWORK / NON_GCP_NETWORK / INTERNET

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in (
            "ip_address",
            "port",
            "network",
            "project_id",
            "redis_instance",
            "cloud_sql_instance",
            "network_type",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.cloud_run_revision:
            out["cloud_run_revision"] = {"uri": cloud_run_revision_uri(self.cloud_run_revision)}
        return out


@dataclass(frozen=True)
class Step:
    state: (
        str  # START_FROM_CLOUD_RUN_REVISION, APPLY_EGRESS_FIREWALL_RULE, ARRIVE_AT_VPC_CONNECTOR, DROP, ...
    )
    description: str
    causes_drop: bool
    kind: str  # which detail the step carries: "firewall", "route", "drop", ...
    resource: str  # its URI / display name, "" when it names none
    cause: str  # DropInfo/AbortInfo cause, e.g. FIREWALL_RULE, NO_ROUTE; "" otherwise
    project_id: str = ""
    ip_address: str = ""  # DeliverInfo / DropInfo / AbortInfo ip_address, when set
    target: str = ""  # DeliverInfo.target (REDIS_INSTANCE, CLOUD_SQL_INSTANCE, ...)
    # What the viewer may not see: AbortInfo.projects_missing_permission, or the
    # resource types of a VIEWER_PERMISSION_MISSING step (ViewerPermissionMissingInfo)
    # when the client library knows that field.
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trace:
    steps: tuple[Step, ...]
    forward_trace_id: int = 0

    @property
    def final(self) -> Step | None:
        return self.steps[-1] if self.steps else None

    @property
    def breaking_step(self) -> Step | None:
        """The hop that breaks: the first step that drops or aborts the packet."""
        return next((s for s in self.steps if s.causes_drop or s.state in ("DROP", "ABORT")), None)


@dataclass(frozen=True)
class ConnectivityResult:
    test: str  # the (deleted) test's name
    result: str  # REACHABLE / UNREACHABLE / AMBIGUOUS / UNDETERMINED
    verify_time: dt.datetime | None
    error: str  # the analysis' own error message, "" if none
    traces: tuple[Trace, ...]
    cleanup_error: str = ""  # deleting the test failed (reported, never fatal)

    @property
    def reachable(self) -> bool:
        return self.result == "REACHABLE"


class NetworkManagementProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.parent = f"projects/{transport.project}/locations/global"

    def test(
        self,
        source: EndpointSpec,
        destination: EndpointSpec,
        *,
        protocol: str = "TCP",
        deadline: float,
        fresh: bool = False,
        poll_interval: float = POLL_INTERVAL_S,
    ) -> ConnectivityResult:
        key = ("networkmanagement.test", source, destination, protocol)
        return self.transport.fetch(
            key,
            lambda dl: self._run(source, destination, protocol, dl, poll_interval),
            deadline=deadline,
            fresh=fresh,
        )

    def _run(
        self,
        source: EndpointSpec,
        destination: EndpointSpec,
        protocol: str,
        deadline: float,
        poll_interval: float,
    ) -> ConnectivityResult:
        client = self.transport.client("networkmanagement")
        test_id = f"gate-{uuid.uuid4().hex[:20]}"
        name = f"{self.parent}/connectivityTests/{test_id}"
        body = {
            "name": name,
            "source": source.to_api(),
            "destination": destination.to_api(),
            "protocol": protocol,
            "description": "created by gate; deleted when the check ends",
        }
        # Keep time for the delete inside the check's own deadline: a failing or hanging
        # API must not push the attempt past it (the engine would abandon the attempt
        # and report a bare time-out instead of the real cause).
        final_deadline = deadline
        deadline -= min(DELETE_GRACE_S, max(0.0, deadline - time.monotonic()) / 4)
        try:
            op = self.transport.call(
                "networkmanagement",
                "CreateConnectivityTest",
                lambda t: client.create_connectivity_test(
                    request={"parent": self.parent, "test_id": test_id, "resource": body},
                    retry=None,
                    timeout=t,
                ),
                deadline=deadline,
                resource=name,
                permission="networkmanagement.connectivitytests.create",
            )
            self._wait(client, op.operation, name, deadline, poll_interval)
            test = self.transport.call(
                "networkmanagement",
                "GetConnectivityTest",
                lambda t: client.get_connectivity_test(name=name, retry=None, timeout=t),
                deadline=deadline,
                resource=name,
                permission="networkmanagement.connectivitytests.get",
            )
            result = parse_result(test, name)
        except BaseException:
            # Even when create itself failed: a create that timed out may still have
            # happened on the server (a 404 on delete is fine).
            self._delete(client, name, final_deadline)
            raise
        cleanup = self._delete(client, name, final_deadline)
        return ConnectivityResult(
            test=result.test,
            result=result.result,
            verify_time=result.verify_time,
            error=result.error,
            traces=result.traces,
            cleanup_error=cleanup,
        )

    def _wait(self, client: Any, operation: Any, name: str, deadline: float, poll_interval: float) -> None:
        op_name = operation.name
        while not operation.done:
            if time.monotonic() + poll_interval >= deadline:
                raise ApiError(
                    "networkmanagement",
                    f"connectivity test still running at the deadline ({op_name})",
                    resource=name,
                )
            time.sleep(poll_interval)
            operation = self.transport.call(
                "networkmanagement",
                "GetOperation",
                lambda t: client.get_operation(request={"name": op_name}, retry=None, timeout=t),
                deadline=deadline,
                resource=op_name,
                permission="networkmanagement.operations.get",
            )
        if operation.HasField("error") and operation.error.code:
            raise ApiError(
                "networkmanagement", f"connectivity test failed: {operation.error.message}", resource=name
            )

    def _delete(self, client: Any, name: str, deadline: float) -> str:
        """Delete the test; returns "" or why it could not be deleted (never raises)."""
        try:
            self.transport.call(
                "networkmanagement",
                "DeleteConnectivityTest",
                lambda t: client.delete_connectivity_test(name=name, retry=None, timeout=t),
                deadline=max(deadline, time.monotonic() + DELETE_MIN_S),
                resource=name,
                permission="networkmanagement.connectivitytests.delete",
            )
        except GateError as e:
            if getattr(e, "code", None) == 404:
                return ""
            return str(e)
        return ""


def _step(s: Any) -> Step:
    kind, resource, cause, ip, target = "", "", "", "", ""
    missing: tuple[str, ...] = ()
    for f in _INFO_FIELDS:
        if f in s:
            kind = f
            info = getattr(s, f)
            resource = (
                getattr(info, "resource_uri", "")
                or getattr(info, "uri", "")
                or getattr(info, "display_name", "")
                or ""
            )
            if f in ("drop", "abort"):
                cause = enum_name(info.cause)
            if f in ("deliver", "drop", "abort"):
                ip = getattr(info, "ip_address", "") or ""
            if f == "deliver":
                target = enum_name(info.target)
            if f == "abort":
                missing = tuple(info.projects_missing_permission)
            break
    viewer = _viewer_missing(s)
    return Step(
        state=enum_name(s.state),
        description=s.description,
        causes_drop=bool(s.causes_drop),
        kind=kind,
        resource=resource,
        cause=cause,
        project_id=s.project_id,
        ip_address=ip,
        target=target,
        missing=viewer or missing,
    )


def _viewer_missing(s: Any) -> tuple[str, ...]:
    """ViewerPermissionMissingInfo.resourceTypes (newer client libraries only)."""
    try:
        if "viewer_permission_missing_info" not in s:
            return ()
    except (AttributeError, KeyError, ValueError):  # the installed client predates the field
        return ()
    return tuple(enum_name(t) for t in s.viewer_permission_missing_info.resource_types)


def parse_result(test: Any, name: str) -> ConnectivityResult:
    if "reachability_details" not in test:
        need(None, "reachabilityDetails", name)
    details = test.reachability_details
    return ConnectivityResult(
        test=name,
        result=need_enum(details.result, "reachabilityDetails.result", name),
        verify_time=timestamp(details.verify_time),
        error=details.error.message if "error" in details else "",
        traces=tuple(
            Trace(steps=tuple(_step(s) for s in tr.steps), forward_trace_id=int(tr.forward_trace_id))
            for tr in details.traces
        ),
    )
