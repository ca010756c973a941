"""The parameters of ``http.health``: their JSON Schema and their compilation.

Compiled once per check when the policy loads: assertions parsed, durations and
sizes converted, combinations the schema cannot express rejected with the key
path, so a mistake is a policy error (exit 2) rather than a FAIL at deploy time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gate import durations
from gate.checks import jsonpath_assert as ja
from gate.probes import http as probe_http
from gate.redact import redact_url

_DURATION = {"type": "string", "pattern": durations.PATTERN}
_SIZE_PATTERN = r"^\d+(\.\d+)?\s*(B|KB|KiB|MB|MiB|GB|GiB)$"
_SIZE_UNITS = {"B": 1, "KB": 1000, "KiB": 1024, "MB": 1000**2, "MiB": 1024**2, "GB": 1000**3, "GiB": 1024**3}
_STATUS = {
    "oneOf": [
        {"type": "integer", "minimum": 100, "maximum": 599},
        {"type": "string", "pattern": "^[1-5]xx$"},
    ]
}
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")

PARAMS_SCHEMA: Mapping[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "url": {
            "type": "string",
            "pattern": "^https?://[^/?#]+",
            "description": "The URL to call, e.g. https://api.example.com/health. Use either url or service.",
        },
        "service": {
            "type": "string",
            "minLength": 1,
            "description": "A Cloud Run service in the policy's project and region whose URL is called "
            "(instead of url).",
        },
        "tag": {
            "type": "string",
            "minLength": 1,
            "description": "With service: call this traffic tag's URL (a tagged candidate revision) "
            "instead of the service URL.",
        },
        "path": {
            "type": "string",
            "default": "/",
            "description": "With service: the path (and query) appended to the service URL, e.g. /health.",
        },
        "method": {
            "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            "default": "GET",
            "description": "HTTP method.",
        },
        "headers": {
            "type": "object",
            "default": {},
            "description": "Request headers: name to a literal string, or to {env: VAR} to take the value "
            "from an environment variable (never shown; a missing variable is an ERROR).",
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["env"],
                        "properties": {"env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}},
                    },
                ]
            },
        },
        "body": {
            "type": "string",
            "description": "Request body sent as text (POST, PUT, PATCH, DELETE). Not with json.",
        },
        "json": {
            "description": "Request body sent as JSON with Content-Type application/json. Not with body.",
        },
        "expect": {
            "type": "object",
            "additionalProperties": False,
            "default": {"status": 200},
            "description": "What a healthy answer looks like.",
            "properties": {
                "status": {
                    "default": 200,
                    "description": "Accepted status: a code, a class like 2xx, or a list of them.",
                    "oneOf": [_STATUS, {"type": "array", "minItems": 1, "items": _STATUS}],
                },
                "json": {
                    "type": "array",
                    "default": [],
                    "items": {"type": "string"},
                    "description": 'Assertions on the JSON body, e.g. status == "healthy", '
                    'checks.redis.status in ["healthy", "ok"], uptime > 10, checks.db exists, '
                    "len(items) >= 1.",
                },
                "body_contains": {
                    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                    "default": [],
                    "description": "Text (or texts) the body must contain.",
                },
                "body_not_contains": {
                    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                    "default": [],
                    "description": "Text (or texts) the body must not contain.",
                },
                "headers": {
                    "type": "object",
                    "default": {},
                    "description": "Response headers: name to an exact value, or to {matches: regex}, "
                    "or to {exists: true/false}.",
                    "additionalProperties": {
                        "oneOf": [
                            {"type": "string"},
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["matches"],
                                "properties": {"matches": {"type": "string"}},
                            },
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["exists"],
                                "properties": {"exists": {"type": "boolean"}},
                            },
                        ]
                    },
                },
            },
        },
        "latency": {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "description": "Latency budget, measured from sending the request to the last body byte.",
            "properties": {
                "max": {**_DURATION, "description": "Every answer must take at most this long, e.g. 2s."},
                "p95": {
                    **_DURATION,
                    "description": "The 95th percentile over `samples` answers, e.g. 500ms.",
                },
                "samples": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 1000,
                    "default": 1,
                    "description": "Requests per attempt (at least 2 with p95); all must pass.",
                },
            },
        },
        "follow_redirects": {
            "type": "boolean",
            "default": False,
            "description": "Follow redirects (up to 10). When false, a redirect is a FAIL naming "
            "its Location.",
        },
        "max_body": {
            "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": _SIZE_PATTERN}],
            "default": "1MiB",
            "description": "Largest body read, in bytes or like 512KiB; a larger body is a FAIL.",
        },
        "connect_timeout": {**_DURATION, "default": "5s", "description": "Time limit to connect."},
        "read_timeout": {
            **_DURATION,
            "default": "10s",
            "description": "Time limit for each read; the attempt's timeout bounds the whole exchange.",
        },
        "verify_tls": {
            "type": "boolean",
            "default": True,
            "description": "Verify the server's TLS certificate. Turn off only for test endpoints.",
        },
        "id_token": {
            "oneOf": [{"type": "boolean"}, {"type": "string", "minLength": 1}],
            "default": False,
            "description": "Send a Google ID token (for Cloud Run services that require authentication): "
            "true uses the service URL as audience, a string is the audience.",
        },
    },
}


@dataclass(frozen=True)
class HttpConfig:
    url: str | None
    service: str | None
    tag: str | None
    path: str
    method: str
    headers: tuple[tuple[str, str | None, str | None], ...]  # (name, literal, env var name)
    content: bytes | None
    content_type: str | None
    statuses: tuple[int | str, ...]  # codes, or classes like "2xx"
    assertions: tuple[ja.Assertion, ...]
    body_contains: tuple[str, ...]
    body_not_contains: tuple[str, ...]
    expect_headers: tuple[tuple[str, str, Any], ...]  # (name, "equals"|"matches"|"exists", value)
    latency_max: float | None
    latency_p95: float | None
    samples: int
    follow_redirects: bool
    max_body: int
    connect_timeout: float
    read_timeout: float
    verify_tls: bool
    id_token: bool | str

    def expects_status(self, status: int) -> bool:
        return any(s == status if isinstance(s, int) else str(status)[0] == s[0] for s in self.statuses)

    def status_text(self) -> str:
        return " or ".join(str(s) for s in self.statuses)


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = re.match(_SIZE_PATTERN, str(value).strip())
    if not m:
        raise ValueError(f'expected a size like 1048576 or "1MiB", got {value!r}')
    return int(float(str(value).strip()[: m.start(2)]) * _SIZE_UNITS[m.group(2)])


def compile_params(params: Mapping[str, Any]) -> tuple[HttpConfig | None, list[tuple[str, str]]]:
    """Check what the schema cannot and build the config; (None, errors) if anything is wrong."""
    errors: list[tuple[str, str]] = []
    try:
        cfg = _compile(params, errors)
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        # Only reachable when the schema was not applied first; still a precise-enough error.
        errors.append(("", f"invalid parameters ({type(e).__name__}: {e})"))
        return None, errors
    return (None if errors else cfg), errors


def _duration(
    params: Mapping[str, Any], key: str, default: str | None, path: str, errors: list[tuple[str, str]]
) -> float | None:
    raw = params.get(key, default)
    if raw is None:
        return None
    try:
        value = durations.parse(str(raw))
    except ValueError as e:
        errors.append((path, str(e)))
        return None
    if value <= 0:
        errors.append((path, "must be longer than 0s"))
    return value


def _compile(params: Mapping[str, Any], errors: list[tuple[str, str]]) -> HttpConfig:
    url, service, tag = params.get("url"), params.get("service"), params.get("tag")
    if (url is None) == (service is None):
        errors.append(("", "give exactly one of url or service"))
    if url is not None:
        p = urlsplit(str(url))
        if p.scheme not in ("http", "https") or not p.hostname:
            errors.append(
                ("url", f"expected an http:// or https:// URL with a host, got {redact_url(str(url))!r}")
            )
        for key in ("tag", "path"):
            if key in params:
                errors.append((key, f"{key} is used with service; with url, put the path in the url"))
    method = str(params.get("method", "GET")).upper()

    headers: list[tuple[str, str | None, str | None]] = []
    for name, value in (params.get("headers") or {}).items():
        if not _HEADER_NAME.match(name):
            errors.append((f"headers.{name}", "not a valid header name"))
        elif name.lower() == "host":
            errors.append((f"headers.{name}", "Host is taken from the URL; it cannot be set"))
        if isinstance(value, Mapping):
            headers.append((name, None, str(value["env"])))
        else:
            headers.append((name, str(value), None))
    id_token = params.get("id_token", False)
    if id_token is not False and any(h[0].lower() == "authorization" for h in headers):
        errors.append(("id_token", "id_token sets the Authorization header; remove headers.Authorization"))

    content: bytes | None = None
    content_type: str | None = None
    if "body" in params and "json" in params:
        errors.append(("json", "give either body or json, not both"))
    if "body" in params or "json" in params:
        key = "json" if "json" in params else "body"
        if method not in _BODY_METHODS:
            errors.append((key, f"a request body is sent only with {', '.join(_BODY_METHODS)}, not {method}"))
        if key == "json":
            content, content_type = json.dumps(params["json"]).encode(), "application/json"
        else:
            content = str(params["body"]).encode()

    expect = params.get("expect") or {}
    raw_status = expect.get("status", 200)
    statuses = tuple(raw_status if isinstance(raw_status, list) else [raw_status])
    assertions: list[ja.Assertion] = []
    for i, text in enumerate(expect.get("json") or []):
        try:
            assertions.append(ja.parse(str(text)))
        except ja.AssertionSyntaxError as e:
            errors.append((f"expect.json[{i}]", str(e)))
    if assertions and method == "HEAD":
        errors.append(("expect.json", "a HEAD answer has no body to assert on; use GET"))
    expect_headers: list[tuple[str, str, Any]] = []
    for name, want in (expect.get("headers") or {}).items():
        if isinstance(want, Mapping) and "matches" in want:
            try:
                expect_headers.append((name, "matches", re.compile(str(want["matches"]))))
            except re.error as e:
                errors.append((f"expect.headers.{name}.matches", f"invalid regular expression: {e}"))
        elif isinstance(want, Mapping):
            expect_headers.append((name, "exists", bool(want.get("exists", True))))
        else:
            expect_headers.append((name, "equals", str(want)))

    latency = params.get("latency") or {}
    latency_max = _duration(latency, "max", None, "latency.max", errors)
    latency_p95 = _duration(latency, "p95", None, "latency.p95", errors)
    samples = int(latency.get("samples", 1))
    if samples < 1:
        errors.append(("latency.samples", "must be at least 1"))
    if latency_p95 is not None and samples < 2:
        errors.append(("latency.p95", "a p95 needs latency.samples of at least 2 (e.g. samples: 20)"))

    try:
        max_body = _size(params.get("max_body", probe_http.MiB))
        if max_body < 1:
            errors.append(("max_body", "must be at least 1 byte"))
    except ValueError as e:
        errors.append(("max_body", str(e)))
        max_body = probe_http.MiB
    return HttpConfig(
        url=None if url is None else str(url),
        service=None if service is None else str(service),
        tag=None if tag is None else str(tag),
        path=str(params.get("path", "/")),
        method=method,
        headers=tuple(headers),
        content=content,
        content_type=content_type,
        statuses=statuses,
        assertions=tuple(assertions),
        body_contains=_texts(expect.get("body_contains")),
        body_not_contains=_texts(expect.get("body_not_contains")),
        expect_headers=tuple(expect_headers),
        latency_max=latency_max,
        latency_p95=latency_p95,
        samples=samples,
        follow_redirects=bool(params.get("follow_redirects", False)),
        max_body=max_body,
        connect_timeout=_duration(params, "connect_timeout", "5s", "connect_timeout", errors) or 5.0,
        read_timeout=_duration(params, "read_timeout", "10s", "read_timeout", errors) or 10.0,
        verify_tls=bool(params.get("verify_tls", True)),
        id_token=id_token if isinstance(id_token, str) else bool(id_token),
    )
