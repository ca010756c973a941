"""Run golden-path WebSocket sessions and record what happened (facts, no verdict).

One session: open TCP, do the WebSocket handshake (offering the ``jwt.<token>``
subprotocol and/or a bearer header), send one message, then read messages until
every expected event has arrived in order, the connection closes, or a wait runs
out. :func:`run_sessions` runs N sessions at once in threads and holds every
session's first message until all handshakes are done, so that "N concurrent
sessions" really means N connections open together (the S11 race only shows
then).

Everything here is bounded by the caller's deadline: each blocking call gets a
timeout no later than it, and sockets still open at the deadline are closed from
the calling thread, so no thread outlives :func:`run_sessions` for long.

Failure texts are built here from typed exceptions, never by echoing a
library's message verbatim: those can quote request headers. What little is
quoted passes through the caller's ``scrub``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gate import durations

if TYPE_CHECKING:
    # websockets is imported where used: `gate validate` and `gate --help` must not pay for it.
    from websockets.exceptions import InvalidStatus
    from websockets.frames import Close
    from websockets.sync.client import ClientConnection

# Short slices keep a waiting session responsive to cancellation.
_SLICE = 0.25
# Time allowed for a polite close after the flow is done; never past the deadline.
_CLOSE_GRACE = 2.0
_BODY_QUOTE = 200


@dataclass(frozen=True)
class SessionPlan:
    """What every session does; built by the check from its parameters."""

    uri: str  # the URI whose host goes in Host (scheme may be ws even for a wss origin)
    message: str  # the JSON text to send after the handshake
    expect: tuple[str, ...]  # event names, in order
    event_field: str = "type"  # dotted path to the event name in each message
    error_events: tuple[str, ...] = ("error",)
    subprotocols: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    address: tuple[str, int] | None = None  # connect here instead of the URI's host (resolver)
    step_timeout: float = 30.0


@dataclass
class SessionResult:
    index: int
    ok: bool = False
    failure: str = ""  # one line, already scrubbed; "" when ok
    kind: str = ""  # refused, dns, timeout, handshake, subprotocol, closed, events, error_event, ...
    http_status: int | None = None
    http_body: str = ""
    subprotocol: str | None = None
    received: list[str] = field(default_factory=list)  # event names in arrival order
    missing: list[str] = field(default_factory=list)
    close: str = ""  # "1000 (OK) main cleanup"
    final: Any = None  # the message that completed the flow (parsed JSON)
    connect_ms: float | None = None
    first_event_ms: float | None = None
    final_ms: float | None = None


class _StartLine:
    """Holds sessions after their handshake until every session has finished its own."""

    def __init__(self, parties: int) -> None:
        self._left = parties
        self._cond = threading.Condition()

    def arrive(self) -> None:
        with self._cond:
            self._left -= 1
            if self._left <= 0:
                self._cond.notify_all()

    def wait(self, until: float) -> None:
        with self._cond:
            while self._left > 0:
                left = until - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)


def field_at(message: Any, path: str) -> Any:
    """The value at a dotted path (``payload.result``; list items by number), or None."""
    cur = message
    for part in path.split("."):
        if isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def close_text(close: Close | None) -> str:
    from websockets.frames import CLOSE_CODE_EXPLANATIONS

    if close is None:
        return "1006 (abnormal closure), no close frame"
    explanation = CLOSE_CODE_EXPLANATIONS.get(close.code, "unknown")
    text = f"{close.code} ({explanation})"
    return f"{text} {close.reason}" if close.reason else text


def run_sessions(
    plan: SessionPlan,
    count: int,
    deadline: float,
    cancelled: threading.Event,
    scrub: Callable[[str], str],
) -> list[SessionResult]:
    start_line = _StartLine(count)
    live: list[ClientConnection | socket.socket] = []
    lock = threading.Lock()
    results = [SessionResult(i) for i in range(count)]

    def register(conn: ClientConnection | socket.socket) -> None:
        with lock:
            live.append(conn)

    threads = [
        threading.Thread(
            target=_session,
            args=(plan, results[i], deadline, cancelled, scrub, start_line, register),
            name=f"gate-ws-session-{i}",
            daemon=True,  # a safety net only: we join every thread below
        )
        for i in range(count)
    ]
    for t in threads:
        t.start()
    # Sessions bound every wait by the deadline; this margin only absorbs scheduling.
    give_up = deadline + 0.5
    for t in threads:
        while t.is_alive() and time.monotonic() < give_up and not cancelled.is_set():
            t.join(_SLICE)
    if any(t.is_alive() for t in threads):
        # Past the deadline or cancelled: force every socket shut so its thread ends now.
        with lock:
            for conn in live:
                if isinstance(conn, socket.socket):
                    with contextlib.suppress(OSError):
                        conn.shutdown(socket.SHUT_RDWR)  # ends a handshake still waiting
                else:
                    conn.close_socket()
        for t in threads:
            t.join(_CLOSE_GRACE)
    return results


def _session(
    plan: SessionPlan,
    result: SessionResult,
    deadline: float,
    cancelled: threading.Event,
    scrub: Callable[[str], str],
    start_line: _StartLine,
    register: Callable[[ClientConnection | socket.socket], None],
) -> None:
    arrived = False
    try:
        t0 = time.monotonic()
        conn = _handshake(plan, result, deadline, scrub, register)
        start_line.arrive()
        arrived = True
        if conn is None:
            return
        register(conn)
        with conn:
            try:
                result.connect_ms = (time.monotonic() - t0) * 1000
                result.subprotocol = conn.subprotocol
                if plan.subprotocols and conn.subprotocol is None:
                    _fail(result, "subprotocol", "server selected no subprotocol")
                    return
                start_line.wait(deadline)
                _converse(conn, plan, result, deadline, cancelled, scrub)
            finally:
                # Close politely, but never wait for the peer past the deadline.
                left = deadline - time.monotonic()
                if left < 0.1:
                    conn.close_socket()
                conn.close_timeout = max(0.1, min(_CLOSE_GRACE, left))
    except Exception as e:  # a session must record, never raise into a dead thread
        if not result.failure:
            _fail(result, "internal", f"probe error {type(e).__name__}: {scrub(str(e))}")
    finally:
        if not arrived:
            start_line.arrive()


def _handshake(
    plan: SessionPlan,
    result: SessionResult,
    deadline: float,
    scrub: Callable[[str], str],
    register: Callable[[ClientConnection | socket.socket], None],
) -> ClientConnection | None:
    from websockets.sync.client import connect

    wait = min(plan.step_timeout, deadline - time.monotonic())
    if wait <= 0:
        _fail(result, "timeout", "timed out before connecting (attempt deadline reached)")
        return None
    where = _where(plan)
    started = time.monotonic()
    try:
        # Our own socket, registered before the handshake, so that a cancel or the
        # deadline can shut it while the server sits on the upgrade. With the
        # resolver it goes to the local server while the URI keeps the original Host.
        sock = socket.create_connection(plan.address or _address(plan.uri), timeout=wait)
        register(sock)
        sock.settimeout(None)
        return connect(
            plan.uri,
            sock=sock,
            subprotocols=list(plan.subprotocols) or None,  # type: ignore[arg-type]
            additional_headers=dict(plan.headers) or None,
            open_timeout=max(0.01, wait - (time.monotonic() - started)),
            ping_interval=None,  # one short conversation: keepalive pings add nothing
            close_timeout=_CLOSE_GRACE,
        )
    except Exception as e:
        _handshake_failed(e, result, wait, where, scrub)
        return None


def _rejected(e: BaseException) -> InvalidStatus | None:
    """The HTTP answer that refused the upgrade, also when following a redirect failed.

    websockets tries to follow a 3xx itself and then fails (our own socket cannot
    be reused; an https Location is no WebSocket URI), chaining the InvalidStatus.
    """
    from websockets.exceptions import InvalidStatus

    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, InvalidStatus):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _handshake_failed(
    e: Exception, result: SessionResult, wait: float, where: str, scrub: Callable[[str], str]
) -> None:
    """Name what went wrong from the exception's type; quote as little as possible."""
    import ssl  # here: only a failed exchange needs it, and `gate validate` imports this module

    from websockets.exceptions import InvalidHandshake, InvalidURI

    rejected = _rejected(e)
    if rejected is not None:
        status = rejected.response.status_code
        result.http_status = status
        body = bytes(rejected.response.body or b"").decode("utf-8", "replace").strip()
        result.http_body = scrub(body[:_BODY_QUOTE])
        _fail(result, "handshake", f"handshake rejected with HTTP {status}")
    elif isinstance(e, TimeoutError):
        # websockets says "handshake" when TCP worked but the upgrade never answered.
        if "handshake" in str(e):
            _fail(result, "timeout", f"timed out waiting for the handshake response after {_fmt(wait)}")
        else:
            _fail(result, "timeout", f"timed out connecting to {where} after {_fmt(wait)}")
    elif isinstance(e, ConnectionRefusedError):
        _fail(result, "refused", f"connection refused by {where}")
    elif isinstance(e, socket.gaierror):
        _fail(result, "dns", f"could not resolve host {where}")
    elif isinstance(e, ssl.SSLError):
        _fail(result, "tls", f"TLS handshake with {where} failed: {type(e).__name__}")
    elif isinstance(e, InvalidURI):
        _fail(result, "config", "invalid WebSocket URL")
    elif isinstance(e, InvalidHandshake):
        # Negotiation errors can quote the offered subprotocol (the token): scrub.
        _fail(result, "handshake", f"handshake failed: {scrub(str(e))}")
    elif isinstance(e, (EOFError, ConnectionError)):
        _fail(result, "handshake", f"connection dropped during the handshake ({type(e).__name__})")
    elif isinstance(e, OSError):
        _fail(result, "network", f"could not connect to {where}: {scrub(e.strerror or type(e).__name__)}")
    else:
        _fail(result, "internal", f"probe error {type(e).__name__}: {scrub(str(e))}")


