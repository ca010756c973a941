"""What Cloud Run does after a services.patch: new revisions, traffic statuses, tag URLs.

Semantics follow the Cloud Run Admin API v2 reference (discovery document
``run.v2``), not gate's expectations:

- a new ``template`` (or ``forceNewRevision``) creates a revision, named
  ``template.revision`` when the client set it (gcloud always does:
  ``SERVICE-NNNNN-xxx`` with the next generation) or generated the same way;
- ``traffic`` empty means 100% to the latest Ready revision (Service.traffic);
- ``TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST`` follows the latest *Ready* revision;
- a tagged target gets its own URL, ``https://TAG---<service host>``
  (TrafficTargetStatus.uri), e.g. ``https://candidate---svc-abc123-uc.a.run.app``;
- "If reconciliation failed, traffic_statuses, observed_generation, and
  latest_ready_revision will have the state of the last serving revision"
  (Service.reconciling): a revision that does not become Ready, or traffic
  routed to one, leaves them as they were and fails the service's Ready.

Whether a container starts is not something an API can know: the world's
``images:`` say, per image, if the revision becomes Ready and what it logs.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import uuid
from typing import Any

from gate.emulator.wire import ApiFailure
from gate.emulator.world import ImageRuntime

LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
_TAG = re.compile(r"^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$")
# RevisionTemplate fields a Revision carries under the same JSON name.
_FROM_TEMPLATE = (
    "annotations",
    "containers",
    "encryptionKey",
    "encryptionKeyRevocationAction",
    "encryptionKeyShutdownDuration",
    "executionEnvironment",
    "gpuZonalRedundancyDisabled",
    "labels",
    "maxInstanceRequestConcurrency",
    "nodeSelector",
    "scaling",
    "serviceAccount",
    "serviceMesh",
    "sessionAffinity",
    "timeout",
    "volumes",
    "vpcAccess",
)


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def short(name: str | None) -> str:
    return (name or "").rsplit("/", 1)[-1]


def tag_uri(service: dict[str, Any], tag: str) -> str | None:
    """``https://TAG---<host of the service's uri>``; None while the service has no URL."""
    uri = str(service.get("uri") or "")
    m = re.match(r"^(https?://)([^/]+)", uri)
    return f"{m.group(1)}{tag}---{m.group(2)}" if m else None


def revision_name(service: str, generation: int) -> str:
    """What Cloud Run (and gcloud) name a revision: SERVICE-NNNNN-xxx."""
    digest = hashlib.sha256(f"{service}/{generation}/{uuid.uuid4()}".encode()).hexdigest()
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    suffix = "".join(letters[int(digest[i : i + 2], 16) % len(letters)] for i in range(0, 6, 2))
    return f"{service}-{generation:05d}-{suffix}"


def ingress_image(template: dict[str, Any]) -> str:
    containers = template.get("containers") or []
    # The ingress container is the one with a port; a single container is it.
    for c in containers:
        if c.get("ports"):
            return str(c.get("image", ""))
    return str(containers[0].get("image", "")) if containers else ""


