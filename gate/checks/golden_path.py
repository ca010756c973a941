"""``websocket.golden_path``: log in, open the WebSocket, send a message, see the agent answer.

The probe a user's first chat message takes on Netra: handshake with the
``jwt.<token>`` subprotocol, send ``user_message``, then the five agent events
in order, optionally with N sessions open at once. It catches a rejected
handshake (S4), a silent agent pipeline (S10) and sessions dropped under
concurrency (S11), and passes a healthy backend (S12).

The WebSocket work (threads, sockets, timeouts) lives in :mod:`gate.probes.ws`;
this module turns parameters into a plan and the sessions' facts into a verdict.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from gate import durations
from gate.checks import jsonpath_assert
from gate.checks.base import CheckType
from gate.checks.probe_url import probe_base
from gate.context import AttemptContext
from gate.model import CheckSpec, Outcome, Status
from gate.probes import ws as probe_ws
from gate.redact import redact_url

EVENTS = ("agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed")
MESSAGE = {"type": "user_message", "payload": {"content": "gate readiness probe"}}
_DURATION = {"type": "string", "pattern": durations.PATTERN}
# Failures that say the probe could not run, not that the product is broken.
_ERROR_KINDS = {"config", "internal"}

_REMEDIATION = {
    "handshake": "The backend refused the WebSocket upgrade. A 500/503 with 'no subprotocols supported' "
    "means the deployed build cannot negotiate the jwt.<token> subprotocol (S4): deploy the build that does.",
    "subprotocol": "The server must answer with the offered jwt subprotocol in Sec-WebSocket-Protocol; "
    "browsers drop a connection whose offered subprotocol is not selected.",
    "timeout": "The agent pipeline did not emit its events in time (S10): check the backend's boot log for "
    "startup validation errors such as 'LLM Manager is None'.",
    "events": "The agent pipeline did not emit its events (S10): check the backend's boot log for "
    "startup validation errors such as 'LLM Manager is None'.",
    "error_event": "The agent reported an error instead of completing: see the backend logs.",
    "closed": "The server closed the session mid-conversation; under concurrent sessions this is the "
    "'main cleanup' race (S11) in the WebSocket manager's connection cleanup.",
    "final": "The agent completed but its final message did not match the check's final assertions.",
    "latency": "The golden path works but is slower than the policy's latency budget.",
}
_AUTH = (
    "The backend refused the probe's token: check that it is valid for this environment (the backend's "
    "JWT_SECRET_KEY must match the auth service that issued it)."
)
_NETWORK = "Check the URL and that the service is deployed and reachable from where gate runs."


class GoldenPath(CheckType):
    name = "websocket.golden_path"
    summary = "Open the WebSocket, send a message and require the agent's events in order"
    description = (
        "Connects like the web app does (bearer token offered as the jwt.<token> subprotocol and/or an "
        "Authorization header), sends one message and waits for each expected event in order, each "
        "within step_timeout. With sessions > 1 all sessions hold their connections open together "
        "before sending. FAILs name the HTTP status of a rejected handshake, a subprotocol the server "
        "did not select, the events that never came, or the close code that ended a session."
    )
    apis = ("run",)

    @classmethod
    def uses_cloud(cls, params: Mapping[str, Any]) -> bool:
        return "service" in params  # a literal URL needs no Google API

    params_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "url": {
                "type": "string",
                "pattern": "^wss?://",
                "description": "WebSocket URL (ws:// or wss://).",
            },
            "service": {
                "type": "string",
                "minLength": 1,
                "description": "Cloud Run service whose URL to probe.",
            },
            "tag": {"type": "string", "minLength": 1, "description": "Traffic tag of the service to probe."},
            "path": {
                "type": "string",
                "pattern": "^/",
                "default": "/ws",
                "description": "Path with service.",
            },
            "token_env": {
                "type": "string",
                "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                "description": "Environment variable holding the bearer token.",
            },
            "login": {
                "type": "object",
                "additionalProperties": False,
                "required": ["url"],
                "description": "Obtain the token by POSTing JSON to a login endpoint.",
                "properties": {
                    "url": {"type": "string", "pattern": "^https?://"},
                    "json": {
                        "type": "object",
                        "default": {},
                        "description": "Request body; a value may be {env: VAR} to read the environment.",
                        "additionalProperties": {
                            "anyOf": [
                                {"type": ["string", "number", "boolean", "null"]},
                                {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["env"],
                                    "properties": {"env": {"type": "string", "minLength": 1}},
                                },
                            ]
                        },
                    },
                    "token_path": {"type": "string", "minLength": 1, "default": "access_token"},
                },
            },
            "subprotocol": {"type": "boolean", "default": True, "description": "Offer jwt.<token>."},
            "subprotocol_encoding": {
                "enum": ["base64url", "raw"],
                "default": "base64url",
                "description": "How the token is written after 'jwt.': base64url of the JWT (as Netra's "
                "clients do) or the JWT as is.",
            },
            "header": {"type": "boolean", "default": True, "description": "Send Authorization: Bearer."},
            "send": {
                "type": "object",
                "default": MESSAGE,
                "description": "JSON message sent after connecting.",
            },
            "expect_events": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1},
                "default": list(EVENTS),
                "description": "Event names that must arrive in this order (others in between are ignored).",
            },
            "event_field": {
                "type": "string",
                "minLength": 1,
                "default": "type",
                "description": "Dotted path to the event name in each message.",
            },
            "error_events": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": ["error"],
                "description": "Event names that fail the session at once.",
            },
            "final": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
                "description": "Assertions on the message carrying the last expected event, in the "
                "language of http.health expect.json, e.g. 'payload.status == \"success\"'.",
            },
            "step_timeout": {**_DURATION, "default": "30s", "description": "Wait per event (and handshake)."},
            "timeout": {**_DURATION, "default": "120s", "description": "Whole probe, within the deadline."},
            "sessions": {
                "type": "integer",
                "minimum": 1,
                "maximum": 50,
                "default": 1,
                "description": "Sessions opened together; all hold their connection before sending.",
            },
            "require": {
                "description": "Sessions that must succeed: a count, or a fraction below 1. Default all.",
                "anyOf": [
                    {"type": "integer", "minimum": 1},
                    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                ],
            },
            "latency": {
                "type": "object",
                "additionalProperties": False,
                "description": "Budgets on the p95 over successful sessions, from the message sent.",
                "properties": {"first_event": _DURATION, "final": _DURATION},
            },
        },
    }
    example: ClassVar[Mapping[str, Any]] = {
        "id": "golden-path",
        "type": "websocket.golden_path",
        "timeout": "150s",
        "with": {
            "service": "netra-backend-staging",
            "path": "/ws",
            "token_env": "NETRA_E2E_TOKEN",
            "sessions": 5,
            "latency": {"first_event": "500ms", "final": "2s"},
        },
    }

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if ("url" in params) == ("service" in params):
            out.append(("", "give exactly one of url or service"))
        if "url" in params and ("tag" in params or "path" in params):
            out.append(("url", "tag and path go with service, not url"))
        if "token_env" in params and "login" in params:
            out.append(("login", "give token_env or login, not both"))
        require = params.get("require")
        if isinstance(require, int) and require > params.get("sessions", 1):
            out.append(("require", f"require {require} is more than sessions {params.get('sessions', 1)}"))
        for i, text in enumerate(params.get("final", [])):
            try:
                jsonpath_assert.parse(text)
            except jsonpath_assert.AssertionSyntaxError as e:
                out.append((f"final[{i}]", str(e)))
        for key in ("step_timeout", "timeout"):
            if key in params:
                try:
                    durations.parse(params[key])
                except ValueError as e:
                    out.append((key, str(e)))
        return out

    def __init__(self, spec: CheckSpec) -> None:
        super().__init__(spec)
        p = self.params
        self.expect = tuple(p.get("expect_events", EVENTS))
        self.step_timeout = durations.parse(p.get("step_timeout", "30s"))
        self.timeout = durations.parse(p.get("timeout", "120s"))
        self.sessions = int(p.get("sessions", 1))
        require = p.get("require")
        if require is None:
            self.require = self.sessions
        elif require < 1:
            self.require = max(1, -int(-require * self.sessions // 1))  # ceil
        else:
            self.require = int(require)
        self.final = [jsonpath_assert.parse(text) for text in p.get("final", [])]
        budgets = p.get("latency", {})
        self.budgets = {k: durations.parse(v) for k, v in budgets.items()}

    def attempt(self, ctx: AttemptContext) -> Outcome:
        deadline = min(ctx.deadline, time.monotonic() + self.timeout)
        url = self._target(ctx)
        if isinstance(url, Outcome):
            return url
        token = self._token(ctx)
        if isinstance(token, Outcome):
            return token
        plan, connected = self._plan(ctx, url, token)
        started = time.monotonic()
        results = probe_ws.run_sessions(
            plan, self.sessions, deadline, ctx.run.cancelled, ctx.run.redactor.text
        )
        _record(ctx, url, plan, results, time.monotonic() - started)
        ctx.check_cancelled()
        for r in results:
            self._check_final(r)
        evidence: dict[str, Any] = {"url": redact_url(url), "events_expected": list(self.expect)}
        if connected:
            evidence["connected_to"] = connected
        if plan.subprotocols:
            encoding = self.params.get("subprotocol_encoding", "base64url")
            evidence["subprotocol_offered"] = f"jwt.<token, {encoding}>"
        if "Authorization" in plan.headers:
            evidence["authorization_header"] = "Bearer <token>"
        return _judge(self, results, evidence, ctx)

    # -- building the plan -------------------------------------------------

    def _target(self, ctx: AttemptContext) -> str | Outcome:
        if "url" in self.params:
            url = str(self.params["url"])
        else:
            if ctx.run.cloud is None:
                return Outcome.error("no Cloud Run provider in this run to look up the service URL")
            tag = self.params.get("tag")
            base = probe_base(ctx, str(self.params["service"]), {"tag": tag} if tag else {})
            if isinstance(base, Outcome):
                return base
            p = urlsplit(base.url)
            scheme = "wss" if p.scheme == "https" else "ws"
            url = urlunsplit((scheme, p.netloc, str(self.params.get("path", "/ws")), "", ""))
        if (refused := _refused(ctx, url)) is not None:
            return Outcome.error(str(refused), evidence={"url": redact_url(url)}, final=True)
        return url

    def _token(self, ctx: AttemptContext) -> str | Outcome | None:
        if "token_env" in self.params:
            var = self.params["token_env"]
            value = ctx.env.get(var)
            if not value:
                return Outcome.error(f"environment variable {var} (token_env) is not set or empty")
            return ctx.secret(value)
        login = self.params.get("login")
        if login is None:
            return None
        body: dict[str, Any] = {}
        for key, value in login.get("json", {}).items():
            if isinstance(value, Mapping):
                env_value = ctx.env.get(value["env"])
                if env_value is None:
                    return Outcome.error(f"environment variable {value['env']} (login.json.{key}) is not set")
                value = env_value
            if isinstance(value, str):
                ctx.secret(value)  # credentials: never shown, even a username
            body[key] = value
        if (refused := ctx.resolver.refused(login["url"])) is not None:
            return Outcome.error(str(refused), evidence={"login_url": redact_url(login["url"])}, final=True)
        rw = ctx.resolver.rewrite(login["url"])
        host = rw.host if rw.url != login["url"] else None
        try:
            token = probe_ws.login(
                rw.url,
                body,
                login.get("token_path", "access_token"),
                host=host,
                timeout=max(0.1, min(self.step_timeout, ctx.remaining())),
                scrub=ctx.run.redactor.text,
            )
        except probe_ws.LoginFailed as e:
            return Outcome.failed(
                ctx.run.redactor.text(str(e)),
                evidence={"login_url": redact_url(login["url"])},
                remediation="The login step of the golden path failed: check the auth service and the "
                "probe user's credentials.",
            )
        return ctx.secret(token)

    def _plan(self, ctx: AttemptContext, url: str, token: str | None) -> tuple[probe_ws.SessionPlan, str]:
        p = self.params
        subprotocols: tuple[str, ...] = ()
        headers: dict[str, str] = {}
        if token is not None:
            if p.get("subprotocol", True):
                encoded = token
                if p.get("subprotocol_encoding", "base64url") == "base64url":
                    encoded = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
                subprotocols = (ctx.secret(f"jwt.{ctx.secret(encoded)}"),)
            if p.get("header", True):
                headers["Authorization"] = ctx.secret(f"Bearer {token}")
        uri, address, connected = _route(ctx, url)
        plan = probe_ws.SessionPlan(
            uri=uri,
            message=json.dumps(p.get("send", MESSAGE)),
            expect=self.expect,
            event_field=p.get("event_field", "type"),
            error_events=tuple(p.get("error_events", ("error",))),
            subprotocols=subprotocols,
            headers=headers,
            address=address,
            step_timeout=self.step_timeout,
        )
        return plan, connected

    def _check_final(self, r: probe_ws.SessionResult) -> None:
        if not r.ok:
            return
        for assertion in self.final:
            result = jsonpath_assert.evaluate(assertion, r.final)
            if not result.ok:
                r.ok, r.kind, r.failure = False, "final", f"final message: {result.message}"
                return


def _as_http(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit(({"wss": "https", "ws": "http"}.get(p.scheme, p.scheme), p.netloc, p.path, p.query, ""))


def _refused(ctx: AttemptContext, url: str) -> Exception | None:
    """A dry run's refusal of ``url`` unless its ws or http origin is mapped to a local server."""
    refused = ctx.resolver.refused(url)
    if refused is None or ctx.resolver.refused(_as_http(url)) is None:
        return None
    return refused


