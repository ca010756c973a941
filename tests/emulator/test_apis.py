"""Each API through its official client over REST: get, list, pagination, 404 bodies."""

from __future__ import annotations

import httpx
import pytest
from google.api_core import exceptions as gexc

from gate.emulator import Emulator
from tests.emulator.conftest import client

P = "projects/netra-staging/locations/us-central1"
NO_RETRY = {"retry": None, "timeout": 5}


def test_run_get_service_keeps_fields(emu: Emulator) -> None:
    from google.cloud import run_v2

    svc = client(run_v2.ServicesClient, emu).get_service(
        name=f"{P}/services/netra-backend-staging", **NO_RETRY
    )
    assert svc.uri == "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"
    assert svc.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    assert svc.generation == 42
    assert svc.template.vpc_access.connector.endswith("/connectors/staging-connector")
    env = {e.name: e for e in svc.template.containers[0].env}
    assert env["JWT_SECRET_KEY"].value_source.secret_key_ref.secret == "jwt-secret-key-staging"
    assert env["POSTGRES_PORT"].value == "5432"
    assert svc.template.timeout.seconds == 600


def test_run_list_services_paginates(emu: Emulator) -> None:
    from google.cloud import run_v2

    c = client(run_v2.ServicesClient, emu)
    pager = c.list_services(request={"parent": P, "page_size": 2}, **NO_RETRY)
    pages = list(pager.pages)
    assert [len(p.services) for p in pages] == [2, 1]
    names = [s.name.rsplit("/", 1)[-1] for p in pages for s in p.services]
    assert names == ["netra-backend-staging", "netra-auth-service", "netra-frontend-staging"]


def test_run_revisions_get_and_list(emu: Emulator) -> None:
    from google.cloud import run_v2

    c = client(run_v2.RevisionsClient, emu)
    parent = f"{P}/services/netra-backend-staging"
    revs = list(c.list_revisions(parent=parent, **NO_RETRY))
    assert [r.name.rsplit("/", 1)[-1] for r in revs] == [
        "netra-backend-staging-00042-xq7",
        "netra-backend-staging-00041-m4f",
    ]
    r = c.get_revision(name=revs[0].name, **NO_RETRY)
    assert {cond.type_: cond.state.name for cond in r.conditions}["Ready"] == "CONDITION_SUCCEEDED"


def test_run_404_body_has_real_message(emu: Emulator) -> None:
    from google.cloud import run_v2

    with pytest.raises(gexc.NotFound) as e:
        client(run_v2.ServicesClient, emu).get_service(name=f"{P}/services/nope", **NO_RETRY)
    assert e.value.message.endswith(
        "Resource 'nope' of kind 'SERVICE' in region 'us-central1' in project 'netra-staging' does not exist."
    )
    raw = httpx.get(f"{emu.api_endpoint}/v2/{P}/services/nope").json()
    assert raw["error"]["code"] == 404 and raw["error"]["status"] == "NOT_FOUND"


def test_vpcaccess_connector(emu: Emulator) -> None:
    from google.cloud import vpcaccess_v1

    c = client(vpcaccess_v1.VpcAccessServiceClient, emu)
    conn = c.get_connector(name=f"{P}/connectors/staging-connector", **NO_RETRY)
    assert conn.state == vpcaccess_v1.Connector.State.READY
    assert conn.ip_cidr_range == "10.1.0.0/28" and conn.network == "staging-vpc"
    assert [x.name for x in c.list_connectors(parent=P, **NO_RETRY)] == [conn.name]
    with pytest.raises(gexc.NotFound):
        c.get_connector(name=f"{P}/connectors/other", **NO_RETRY)


def test_redis_instance(emu: Emulator) -> None:
    from google.cloud import redis_v1

    c = client(redis_v1.CloudRedisClient, emu)
    inst = c.get_instance(name=f"{P}/instances/staging-redis-f1adc35c", **NO_RETRY)
    assert (inst.host, inst.port, inst.reserved_ip_range) == ("10.166.204.83", 6379, "10.166.204.80/29")
    assert inst.state == redis_v1.Instance.State.READY
    all_regions = list(c.list_instances(parent="projects/netra-staging/locations/-", **NO_RETRY))
    assert [i.name for i in all_regions] == [inst.name]


def test_sqladmin_instance_and_tiers(emu: Emulator) -> None:
    from google.cloud import sqladmin_v1beta4 as sql

    c = client(sql.SqlInstancesServiceClient, emu)
    inst = c.get(request={"project": "netra-staging", "instance": "staging-shared-postgres"}, **NO_RETRY)
    assert inst.state == sql.DatabaseInstance.SqlInstanceState.RUNNABLE
    assert inst.settings.tier == "db-custom-2-7680" and inst.gce_zone == "us-central1-c"
    pages = list(c.list(request={"project": "netra-staging"}, **NO_RETRY).pages)
    assert [i.name for p in pages for i in p.items] == ["staging-shared-postgres"]
    tiers = client(sql.SqlTiersServiceClient, emu).list(request={"project": "netra-staging"}, **NO_RETRY)
    assert {t.tier: t.RAM for t in tiers.items}["db-g1-small"] == 1825361100
    with pytest.raises(gexc.NotFound):
        c.get(request={"project": "netra-staging", "instance": "nope"}, **NO_RETRY)


