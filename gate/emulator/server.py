"""The API server: every emulated Google API on one loopback port.

One ThreadingHTTPServer with HTTP/1.1 keep-alive; routes are told apart by
path exactly as the official clients send them with ``transport="rest"``.
Every request is recorded, then faults are applied, then the route answers.
With ``exchanges`` on (``Emulator(world, exchanges=True)``) the request body and
the response bytes as sent are kept too: tests/conformance checks both against
Google's discovery documents.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gate.emulator.faults import FaultSet, summarise
from gate.emulator.quiet import QuietHTTPServer
from gate.emulator.state import Route, State
from gate.emulator.wire import ApiFailure, Request, Response, page_offset, page_token, permission_denied

_DOMAINS = {
    "run": "run.googleapis.com",
    "vpcaccess": "vpcaccess.googleapis.com",
    "redis": "redis.googleapis.com",
    "sqladmin": "sqladmin.googleapis.com",
    "compute": "compute.googleapis.com",
    "logging": "logging.googleapis.com",
    "monitoring": "monitoring.googleapis.com",
    "secretmanager": "secretmanager.googleapis.com",
    "networkmanagement": "networkmanagement.googleapis.com",
}


@dataclass(frozen=True)
class RecordedRequest:
    api: str  # "run", "compute", ... or "unknown"
    method: str
    path: str
    query: dict[str, list[str]]
    time: float  # time.time() when it arrived
    status: int = 0  # the status answered; 0 = no answer (hang, reset)


@dataclass(frozen=True)
class Exchange:
    """One request as it arrived and the answer exactly as it was sent."""

    api: str
    method: str
    path: str  # percent-decoded, as routes see it
    query: dict[str, list[str]]
    body: bytes  # the request body as sent
    status: int  # 0 = no answer (hang, reset)
    response: bytes  # the response body as sent ("" with no answer)


class ApiServer(QuietHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # listen() backlog: socketserver's default of 5 drops the SYNs of a burst of new
    # connections (a gate run with a pool of 64 opens them at once), and each dropped
    # SYN costs the client a 1 s retransmit.
    request_queue_size = 128
    block_on_close = True  # server_close() joins handler threads: none is left behind

    def __init__(
        self, port: int, state: State, routes: list[Route], faults: FaultSet, *, exchanges: bool = False
    ) -> None:
        self.state = state
        self.routes = routes
        self.faults = faults
        self.stopping = threading.Event()
        self.records: list[RecordedRequest] = []
        self.exchanges: list[Exchange] | None = [] if exchanges else None
        self.records_lock = threading.Lock()
        # Requests that have arrived, counted before any fault delays or hangs them: a
        # test waits on this condition for "the call is in flight", never sleeps for it.
        self.arrivals = 0
        self.arrived = threading.Condition(self.records_lock)
        self.connections: set[socket.socket] = set()
        self.empty_pages = itertools.count(1)  # nonces: each injected empty page gets a new token
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.records_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.records_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def stop(self) -> None:
        """Wake hung handlers, stop accepting, cut idle keep-alive connections, join threads."""
        self.stopping.set()
        self.shutdown()
        with self.records_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def record(self, rec: RecordedRequest) -> None:
        with self.records_lock:
            self.records.append(rec)

    def keep(self, exchange: Exchange) -> None:
        if self.exchanges is not None:
            with self.records_lock:
                self.exchanges.append(exchange)


def _api_guess(path: str) -> str:
    if path.startswith("/compute/"):
        return "compute"
    if path.startswith("/sql/"):
        return "sqladmin"
    if path.startswith("/v2/entries"):
        return "logging"
    if path.startswith("/v3/"):
        return "monitoring"
    if path.startswith("/v2/"):
        return "run"
    for key, api in (
        ("/connectors", "vpcaccess"),
        ("/instances", "redis"),
        ("/secrets", "secretmanager"),
        ("/connectivityTests", "networkmanagement"),
    ):
        if key in path:
            return api
    return "unknown"


def _body_token(raw: bytes) -> str:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return ""
    token = body.get("pageToken") if isinstance(body, dict) else None
    return token if isinstance(token, str) else ""


def _drop(body: Any, dotted: str) -> None:
    *head, last = dotted.split(".")
    for part in head:
        body = body.get(part) if isinstance(body, dict) else None
    if isinstance(body, dict):
        body.pop(last, None)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else keep-alive answers arrive ~40 ms late
    server: ApiServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read emu.requests instead
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        found = self._route(path)
        api = found[0].api if found else _api_guess(path)
        arrived = time.time()
        with self.server.arrived:
            self.server.arrivals += 1
            self.server.arrived.notify_all()
        plan = summarise(self.server.faults.take(api, self.command, path))

        def record(status: int, payload: bytes = b"") -> None:
            self.server.record(RecordedRequest(api, self.command, path, query, arrived, status))
            self.server.keep(Exchange(api, self.command, path, query, raw, status, payload))

        if plan["delay"] and self.server.stopping.wait(plan["delay"]):
            record(0)
            self.close_connection = True
            return
        if plan.get("reset"):
            record(0)
            self._reset()
            return
        if plan.get("hang"):
            record(0)
            self.server.stopping.wait()  # past any client timeout; ends when the server stops
            self.close_connection = True
            return
        response = self._answer(found, api, path, query, raw, plan)
        if plan.get("malformed") and response.status == 200:
            record(200, b'{"name": "projects/')
            self._send(200, b'{"name": "projects/', "application/json; charset=UTF-8")
            return
        if response.status == 200 and plan.get("drop"):
            for dotted in plan["drop"]:
                _drop(response.body, dotted)
                for item in response.body.get(response.list_key, []) if response.list_key else []:
                    _drop(item, dotted)
        if response.status == 200 and plan.get("empty_page") and response.list_key:
            # No items, and a NEW token that leads back to the page that was asked for (the
            # real APIs may answer so while they keep searching). Logging's token is in the body.
            asked = query.get("pageToken", [""])[0] or _body_token(raw)
            try:
                offset = page_offset(asked)
            except ApiFailure:
                offset = 0
            response.body.pop(response.list_key, None)
            response.body["nextPageToken"] = page_token(offset, next(self.server.empty_pages))
        payload = json.dumps(response.body).encode()
        record(response.status, payload)
        self._send(response.status, payload, "application/json; charset=UTF-8")

    def _route(self, path: str) -> tuple[Route, dict[str, str]] | None:
        for r in self.server.routes:
            groups = r.match(self.command, path)
            if groups is not None:
                return r, groups
        return None

    def _answer(
        self,
        found: tuple[Route, dict[str, str]] | None,
        api: str,
        path: str,
        query: dict[str, list[str]],
        raw: bytes,
        plan: dict[str, Any],
    ) -> Response:
        try:
            if found is None:
                raise ApiFailure(
                    404, f"The requested URL {path} was not found on this server ({self.command})."
                )
            route, groups = found
            if plan.get("status"):
                raise self._injected(route, path, plan)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                raise ApiFailure(400, "Invalid JSON payload received. Unexpected token.") from None
            # Work on copies so a dropped field never leaks back into the world.
            response = route.handler(
                self.server.state, Request(api, self.command, path, query, body), **groups
            )
            return Response(
                response.status, json.loads(json.dumps(response.body)), response.headers, response.list_key
            )
        except ApiFailure as e:
            return Response(e.code, e.body())

    @staticmethod
    def _injected(route: Route, path: str, plan: dict[str, Any]) -> ApiFailure:
        code = int(plan["status"])
        resource = path.split("/", 2)[-1] if path.count("/") > 1 else path
        for prefix in ("v1beta4/", "v1/", "v2/", "v3/"):
            resource = resource.split(prefix, 1)[-1]
        if code == 403 and not plan.get("message"):
            return permission_denied(
                plan.get("permission") or route.permission, resource, _DOMAINS[route.api]
            )
        default = {
            429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute'.",
            500: "Internal error encountered.",
            503: "The service is currently unavailable.",
        }
        details = None
        if plan.get("retry_delay"):
            details = [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": plan["retry_delay"]}
            ]
        return ApiFailure(
            code,
            plan.get("message") or default.get(code, f"Injected failure {code} on {path}"),
            details=details,
        )

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
