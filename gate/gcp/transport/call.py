"""One API call with our own retries, bounded by a deadline, mapped to gate errors.

The clients' own retry policies differ wildly (Compute retries for up to 600 s,
Cloud SQL ``get`` has no timeout at all), so every call passes ``retry=None``
and an explicit ``timeout``; this module owns retrying. Only throttling (429),
server errors (500/502/503/504) and transport failures are retried, following
Google's retry guidance (https://cloud.google.com/storage/docs/retry-strategy,
https://google.aip.dev/194): truncated exponential backoff, about 1 s at first,
doubling, capped at 30 s, plus up to 1 s of random jitter; a
``google.rpc.RetryInfo.retryDelay`` in the error's details is a floor on the
wait ("clients should wait until retry_delay amount of time has passed");
at most ``MAX_ATTEMPTS`` requests per resource per call; never past
``deadline``. A 429 also holds back every other request to the same API of the
run until its wait is over (``Throttle``), so the gate does not make a quota
problem worse. The final error says how many attempts were made and why
retrying stopped.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from gate.errors import ApiError, NotFoundError

T = TypeVar("T")

RETRY_CODES = frozenset({429, 500, 502, 503, 504})
BACKOFF_INITIAL_S = 1.0
BACKOFF_CAP_S = 30.0
JITTER_S = 1.0
MAX_ATTEMPTS = 5
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def backoff(retry: int, rand: Callable[[float, float], float] = random.uniform) -> float:
    """The pause before retry number ``retry`` (1, 2, ...): min(1 s * 2**(retry-1), 30 s) + jitter."""
    base: float = min(BACKOFF_INITIAL_S * 2.0 ** (retry - 1), BACKOFF_CAP_S)
    return base + rand(0.0, JITTER_S)


class Throttle:
    """Per-API "not before" times after a 429: every request of the run to that API waits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def hold(self, api: str, until: float) -> None:
        with self._lock:
            self._until[api] = max(until, self._until.get(api, 0.0))

    def wait(self, api: str, deadline: float, method: str, resource: str) -> None:
        with self._lock:
            until = self._until.get(api, 0.0)
        now = time.monotonic()
        if until <= now:
            return
        if until >= deadline:
            raise ApiError(
                api,
                f"{method}: not sent: the API is throttling this run (HTTP 429) for another "
                f"{until - now:.1f}s, past the check's deadline",
                code=429,
                status="RESOURCE_EXHAUSTED",
                resource=resource,
            )
        time.sleep(until - now)


def call(
    api: str,
    method: str,
    fn: Callable[[float], T],
    *,
    deadline: float,
    resource: str,
    permission: str,
    on_send: Callable[[], None] | None = None,
    throttle: Throttle | None = None,
) -> T:
    """Run ``fn(timeout_s)`` (ONE client call) until it succeeds or may not be retried.

    ``deadline`` is a ``time.monotonic()`` value. ``on_send`` is told about each
    request actually sent (for ``Cloud.stats``); ``throttle`` is the run's shared one.
    """
    throttle_key = api.split(".")[0]
    attempt = 0
    while True:
        if throttle is not None:
            throttle.wait(throttle_key, deadline, method, resource)
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise ApiError(
                api, f"{method}: deadline reached before the request could be sent", resource=resource
            )
        if on_send is not None:
            on_send()
        attempt += 1
        try:
            return fn(timeout)
        except Exception as e:
            err = map_error(e, api, method, resource=resource, permission=permission, timeout=timeout)
            if err is None:
                raise
            if not _retryable(e):
                raise err from e
            asked = retry_delay(e)
            pause = max(backoff(attempt), asked or 0.0)
            if err.code == 429 and throttle is not None:
                throttle.hold(throttle_key, time.monotonic() + pause)
            stop = ""
            if attempt >= MAX_ATTEMPTS:
                stop = f"the cap of {MAX_ATTEMPTS} requests per resource is reached"
            elif time.monotonic() + pause >= deadline:
                wait = (
                    f"the API asked to wait {asked:.1f}s (RetryInfo)"
                    if asked
                    else f"the next retry in {pause:.1f}s"
                )
                stop = f"{wait} would pass the check's deadline"
            if stop:
                tried = "1 request" if attempt == 1 else f"{attempt} requests"
                raise _with_detail(err, f"{err.detail} (gave up after {tried}: {stop})") from e
            time.sleep(pause)


