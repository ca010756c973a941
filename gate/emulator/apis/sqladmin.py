"""Cloud SQL Admin API v1beta4: instances and tiers (``/sql/v1beta4/...``).

Cloud SQL is an older-style API: list answers carry ``kind`` and ``items``,
paging uses ``maxResults``, and errors carry an ``errors`` list with a reason.
"""

from __future__ import annotations

from typing import Any

from gate.emulator.state import State, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate

_PROJECT = "/sql/v1beta4/projects/{project}"


def _instances(state: State, project: str) -> list[dict[str, Any]]:
    return [
        i
        for i in state.items("sqladmin", "instances")
        if state.same_project(project, str(i.get("project") or state.world.project))
    ]


@route("sqladmin", "GET", _PROJECT + "/instances/{instance}", "cloudsql.instances.get")
def get_instance(state: State, req: Request, project: str, instance: str) -> Response:
    for i in _instances(state, project):
        if i.get("name") == instance:
            return Response(200, i)
    msg = "The Cloud SQL instance does not exist."
    raise ApiFailure(
        404,
        msg,
        errors=[{"message": msg, "domain": "global", "reason": "instanceDoesNotExist"}],
        with_status=False,
    )


@route("sqladmin", "GET", _PROJECT + "/instances", "cloudsql.instances.list")
def list_instances(state: State, req: Request, project: str) -> Response:
    if req.arg("filter"):
        raise ApiFailure(400, "The emulator does not evaluate Cloud SQL list filters; list without filter.")
    return paginate(
        req,
        _instances(state, project),
        "items",
        size_param="maxResults",
        default_size=500,
        extra={"kind": "sql#instancesList"},
    )


@route("sqladmin", "GET", _PROJECT + "/tiers", "cloudsql.instances.list")
def list_tiers(state: State, req: Request, project: str) -> Response:
    body: dict[str, Any] = {"kind": "sql#tiersList"}
    tiers = state.items("sqladmin", "tiers")
    if tiers:
        body["items"] = tiers
    return Response(200, body, list_key="items")


ROUTES = [get_instance, list_instances, list_tiers]
