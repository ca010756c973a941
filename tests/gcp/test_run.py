from __future__ import annotations

import copy
from typing import Any

import pytest

from gate.emulator import Emulator
from gate.errors import NotFoundError
from gate.gcp.cloud import Cloud
from gate.gcp.facts import Sensitive
from gate.gcp.transport.connection import Connection
from gate.model import TrafficEntry
from tests.gcp.conftest import BASE, LOC, PROJECT, REGION, REVISION, SERVICE, make_world, sent, soon


def test_service_facts_by_short_name(cloud: Cloud, emu: Emulator) -> None:
    s = cloud.run.service("netra-backend-staging", deadline=soon())
    assert s.name == SERVICE and s.short_name == "netra-backend-staging"
    assert (s.generation, s.observed_generation) == (7, 7)
    assert s.terminal_condition is not None and s.terminal_condition.succeeded
    assert s.terminal_condition.last_transition_time is not None
    failed = s.condition("ConfigurationsReady")
    assert failed is not None
    assert (failed.state, failed.reason, failed.message) == (
        "CONDITION_FAILED",
        "CONTAINER_MISSING",
        "image gone",
    )
    assert s.latest_ready_revision == s.latest_created_revision == REVISION
    assert s.uri == "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"
    assert len(s.urls) == 2
    assert s.traffic[0].type == "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" and s.traffic[0].percent == 100
    assert s.traffic[0].revision is None
    canary = next(t for t in s.traffic_statuses if t.tag == "canary")
    assert canary.uri == "https://canary---netra-backend-staging-pnovr5vsba-uc.a.run.app"
    assert s.etag == '"abc123"'
    assert [(r.api, r.method, r.path) for r in emu.requests] == [("run", "GET", f"/v2/{SERVICE}")]


def test_full_name_and_short_name_share_the_memo(cloud: Cloud, emu: Emulator) -> None:
    cloud.run.service(SERVICE, deadline=soon())
    cloud.run.service("netra-backend-staging", deadline=soon())
    assert len(sent(emu, "run")) == 1


def test_revision_facts(cloud: Cloud) -> None:
    r = cloud.run.revision("netra-backend-staging-00042-abc", "netra-backend-staging", deadline=soon())
    assert r.name == REVISION and r.service == SERVICE
    assert r.create_time is not None and r.create_time.year == 2025
    unhealthy = r.condition("ContainerHealthy")
    assert unhealthy is not None and unhealthy.reason == "HEALTH_CHECK_CONTAINER_ERROR"
    (c,) = r.containers
    assert c.image == "gcr.io/netra-staging/backend:abc"
    db = c.env_var("DATABASE_URL")
    assert db is not None and db.is_literal and isinstance(db.value, Sensitive)
    assert db.value.reveal() == "postgres://u:hunter2@db/x"
    assert "hunter2" not in repr(r) and "hunter2" not in str(db) and "hunter2" not in f"{db.value}"
    jwt = c.env_var("JWT_SECRET_KEY")
    assert jwt is not None and jwt.value is None
    assert jwt.secret is not None and (jwt.secret.secret, jwt.secret.version) == (
        "jwt-secret-key-staging",
        "latest",
    )
    assert r.vpc_access is not None
    assert r.vpc_access.connector == f"{LOC}/connectors/staging-connector"
    assert r.vpc_access.egress == "PRIVATE_RANGES_ONLY" and r.vpc_access.network_interfaces == ()
    assert r.cloudsql_instances == ("netra-staging:us-central1:staging-shared-postgres",)
    assert r.service_account == "backend@netra-staging.iam.gserviceaccount.com"


def test_revisions_list(cloud: Cloud) -> None:
    revs = cloud.run.revisions("netra-backend-staging", deadline=soon())
    assert [r.name for r in revs] == [REVISION]


def test_missing_service_is_not_found_naming_it(cloud: Cloud) -> None:
    with pytest.raises(NotFoundError) as e:
        cloud.run.service("nope", deadline=soon())
    assert e.value.code == 404 and e.value.resource == f"{LOC}/services/nope"
    assert f"{LOC}/services/nope" in str(e.value)


def test_update_traffic_patches_with_the_etag(cloud: Cloud, emu: Emulator) -> None:
    s = cloud.run.service("netra-backend-staging", deadline=soon())
    targets = (TrafficEntry(REVISION, 100), TrafficEntry(None, 0, "latest"))
    op = cloud.run.update_traffic("netra-backend-staging", targets, s.etag, deadline=soon())
    assert "/operations/" in op
    after = cloud.run.service("netra-backend-staging", deadline=soon(), fresh=True)
    assert [(t.type, t.revision, t.percent, t.tag) for t in after.traffic] == [
        ("TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "netra-backend-staging-00042-abc", 100, None),
        ("TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", None, 0, "latest"),
    ]
    patch = sent(emu, "run", "PATCH")
    assert len(patch) == 1 and patch[0].query.get("updateMask") == ["traffic"]


def _revision_with(**fields: Any) -> dict[str, Any]:
    rev: dict[str, Any] = copy.deepcopy(BASE["run"]["revisions"][0])
    rev.update(fields)
    return rev


def test_revision_scaling_limits_and_probes() -> None:
    rev = _revision_with(scaling={"minInstanceCount": 2, "maxInstanceCount": 7})
    c = rev["containers"][0]
    c["resources"] = {"limits": {"memory": "4Gi", "cpu": "2"}, "cpuIdle": True}
    c["startupProbe"] = {"timeoutSeconds": 240, "periodSeconds": 240, "failureThreshold": 1, "tcpSocket": {}}
    c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8000}, "initialDelaySeconds": 5}
    run = {"services": BASE["run"]["services"], "revisions": [rev]}
    with Emulator(make_world(run=run), port=0) as e:
        cloud = Cloud(Connection(emulator_host=e.api_host), PROJECT, REGION)
        r = cloud.run.revision(REVISION, SERVICE, deadline=soon())
    assert (r.min_instances, r.max_instances) == (2, 7)
    (got,) = r.containers
    assert got.limits == (("cpu", "2"), ("memory", "4Gi"))
    assert got.startup_probe is not None
    assert (got.startup_probe.action, got.startup_probe.port, got.startup_probe.path) == (
        "tcpSocket",
        None,
        None,
    )
    assert (got.startup_probe.timeout_seconds, got.startup_probe.period_seconds) == (240, 240)
    assert got.startup_probe.failure_threshold == 1
    live = got.liveness_probe
    assert live is not None and (live.action, live.port, live.path, live.initial_delay_seconds) == (
        "httpGet",
        8000,
        "/healthz",
        5,
    )


def test_unset_scaling_limits_and_probes_are_none(cloud: Cloud) -> None:
    r = cloud.run.revision("netra-backend-staging-00042-abc", "netra-backend-staging", deadline=soon())
    assert (r.min_instances, r.max_instances) == (None, None)
    assert r.containers[0].limits == () and r.containers[0].startup_probe is None


def test_services_list(cloud: Cloud, emu: Emulator) -> None:
    services = cloud.run.services(deadline=soon())
    assert [s.name for s in services] == [SERVICE]
    assert [(r.method, r.path) for r in sent(emu, "run")] == [("GET", f"/v2/{LOC}/services")]
