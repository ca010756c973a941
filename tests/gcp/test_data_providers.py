"""Secret Manager, Cloud SQL and Cloud Logging facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from gate.emulator import Emulator
from gate.errors import ApiError, NotFoundError
from gate.gcp import logging as gcp_logging
from gate.gcp.cloud import Cloud
from gate.gcp.transport.connection import Connection
from tests.gcp.conftest import PROJECT, REGION, REVISION, make_world, sent, soon

T0 = dt.datetime(2025, 11, 20, 10, 0, 0, tzinfo=dt.timezone.utc)


def test_secret_and_latest_version_metadata(cloud: Cloud, emu: Emulator) -> None:
    s = cloud.secretmanager.secret("jwt-secret-key-staging", deadline=soon())
    assert s.name == f"projects/{PROJECT}/secrets/jwt-secret-key-staging"
    latest = cloud.secretmanager.version("jwt-secret-key-staging", "latest", deadline=soon())
    # "latest" is the most recently created version, whatever its state.
    assert latest.name.endswith("/versions/2") and latest.version == "2"
    assert latest.state == "DISABLED" and not latest.enabled
    one = cloud.secretmanager.version(
        f"projects/{PROJECT}/secrets/jwt-secret-key-staging", "1", deadline=soon()
    )
    assert one.enabled
    assert not [r for r in emu.requests if ":access" in r.path]


def test_missing_secret_version(cloud: Cloud) -> None:
    with pytest.raises(NotFoundError) as e:
        cloud.secretmanager.version("jwt-secret-key-staging", "9", deadline=soon())
    assert e.value.resource.endswith("jwt-secret-key-staging/versions/9")


def test_sql_instance_facts_by_any_name(cloud: Cloud, emu: Emulator) -> None:
    i = cloud.sqladmin.instance("staging-shared-postgres", deadline=soon())
    assert (i.state, i.tier, i.availability_type, i.database_version) == (
        "RUNNABLE",
        "db-g1-small",
        "ZONAL",
        "POSTGRES_15",
    )
    assert i.activation_policy == "ALWAYS"
    assert i.address("PRIVATE") == "10.20.0.3" and i.address("PRIMARY") is None
    assert i.private_network == f"projects/{PROJECT}/global/networks/staging-vpc" and not i.ipv4_enabled
    assert (i.region, i.gce_zone) == (REGION, "us-central1-c")
    assert i.connection_name == "netra-staging:us-central1:staging-shared-postgres"
    again = cloud.sqladmin.instance("netra-staging:us-central1:staging-shared-postgres", deadline=soon())
    assert again is i and len(sent(emu, "sqladmin")) == 1


def test_sql_tiers(cloud: Cloud) -> None:
    tiers = {t.tier: t for t in cloud.sqladmin.tiers(deadline=soon())}
    assert tiers["db-g1-small"].ram_bytes == 1825361920
    assert tiers["db-custom-2-7680"].regions == ("us-central1", "europe-west1")
    assert tiers["db-custom-2-7680"].disk_quota_bytes == 3078632557568


def _entry(seconds: int, **kw: object) -> dict[str, object]:
    e: dict[str, object] = {
        "logName": f"projects/{PROJECT}/logs/run.googleapis.com%2Fstderr",
        "timestamp": (T0 + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z"),
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"revision_name": REVISION.rsplit("/", 1)[-1], "service_name": "netra-backend-staging"},
        },
        "insertId": f"id{seconds}",
    }
    e.update(kw)
    return e


@pytest.fixture(scope="module")
def log_emu() -> Iterator[Any]:
    entries = [
        _entry(30, textPayload="[2025-11-20 10:00:30] [ERROR] Worker failed to boot.", severity="ERROR"),
        _entry(
            10,
            jsonPayload={"message": "TypeError: 'NoneType' object is not callable"},
            severity="CRITICAL",
            labels={"instanceId": "abc"},
        ),
        _entry(20, jsonPayload={"event": "startup", "ok": False}),
        _entry(500, textPayload="outside the window", severity="ERROR"),
    ] + [_entry(40 + i, textPayload=f"line {i}", severity="INFO") for i in range(30)]
    with Emulator(make_world(logging={"entries": entries}), port=0) as e:
        yield e


def test_log_entries_oldest_first_within_the_window(log_emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=log_emu.api_host), PROJECT, REGION)
    got = cloud.logging.entries(
        'resource.type="cloud_run_revision"',
        start=T0,
        end=T0 + dt.timedelta(seconds=45),
        max_entries=100,
        deadline=soon(),
    )
    assert [e.text for e in got[:3]] == [
        "TypeError: 'NoneType' object is not callable",
        '{"event":"startup","ok":false}',
        "[2025-11-20 10:00:30] [ERROR] Worker failed to boot.",
    ]
    assert [e.severity for e in got[:3]] == ["CRITICAL", "DEFAULT", "ERROR"]
    assert got[0].labels == {"instanceId": "abc"} and got[0].revision == "netra-backend-staging-00042-abc"
    assert got[0].timestamp == T0 + dt.timedelta(seconds=10)
    assert "outside the window" not in [e.text for e in got]
    assert len(got) == 3 + 6


def test_log_entries_are_bounded_and_paged(log_emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=log_emu.api_host), PROJECT, REGION)
    log_emu.clear_requests()
    got = cloud.logging.entries(
        "", start=T0, end=T0 + dt.timedelta(minutes=5), max_entries=7, deadline=soon()
    )
    assert len(got) == 7 and len(sent(log_emu, "logging")) == 1
    gcp_logging.MAX_PAGE_SIZE, old = 5, gcp_logging.MAX_PAGE_SIZE
    try:
        got = cloud.logging.entries(
            "", start=T0, end=T0 + dt.timedelta(minutes=5), max_entries=12, deadline=soon()
        )
    finally:
        gcp_logging.MAX_PAGE_SIZE = old
    assert len(got) == 12 and len(sent(log_emu, "logging")) == 1 + 3
    assert [e.timestamp for e in got] == sorted(e.timestamp for e in got)


def test_log_window_must_be_aware_and_ordered(log_emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=log_emu.api_host), PROJECT, REGION)
    with pytest.raises(ValueError):
        cloud.logging.entries("", start=T0, end=T0 - dt.timedelta(seconds=1), max_entries=1, deadline=soon())
    with pytest.raises(ValueError):
        cloud.logging.entries(
            "", start=T0.replace(tzinfo=None), end=T0.replace(tzinfo=None), max_entries=1, deadline=soon()
        )


def test_bad_log_filter_is_an_api_error(log_emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=log_emu.api_host), PROJECT, REGION)
    with pytest.raises(ApiError) as e:
        cloud.logging.entries('severity>=("', start=T0, end=T0, max_entries=1, deadline=soon())
    assert e.value.code == 400


def test_sql_instances_list(cloud: Cloud, emu: Emulator) -> None:
    (i,) = cloud.sqladmin.instances(deadline=soon())
    assert i.connection_name == "netra-staging:us-central1:staging-shared-postgres"
    assert [r.path for r in sent(emu, "sqladmin")] == [f"/sql/v1beta4/projects/{PROJECT}/instances"]
