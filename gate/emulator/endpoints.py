"""The world's own HTTP endpoints (``/health``, ``/api/health``...) on loopback.

Several origins share one port: the request's ``Host`` header (which
gate.probes.resolve.Resolver keeps as the original authority) picks the endpoint.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from gate.emulator.quiet import QuietHTTPServer
from gate.emulator.world import Endpoint, EndpointPath


def _host(authority: str) -> str:
    return (urlsplit("//" + authority).hostname or "").lower()


class EndpointServer(QuietHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # as ApiServer: a burst of health checks must not lose SYNs
    block_on_close = True

    def __init__(self, endpoints: list[Endpoint], port: int = 0) -> None:
        self.by_host: dict[str, Endpoint] = {}
        for ep in endpoints:
            self.by_host.setdefault(_host(urlsplit(ep.origin).netloc), ep)
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.hits: list[tuple[str, str]] = []  # (host, path) served, for tests
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer (an abandoned check, or stop() shutting the
        # connection) is expected: socketserver would print a traceback on stderr.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        with self.lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: EndpointServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(body=True)

    def do_HEAD(self) -> None:
        self._handle(body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._handle(body=True)

    def _handle(self, body: bool) -> None:
        host = _host(self.headers.get("Host", ""))
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits.append((host, path))
        ep = self.server.by_host.get(host)
        spec = ep.paths.get(path) if ep else None
        if spec is None or spec.websocket is not None:
            # A plain GET on a WebSocket path is what Cloud Run's front end would 404 too.
            self._send(404, b"Not Found", "text/plain; charset=utf-8", {}, body)
            return
        if spec.hang:
            self.server.stopping.wait()
            self.close_connection = True
            return
        if spec.delay and self.server.stopping.wait(spec.delay):
            self.close_connection = True
            return
        payload, ctype = _payload(spec)
        self._send(spec.status, payload, ctype, spec.headers, body)

    def _send(self, status: int, payload: bytes, ctype: str, headers: Any, body: bool) -> None:
        self.send_response(status)
        if not any(k.lower() == "content-type" for k in headers):
            self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)


def _payload(spec: EndpointPath) -> tuple[bytes, str]:
    if spec.json is not None:
        return json.dumps(spec.json).encode(), "application/json"
    return (spec.text or "").encode(), "text/plain; charset=utf-8"
