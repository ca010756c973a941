"""Wire-format helpers shared by the API routes: requests, answers, errors, pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# HTTP status -> google.rpc.Code name, as Google's REST front ends report them.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


@dataclass
class Request:
    api: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # parsed JSON, or None

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int
    body: Any  # JSON-able
    headers: dict[str, str] = field(default_factory=dict)
    list_key: str = ""  # for list answers: the field holding the items (fault injection uses it)


class ApiFailure(Exception):
    """Raised by a route to answer with a Google error body."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: str = "",
        errors: list[dict[str, Any]] | None = None,
        details: list[dict[str, Any]] | None = None,
        with_status: bool = True,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.errors = errors
        self.details = details
        self.with_status = with_status

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            err["errors"] = self.errors
        if self.with_status:
            err["status"] = self.status
        if self.details:
            err["details"] = self.details
        return {"error": err}


def permission_denied(permission: str, resource: str, domain: str) -> ApiFailure:
    """403 as IAM-checked Google APIs send it: the message and an ErrorInfo naming the permission."""
    return ApiFailure(
        403,
        f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "IAM_PERMISSION_DENIED",
                "domain": "iam.googleapis.com",
                "metadata": {"permission": permission, "resource": resource, "service": domain},
            }
        ],
    )


def bad_request(message: str) -> ApiFailure:
    return ApiFailure(400, message)


def page_token(offset: int, nonce: int = 0) -> str:
    """An opaque token for the page at ``offset``; ``nonce`` makes another token for the same page
    (an empty page that still has a token must not repeat the token it was asked with)."""
    payload: dict[str, int] = {"o": offset}
    if nonce:
        payload["n"] = nonce
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def page_offset(token: str) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset = json.loads(raw)["o"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    raise bad_request(f"Invalid page token: {token!r}")


def paginate(
    req: Request,
    items: list[Any],
    key: str,
    *,
    size_param: str = "pageSize",
    default_size: int = 500,
    max_size: int = 1000,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """One page of ``items`` under ``key``, with nextPageToken when more remain."""
    raw = req.arg(size_param, "0") or "0"
    try:
        size = int(raw)
    except ValueError:
        raise bad_request(f"Invalid value for {size_param}: {raw!r}") from None
    if size < 0:
        raise bad_request(f"{size_param} must not be negative")
    size = min(size or default_size, max_size)
    start = page_offset(req.arg("pageToken"))
    page = items[start : start + size]
    body: dict[str, Any] = dict(extra or {})
    if page:
        body[key] = page  # proto3 JSON omits empty repeated fields, like the real APIs
    if start + size < len(items):
        body["nextPageToken"] = page_token(start + size)
    return Response(200, body, list_key=key)


Handler = Callable[..., Response]
