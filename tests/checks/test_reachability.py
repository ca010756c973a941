"""network.reachability against the emulator over HTTP, through the official clients."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gate.checks.reachability import Reachability
from gate.context import AttemptContext, RunContext
from gate.emulator import Emulator, Fault, load_world, parse_world
from gate.engine import Engine, EngineOptions, outcome_from_exception
from gate.errors import MissingFactError, NotFoundError
from gate.gcp.cloud import Cloud
from gate.gcp.transport.connection import Connection
from gate.model import CheckSpec, Outcome, Policy, Status

PROJECT, REGION = "netra-staging", "us-central1"
HERE = Path(__file__).parent / "worlds"
SHIPPED = Path(__file__).parents[2] / "gate" / "emulator" / "worlds"
BASE: dict[str, Any] = yaml.safe_load((HERE / "net-base.yaml").read_text())
NET = "https://www.googleapis.com/compute/v1/projects/netra-staging/global/networks"
HOP_NAMES = ["vpc-access", "connector", "egress", "network", "firewall", "destination"]
REDIS = {"service": "backend", "redis": "cache"}


def variant(change: Callable[[dict[str, Any]], None] | None = None) -> Any:
    data = copy.deepcopy(BASE)
    if change:
        change(data)
    return parse_world(yaml.safe_dump(data, sort_keys=False), "<net-base variant>")


@pytest.fixture
def world() -> Iterator[Callable[..., Emulator]]:
    started: list[Emulator] = []

    def start(w: Any = None) -> Emulator:
        emu = Emulator(w if w is not None else variant(), port=0)
        emu.__enter__()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.__exit__(None, None, None)


def attempt(emu: Emulator, params: dict[str, Any], project: str = PROJECT) -> Outcome:
    cloud = Cloud(Connection(emulator_host=emu.api_host), project, REGION)
    run = RunContext(project=project, region=REGION, cloud=cloud)
    check = Reachability(CheckSpec("reach", "network.reachability", params))
    return check.attempt(AttemptContext(run, "reach", time.monotonic() + 10))


def hops(out: Outcome) -> list[tuple[str, str]]:
    return [(h["hop"], h["state"]) for h in out.evidence["hops"]]


def deletes(emu: Emulator) -> int:
    return sum(1 for r in emu.requests if r.api == "networkmanagement" and r.method == "DELETE")


# -- the incidents -------------------------------------------------------------------------


def test_s12_healthy_passes_with_every_hop_listed(world: Callable[..., Emulator]) -> None:
    emu = world(load_world(SHIPPED / "s12-healthy.yaml"))
    out = attempt(emu, {"service": "netra-backend-staging", "redis": "staging-redis-f1adc35c"})
    assert out.status is Status.PASS, out.summary
    assert hops(out) == [(n, "ok") for n in HOP_NAMES]
    assert out.summary == (
        "Redis staging-redis-f1adc35c 10.166.204.83:6379 reachable from revision "
        "netra-backend-staging-00042-xq7 via connector staging-connector (10.1.0.0/28) (6 hops ok)"
    )
    assert out.evidence["selected_as"] == "latest created revision"


def test_s6_blocks_on_the_network_hop_naming_both_ranges(world: Callable[..., Emulator]) -> None:
    emu = world(load_world(SHIPPED / "s6-redis-unreachable.yaml"))
    out = attempt(emu, {"service": "netra-backend-staging", "redis": "staging-redis-f1adc35c"})
    assert out.status is Status.FAIL
    assert out.evidence["broken_hop"] == "network"
    assert hops(out) == [
        ("vpc-access", "ok"),
        ("connector", "ok"),
        ("egress", "ok"),
        ("network", "broken"),
    ]
    assert out.summary == (
        "Redis staging-redis-f1adc35c 10.166.204.83:6379 unreachable from revision "
        "netra-backend-staging-00042-xq7: hop network: connector staging-connector (10.1.0.0/28) is on "
        "network staging-vpc, but Redis staging-redis-f1adc35c (10.166.204.80/29) is authorized on "
        "network default; no route from staging-vpc reaches 10.166.204.83"
    )
    assert "connector (or Direct VPC egress) on network default" in out.remediation


# -- hops, one broken at a time ------------------------------------------------------------


def test_healthy_base_world_passes(world: Callable[..., Emulator]) -> None:
    out = attempt(world(), REDIS)
    assert out.status is Status.PASS and hops(out) == [(n, "ok") for n in HOP_NAMES]
    assert "egress PRIVATE_RANGES_ONLY (the default)" in out.evidence["hops"][2]["detail"]


def test_connector_in_error_state(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["vpcaccess"]["connectors"][0]["state"] = "ERROR"

    out = attempt(world(variant(change)), REDIS)
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "connector"
    assert "hop connector: connector conn-a is ERROR, not READY" in out.summary
    assert hops(out) == [("vpc-access", "ok"), ("connector", "broken")]


def test_missing_connector(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["vpcaccess"]["connectors"] = []

    out = attempt(world(variant(change)), REDIS)
    assert out.status is Status.FAIL and "connector conn-a does not exist" in out.summary


def test_redis_on_another_network_without_peering(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["redis"]["instances"][0]["authorizedNetwork"] = "projects/netra-staging/global/networks/vpc-b"

    out = attempt(world(variant(change)), REDIS)
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "network"
    assert "is authorized on network vpc-b; no route from vpc-a reaches 10.166.204.83" in out.summary


def test_peering_to_the_authorized_network_does_not_help_because_peering_is_not_transitive(
    world: Callable[..., Emulator],
) -> None:
    def change(d: dict[str, Any]) -> None:
        d["redis"]["instances"][0]["authorizedNetwork"] = "projects/netra-staging/global/networks/vpc-b"
        d["compute"]["networks"][0]["peerings"].append(
            {"name": "a-to-b", "network": f"{NET}/vpc-b", "state": "ACTIVE"}
        )

    out = attempt(world(variant(change)), REDIS)
    assert out.status is Status.FAIL
    assert "vpc-a peers with vpc-b (ACTIVE), but VPC Network Peering is not transitive" in out.summary


def test_memorystore_peering_inactive(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        p = d["compute"]["networks"][0]["peerings"][0]
        p.update(state="INACTIVE", stateDetails="[2025-09-01]: Peer network was deleted.")

    out = attempt(world(variant(change)), REDIS)
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "network"
    assert (
        "the Memorystore peering redis-peer-701982941522 of network vpc-a is INACTIVE: "
        "[2025-09-01]: Peer network was deleted." in out.summary
    )


def test_firewall_deny_above_the_allow(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["compute"]["firewalls"].append(
            {
                "name": "deny-redis",
                "network": f"{NET}/vpc-a",
                "direction": "EGRESS",
                "priority": 900,
                "destinationRanges": ["10.166.0.0/16"],
                "denied": [{"IPProtocol": "tcp", "ports": ["6000-7000"]}],
            }
        )

    out = attempt(world(variant(change)), REDIS)
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "firewall"
    assert "denied by firewall rule deny-redis (priority 900) on vpc-a" in out.summary
    assert "allow-redis-egress (allow p1000)" in out.summary


# -- firewall policies: effective firewalls in the network's enforcement order -------------

ORG_POLICY = "organizations/123456789012"


def policy_rule(priority: int, action: str, ranges: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    match: dict[str, Any] = {"layer4Configs": [{"ipProtocol": "tcp"}]}
    if ranges is not None:
        match["destIpRanges"] = ranges
    return {"priority": priority, "action": action, "direction": "EGRESS", "match": match, **extra}


def with_policy(
    rules: list[dict[str, Any]], kind: str = "network", order: str | None = None, name: str = "pol"
) -> Any:
    def change(d: dict[str, Any]) -> None:
        policy: dict[str, Any] = {"name": name, "rules": rules}
        if kind == "hierarchy":
            policy.update(name="601234567890", shortName=name, parent=ORG_POLICY)
            policy["associations"] = [{"name": "org", "attachmentTarget": ORG_POLICY}]
        else:
            policy["associations"] = [{"name": "a", "attachmentTarget": f"{NET}/vpc-a", "priority": 1000}]
        if kind == "regional":
            policy["region"] = (
                "https://www.googleapis.com/compute/v1/projects/netra-staging/regions/us-central1"
            )
        if kind == "regional-elsewhere":
            policy["region"] = (
                "https://www.googleapis.com/compute/v1/projects/netra-staging/regions/europe-west1"
            )
        d["compute"].setdefault("firewallPolicies", []).append(policy)
        if order:
            d["compute"]["networks"][0]["networkFirewallPolicyEnforcementOrder"] = order

    return change


def both(*changes: Callable[[dict[str, Any]], None]) -> Any:
    def change(d: dict[str, Any]) -> None:
        for c in changes:
            c(d)

    return variant(change)


DENY_REDIS = policy_rule(100, "deny", ["10.166.204.80/29"])


def test_network_policy_deny_after_classic_rules_loses_to_the_vpc_allow(
    world: Callable[..., Emulator],
) -> None:
    """AFTER_CLASSIC_FIREWALL (the default): the VPC allow rule matches first and ends it."""
    out = attempt(world(both(with_policy([DENY_REDIS]))), REDIS)
    assert out.status is Status.PASS, out.summary
    assert "allowed by firewall rule allow-redis-egress" in out.evidence["hops"][4]["detail"]
    assert "AFTER_CLASSIC_FIREWALL (the default)" in out.evidence["hops"][4]["detail"]


def test_network_policy_deny_before_classic_rules_blocks(world: Callable[..., Emulator]) -> None:
    out = attempt(world(both(with_policy([DENY_REDIS], order="BEFORE_CLASSIC_FIREWALL"))), REDIS)
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "firewall"
    assert "denied by rule 100 of network firewall policy pol" in out.summary
    assert "BEFORE_CLASSIC_FIREWALL" in out.summary


def test_hierarchical_policy_deny_blocks_whatever_the_order(world: Callable[..., Emulator]) -> None:
    out = attempt(world(both(with_policy([DENY_REDIS], kind="hierarchy", name="org-baseline"))), REDIS)
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "firewall"
    assert "denied by rule 100 of hierarchical firewall policy org-baseline" in out.summary


def test_hierarchical_goto_next_hands_over_to_the_next_level(world: Callable[..., Emulator]) -> None:
    w = both(
        with_policy([policy_rule(10, "goto_next", ["10.0.0.0/8"])], kind="hierarchy", name="org"),
        with_policy([DENY_REDIS], order="BEFORE_CLASSIC_FIREWALL"),
    )
    out = attempt(world(w), REDIS)
    assert out.status is Status.FAIL and "network firewall policy pol" in out.summary


def test_hierarchical_rule_for_another_network_does_not_apply(world: Callable[..., Emulator]) -> None:
    rule = policy_rule(100, "deny", ["10.166.204.80/29"], targetResources=[f"{NET}/vpc-b"])
    out = attempt(world(both(with_policy([rule], kind="hierarchy"))), REDIS)
    assert out.status is Status.PASS, out.summary


def test_regional_policy_denies_in_the_revision_region_only(world: Callable[..., Emulator]) -> None:
    sql = {"service": "backend", "sql": "db"}  # no VPC rule allows 5432: the policy decides
    deny = policy_rule(100, "deny", ["10.107.0.0/16"])
    out = attempt(world(both(with_policy([deny], kind="regional"))), sql)
    assert out.status is Status.FAIL and "regional network firewall policy pol" in out.summary
    out = attempt(world(both(with_policy([deny], kind="regional-elsewhere"))), sql)
    assert out.status is Status.PASS, out.summary


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"targetSecureTags": [{"name": "tagValues/281484", "state": "EFFECTIVE"}]}, "secure tags"),
        ({"targetServiceAccounts": ["runner@netra-staging.iam.gserviceaccount.com"]}, "service accounts"),
    ],
)
def test_policy_rule_with_a_target_gate_cannot_map_cannot_be_proven(
    world: Callable[..., Emulator], extra: dict[str, Any], words: str
) -> None:
    rule = policy_rule(100, "deny", ["10.166.204.80/29"], **extra)
    out = attempt(world(both(with_policy([rule], kind="hierarchy"))), REDIS)
    assert out.status is Status.ERROR and out.evidence["unknown_hop"] == "firewall"
    assert "cannot prove" in out.summary and words in out.summary


def test_ineffective_secure_tags_are_ignored_as_documented(world: Callable[..., Emulator]) -> None:
    rule = policy_rule(
        100, "deny", ["10.166.204.80/29"], targetSecureTags=[{"name": "tagValues/1", "state": "INEFFECTIVE"}]
    )
    assert attempt(world(both(with_policy([rule], kind="hierarchy"))), REDIS).status is Status.PASS


def test_security_profile_inspection_cannot_be_proven(world: Callable[..., Emulator]) -> None:
    rule = policy_rule(
        100,
        "apply_security_profile_group",
        ["10.166.204.80/29"],
        securityProfileGroup="//networksecurity.googleapis.com/organizations/1/locations/global/securityProfileGroups/g",
    )
    out = attempt(world(both(with_policy([rule], kind="hierarchy"))), REDIS)
    assert out.status is Status.ERROR and "layer-7 inspection" in out.summary


def test_redis_not_ready(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["redis"]["instances"][0]["state"] = "MAINTENANCE"

    out = attempt(world(variant(change)), REDIS)
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "destination"
    assert "is MAINTENANCE, not READY" in out.summary


def test_redis_in_another_region_is_not_judged(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        r = d["redis"]["instances"][0]
        r["name"] = r["name"].replace("us-central1", "europe-west1")

    out = attempt(
        world(variant(change)),
        {"service": "backend", "redis": ("projects/netra-staging/locations/europe-west1/instances/cache")},
    )
    assert out.status is Status.ERROR and out.evidence["unknown_hop"] == "destination"
    assert "confirm: true" in out.remediation


def test_direct_vpc_egress_passes(world: Callable[..., Emulator]) -> None:
    out = attempt(world(), {"service": "direct", "redis": "cache"})
    assert out.status is Status.PASS, out.summary
    assert hops(out) == [
        (n, "ok") for n in ["vpc-access", "subnet", "egress", "network", "firewall", "destination"]
    ]
    assert "via Direct VPC egress subnet sub-a (10.10.0.0/20)" in out.summary


def test_direct_vpc_tagged_deny_applies_to_the_revision_tags(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["compute"]["firewalls"].append(
            {
                "name": "deny-clients",
                "network": f"{NET}/vpc-a",
                "direction": "EGRESS",
                "priority": 10,
                "targetTags": ["redis-client"],
                "denied": [{"IPProtocol": "all"}],
            }
        )

    emu = world(variant(change))
    assert attempt(emu, {"service": "direct", "redis": "cache"}).status is Status.FAIL
    # The connector's instances carry other tags: the rule does not apply to them.
    assert attempt(emu, REDIS).status is Status.PASS


def test_direct_vpc_subnet_missing(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["compute"]["subnetworks"] = []

    out = attempt(world(variant(change)), {"service": "direct", "redis": "cache"})
    assert out.status is Status.FAIL
    assert "Direct VPC subnetwork sub-a does not exist in region us-central1" in out.summary


def test_no_vpc_access(world: Callable[..., Emulator]) -> None:
    out = attempt(world(), {"service": "novpc", "redis": "cache"})
    assert out.status is Status.FAIL
    assert (
        out.summary == "revision novpc-00001-nov has no VPC access; private IP 10.166.204.83 is unreachable"
    )
    assert hops(out) == [("vpc-access", "broken")]


# -- other destinations --------------------------------------------------------------------


def test_literal_address_in_the_same_network(world: Callable[..., Emulator]) -> None:
    out = attempt(world(), {"service": "backend", "address": "10.10.0.7:8080", "network": "vpc-a"})
    assert out.status is Status.PASS and "address 10.10.0.7:8080" in out.summary


def test_literal_address_in_an_unpeered_network(world: Callable[..., Emulator]) -> None:
    out = attempt(world(), {"service": "backend", "address": "10.20.0.7:8080", "network": "vpc-b"})
    assert out.status is Status.FAIL and "network vpc-a has no peering to vpc-b" in out.summary


def test_literal_public_address_with_private_ranges_only(world: Callable[..., Emulator]) -> None:
    out = attempt(world(), {"service": "backend", "address": "34.1.2.3:443", "network": "vpc-a"})
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "egress"
    assert "sends 34.1.2.3 to the internet" in out.summary


def test_cloud_sql_private_ip(world: Callable[..., Emulator]) -> None:
    out = attempt(world(), {"service": "backend", "sql": "db"})
    assert out.status is Status.PASS, out.summary
    assert "Cloud SQL db 10.107.0.3:5432 reachable" in out.summary
    assert "private services access (range 10.107.0.0/16)" in out.evidence["hops"][3]["detail"]


def test_cloud_sql_without_private_services_peering(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["compute"]["networks"][0]["peerings"].pop()

    out = attempt(world(variant(change)), {"service": "backend", "sql": "db"})
    assert out.status is Status.FAIL
    assert "network vpc-a has no private services access peering" in out.summary


def _sql(change: Any) -> Any:
    def apply(d: dict[str, Any]) -> None:
        change(d["sqladmin"]["instances"][0])

    return variant(apply)


def test_cloud_sql_without_a_private_ip_fails_at_the_destination(world: Callable[..., Emulator]) -> None:
    def change(inst: Any) -> None:
        inst["ipAddresses"] = [{"type": "PRIMARY", "ipAddress": "34.1.2.3"}]
        inst["settings"]["ipConfiguration"] = {"ipv4Enabled": True}

    out = attempt(world(_sql(change)), {"service": "backend", "sql": "db"})
    assert out.status is Status.FAIL
    assert out.summary == (
        "Cloud SQL db is unreachable privately: Cloud SQL db has no private IP "
        "(settings.ipConfiguration.privateNetwork is not set)"
    )
    assert hops(out) == [("destination", "broken")]
    assert out.remediation == "Enable private IP on the instance in the revision's VPC network."


def test_cloud_sql_with_a_private_address_but_no_private_network_fails(
    world: Callable[..., Emulator],
) -> None:
    def change(inst: Any) -> None:
        inst["settings"]["ipConfiguration"] = {"ipv4Enabled": False}

    out = attempt(world(_sql(change)), {"service": "backend", "sql": "db"})
    assert out.status is Status.FAIL and "has no private IP" in out.summary


def test_cloud_sql_engine_unknown_to_gate_is_an_error_not_a_guess(world: Callable[..., Emulator]) -> None:
    emu = world()
    # An engine Google may add: no world file may hold it (the enum is checked), the live state can.
    # The official client drops an enum value it does not know, so gate sees no databaseVersion;
    # one the client knows and gate does not is "no known port" (tests/netpath/test_destination.py).
    emu.state.items("sqladmin", "instances")[0]["databaseVersion"] = "SPANNER_1"
    with pytest.raises(MissingFactError, match="has no databaseVersion") as e:
        attempt(emu, {"service": "backend", "sql": "db"})
    assert outcome_from_exception(e.value).status is Status.ERROR


def test_cloud_sql_address_outside_every_allocated_range_fails(world: Callable[..., Emulator]) -> None:
    def change(inst: Any) -> None:
        inst["ipAddresses"] = [{"type": "PRIVATE", "ipAddress": "10.108.0.3"}]

    out = attempt(world(_sql(change)), {"service": "backend", "sql": "db"})
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "network"
    assert "10.108.0.3 is outside every allocated private services range of vpc-a (10.107.0.0/16)" in (
        out.summary
    )


def test_literal_address_across_an_inactive_peering_fails(world: Callable[..., Emulator]) -> None:
    def change(d: dict[str, Any]) -> None:
        d["compute"]["networks"][0]["peerings"].append(
            {"name": "a-to-b", "network": f"{NET}/vpc-b", "state": "INACTIVE"}
        )

    out = attempt(
        world(variant(change)), {"service": "backend", "address": "10.20.0.7:8080", "network": "vpc-b"}
    )
    assert out.status is Status.FAIL and out.evidence["broken_hop"] == "network"
    assert "peering a-to-b from vpc-a to vpc-b is INACTIVE" in out.summary


# -- confirm: Connectivity Test -------------------------------------------------------------


def with_result(result: str, steps: list[dict[str, Any]] | None = None) -> Any:
    def change(d: dict[str, Any]) -> None:
        details: dict[str, Any] = {"result": result}
        if steps:
            details["traces"] = [{"steps": steps}]
        d["networkmanagement"] = {
            "results": [
                {"destination": {"ipAddress": "10.166.204.83", "port": 6379}, "reachabilityDetails": details}
            ]
        }

    return variant(change)


START = {"state": "START_FROM_CLOUD_RUN_REVISION", "description": "revision", "projectId": PROJECT}
FIREWALL = {"state": "APPLY_EGRESS_FIREWALL_RULE", "description": "verify EGRESS firewall rule"}
DELIVER = {
    "state": "DELIVER",
    "description": "delivered",
    "deliver": {"target": "REDIS_INSTANCE", "ipAddress": "10.166.204.83"},
}


def test_confirm_reachable_passes_and_deletes_the_test(world: Callable[..., Emulator]) -> None:
    emu = world(with_result("REACHABLE", [START, FIREWALL, DELIVER]))
    out = attempt(emu, {**REDIS, "confirm": True})
    assert out.status is Status.PASS and "Connectivity Test REACHABLE with a complete trace" in out.summary
    assert out.evidence["connectivity_test"]["result"] == "REACHABLE"
    assert deletes(emu) == 1 and emu.state.connectivity_tests == {}


def test_confirm_sends_the_documented_revision_uri(world: Callable[..., Emulator]) -> None:
    emu = world(with_result("REACHABLE", [START, DELIVER]))
    attempt(emu, {**REDIS, "confirm": True})
    (created,) = [r for r in emu.requests if r.api == "networkmanagement" and r.method == "POST"]
    assert created.status == 200
    sent = emu.state.operations  # the create operation keeps the test as created
    uris = {
        op["response"]["source"]["cloudRunRevision"]["uri"]
        for op in sent.values()
        if "source" in op.get("response", {})
    }
    assert uris == {"projects/netra-staging/locations/us-central1/revisions/backend-00003-abc"}


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        (
            [START, {"state": "VIEWER_PERMISSION_MISSING", "description": "hidden", "projectId": "host-p"}],
            ["VIEWER_PERMISSION_MISSING", "roles/compute.networkViewer", "host-p"],
        ),
        ([START, FIREWALL], ["ends in step 2 APPLY_EGRESS_FIREWALL_RULE", "not DELIVER"]),
        ([START, {"state": "FORWARD", "description": "unknown network"}], ["FORWARD", "not DELIVER"]),
        (
            [
                START,
                {
                    "state": "ABORT",
                    "abort": {"cause": "PERMISSION_DENIED", "projectsMissingPermission": ["host-p"]},
                },
            ],
            ["aborted", "PERMISSION_DENIED", "host-p"],
        ),
        (
            [START, {"state": "DELIVER", "deliver": {"target": "INSTANCE", "ipAddress": "10.9.9.9"}}],
            ["delivers to 10.9.9.9, not to the destination 10.166.204.83"],
        ),
        (None, ["no trace"]),
    ],
    ids=["viewer-permission-missing", "no-final-step", "forward", "abort", "elsewhere", "no-trace"],
)
def test_confirm_reachable_with_an_incomplete_trace_is_an_error(
    world: Callable[..., Emulator], steps: Any, words: list[str]
) -> None:
    """Network Management reports REACHABLE for an analysis that stopped early: not a pass."""
    emu = world(with_result("REACHABLE", steps))
    out = attempt(emu, {**REDIS, "confirm": True})
    assert out.status is Status.ERROR, out.summary
    assert out.summary.startswith("Connectivity Test REACHABLE but not proven")
    for w in words:
        assert w in out.summary + out.remediation, w
    assert deletes(emu) == 1


def test_emulator_rejects_a_service_scoped_source_uri_like_the_real_api(
    world: Callable[..., Emulator],
) -> None:
    import requests

    emu = world()
    url = f"{emu.api_endpoint}/v1/projects/{PROJECT}/locations/global/connectivityTests?testId=t1"
    bad: dict[str, Any] = {
        "source": {
            "cloudRunRevision": {
                "uri": f"projects/{PROJECT}/locations/{REGION}/services/backend/revisions/backend-00003-abc"
            }
        },
        "destination": {"ipAddress": "10.166.204.83", "port": 6379},
    }
    r = requests.post(url, json=bad, timeout=5)
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "projects/{project}/locations/{location}/revisions/{revision}" in r.json()["error"]["message"]


def test_confirm_unreachable_fails_with_the_drop_cause(world: Callable[..., Emulator]) -> None:
    steps: list[dict[str, Any]] = [
        {"state": "START_FROM_CLOUD_RUN_REVISION", "description": "revision"},
        {
            "state": "DROP",
            "causesDrop": True,
            "description": "dropped",
            "drop": {
                "cause": "FIREWALL_RULE",
                "resourceUri": "projects/netra-staging/global/firewalls/hidden",
            },
        },
    ]
    emu = world(with_result("UNREACHABLE", steps))
    out = attempt(emu, {**REDIS, "confirm": True})
    assert out.status is Status.FAIL
    assert "UNREACHABLE from revision backend-00003-abc (FIREWALL_RULE at " in out.summary
    assert "firewalls/hidden" in out.summary
    assert deletes(emu) == 1 and emu.state.connectivity_tests == {}


@pytest.mark.parametrize("result", ["AMBIGUOUS", "UNDETERMINED"])
def test_confirm_ambiguous_is_an_error(world: Callable[..., Emulator], result: Any) -> None:
    emu = world(with_result(result))
    out = attempt(emu, {**REDIS, "confirm": True})
    assert out.status is Status.ERROR and f"Connectivity Test result {result}" in out.summary
    assert deletes(emu) == 1 and emu.state.connectivity_tests == {}


def test_confirm_is_skipped_when_a_hop_is_already_broken(world: Callable[..., Emulator]) -> None:
    emu = world(variant(lambda d: d["vpcaccess"]["connectors"][0].update(state="ERROR")))
    assert attempt(emu, {**REDIS, "confirm": True}).status is Status.FAIL
    assert not [r for r in emu.requests if r.api == "networkmanagement"]


# -- errors and parameters ------------------------------------------------------------------


def test_compute_403_is_an_error_naming_the_permission(world: Callable[..., Emulator]) -> None:
    emu = world()
    emu.add_fault(Fault(api="compute", path="getEffectiveFirewalls", status=403))
    cloud = Cloud(Connection(emulator_host=emu.api_host), PROJECT, REGION)
    policy = Policy(PROJECT, REGION, (CheckSpec("reach", "network.reachability", REDIS),))
    report = Engine(policy, RunContext(PROJECT, REGION, cloud=cloud), EngineOptions(deadline=20)).execute()
    result = report.result("reach")
    assert result.status is Status.ERROR
    perm = "compute.networks.getRegionEffectiveFirewalls"
    assert perm in result.summary and perm in result.remediation


def test_redis_not_found_fails_naming_it(world: Callable[..., Emulator]) -> None:
    with pytest.raises(NotFoundError) as caught:
        attempt(world(), {"service": "backend", "redis": "nope"})
    mapped = outcome_from_exception(caught.value)  # the engine's mapping: FAIL naming the resource
    assert mapped.status is Status.FAIL and "instances/nope" in mapped.summary


@pytest.mark.parametrize(
    ("params", "ok"),
    [
        ({"service": "s", "redis": "r"}, True),
        ({"service": "s", "address": "10.0.0.1:80", "network": "vpc-a", "confirm": True}, True),
        ({"service": "s", "redis": "r", "sql": "d"}, False),  # exactly one destination
        ({"service": "s"}, False),
        ({"service": "s", "address": "10.0.0.1:80"}, False),  # address needs network
        ({"service": "s", "redis": "r", "network": "vpc-a"}, False),
        ({"service": "s", "redis": "r", "port": 6379}, False),
    ],
)
def test_params_schema(params: dict[str, Any], ok: Any) -> None:
    errors = list(jsonschema.Draft202012Validator(Reachability.params_schema).iter_errors(params))
    assert (not errors) is ok


def test_semantic_errors() -> None:
    assert Reachability.semantic_errors({"address": "redis:6379"}) == [
        ("address", "'redis' is not an IPv4 address")
    ]
    assert Reachability.semantic_errors({"revision": "a", "tag": "b"}) == [
        ("tag", "give either revision or tag, not both")
    ]
