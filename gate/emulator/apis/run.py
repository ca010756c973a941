"""Cloud Run Admin API v2: services, revisions, traffic PATCH, operations."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from gate.emulator import run_reconcile as rc
from gate.emulator.state import State, json_body, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate

_PARENT = "/v2/projects/{project}/locations/{location}"
_SERVICE_TYPE = "type.googleapis.com/google.cloud.run.v2.Service"
# Fields a client may set on UpdateService; the rest are output only.
_SETTABLE = (
    "description",
    "labels",
    "annotations",
    "client",
    "clientVersion",
    "ingress",
    "launchStage",
    "binaryAuthorization",
    "template",
    "scaling",
    "traffic",
    "customAudiences",
    "invokerIamDisabled",
    "defaultUriDisabled",
    "iapEnabled",
    "buildConfig",
    "multiRegionSettings",
)


def _not_found(kind: str, name: str, location: str, project: str) -> ApiFailure:
    # The real message shape, e.g. "Resource 'x' of kind 'SERVICE' in region
    # 'us-central1' in project 'p' does not exist."
    return ApiFailure(
        404,
        f"Resource '{name}' of kind '{kind}' in region '{location}' in project '{project}' does not exist.",
    )


def _service(state: State, project: str, location: str, service: str) -> dict[str, Any]:
    s = state.find("run", "services", f"projects/{project}/locations/{location}/services/{service}")
    if s is None:
        raise _not_found("SERVICE", service, location, project)
    return s


@route("run", "GET", _PARENT + "/services/{service}", "run.services.get")
def get_service(state: State, req: Request, project: str, location: str, service: str) -> Response:
    return Response(200, _service(state, project, location, service))


@route("run", "GET", _PARENT + "/services", "run.services.list")
def list_services(state: State, req: Request, project: str, location: str) -> Response:
    items = state.under("run", "services", f"projects/{project}/locations/{location}/services")
    return paginate(req, items, "services", default_size=100)


@route("run", "GET", _PARENT + "/services/{service}/revisions/{revision}", "run.revisions.get")
def get_revision(
    state: State, req: Request, project: str, location: str, service: str, revision: str
) -> Response:
    name = f"projects/{project}/locations/{location}/services/{service}/revisions/{revision}"
    r = state.find("run", "revisions", name)
    if r is None:
        raise _not_found("REVISION", revision, location, project)
    return Response(200, r)


@route("run", "GET", _PARENT + "/services/{service}/revisions", "run.revisions.list")
def list_revisions(state: State, req: Request, project: str, location: str, service: str) -> Response:
    if service != "-":
        _service(state, project, location, service)
    parent = f"projects/{project}/locations/{location}/services/{service}/revisions"
    items = state.under("run", "revisions", parent)
    # Newest first, as the real API lists them.
    items = sorted(items, key=lambda r: str(r.get("createTime", "")), reverse=True)
    return paginate(req, items, "revisions", default_size=100)


def _etag(service: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(service, sort_keys=True).encode()).digest()[:12]
    return '"' + base64.urlsafe_b64encode(digest).decode().rstrip("=") + '"'


def _camel(path: str) -> str:
    head, *rest = path.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _revisions_of(state: State, full_service: str) -> dict[str, dict[str, Any]]:
    return {
        str(r["name"]).rsplit("/", 1)[-1]: r
        for r in state.under("run", "revisions", f"{full_service}/revisions")
    }


@route("run", "PATCH", _PARENT + "/services/{service}", "run.services.update")
def update_service(state: State, req: Request, project: str, location: str, service: str) -> Response:
    """services.patch: apply the masked fields, create a revision for a new template, route traffic."""
    body = _canonical(json_body(req))
    validate_only = req.arg("validateOnly") == "true"
    with state.lock:
        current = _service(state, project, location, service)
        sent = body.get("etag", "")
        if sent and sent != current.get("etag"):
            raise ApiFailure(
                409,
                f"Etag mismatch for service '{service}': the service was modified after it was read "
                f"(request etag {sent}, current etag {current.get('etag', '')}). Read it again and retry.",
            )
        mask = [m.strip() for m in req.arg("updateMask").split(",") if m.strip()]
        fields = [_camel(m).split(".")[0] for m in mask] or list(_SETTABLE)
        updated = copy.deepcopy(current)
        for f in fields:
            if f not in _SETTABLE:
                raise ApiFailure(400, f"Invalid update mask path: '{f}' is not a mutable Service field.")
            if f in body:
                updated[f] = copy.deepcopy(body[f])
            else:
                updated.pop(f, None)
        full = str(current["name"])
        revisions = _revisions_of(state, full)
        generation = int(updated.get("generation", "0") or 0) + 1
        created, logs = _new_revision(state, current, updated, revisions, generation, req)
        if created is not None:
            revisions[created["name"].rsplit("/", 1)[-1]] = created
        rc.validate_traffic(updated.get("traffic") or [], revisions)
        updated["generation"] = str(generation)
        now = dt.datetime.now(dt.timezone.utc)
        updated["updateTime"] = rc.rfc3339(now)
        rc.reconcile(current, updated, created, revisions, now)
        updated.pop("etag", None)
        updated["etag"] = _etag(updated)
        if not validate_only:
            if created is not None:
                state.resources.setdefault("run", {}).setdefault("revisions", []).append(created)
                state.resources.setdefault("logging", {}).setdefault("entries", []).extend(logs)
            current.clear()
            current.update(updated)
        op_name = f"projects/{project}/locations/{location}/operations/{uuid.uuid4()}"
        op = {
            "name": op_name,
            "metadata": {"@type": _SERVICE_TYPE, **copy.deepcopy(updated)},
            "done": True,
            "response": {"@type": _SERVICE_TYPE, **copy.deepcopy(updated)},
        }
        state.operations[op_name] = op
    return Response(200, op)


def _new_revision(
    state: State,
    current: dict[str, Any],
    updated: dict[str, Any],
    revisions: dict[str, dict[str, Any]],
    generation: int,
    req: Request,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A revision when the template changed (or forceNewRevision), as Cloud Run creates it."""
    template = updated.get("template") or {}
    # Compared in one canonical form: a world's template is written by hand, the body by a client.
    was = _canonical({"template": current.get("template") or {}}).get("template", {})
    if template == was and req.arg("forceNewRevision") != "true":
        return None, []
    service = str(current["name"]).rsplit("/", 1)[-1]
    name = str(template.get("revision") or "") or rc.revision_name(service, generation)
    if not name.startswith(service + "-"):
        raise ApiFailure(
            400,
            f"template.revision: revision name '{name}' must be prefixed by the service name '{service}-'.",
        )
    if name in revisions:
        raise ApiFailure(409, f"Revision named '{name}' with different configuration already exists.")
    runtime = state.world.image(rc.ingress_image(template))
    return rc.create_revision(str(current["name"]), template, name, runtime, dt.datetime.now(dt.timezone.utc))


