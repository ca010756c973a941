"""Serverless VPC Access API v1: connectors."""

from __future__ import annotations

from gate.emulator.state import State, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate

_PARENT = "/v1/projects/{project}/locations/{location}"


@route("vpcaccess", "GET", _PARENT + "/connectors/{connector}", "vpcaccess.connectors.get")
def get_connector(state: State, req: Request, project: str, location: str, connector: str) -> Response:
    name = f"projects/{project}/locations/{location}/connectors/{connector}"
    c = state.find("vpcaccess", "connectors", name)
    if c is None:
        raise ApiFailure(404, f"Resource '{name}' was not found")
    return Response(200, c)


@route("vpcaccess", "GET", _PARENT + "/connectors", "vpcaccess.connectors.list")
def list_connectors(state: State, req: Request, project: str, location: str) -> Response:
    items = state.under("vpcaccess", "connectors", f"projects/{project}/locations/{location}/connectors")
    return paginate(req, items, "connectors", default_size=100)


ROUTES = [get_connector, list_connectors]
