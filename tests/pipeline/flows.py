"""Worlds and deploys for the two pipeline flows, built with the real deploy sequence.

A flow world is a shipped world *before* a deploy (the old revision serves, tagged
``stable``), plus what the emulator cannot know by itself: what each image does when a
revision is created from it (``images:``, docs/WORLDS.md), and the endpoints behind the
``candidate`` tag's URL. ``deploy`` then runs what ``gcloud run deploy`` sends
(:mod:`tests.gcloud`), so the revision, its name, generation, traffic and tag URL are the
emulator's Cloud Run semantics, not hand-written.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.pipeline.conftest import LOC, SERVICE, WORLDS

SERVING = "netra-backend-staging-00042-xq7"  # the revision that serves before every flow's deploy
IMAGE = "us-central1-docker.pkg.dev/netra-staging/netra/backend"
SERVICE_URL = "https://netra-backend-staging-pnovr5vsba-uc.a.run.app"
CANDIDATE_URL = "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app"
STABLE_URL = "https://stable---netra-backend-staging-pnovr5vsba-uc.a.run.app"
WHERE = ["--region", "us-central1", "--project", "netra-staging"]
LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"

# env a deploy of that image changes (gcloud --update-env-vars / --remove-env-vars), as S5 did.
S5_ENV = ["--update-env-vars", "POSTGRES_HOST=", "--remove-env-vars", "POSTGRES_PORT"]


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load((WORLDS / f"{name}.yaml").read_text()))
    return data


def _backend(data: dict[str, Any]) -> dict[str, Any]:
    svc: dict[str, Any] = next(s for s in data["run"]["services"] if s["name"].endswith(f"/{SERVICE}"))
    return svc


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def boot_logs(world: str) -> list[dict[str, Any]]:
    """The latest created backend revision's log in ``world``, as an image's ``logs:`` (offsets)."""
    data = _load(world)
    revision = _backend(data)["latestCreatedRevision"].rsplit("/", 1)[-1]
    entries = [
        e
        for e in data["logging"]["entries"]
        if e.get("resource", {}).get("labels", {}).get("revision_name") == revision
    ]
    out = []
    # In order, 10 ms apart: a container's real 40 s boot would make every test wait for its log.
    for i, e in enumerate(sorted(entries, key=lambda e: _ts(e["timestamp"]))):
        kept = {k: v for k, v in e.items() if k in ("logName", "severity", "textPayload", "jsonPayload")}
        out.append({"after": f"{i * 10}ms", **kept})
    return out


def flow_world(base: str = "s12-healthy", *, name: str = "flow") -> dict[str, Any]:
    """``base`` before a deploy: 00042 serves through LATEST and carries tag ``stable``."""
    data = _load(base)
    data["name"] = f"{name}-{base}"
    data.pop("incident", None)
    svc = _backend(data)
    old = f"{LOC}/services/{SERVICE}/revisions/{SERVING}"
    # Only revisions that exist before the deploy: an incident world's broken one is the deploy's to make.
    data["run"]["revisions"] = [
        r
        for r in data["run"]["revisions"]
        if not (r["name"].startswith(f"{LOC}/services/{SERVICE}/") and r["name"] > old)
    ]
    data["logging"]["entries"] = [
        e
        for e in data["logging"]["entries"]
        if e.get("resource", {}).get("labels", {}).get("revision_name", SERVING) <= SERVING
        or e.get("resource", {}).get("labels", {}).get("service_name") != SERVICE
    ]
    svc["generation"] = svc["observedGeneration"] = "42"
    svc["latestCreatedRevision"] = svc["latestReadyRevision"] = old
    ok = {"state": "CONDITION_SUCCEEDED", "lastTransitionTime": "2025-09-03T10:12:14.201934Z"}
    svc["terminalCondition"] = {"type": "Ready", **ok}
    svc["conditions"] = [{"type": "RoutesReady", **ok}, {"type": "ConfigurationsReady", **ok}]
    svc["traffic"] = [
        {"type": LATEST, "percent": 100},
        {"type": REVISION, "revision": SERVING, "tag": "stable"},
    ]
    svc["trafficStatuses"] = [
        {"type": LATEST, "revision": SERVING, "percent": 100},
        {"type": REVISION, "revision": SERVING, "tag": "stable", "uri": STABLE_URL},
    ]
    healthy = next(e for e in _load("s12-healthy")["endpoints"] if e["origin"] == SERVICE_URL)
    data["endpoints"] = [e for e in data["endpoints"] if not e["origin"].startswith("https://candidate---")]
    data["endpoints"] += [
        {"origin": CANDIDATE_URL, "paths": healthy["paths"]},
        {"origin": STABLE_URL, "paths": healthy["paths"]},
    ]
    data["images"] = [
        {"image": f"{IMAGE}:healthy", "logs": boot_logs("s12-healthy")},
        {"image": f"{IMAGE}:s1", "ready": False, "logs": boot_logs("s1-worker-boot-failure")},
        {"image": f"{IMAGE}:s5", "logs": boot_logs("s5-missing-database-config")},
        {"image": f"{IMAGE}:s9", "logs": boot_logs("s9-startup-validation-failures")},
    ]
    return data


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@contextlib.contextmanager
def emulator_env(host: str) -> Iterator[None]:
    old = os.environ.get("GATE_EMULATOR_HOST")
    os.environ["GATE_EMULATOR_HOST"] = host
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("GATE_EMULATOR_HOST", None)
        else:
            os.environ["GATE_EMULATOR_HOST"] = old


def deploy(emu: Any, image: str, *extra: str, candidate: bool) -> str:
    """``gcloud run deploy`` of ``IMAGE:image`` (``--no-traffic --tag candidate`` for a candidate);
    returns the revision it created."""
    from tests import gcloud

    args = ["run", "deploy", SERVICE, "--image", f"{IMAGE}:{image}", *WHERE, "--quiet", *extra]
    if candidate:
        args += ["--no-traffic", "--tag", "candidate"]
    with emulator_env(emu.api_host):
        gcloud.main(args)  # a failing revision exits 1 like gcloud; the revision exists anyway
    return latest_created(emu)


def latest_created(emu: Any) -> str:
    from tests.pipeline.conftest import service_json

    return str(service_json(emu)["latestCreatedRevision"]).rsplit("/", 1)[-1]


def gate_env(emu: Any, world: dict[str, Any]) -> dict[str, str]:
    """What `gate emulator` prints: API host, endpoint map, and the world's env."""
    from tests.pipeline.conftest import emulator_env as base

    env = base(emu)
    env.update(world.get("env", {}))
    return env


def spec(svc: dict[str, Any]) -> list[tuple[str, int, str]]:
    """A service's traffic as (revision or LATEST, percent, tag)."""
    return [(t.get("revision", "LATEST"), int(t.get("percent", 0)), t.get("tag", "")) for t in svc["traffic"]]


def run_patches(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.api == "run" and r.method == "PATCH"]