def _canonical(body: dict[str, Any]) -> dict[str, Any]:
    """The body checked, then as the API itself writes it (enum names, int64 as strings).

    The official clients send enums as numbers (``$alt=json;enum-encoding=int``); kept
    as sent, they would be served back as numbers to every later reader.
    """
    from google.protobuf import json_format

    from gate.emulator.protocheck import check
    from gate.narrow_import import import_attr

    service = import_attr("google.cloud.run_v2.types.service:Service")
    problem = check(body, service.pb())
    if problem:
        path, msg = problem
        raise ApiFailure(400, f"Invalid JSON payload received. {'.'.join(map(str, path))}: {msg}")
    msg = json_format.ParseDict(body, service.pb()(), ignore_unknown_fields=False)
    out: dict[str, Any] = json_format.MessageToDict(msg)
    return out


@route("run", "GET", _PARENT + "/operations/{operation}", "run.operations.get")
def get_operation(state: State, req: Request, project: str, location: str, operation: str) -> Response:
    op = state.operations.get(f"projects/{project}/locations/{location}/operations/{operation}")
    if op is None:
        raise ApiFailure(
            404, f"Operation 'projects/{project}/locations/{location}/operations/{operation}' not found."
        )
    return Response(200, op)


ROUTES = [get_service, list_services, get_revision, list_revisions, update_service, get_operation]