def test_compute_resources_and_pagination(emu: Emulator) -> None:
    from google.cloud import compute_v1

    nets = client(compute_v1.NetworksClient, emu)
    net = nets.get(project="netra-staging", network="staging-vpc", **NO_RETRY)
    assert net.peerings[0].state == "ACTIVE"
    subnets = client(compute_v1.SubnetworksClient, emu)
    assert [
        s.ip_cidr_range for s in subnets.list(project="netra-staging", region="us-central1", **NO_RETRY)
    ] == ["10.10.0.0/20"]
    fws = client(compute_v1.FirewallsClient, emu)
    pager = fws.list(request={"project": "netra-staging", "max_results": 1}, **NO_RETRY)
    pages = list(pager.pages)
    assert len(pages) == 2
    rules = [f for p in pages for f in p.items]
    assert rules[0].allowed[0].I_p_protocol == "tcp" and rules[0].destination_ranges == ["10.166.204.80/29"]
    only = fws.list(
        request={"project": "netra-staging", "filter": 'name = "serverless-to-vpc-connector"'}, **NO_RETRY
    )
    assert [f.name for f in only] == ["serverless-to-vpc-connector"]
    assert [r.name for r in client(compute_v1.RoutesClient, emu).list(project="netra-staging", **NO_RETRY)]
    addr = client(compute_v1.GlobalAddressesClient, emu).get(
        project="netra-staging", address="google-managed-services-staging-vpc", **NO_RETRY
    )
    assert addr.prefix_length == 16
    with pytest.raises(gexc.NotFound) as e:
        nets.get(project="netra-staging", network="default", **NO_RETRY)
    assert "projects/netra-staging/global/networks/default" in e.value.message


def test_secret_manager_metadata_only(emu: Emulator) -> None:
    from google.cloud import secretmanager_v1 as sm

    c = client(sm.SecretManagerServiceClient, emu)
    s = c.get_secret(name="projects/netra-staging/secrets/jwt-secret-key-staging", **NO_RETRY)
    assert s.name == "projects/701982941522/secrets/jwt-secret-key-staging"  # as the real API answers
    latest = c.get_secret_version(name=f"{s.name}/versions/latest", **NO_RETRY)
    assert latest.name.endswith("/versions/2") and latest.state == sm.SecretVersion.State.ENABLED
    versions = list(
        c.list_secret_versions(parent="projects/netra-staging/secrets/jwt-secret-key-staging", **NO_RETRY)
    )
    assert [v.name.rsplit("/", 1)[-1] for v in versions] == ["2", "1"]
    with pytest.raises(gexc.Forbidden) as e:
        c.access_secret_version(name=f"{s.name}/versions/latest", **NO_RETRY)
    assert "never reads secret payloads" in e.value.message
    with pytest.raises(gexc.NotFound):
        c.get_secret_version(name=f"{s.name}/versions/9", **NO_RETRY)


def test_network_management_connectivity_test(emu: Emulator) -> None:
    from google.cloud import network_management_v1 as nm

    c = client(nm.ReachabilityServiceClient, emu)
    parent = "projects/netra-staging/locations/global"
    test = nm.ConnectivityTest(
        source=nm.Endpoint(
            ip_address="10.1.0.2", network="projects/netra-staging/global/networks/staging-vpc"
        ),
        destination=nm.Endpoint(ip_address="10.166.204.83", port=6379),
        protocol="TCP",
    )
    op = c.create_connectivity_test(parent=parent, test_id="gate-redis", resource=test, **NO_RETRY)
    result = op.result(timeout=5)
    assert result.reachability_details.result == nm.ReachabilityDetails.Result.REACHABLE
    steps = result.reachability_details.traces[0].steps
    assert steps[-1].state == nm.Step.State.DELIVER
    got = c.get_connectivity_test(name=f"{parent}/connectivityTests/gate-redis", **NO_RETRY)
    assert got.reachability_details.result == result.reachability_details.result
    c.delete_connectivity_test(name=got.name, **NO_RETRY).result(timeout=5)
    with pytest.raises(gexc.NotFound):
        c.get_connectivity_test(name=got.name, **NO_RETRY)
    unknown = c.create_connectivity_test(
        parent=parent,
        test_id="gate-other",
        resource=nm.ConnectivityTest(destination=nm.Endpoint(ip_address="10.9.9.9", port=1)),
        **NO_RETRY,
    ).result(timeout=5)
    assert unknown.reachability_details.result == nm.ReachabilityDetails.Result.UNDETERMINED


def test_unknown_path_is_404_json(emu: Emulator) -> None:
    r = httpx.get(f"{emu.api_endpoint}/v9/nothing")
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"


def test_requests_are_recorded(emu: Emulator) -> None:
    emu.clear_requests()
    httpx.get(f"{emu.api_endpoint}/v1/{P}/connectors?pageSize=5")
    rec = emu.requests[-1]
    assert (rec.api, rec.method, rec.query["pageSize"], rec.status) == ("vpcaccess", "GET", ["5"], 200)