def retry_delay(e: BaseException) -> float | None:
    """``google.rpc.RetryInfo.retryDelay`` (seconds) from an error's details, if it has one."""
    response = getattr(e, "response", None)
    try:
        body = response.json() if response is not None else None
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for d in details if isinstance(details, list) else []:
        if isinstance(d, dict) and d.get("@type") == _RETRY_INFO:
            m = _DURATION.match(str(d.get("retryDelay", "")))
            if m:
                return float(m.group(1))
    return None


def _retryable(e: BaseException) -> bool:
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc
    from requests import exceptions as rexc

    if isinstance(e, gexc.GoogleAPICallError):
        return e.code in RETRY_CODES
    if isinstance(e, auth_exc.RefreshError):
        return False
    return isinstance(e, (rexc.Timeout, rexc.ConnectionError, auth_exc.TransportError))


def _with_detail(err: ApiError, detail: str) -> ApiError:
    return type(err)(
        err.api, detail, code=err.code, status=err.status, permission=err.permission, resource=err.resource
    )


def map_error(
    e: BaseException, api: str, method: str, *, resource: str, permission: str, timeout: float
) -> ApiError | None:
    """The gate error for a client/transport exception; None = not ours (a bug: re-raise)."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc
    from google.protobuf import json_format
    from requests import exceptions as rexc

    if isinstance(e, ApiError):
        return e
    if isinstance(e, gexc.GoogleAPICallError):
        return _from_http(e, api, method, resource=resource, permission=permission)
    if isinstance(e, rexc.Timeout):
        return _transient(api, f"{method} timed out after {timeout:.1f}s", resource)
    if isinstance(e, rexc.ConnectionError):
        return _transient(api, f"{method}: connection failed ({_short(e)})", resource)
    if isinstance(e, auth_exc.RefreshError):
        return ApiError(
            api,
            "credentials could not be refreshed; run `gcloud auth application-default login`",
            code=401,
            status="UNAUTHENTICATED",
        )
    if isinstance(e, auth_exc.InvalidOperation):
        # The session refreshes credentials on a 401; credentials that cannot be refreshed
        # (anonymous ones, as against an emulator) raise this instead of the 401 itself.
        return ApiError(
            api,
            f"{method}: the API answered 401 and the credentials cannot be refreshed ({_short(e)})",
            code=401,
            status="UNAUTHENTICATED",
            resource=resource,
        )
    if isinstance(e, auth_exc.TransportError):
        return _transient(api, f"{method}: credentials transport failed ({_short(e)})", resource)
    if isinstance(e, (json_format.ParseError, json.JSONDecodeError)):
        return ApiError(api, f"{method}: malformed response ({_short(e)})", resource=resource)
    return None


def _transient(api: str, message: str, resource: str) -> ApiError:
    return ApiError(api, message, resource=resource)


def _short(e: BaseException) -> str:
    # The exception text, first line only and bounded (cut between words): never
    # headers or bodies at length.
    from gate.gcp.transport.connection import reason

    return reason(e, 200)


def _from_http(e: Any, api: str, method: str, *, resource: str, permission: str) -> ApiError:
    code = int(e.code) if isinstance(e.code, int) else None
    status, message = _error_payload(e)
    if code == 404:
        return NotFoundError(
            api,
            f"{method}: {message or 'not found'}",
            code=404,
            status=status or "NOT_FOUND",
            resource=resource,
        )
    if code in (401, 403):
        disabled = (
            e.reason == "SERVICE_DISABLED" or "has not been used" in message or "it is disabled" in message
        )
        detail = f"{method}: {message or 'permission denied'}"
        if disabled:
            detail += "; the API may be disabled in this project (enable it, then retry)"
        return ApiError(
            api,
            detail,
            code=code,
            status=status or _default_status(code),
            permission=permission if code == 403 else "",
            resource=resource,
        )
    return ApiError(
        api, f"{method}: {message or type(e).__name__}", code=code, status=status, resource=resource
    )


def _default_status(code: int) -> str:
    return {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}.get(code, "")


def _error_payload(e: Any) -> tuple[str, str]:
    """(status, message) from the JSON error body (google.rpc.Status over REST)."""
    response = getattr(e, "response", None)
    try:
        body = response.json() if response is not None else None
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        status, message = error.get("status"), error.get("message")
        return (status if isinstance(status, str) else ""), (message if isinstance(message, str) else "")[
            :500
        ]
    return "", (str(e.message) if getattr(e, "message", None) else "")[:500]
