"""Record a project's resources into a world file (``gate snapshot``).

Every resource is read through the official clients and written back as the
API's own JSON (``MessageToDict``: camelCase, int64 as strings, enum names), so
the world loader validates it exactly like a hand-written world. Nothing
secret is written: every literal env value becomes ``<redacted>`` (an empty
value stays empty, so "missing or empty" is still visible), secret references
keep their names, secret payloads are never read, and token-looking strings
anywhere are masked. A list call that fails stops the snapshot: a world
silently missing its Redis would judge differently from the project.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.errors import ApiError
from gate.evidence import firewall_policies
from gate.gcp.facts import parse_rfc3339, rfc3339
from gate.gcp.transport.paging import first_page, pages
from gate.redact import MASK, Redactor

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport

PLACEHOLDER = "<redacted>"
APIS = ("run", "vpcaccess", "redis", "sqladmin", "compute", "secretmanager", "logging")
_NUMBERED = re.compile(r"^projects/(\d+)/")


@dataclass(frozen=True)
class SnapshotOptions:
    services: tuple[str, ...] = ()  # empty = every service in the region
    revisions: int = 3  # newest per service, besides those the service references
    log_window: float = 1800.0  # seconds of log after each revision's creation
    max_log_entries: int = 200  # per revision
    skip: tuple[str, ...] = ()  # APIs left out on purpose (e.g. one disabled in the project)
    keep_env: tuple[str, ...] = ()  # env names whose (non-secret) values are kept, e.g. REDIS_PORT
    timeout: float = 120.0


def to_json(message: Any) -> dict[str, Any]:
    """The API's JSON for a client message (proto-plus), defaults omitted as the API does."""
    from google.protobuf import json_format

    out: dict[str, Any] = json_format.MessageToDict(type(message).pb(message))
    return out


