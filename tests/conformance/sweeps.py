"""Every documented value of every enum gate judges, through the real check.

A sweep takes one judged field (Redis ``Instance.state``, ...), makes the healthy
world (s12) hold one resource per value the discovery document lists, and runs
one policy with one check per resource against the emulator, in process. Only
the values the check's documentation calls healthy may PASS; every other one
must FAIL or ERROR (no value silently passes). Values go through everything a
real run does: the world loader (each variant must be a valid API resource), the
emulator, the official client, the provider's parser, gate/netpath and the check.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gate.emulator import World
from tests.conformance import discovery as d
from tests.conformance.recording import BACKEND, Recorded, complete, emulator_env, resolve, world_data

PROJECT = "netra-staging"
LOC = f"projects/{PROJECT}/locations/us-central1"
REDIS = f"{LOC}/instances/staging-redis-f1adc35c"
# Network Management's own form for a revision (CloudRunRevisionInfo.uri).
REV_URI = f"{LOC}/revisions/{BACKEND}-00042-xq7"


@dataclass(frozen=True)
class Sweep:
    id: str
    api: str
    schema: str
    field: str
    healthy: frozenset[str]
    why: str  # where the healthy values are documented
    # values -> world data edited in place, and the policy's checks (one per value, id = slug)
    build: Callable[[dict[str, Any], list[str]], list[dict[str, Any]]]
    # A field whose schema has no enum but whose description lists the valid values
    # (FirewallPolicyRule.action): those values, each quoted in the description.
    described: tuple[str, ...] = ()

    def spec(self) -> Any:
        return d.schema(self.api, self.schema)["properties"][self.field]

    def values(self) -> list[str]:
        if self.described:
            return list(self.described)
        spec = self.spec()
        return list(spec.get("enum") or spec.get("items", {}).get("enum") or [])


def slug(value: str) -> str:
    return "v-" + value.lower().replace("_", "-")


def _find(items: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(i for i in items if str(i.get("name", "")).endswith(suffix))


def _revision(data: dict[str, Any], i: int, **changes: Any) -> str:
    """A copy of the backend's candidate revision, ``…-9{i:04d}-swp``; returns its short name."""
    rev = copy.deepcopy(_find(data["run"]["revisions"], f"/{BACKEND}-00042-xq7"))
    short = f"{BACKEND}-9{i:04d}-swp"
    rev["name"] = f"{LOC}/services/{BACKEND}/revisions/{short}"
    rev.pop("etag", None)
    rev.update(changes)
    data["run"]["revisions"].append(rev)
    return short


