"""A Netra-like WebSocket backend for worlds and tests: the golden path and the ways it broke.

``GoldenPathServer(config).start()`` serves WebSocket on ``ws://127.0.0.1:PORT``
(a background thread, websockets' sync server); ``.stop()`` closes it. Like the
Netra backend it authenticates the handshake with the ``jwt.<token>``
subprotocol (the token as is or base64url-encoded, as Netra's clients send it)
or an ``Authorization: Bearer`` header, selects that subprotocol, waits for the
client's first message, then sends the agent events, the last carrying the
result.

Config keys (all optional):

``mode``
    ``healthy`` (default); ``reject_subprotocol``: answer a handshake that offers
    any subprotocol with HTTP ``reject_status`` and body ``reject_body`` (S4);
    ``no_subprotocol``: accept but select none; ``silent``: never send events
    (S10); ``partial``: send only the first ``partial_count`` events;
    ``close_midway``: close with ``close_code``/``close_reason`` after the
    ``close_after`` event; ``slow``: wait ``delay`` between events;
    ``fail_under_concurrency``: healthy alone, but a session that ever shared
    the server with another is closed like ``close_midway`` (S11), except the
    first ``survivors`` sessions of those open together.
``token``
    The bearer token the handshake must carry; without it any token (or none)
    is accepted. A wrong or missing token gets HTTP 401.
``path``
    Serve only this path (others get 404); default any path.
``events``
    Event names in order; default the five golden-path events.
``delay``
    Seconds (number or duration string) between events; default 0, ``slow``: 1s.
``partial_count`` (3), ``close_after`` (``agent_thinking``), ``close_code`` (1000),
``close_reason`` (``main cleanup``), ``reject_status`` (500),
``reject_body`` (``no subprotocols supported``),
``welcome``
    Send ``{"type": "connection_established"}`` right after the handshake (true).
``result``
    Text of the final message's ``payload.result``.
``survivors``
    ``fail_under_concurrency``: how many of the sessions open together survive (0).
``concurrency_window``
    ``fail_under_concurrency`` waits this long (seconds, 0.3) before deciding,
    so sessions opened together are all seen.
``login``
    ``{path: "/auth/login", token: <defaults to token>, credentials: {field: value}}``
    starts an HTTP login endpoint on its own port (websockets' server cannot
    read a request body), at ``.login_url``: ``POST`` JSON matching
    ``credentials`` returns ``{"access_token": token, "token_type": "bearer"}``,
    anything else 401.

``.handshakes`` records each handshake's ``path``, ``host``, whether a
subprotocol and a bearer header were offered (never their values);
``.peak_sessions`` the most sessions open at once.
"""

from __future__ import annotations

import base64
import binascii
import http
import json
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

from gate import durations
from gate.emulator.quiet import QuietHTTPServer, quiet_logger

EVENTS = ("agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed")
MODES = (
    "healthy",
    "reject_subprotocol",
    "no_subprotocol",
    "silent",
    "partial",
    "close_midway",
    "slow",
    "fail_under_concurrency",
)


CONFIG_KEYS = frozenset(
    {
        "mode",
        "token",
        "path",
        "events",
        "delay",
        "partial_count",
        "close_after",
        "close_code",
        "close_reason",
        "reject_status",
        "reject_body",
        "welcome",
        "result",
        "survivors",
        "concurrency_window",
        "login",
    }
)