def _converse(
    conn: ClientConnection,
    plan: SessionPlan,
    result: SessionResult,
    deadline: float,
    cancelled: threading.Event,
    scrub: Callable[[str], str],
) -> None:
    from websockets.exceptions import ConnectionClosed

    sent_at = time.monotonic()
    try:
        conn.send(plan.message)
    except ConnectionClosed as e:
        result.close = close_text(e.rcvd)
        _fail(result, "closed", f"connection closed with {result.close} before the message was sent")
        return
    for i, want in enumerate(plan.expect):
        begun = time.monotonic()
        waited = max(0.0, min(plan.step_timeout, deadline - begun))
        step_end = begun + waited
        while True:
            if cancelled.is_set():
                _fail(result, "cancelled", "cancelled")
                result.missing = list(plan.expect[i:])
                return
            left = step_end - time.monotonic()
            if left <= 0:
                result.missing = list(plan.expect[i:])
                _fail(result, "timeout", f"timed out waiting for {want} after {_fmt(waited)}")
                return
            try:
                raw = conn.recv(timeout=min(left, _SLICE))
            except TimeoutError:
                continue
            except ConnectionClosed as e:
                result.close = close_text(e.rcvd)
                result.missing = list(plan.expect[i:])
                after = f"after {plan.expect[i - 1]}" if i else f"before {want}"
                _fail(result, "closed", f"connection closed with {scrub(result.close)} mid-flow {after}")
                return
            message = _parse(raw)
            name = field_at(message, plan.event_field)
            label = name if isinstance(name, str) else "<no " + plan.event_field + ">"
            result.received.append(label)
            if isinstance(name, str) and name in plan.error_events:
                result.missing = list(plan.expect[i:])
                _fail(result, "error_event", f"server sent {name} before {want}")
                result.final = message
                return
            if name == want:
                now = (time.monotonic() - sent_at) * 1000
                if i == 0:
                    result.first_event_ms = now
                if i == len(plan.expect) - 1:
                    result.final_ms = now
                    result.final = message
                break
    result.ok = True


