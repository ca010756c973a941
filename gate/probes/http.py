"""One bounded HTTP exchange: the HTTP provider that check types share.

``fetch`` never outlives its deadline. httpx's connect/read timeouts bound each
socket operation, but not the whole exchange (a server trickling one byte a
second never trips a read timeout) and not DNS resolution, so the exchange runs
in a worker thread that the caller stops waiting for at the deadline; at that
moment the worker's socket is shut down so it exits promptly too.

The body is streamed and capped, so a huge answer costs at most ``max_body``
bytes of memory. Redirects are followed here (not by httpx) so that every hop
goes through the resolver, like the first request did.

This module judges nothing: a 503 is a :class:`Response`; only failures to get
any answer are :class:`ProbeError`. Messages never contain header values, and
URLs in them pass through :func:`gate.redact.redact_url`.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from gate.probes.resolve import Resolver
from gate.redact import redact_url

if TYPE_CHECKING:
    import ssl  # imported where used, as httpx is: only a TLS exchange needs it

    import httpx  # imported where used: `gate validate` must not pay for it

MiB = 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
# Grace given to the worker after the deadline to report its own (more precise) error.
_GRACE = 0.2


@dataclass(frozen=True)
class Request:
    method: str
    url: str  # as written in the policy (the public URL); the resolver may send it elsewhere
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_body: int = MiB
    follow_redirects: bool = False
    verify_tls: bool = True


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value), in order received
    body: bytes  # complete (never truncated: over ``max_body`` is a ProbeError)
    url: str  # the public URL that answered (after redirects, if followed)
    connected_to: str  # the URL actually connected to (differs when the resolver rewrote it)
    elapsed: float  # seconds from sending the first request to the last body byte
    redirects: tuple[str, ...] = ()  # public URLs followed before ``url``

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None


class ProbeError(Exception):
    """No usable answer. ``kind`` is one of the constants below; ``str()`` is safe to show."""

    CONNECTION_REFUSED = "connection_refused"
    DNS = "dns"
    TLS = "tls"
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    DEADLINE = "deadline"  # the whole exchange ran out of time
    BODY_TOO_LARGE = "body_too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    CLOSED = "closed"  # the server closed or reset the connection mid-exchange
    PROTOCOL = "protocol"  # not HTTP, or malformed
    CONNECTION = "connection"  # any other network failure

    def __init__(self, kind: str, message: str, *, elapsed: float = 0.0, phase: str = "") -> None:
        self.kind = kind
        self.elapsed = elapsed
        self.phase = phase
        super().__init__(message)


def format_size(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", MiB), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


class _Exchange:
    """State shared between the waiting caller and the worker thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.phase = "connecting"
        self.sock: socket.socket | None = None
        self.aborted = False
        self.result: Response | None = None
        self.error: BaseException | None = None
        self.started = time.monotonic()

    def set_phase(self, phase: str, sock: socket.socket | None = None) -> None:
        with self.lock:
            self.phase = phase
            if sock is not None:
                self.sock = sock
            if self.aborted:
                raise _Aborted()

    def abort(self) -> None:
        with self.lock:
            self.aborted = True
            sock = self.sock
        if sock is not None:
            # shutdown (unlike close) wakes a recv() blocked in another thread.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Aborted(Exception):
    pass


def fetch(request: Request, *, deadline: float, resolver: Resolver | None = None) -> Response:
    """Perform ``request`` and return by ``deadline`` (a ``time.monotonic()`` value)."""
    ex = _Exchange()
    worker = threading.Thread(
        target=_run, args=(ex, request, deadline, resolver or Resolver()), daemon=True, name="gate-http"
    )
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        ex.abort()
        worker.join(_GRACE)
    if not worker.is_alive() and ex.result is not None:
        return ex.result
    if worker.is_alive() or ex.error is None or isinstance(ex.error, _Aborted):
        # The worker may linger until its own socket timeouts fire; it is a daemon
        # holding no lock the caller needs, so abandoning it is safe.
        elapsed = time.monotonic() - ex.started
        raise ProbeError(
            ProbeError.DEADLINE, f"timed out after {elapsed:.1f}s {ex.phase}", elapsed=elapsed, phase=ex.phase
        )
    raise ex.error


def _run(ex: _Exchange, request: Request, deadline: float, resolver: Resolver) -> None:
    try:
        ex.result = _follow(ex, request, deadline, resolver)
    except BaseException as e:  # handed to the caller's thread, which decides
        ex.error = e


def _follow(ex: _Exchange, request: Request, deadline: float, resolver: Resolver) -> Response:
    url = request.url
    method = request.method
    content = request.content
    hops: list[str] = []
    while True:
        resp = _one(ex, request, method, url, content, deadline, resolver, hops)
        location = resp.header("location")
        if not request.follow_redirects or resp.status not in REDIRECT_STATUSES or not location:
            return resp
        if len(hops) >= MAX_REDIRECTS:
            raise ProbeError(
                ProbeError.TOO_MANY_REDIRECTS,
                f"more than {MAX_REDIRECTS} redirects (last to {redact_url(urljoin(url, location))})",
                elapsed=time.monotonic() - ex.started,
            )
        hops.append(url)
        url = urljoin(url, location)
        if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
            # What browsers and httpx do: the follow-up is a GET without the body.
            method, content = "GET", None


