"""Real HTTP(S) servers on 127.0.0.1 for tests, with misbehaviours on demand.

Usage::

    from tests.servers import serve, respond, json_body, trickle, hang

    with serve({"/health": json_body({"status": "healthy"}), "/slow": hang()}) as base:
        httpx.get(base + "/health")          # base is "http://127.0.0.1:PORT"
        base.requests                         # what the server received, in order
        base.arrived.wait(5)                  # an Event: set once a request has arrived

A route is matched on the path without the query string; ``"*"`` matches any
path not listed (unknown paths otherwise get 404). Behaviours are small frozen
objects built by the functions below:

- ``respond(status, body, headers, delay)`` a fixed answer (body: bytes, str, or
  JSON-able data, which is sent as ``application/json``); ``json_body(obj)``.
- ``trickle(body, bytes_per_second)`` declares the full length, then sends slowly.
- ``redirect(location, status)`` and ``redirect_loop()`` (Location is itself).
- ``huge(size)`` a body of ``size`` bytes generated on the fly.
- ``hang()`` reads the request and never answers (released when the server stops).
- ``close_mid_response(sent, declared)`` sends ``sent`` body bytes of ``declared``, then closes.
- ``echo(status)`` answers JSON ``{method, path, headers, body}`` of the request it got.

``serve(routes, tls=(certfile, keyfile))`` serves HTTPS; ``self_signed_cert(dir)``
makes a certificate for 127.0.0.1/localhost (None if neither ``cryptography``
nor ``openssl`` is available). ``refused_url()`` yields a URL whose port is bound
but not listening, so connecting is refused without any race.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str  # including the query string
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class BaseURL(str):
    """The server's base URL (a str), plus what it received."""

    requests: list[Received]
    port: int
    arrived: threading.Event  # set when the first request has been read (wait on it, never sleep)


@dataclass(frozen=True)
class Behaviour:
    kind: str
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    rate: float = 1.0  # trickle: bytes per second
    size: int = 0  # huge: body size; close_mid_response: declared length


def respond(
    status: int = 200,
    body: bytes | str | Any = b"",
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> Behaviour:
    hdrs = dict(headers or {})
    if isinstance(body, str):
        data = body.encode()
        hdrs.setdefault("Content-Type", "text/plain; charset=utf-8")
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    return Behaviour("respond", status=status, body=data, headers=tuple(hdrs.items()), delay=delay)


def json_body(obj: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Behaviour:
    return respond(status, obj if not isinstance(obj, (str, bytes)) else json.loads(obj), headers)


def trickle(body: bytes | str = b"x" * 100, bytes_per_second: float = 1.0, status: int = 200) -> Behaviour:
    data = body.encode() if isinstance(body, str) else body
    return Behaviour("trickle", status=status, body=data, rate=bytes_per_second)


def redirect(location: str, status: int = 302) -> Behaviour:
    return Behaviour("respond", status=status, headers=(("Location", location),))


def redirect_loop(status: int = 302) -> Behaviour:
    return Behaviour("redirect_loop", status=status)


def huge(size: int = 10 * 1024 * 1024, status: int = 200, declare_length: bool = True) -> Behaviour:
    """``declare_length=False`` omits Content-Length (the client must count bytes itself)."""
    return Behaviour("huge", status=status, size=size, rate=1.0 if declare_length else 0.0)


def hang() -> Behaviour:
    return Behaviour("hang")


def close_mid_response(sent: bytes = b'{"status": "hea', declared: int = 1000) -> Behaviour:
    return Behaviour("close_mid", body=sent, size=declared)


def echo(status: int = 200) -> Behaviour:
    return Behaviour("echo", status=status)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    routes: Mapping[str, Behaviour]
    received: list[Received]
    arrived: threading.Event
    stopping: threading.Event
    lock: threading.Lock


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this, keep-alive answers arrive ~40 ms late (Nagle + delayed ACK).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _handle(self) -> None:
        self._head_only = self.command == "HEAD"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.received.append(
                Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
        self.server.arrived.set()
        path = self.path.split("?", 1)[0]
        behaviour = self.server.routes.get(path) or self.server.routes.get("*")
        if behaviour is None:
            self._send(404, b"not found", (("Content-Type", "text/plain"),))
            return
        self._perform(behaviour)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    def _perform(self, b: Behaviour) -> None:
        stopping = self.server.stopping
        if b.kind == "respond":
            if b.delay and stopping.wait(b.delay):
                return
            self._send(b.status, b.body, b.headers)
        elif b.kind == "echo":
            r = self.server.received[-1]
            data = {"method": r.method, "path": r.path, "headers": dict(r.headers), "body": r.body.decode()}
            self._send(b.status, json.dumps(data).encode(), (("Content-Type", "application/json"),))
        elif b.kind == "redirect_loop":
            self._send(b.status, b"", (("Location", self.path),))
        elif b.kind == "hang":
            stopping.wait()
            self.close_connection = True
        elif b.kind == "trickle":
            self._start(b.status, len(b.body), (("Content-Type", "application/json"),))
            for i in range(len(b.body)):
                if stopping.wait(1.0 / b.rate):
                    break
                if not self._write(b.body[i : i + 1]):
                    break
            self.close_connection = True
        elif b.kind == "huge":
            self._start(b.status, b.size if b.rate else None, (("Content-Type", "application/json"),))
            chunk = b"x" * 65536
            left = b.size
            while left > 0 and not stopping.is_set():
                piece = chunk[: min(left, len(chunk))]
                if not self._write(piece):
                    break
                left -= len(piece)
            self.close_connection = True
        elif b.kind == "close_mid":
            self._start(200, b.size, (("Content-Type", "application/json"),))
            self._write(b.body)
            self.close_connection = True
        else:  # pragma: no cover - a typo in a test
            raise ValueError(b.kind)

    def _start(self, status: int, length: int | None, headers: tuple[tuple[str, str], ...]) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()

    def _send(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...]) -> None:
        self._start(status, len(body), headers)
        if not getattr(self, "_head_only", False):
            self._write(body)

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:  # the client gave up, which is what many tests provoke
            self.close_connection = True
            return False


@contextlib.contextmanager
def serve(
    routes: Mapping[str, Behaviour], *, tls: tuple[str | Path, str | Path] | None = None
) -> Iterator[BaseURL]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes = dict(routes)
    server.received = []
    server.arrived = threading.Event()
    server.stopping = threading.Event()
    server.lock = threading.Lock()
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        # Handshake in the handler thread, so a client that rejects the certificate
        # cannot stall the accept loop.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        scheme = "https"
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = BaseURL(f"{scheme}://127.0.0.1:{port}")
    base.requests = server.received
    base.arrived = server.arrived
    base.port = port
    try:
        yield base
    finally:
        server.stopping.set()  # releases hang/trickle/delay handlers
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def refused_url() -> Iterator[str]:
    """A URL on a port that is bound but not listening: connections are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def self_signed_cert(directory: str | Path) -> tuple[Path, Path] | None:
    """(certfile, keyfile) for CN=localhost with SANs localhost and 127.0.0.1, or None."""
    directory = Path(directory)
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        _cert_with_cryptography(cert, key)
        return cert, key
    except ImportError:
        pass
    if shutil.which("openssl") is None:
        return None
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def _cert_with_cryptography(cert_path: Path, key_path: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