def config_errors(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems in a server config as ``(key, message)``, for world loaders to place."""
    out = [
        (k, f"unknown key; expected one of {', '.join(sorted(CONFIG_KEYS))}")
        for k in config
        if k not in CONFIG_KEYS
    ]
    mode = config.get("mode", "healthy")
    if mode not in MODES:
        out.append(("mode", f"unknown mode {mode!r}; expected one of {', '.join(MODES)}"))
    for key in ("delay", "concurrency_window"):
        try:
            _seconds(config.get(key), 0.0)
        except ValueError as e:
            out.append((key, str(e)))
    return out


def _seconds(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return float(value)
    return durations.parse(str(value))


class GoldenPathServer:
    def __init__(self, config: Mapping[str, Any]) -> None:
        errors = config_errors(config)
        if errors:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in errors))
        c = dict(config)
        self.mode = str(c.get("mode", "healthy"))
        self.token: str | None = c.get("token")
        self.path: str | None = c.get("path")
        self.events: tuple[str, ...] = tuple(c.get("events", EVENTS))
        self.delay = _seconds(c.get("delay"), 1.0 if self.mode == "slow" else 0.0)
        self.partial_count = int(c.get("partial_count", 3))
        self.close_after = str(c.get("close_after", "agent_thinking"))
        self.close_code = int(c.get("close_code", 1000))
        self.close_reason = str(c.get("close_reason", "main cleanup"))
        self.reject_status = int(c.get("reject_status", 500))
        self.reject_body = str(c.get("reject_body", "no subprotocols supported"))
        self.welcome = bool(c.get("welcome", True))
        self.result = str(c.get("result", "Readiness probe answered."))
        self.window = _seconds(c.get("concurrency_window"), 0.3)
        self.survivors = int(c.get("survivors", 0))
        self.login: Mapping[str, Any] | None = c.get("login")
        self.handshakes: list[dict[str, Any]] = []
        self.peak_sessions = 0
        self.url = ""
        self.login_url = ""
        self._lock = threading.Lock()
        self._live: dict[int, bool] = {}  # id(connection) -> ever shared the server
        self._rank: dict[int, int] = {}  # id(connection) -> sessions already open when it came
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._login_server: ThreadingHTTPServer | None = None
        self._login_thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> str:
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            select_subprotocol=self._select,
            process_request=self._process_request,
            process_response=self._opened,
            ping_interval=None,
            close_timeout=2,
            logger=quiet_logger("gate.emulator.websocket"),
        )
        port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="golden-path-ws", daemon=True)
        self._thread.start()
        self.url = f"ws://127.0.0.1:{port}"
        if self.login is not None:
            self._start_login()
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)
        if self._login_server is not None:
            self._login_server.shutdown()
            self._login_server.server_close()
        if self._login_thread is not None:
            self._login_thread.join(5)

    def __enter__(self) -> GoldenPathServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- handshake -----------------------------------------------------------

    def _valid_token(self, candidate: str) -> bool:
        if self.token is None:
            return True
        if candidate == self.token:
            return True
        try:
            padded = candidate + "=" * (-len(candidate) % 4)
            return base64.urlsafe_b64decode(padded).decode() == self.token
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False

    def _jwt_subprotocol(self, offered: Sequence[str]) -> Subprotocol | None:
        for s in offered:
            if s.startswith("jwt.") and self._valid_token(s[4:]):
                return Subprotocol(s)
        return None

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        offered = _offered(request.headers)
        bearer = request.headers.get("Authorization", "")
        with self._lock:
            self.handshakes.append(
                {
                    "path": request.path,
                    "host": request.headers.get("Host"),
                    "subprotocol_offered": bool(offered),
                    "bearer_offered": bearer.startswith("Bearer "),
                }
            )
        if self.path is not None and request.path.split("?")[0] != self.path:
            return conn.respond(http.HTTPStatus.NOT_FOUND, "not found\n")
        if self.mode == "reject_subprotocol" and offered:
            return conn.respond(self.reject_status, self.reject_body + "\n")
        if self.token is not None:
            header_ok = bearer.startswith("Bearer ") and self._valid_token(bearer[7:])
            if not header_ok and self._jwt_subprotocol(offered) is None:
                return conn.respond(http.HTTPStatus.UNAUTHORIZED, "unauthorized\n")
        return None

    def _select(self, conn: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        if self.mode == "no_subprotocol":
            return None
        return self._jwt_subprotocol(offered)

    # -- conversation ----------------------------------------------------------

    def _opened(self, conn: ServerConnection, request: Request, response: Response) -> None:
        # Counted before the 101 goes out, not when the handler thread gets to run: a
        # client that saw its handshake complete is open on the server's books too.
        if response.status_code != http.HTTPStatus.SWITCHING_PROTOCOLS:
            return
        key = id(conn)
        with self._lock:
            self._rank[key] = len(self._live)
            self._live[key] = len(self._live) > 0
            if self._live[key]:
                for other in self._live:
                    self._live[other] = True
            self.peak_sessions = max(self.peak_sessions, len(self._live))

    def _handle(self, conn: ServerConnection) -> None:
        key = id(conn)
        try:
            if self.welcome:
                conn.send(json.dumps({"type": "connection_established", "payload": {}}))
            conn.recv()  # the agent starts on the user's message
            self._converse(conn, key)
            for _ in conn:  # stay open until the client leaves
                pass
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._live.pop(key, None)
                self._rank.pop(key, None)

    def _converse(self, conn: ServerConnection, key: int) -> None:
        if self.mode == "silent":
            return
        events = self.events[: self.partial_count] if self.mode == "partial" else self.events
        for i, name in enumerate(events):
            if i and self.delay and self._stopping.wait(self.delay):
                return
            conn.send(json.dumps(self._event(name)))
            if name != self.close_after:
                continue
            if self.mode == "close_midway":
                conn.close(self.close_code, self.close_reason)
                return
            if self.mode == "fail_under_concurrency":
                # Give sessions opened together time to be seen, as the real race needs load.
                if self._stopping.wait(self.window):
                    return
                with self._lock:
                    crowded = self._live.get(key, False) and self._rank.get(key, 0) >= self.survivors
                if crowded:
                    conn.close(self.close_code, self.close_reason)
                    return

    def _event(self, name: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"agent_name": "supervisor"}
        if name == self.events[-1]:
            payload.update(status="success", result=self.result)
        return {"type": name, "payload": payload, "timestamp": time.time()}

    # -- login -------------------------------------------------------------

    def _start_login(self) -> None:
        assert self.login is not None
        path = str(self.login.get("path", "/auth/login"))
        token = self.login.get("token", self.token)
        if not token:
            raise ValueError("login needs a token (login.token or token)")
        credentials = dict(self.login.get("credentials", {}))

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # else keep-alive answers come ~40 ms late

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = None
                if self.path != path:
                    self._reply(404, {"detail": "not found"})
                elif not isinstance(body, dict) or any(body.get(k) != v for k, v in credentials.items()):
                    self._reply(401, {"detail": "invalid credentials"})
                else:
                    self._reply(200, {"access_token": token, "token_type": "bearer"})

            def _reply(self, status: int, data: Mapping[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests and worlds read results, not access logs

        self._login_server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self._login_server.daemon_threads = True
        port = self._login_server.server_address[1]
        self._login_thread = threading.Thread(
            target=self._login_server.serve_forever, name="golden-path-login", daemon=True
        )
        self._login_thread.start()
        self.login_url = f"http://127.0.0.1:{port}{path}"


def _offered(headers: Headers) -> list[str]:
    out: list[str] = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        out.extend(s.strip() for s in value.split(",") if s.strip())
    return out
