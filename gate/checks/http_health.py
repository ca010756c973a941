"""``http.health``: ask a service's health endpoint and judge the answer.

Catches S1 (health 503), S3 (health never answers: "timed out", bounded by the
attempt's deadline) and S8 (a 200 whose JSON body reports failing dependencies).
The exchange itself is :mod:`gate.probes.http`; body assertions are
:mod:`gate.checks.jsonpath_assert`. Parameters are compiled once, when the
policy loads (``compile_params``), so mistakes are policy errors, not FAILs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from gate.checks import jsonpath_assert as ja
from gate.checks.base import CheckType
from gate.checks.http_health_params import PARAMS_SCHEMA, HttpConfig, compile_params
from gate.checks.probe_url import probe_base
from gate.context import AttemptContext
from gate.model import CheckSpec, Outcome
from gate.probes import http as probe_http
from gate.probes.http import ProbeError, Response
from gate.probes.resolve import UnmappedOrigin
from gate.redact import CREDENTIAL_PARAMS, redact_url

EXCERPT = 300  # body characters quoted in a failure
RECORD_BODY = 4096  # body bytes kept in the evidence bundle
SENSITIVE_HEADER_WORDS = ("auth", "cookie", "token", "secret", "key", "session", "signature", "credential")

REMEDIATION = {
    ProbeError.CONNECTION_REFUSED: "Nothing accepts connections at that address: check the URL and port, "
    "and that the service is deployed and serving.",
    ProbeError.DNS: "The host name does not resolve: check the URL, or the custom domain's DNS and "
    "domain mapping.",
    ProbeError.TLS: "The server's certificate is not trusted for this host: check the domain mapping's "
    "certificate (set verify_tls: false only for a test endpoint).",
    ProbeError.CONNECT_TIMEOUT: "Nothing answered in time: check that the domain routes to the service "
    "(S3) and that ingress settings allow this caller.",
    ProbeError.READ_TIMEOUT: "The endpoint accepted the connection but did not answer in time: check the "
    "service's startup and its logs (S3).",
    ProbeError.DEADLINE: "The endpoint did not finish answering within the attempt's time limit: check the "
    "service's startup and logs, or raise the check's timeout.",
    ProbeError.BODY_TOO_LARGE: "Point the check at a small health endpoint, or raise max_body.",
    ProbeError.TOO_MANY_REDIRECTS: "The URL redirects in a loop: check the service's redirect rules.",
}
DEFAULT_REMEDIATION = "The endpoint did not answer properly: check the service's logs."


def _is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    return any(w in lowered for w in SENSITIVE_HEADER_WORDS)


class HttpHealth(CheckType):
    name = "http.health"
    summary = "Call a health endpoint: status, JSON body assertions, latency budget."
    description = (
        "Sends one request (or `latency.samples` requests) to a URL, or to a Cloud Run service's URL "
        "(or a tagged candidate's URL), and passes only if every answer has an expected status, the "
        "body satisfies every assertion and the latency fits the budget.\n\n"
        "The whole exchange is bounded by the attempt's timeout: a server that trickles its body or "
        "never answers fails with 'timed out', it cannot hold the gate. Redirects fail unless "
        "`follow_redirects` is set, bodies over `max_body` fail, and header values taken from the "
        "environment are never shown.\n\n"
        'Body assertions (`expect.json`), one comparison each: `status == "healthy"`, '
        '`checks.redis.status in ["healthy", "ok"]`, `version =~ "^1\\\\."`, `uptime > 10`, '
        '`checks.clickhouse exists`, `items[0].name == "x"`, `len(items) >= 1`, `"a.b".c == 1`. '
        "Operators: ==, !=, in, =~, <, <=, >, >=, exists, not exists; JSON literals on the right."
    )
    params_schema = PARAMS_SCHEMA
    example = {
        "id": "backend-deep-health",
        "type": "http.health",
        "timeout": "10s",
        "with": {
            "url": "https://netra-backend-staging-pnovr5vsba-uc.a.run.app/api/health",
            "expect": {
                "status": 200,
                "json": [
                    'status == "healthy"',
                    'checks.redis.status in ["healthy", "ok"]',
                    'checks.postgres.status == "healthy"',
                ],
            },
            "latency": {"max": "2s"},
        },
    }
    apis = ("run",)

    @classmethod
    def uses_cloud(cls, params: Mapping[str, Any]) -> bool:
        return "service" in params  # a literal URL needs no Google API

    def __init__(self, spec: CheckSpec) -> None:
        super().__init__(spec)
        self._config, self._errors = compile_params(self.params)

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        return compile_params(params)[1]

    def attempt(self, ctx: AttemptContext) -> Outcome:
        cfg = self._config
        if cfg is None or self._errors:
            # The loader reports these first; reaching here means a caller skipped it.
            problems = "; ".join(f"{p}: {m}" if p else m for p, m in self._errors)
            return Outcome.error(f"invalid http.health parameters: {problems}", final=True)
        target = self._target_url(cfg, ctx)
        if isinstance(target, Outcome):
            return target
        url, audience, where = target
        if (refused := ctx.resolver.refused(url)) is not None:
            return Outcome.error(str(refused), evidence={"url": redact_url(url)}, final=True)
        # Credential query parameters are secrets too: mask them wherever a server echoes them.
        for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if CREDENTIAL_PARAMS.match(key):
                ctx.secret(value)
        headers = self._headers(cfg, ctx, audience)
        if isinstance(headers, Outcome):
            return headers
        outcome = _Probe(self.spec.id, cfg, ctx, url, headers).run()
        if where:  # which revision the URL reaches, and why that one
            outcome = dataclasses.replace(outcome, evidence={**where, **outcome.evidence})
        return outcome

    # -- where to send the request -------------------------------------------------------

    def _target_url(self, cfg: HttpConfig, ctx: AttemptContext) -> tuple[str, str, dict[str, Any]] | Outcome:
        if cfg.url is not None:
            p = urlsplit(cfg.url)
            return cfg.url, f"{p.scheme}://{p.netloc}", {}
        if ctx.run.cloud is None or cfg.service is None:
            return Outcome.error(
                f"cannot look up Cloud Run service {cfg.service!r}: no Google Cloud connection in this run",
                final=True,
            )
        # ApiError propagates: the engine turns it into ERROR (could not be evaluated).
        base = probe_base(ctx, cfg.service, {"tag": cfg.tag} if cfg.tag else {})
        if isinstance(base, Outcome):
            return base
        return base.url.rstrip("/") + "/" + cfg.path.lstrip("/"), base.service_uri, dict(base.evidence)

    # -- what to send ---------------------------------------------------------------------

    def _headers(self, cfg: HttpConfig, ctx: AttemptContext, audience: str) -> dict[str, str] | Outcome:
        headers: dict[str, str] = {}
        for name, literal, env_name in cfg.headers:
            if env_name is not None:
                value = ctx.env.get(env_name)
                if value is None or value == "":
                    return Outcome.error(
                        f"header {name} takes its value from environment variable {env_name}, "
                        "which is not set; refusing to send the request without it",
                        evidence={"header": name, "env": env_name},
                        remediation=f"Set {env_name} in the environment gate runs in.",
                        final=True,
                    )
                headers[name] = ctx.secret(value)
            else:
                assert literal is not None
                if _is_sensitive_header(name):
                    ctx.secret(literal)
                headers[name] = literal
        if cfg.content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = cfg.content_type
        if cfg.id_token is not False and ctx.resolver.strict:
            return Outcome.error(
                "dry run: id_token would mint a real ID token from Google's credentials; gate does not "
                "call Google for tokens while it reads an emulator",
                remediation="Drop id_token from a policy you dry-run, or add the header from an env var.",
                final=True,
            )
        if cfg.id_token is not False:
            token = _fetch_id_token(cfg.id_token if isinstance(cfg.id_token, str) else audience)
            if isinstance(token, Outcome):
                return token
            headers["Authorization"] = "Bearer " + ctx.secret(token)
        return headers


def _fetch_id_token(audience: str) -> str | Outcome:
    """An ID token for a Cloud Run service that requires authentication."""
    try:  # imported here: google-auth is slow to import and most checks never need it
        import google.auth.exceptions
        from google.auth.transport.requests import Request as AuthRequest
        from google.oauth2 import id_token
    except ImportError as e:
        return Outcome.error(
            f"id_token needs google-auth with requests installed ({e.name} is missing)", final=True
        )
    try:
        token = id_token.fetch_id_token(AuthRequest(), audience)  # type: ignore[no-untyped-call]
    except google.auth.exceptions.GoogleAuthError as e:
        return Outcome.error(
            f"could not obtain an ID token for audience {redact_url(audience)}: {type(e).__name__}",
            remediation="Use service-account credentials (GOOGLE_APPLICATION_CREDENTIALS pointing to a key, "
            "or run on Google Cloud); user credentials from gcloud cannot mint ID tokens for an audience.",
            final=True,
        )
    return str(token)


class _Probe:
    """One attempt's requests and the judgement of their answers."""

    def __init__(
        self, check_id: str, cfg: HttpConfig, ctx: AttemptContext, url: str, headers: dict[str, str]
    ) -> None:
        self.check_id = check_id
        self.cfg = cfg
        self.ctx = ctx
        self.url = url
        self.shown_url = redact_url(url)
        self.request = probe_http.Request(
            method=cfg.method,
            url=url,
            headers=headers,
            content=cfg.content,
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.read_timeout,
            max_body=cfg.max_body,
            follow_redirects=cfg.follow_redirects,
            verify_tls=cfg.verify_tls,
        )
        self.evidence: dict[str, Any] = {"method": cfg.method, "url": self.shown_url}
        # Latency goes to metrics only (never evidence or summaries): reports rendered
        # with timings=False must be identical run to run (docs/RELIABILITY.md).
        self.latency_ms = 0.0

    def text(self, s: str) -> str:
        return self.ctx.run.redactor.text(s)

    def run(self) -> Outcome:
        latencies: list[float] = []
        results: list[ja.Result] = []
        last: Response | None = None
        for n in range(self.cfg.samples):
            self.ctx.check_cancelled()
            if n and self.ctx.remaining() <= 0:
                break
            started = time.monotonic()
            try:
                resp = probe_http.fetch(self.request, deadline=self.ctx.deadline, resolver=self.ctx.resolver)
            except UnmappedOrigin as e:  # a redirect towards a real endpoint during a dry run
                return Outcome.error(str(e), evidence=self.evidence, final=True)
            except ProbeError as e:
                self._record(None, str(e), time.monotonic() - started)
                return self._probe_failed(e, latencies)
            self._record(resp, "", resp.elapsed)
            latencies.append(resp.elapsed)
            last = resp
            failure, results = self._judge(resp)
            if failure is not None:
                return failure
        assert last is not None
        return self._latency_verdict(last, latencies, results)

    # -- judging one answer ---------------------------------------------------------------

    def _judge(self, resp: Response) -> tuple[Outcome | None, list[ja.Result]]:
        cfg = self.cfg
        ev = self._response_evidence(resp)
        location = resp.header("location")
        if resp.status in probe_http.REDIRECT_STATUSES and location and not cfg.expects_status(resp.status):
            shown = self.text(redact_url(urljoin(resp.url, location)))
            ev["location"] = shown
            return self._fail(
                f"HTTP {resp.status} redirect from {self.shown_url} to {shown}; follow_redirects is false",
                ev,
                "Point the check at the final URL, or set follow_redirects: true if the redirect is "
                "intended.",
            ), []
        if not cfg.expects_status(resp.status):
            excerpt = self._excerpt(resp.body)
            ev["body"] = excerpt
            return self._fail(
                f"HTTP {resp.status} from {self.shown_url}, expected {cfg.status_text()}"
                + (f"; body: {excerpt}" if excerpt else ""),
                ev,
                "The service answered but is not healthy: read its revision's logs and the body quoted here.",
            ), []
        body_text = resp.body.decode("utf-8", errors="replace")
        for needle in cfg.body_contains:
            if needle not in body_text:
                ev["body"] = self._excerpt(resp.body)
                return self._fail(
                    f"body of {self.shown_url} does not contain {self._quote(needle)}", ev, _BODY_FIX
                ), []
        for needle in cfg.body_not_contains:
            if needle in body_text:
                ev["body"] = self._excerpt(resp.body)
                return self._fail(
                    f"body of {self.shown_url} contains {self._quote(needle)}", ev, _BODY_FIX
                ), []
        header_failure = self._check_headers(resp, ev)
        if header_failure is not None:
            return header_failure, []
        results: list[ja.Result] = []
        if cfg.assertions:
            try:
                doc = json.loads(resp.body)
            except (ValueError, UnicodeDecodeError) as e:
                ev["body"] = self._excerpt(resp.body)
                return self._fail(
                    f"body of {self.shown_url} is not valid JSON ({type(e).__name__}: "
                    f"{self.text(str(e))[:120]}), so expect.json cannot be checked",
                    ev,
                    "Check that the URL is the JSON health endpoint (not an HTML error or login page).",
                ), []
            results = [ja.evaluate(a, doc) for a in cfg.assertions]
            ev["assertions"] = [self._result_evidence(r) for r in results]
            failed = [r for r in results if not r.ok]
            if failed:
                shown = "; ".join(self.text(r.message) for r in failed[:3])
                more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
                return self._fail(
                    f"{len(failed)} of {len(results)} body assertions failed at {self.shown_url}: "
                    f"{shown}{more}",
                    ev,
                    "The health body reports a failing dependency: see the failed assertions and the "
                    "service's logs for that dependency.",
                ), results
        self.evidence.update(ev)
        return None, results

    def _check_headers(self, resp: Response, ev: dict[str, Any]) -> Outcome | None:
        for name, kind, expected in self.cfg.expect_headers:
            actual = resp.header(name)
            shown = "(not shown)" if _is_sensitive_header(name) or actual is None else self._quote(actual)
            if kind == "exists":
                ok = (actual is not None) == expected
                want = "present" if expected else "absent"
            elif actual is None:
                ok, want = False, f"{kind} {self._quote(str(expected))}"
                shown = "missing"
            elif kind == "equals":
                ok, want = actual == expected, f"equal to {self._quote(str(expected))}"
            else:
                ok, want = expected.search(actual) is not None, f"matching {self._quote(expected.pattern)}"
            if not ok:
                return self._fail(
                    f"response header {name} of {self.shown_url} should be {want}; got {shown}",
                    ev,
                    "Check the service's response headers (or the proxy in front of it).",
                )
        return None

    def _latency_verdict(self, last: Response, latencies: list[float], results: list[ja.Result]) -> Outcome:
        cfg = self.cfg
        ms = [x * 1000 for x in latencies]
        metrics = {"latency_ms": round(probe_http.percentile(ms, 50), 1)}
        if cfg.samples > 1:
            metrics.update(
                latency_p50_ms=round(probe_http.percentile(ms, 50), 1),
                latency_p95_ms=round(probe_http.percentile(ms, 95), 1),
                latency_max_ms=round(max(ms), 1),
                samples=float(len(ms)),
            )
        ev = dict(self.evidence)
        if cfg.samples > 1:
            ev["samples"] = len(ms)
        if len(ms) < cfg.samples:
            return self._fail(
                f"only {len(ms)} of {cfg.samples} latency samples of {self.shown_url} fit in the attempt's "
                "time limit",
                ev,
                "The service answers too slowly for the sample count: lower latency.samples or raise the "
                "check's timeout.",
                metrics,
            )
        worst = max(ms)
        if cfg.latency_max is not None and worst > cfg.latency_max * 1000:
            which = f"slowest of {len(ms)} answers" if len(ms) > 1 else "answer"
            return self._fail(
                f"latency over budget at {self.shown_url}: {which} took {worst:.0f} ms, max "
                f"{cfg.latency_max * 1000:.0f} ms",
                ev,
                _LATENCY_FIX,
                metrics,
            )
        if cfg.latency_p95 is not None and metrics["latency_p95_ms"] > cfg.latency_p95 * 1000:
            return self._fail(
                f"latency over budget at {self.shown_url}: p95 of {len(ms)} samples is "
                f"{metrics['latency_p95_ms']:.0f} ms, budget {cfg.latency_p95 * 1000:.0f} ms",
                ev,
                _LATENCY_FIX,
                metrics,
            )
        held = f"; {len(results)} body assertion{'s' if len(results) != 1 else ''} held" if results else ""
        within = f" ({len(ms)} samples within the latency budget)" if cfg.samples > 1 else ""
        return Outcome.passed(
            f"HTTP {last.status} from {self.shown_url}{within}{held}", evidence=ev, metrics=metrics
        )

    # -- failures without an answer ---------------------------------------------------------

    def _probe_failed(self, e: ProbeError, latencies: list[float]) -> Outcome:
        ev = dict(self.evidence)
        ev["error"] = e.kind
        if latencies:
            ev["answered_samples"] = len(latencies)
        return Outcome.failed(
            self.text(f"{e} ({self.cfg.method} {self.shown_url})"),
            evidence=ev,
            remediation=REMEDIATION.get(e.kind, DEFAULT_REMEDIATION),
            metrics={"latency_ms": round(e.elapsed * 1000, 1)},
        )

    # -- helpers ----------------------------------------------------------------------------

    def _fail(
        self, summary: str, ev: dict[str, Any], remediation: str, metrics: Mapping[str, float] | None = None
    ) -> Outcome:
        out = dict(self.evidence)
        out.update(ev)
        return Outcome.failed(
            self.text(summary),
            evidence=self.ctx.run.redactor.deep(out),
            remediation=remediation,
            metrics=dict(metrics or {"latency_ms": self.latency_ms}),
        )

    def _response_evidence(self, resp: Response) -> dict[str, Any]:
        ev: dict[str, Any] = {"status": resp.status}
        self.latency_ms = round(resp.elapsed * 1000, 1)
        if resp.connected_to != resp.url:
            ev["connected_to"] = redact_url(resp.connected_to)
        if resp.redirects:
            ev["redirects"] = [self.text(redact_url(u)) for u in resp.redirects]
            ev["url_answered"] = self.text(redact_url(resp.url))
        content_type = resp.header("content-type")
        if content_type:
            ev["content_type"] = content_type[:100]
        return ev

    def _result_evidence(self, r: ja.Result) -> dict[str, Any]:
        out: dict[str, Any] = {"assertion": r.assertion.text, "ok": r.ok}
        if r.actual is not ja.MISSING:
            out["actual"] = self._capped_json(r.actual)
        else:
            out["actual"] = "(missing)"
        return out

    def _capped_json(self, value: Any, limit: int = 200) -> Any:
        if isinstance(value, (bool, int, float)) or value is None:
            return value
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        text = self.text(text)
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def _excerpt(self, body: bytes) -> str:
        text = body[: EXCERPT * 4].decode("utf-8", errors="replace")
        text = self.text(text)[:EXCERPT]
        return " ".join(text.split())

    def _quote(self, s: str) -> str:
        s = self.text(s)
        return json.dumps(s if len(s) <= 100 else s[:97] + "...", ensure_ascii=False)

    def _record(self, resp: Response | None, error: str, duration: float) -> None:
        recorder = self.ctx.run.recorder
        record = getattr(recorder, "record", None) if recorder is not None else None
        if record is None:
            return
        request = {
            "method": self.cfg.method,
            "url": self.shown_url,
            "headers": sorted(self.request.headers),  # names only: values may be credentials
        }
        response: dict[str, Any]
        if resp is None:
            response = {"error": self.text(error)}
        else:
            response = {
                "status": resp.status,
                "headers": [[k, "***" if _is_sensitive_header(k) else self.text(v)] for k, v in resp.headers],
                "body": self.text(resp.body[:RECORD_BODY].decode("utf-8", errors="replace")),
                "body_truncated": len(resp.body) > RECORD_BODY,
            }
        record(self.check_id, kind="http", request=request, response=response, duration=duration)


_BODY_FIX = "Check that the URL is the intended endpoint and read the body quoted here."
_LATENCY_FIX = (
    "The service is slower than the policy allows: check cold starts (min-instances), its "
    "dependencies' latency and the revision's CPU/memory."
)
