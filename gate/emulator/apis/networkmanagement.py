"""Network Management API v1: connectivity tests (Reachability service).

A created test reports the world's ``networkmanagement.results`` entry whose
``source``/``destination`` fields all equal the test's (fields the result
leaves out match anything); with no match it reports UNDETERMINED, never
REACHABLE. Creation finishes at once (``done: true``) so runs stay fast.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from gate.emulator.state import State, json_body, now_rfc3339, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate

_PARENT = "/v1/projects/{project}/locations/global"
_NS = "type.googleapis.com/google.cloud.networkmanagement.v1"
# CloudRunRevisionEndpoint.uri: "projects/{project}/locations/{location}/revisions/{revision}".
REVISION_URI = re.compile(r"^projects/[^/]+/locations/[^/]+/revisions/[^/]+$")


def revision_uri_problem(endpoint: Any) -> str:
    """Why an Endpoint's cloudRunRevision.uri is malformed ("" when it is fine or absent)."""
    run = endpoint.get("cloudRunRevision") if isinstance(endpoint, dict) else None
    if not isinstance(run, dict) or "uri" not in run:
        return ""
    uri = str(run["uri"])
    if REVISION_URI.match(uri):
        return ""
    return (
        f"Invalid Cloud Run revision URI '{uri}': expected "
        "projects/{project}/locations/{location}/revisions/{revision}."
    )


def _matches(want: dict[str, Any] | None, got: dict[str, Any] | None) -> bool:
    got = got or {}
    return all(str(got.get(k)) == str(v) for k, v in (want or {}).items())


def _result(state: State, test: dict[str, Any]) -> dict[str, Any]:
    for r in state.world.reachability:
        if _matches(r.get("destination"), test.get("destination")) and _matches(
            r.get("source"), test.get("source")
        ):
            details: dict[str, Any] = copy.deepcopy(r["reachabilityDetails"])
            details.setdefault("verifyTime", now_rfc3339())
            return details
    return {"result": "UNDETERMINED", "verifyTime": now_rfc3339()}


def _operation(
    state: State, project: str, target: str, verb: str, response: dict[str, Any]
) -> dict[str, Any]:
    name = f"projects/{project}/locations/global/operations/operation-{uuid.uuid4().hex[:20]}"
    t = now_rfc3339()
    op = {
        "name": name,
        "metadata": {
            "@type": f"{_NS}.OperationMetadata",
            "createTime": t,
            "endTime": t,
            "target": target,
            "verb": verb,
            "apiVersion": "v1",
        },
        "done": True,
        "response": response,
    }
    state.operations[name] = op
    return op


def _check_body(body: dict[str, Any]) -> None:
    from gate.emulator.protocheck import check
    from gate.narrow_import import import_attr

    test = import_attr("google.cloud.network_management_v1.types.connectivity_test:ConnectivityTest")
    problem = check(body, test.pb())
    if problem:
        path, msg = problem
        raise ApiFailure(400, f"Invalid JSON payload received. {'.'.join(map(str, path))}: {msg}")


@route(
    "networkmanagement", "POST", _PARENT + "/connectivityTests", "networkmanagement.connectivitytests.create"
)
def create_test(state: State, req: Request, project: str) -> Response:
    test_id = req.arg("testId")
    if not test_id:
        raise ApiFailure(400, "testId is required.")
    body = json_body(req)
    _check_body(body)
    if not body.get("destination"):
        raise ApiFailure(400, "destination is required.")
    for end in ("source", "destination"):
        problem = revision_uri_problem(body.get(end))
        if problem:
            raise ApiFailure(400, f"{end}: {problem}")
    name = f"projects/{project}/locations/global/connectivityTests/{test_id}"
    with state.lock:
        if name in state.connectivity_tests:
            raise ApiFailure(409, f"Resource '{name}' already exists", status="ALREADY_EXISTS")
        t = now_rfc3339()
        test = {**copy.deepcopy(body), "name": name, "createTime": t, "updateTime": t}
        test["reachabilityDetails"] = _result(state, test)
        state.connectivity_tests[name] = test
        op = _operation(
            state, project, name, "create", {"@type": f"{_NS}.ConnectivityTest", **copy.deepcopy(test)}
        )
    return Response(200, op)


def _test(state: State, project: str, test: str) -> tuple[str, dict[str, Any]]:
    name = f"projects/{project}/locations/global/connectivityTests/{test}"
    found = state.connectivity_tests.get(name)
    if found is None:
        raise ApiFailure(404, f"Resource '{name}' was not found")
    return name, found


@route(
    "networkmanagement",
    "GET",
    _PARENT + "/connectivityTests/{test}",
    "networkmanagement.connectivitytests.get",
)
def get_test(state: State, req: Request, project: str, test: str) -> Response:
    return Response(200, _test(state, project, test)[1])


@route("networkmanagement", "GET", _PARENT + "/connectivityTests", "networkmanagement.connectivitytests.list")
def list_tests(state: State, req: Request, project: str) -> Response:
    prefix = f"projects/{project}/locations/global/connectivityTests/"
    items = [t for n, t in sorted(state.connectivity_tests.items()) if n.startswith(prefix)]
    return paginate(req, items, "resources", default_size=100)


@route(
    "networkmanagement",
    "DELETE",
    _PARENT + "/connectivityTests/{test}",
    "networkmanagement.connectivitytests.delete",
)
def delete_test(state: State, req: Request, project: str, test: str) -> Response:
    with state.lock:
        name, _ = _test(state, project, test)
        del state.connectivity_tests[name]
        op = _operation(
            state, project, name, "delete", {"@type": "type.googleapis.com/google.protobuf.Empty"}
        )
    return Response(200, op)


@route("networkmanagement", "GET", _PARENT + "/operations/{operation}", "networkmanagement.operations.get")
def get_operation(state: State, req: Request, project: str, operation: str) -> Response:
    name = f"projects/{project}/locations/global/operations/{operation}"
    op = state.operations.get(name)
    if op is None:
        raise ApiFailure(404, f"Operation '{name}' not found.")
    return Response(200, op)


ROUTES = [create_test, get_test, list_tests, delete_test, get_operation]