def _parse(raw: str | bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _fail(result: SessionResult, kind: str, text: str) -> None:
    result.ok = False
    result.kind = kind
    result.failure = text


def _address(uri: str) -> tuple[str, int]:
    from websockets.exceptions import InvalidURI

    p = urlsplit(uri)
    if p.hostname is None:
        raise InvalidURI(uri, "no host")
    return p.hostname, p.port or (443 if p.scheme == "wss" else 80)


def _where(plan: SessionPlan) -> str:
    if plan.address is not None:
        return f"{plan.address[0]}:{plan.address[1]}"
    p = urlsplit(plan.uri)
    return p.netloc


def _fmt(seconds: float) -> str:
    # Whole seconds read better in a summary ("after 30s", not "after 29.99s").
    return durations.format(round(seconds) if seconds >= 0.95 else seconds)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 5 values is the largest), as the seeds' reports use."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


class LoginFailed(Exception):
    """The login step did not produce a token; the message is safe to show."""


def login(
    url: str,
    body: Mapping[str, Any],
    token_path: str,
    *,
    host: str | None,
    timeout: float,
    scrub: Callable[[str], str],
) -> str:
    """POST ``body`` as JSON to ``url`` and return the token found at ``token_path``.

    The response body is never quoted: it holds the token we are fetching.
    """
    import httpx  # only the login step needs it

    headers = {"Host": host} if host else {}
    try:
        with httpx.Client(timeout=timeout, trust_env=host is None) as client:
            response = client.post(url, json=dict(body), headers=headers)
    except httpx.TimeoutException:
        raise LoginFailed(f"login timed out after {_fmt(timeout)}") from None
    except httpx.ConnectError as e:
        refused = "refused" in str(e).lower()
        raise LoginFailed(
            "login failed: connection refused" if refused else "login failed: could not connect"
        ) from None
    except httpx.HTTPError as e:
        raise LoginFailed(f"login failed: {type(e).__name__}: {scrub(str(e))}") from None
    if response.status_code // 100 != 2:
        raise LoginFailed(f"login failed with HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise LoginFailed("login response is not JSON") from None
    token = field_at(data, token_path)
    if not isinstance(token, str) or not token:
        raise LoginFailed(f"login response has no token at {token_path}")
    return token
