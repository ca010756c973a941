"""Compute Engine API v1: networks, subnetworks, firewalls, routes, global addresses.

Compute answers lists as ``{kind, id, items, selfLink, nextPageToken}``,
pages with ``maxResults``, and keeps odd JSON names such as ``IPProtocol``
(world files carry them as written). Errors have an ``errors`` list and no
``status``, like the real API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gate.emulator.state import Route, State, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate

_BASE = "https://www.googleapis.com/compute/v1"
_TERM = re.compile(
    r'\s*(?:AND\s+)?\(?\s*([\w.]+)\s*(=|!=|\beq\b|\bne\b)\s*("(?:[^"\\]|\\.)*"|[^\s()"]+)\s*\)?\s*'
)


def _project_of(state: State, item: dict[str, Any]) -> str:
    m = re.search(r"/projects/([^/]+)/", str(item.get("selfLink", "")))
    return m.group(1) if m else state.world.project


def _last(url: Any) -> str:
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


def _filter(expr: str) -> Callable[[dict[str, Any]], bool]:
    """The subset of Compute's list filter people write: ``name = "x"`` terms, ANDed."""
    terms: list[tuple[str, str, str]] = []
    pos = 0
    while pos < len(expr):
        m = _TERM.match(expr, pos)
        if not m or m.end() == pos:
            raise ApiFailure(
                400,
                f"Invalid value for field 'filter': '{expr}'. Invalid list filter expression.",
                errors=[
                    {"message": "Invalid list filter expression.", "domain": "global", "reason": "invalid"}
                ],
                with_status=False,
            )
        field, op, value = m.groups()
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"')
        terms.append((field, op, value))
        pos = m.end()

    def get(item: dict[str, Any], field: str) -> str:
        v: Any = item
        for part in field.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        return "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    def ok(item: dict[str, Any]) -> bool:
        for field, op, value in terms:
            got = get(item, field)
            if op in ("eq", "ne"):  # legacy form: RE2 full match
                hit = re.fullmatch(value, got) is not None
            else:
                hit = got == value
            if hit != (op in ("=", "eq")):
                return False
        return True

    return ok


def _not_found(path: str) -> ApiFailure:
    msg = f"The resource '{path}' was not found"
    return ApiFailure(
        404, msg, errors=[{"message": msg, "domain": "global", "reason": "notFound"}], with_status=False
    )


def _global(kind: str, list_kind: str) -> list[Route]:
    prefix = f"/compute/v1/projects/{{project}}/global/{kind}"

    def get(state: State, req: Request, project: str, name: str) -> Response:
        for item in state.items("compute", kind):
            if item.get("name") == name and state.same_project(project, _project_of(state, item)):
                return Response(200, item)
        raise _not_found(f"projects/{project}/global/{kind}/{name}")

    def lst(state: State, req: Request, project: str) -> Response:
        keep = _filter(req.arg("filter"))
        items = [
            i
            for i in state.items("compute", kind)
            if state.same_project(project, _project_of(state, i)) and keep(i)
        ]
        link = f"{_BASE}/projects/{project}/global/{kind}"
        return paginate(
            req,
            items,
            "items",
            size_param="maxResults",
            default_size=500,
            max_size=500,
            extra={
                "kind": f"compute#{list_kind}",
                "id": f"projects/{project}/global/{kind}",
                "selfLink": link,
            },
        )

    return [
        route("compute", "GET", prefix + "/{name}", f"compute.{kind}.get")(get),
        route("compute", "GET", prefix, f"compute.{kind}.list")(lst),
    ]


def _subnetworks() -> list[Route]:
    prefix = "/compute/v1/projects/{project}/regions/{region}/subnetworks"

    def mine(state: State, project: str, region: str) -> list[dict[str, Any]]:
        return [
            s
            for s in state.items("compute", "subnetworks")
            if _last(s.get("region")) == region and state.same_project(project, _project_of(state, s))
        ]

    def get(state: State, req: Request, project: str, region: str, name: str) -> Response:
        for s in mine(state, project, region):
            if s.get("name") == name:
                return Response(200, s)
        raise _not_found(f"projects/{project}/regions/{region}/subnetworks/{name}")

    def lst(state: State, req: Request, project: str, region: str) -> Response:
        keep = _filter(req.arg("filter"))
        items = [s for s in mine(state, project, region) if keep(s)]
        link = f"{_BASE}/projects/{project}/regions/{region}/subnetworks"
        return paginate(
            req,
            items,
            "items",
            size_param="maxResults",
            default_size=500,
            max_size=500,
            extra={
                "kind": "compute#subnetworkList",
                "id": f"projects/{project}/regions/{region}/subnetworks",
                "selfLink": link,
            },
        )

    return [
        route("compute", "GET", prefix + "/{name}", "compute.subnetworks.get")(get),
        route("compute", "GET", prefix, "compute.subnetworks.list")(lst),
    ]


ROUTES = [
    *_global("networks", "networkList"),
    *_subnetworks(),
    *_global("firewalls", "firewallList"),
    *_global("routes", "routeList"),
    *_global("addresses", "addressList"),
]
