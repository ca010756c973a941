"""Read what a project runs now, for ``gate init``: services, their serving revision, and
the private destinations that revision uses. Names and decisions out, never values.

Everything is read through the providers (official clients, ``gate.gcp``), so
``--world``, ``GATE_EMULATOR_HOST`` and Google answer the same way. A literal env
value is read only to decide a rule (is it empty? a port? a URL? does it hold a
Redis host or a Cloud SQL IP?) and is dropped there; the inventory has no field
that could carry it.

A list the project cannot give (an API not enabled, a permission missing) does
not stop init: it becomes a REVIEW note in the policy, because a starter policy
with a visible gap is more useful than none. A service named with ``--service``
that does not exist is an input error.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gate.checks.run_diff import traffic_shares
from gate.checks.target import pick_container
from gate.errors import ApiError, GateError, UsageError
from gate.gcp import names
from gate.starter.inventory import BootLog, EnvName, Health, Inventory, RedisUse, ServiceFound, SqlUse

if TYPE_CHECKING:
    from gate.gcp.cloud import Cloud
    from gate.gcp.facts_run import Container, EnvVar, Revision, Service
    from gate.gcp.redis import RedisInstance
    from gate.gcp.sqladmin import SqlInstance

#: An HTTP GET of a URL: the status code, or None and why there was no answer.
Prober = Callable[[str], tuple[int | None, str]]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # what run.env accepts in `required`
_INT = re.compile(r"^[0-9]+$")
# Health paths tried in order after the container's own HTTP probes.
HEALTH_PATHS = ("/health", "/healthz", "/")
# Start markers, strongest first: the app server's own lines, then Cloud Run's probe line
# (Cloud Run logs "Default STARTUP TCP probe succeeded after 1 attempt for container ..."
# for every instance that starts; "STARTUP HTTP probe succeeded" with an HTTP probe).
APP_MARKERS = ("Booting worker", "Application startup complete")
CLOUD_RUN_MARKER = "STARTUP (TCP|HTTP|GRPC) probe succeeded"
BOOT_WINDOW = dt.timedelta(minutes=10)  # logs.boot's default window


@dataclass(frozen=True)
class Options:
    services: tuple[str, ...] = ()  # empty: every service in the region
    probe: Prober | None = None  # None: the health path is not confirmed by a request
    timeout: float = 120.0  # the whole discovery


def discover(cloud: Cloud, options: Options) -> Inventory:
    deadline = time.monotonic() + options.timeout
    return _Discovery(cloud, options, deadline).run()


class _Discovery:
    def __init__(self, cloud: Cloud, options: Options, deadline: float) -> None:
        self.cloud, self.options, self.deadline = cloud, options, deadline
        self.project, self.region = cloud.project, cloud.region
        self.notes: list[str] = []
        self._redis: tuple[RedisInstance, ...] | None = None
        self._sql: tuple[SqlInstance, ...] | None = None

    def run(self) -> Inventory:
        found: list[ServiceFound] = []
        skipped: list[str] = []
        for svc in self._services():
            try:
                found.append(self._service(svc))
            except Skip as e:
                skipped.append(f"{svc.short_name}: {e}")
        return Inventory(self.project, self.region, tuple(found), tuple(skipped), tuple(self.notes))

    # -- services ----------------------------------------------------------------------

    def _services(self) -> list[Service]:
        listed = self.cloud.run.services(deadline=self.deadline)
        by_name = {s.short_name: s for s in listed}
        parent = f"projects/{self.project}/locations/{self.region}"
        if not self.options.services:
            if not by_name:
                raise UsageError(f"no Cloud Run services in {parent}; check --project and --region")
            return [by_name[n] for n in sorted(by_name)]
        missing = sorted(set(self.options.services) - set(by_name))
        if missing:
            there = ", ".join(sorted(by_name)) or "none"
            raise UsageError(f"no such service in {parent}: {', '.join(missing)} (services: {there})")
        return [by_name[n] for n in sorted(set(self.options.services))]

    def _serving(self, svc: Service) -> tuple[Revision, int]:
        shares = traffic_shares(svc)
        serving = [n for n, p in shares.items() if p > 0]
        if serving:
            name = max(serving, key=lambda n: (shares[n], n))
        elif svc.latest_ready_revision:
            name = names.last(svc.latest_ready_revision)
        else:
            raise Skip("no revision serves traffic or is Ready: nothing to learn a contract from")
        try:
            rev = self.cloud.run.revision(name, svc.name, deadline=self.deadline)
        except GateError as e:
            raise Skip(f"its serving revision {name} could not be read ({_why(e)})") from None
        return rev, shares.get(name, 0)

    def _service(self, svc: Service) -> ServiceFound:
        rev, share = self._serving(svc)
        notes: list[str] = []
        container = pick_container(rev, None)
        literals = {
            e.name: e.value.reveal() for e in container.env if e.value is not None and e.secret is None
        }
        env, skipped = _env(container.env)
        if skipped:
            notes.append(
                f"env name(s) {', '.join(skipped)} are not NAME-like ([A-Za-z_][A-Za-z0-9_]*): "
                "not required by the run.env check"
            )
        network, vpc = self._network(rev, notes)
        redis = self._redis_used(network, literals, notes)
        sql = self._sql_used(rev, literals, notes)
        if svc.latest_created_revision and names.last(svc.latest_created_revision) != rev.short_name:
            notes.append(
                f"the latest created revision {names.last(svc.latest_created_revision)} is not the serving "
                f"one ({rev.short_name}): the checks judge the latest created revision; the contract "
                "below is the serving revision's"
            )
        return ServiceFound(
            name=svc.short_name,
            revision=rev.short_name,
            share=share,
            container=container.name,
            sidecars=tuple(c.name for c in rev.containers if c is not container),
            env=env,
            skipped_env=tuple(skipped),
            vpc=vpc,
            redis=redis,
            sql=sql,
            health=self._health(svc, container, notes),
            boot_log=self._boot_log(svc, rev, notes),
            notes=tuple(notes),
        )

    # -- the network the revision egresses into -----------------------------------------

    def _network(self, rev: Revision, notes: list[str]) -> tuple[str | None, str]:
        """(full network name or None, a description for the comments)."""
        vpc = rev.vpc_access
        if vpc is None or not vpc.configured:
            return None, "no VPC access"
        region = names.segment(rev.name, "locations") or self.region
        try:
            if vpc.connector:
                c = self.cloud.vpcaccess.connector(vpc.connector, deadline=self.deadline)
                project = names.segment(c.name, "projects") or self.project
                if c.network:
                    net = _full_net(c.network, project)
                else:
                    host = c.subnet_project or project
                    sub = self.cloud.compute.subnetwork(
                        f"projects/{host}/regions/{region}/subnetworks/{c.subnet_name}",
                        deadline=self.deadline,
                    )
                    net = _full_net(sub.network, project)
                return net, f"connector {names.last(c.name)} on network {_short(net)}"
            nic = vpc.network_interfaces[0]
            if nic.network:
                net = _full_net(nic.network, self.project)
            else:
                sub = self.cloud.compute.subnetwork(nic.subnetwork or "", region, deadline=self.deadline)
                net = _full_net(sub.network, self.project)
            return net, f"Direct VPC egress on network {_short(net)}"
        except GateError as e:
            notes.append(f"the revision's VPC network could not be read ({_why(e)}): destinations unknown")
            return None, "VPC access (network unknown)"

    # -- Memorystore ---------------------------------------------------------------------

    def _redis_instances(self) -> tuple[RedisInstance, ...]:
        if self._redis is None:
            try:
                self._redis = self.cloud.redis.instances(deadline=self.deadline)
            except GateError as e:
                self._redis = ()
                self.notes.append(
                    f"Memorystore for Redis instances in {self.region} could not be listed ({_why(e)}): "
                    "add network.reachability checks for the ones your services use"
                )
        return self._redis

    def _redis_used(
        self, network: str | None, literals: dict[str, str], notes: list[str]
    ) -> tuple[RedisUse, ...]:
        from gate.gcp.compute import same_network

        out: list[RedisUse] = []
        for r in sorted(self._redis_instances(), key=lambda r: r.name):
            why = []
            if network and same_network(r.authorized_network, network, self.project):
                why.append(f"on network {_short(network)}, the revision's")
            holders = [n for n, v in sorted(literals.items()) if _holds_address(v, r.host)]
            if holders:
                why.append(f"its host is in env {', '.join(holders)}")
            if why:
                out.append(RedisUse(names.last(r.name), "; ".join(why)))
        return tuple(out)

    # -- Cloud SQL -----------------------------------------------------------------------

    def _sql_instances(self) -> tuple[SqlInstance, ...]:
        if self._sql is None:
            try:
                self._sql = self.cloud.sqladmin.instances(deadline=self.deadline)
            except GateError as e:
                self._sql = ()
                self.notes.append(
                    f"Cloud SQL instances of {self.project} could not be listed ({_why(e)}): only "
                    "instances attached to a revision were looked at"
                )
        return self._sql

    def _sql_used(self, rev: Revision, literals: dict[str, str], notes: list[str]) -> tuple[SqlUse, ...]:
        known = {i.connection_name: i for i in self._sql_instances()}
        for conn in rev.cloudsql_instances:
            if conn not in known:  # another project's, or the list failed
                try:
                    known[conn] = self.cloud.sqladmin.instance(conn, deadline=self.deadline)
                except GateError as e:
                    notes.append(f"attached Cloud SQL instance {conn} could not be read ({_why(e)})")
        out: list[SqlUse] = []
        for conn in sorted(known):
            inst = known[conn]
            attached = conn in rev.cloudsql_instances
            ips = [ip.address for ip in inst.ip_addresses if ip.address]
            holders = [
                n for n, v in sorted(literals.items()) if conn in v or any(_holds_address(v, a) for a in ips)
            ]
            if not attached and not holders:
                continue
            why = []
            if attached:
                why.append("attached to the revision (Cloud SQL volume)")
            if holders:
                why.append(f"named in env {', '.join(holders)}")
            out.append(self._sql_use(inst, "; ".join(why), literals, holders))
        return tuple(out)

    def _sql_use(
        self,
        inst: SqlInstance,
        why: str,
        literals: dict[str, str],
        holders: Sequence[str],
    ) -> SqlUse:
        private = inst.address("PRIVATE")
        reason = ""
        if not private or not inst.private_network:
            reason = "it has no private IP (connections go through its public IP)"
        elif inst.ipv4_enabled and not any(_holds_address(literals[n], private) for n in holders):
            # With a public IP too, Cloud Run's Cloud SQL connection (and the connectors) use the
            # public one unless told otherwise (cloud.google.com/sql/docs/postgres/connect-run).
            reason = "it also has a public IP and no env value names its private IP"
        return SqlUse(
            name=inst.name,
            project=inst.project,
            connection_name=inst.connection_name,
            tier=inst.tier,
            engine_prefix=_engine(inst.database_version),
            why=why,
            private_path=not reason,
            no_path_reason=reason,
        )

    # -- health and the boot log ---------------------------------------------------------

    def _health(self, svc: Service, container: Container, notes: list[str]) -> Health | None:
        if not svc.uri:
            notes.append("the service has no URL yet: no health check written")
            return None
        candidates: list[str] = []
        for p in (container.startup_probe, container.liveness_probe):
            if p is not None and p.action == "httpGet":
                candidates.append(p.path or "/")
        candidates.extend(HEALTH_PATHS)
        candidates = list(dict.fromkeys(candidates))
        if self.options.probe is None:
            return Health(candidates[0], False, "not requested (--no-probe)")
        tried = []
        for path in candidates:
            status, why = self.options.probe(svc.uri.rstrip("/") + path)
            if status == 200:
                return Health(path, True, "answered 200 to gate init")
            tried.append(f"{path}: {status if status is not None else why}")
        return Health(candidates[0], False, "no candidate answered 200 (" + "; ".join(tried) + ")")

    def _boot_log(self, svc: Service, rev: Revision, notes: list[str]) -> BootLog | None:
        from gate.checks.boot_log import DEFAULT_DENY, SEVERITIES

        if rev.create_time is None:
            notes.append("the serving revision has no createTime: its boot log was not read")
            return None
        query = (
            'resource.type="cloud_run_revision" AND '
            f'resource.labels.service_name="{svc.short_name}" AND '
            f'resource.labels.revision_name="{rev.short_name}"'
        )
        end = min(rev.create_time + BOOT_WINDOW, dt.datetime.now(dt.timezone.utc))
        try:
            entries = self.cloud.logging.entries(
                query,
                start=rev.create_time,
                end=max(end, rev.create_time),
                max_entries=1000,
                deadline=self.deadline,
            )
        except GateError as e:
            notes.append(f"the serving revision's boot log could not be read ({_why(e)})")
            return None
        texts = [e.text for e in entries]
        seen = [m for m in (*APP_MARKERS, CLOUD_RUN_MARKER) if any(re.search(m, t) for t in texts)]
        deny = [re.compile(p) for p in DEFAULT_DENY]
        error = SEVERITIES.index("ERROR")
        offences = sum(
            1
            for e in entries
            if any(p.search(e.text) for p in deny)
            or (e.severity in SEVERITIES and SEVERITIES.index(e.severity) >= error)
        )
        return BootLog(len(entries), "|".join(seen) if seen else None, offences)


class Skip(Exception):
    """A service init cannot learn from; the message says why (names only)."""


def _why(e: GateError) -> str:
    """A short reason: the HTTP and canonical status and the permission, never a credential."""
    if isinstance(e, ApiError) and (e.code or e.status):
        parts = [
            f"HTTP {e.code}" if e.code else "",
            e.status,
            f"needs {e.permission}" if e.permission else "",
        ]
        return " ".join(p for p in parts if p)
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _env(env: Sequence[EnvVar]) -> tuple[tuple[EnvName, ...], list[str]]:
    out: list[EnvName] = []
    skipped: list[str] = []
    for e in sorted(env, key=lambda e: e.name):
        if not _NAME.match(e.name):
            skipped.append(e.name)
            continue
        if e.secret is not None:
            out.append(EnvName(e.name, secret=names.last(e.secret.secret)))
            continue
        value = e.value.reveal() if e.value is not None else ""
        out.append(
            EnvName(
                e.name,
                empty=value == "",
                port=e.name.upper().endswith("PORT") and bool(_INT.match(value)) and 1 <= int(value) <= 65535,
                url=e.name.upper().endswith("URL") and _is_url(value),
            )
        )
    return tuple(out), skipped


def _is_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc)


def _holds_address(value: str, address: str) -> bool:
    """Does a literal value name this IP address (10.1.2.3 is not in 10.1.2.34)?"""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return re.search(rf"(?<![\d.]){re.escape(address)}(?![\d])", value) is not None


def _engine(version: str) -> str:
    # databaseVersion is ENGINE_VERSION (POSTGRES_15, MYSQL_8_0, SQLSERVER_2019_STANDARD).
    return version.split("_", 1)[0] + "_" if "_" in version else version


def _full_net(ref: str, project: str) -> str:
    p, n = names.compute_ref(ref, project)
    return f"projects/{p}/global/networks/{n}"


def _short(network: str) -> str:
    return names.last(network)
