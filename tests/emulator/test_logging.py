"""``POST /v2/entries:list``: resourceNames, filter, orderBy, paging, and refusing what it cannot parse."""

from __future__ import annotations

from typing import Any

import httpx

from gate.emulator import Emulator

BACKEND = 'resource.type="cloud_run_revision" resource.labels.service_name="netra-backend-staging"'


def _list(emu: Emulator, **body: Any) -> httpx.Response:
    body.setdefault("resourceNames", ["projects/netra-staging"])
    return httpx.post(f"{emu.api_endpoint}/v2/entries:list", json=body)


def test_filter_and_order(emu: Emulator) -> None:
    r = _list(emu, filter=BACKEND, orderBy="timestamp desc")
    texts = [e["textPayload"] for e in r.json()["entries"]]
    assert texts[0].startswith("Default STARTUP TCP probe succeeded")
    assert any("Booting worker with pid: 14" in t for t in texts)
    asc = _list(emu, filter=BACKEND).json()["entries"]
    assert asc[0]["textPayload"].endswith("Starting gunicorn 23.0.0")


def test_severity_and_time_window(emu: Emulator) -> None:
    assert "entries" not in _list(emu, filter=f"{BACKEND} AND severity>=ERROR").json()
    window = (
        'timestamp>="2025-09-03T10:12:04Z" timestamp<="2025-09-03T10:12:05Z" '
        'resource.labels.revision_name="netra-backend-staging-00042-xq7"'
    )
    got = _list(emu, filter=window).json()["entries"]
    assert len(got) == 2


def test_log_name_and_paging(emu: Emulator) -> None:
    flt = 'logName="projects/netra-staging/logs/run.googleapis.com%2Fstderr"'
    first = _list(emu, filter=flt, pageSize=5).json()
    assert len(first["entries"]) == 5 and first["nextPageToken"]
    second = _list(emu, filter=flt, pageSize=5, pageToken=first["nextPageToken"]).json()
    assert len(second["entries"]) == 2 and "nextPageToken" not in second


def test_project_number_and_other_projects(emu: Emulator) -> None:
    assert _list(emu, resourceNames=["projects/701982941522"], filter=BACKEND).json()["entries"]
    assert "entries" not in _list(emu, resourceNames=["projects/other"]).json()


def test_unparseable_filter_is_400(emu: Emulator) -> None:
    for bad in ["severity>=LOUD", "resource.type=", "bogus.field=1", "(severity>=ERROR"]:
        r = _list(emu, filter=bad)
        assert r.status_code == 400, bad
        assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert _list(emu, resourceNames=[]).status_code == 400
