"""Cloud Run facts: what the checks need from a service and its revisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gate.gcp.facts import Sensitive


@dataclass(frozen=True)
class Condition:
    type: str  # "Ready", "RoutesReady", "ConfigurationsReady", ...
    state: str  # CONDITION_SUCCEEDED / CONDITION_FAILED / CONDITION_PENDING / CONDITION_RECONCILING
    reason: str = ""  # the reason enum name, whichever of reason/revision_reason/execution_reason is set
    message: str = ""
    severity: str = ""
    last_transition_time: dt.datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.state == "CONDITION_SUCCEEDED"


@dataclass(frozen=True)
class TrafficTarget:
    type: str  # TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST / _REVISION
    percent: int
    revision: str | None = None  # short revision name when type is _REVISION
    tag: str | None = None


@dataclass(frozen=True)
class TrafficStatus:
    type: str
    percent: int
    revision: str | None = None
    tag: str | None = None
    uri: str | None = None  # the tag's own URL


@dataclass(frozen=True)
class Service:
    name: str  # full: projects/p/locations/r/services/s
    generation: int
    observed_generation: int  # 0 = the controller has not reconciled any generation
    reconciling: bool
    terminal_condition: Condition | None
    conditions: tuple[Condition, ...]
    latest_created_revision: str | None  # full revision names
    latest_ready_revision: str | None
    uri: str | None  # None until the service has served once
    urls: tuple[str, ...]
    traffic: tuple[TrafficTarget, ...]
    traffic_statuses: tuple[TrafficStatus, ...]
    etag: str

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def condition(self, type_: str) -> Condition | None:
        if self.terminal_condition and self.terminal_condition.type == type_:
            return self.terminal_condition
        return next((c for c in self.conditions if c.type == type_), None)


@dataclass(frozen=True)
class SecretRef:
    secret: str  # as written: "name" or "projects/p/secrets/name"
    version: str  # "latest" or a number/alias


@dataclass(frozen=True)
class EnvVar:
    name: str
    # A literal value may hold a credential: wrapped so it never prints; reveal() to use.
    value: Sensitive | None = None
    secret: SecretRef | None = None

    @property
    def is_literal(self) -> bool:
        return self.secret is None


@dataclass(frozen=True)
class Probe:
    """A container probe (run.v2 ``Probe``): exactly one of httpGet, tcpSocket or grpc."""

    action: str  # "httpGet" / "tcpSocket" / "grpc"; "" when none is set
    port: int | None = None  # None: the API's default, the container's first port
    path: str | None = None  # httpGet only; None: the API's default "/"
    initial_delay_seconds: int = 0
    timeout_seconds: int | None = None  # None: unset (the API's default)
    period_seconds: int | None = None
    failure_threshold: int | None = None


@dataclass(frozen=True)
class ContainerPort:
    name: str  # "http1" / "h2c"; "" when unset
    container_port: int  # 0 when unset (Cloud Run then uses 8080)


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    env: tuple[EnvVar, ...]
    # containers[].resources.limits: "cpu", "memory", "nvidia.com/gpu" -> value, sorted by key.
    limits: tuple[tuple[str, str], ...] = ()
    startup_probe: Probe | None = None
    liveness_probe: Probe | None = None
    # Cloud Run's ingress container is the one that declares ports (a multi-container
    # revision has exactly one); see gate.checks.target.choose_container.
    ports: tuple[ContainerPort, ...] = ()

    def env_var(self, name: str) -> EnvVar | None:
        return next((e for e in self.env if e.name == name), None)


@dataclass(frozen=True)
class NetworkInterface:
    network: str | None
    subnetwork: str | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class VpcAccess:
    connector: str | None  # Serverless VPC Access connector (full or short name, as set)
    egress: str | None  # ALL_TRAFFIC / PRIVATE_RANGES_ONLY; None = unset (the API's default)
    network_interfaces: tuple[NetworkInterface, ...]  # Direct VPC egress

    @property
    def configured(self) -> bool:
        return bool(self.connector or self.network_interfaces)


@dataclass(frozen=True)
class Revision:
    name: str  # full: projects/p/locations/r/services/s/revisions/x
    service: str
    generation: int
    create_time: dt.datetime | None
    reconciling: bool
    conditions: tuple[Condition, ...]
    containers: tuple[Container, ...]
    vpc_access: VpcAccess | None
    cloudsql_instances: tuple[str, ...]  # connection names "project:region:instance"
    service_account: str | None
    log_uri: str | None
    # Revision.scaling; None = unset (max: the API's default of 100 instances).
    min_instances: int | None = None
    max_instances: int | None = None

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)
