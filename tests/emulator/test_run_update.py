"""PATCH services/{s}: traffic promotion through the official client, and stale etags."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc

from gate.emulator import Emulator, World
from tests.emulator.conftest import client

SVC = "projects/netra-staging/locations/us-central1/services/netra-backend-staging"


def test_promote_traffic_then_stale_etag_is_aborted(healthy: World) -> None:
    from google.cloud import run_v2

    with Emulator(healthy, port=0) as emu:
        c = client(run_v2.ServicesClient, emu)
        svc = c.get_service(name=SVC, retry=None, timeout=5)
        old_etag = svc.etag
        svc.traffic = [
            run_v2.TrafficTarget(
                type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
                revision="netra-backend-staging-00041-m4f",
                percent=100,
            )
        ]
        updated = c.update_service(service=svc, retry=None, timeout=5).result(timeout=5)
        assert updated.generation == 43 and updated.etag != old_etag
        assert [(t.revision, t.percent) for t in updated.traffic_statuses] == [
            ("netra-backend-staging-00041-m4f", 100)
        ]
        assert c.get_service(name=SVC, retry=None, timeout=5).etag == updated.etag

        svc.etag = old_etag  # someone else changed it since we read it
        # REST maps errors by HTTP status: 409 raises Conflict; the body says ABORTED.
        with pytest.raises(gexc.Conflict) as e:
            c.update_service(service=svc, retry=None, timeout=5)
        assert e.value.code == 409 and "Etag mismatch" in e.value.message
        assert e.value.response.json()["error"]["status"] == "ABORTED"
    # The World itself is untouched: a new run starts from generation 42.
    with Emulator(healthy, port=0) as emu:
        assert (
            client(run_v2.ServicesClient, emu).get_service(name=SVC, retry=None, timeout=5).generation == 42
        )
