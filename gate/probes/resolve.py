"""Send requests for a public origin to a local server, like curl's ``--resolve``.

Worlds describe services by their real URLs (``https://netra-backend-staging-
pnovr5vsba-uc.a.run.app``); the emulator serves their endpoints on loopback. A
Resolver maps an origin (``scheme://host[:port]``, host may start with ``*.``)
to a local base URL, and the check sends the original host in ``Host``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from gate.redact import redact_url

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True)
class Rewritten:
    url: str  # where to connect
    host: str  # the Host header to send: the original host[:port], never its user:password@
    original: str  # the URL as written, for reports


def _origin(url: str) -> tuple[str, str, int]:
    p = urlsplit(url)
    scheme = p.scheme.lower()
    host = (p.hostname or "").lower()
    port = p.port or _DEFAULT_PORTS.get(scheme, 0)
    return scheme, host, port


class UnmappedOrigin(Exception):
    """A dry run was about to reach a real endpoint: nothing maps its origin to a local server."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"dry run: {redact_url(url)} is not mapped to a local server (--resolve / GATE_RESOLVE), "
            "and gate never probes a real endpoint while it reads an emulator (GATE_EMULATOR_HOST or --world)"
        )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Resolver:
    """``strict`` (dry runs): an origin with no rule and not on loopback is refused, never dialled."""

    def __init__(self, mapping: Mapping[str, str] | None = None, *, strict: bool = False) -> None:
        self._rules: list[tuple[tuple[str, str, int], str]] = []
        self.strict = strict
        for origin, base in (mapping or {}).items():
            self.add(origin, base)

    def add(self, origin: str, base: str) -> None:
        self._rules.append((_origin(origin), base.rstrip("/")))

    @classmethod
    def parse(cls, specs: list[str]) -> Resolver:
        """``ORIGIN=BASE`` pairs, e.g. ``https://*.run.app=http://127.0.0.1:8123``."""
        r = cls()
        for spec in specs:
            origin, sep, base = spec.partition("=")
            if not sep or "://" not in origin or "://" not in base:
                raise ValueError(
                    f"expected ORIGIN=BASE like https://api.example.com=http://127.0.0.1:8080, got {spec!r}"
                )
            r.add(origin.strip(), base.strip())
        return r

    def __bool__(self) -> bool:
        return bool(self._rules)

    def refused(self, url: str) -> UnmappedOrigin | None:
        """Why ``url`` must not be dialled (a strict resolver with no rule for it), else None."""
        if not self.strict or self._rule(url) is not None:
            return None
        return None if is_loopback(urlsplit(url).hostname or "") else UnmappedOrigin(url)

    def _rule(self, url: str) -> str | None:
        scheme, host, port = _origin(url)
        for (r_scheme, r_host, r_port), base in self._rules:
            if r_scheme != scheme or r_port != port:
                continue
            if r_host == host or (r_host.startswith("*.") and host.endswith(r_host[1:])):
                return base
        return None

    def rewrite(self, url: str) -> Rewritten:
        """Where to connect for ``url``; raises UnmappedOrigin when a strict resolver refuses it."""
        refused = self.refused(url)
        if refused is not None:
            raise refused
        p = urlsplit(url)
        authority = p.netloc.rpartition("@")[2]  # never user:password@ in a Host header
        base = self._rule(url)
        if base is None:
            return Rewritten(url, authority, url)
        b = urlsplit(base)
        path = (b.path.rstrip("/") + p.path) if b.path else p.path
        return Rewritten(urlunsplit((b.scheme, b.netloc, path, p.query, "")), authority, url)
