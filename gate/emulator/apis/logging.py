"""Cloud Logging API v2: ``POST /v2/entries:list``."""

from __future__ import annotations

import re
from typing import Any

from gate.emulator.logfilter import FilterError, _timestamp, compile_filter
from gate.emulator.state import State, json_body, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate

_RESOURCE = re.compile(r"^projects/([^/]+)(?:/locations/[^/]+/buckets/[^/]+/views/[^/]+)?$")


@route("logging", "POST", "/v2/entries:list", "logging.logEntries.list")
def list_entries(state: State, req: Request) -> Response:
    body = json_body(req)
    unknown = set(body) - {"resourceNames", "filter", "orderBy", "pageSize", "pageToken", "projectIds"}
    if unknown:
        raise ApiFailure(
            400, f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}": Cannot find field.'
        )
    names = body.get("resourceNames") or [f"projects/{p}" for p in body.get("projectIds") or []]
    if not names:
        raise ApiFailure(400, "resourceNames must contain at least one resource name.")
    projects = []
    for n in names:
        m = _RESOURCE.match(str(n))
        if not m:
            raise ApiFailure(400, f"Invalid resource name: '{n}'. The emulator serves projects/PROJECT[...].")
        projects.append(m.group(1))
    try:
        keep = compile_filter(str(body.get("filter", "")))
    except FilterError as e:
        raise ApiFailure(400, f"Unparseable filter: {e}") from None
    order = " ".join(str(body.get("orderBy", "timestamp asc")).split()).lower()
    if order not in ("timestamp asc", "timestamp desc", "timestamp", ""):
        raise ApiFailure(
            400, f'Invalid orderBy: \'{body.get("orderBy")}\'. Use "timestamp asc" or "timestamp desc".'
        )

    def mine(e: dict[str, Any]) -> bool:
        log_project = str(e.get("logName", "")).split("/")[1]
        return any(state.same_project(p, log_project) for p in projects)

    entries = [e for e in state.items("logging", "entries") if mine(e) and keep(e)]
    entries.sort(
        key=lambda e: _timestamp(str(e.get("timestamp", "1970-01-01T00:00:00Z"))),
        reverse=order == "timestamp desc",
    )
    # pageSize and pageToken travel in the body here, not the query string.
    page_req = Request(
        req.api,
        req.method,
        req.path,
        {"pageSize": [str(body.get("pageSize", 0))], "pageToken": [str(body.get("pageToken", ""))]},
        None,
    )
    return paginate(page_req, entries, "entries", default_size=50, max_size=1000)


ROUTES = [list_entries]