class Snapshot:
    def __init__(self, transport: Transport, options: SnapshotOptions) -> None:
        self.transport = transport
        self.options = options
        self.project, self.region = transport.project, transport.region
        self.deadline = time.monotonic() + options.timeout

    # -- reading -----------------------------------------------------------
    def _list(
        self, api: str, client_name: str, method: str, permission: str, resource: str, items: str, **req: Any
    ) -> list[dict[str, Any]]:
        client = self.transport.client(client_name)
        fn: Callable[..., Any] = getattr(client, method)
        out: list[dict[str, Any]] = []
        for page in pages(
            self.transport,
            api,
            method,
            lambda token, t: first_page(fn(request={**req, "page_token": token}, retry=None, timeout=t)),
            deadline=self.deadline,
            resource=resource,
            permission=permission,
        ):
            out.extend(to_json(m) for m in getattr(page, items))
        return out

    def _once(self, api: str, client_name: str, method: str, permission: str, items: str, **req: Any) -> Any:
        client = self.transport.client(client_name)
        page = self.transport.call(
            api,
            method,
            lambda t: getattr(client, method)(request=req, retry=None, timeout=t),
            deadline=self.deadline,
            resource=f"projects/{self.project}",
            permission=permission,
        )
        return [to_json(m) for m in getattr(page, items)]

    def run(self) -> dict[str, Any]:
        parent = f"projects/{self.project}/locations/{self.region}"
        services = self._list(
            "run", "run", "list_services", "run.services.list", parent, "services", parent=parent
        )
        if self.options.services:
            wanted = set(self.options.services)
            services = [s for s in services if s["name"].rsplit("/", 1)[-1] in wanted]
            missing = wanted - {s["name"].rsplit("/", 1)[-1] for s in services}
            if missing:
                raise ApiError("run", f"no such service in {parent}: {', '.join(sorted(missing))}", code=404)
        revisions: list[dict[str, Any]] = []
        for svc in services:
            listed = self._list(
                "run",
                "run.revisions",
                "list_revisions",
                "run.revisions.list",
                svc["name"],
                "revisions",
                parent=svc["name"],
            )
            revisions.extend(_chosen(svc, listed, self.options.revisions))
        return {"services": services, "revisions": revisions}

    def vpcaccess(self) -> dict[str, Any]:
        parent = f"projects/{self.project}/locations/{self.region}"
        return {
            "connectors": self._list(
                "vpcaccess",
                "vpcaccess",
                "list_connectors",
                "vpcaccess.connectors.list",
                parent,
                "connectors",
                parent=parent,
            )
        }

    def redis(self) -> dict[str, Any]:
        parent = f"projects/{self.project}/locations/{self.region}"
        return {
            "instances": self._list(
                "redis", "redis", "list_instances", "redis.instances.list", parent, "instances", parent=parent
            )
        }

    def sqladmin(self) -> dict[str, Any]:
        resource = f"projects/{self.project}"
        instances = self._list(
            "sqladmin", "sqladmin", "list", "cloudsql.instances.list", resource, "items", project=self.project
        )
        tiers = self._once(
            "sqladmin", "sqladmin.tiers", "list", "cloudsql.tiers.list", "items", project=self.project
        )
        return {"instances": instances, "tiers": tiers}

    def compute(self) -> dict[str, Any]:
        p, resource = self.project, f"projects/{self.project}"
        out = {}
        for kind, client in (
            ("networks", "compute.networks"),
            ("firewalls", "compute.firewalls"),
            ("routes", "compute.routes"),
            ("addresses", "compute.addresses"),
        ):
            out[kind] = self._list(
                "compute", client, "list", f"compute.{kind}.list", resource, "items", project=p
            )
        out["subnetworks"] = self._list(
            "compute",
            "compute.subnetworks",
            "list",
            "compute.subnetworks.list",
            resource,
            "items",
            project=p,
            region=self.region,
        )
        # Firewall policies as they apply: hierarchical, global and regional network policies
        # filter the same egress as the VPC rules (gate.netpath.firewall).
        policies: list[dict[str, Any]] = []
        for net in out["networks"]:
            name = str(net.get("name", ""))
            answer = self._effective(p, name)
            policies += firewall_policies.from_effective(p, self.region, name, answer)
        if policies:
            out["firewallPolicies"] = firewall_policies.merge(policies)
        return out

    def _effective(self, project: str, network: str) -> dict[str, Any]:
        client = self.transport.client("compute.regionNetworkFirewallPolicies")
        link = f"{firewall_policies.COMPUTE}/projects/{project}/global/networks/{network}"
        where = f"projects/{project}/regions/{self.region}/firewallPolicies"
        resource = f"{where}/getEffectiveFirewalls?network={network}"
        answer = self.transport.call(
            "compute.regionNetworkFirewallPolicies",
            "regionNetworkFirewallPolicies.getEffectiveFirewalls",
            lambda t: client.get_effective_firewalls(
                project=project, region=self.region, network=link, retry=None, timeout=t
            ),
            deadline=self.deadline,
            resource=resource,
            permission="compute.networks.getRegionEffectiveFirewalls",
        )
        return to_json(answer)

    def secretmanager(self) -> dict[str, Any]:
        # Metadata only: secrets and their versions' states. Never `:access`.
        parent = f"projects/{self.project}"
        secrets = self._list(
            "secretmanager",
            "secretmanager",
            "list_secrets",
            "secretmanager.secrets.list",
            parent,
            "secrets",
            parent=parent,
        )
        versions: list[dict[str, Any]] = []
        for s in secrets:
            versions += self._list(
                "secretmanager",
                "secretmanager",
                "list_secret_versions",
                "secretmanager.versions.list",
                s["name"],
                "versions",
                parent=s["name"],
            )
        return {"secrets": secrets, "versions": versions}

    def logging(self, revisions: list[dict[str, Any]]) -> dict[str, Any]:
        entries: list[dict[str, Any]] = []
        for rev in revisions:
            entries.extend(self._revision_log(rev))
        return {"entries": entries}

    def _revision_log(self, rev: dict[str, Any]) -> Iterator[dict[str, Any]]:
        parts = rev["name"].split("/")
        service, revision = parts[-3], parts[-1]
        start = parse_rfc3339(rev["createTime"]) if "createTime" in rev else _now() - _seconds(self.options)
        end = start + _seconds(self.options)
        query = (
            f'resource.type="cloud_run_revision" AND resource.labels.service_name="{service}" '
            f'AND resource.labels.revision_name="{revision}" '
            f'AND timestamp >= "{rfc3339(start)}" AND timestamp <= "{rfc3339(end)}"'
        )
        session = self.transport.client("logging")
        url = self.transport.logging_url("/v2/entries:list")
        token, read = "", 0
        while read < self.options.max_log_entries:
            body: dict[str, Any] = {
                "resourceNames": [f"projects/{self.project}"],
                "filter": query,
                "orderBy": "timestamp asc",
                "pageSize": min(1000, self.options.max_log_entries - read),
            }
            if token:
                body["pageToken"] = token
            page = self.transport.call(
                "logging",
                "entries.list",
                functools.partial(_post, session, url, body),
                deadline=self.deadline,
                resource=rev["name"],
                permission="logging.logEntries.list",
            )
            batch = page.get("entries", [])[: self.options.max_log_entries - read]
            read += len(batch)
            yield from batch
            token = page.get("nextPageToken") or ""
            if not token:
                return

    def world(self) -> dict[str, Any]:
        skip = set(self.options.skip)
        data: dict[str, Any] = {
            "apiVersion": "gate/v1",
            "kind": "World",
            "name": f"snapshot-{self.project}",
            "project": self.project,
            "description": f"gate snapshot of {self.project} ({self.region}) at {rfc3339(_now())}.",
        }
        run = self.run() if "run" not in skip else {"services": [], "revisions": []}
        readers: dict[str, Callable[[], dict[str, Any]]] = {
            "run": lambda: run,
            "vpcaccess": self.vpcaccess,
            "redis": self.redis,
            "sqladmin": self.sqladmin,
            "compute": self.compute,
            "secretmanager": self.secretmanager,
            "logging": lambda: self.logging(run["revisions"]),
        }
        for api, read in readers.items():
            if api not in skip:
                section = {k: v for k, v in read().items() if v}
                if section:
                    data[api] = section
        number = _project_number(data)
        if number:
            data["projectNumber"] = number
        return redact(data, self.options.keep_env)