def _route(ctx: AttemptContext, url: str) -> tuple[str, tuple[str, int] | None, str]:
    """Where to connect: a world's local server if the resolver maps the origin.

    Worlds map a service's https origin; Cloud Run serves its WebSocket on the
    same origin, so a wss URL also matches an https rule (and ws an http one).
    """
    rw = ctx.resolver.rewrite(url) if ctx.resolver.refused(url) is None else None
    if rw is None or rw.url == url:
        http = _as_http(url)
        rw = ctx.resolver.rewrite(http)
        if rw.url == http:
            return url, None, ""
    local = urlsplit(rw.url)
    scheme = "wss" if local.scheme in ("https", "wss") else "ws"
    port = local.port or (443 if scheme == "wss" else 80)
    uri = urlunsplit((scheme, rw.host, local.path or "/", local.query, ""))
    return uri, (local.hostname or "127.0.0.1", port), f"{local.hostname}:{port}"


def _judge(
    check: GoldenPath, results: list[probe_ws.SessionResult], evidence: dict[str, Any], ctx: AttemptContext
) -> Outcome:
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    metrics = _metrics(ok, len(failed))
    n = len(results)
    if n == 1:
        evidence.update(_session_evidence(results[0]))
    else:
        evidence["sessions"] = {"total": n, "ok": len(ok), "failed": len(failed), "require": check.require}
        if failed:
            evidence["failures"] = [{"session": r.index + 1, **_session_evidence(r)} for r in failed]
    evidence = ctx.run.redactor.deep(evidence)
    if len(ok) < check.require:
        kinds = Counter(r.kind for r in failed)
        kind = kinds.most_common(1)[0][0]
        status = Status.ERROR if all(r.kind in _ERROR_KINDS for r in failed) else Status.FAIL
        if n == 1:
            summary = _reason(results[0], check.expect)
        else:
            groups = Counter(_reason(r, check.expect) for r in failed)
            detail = "; ".join(f"{text} ({count})" for text, count in groups.most_common())
            summary = f"{len(failed)} of {n} concurrent sessions failed: {detail}"
        remediation = _REMEDIATION.get(kind, _NETWORK)
        if kind == "handshake" and any(r.http_status in (401, 403) for r in failed):
            remediation = _AUTH
        return Outcome(
            status,
            ctx.run.redactor.text(summary),
            evidence=evidence,
            remediation=remediation,
            metrics=metrics,
        )
    over = _over_budget(check, ok, n)
    if over:
        return Outcome.failed(
            "; ".join(over), evidence=evidence, remediation=_REMEDIATION["latency"], metrics=metrics
        )
    if n == 1:
        # Timings stay in metrics: a summary must not change from run to run.
        summary = f"all {len(check.expect)} events arrived in order"
    else:
        summary = f"{len(ok)} of {n} concurrent sessions completed the golden path"
        if failed:
            groups = Counter(_reason(r, check.expect) for r in failed)
            detail = "; ".join(f"{text} ({count})" for text, count in groups.most_common())
            summary += f" (require {check.require}); {len(failed)} failed: {detail}"
    return Outcome.passed(summary, evidence=evidence, metrics=metrics)


