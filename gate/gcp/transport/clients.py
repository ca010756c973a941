"""The plumbing every provider shares: lazily built clients, the per-run memo,
retried calls and call statistics. One ``Transport`` per run.

No Google module is imported here at import time (``google.cloud.compute_v1``
alone costs about a second): clients are built on first use, once per API per
run, under a per-API lock. Providers depend on this module only, never on the
``gate.gcp.cloud`` facade that holds them, so there is no type-level cycle.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from gate.gcp.transport.call import Throttle, call
from gate.gcp.transport.connection import Connection, resolve_credentials
from gate.gcp.transport.memo import Memo
from gate.narrow_import import narrow_import

T = TypeVar("T")


class ApiRecorder(Protocol):
    """What ``--evidence`` plugs in here (``gate.evidence.bundle.Recorder``, a higher layer)."""

    def wrap_api(
        self, api: str, method: str, resource: str, fn: Callable[[float], T]
    ) -> Callable[[float], T]: ...


# api name -> (module, client class). Logging and Monitoring have no entry: they are
# authorized HTTP sessions (see ``SESSIONS``). Each module is the service's own client
# module, imported with ``gate.narrow_import`` so the package's __init__ (every other
# service of the library) never runs: google.cloud.compute_v1 whole is about 1 s.
_COMPUTE = "google.cloud.compute_v1.services"
CLIENTS: dict[str, tuple[str, str]] = {
    "run": ("google.cloud.run_v2.services.services.client", "ServicesClient"),
    "run.revisions": ("google.cloud.run_v2.services.revisions.client", "RevisionsClient"),
    "vpcaccess": ("google.cloud.vpcaccess_v1.services.vpc_access_service.client", "VpcAccessServiceClient"),
    "redis": ("google.cloud.redis_v1.services.cloud_redis.client", "CloudRedisClient"),
    # Only v1beta4 of the SQL Admin client has a REST transport.
    "sqladmin": (
        "google.cloud.sqladmin_v1beta4.services.sql_instances_service.client",
        "SqlInstancesServiceClient",
    ),
    "sqladmin.tiers": (
        "google.cloud.sqladmin_v1beta4.services.sql_tiers_service.client",
        "SqlTiersServiceClient",
    ),
    "compute.networks": (f"{_COMPUTE}.networks.client", "NetworksClient"),
    "compute.subnetworks": (f"{_COMPUTE}.subnetworks.client", "SubnetworksClient"),
    "compute.firewalls": (f"{_COMPUTE}.firewalls.client", "FirewallsClient"),
    "compute.regionNetworkFirewallPolicies": (
        f"{_COMPUTE}.region_network_firewall_policies.client",
        "RegionNetworkFirewallPoliciesClient",
    ),
    "compute.routes": (f"{_COMPUTE}.routes.client", "RoutesClient"),
    "compute.addresses": (f"{_COMPUTE}.global_addresses.client", "GlobalAddressesClient"),
    "secretmanager": (
        "google.cloud.secretmanager_v1.services.secret_manager_service.client",
        "SecretManagerServiceClient",
    ),
    "networkmanagement": (
        "google.cloud.network_management_v1.services.reachability_service.client",
        "ReachabilityServiceClient",
    ),
}
# APIs called over an authorized HTTP session, with their default hosts. Logging: not
# google-cloud-logging (see gate/gcp/logging.py). Monitoring: google-cloud-monitoring
# has no REST transport (its clients are gRPC only), so gate sends the documented REST
# request itself and parses the answer into that library's own message types.
LOGGING_HOST = "https://logging.googleapis.com"
MONITORING_HOST = "https://monitoring.googleapis.com"
SESSIONS: dict[str, str] = {"logging": LOGGING_HOST, "monitoring": MONITORING_HOST}
APIS = (*CLIENTS, *SESSIONS)
_SESSION_MODULES: dict[str, tuple[str, ...]] = {
    "logging": ("google.auth.transport.requests",),
    "monitoring": ("google.auth.transport.requests", "google.cloud.monitoring_v3.types.metric_service"),
}
# The order in which a run imports its client modules in the background (preload.py):
# what checks read first comes first. Every Cloud Run check starts with the service;
# a reachability chain reads Redis or Cloud SQL at once, then the connector, then
# Compute (network, firewalls) as its fourth and fifth hops.
PRELOAD_ORDER: tuple[str, ...] = (
    "run",
    "run.revisions",
    "redis",
    "sqladmin",
    "vpcaccess",
    "compute.networks",
    "compute.subnetworks",
    "compute.regionNetworkFirewallPolicies",
    "compute.firewalls",
    "compute.addresses",
    "compute.routes",
    "secretmanager",
    "logging",
    "sqladmin.tiers",
    "monitoring",
    "networkmanagement",
)


def preload_modules(apis: Iterable[str]) -> list[str]:
    """The modules of ``apis`` (provider names, as in ``CheckType.apis``: ``compute`` covers
    every ``compute.*`` client), in ``PRELOAD_ORDER``."""
    wanted = set(apis)
    out: list[str] = []
    for key in PRELOAD_ORDER:
        if key in wanted or key.split(".")[0] in wanted:
            out.extend(_SESSION_MODULES[key] if key in SESSIONS else (CLIENTS[key][0],))
    return out


@dataclass
class CallStats:
    """API requests actually sent (retries included) and the resources they named."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    resources: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, api: str, method: str, resource: str) -> None:
        with self._lock:
            self.calls[(api, method)] += 1
            self.resources.add((api, resource))

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": {f"{a} {m}": n for (a, m), n in sorted(self.calls.items())},
                "total": sum(self.calls.values()),
                "distinct_resources": len(self.resources),
            }


