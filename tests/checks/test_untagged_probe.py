"""A candidate deployed with --no-traffic: probing the service URL would be answered by
the old revision. A probe of the revision being judged goes through the candidate's
own tag URL (which routes to it alone); with no tag URL it is refused (ERROR, never a
PASS)."""

from __future__ import annotations

from typing import Any

from gate.checks.golden_path import GoldenPath
from gate.checks.http_health import HttpHealth
from gate.model import Status
from gate.probes.resolve import Resolver
from tests.checks.worlds import LOC, SERVICE, edited, revision, run_context, serving
from tests.checks.worlds import attempt as run_once

CANDIDATE = "netra-backend-staging-00043-c4n"
CANDIDATE_URL = "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app"


def _candidate_without_traffic(data: dict[str, Any]) -> None:
    svc = next(s for s in data["run"]["services"] if s["name"].endswith(f"/services/{SERVICE}"))
    old = revision(data, "netra-backend-staging-00042-xq7")
    new = dict(old, name=f"{LOC}/services/{SERVICE}/revisions/{CANDIDATE}")
    data["run"]["revisions"].append(new)
    svc["latestCreatedRevision"] = svc["latestReadyRevision"] = new["name"]
    svc["traffic"] = [
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "netra-backend-staging-00042-xq7",
            "percent": 100,
        },
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": CANDIDATE, "tag": "candidate"},
    ]
    svc["trafficStatuses"] = [
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "netra-backend-staging-00042-xq7",
            "percent": 100,
        },
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": CANDIDATE,
            "tag": "candidate",
            "uri": CANDIDATE_URL,
        },
    ]
    data["endpoints"].append(
        {
            "origin": CANDIDATE_URL,
            "paths": {"/health": {"status": 200, "json": {"status": "healthy", "version": "1.1.0"}}},
        }
    )


def _run(emu: Any) -> Any:
    run = run_context(emu)
    run.resolver = Resolver(emu.resolver_map)
    return run


def _untagged(data: dict[str, Any]) -> None:
    _candidate_without_traffic(data)
    svc = next(s for s in data["run"]["services"] if s["name"].endswith(f"/services/{SERVICE}"))
    for key in ("traffic", "trafficStatuses"):
        svc[key] = [t for t in svc[key] if not t.get("tag")]


def test_probe_of_a_no_traffic_candidate_goes_through_its_tag_url() -> None:
    """No `tag:` in the check: the judged revision (latest created) is reached by its tag URL."""
    params = {"service": SERVICE, "path": "/health", "expect": {"json": ['version == "1.1.0"']}}
    with serving(edited("s12-healthy", _candidate_without_traffic)) as emu:
        o = run_once(HttpHealth, params, emu, run=_run(emu))
    assert o.status is Status.PASS, o.summary
    assert o.evidence["url"].startswith(CANDIDATE_URL) and o.evidence["revision"] == CANDIDATE


def test_probe_of_a_no_traffic_candidate_without_a_tag_is_an_error() -> None:
    with serving(edited("s12-healthy", _untagged)) as emu:
        o = run_once(HttpHealth, {"service": SERVICE, "path": "/health"}, emu, run=_run(emu))
    assert o.status is Status.ERROR and o.final
    assert CANDIDATE in o.summary and "0%" in o.summary and "tag" in o.summary


def test_tagged_health_probe_reaches_the_candidate_not_the_old_revision() -> None:
    params = {
        "service": SERVICE,
        "tag": "candidate",
        "path": "/health",
        "expect": {"json": ['version == "1.1.0"']},
    }
    with serving(edited("s12-healthy", _candidate_without_traffic)) as emu:
        o = run_once(HttpHealth, params, emu, run=_run(emu))
    assert o.status is Status.PASS, o.summary


def test_golden_path_of_a_no_traffic_candidate_without_a_tag_is_an_error() -> None:
    with serving(edited("s12-healthy", _untagged)) as emu:
        o = run_once(GoldenPath, {"service": SERVICE, "token_env": "NETRA_E2E_TOKEN"}, emu, run=_run(emu))
    assert o.status is Status.ERROR and CANDIDATE in o.summary


def test_service_serving_all_traffic_is_probed_through_its_url() -> None:
    with serving(edited("s12-healthy", lambda d: None)) as emu:
        o = run_once(HttpHealth, {"service": SERVICE, "path": "/health"}, emu, run=_run(emu))
    assert o.status is Status.PASS, o.summary
