"""``Emulator``: serve a World (the Google APIs, its endpoints, its WebSockets) on loopback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from gate.emulator.apis import all_routes
from gate.emulator.endpoints import EndpointServer
from gate.emulator.faults import Fault, FaultSet
from gate.emulator.server import ApiServer, Exchange, RecordedRequest
from gate.emulator.state import State, utc_now
from gate.emulator.world import World
from gate.errors import Diagnostic, InputError


class Emulator:
    """Start with ``start()`` or ``with``; ``stop()`` joins every thread it started."""

    def __init__(
        self,
        world: World,
        port: int = 0,
        endpoints_port: int = 0,
        clock: Callable[[], dt.datetime] = utc_now,
        *,
        exchanges: bool = False,
    ) -> None:
        """``exchanges=True`` also keeps every request body and response as sent (see ``exchanges``)."""
        self.world = world
        self._clock = clock
        self._keep_exchanges = exchanges
        self._port = port
        self._endpoints_port = endpoints_port
        self._faults = FaultSet([_copy(f) for f in world.faults])
        self._api: ApiServer | None = None
        self._endpoints: EndpointServer | None = None
        self._ws: list[Any] = []  # golden_path.GoldenPathServer instances
        self._threads: list[threading.Thread] = []
        self.resolver_map: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> Emulator:
        try:
            self._api = ApiServer(
                self._port,
                State(self.world, self._clock),
                all_routes(),
                self._faults,
                exchanges=self._keep_exchanges,
            )
            self._serve(self._api, "gate-emulator-api")
            http_eps = [e for e in self.world.endpoints if e.paths]
            if http_eps:
                self._endpoints = EndpointServer(http_eps, self._endpoints_port)
                self._serve(self._endpoints, "gate-emulator-endpoints")
                base = f"http://127.0.0.1:{self._endpoints.server_address[1]}"
                for ep in http_eps:
                    self.resolver_map[ep.origin] = base
            self._start_websockets()
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, server: Any, name: str) -> None:
        t = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True
        )
        t.start()
        self._threads.append(t)

    def _start_websockets(self) -> None:
        for ep in self.world.endpoints:
            ws_paths = {p: spec for p, spec in ep.paths.items() if spec.websocket is not None}
            if not ws_paths:
                continue
            if len(ws_paths) > 1:
                raise InputError(
                    [
                        Diagnostic(
                            None,
                            f"endpoints[{ep.origin}]",
                            "one websocket path per origin (the resolver maps an origin to one server)",
                        )
                    ]
                )
            from gate.emulator.agent_server import GoldenPathServer

            ((path, spec),) = ws_paths.items()
            server = GoldenPathServer({"path": path, **dict(spec.websocket or {})})
            self._ws.append(server)
            base = server.start()
            u = urlsplit(ep.origin)
            scheme = "wss" if u.scheme in ("https", "wss") else "ws"
            self.resolver_map[f"{scheme}://{u.netloc}"] = base

    def stop(self) -> None:
        for ws in self._ws:
            ws.stop()
        self._ws.clear()
        for server in (self._api, self._endpoints):
            if server is not None:
                server.stop()
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what tests and the benchmark use ---------------------------------
    @property
    def port(self) -> int:
        if self._api is None:
            raise RuntimeError("emulator not started")
        return int(self._api.server_address[1])

    @property
    def api_host(self) -> str:
        """``127.0.0.1:PORT``: the value for GATE_EMULATOR_HOST."""
        return f"127.0.0.1:{self.port}"

    @property
    def api_endpoint(self) -> str:
        """``http://127.0.0.1:PORT``: the clients' ``client_options={"api_endpoint": ...}``."""
        return f"http://{self.api_host}"

    @property
    def requests(self) -> list[RecordedRequest]:
        if self._api is None:
            return []
        with self._api.records_lock:
            return list(self._api.records)

    @property
    def exchanges(self) -> list[Exchange]:
        """Requests with their bodies and the answers as sent; empty unless ``exchanges=True``."""
        if self._api is None or self._api.exchanges is None:
            return []
        with self._api.records_lock:
            return list(self._api.exchanges)

    def clear_requests(self) -> None:
        if self._api is not None:
            with self._api.records_lock:
                self._api.records.clear()
                if self._api.exchanges is not None:
                    self._api.exchanges.clear()
                self._api.arrivals = 0

    def wait_for_arrivals(self, count: int, timeout: float) -> bool:
        """Whether ``count`` API requests have arrived (since start or ``clear_requests``)
        within ``timeout`` seconds; a request counts as soon as it is read, before a
        fault's delay or hang, so a test can wait for "in flight" on an event."""
        if self._api is None:
            raise RuntimeError("emulator not started")
        api = self._api
        with api.arrived:
            return api.arrived.wait_for(lambda: api.arrivals >= count, timeout)

    def add_fault(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def state(self) -> State:
        """The live (mutable) copy of the world's resources."""
        if self._api is None:
            raise RuntimeError("emulator not started")
        return self._api.state


def _copy(f: Fault) -> Fault:
    # Each run counts a world fault's ``times`` afresh.
    return dataclasses.replace(f, _used=0)