def _ready(state: str) -> list[dict[str, Any]]:
    t = "2025-09-03T10:12:12.842111Z"
    return [
        {"type": "Ready", "state": state, "lastTransitionTime": t},
        {"type": "ContainerHealthy", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": t},
        {"type": "ResourcesAvailable", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": t},
    ]


# -- Cloud Run ---------------------------------------------------------------------------------


def ready_condition(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    checks = []
    for i, v in enumerate(values):
        short = _revision(data, i, conditions=_ready(v))
        checks.append(
            {"id": slug(v), "type": "run.revision", "with": {"service": BACKEND, "revision": short}}
        )
    return checks


def supporting_condition(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    checks = []
    for i, v in enumerate(values):
        conditions = _ready("CONDITION_SUCCEEDED")
        conditions[1]["state"] = v
        short = _revision(data, i, conditions=conditions)
        checks.append(
            {"id": slug(v), "type": "run.revision", "with": {"service": BACKEND, "revision": short}}
        )
    return checks


def service_terminal_condition(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """One service per value, its only revision Ready, its terminalCondition in that state."""
    base = _find(data["run"]["services"], f"/{BACKEND}")
    checks = []
    for i, v in enumerate(values):
        name = f"sweep-service-{i}"
        short = f"{name}-00001-swp"
        svc = copy.deepcopy(base)
        svc["name"] = f"{LOC}/services/{name}"
        svc["latestCreatedRevision"] = svc["latestReadyRevision"] = f"{svc['name']}/revisions/{short}"
        svc["trafficStatuses"] = [
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "revision": short, "percent": 100}
        ]
        svc["terminalCondition"] = {"type": "Ready", "state": v, "lastTransitionTime": "2025-09-03T10:12:14Z"}
        if v in ("CONDITION_PENDING", "CONDITION_RECONCILING"):
            svc["reconciling"] = True
        svc.pop("etag", None)
        data["run"]["services"].append(svc)
        rev = copy.deepcopy(_find(data["run"]["revisions"], f"/{BACKEND}-00042-xq7"))
        rev["name"], rev["service"] = f"{svc['name']}/revisions/{short}", name
        rev.pop("etag", None)
        data["run"]["revisions"].append(rev)
        checks.append({"id": slug(v), "type": "run.revision", "with": {"service": name}})
    return checks


# -- VPC path ----------------------------------------------------------------------------------


def redis_state(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    base = _find(data["redis"]["instances"], "/staging-redis-f1adc35c")
    checks = []
    for i, v in enumerate(values):
        r = {**copy.deepcopy(base), "name": f"{LOC}/instances/sweep-redis-{i}", "state": v}
        data["redis"]["instances"].append(r)
        checks.append(
            {
                "id": slug(v),
                "type": "network.reachability",
                "with": {"service": BACKEND, "redis": f"sweep-redis-{i}"},
            }
        )
    return checks


def connector_state(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    base = data["vpcaccess"]["connectors"][0]
    checks = []
    for i, v in enumerate(values):
        name = f"{LOC}/connectors/sweep-conn-{i}"
        data["vpcaccess"]["connectors"].append({**copy.deepcopy(base), "name": name, "state": v})
        short = _revision(data, i, vpcAccess={"connector": name, "egress": "PRIVATE_RANGES_ONLY"})
        checks.append(
            {
                "id": slug(v),
                "type": "network.reachability",
                "with": {"service": BACKEND, "revision": short, "redis": "staging-redis-f1adc35c"},
            }
        )
    return checks


def _sql_instances(data: dict[str, Any], values: list[str], where: tuple[str, ...]) -> list[str]:
    base = _find(data["sqladmin"]["instances"], "staging-shared-postgres")
    names = []
    for i, v in enumerate(values):
        name = f"sweep-sql-{i}"
        inst = copy.deepcopy(base)
        inst["name"], inst["connectionName"] = name, f"{PROJECT}:us-central1:{name}"
        inst["selfLink"] = inst["selfLink"].replace("staging-shared-postgres", name)
        target = inst
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = v
        data["sqladmin"]["instances"].append(inst)
        names.append(name)
    return names


def sql_state_instance(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    names = _sql_instances(data, values, ("state",))
    return [
        {"id": slug(v), "type": "sql.instance", "with": {"instance": n}}
        for v, n in zip(values, names, strict=True)
    ]


def sql_state_path(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    names = _sql_instances(data, values, ("state",))
    return [
        {"id": slug(v), "type": "network.reachability", "with": {"service": BACKEND, "sql": n}}
        for v, n in zip(values, names, strict=True)
    ]


def sql_activation_instance(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    names = _sql_instances(data, values, ("settings", "activationPolicy"))
    return [
        {"id": slug(v), "type": "sql.instance", "with": {"instance": n}}
        for v, n in zip(values, names, strict=True)
    ]


def sql_activation_path(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    names = _sql_instances(data, values, ("settings", "activationPolicy"))
    return [
        {"id": slug(v), "type": "network.reachability", "with": {"service": BACKEND, "sql": n}}
        for v, n in zip(values, names, strict=True)
    ]


def _delivering_trace(final: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [
        {
            "description": "Initial state: packet originating from a Cloud Run revision.",
            "state": "START_FROM_CLOUD_RUN_REVISION",
            "projectId": PROJECT,
            "cloudRunRevision": {"displayName": f"{BACKEND}-00042-xq7", "uri": REV_URI},
        },
        {
            "description": "Config checking state: verify EGRESS firewall rule.",
            "state": "APPLY_EGRESS_FIREWALL_RULE",
            "projectId": PROJECT,
            "firewall": {
                "displayName": "allow-connector-to-redis",
                "uri": f"projects/{PROJECT}/global/firewalls/allow-connector-to-redis",
                "direction": "EGRESS",
                "action": "ALLOW",
                "priority": 1000,
            },
        },
        {"description": f"Final state: {final}.", "state": final, "projectId": PROJECT},
    ]
    if final == "DELIVER":
        steps[-1]["deliver"] = {"target": "REDIS_INSTANCE", "resourceUri": REDIS}
    elif final == "DROP":
        steps[-1]["drop"] = {
            "cause": "NO_ROUTE",
            "resourceUri": f"projects/{PROJECT}/global/routes/default-route",
        }
        steps[-1]["causesDrop"] = True
    elif final == "ABORT":
        steps[-1]["abort"] = {
            "cause": "PERMISSION_DENIED",
            "resourceUri": f"projects/{PROJECT}/global/networks/staging-vpc",
        }
        steps[-1]["causesDrop"] = True
    return {"steps": steps}


def _confirmed(
    data: dict[str, Any], values: list[str], details: Callable[[str], dict[str, Any]]
) -> list[dict[str, Any]]:
    base = _find(data["redis"]["instances"], "/staging-redis-f1adc35c")
    results = data.setdefault("networkmanagement", {}).setdefault("results", [])
    checks = []
    for i, v in enumerate(values):
        name = f"{LOC}/instances/sweep-ct-{i}"
        data["redis"]["instances"].append({**copy.deepcopy(base), "name": name})
        results.insert(0, {"destination": {"redisInstance": name}, "reachabilityDetails": details(v)})
        checks.append(
            {
                "id": slug(v),
                "type": "network.reachability",
                "with": {"service": BACKEND, "redis": f"sweep-ct-{i}", "confirm": True},
            }
        )
    return checks


def connectivity_result(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    def details(v: str) -> dict[str, Any]:
        if v == "REACHABLE":
            return {"result": v, "traces": [_delivering_trace("DELIVER")]}
        if v == "UNREACHABLE":
            return {"result": v, "traces": [_delivering_trace("DROP")]}
        return {"result": v}

    return _confirmed(data, values, details)


def trace_final_step(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    return _confirmed(data, values, lambda v: {"result": "REACHABLE", "traces": [_delivering_trace(v)]})


def _network(data: dict[str, Any], i: int) -> tuple[str, str]:
    """A copy of staging-vpc, ``sweep-net-{i}``, with its peerings, a READY connector on it and a
    backend revision using that connector; returns (network full name, revision short name)."""
    base = _find(data["compute"]["networks"], "staging-vpc")
    name = f"sweep-net-{i}"
    link = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/networks/{name}"
    net = {**copy.deepcopy(base), "name": name, "selfLink": link, "id": str(9000 + i), "subnetworks": []}
    data["compute"]["networks"].append(net)
    connector = f"{LOC}/connectors/sweep-conn-{i}"
    data["vpcaccess"]["connectors"].append(
        {**copy.deepcopy(data["vpcaccess"]["connectors"][0]), "name": connector, "network": name}
    )
    short = _revision(data, i, vpcAccess={"connector": connector, "egress": "PRIVATE_RANGES_ONLY"})
    return f"projects/{PROJECT}/global/networks/{name}", short


def _peerings(net: dict[str, Any], state: str) -> None:
    for p in net["peerings"]:
        p["state"] = state
        if state != "ACTIVE":
            p["stateDetails"] = f"[2025-09-03T05:00:00.000-07:00]: {state}."


def peering_state_redis(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    base = _find(data["redis"]["instances"], "/staging-redis-f1adc35c")
    checks = []
    for i, v in enumerate(values):
        network, short = _network(data, i)
        _peerings(data["compute"]["networks"][-1], v)
        name = f"sweep-redis-{i}"
        data["redis"]["instances"].append(
            {**copy.deepcopy(base), "name": f"{LOC}/instances/{name}", "authorizedNetwork": network}
        )
        checks.append(
            {
                "id": slug(v),
                "type": "network.reachability",
                "with": {"service": BACKEND, "revision": short, "redis": name},
            }
        )
    return checks


def peering_state_sql(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    checks = []
    names = _sql_instances(data, ["RUNNABLE"] * len(values), ("state",))
    for i, (v, sql) in enumerate(zip(values, names, strict=True)):
        network, short = _network(data, i)
        _peerings(data["compute"]["networks"][-1], v)
        inst = _find(data["sqladmin"]["instances"], sql)
        inst["settings"]["ipConfiguration"]["privateNetwork"] = network
        rng = copy.deepcopy(data["compute"]["addresses"][0])
        rng["name"], rng["id"] = f"sweep-range-{i}", str(8000 + i)
        rng["network"] = f"https://www.googleapis.com/compute/v1/{network}"
        rng["selfLink"] = rng["selfLink"].replace("google-managed-services-staging-vpc", rng["name"])
        data["compute"]["addresses"].append(rng)
        checks.append(
            {
                "id": slug(v),
                "type": "network.reachability",
                "with": {"service": BACKEND, "revision": short, "sql": sql},
            }
        )
    return checks


def firewall_direction(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """A deny-all rule at priority 100 on the connector's network, in each direction."""
    checks = []
    for i, v in enumerate(values):
        network, short = _network(data, i)
        name = f"sweep-deny-{i}"
        data["compute"]["firewalls"].append(
            {
                "kind": "compute#firewall",
                "id": str(7000 + i),
                "name": name,
                "network": f"https://www.googleapis.com/compute/v1/{network}",
                "direction": v,
                "priority": 100,
                "denied": [{"IPProtocol": "all"}],
                "disabled": False,
                "selfLink": f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/firewalls/{name}",
            }
        )
        redis = f"sweep-redis-{i}"
        data["redis"]["instances"].append(
            {
                **copy.deepcopy(_find(data["redis"]["instances"], "/staging-redis-f1adc35c")),
                "name": f"{LOC}/instances/{redis}",
                "authorizedNetwork": network,
            }
        )
        checks.append(
            {
                "id": slug(v),
                "type": "network.reachability",
                "with": {"service": BACKEND, "revision": short, "redis": redis},
            }
        )
    return checks


# -- effective firewalls: firewall policies ---------------------------------------------------

COMPUTE = "https://www.googleapis.com/compute/v1"
ALL = [{"ipProtocol": "all"}]


def _policy_path(
    data: dict[str, Any], i: int, *, order: str = "AFTER_CLASSIC_FIREWALL", vpc: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A sweep network (``_network``) with a Redis instance on it and a global network firewall
    policy associated with it; ``vpc`` "allow"/"deny" adds a VPC rule for all egress (priority
    65000 for a deny, 1000 for an allow). Returns (the policy's check, the policy to add rules to)."""
    network, short = _network(data, i)
    net = data["compute"]["networks"][-1]
    net["networkFirewallPolicyEnforcementOrder"] = order
    if vpc:
        name = f"sweep-vpc-{vpc}-{i}"
        data["compute"]["firewalls"].append(
            {
                "kind": "compute#firewall",
                "id": str(7500 + i),
                "name": name,
                "network": f"{COMPUTE}/{network}",
                "direction": "EGRESS",
                "priority": 65000 if vpc == "deny" else 1000,
                "destinationRanges": ["0.0.0.0/0"],
                ("denied" if vpc == "deny" else "allowed"): [{"IPProtocol": "all"}],
                "disabled": False,
                "selfLink": f"{COMPUTE}/projects/{PROJECT}/global/firewalls/{name}",
            }
        )
    policy: dict[str, Any] = {
        "name": f"sweep-policy-{i}",
        "shortName": f"sweep-policy-{i}",
        "associations": [
            {"name": f"sweep-{i}", "attachmentTarget": f"{COMPUTE}/{network}", "priority": 1000}
        ],
        "rules": [],
    }
    data["compute"].setdefault("firewallPolicies", []).append(policy)
    redis = f"sweep-redis-{i}"
    data["redis"]["instances"].append(
        {
            **copy.deepcopy(_find(data["redis"]["instances"], "/staging-redis-f1adc35c")),
            "name": f"{LOC}/instances/{redis}",
            "authorizedNetwork": network,
        }
    )
    check = {"type": "network.reachability", "with": {"service": BACKEND, "revision": short, "redis": redis}}
    return check, policy


def _rule(action: str, **extra: Any) -> dict[str, Any]:
    match = {"destIpRanges": ["0.0.0.0/0"], "layer4Configs": ALL, **extra.pop("match", {})}
    return {"priority": 1000, "action": action, "direction": "EGRESS", "match": match, **extra}


def _policies(
    data: dict[str, Any],
    values: list[str],
    rule: Callable[[str], dict[str, Any]],
    *,
    order: str = "AFTER_CLASSIC_FIREWALL",
    vpc: str = "",
) -> list[dict[str, Any]]:
    checks = []
    for i, v in enumerate(values):
        check, policy = _policy_path(data, i, order=order, vpc=vpc)
        policy["rules"].append(rule(v))
        checks.append({"id": slug(v), **check})
    return checks


def policy_action(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """The policy acts before the VPC rules (BEFORE_CLASSIC_FIREWALL), which deny all egress:
    only an allow lets the packet out; goto_next hands it to that deny."""
    return _policies(data, values, _rule, order="BEFORE_CLASSIC_FIREWALL", vpc="deny")


def enforcement_order(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """A VPC rule allows all egress, the network firewall policy denies it: the order decides."""
    checks = []
    for i, v in enumerate(values):
        check, policy = _policy_path(data, i, order=v, vpc="allow")
        policy["rules"].append(_rule("deny"))
        checks.append({"id": slug(v), **check})
    return checks


def policy_target_type(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """An allow before a VPC deny-all: it lets the connector's packet out only if it targets instances."""
    return _policies(
        data, values, lambda v: _rule("allow", targetType=v), order="BEFORE_CLASSIC_FIREWALL", vpc="deny"
    )


def policy_dest_network_type(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """An allow before a VPC deny-all, for destinations of one network type (Redis is private)."""
    return _policies(
        data,
        values,
        lambda v: _rule("allow", match={"destNetworkType": v}),
        order="BEFORE_CLASSIC_FIREWALL",
        vpc="deny",
    )


def policy_secure_tag_state(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """A deny-all that targets one secure tag: ignored only when the tag is INEFFECTIVE."""
    return _policies(
        data, values, lambda v: _rule("deny", targetSecureTags=[{"name": "tagValues/281479", "state": v}])
    )


def policy_direction(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """A deny-all policy rule in each direction."""
    return _policies(data, values, lambda v: {**_rule("deny"), "direction": v})


def egress_setting(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    """A public address: only ALL_TRAFFIC sends it through the VPC."""
    checks = []
    connector = data["vpcaccess"]["connectors"][0]["name"]
    for i, v in enumerate(values):
        short = _revision(data, i, vpcAccess={"connector": connector, "egress": v})
        checks.append(
            {
                "id": slug(v),
                "type": "network.reachability",
                "with": {
                    "service": BACKEND,
                    "revision": short,
                    "address": "34.118.2.7:443",
                    "network": "staging-vpc",
                },
            }
        )
    return checks


# -- Secret Manager, Logging -------------------------------------------------------------------


def secret_version_state(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    number = data["projectNumber"]
    checks = []
    for i, v in enumerate(values):
        secret = f"projects/{number}/secrets/sweep-secret-{i}"
        data["secretmanager"]["secrets"].append(
            {"name": secret, "replication": {"automatic": {}}, "createTime": "2025-07-28T10:00:00Z"}
        )
        data["secretmanager"]["versions"].append(
            {"name": f"{secret}/versions/1", "createTime": "2025-07-28T10:00:01Z", "state": v}
        )
        container = copy.deepcopy(_find(data["run"]["revisions"], f"/{BACKEND}-00042-xq7")["containers"][0])
        container["env"] = [
            {
                "name": "SWEEP",
                "valueSource": {"secretKeyRef": {"secret": f"sweep-secret-{i}", "version": "latest"}},
            }
        ]
        short = _revision(data, i, containers=[container])
        checks.append(
            {
                "id": slug(v),
                "type": "run.env",
                "with": {"service": BACKEND, "revision": short, "required": ["SWEEP"]},
            }
        )
    return checks


def log_severity(data: dict[str, Any], values: list[str]) -> list[dict[str, Any]]:
    boot = [
        e
        for e in data["logging"]["entries"]
        if e["resource"]["labels"]["revision_name"] == f"{BACKEND}-00042-xq7"
    ]
    checks = []
    for i, v in enumerate(values):
        short = _revision(data, i)
        for j, e in enumerate(boot):
            entry = copy.deepcopy(e)
            entry["resource"]["labels"]["revision_name"] = short
            entry["insertId"] = f"sweep{i:03d}{j:03d}"
            data["logging"]["entries"].append(entry)
        line = copy.deepcopy(boot[-1])
        line["resource"]["labels"]["revision_name"] = short
        line.update(insertId=f"sweep{i:03d}999", severity=v, textPayload=f"sweep: an entry at {v}")
        data["logging"]["entries"].append(line)
        checks.append({"id": slug(v), "type": "logs.boot", "with": {"service": BACKEND, "revision": short}})
    return checks


# -- running -------------------------------------------------------------------------------------

_INVALID_ENUM = re.compile(r"invalid \w+ value '([A-Z][A-Z0-9_]*)'")

# A value no document lists yet (an API adds enum values over time): it must not pass
# (docs: an unknown enum value is ERROR). Clients that ask for ``$alt=json;enum-encoding=int``
# would get its number; Compute's client asks for no encoding and Logging is read as
# plain JSON, so those would get a name.
UNDOCUMENTED = "GATE_UNDOCUMENTED_VALUE"
UNDOCUMENTED_NUMBER = 1234
_BY_NAME = {"compute", "logging"}

_UNKNOWN: dict[str, set[str]] = {}


def client_unknown(sweep: Sweep) -> set[str]:
    """Documented values the installed client library's protos do not know (newer than it)."""
    return _UNKNOWN.get(sweep.id, set())


def _world(sweep: Sweep, data: dict[str, Any]) -> World:
    """The world as loaded, with values the client protos reject served as written anyway.

    The discovery document can list enum values newer than the installed client library
    (the world loader validates against the client's protos and refuses them), and
    UNDOCUMENTED is in no list at all. The real API may still send them, so the loader
    checks a copy where they are replaced by a value it knows, and the emulator then
    serves the data as written.
    """
    from gate.emulator import parse_world
    from gate.errors import InputError

    placeholder = sweep.values()[0]
    unknown: set[str] = {UNDOCUMENTED}
    for _ in range(10):
        try:
            valid = _replace(data, {u: placeholder for u in unknown})
            world = parse_world(yaml.safe_dump(valid, sort_keys=False), f"<sweep {sweep.id}>")
            break
        except InputError as e:
            found = set(_INVALID_ENUM.findall(str(e))) - unknown
            if not found:
                raise
            unknown |= found
    else:
        raise AssertionError(f"sweep {sweep.id}: the world does not load")
    _UNKNOWN[sweep.id] = unknown - {UNDOCUMENTED}
    served: Any = UNDOCUMENTED if sweep.api in _BY_NAME else UNDOCUMENTED_NUMBER
    raw = _replace(data, {UNDOCUMENTED: served})
    world.resources = {k: raw[k] for k in world.resources}
    world.reachability = raw.get("networkmanagement", {}).get("results", [])
    return world


def _replace(value: Any, table: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, table) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, table) for v in value]
    return table.get(value, value) if isinstance(value, str) else value


def run_sweep(sweep: Sweep, tmp: Path) -> tuple[dict[str, str], list[Recorded]]:
    """value -> the check's status, from one gate run against the emulator; and the exchanges."""
    import gate
    from gate.emulator import Emulator

    values = [*sweep.values(), UNDOCUMENTED]
    data = world_data()
    checks = sweep.build(data, values)
    world = _world(sweep, data)
    policy = tmp / f"{sweep.id}.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "gate/v1",
                "kind": "Policy",
                "project": PROJECT,
                "region": "us-central1",
                "checks": checks,
            }
        )
    )
    with Emulator(world, exchanges=True) as emu:
        report = gate.run(
            policy, env=emulator_env(emu), resolve=resolve(emu), fail_fast=False, deadline=60, pool=8
        )
        exchanges = [Recorded(f"sweep/{sweep.id}", x) for x in emu.exchanges]
    complete(f"sweep {sweep.id}", report)
    by_id = {r.id: r.status.value for r in report.results}
    return {v: by_id[slug(v)] for v in values}, exchanges


SWEEPS = (
    Sweep(
        "run-revision-ready",
        "run",
        "GoogleCloudRunV2Condition",
        "state",
        frozenset({"CONDITION_SUCCEEDED"}),
        "docs/checks/run.revision.md: PASS when the revision's Ready condition succeeded",
        ready_condition,
    ),
    Sweep(
        "run-revision-container-healthy",
        "run",
        "GoogleCloudRunV2Condition",
        "state",
        frozenset({"CONDITION_SUCCEEDED", "CONDITION_PENDING", "CONDITION_RECONCILING", "STATE_UNSPECIFIED"}),
        "docs/checks/run.revision.md: with Ready succeeded, ContainerHealthy must only not have FAILED",
        supporting_condition,
    ),
    Sweep(
        "run-service-terminal-condition",
        "run",
        "GoogleCloudRunV2Condition",
        "state",
        frozenset({"CONDITION_SUCCEEDED"}),
        "Cloud Run v2 Service.terminalCondition: only a succeeded reconciliation has rolled out",
        service_terminal_condition,
    ),
    Sweep(
        "redis-state",
        "redis",
        "Instance",
        "state",
        frozenset({"READY"}),
        "READY: 'created and is fully usable' (redis.v1 Instance.state)",
        redis_state,
    ),
    Sweep(
        "connector-state",
        "vpcaccess",
        "Connector",
        "state",
        frozenset({"READY"}),
        "READY: 'deployed and ready to receive traffic' (vpcaccess.v1 Connector.state)",
        connector_state,
    ),
    Sweep(
        "sql-state",
        "sqladmin",
        "DatabaseInstance",
        "state",
        frozenset({"RUNNABLE"}),
        "docs/checks/sql.instance.md: passes when the state is RUNNABLE",
        sql_state_instance,
    ),
    Sweep(
        "sql-state-path",
        "sqladmin",
        "DatabaseInstance",
        "state",
        frozenset({"RUNNABLE"}),
        "network.reachability: the destination is READY/RUNNABLE",
        sql_state_path,
    ),
    Sweep(
        "sql-activation-policy",
        "sqladmin",
        "Settings",
        "activationPolicy",
        frozenset({"ALWAYS"}),
        "Settings.activationPolicy: ALWAYS 'the instance is on'; NEVER 'off'; ON_DEMAND first gen only",
        sql_activation_instance,
    ),
    Sweep(
        "sql-activation-policy-path",
        "sqladmin",
        "Settings",
        "activationPolicy",
        frozenset({"ALWAYS"}),
        "as sql-activation-policy, for the Cloud SQL destination hop of network.reachability",
        sql_activation_path,
    ),
    Sweep(
        "peering-state-redis",
        "compute",
        "NetworkPeering",
        "state",
        frozenset({"ACTIVE"}),
        "ACTIVE: 'matching configuration exists on the peer' (compute.v1 NetworkPeering.state)",
        peering_state_redis,
    ),
    Sweep(
        "peering-state-sql",
        "compute",
        "NetworkPeering",
        "state",
        frozenset({"ACTIVE"}),
        "private services access needs the servicenetworking peering ACTIVE",
        peering_state_sql,
    ),
    Sweep(
        "firewall-direction",
        "compute",
        "Firewall",
        "direction",
        frozenset({"INGRESS"}),
        "a deny-all rule blocks the connector's egress only when its direction is EGRESS",
        firewall_direction,
    ),
    Sweep(
        "firewall-policy-action",
        "compute",
        "FirewallPolicyRule",
        "action",
        frozenset({"allow"}),
        "Cloud NGFW rule evaluation: allow/deny end it, goto_next passes on (here to a VPC deny), "
        "apply_security_profile_group hands the packet to an inspection gate cannot see",
        policy_action,
        described=("allow", "deny", "apply_security_profile_group", "goto_next"),
    ),
    Sweep(
        "firewall-enforcement-order",
        "compute",
        "Network",
        "networkFirewallPolicyEnforcementOrder",
        frozenset({"AFTER_CLASSIC_FIREWALL"}),
        "AFTER_CLASSIC_FIREWALL: the VPC rules (here an allow) act before the network policy (a deny)",
        enforcement_order,
    ),
    Sweep(
        "firewall-policy-target-type",
        "compute",
        "FirewallPolicyRule",
        "targetType",
        frozenset({"INSTANCES"}),
        "targetType (default INSTANCES): an INTERNAL_MANAGED_LB rule does not filter the connector's egress",
        policy_target_type,
    ),
    Sweep(
        "firewall-policy-dest-network-type",
        "compute",
        "FirewallPolicyRuleMatcher",
        "destNetworkType",
        frozenset({"UNSPECIFIED", "NON_INTERNET"}),
        "a private (peered) destination is not INTERNET; INTRA_VPC / VPC_NETWORKS gate cannot map",
        policy_dest_network_type,
    ),
    Sweep(
        "firewall-policy-secure-tag-state",
        "compute",
        "FirewallPolicyRuleSecureTag",
        "state",
        frozenset({"INEFFECTIVE"}),
        "targetSecureTags: a rule whose tags are all INEFFECTIVE is ignored; EFFECTIVE tags gate cannot map",
        policy_secure_tag_state,
    ),
    Sweep(
        "firewall-policy-direction",
        "compute",
        "FirewallPolicyRule",
        "direction",
        frozenset({"INGRESS"}),
        "a deny-all policy rule blocks the connector's egress only when its direction is EGRESS",
        policy_direction,
    ),
    Sweep(
        "vpc-egress",
        "run",
        "GoogleCloudRunV2VpcAccess",
        "egress",
        frozenset({"ALL_TRAFFIC"}),
        "VpcAccess.egress: unset means PRIVATE_RANGES_ONLY, which sends a public address to the internet",
        egress_setting,
    ),
    Sweep(
        "connectivity-test-result",
        "networkmanagement",
        "ReachabilityDetails",
        "result",
        frozenset({"REACHABLE"}),
        "docs/checks/network.reachability.md: REACHABLE passes, UNREACHABLE fails, the rest is ERROR",
        connectivity_result,
    ),
    Sweep(
        "connectivity-test-final-step",
        "networkmanagement",
        "Step",
        "state",
        frozenset({"DELIVER"}),
        "Step.state: only a trace whose final step is DELIVER proves delivery (REACHABLE may be partial)",
        trace_final_step,
    ),
    Sweep(
        "secret-version-state",
        "secretmanager",
        "SecretVersion",
        "state",
        frozenset({"ENABLED"}),
        "ENABLED: 'the SecretVersion may be accessed' (secretmanager.v1 SecretVersion.state)",
        secret_version_state,
    ),
    Sweep(
        "boot-log-severity",
        "logging",
        "LogEntry",
        "severity",
        frozenset({"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING"}),
        "docs/checks/logs.boot.md: an entry at ERROR or above fails the boot log",
        log_severity,
    ),
)