def _record(
    ctx: AttemptContext,
    url: str,
    plan: probe_ws.SessionPlan,
    results: list[probe_ws.SessionResult],
    duration: float,
) -> None:
    """Put the sessions in the evidence bundle (``--evidence``): shapes and events, never the token."""
    recorder = ctx.run.recorder
    if recorder is None:
        return
    request = {
        "url": redact_url(url),
        "sessions": len(results),
        "subprotocol_offered": bool(plan.subprotocols),
        "headers": sorted(plan.headers),  # names only
        "message": plan.message,
    }
    response = {"sessions": [{"session": r.index + 1, "ok": r.ok, **_session_evidence(r)} for r in results]}
    recorder.record(ctx.check_id, kind="websocket", request=request, response=response, duration=duration)


def _reason(r: probe_ws.SessionResult, expect: tuple[str, ...]) -> str:
    if r.kind in ("timeout", "error_event") and r.missing:
        got = [e for e in r.received if e in expect] or ["none"]
        return f"events never came: {', '.join(r.missing)} (received: {', '.join(got)}); {r.failure}"
    return r.failure


def _session_evidence(r: probe_ws.SessionResult) -> dict[str, Any]:
    out: dict[str, Any] = {"events_received": r.received}
    if not r.ok:
        out["failure"] = r.failure
    if r.missing:
        out["events_missing"] = r.missing
    if r.http_status is not None:
        out["http_status"] = r.http_status
        out["http_body"] = r.http_body
    if r.close:
        out["close"] = r.close
    if r.subprotocol is not None:
        out["subprotocol_selected"] = r.subprotocol  # redacted by the caller: it carries the token
    return out


