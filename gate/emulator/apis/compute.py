"""Compute Engine API v1: networks, subnetworks, firewalls, routes, global addresses, and the
effective firewalls of a network (``networks.getEffectiveFirewalls``,
``regionNetworkFirewallPolicies.getEffectiveFirewalls``) computed from the world's VPC firewall
rules and ``firewallPolicies``.

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


def _ref(ref: Any, default_project: str) -> tuple[str, str]:
    """(project, name) of a network URL, ``projects/P/global/networks/N`` or a bare name."""
    text = str(ref or "")
    m = re.search(r"(?:^|/)projects/([^/]+)/", text)
    return (m.group(1) if m else default_project), _last(text)


def _network(state: State, project: str, ref: str) -> dict[str, Any]:
    want = _ref(ref, project)
    for n in state.items("compute", "networks"):
        if n.get("name") == want[1] and state.same_project(want[0], _project_of(state, n)):
            return n
    raise _not_found(f"projects/{want[0]}/global/networks/{want[1]}")


def policy_type(policy: dict[str, Any]) -> str:
    """A world's FirewallPolicy as getEffectiveFirewalls types it: parent = hierarchical
    (organizations/N, folders/N), region = regional network policy, else global network policy."""
    if policy.get("parent"):
        return "HIERARCHY"
    return "NETWORK_REGIONAL" if policy.get("region") else "NETWORK"


def _effective(state: State, project: str, network: dict[str, Any], region: str | None) -> dict[str, Any]:
    here = (_project_of(state, network), str(network.get("name")))

    def attached(p: dict[str, Any]) -> tuple[bool, int]:
        for a in p.get("associations") or []:
            target = str(a.get("attachmentTarget", ""))
            if policy_type(p) == "HIERARCHY":
                # The world is one project inside the organization: an association to the
                # organization or any folder applies to its networks.
                if target.startswith(("organizations/", "folders/")):
                    return True, 0
            else:
                p_, n_ = _ref(target, here[0])
                if n_ == here[1] and state.same_project(p_, here[0]):
                    return True, int(a.get("priority", 0) or 0)
        return False, 0

    policies: list[dict[str, Any]] = []
    hierarchy: list[tuple[int, dict[str, Any]]] = []
    for p in state.items("compute", "firewallPolicies"):
        kind = policy_type(p)
        if kind == "NETWORK_REGIONAL" and (region is None or _last(p.get("region")) != region):
            continue
        on, priority = attached(p)
        if not on:
            continue
        entry: dict[str, Any] = {"name": p.get("name"), "type": kind, "rules": p.get("rules") or []}
        # The global answer has shortName and (deprecated) displayName; the regional answer's
        # policy entries have no shortName field, only displayName.
        display = p.get("displayName") or p.get("shortName")
        if display:
            entry["displayName"] = display
        if region is None and p.get("shortName"):
            entry["shortName"] = p["shortName"]
        if kind == "HIERARCHY":
            # Listed from the organization down (folders in world order).
            top = 0 if str(p.get("parent", "")).startswith("organizations/") else 1
            hierarchy.append((top, entry))
        else:
            entry["priority"] = priority
            policies.append(entry)
    ordered = [e for _, e in sorted(hierarchy, key=lambda x: x[0])] + policies
    firewalls = [
        f
        for f in state.items("compute", "firewalls")
        if _ref(f.get("network"), _project_of(state, f)) == here
        or (
            _last(f.get("network")) == here[1]
            and state.same_project(_ref(f.get("network"), here[0])[0], here[0])
        )
    ]
    body: dict[str, Any] = {}
    if firewalls:
        body["firewalls"] = firewalls
    if ordered:
        body["firewallPolicys"] = ordered
    return body


@route(
    "compute",
    "GET",
    "/compute/v1/projects/{project}/global/networks/{network}/getEffectiveFirewalls",
    "compute.networks.getEffectiveFirewalls",
)
def network_effective_firewalls(state: State, req: Request, project: str, network: str) -> Response:
    return Response(200, _effective(state, project, _network(state, project, network), None))


@route(
    "compute",
    "GET",
    "/compute/v1/projects/{project}/regions/{region}/firewallPolicies/getEffectiveFirewalls",
    "compute.networks.getRegionEffectiveFirewalls",
)
def region_effective_firewalls(state: State, req: Request, project: str, region: str) -> Response:
    ref = req.arg("network")
    if not ref:
        msg = "Invalid value for field 'network': ''. Must be a network reference."
        raise ApiFailure(
            400, msg, errors=[{"message": msg, "domain": "global", "reason": "invalid"}], with_status=False
        )
    return Response(200, _effective(state, project, _network(state, project, ref), region))


ROUTES = [
    network_effective_firewalls,
    region_effective_firewalls,
    *_global("networks", "networkList"),
    *_subnetworks(),
    *_global("firewalls", "firewallList"),
    *_global("routes", "routeList"),
    *_global("addresses", "addressList"),
]
