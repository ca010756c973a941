"""services.patch as a deploy: the emulator creates revisions and routes traffic the way Cloud
Run's v2 reference says, through the official client (what gcloud run deploy sends)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from google.api_core import exceptions as gexc

from gate.emulator import Emulator, parse_world
from tests.emulator.conftest import WORLDS, client

SVC = "projects/netra-staging/locations/us-central1/services/netra-backend-staging"
OLD = "netra-backend-staging-00042-xq7"
GOOD, BAD = "us-central1-docker.pkg.dev/netra-staging/netra/backend:good", "backend:bad"


def world() -> Any:
    data = yaml.safe_load((WORLDS / "s12-healthy.yaml").read_text())
    data["images"] = [
        {"image": GOOD, "logs": [{"after": "5ms", "textPayload": "Booting worker with pid: 14"}]},
        {"image": BAD, "ready": False, "message": "container exited with code 3"},
    ]
    return parse_world(yaml.safe_dump(data))


@pytest.fixture
def run() -> Any:
    from google.cloud import run_v2

    with Emulator(world()) as emu:
        yield emu, client(run_v2.ServicesClient, emu), client(run_v2.RevisionsClient, emu)


def _deploy(c: Any, image: str, *, traffic: list[Any] | None = None, revision: str = "") -> Any:
    svc = c.get_service(name=SVC, retry=None, timeout=5)
    svc.template.containers[0].image = image
    svc.template.revision = revision
    if traffic is not None:
        del svc.traffic[:]
        svc.traffic.extend(traffic)
    return c.update_service(service=svc, retry=None, timeout=5).result(timeout=5)


def _target(rev: str = "", percent: int = 0, tag: str = "") -> Any:
    from google.cloud import run_v2

    kinds = run_v2.TrafficTargetAllocationType
    kind = (
        kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION if rev else kinds.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    )
    return run_v2.TrafficTarget(type_=kind, revision=rev, percent=percent, tag=tag)


def test_a_new_template_creates_a_revision_that_takes_latest_traffic(run: Any) -> None:
    emu, services, revisions = run
    before = services.get_service(name=SVC, retry=None, timeout=5)
    done = _deploy(services, GOOD)
    name = done.latest_created_revision.rsplit("/", 1)[-1]
    assert re.fullmatch(r"netra-backend-staging-00043-[a-z0-9]{3}", name)
    assert (done.generation, done.observed_generation) == (43, 43)
    assert done.latest_ready_revision == done.latest_created_revision
    assert done.etag != before.etag
    assert [(t.revision, t.percent) for t in done.traffic_statuses] == [(name, 100)]
    rev = revisions.get_revision(name=done.latest_created_revision, retry=None, timeout=5)
    assert rev.containers[0].image == GOOD and rev.service == "netra-backend-staging"
    assert rev.vpc_access.connector.endswith("/staging-connector")  # the template's, carried over
    assert [c.type_ for c in rev.conditions if c.state.name == "CONDITION_SUCCEEDED"] == [
        "Ready",
        "ContainerHealthy",
        "ResourcesAvailable",
    ]
    logs = [
        e for e in emu.state.items("logging", "entries") if e["resource"]["labels"]["revision_name"] == name
    ]
    assert [e["textPayload"] for e in logs] == ["Booting worker with pid: 14"]
    # Same template again: no new revision, as Cloud Run does without forceNewRevision.
    svc = services.get_service(name=SVC, retry=None, timeout=5)
    again = services.update_service(service=svc, retry=None, timeout=5).result(timeout=5)
    assert again.latest_created_revision == done.latest_created_revision and again.generation == 44


def test_no_traffic_candidate_with_a_tag_gets_its_own_url(run: Any) -> None:
    _, services, _ = run
    name = "netra-backend-staging-00043-cnd"  # named client-side, as gcloud does
    done = _deploy(services, GOOD, revision=name, traffic=[_target(OLD, 100), _target(name, 0, "candidate")])
    assert done.latest_created_revision.endswith(f"/{name}")
    assert [(t.revision, t.percent, t.tag, t.uri) for t in done.traffic_statuses] == [
        (OLD, 100, "", ""),
        (name, 0, "candidate", "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app"),
    ]


def test_a_revision_that_never_becomes_ready_keeps_the_last_serving_state(run: Any) -> None:
    _, services, _ = run
    before = services.get_service(name=SVC, retry=None, timeout=5)
    done = _deploy(
        services,
        BAD,
        traffic=[_target(OLD, 100), _target("netra-backend-staging-00043-bad", 0, "cand")],
        revision="netra-backend-staging-00043-bad",
    )
    # run.v2 Service.reconciling: on failure traffic_statuses, observed_generation and
    # latest_ready_revision keep the state of the last serving revision.
    assert done.latest_created_revision.endswith("/netra-backend-staging-00043-bad")
    assert done.latest_ready_revision == before.latest_ready_revision
    assert done.observed_generation == 42 and done.generation == 43
    assert list(done.traffic_statuses) == list(before.traffic_statuses)
    assert done.terminal_condition.state.name == "CONDITION_FAILED"
    assert "container exited with code 3" in done.terminal_condition.message
    assert [t.tag for t in done.traffic] == ["", "cand"]  # the spec is what was asked


@pytest.mark.parametrize(
    ("traffic", "revision", "error"),
    [
        ([_target(OLD, 60)], "", "add up to 100"),
        ([_target("netra-backend-staging-09999-zzz", 100)], "", "does not exist"),
        ([_target(OLD, 100, "a"), _target(OLD, 0, "a")], "", "used more than once"),
        (None, "other-service-00043-abc", "must be prefixed by the service name"),
        (None, OLD, "already exists"),
    ],
)
def test_what_cloud_run_refuses(run: Any, traffic: Any, revision: str, error: str) -> None:
    _, services, _ = run
    before = services.get_service(name=SVC, retry=None, timeout=5)
    with pytest.raises((gexc.BadRequest, gexc.Conflict)) as e:
        _deploy(services, GOOD, traffic=traffic, revision=revision)
    assert error in e.value.message
    assert services.get_service(name=SVC, retry=None, timeout=5).etag == before.etag


def test_a_traffic_only_update_of_the_whole_service_creates_no_revision(run: Any) -> None:
    """gcloud's update-traffic sends the whole service back: the world's hand-written template
    must compare equal to the client's copy of it, or every traffic change would deploy."""
    _, services, _ = run
    svc = services.get_service(name=SVC, retry=None, timeout=5)
    del svc.traffic[:]
    svc.traffic.extend([_target(OLD, 100), _target(OLD, 0, "stable")])
    done = services.update_service(service=svc, retry=None, timeout=5).result(timeout=5)
    assert done.latest_created_revision.endswith(f"/{OLD}") and done.generation == 43
    assert [(t.revision, t.tag) for t in done.traffic_statuses] == [(OLD, ""), (OLD, "stable")]