def _one(
    ex: _Exchange,
    request: Request,
    method: str,
    url: str,
    content: bytes | None,
    deadline: float,
    resolver: Resolver,
    hops: list[str],
) -> Response:
    import httpx

    target = resolver.rewrite(url)
    headers = dict(request.headers)
    # Ask for an uncompressed body: the cap then bounds memory (a small gzip bomb
    # would otherwise expand inside the decoder before any cap is checked).
    headers.setdefault("Accept-Encoding", "identity")
    if target.url != url:
        headers["Host"] = target.host
    remaining = max(0.001, deadline - time.monotonic())
    timeout = httpx.Timeout(
        connect=min(request.connect_timeout, remaining),
        read=min(request.read_timeout, remaining),
        write=min(request.read_timeout, remaining),
        pool=min(request.connect_timeout, remaining),
    )
    ex.set_phase("connecting")

    def trace(event: str, info: dict[str, Any]) -> None:
        # httpcore's trace hook: learn the phase (for the timeout message) and the
        # socket as soon as it exists, so the deadline can interrupt any blocked read.
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            ex.set_phase("connecting", sock if isinstance(sock, socket.socket) else None)
        elif event == "connection.start_tls.started":
            ex.set_phase("in the TLS handshake")
        elif event == "http11.send_request_headers.started":
            ex.set_phase("sending the request")
        elif event == "http11.receive_response_headers.started":
            ex.set_phase("waiting for the response")

    started = time.monotonic()
    try:
        with (
            httpx.Client(verify=_tls_context(request.verify_tls), timeout=timeout) as client,
            client.stream(
                method, target.url, headers=headers, content=content, extensions={"trace": trace}
            ) as resp,
        ):
            ex.set_phase("reading the body")
            body = _read_capped(ex, resp, request.max_body, deadline, started)
            return Response(
                status=resp.status_code,
                headers=tuple((k.lower(), v) for k, v in resp.headers.multi_items()),
                body=body,
                url=url,
                connected_to=target.url,
                elapsed=time.monotonic() - started,
                redirects=tuple(hops),
            )
    except (ProbeError, _Aborted):
        raise
    except httpx.HTTPError as e:
        if ex.aborted:
            raise _Aborted() from e
        raise _classify(e, ex.phase, time.monotonic() - started, request) from None


def _read_capped(ex: _Exchange, resp: httpx.Response, cap: int, deadline: float, started: float) -> bytes:
    declared = resp.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise ProbeError(
            ProbeError.BODY_TOO_LARGE,
            f"body larger than {format_size(cap)} (Content-Length {int(declared)})",
            elapsed=time.monotonic() - started,
        )
    chunks: list[bytes] = []
    total = 0
    for chunk in resp.iter_bytes():
        total += len(chunk)
        if total > cap:
            raise ProbeError(
                ProbeError.BODY_TOO_LARGE,
                f"body larger than {format_size(cap)}",
                elapsed=time.monotonic() - started,
            )
        chunks.append(chunk)
        if time.monotonic() >= deadline:
            elapsed = time.monotonic() - started
            raise ProbeError(
                ProbeError.DEADLINE, f"timed out after {elapsed:.1f}s reading the body", elapsed=elapsed
            )
        ex.set_phase("reading the body")
    return b"".join(chunks)


@functools.cache
def _tls_context(verify: bool) -> ssl.SSLContext | bool:
    import ssl

    import certifi

    # Building a verifying context loads the CA bundle (~30 ms); doing it per request
    # would show up in every latency sample.
    if not verify:
        return False
    return ssl.create_default_context(cafile=certifi.where())


def _causes(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and cur not in out:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _classify(e: httpx.HTTPError, phase: str, elapsed: float, request: Request) -> ProbeError:
    import ssl

    import httpx

    chain = _causes(e)
    lowered = " ".join(str(c) for c in chain).lower()
    text = str(e) or next((str(c) for c in chain if str(c)), type(e).__name__)

    def err(kind: str, message: str) -> ProbeError:
        return ProbeError(kind, message, elapsed=elapsed, phase=phase)

    if isinstance(e, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return err(ProbeError.CONNECT_TIMEOUT, f"timed out after {elapsed:.1f}s connecting")
    if isinstance(e, httpx.TimeoutException):
        return err(ProbeError.READ_TIMEOUT, f"timed out after {elapsed:.1f}s {phase}")
    if (
        any(isinstance(c, ssl.SSLCertVerificationError) for c in chain)
        or "certificate_verify_failed" in lowered
    ):
        reason = next((c.verify_message for c in chain if isinstance(c, ssl.SSLCertVerificationError)), "")
        return err(ProbeError.TLS, f"TLS failure: certificate verify failed{': ' + reason if reason else ''}")
    if any(isinstance(c, ssl.SSLError) for c in chain):
        return err(ProbeError.TLS, f"TLS failure: {_first_line(text)}")
    if any(isinstance(c, socket.gaierror) for c in chain) or _looks_like_dns(lowered):
        return err(ProbeError.DNS, f"DNS failure: could not resolve the host ({_first_line(text)})")
    if any(isinstance(c, ConnectionRefusedError) for c in chain) or "connection refused" in lowered:
        return err(ProbeError.CONNECTION_REFUSED, "connection refused")
    if isinstance(e, httpx.RemoteProtocolError) and phase != "reading the body" and "illegal" in lowered:
        return err(ProbeError.PROTOCOL, f"not a valid HTTP answer: {_first_line(text)}")
    if isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError)):
        return err(ProbeError.CLOSED, f"connection closed by the server while {phase} ({_first_line(text)})")
    return err(ProbeError.CONNECTION, f"{type(e).__name__} while {phase}: {_first_line(text)}")


def _looks_like_dns(lowered: str) -> bool:
    return any(
        s in lowered
        for s in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no address associated",
            "getaddrinfo failed",
        )
    )


def _first_line(text: str, limit: int = 200) -> str:
    # Exception texts here come from the socket layer (no headers), but may quote the
    # URL httpx was given; the caller redacts its outputs as well.
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]