def create_revision(
    full_service: str,
    template: dict[str, Any],
    name: str,
    runtime: ImageRuntime | None,
    now: dt.datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Revision resource a deploy creates, and the log entries its container writes."""
    project, location, service = full_service.split("/")[1::2]
    full = f"{full_service}/revisions/{name}"
    ready = runtime.ready if runtime is not None else True
    created, settled = rfc3339(now), rfc3339(now + dt.timedelta(seconds=1))
    rev: dict[str, Any] = {
        "name": full,
        "uid": str(uuid.uuid4()),
        "generation": "1",
        "createTime": created,
        "updateTime": settled,
        "launchStage": "GA",
        "service": service,
        "observedGeneration": "1",
        "logUri": (
            f"https://console.cloud.google.com/logs/viewer?project={project}"
            f"&resource=cloud_run_revision/service_name/{service}/revision_name/{name}"
        ),
    }
    rev["labels"] = {
        "serving.knative.dev/route": service,
        "serving.knative.dev/configuration": service,
        "serving.knative.dev/service": service,
        "cloud.googleapis.com/location": location,
    }
    for key in _FROM_TEMPLATE:
        if key in template:
            value = copy.deepcopy(template[key])
            rev[key] = {**rev[key], **value} if key == "labels" else value
    if ready:
        rev["conditions"] = [
            {"type": "Ready", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": settled},
            {"type": "ContainerHealthy", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": settled},
            {"type": "ResourcesAvailable", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": created},
        ]
    else:
        message = (runtime.message if runtime and runtime.message else "") or (
            f"Revision '{name}' is not ready and cannot serve traffic. The user-provided container "
            "failed to start and listen on the port defined provided by the PORT=8080 environment "
            "variable within the allocated timeout. Logs for this revision might contain more information."
        )
        rev["conditions"] = [
            {"type": "Ready", "state": "CONDITION_FAILED", "message": message, "lastTransitionTime": settled},
            {
                "type": "ContainerHealthy",
                "state": "CONDITION_FAILED",
                "revisionReason": "HEALTH_CHECK_CONTAINER_ERROR",
                "message": message,
                "lastTransitionTime": settled,
            },
            {"type": "ResourcesAvailable", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": created},
        ]
    rev["etag"] = '"' + hashlib.sha256(full.encode()).hexdigest()[:24] + '"'
    logs = []
    for i, log in enumerate(runtime.logs if runtime else ()):
        entry = copy.deepcopy(dict(log.entry))
        when = rfc3339(now + dt.timedelta(seconds=log.after))
        entry.setdefault("logName", f"projects/{project}/logs/run.googleapis.com%2Fstderr")
        entry.setdefault("insertId", f"{uuid.uuid4().hex[:16]}{i:04d}")
        entry.setdefault("receiveTimestamp", when)
        entry["timestamp"] = when
        entry["resource"] = {
            "type": "cloud_run_revision",
            "labels": {
                "project_id": project,
                "service_name": service,
                "revision_name": name,
                "configuration_name": service,
                "location": location,
            },
        }
        logs.append(entry)
    return rev, logs


def is_ready(rev: dict[str, Any] | None) -> bool:
    if rev is None:
        return False
    return any(
        c.get("type") == "Ready" and c.get("state") == "CONDITION_SUCCEEDED"
        for c in rev.get("conditions", [])
    )


def validate_traffic(traffic: list[dict[str, Any]], revisions: dict[str, dict[str, Any]]) -> None:
    """400 for what Cloud Run refuses: unknown revisions, bad percents, duplicate or invalid tags."""
    total = 0
    tags: set[str] = set()
    for i, t in enumerate(traffic):
        kind = t.get("type", "")
        if kind not in (LATEST, REVISION):
            raise ApiFailure(
                400, f"traffic[{i}].type: must be TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST or _REVISION"
            )
        if kind == REVISION and short(t.get("revision")) not in revisions:
            raise ApiFailure(400, f"traffic[{i}]: Revision '{t.get('revision', '')}' does not exist.")
        if kind == LATEST and t.get("revision"):
            raise ApiFailure(
                400, f"traffic[{i}]: revision must be empty for TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
            )
        percent = int(t.get("percent", 0) or 0)
        if not 0 <= percent <= 100:
            raise ApiFailure(400, f"traffic[{i}].percent: must be between 0 and 100, got {percent}")
        total += percent
        tag = t.get("tag")
        if tag:
            if not _TAG.match(str(tag)):
                raise ApiFailure(400, f"traffic[{i}].tag: '{tag}' must be lowercase letters, digits and -")
            if tag in tags:
                raise ApiFailure(400, f"traffic[{i}].tag: tag '{tag}' is used more than once")
            tags.add(str(tag))
    if traffic and total != 100:
        raise ApiFailure(400, f"Traffic percentages must add up to 100, got {total}.")


def statuses(service: dict[str, Any], revisions: dict[str, dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The observed traffic for the spec, or None when a target cannot be served (not Ready)."""
    latest_ready = short(service.get("latestReadyRevision"))
    out = []
    for t in service.get("traffic", []):
        rev = latest_ready if t.get("type") == LATEST else short(t.get("revision"))
        if not rev or not is_ready(revisions.get(rev)):
            return None
        st: dict[str, Any] = {"type": t["type"], "revision": rev}
        if int(t.get("percent", 0) or 0):
            st["percent"] = int(t["percent"])
        if t.get("tag"):
            st["tag"] = t["tag"]
            uri = tag_uri(service, str(t["tag"]))
            if uri:
                st["uri"] = uri
        out.append(st)
    return out


def reconcile(
    before: dict[str, Any],
    updated: dict[str, Any],
    created: dict[str, Any] | None,
    revisions: dict[str, dict[str, Any]],
    now: dt.datetime,
) -> None:
    """Set the service's output fields as Cloud Run would once it has acted on ``updated``."""
    when = rfc3339(now)
    if created is not None:
        updated["latestCreatedRevision"] = created["name"]
        if is_ready(created):
            updated["latestReadyRevision"] = created["name"]
    if not updated.get("traffic"):
        updated["traffic"] = [{"type": LATEST, "percent": 100}]
    observed = statuses(updated, revisions)
    failed_rev = created if created is not None and not is_ready(created) else None
    updated["reconciling"] = False
    if observed is not None and failed_rev is None:
        updated["observedGeneration"] = updated["generation"]
        updated["trafficStatuses"] = observed
        ok = {"state": "CONDITION_SUCCEEDED", "lastTransitionTime": when}
        updated["terminalCondition"] = {"type": "Ready", **ok}
        updated["conditions"] = [{"type": "RoutesReady", **ok}, {"type": "ConfigurationsReady", **ok}]
        return
    # Failed: the serving state stays that of the last serving revision.
    for key in ("observedGeneration", "trafficStatuses", "latestReadyRevision"):
        if key in before:
            updated[key] = copy.deepcopy(before[key])
        else:
            updated.pop(key, None)
    if failed_rev is not None:
        message = next(
            (c.get("message", "") for c in failed_rev.get("conditions", []) if c.get("type") == "Ready"), ""
        )
    else:
        message = "Traffic routes to a revision that is not Ready and cannot serve traffic."
    bad = {"state": "CONDITION_FAILED", "message": message, "lastTransitionTime": when}
    updated["terminalCondition"] = {"type": "Ready", **bad}
    config = bad if failed_rev is not None else {"state": "CONDITION_SUCCEEDED", "lastTransitionTime": when}
    updated["conditions"] = [{"type": "RoutesReady", **bad}, {"type": "ConfigurationsReady", **config}]
