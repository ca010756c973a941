"""Secret Manager API v1: secret and version metadata. Never payloads.

``versions/latest`` resolves to the most recently created version whatever
its state, as the real API documents (a DISABLED latest is still "latest";
accessing it would fail with FAILED_PRECONDITION). ``versions/{alias}``
resolves through the secret's ``versionAliases`` ("Access by alias is only
supported on GetSecretVersion and AccessSecretVersion"), answering with the
version's own numbered name.
"""

from __future__ import annotations

import re
from typing import Any

from gate.emulator.state import State, route
from gate.emulator.wire import ApiFailure, Request, Response, paginate, permission_denied

_SECRET = "/v1/projects/{project}/secrets/{secret}"


def _secret(state: State, project: str, secret: str) -> dict[str, Any]:
    s = state.find("secretmanager", "secrets", f"projects/{project}/secrets/{secret}")
    if s is None:
        raise ApiFailure(404, f"Secret [projects/{project}/secrets/{secret}] not found or has no versions.")
    return s


def _versions(state: State, project: str, secret: str) -> list[dict[str, Any]]:
    items = state.under("secretmanager", "versions", f"projects/{project}/secrets/{secret}/versions")

    def created(v: dict[str, Any]) -> tuple[str, int]:
        return str(v.get("createTime", "")), int(str(v["name"]).rsplit("/", 1)[-1])

    return sorted(items, key=created, reverse=True)  # newest first, as the API lists them


@route("secretmanager", "GET", _SECRET, "secretmanager.secrets.get")
def get_secret(state: State, req: Request, project: str, secret: str) -> Response:
    return Response(200, _secret(state, project, secret))


@route("secretmanager", "GET", "/v1/projects/{project}/secrets", "secretmanager.secrets.list")
def list_secrets(state: State, req: Request, project: str) -> Response:
    return paginate(
        req,
        state.under("secretmanager", "secrets", f"projects/{project}/secrets"),
        "secrets",
        extra=None,
        default_size=25000,
        max_size=25000,
    )


@route("secretmanager", "GET", _SECRET + "/versions/{version}", "secretmanager.versions.get")
def get_version(state: State, req: Request, project: str, secret: str, version: str) -> Response:
    meta = _secret(state, project, secret)
    versions = _versions(state, project, secret)
    aliases = meta.get("versionAliases") or {}
    if version != "latest" and not version.isdigit() and version in aliases:
        version = str(aliases[version])
    if version == "latest":
        if versions:
            return Response(200, versions[0])
    else:
        for v in versions:
            if str(v["name"]).rsplit("/", 1)[-1] == version:
                return Response(200, v)
    raise ApiFailure(
        404, f"Secret Version [projects/{project}/secrets/{secret}/versions/{version}] not found."
    )


_STATE_FILTER = re.compile(r"^\s*state\s*[:=]\s*(ENABLED|DISABLED|DESTROYED)\s*$")


@route("secretmanager", "GET", _SECRET + "/versions", "secretmanager.versions.list")
def list_versions(state: State, req: Request, project: str, secret: str) -> Response:
    _secret(state, project, secret)
    items = _versions(state, project, secret)
    flt = req.arg("filter")
    if flt:
        m = _STATE_FILTER.match(flt)
        if not m:
            raise ApiFailure(
                400,
                f"Invalid filter: '{flt}'. The emulator understands only state:ENABLED|DISABLED|DESTROYED.",
            )
        items = [v for v in items if v.get("state") == m.group(1)]
    return paginate(
        req,
        items,
        "versions",
        default_size=25000,
        max_size=25000,
        extra={"totalSize": len(items)} if items else None,
    )


@route("secretmanager", "GET", _SECRET + "/versions/{version}:access", "secretmanager.versions.access")
def access_version(state: State, req: Request, project: str, secret: str, version: str) -> Response:
    name = f"projects/{project}/secrets/{secret}/versions/{version}"
    e = permission_denied("secretmanager.versions.access", name, "secretmanager.googleapis.com")
    e.message = (
        f"Permission 'secretmanager.versions.access' denied on resource '{name}': "
        "gate never reads secret payloads, and its emulator never serves them."
    )
    raise e


ROUTES = [get_secret, list_secrets, get_version, list_versions, access_version]