def _chosen(service: dict[str, Any], listed: list[dict[str, Any]], newest: int) -> list[dict[str, Any]]:
    """The revisions the checks may judge (referenced by the service) plus the newest few."""
    referenced = {service.get("latestCreatedRevision", ""), service.get("latestReadyRevision", "")}
    for t in [*service.get("traffic", []), *service.get("trafficStatuses", [])]:
        if t.get("revision"):
            referenced.add(f"{service['name']}/revisions/{t['revision']}")
    ordered = sorted(listed, key=lambda r: str(r.get("createTime", "")), reverse=True)
    return [r for i, r in enumerate(ordered) if i < newest or r["name"] in referenced]


def _project_number(data: dict[str, Any]) -> str | None:
    for s in data.get("secretmanager", {}).get("secrets", []):
        m = _NUMBERED.match(s.get("name", ""))
        if m:
            return m.group(1)
    return None


def _post(session: Any, url: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    from gate.gcp.logging import _post as post

    return post(session, url, body, timeout)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _seconds(options: SnapshotOptions) -> dt.timedelta:
    return dt.timedelta(seconds=options.log_window)


# -- redaction -----------------------------------------------------------------


def redact(data: dict[str, Any], keep_env: tuple[str, ...] = ()) -> dict[str, Any]:
    """Env values to PLACEHOLDER, then token-looking text anywhere masked (in place; returns data).

    Literal env values of 8+ characters are also scrubbed from log entries,
    where a startup line may have echoed them (a connection URL, a key).
    """
    redactor = Redactor()
    run = data.get("run", {})
    for resource in [*run.get("services", []), *run.get("revisions", [])]:
        containers = resource.get("template", {}).get("containers", []) + resource.get("containers", [])
        for c in containers:
            for env in c.get("env", []):
                value = env.get("value")
                if not value or env.get("name") in keep_env:
                    continue
                if len(value) >= 8:
                    redactor.add(value)
                env["value"] = PLACEHOLDER
    if "logging" in data:
        data["logging"] = _walk(data["logging"], redactor)
    shapes = Redactor()  # shapes only: a registered value must not rewrite resource names
    return {k: (_walk(v, shapes) if k != "logging" else v) for k, v in data.items()}


def _walk(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        masked = redactor.text(value)
        return masked if masked == value or MASK in value else masked.replace(MASK, PLACEHOLDER)
    if isinstance(value, list):
        return [_walk(v, redactor) for v in value]
    if isinstance(value, Mapping):
        return {k: _walk(v, redactor) for k, v in value.items()}
    return value
