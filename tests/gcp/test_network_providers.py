"""VPC Access, Memorystore, Compute networking and Network Management facts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gate.emulator import Emulator, Fault
from gate.errors import ApiError
from gate.gcp.cloud import Cloud
from gate.gcp.networkmanagement import EndpointSpec
from gate.gcp.transport.connection import Connection
from tests.gcp.conftest import LOC, NETWORK, PROJECT, REGION, REVISION, make_world, sent, soon


def test_connector(cloud: Cloud) -> None:
    c = cloud.vpcaccess.connector("staging-connector", deadline=soon())
    assert (c.name, c.state, c.network, c.ip_cidr_range) == (
        f"{LOC}/connectors/staging-connector",
        "READY",
        "staging-vpc",
        "10.1.0.0/28",
    )
    assert (c.min_instances, c.max_instances, c.subnet_name, c.region) == (2, 10, None, REGION)


def test_redis_instance(cloud: Cloud) -> None:
    r = cloud.redis.instance(f"{LOC}/instances/staging-redis-f1adc35c", deadline=soon())
    assert (r.host, r.port, r.state) == ("10.166.204.83", 6379, "READY")
    assert r.connect_mode == "PRIVATE_SERVICE_ACCESS" and r.reserved_ip_range == "10.166.204.80/29"
    assert r.authorized_network == f"projects/{PROJECT}/global/networks/staging-vpc"
    assert (r.region, r.location_id, r.auth_enabled, r.transit_encryption_mode) == (
        REGION,
        "us-central1-a",
        True,
        "SERVER_AUTHENTICATION",
    )


def test_network_and_peerings(cloud: Cloud) -> None:
    n = cloud.compute.network(f"projects/{PROJECT}/global/networks/staging-vpc", deadline=soon())
    assert n.self_link == NETWORK and n.project == PROJECT
    (p,) = n.peerings
    assert (p.name, p.state) == ("servicenetworking-googleapis-com", "ACTIVE")
    assert p.network.endswith("/networks/servicenetworking")


def test_subnetworks(cloud: Cloud) -> None:
    subs = cloud.compute.subnetworks(NETWORK, deadline=soon())
    assert [(s.name, s.ip_cidr_range, s.region) for s in subs] == [("staging-subnet", "10.10.0.0/24", REGION)]
    one = cloud.compute.subnetwork("staging-subnet", deadline=soon())
    assert one.network == NETWORK


def test_firewalls_of_one_network_with_defaults(cloud: Cloud, emu: Emulator) -> None:
    fws = {f.name: f for f in cloud.compute.firewalls("staging-vpc", deadline=soon())}
    assert set(fws) == {"deny-redis", "allow-internal"}
    deny = fws["deny-redis"]
    assert (deny.direction, deny.priority, deny.action, deny.destination_ranges) == (
        "EGRESS",
        900,
        "deny",
        ("10.166.204.80/29",),
    )
    assert [(r.protocol, r.ports) for r in deny.rules] == [("tcp", ("6379",))]
    allow = fws["allow-internal"]
    assert (allow.priority, allow.action, allow.target_tags, allow.disabled) == (
        1000,
        "allow",
        ("db",),
        False,
    )
    assert allow.rules[0].ports == ()
    cloud.compute.firewalls(NETWORK, deadline=soon())  # same project list: memoised
    assert len(sent(emu, "compute", "GET")) == 1


def test_routes_and_global_addresses(cloud: Cloud) -> None:
    (r,) = cloud.compute.routes("staging-vpc", deadline=soon())
    assert (r.dest_range, r.next_hop_type, r.priority) == ("0.0.0.0/0", "gateway", 1000)
    (a,) = cloud.compute.global_addresses(network="staging-vpc", purpose="VPC_PEERING", deadline=soon())
    assert (a.address, a.prefix_length, a.network) == ("10.166.204.0", 22, NETWORK)
    assert cloud.compute.global_addresses(purpose="GCE_ENDPOINT", deadline=soon()) == ()


def test_list_pages_are_followed(emu: Emulator) -> None:
    many = [
        {
            "name": f"fw-{i:03d}",
            "network": NETWORK,
            "direction": "INGRESS",
            "priority": 1000,
            "allowed": [{"IPProtocol": "tcp"}],
            "sourceRanges": ["10.0.0.0/8"],
        }
        for i in range(1203)
    ]
    with Emulator(make_world(compute={"firewalls": many}), port=0) as big:
        cloud = Cloud(Connection(emulator_host=big.api_host), PROJECT, REGION)
        fws = cloud.compute.firewalls("staging-vpc", deadline=soon(10))
        assert len(fws) == 1203 and len(sent(big, "compute")) >= 3


def test_an_empty_page_with_a_token_is_followed(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="compute", empty_page=True, times=1))
    fws = cloud.compute.firewalls("staging-vpc", deadline=soon())
    assert len(fws) == 2 and len(sent(emu, "compute")) == 2


REACH = {
    "results": [
        {
            # Endpoint.cloudRunRevision.uri has the documented revision-scoped form.
            "source": {"cloudRunRevision": {"uri": f"{LOC}/revisions/netra-backend-staging-00042-abc"}},
            "destination": {"ipAddress": "10.166.204.83", "port": 6379},
            "reachabilityDetails": {
                "result": "UNREACHABLE",
                "traces": [
                    {
                        "steps": [
                            {
                                "state": "START_FROM_CLOUD_RUN_REVISION",
                                "description": "from the revision",
                                "cloudRunRevision": {
                                    "displayName": "netra-backend-staging-00042-abc",
                                    "uri": REVISION,
                                },
                            },
                            {
                                "state": "ARRIVE_AT_VPC_CONNECTOR",
                                "description": "connector",
                                "vpcConnector": {
                                    "displayName": "staging-connector",
                                    "uri": f"{LOC}/connectors/staging-connector",
                                },
                            },
                            {
                                "state": "APPLY_EGRESS_FIREWALL_RULE",
                                "description": "deny-redis",
                                "firewall": {
                                    "displayName": "deny-redis",
                                    "uri": "projects/netra-staging/global/firewalls/deny-redis",
                                    "action": "DENY",
                                },
                            },
                            {
                                "state": "DROP",
                                "causesDrop": True,
                                "description": "dropped",
                                "drop": {
                                    "cause": "FIREWALL_RULE",
                                    "resourceUri": "projects/netra-staging/global/firewalls/deny-redis",
                                },
                            },
                        ]
                    }
                ],
            },
        },
    ]
}


@pytest.fixture(scope="module")
def reach_emu() -> Iterator[Any]:
    with Emulator(make_world(networkmanagement=REACH), port=0) as e:
        yield e


def test_connectivity_test_result_and_trace_then_deleted(reach_emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=reach_emu.api_host), PROJECT, REGION)
    res = cloud.networkmanagement.test(
        EndpointSpec(cloud_run_revision=REVISION),
        EndpointSpec(ip_address="10.166.204.83", port=6379),
        deadline=soon(),
    )
    assert res.result == "UNREACHABLE" and not res.reachable and res.cleanup_error == ""
    (trace,) = res.traces
    assert [s.state for s in trace.steps] == [
        "START_FROM_CLOUD_RUN_REVISION",
        "ARRIVE_AT_VPC_CONNECTOR",
        "APPLY_EGRESS_FIREWALL_RULE",
        "DROP",
    ]
    hop = trace.breaking_step
    assert hop is not None and (hop.kind, hop.cause) == ("drop", "FIREWALL_RULE")
    assert hop.resource.endswith("firewalls/deny-redis")
    assert trace.steps[2].kind == "firewall" and trace.steps[2].resource.endswith("deny-redis")
    assert reach_emu.state.connectivity_tests == {}
    assert [r.method for r in sent(reach_emu, "networkmanagement")][-1] == "DELETE"


def test_connectivity_test_with_no_matching_result_is_undetermined(reach_emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=reach_emu.api_host), PROJECT, REGION)
    res = cloud.networkmanagement.test(
        EndpointSpec(cloud_run_revision=REVISION),
        EndpointSpec(ip_address="10.20.0.3", port=5432),
        deadline=soon(),
    )
    assert res.result == "UNDETERMINED" and not res.reachable


def test_connectivity_test_is_deleted_even_when_reading_fails(reach_emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=reach_emu.api_host), PROJECT, REGION)
    reach_emu.add_fault(Fault(api="networkmanagement", method="GET", status=403))
    try:
        with pytest.raises(ApiError) as e:
            cloud.networkmanagement.test(
                EndpointSpec(cloud_run_revision=REVISION),
                EndpointSpec(ip_address="10.166.204.83", port=6379),
                deadline=soon(),
            )
    finally:
        reach_emu.clear_faults()
    assert e.value.permission == "networkmanagement.connectivitytests.get"
    assert reach_emu.state.connectivity_tests == {}


def test_a_running_operation_is_polled_until_done(reach_emu: Emulator) -> None:
    from google.longrunning import operations_pb2

    cloud = Cloud(Connection(emulator_host=reach_emu.api_host), PROJECT, REGION)
    cloud.networkmanagement.test(
        EndpointSpec(cloud_run_revision=REVISION),
        EndpointSpec(ip_address="10.0.0.9", port=80),
        deadline=soon(),
    )
    op_name = next(iter(reach_emu.state.operations))
    reach_emu.clear_requests()
    running = operations_pb2.Operation(name=op_name, done=False)
    cloud.networkmanagement._wait(cloud.transport.client("networkmanagement"), running, "t", soon(), 0.01)
    assert [(r.method, r.path) for r in reach_emu.requests] == [("GET", f"/v1/{op_name}")]
    with pytest.raises(ApiError, match="still running at the deadline"):
        cloud.networkmanagement._wait(
            cloud.transport.client("networkmanagement"), running, "t", soon(0.05), 0.1
        )


def test_redis_instances_list_in_the_region(cloud: Cloud, emu: Emulator) -> None:
    (r,) = cloud.redis.instances(deadline=soon())
    assert r.name.endswith("/instances/staging-redis-f1adc35c") and r.host == "10.166.204.83"
    assert [q.path for q in sent(emu, "redis")] == [f"/v1/projects/{PROJECT}/locations/{REGION}/instances"]
