"""Memorystore for Redis API v1: instances."""

from __future__ import annotations

from gate.emulator.state import State, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate

_PARENT = "/v1/projects/{project}/locations/{location}"


@route("redis", "GET", _PARENT + "/instances/{instance}", "redis.instances.get")
def get_instance(state: State, req: Request, project: str, location: str, instance: str) -> Response:
    name = f"projects/{project}/locations/{location}/instances/{instance}"
    i = state.find("redis", "instances", name)
    if i is None:
        raise ApiFailure(404, f"Resource '{name}' was not found")
    return Response(200, i)


@route("redis", "GET", _PARENT + "/instances", "redis.instances.list")
def list_instances(state: State, req: Request, project: str, location: str) -> Response:
    # location "-" lists every region, as the real API allows.
    items = state.under("redis", "instances", f"projects/{project}/locations/{location}/instances")
    return paginate(req, items, "instances", default_size=1000)


ROUTES = [get_instance, list_instances]
