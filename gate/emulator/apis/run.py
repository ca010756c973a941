"""Cloud Run Admin API v2: services, revisions, traffic PATCH, operations."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from typing import Any

from gate.emulator.state import State, json_body, now_rfc3339, route
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


def _traffic_statuses(service: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in service.get("traffic", []):
        st = dict(t)
        if st.get("type") == "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" and not st.get("revision"):
            st["revision"] = service.get("latestReadyRevision", "").rsplit("/", 1)[-1]
        out.append(st)
    return out


def _camel(path: str) -> str:
    head, *rest = path.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@route("run", "PATCH", _PARENT + "/services/{service}", "run.services.update")
def update_service(state: State, req: Request, project: str, location: str, service: str) -> Response:
    body = _canonical(json_body(req))
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
        if req.arg("validateOnly") != "true":
            for f in fields:
                if f not in _SETTABLE:
                    raise ApiFailure(400, f"Invalid update mask path: '{f}' is not a mutable Service field.")
                if f in body:
                    updated[f] = body[f]
                else:
                    updated.pop(f, None)
            updated["generation"] = str(int(updated.get("generation", "0") or 0) + 1)
            updated["observedGeneration"] = updated["generation"]
            updated["updateTime"] = now_rfc3339()
            updated["trafficStatuses"] = _traffic_statuses(updated)
            updated.pop("etag", None)
            updated["etag"] = _etag(updated)
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


def _canonical(body: dict[str, Any]) -> dict[str, Any]:
    """The body checked, then as the API itself writes it (enum names, int64 as strings).

    The official clients send enums as numbers (``$alt=json;enum-encoding=int``); kept
    as sent, they would be served back as numbers to every later reader.
    """
    from google.cloud import run_v2
    from google.protobuf import json_format

    from gate.emulator.protocheck import check

    problem = check(body, run_v2.Service.pb())
    if problem:
        path, msg = problem
        raise ApiFailure(400, f"Invalid JSON payload received. {'.'.join(map(str, path))}: {msg}")
    message = run_v2.Service.pb()()
    json_format.ParseDict(body, message)
    out: dict[str, Any] = json_format.MessageToDict(message)
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