class Transport:
    def __init__(self, connection: Connection, project: str, region: str, *, concurrency: int = 16) -> None:
        self.connection = connection
        self.project = project
        self.region = region
        # urllib3 keeps 10 connections per host by default; more threads than that
        # on one client would open and discard connections (and log warnings).
        self.pool_size = max(10, concurrency)
        self.stats = CallStats()
        self.throttle = Throttle()  # a 429 holds back the run's other requests to that API
        self._memo = Memo()
        self._lock = threading.Lock()
        self._api_locks: dict[str, threading.Lock] = {}
        self._clients: dict[str, Any] = {}
        self._credentials: Any = None
        self._credentials_lock = threading.Lock()
        # Set when --evidence is on: every answer is recorded (redacted).
        self.recorder: ApiRecorder | None = None

    def credentials(self) -> Any:
        with self._credentials_lock:
            if self._credentials is None:
                self._credentials = resolve_credentials(self.connection)
            return self._credentials

    def endpoint(self, api: str) -> str | None:
        """Base URL for ``api``; None = the client's default. The emulator wins over overrides."""
        if self.connection.emulator_host:
            return f"http://{self.connection.emulator_host}"
        eps = self.connection.endpoints
        return eps.get(api) or eps.get(api.split(".")[0])

    def client(self, api: str) -> Any:
        """The official client for ``api`` (REST transport), built once per run."""
        built = self._clients.get(api)  # fast path: a dict read needs no lock
        if built is not None:
            return built
        with self._lock:
            if api in self._clients:
                return self._clients[api]
            lock = self._api_locks.setdefault(api, threading.Lock())
        with lock:
            with self._lock:
                if api in self._clients:
                    return self._clients[api]
            built = self._build(api)
            with self._lock:
                self._clients[api] = built
            return built

    def _build(self, api: str) -> Any:
        creds = self.credentials()
        if api in SESSIONS:
            from google.auth.transport.requests import AuthorizedSession

            authorized = AuthorizedSession(creds)  # type: ignore[no-untyped-call]
            self._size_pool(authorized)
            return authorized
        if api not in CLIENTS:
            raise ValueError(f"unknown API {api!r}; known: {', '.join(APIS)}")
        module_name, class_name = CLIENTS[api]
        cls = getattr(narrow_import(module_name), class_name)
        options: dict[str, Any] = {}
        endpoint = self.endpoint(api)
        if endpoint:
            options["api_endpoint"] = endpoint  # keeps an http:// scheme for emulators
        client = cls(credentials=creds, transport="rest", client_options=options)
        # The REST transport owns one AuthorizedSession (a requests.Session) and
        # offers no way to pass one in, so the larger pool is mounted on it.
        session = getattr(client.transport, "_session", None)
        if session is None:
            raise RuntimeError(f"{class_name}: REST transport has no session to size")
        self._size_pool(session)
        return client

    def _size_pool(self, session: Any) -> None:
        from requests.adapters import HTTPAdapter

        # max_retries=0: retrying is call.py's job, bounded by the deadline.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self.pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)

    def logging_url(self, path: str) -> str:
        return self.session_url("logging", path)

    def session_url(self, api: str, path: str) -> str:
        """The URL of ``path`` on a session API's endpoint (the emulator, an override or Google)."""
        return (self.endpoint(api) or SESSIONS[api]).rstrip("/") + path

    def call(
        self,
        api: str,
        method: str,
        fn: Callable[[float], T],
        *,
        deadline: float,
        resource: str,
        permission: str,
        identity: str = "",
    ) -> T:
        """``gate.gcp.transport.call.call`` that also counts each request sent in ``stats``.

        ``identity`` tells requests that name the same ``resource`` but read different
        data apart in ``stats`` (a log query: one project, many filters); default ``resource``.
        """
        if self.recorder is not None:
            fn = self.recorder.wrap_api(api, method, resource, fn)
        return call(
            api,
            method,
            fn,
            deadline=deadline,
            resource=resource,
            permission=permission,
            on_send=lambda: self.stats.record(api, method, identity or resource),
            throttle=self.throttle,
        )

    def fetch(self, key: Hashable, fn: Callable[[float], T], *, deadline: float, fresh: bool = False) -> T:
        """Per-run memo with single-flight; ``fn`` receives the deadline (monotonic)."""
        return self._memo.fetch(key, fn, deadline=deadline, fresh=fresh)

    def forget(self) -> None:
        """Drop every memoised answer: the next read of anything asks the API again.

        For a run that judges the same resources more than once while they change
        (each step of ``gate rollout`` moves traffic, then reads it back).
        """
        self._memo = Memo()
