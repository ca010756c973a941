"""Rebuilding, from an evidence bundle, the world its run saw.

The recorded Google API answers become a world (resources in the APIs' own
JSON, errors as faults), the recorded HTTP answers become the world's
``endpoints:``, and every origin the run could reach but did not get an
answer from is refused: a replay never goes to the network.

What cannot be recomputed is said, not claimed (docs/RELIABILITY.md):

- WebSocket checks: the golden-path server plays canned modes, not recorded
  sessions, so ``websocket.golden_path`` checks are "not replayable";
- ``monitoring.metric`` checks: Cloud Monitoring answers are aggregates over a
  window that ended when the run did; they cannot be queried again later;
- ``run.env`` value rules (pattern, port, one_of...) on values the bundle
  redacted: "not replayable: rests on redacted values";
- HTTP answers whose body was truncated in the bundle, or failures that cannot
  be reproduced offline (TLS, DNS...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gate.evidence import firewall_policies
from gate.evidence.bundle import PLACEHOLDER
from gate.evidence.bundle_reader import Bundle
from gate.model import Policy

WS_NOTE = "not replayable: WebSocket sessions (the golden-path server cannot be scripted from a recording)"
REDACTED_NOTE = "not replayable: rests on redacted values"
METRIC_NOTE = (
    "not replayable: Cloud Monitoring aggregates over a window that ended with the run "
    "(the recorded answers are in the bundle)"
)
VALUE_RULES = ("pattern", "integer", "port", "url", "one_of", "forbidden", "forbid_values")
# Response headers the emulator's endpoint server writes itself.
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "date", "server", "keep-alive"}

# (api, method) -> (world section, kind, key holding the items of a list answer; None = one resource)
API_KINDS: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("run", "GetService"): ("run", "services", None),
    ("run", "GetRevision"): ("run", "revisions", None),
    ("run", "ListRevisions"): ("run", "revisions", "revisions"),
    ("vpcaccess", "GetConnector"): ("vpcaccess", "connectors", None),
    ("redis", "GetInstance"): ("redis", "instances", None),
    ("sqladmin", "sql.instances.get"): ("sqladmin", "instances", None),
    ("sqladmin", "sql.tiers.list"): ("sqladmin", "tiers", "items"),
    ("compute.networks", "networks.get"): ("compute", "networks", None),
    ("compute.subnetworks", "subnetworks.get"): ("compute", "subnetworks", None),
    ("compute.subnetworks", "subnetworks.list"): ("compute", "subnetworks", "items"),
    ("compute.firewalls", "firewalls.list"): ("compute", "firewalls", "items"),
    ("compute.routes", "routes.list"): ("compute", "routes", "items"),
    ("compute.addresses", "globalAddresses.list"): ("compute", "addresses", "items"),
    ("secretmanager", "GetSecret"): ("secretmanager", "secrets", None),
    ("secretmanager", "GetSecretVersion"): ("secretmanager", "versions", None),
    ("logging", "entries.list"): ("logging", "entries", "entries"),
}


@dataclass
class Rebuilt:
    world: dict[str, Any]
    refused_origins: list[str] = field(default_factory=list)
    not_replayable: dict[str, str] = field(default_factory=dict)  # check id -> why


def rebuild(bundle: Bundle, policy: Policy) -> Rebuilt:
    world: dict[str, Any] = {
        "apiVersion": "gate/v1",
        "kind": "World",
        "name": "replay",
        "project": policy.project,
        "description": f"rebuilt by gate replay from {bundle.path.name}",
    }
    resources, faults, results = _api_state(bundle.exchanges)
    numbers = sorted({m for items in resources.values() for it in items for m in _project_numbers(it)})
    if numbers:
        world["projectNumber"] = numbers[0]
    for (section, kind), items in sorted(resources.items()):
        world.setdefault(section, {})[kind] = items
    if results:
        world["networkmanagement"] = {"results": results}
    if faults:
        world["faults"] = faults
    out = Rebuilt(world)
    endpoints = _endpoints(bundle.exchanges, out)
    # Everything the policy or the recorded services could reach that was not answered
    # in the recording is refused: a replay never goes to the network.
    known = {urlsplit(e["origin"]).netloc for e in endpoints}
    for origin in sorted(_origins(policy, resources)):
        if urlsplit(origin).netloc not in known and origin not in out.refused_origins:
            out.refused_origins.append(origin)
    if endpoints:
        world["endpoints"] = endpoints
    _judge_replayable(bundle, policy, resources, out)
    return out


def _api_state(
    exchanges: list[dict[str, Any]],
) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], list[dict[str, Any]], list[dict[str, Any]]]:
    last: dict[tuple[str, str, str], dict[str, Any]] = {}
    listed: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    results: dict[str, dict[str, Any]] = {}
    for e in sorted((x for x in exchanges if x.get("kind") == "google-api"), key=lambda x: x.get("seq", 0)):
        api, method, resource = str(e.get("api")), str(e.get("method")), str(e.get("resource"))
        if (api, method) == ("networkmanagement", "GetConnectivityTest") and e.get("status") == 200:
            body = e.get("body") or {}
            results[resource] = {
                k: body[k] for k in ("source", "destination", "reachabilityDetails") if k in body
            }
            continue
        if (api, method) in EFFECTIVE_FIREWALLS:
            if e.get("status") == 200:
                for (section, kind), item in _effective_resources(resource, e.get("body") or {}):
                    key = _ident(kind, item) + json.dumps(item.get("associations"), sort_keys=True)
                    listed.setdefault((section, kind), {})[key] = item
            else:
                last[(api, method, resource)] = e  # replayed as a fault
            continue
        where = API_KINDS.get((api, method))
        if where is None:
            continue
        section, kind, items_key = where
        if items_key is not None and e.get("status") == 200:
            store = listed.setdefault((section, kind), {})
            for item in (e.get("body") or {}).get(items_key, []):
                store[_ident(kind, item)] = item
            continue
        last[(api, method, resource)] = e
    faults: list[dict[str, Any]] = []
    resources: dict[tuple[str, str], dict[str, dict[str, Any]]] = {k: dict(v) for k, v in listed.items()}
    for (api, method, resource), e in sorted(last.items(), key=lambda kv: kv[1].get("seq", 0)):
        status = e.get("status")
        if (api, method) in EFFECTIVE_FIREWALLS:
            if status != 404:
                faults.append(_fault(api, method, resource, e))
            continue
        section, kind, items_key = API_KINDS[(api, method)]
        if status == 200 and items_key is None and isinstance(e.get("body"), dict):
            body = e["body"]
            resources.setdefault((section, kind), {})[_ident(kind, body)] = body
            if (section, kind) == ("secretmanager", "versions"):
                # A version is only served under its secret; the secret's metadata may not be recorded.
                secret = body["name"].split("/versions/")[0]
                resources.setdefault(("secretmanager", "secrets"), {}).setdefault(secret, {"name": secret})
        elif status == 404:
            continue  # absent from the world: the emulator answers 404 too
        else:
            faults.append(_fault(api, method, resource, e))
    flat = {k: [v[name] for name in sorted(v)] for k, v in resources.items()}
    if ("compute", "firewallPolicies") in flat:
        flat[("compute", "firewallPolicies")] = firewall_policies.merge(flat[("compute", "firewallPolicies")])
    return flat, faults, [results[k] for k in sorted(results)]


# getEffectiveFirewalls answers: rebuilt as the VPC firewall rules and firewall policies that
# produce them (SYSTEM policies cannot be written in a world and are left out).
EFFECTIVE_FIREWALLS = {
    ("compute.networks", "networks.getEffectiveFirewalls"),
    ("compute.regionNetworkFirewallPolicies", "regionNetworkFirewallPolicies.getEffectiveFirewalls"),
}


def _effective_resources(
    resource: str, body: Mapping[str, Any]
) -> list[tuple[tuple[str, str], dict[str, Any]]]:
    m = re.match(
        r"^projects/([^/]+)/(?:regions/([^/]+)/firewallPolicies/getEffectiveFirewalls\?network=(.+)"
        r"|global/networks/([^/]+)/getEffectiveFirewalls)$",
        resource,
    )
    if not m:
        return []
    project, region, network = m.group(1), m.group(2), m.group(3) or m.group(4)
    out: list[tuple[tuple[str, str], dict[str, Any]]] = [
        (("compute", "firewalls"), f) for f in body.get("firewalls") or [] if isinstance(f, dict)
    ]
    out += [
        (("compute", "firewallPolicies"), p)
        for p in firewall_policies.from_effective(project, region, network, body)
    ]
    return out


def _ident(kind: str, item: Any) -> str:
    if not isinstance(item, dict):
        return json.dumps(item, sort_keys=True)
    if kind == "entries":
        return str(item.get("timestamp", "")) + str(item.get("insertId", ""))
    return str(item.get("tier") if kind == "tiers" else item.get("name"))


def _fault(api: str, method: str, resource: str, e: Mapping[str, Any]) -> dict[str, Any]:
    """The world fault that reproduces a recorded failed call on every request for it."""
    top = api.split(".")[0]
    path = "entries:list" if top == "logging" else re.escape(resource.split("?")[0].rstrip("/")) + "$"
    fault: dict[str, Any] = {"api": top, "path": path}
    status = e.get("status")
    error = str(e.get("error") or "")
    if isinstance(status, int) and 400 <= status <= 599:
        fault["status"] = status
        message = (
            ((e.get("body") or {}).get("error") or {}).get("message")
            if isinstance(e.get("body"), dict)
            else None
        )
        if isinstance(message, str) and message:
            fault["message"] = message
    elif "Timeout" in error.split(":")[0]:
        fault["hang"] = True
    elif "JSONDecodeError" in error or "ParseError" in error:
        fault["malformed"] = True
    else:
        fault["reset"] = True
    return fault


def _project_numbers(item: Any) -> list[str]:
    name = item.get("name") if isinstance(item, dict) else None
    m = re.match(r"^projects/([0-9]+)/", name) if isinstance(name, str) else None
    return [m.group(1)] if m else []


def _endpoints(exchanges: list[dict[str, Any]], out: Rebuilt) -> list[dict[str, Any]]:
    by_origin: dict[str, dict[str, dict[str, Any]]] = {}
    for e in sorted((x for x in exchanges if x.get("kind") == "http"), key=lambda x: x.get("seq", 0)):
        req, resp = e.get("request") or {}, e.get("response") or {}
        parts = urlsplit(str(req.get("url", "")))
        if not parts.scheme or not parts.netloc:
            continue
        origin = f"{parts.scheme}://{parts.netloc}"
        check = str(e.get("check", ""))
        if "status" in resp:
            spec: dict[str, Any] = {"status": resp["status"], "text": str(resp.get("body", ""))}
            headers = {k: v for k, v in resp.get("headers") or [] if k.lower() not in _HOP_HEADERS}
            if headers:
                spec["headers"] = headers
            ms = int(float(e.get("duration") or 0) * 1000)
            if ms > 0:
                spec["delay"] = f"{ms}ms"
            if resp.get("body_truncated"):
                out.not_replayable[check] = "not replayable: the response body was truncated in the bundle"
        else:
            error = str(resp.get("error", ""))
            if "timed out" in error:
                spec = {"hang": True}
            elif "connection refused" in error:
                if origin not in out.refused_origins:
                    out.refused_origins.append(origin)
                continue
            else:
                out.not_replayable[check] = (
                    f"not replayable: the recorded failure cannot be reproduced offline ({error[:80]})"
                )
                continue
        by_origin.setdefault(origin, {})[parts.path or "/"] = spec
    return [{"origin": o, "paths": by_origin[o]} for o in sorted(by_origin)]


def _origins(policy: Policy, resources: Mapping[tuple[str, str], list[dict[str, Any]]]) -> set[str]:
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str) and re.match(r"^(https?|wss?)://", v):
            p = urlsplit(v)
            scheme = {"wss": "https", "ws": "http"}.get(p.scheme, p.scheme)
            found.add(f"{scheme}://{p.netloc}")
        elif isinstance(v, Mapping):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    for spec in policy.checks:
        walk(spec.params)
    for svc in resources.get(("run", "services"), []):
        walk([svc.get("uri"), svc.get("urls"), [t.get("uri") for t in svc.get("trafficStatuses", [])]])
    return found


def _judge_replayable(
    bundle: Bundle, policy: Policy, resources: Mapping[tuple[str, str], list[dict[str, Any]]], out: Rebuilt
) -> None:
    redacted = {
        env["name"]
        for kind in (("run", "services"), ("run", "revisions"))
        for item in resources.get(kind, [])
        for env in _env_entries(item)
        if env.get("value") == PLACEHOLDER
    }
    for spec in policy.checks:
        if spec.type == "websocket.golden_path":
            out.not_replayable[spec.id] = WS_NOTE
        elif spec.type == "monitoring.metric":
            out.not_replayable[spec.id] = METRIC_NOTE
        elif spec.type == "run.env":
            rules = spec.params.get("vars") or {}
            valued = {
                n for n, r in rules.items() if isinstance(r, Mapping) and any(k in r for k in VALUE_RULES)
            }
            if valued & redacted:
                out.not_replayable[spec.id] = f"{REDACTED_NOTE} ({', '.join(sorted(valued & redacted))})"


def _env_entries(item: Any) -> Iterator[dict[str, Any]]:
    if isinstance(item, dict):
        for k, v in item.items():
            if k == "env" and isinstance(v, list):
                yield from (x for x in v if isinstance(x, dict))
            else:
                yield from _env_entries(v)
    elif isinstance(item, list):
        for v in item:
            yield from _env_entries(v)