def _metrics(ok: list[probe_ws.SessionResult], failed: int) -> dict[str, float]:
    import statistics  # here: it pulls in decimal and fractions, ~5 ms of `gate validate`

    m: dict[str, float] = {"sessions_ok": float(len(ok)), "sessions_failed": float(failed)}
    for name in ("connect_ms", "first_event_ms", "final_ms"):
        values = [v for r in ok if (v := getattr(r, name)) is not None]
        if not values:
            continue
        key = "ws_connect_ms" if name == "connect_ms" else name
        m[key] = round(statistics.median(values), 1)
        if name != "connect_ms":
            m[name.replace("_ms", "_p95_ms")] = round(probe_ws.percentile(values, 95), 1)
    return m


def _over_budget(check: GoldenPath, ok: list[probe_ws.SessionResult], n: int) -> list[str]:
    out = []
    for key, label in (("first_event", "first event"), ("final", "final event")):
        budget = check.budgets.get(key)
        values = [v for r in ok if (v := getattr(r, f"{key}_ms")) is not None]
        if budget is None or not values:
            continue
        p95 = probe_ws.percentile(values, 95)
        if p95 > budget * 1000:
            which = f"{label} p95" if n > 1 else label
            out.append(f"{which} {p95:.0f}ms over budget {durations.format(budget)}")
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
