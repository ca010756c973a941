"""Each fault kind, observed the way gate's providers will see it: through a real client."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.protobuf import json_format

from gate.emulator import Emulator, Fault, World
from tests.emulator.conftest import client

P = "projects/netra-staging/locations/us-central1"
SVC = f"{P}/services/netra-backend-staging"


def _run(emu: Emulator):  # type: ignore[no-untyped-def]
    from google.cloud import run_v2

    return client(run_v2.ServicesClient, emu)


def test_403_names_the_permission(emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", method="GET", path=r"/v2/projects/.*/services/.*", status=403))
    with pytest.raises(gexc.Forbidden) as e:
        _run(emu).get_service(name=SVC, retry=None, timeout=5)
    assert "Permission 'run.services.get' denied on resource" in e.value.message
    assert e.value.reason == "IAM_PERMISSION_DENIED"
    assert e.value.metadata["permission"] == "run.services.get"


def test_429_then_success_with_retry(emu: Emulator) -> None:
    emu.clear_requests()
    emu.add_fault(Fault(api="run", status=429, times=2))
    retry = gretry.Retry(
        predicate=gretry.if_exception_type(gexc.TooManyRequests), initial=0.01, maximum=0.02, timeout=5
    )
    svc = _run(emu).get_service(name=SVC, retry=retry, timeout=5)
    assert svc.uri.endswith(".run.app")
    assert [r.status for r in emu.requests] == [429, 429, 200]


def test_hang_is_cut_by_the_client_timeout(emu: Emulator) -> None:
    emu.add_fault(Fault(api="redis", hang=True))
    from google.cloud import redis_v1

    started = time.monotonic()
    with pytest.raises((gexc.RetryError, gexc.DeadlineExceeded, Exception)):
        client(redis_v1.CloudRedisClient, emu).get_instance(
            name=f"{P}/instances/staging-redis-f1adc35c", retry=None, timeout=0.5
        )
    assert time.monotonic() - started < 3


def test_malformed_json_fails_parsing(emu: Emulator) -> None:
    emu.add_fault(Fault(api="vpcaccess", malformed=True, times=1))
    from google.cloud import vpcaccess_v1

    with pytest.raises(json_format.ParseError):
        client(vpcaccess_v1.VpcAccessServiceClient, emu).get_connector(
            name=f"{P}/connectors/staging-connector", retry=None, timeout=5
        )


def test_missing_fields_give_defaults(emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", drop=("terminalCondition", "template.vpcAccess"), times=1))
    svc = _run(emu).get_service(name=SVC, retry=None, timeout=5)
    assert not svc.terminal_condition.type_ and not svc.template.vpc_access.connector
    again = _run(emu).get_service(name=SVC, retry=None, timeout=5)  # the world itself is untouched
    assert again.terminal_condition.type_ == "Ready"


def test_delay_is_added(emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", delay=0.3, times=1))
    started = time.monotonic()
    _run(emu).get_service(name=SVC, retry=None, timeout=5)
    assert time.monotonic() - started >= 0.3


def test_connection_reset(emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", reset=True, times=1))
    with pytest.raises(Exception) as e:
        _run(emu).get_service(name=SVC, retry=None, timeout=5)
    assert "Connection" in type(e.value).__name__ or "connection" in str(e.value).lower()


def test_empty_page_with_token(emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", method="GET", path=r"/services$", empty_page=True, times=1))
    pages = list(_run(emu).list_services(parent=P, retry=None, timeout=5).pages)
    assert [len(p.services) for p in pages] == [0, 3]
    assert pages[0].next_page_token


def test_fault_from_world_file_and_raw_error_body(emu: Emulator) -> None:
    emu.add_fault(Fault(api="compute", status=503, times=1))
    r = httpx.get(f"{emu.api_endpoint}/compute/v1/projects/netra-staging/global/networks")
    assert r.status_code == 503
    assert r.json() == {
        "error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}
    }


def test_a_world_fault_counts_its_times_afresh_in_each_emulator(healthy: World) -> None:
    world = dataclasses.replace(healthy, faults=[Fault(api="run", status=503, times=1)])
    for _ in range(2):
        with Emulator(world, port=0) as e:
            statuses = [httpx.get(f"http://{e.api_host}/v2/{SVC}", timeout=5).status_code for _ in range(2)]
        assert statuses == [503, 200]
    assert world.faults[0].spent is False  # the world's own fault is never consumed
