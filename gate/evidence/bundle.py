"""The evidence bundle: what a verdict rests on, written for an on-call engineer.

A :class:`Recorder` collects, during a run, every Google API answer (through
``Cloud.call``) and every HTTP/WebSocket exchange a check makes (through
``ctx.run.recorder.record``). :func:`write_bundle` writes them, with the
resolved policy and the report, to a directory that ``gate replay`` can
recompute the verdict from (see docs/RELIABILITY.md).

Nothing secret is written: literal env values of Cloud Run containers are
replaced by :data:`PLACEHOLDER` as they are recorded (they are how the
container is configured, and often credentials), header values are never
recorded, and every string passes through the run's redactor twice — when it
is recorded and again when the bundle is written, since some secrets are only
registered after an earlier exchange was recorded.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from gate import __version__
from gate.model import DeployTarget, Policy, Report
from gate.redact import Redactor

T = TypeVar("T")

BUNDLE_FORMAT = "gate.evidence/v1"
# Non-empty, so a replayed `non_empty` rule still holds; never a plausible real value.
PLACEHOLDER = "<redacted-by-gate>"
FILES = ("policy.json", "exchanges.jsonl", "report.json", "README.txt")

README = """\
gate evidence bundle
====================

What a gate verdict rested on, written by `gate check --evidence DIR`.

  manifest.json    gate version, target, start time, every file with its sha256
  policy.json      the policy as resolved: checks with params, timing, severity, needs,
                   and the waivers the run applied
                   (headers from the environment appear as {{"env": NAME}}, never values;
                   "environment" says only whether each such variable was set)
  exchanges.jsonl  one JSON object per line: each Google API answer (api, method,
                   resource, HTTP status, body) and each HTTP/WebSocket exchange,
                   redacted (Cloud Run env values are "{placeholder}", tokens masked)
  report.json      the report in gate's JSON format (docs/REPORT.md); per-attempt
                   timings are in its "attempts"

Replay it offline (no network, no credentials):

  gate replay {dirname}

rebuilds an emulated project from the recorded answers, runs the recorded policy
against it, and prints a table comparing each check's status and the verdict
with report.json: exit 0 = they agree, 1 = they differ, 2 = malformed bundle.
Checks that rest on redacted values or on WebSocket sessions are reported as
"not replayable" instead of being claimed as agreeing (docs/RELIABILITY.md).
"""


class Recorder:
    """Thread-safe collector of redacted exchanges for one run."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self._seq = 0
        self.redactor = redactor or Redactor()
        self.env: Mapping[str, str] = {}
        self.exchanges: list[dict[str, Any]] = []

    def bind(self, run: Any) -> None:
        """Share the run's redactor and environment (called by the runner)."""
        self.redactor = run.redactor
        self.env = run.env
        if run.cloud is not None:
            run.cloud.transport.recorder = self

    # -- HTTP / WebSocket (called by check types) ------------------------------
    def record(
        self,
        check_id: str,
        *,
        kind: str,
        request: Mapping[str, Any],
        response: Mapping[str, Any],
        duration: float,
    ) -> None:
        self._add(
            {
                "kind": kind,
                "check": check_id,
                "request": self.redactor.deep(dict(request)),
                "response": self.redactor.deep(dict(response)),
                "duration": round(duration, 3),
            }
        )

    # -- Google APIs (called by Cloud.call) -------------------------------------
    def wrap_api(
        self, api: str, method: str, resource: str, fn: Callable[[float], T]
    ) -> Callable[[float], T]:
        """``fn`` that also records its answer (or the error it raised)."""

        def recorded(timeout: float) -> T:
            started = time.monotonic()
            try:
                value = fn(timeout)
            except BaseException as e:
                self._api(api, method, resource, started, *_error(e))
                raise
            self._api(api, method, resource, started, 200, to_json(value), None)
            return value

        return recorded

    def _api(
        self,
        api: str,
        method: str,
        resource: str,
        started: float,
        status: int | None,
        body: Any,
        error: str | None,
    ) -> None:
        entry: dict[str, Any] = {
            "kind": "google-api",
            "api": api,
            "method": method,
            "resource": resource,
            "status": status,
            "body": self.redactor.deep(scrub_env_values(body)),
            "duration": round(time.monotonic() - started, 3),
        }
        if error is not None:
            entry["error"] = self.redactor.text(error)
        self._add(entry)

    def _add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, **entry}
            self.exchanges.append(entry)


def to_json(value: Any) -> Any:
    """An API answer as the API's own JSON (camelCase, enum names, int64 as strings)."""
    if isinstance(value, (dict, list, str, int, float, bool)) or value is None:
        return value
    cls = type(value)
    if hasattr(cls, "to_json") and hasattr(cls, "pb"):  # proto-plus message
        return json.loads(
            cls.to_json(
                value, use_integers_for_enums=False, indent=None, always_print_fields_with_no_presence=False
            )
        )
    from google.protobuf import json_format
    from google.protobuf.message import Message

    if isinstance(value, Message):
        return json_format.MessageToDict(value)
    inner = getattr(value, "operation", None)  # google.api_core.operation.Operation
    if isinstance(inner, Message):
        return json_format.MessageToDict(inner)
    return {"@unrecorded": cls.__name__}


def _error(e: BaseException) -> tuple[int | None, Any, str]:
    """(HTTP status or None, error body, short description) of a failed call."""
    code = getattr(e, "code", None)
    status = code if isinstance(code, int) else None
    body: Any = None
    response = getattr(e, "response", None)
    if response is not None:
        try:
            body = response.json()
        except Exception:  # not JSON: the status is what matters
            body = None
    kind = type(e).__name__
    # Only the first line, bounded: transport errors can quote a whole request.
    text = (str(e).splitlines() or [""])[0][:200]
    return status, body, f"{kind}: {text}" if text else kind


def scrub_env_values(body: Any) -> Any:
    """Replace literal container env values (``env: [{name, value}]``) by PLACEHOLDER.

    Empty values stay empty: that they are empty is the finding (S5), and an
    empty string reveals nothing.
    """
    if isinstance(body, list):
        return [scrub_env_values(v) for v in body]
    if not isinstance(body, dict):
        return body
    out: dict[str, Any] = {}
    for k, v in body.items():
        if k == "env" and isinstance(v, list):
            out[k] = [_scrub_env_entry(e) for e in v]
        else:
            out[k] = scrub_env_values(v)
    return out


def _scrub_env_entry(entry: Any) -> Any:
    if isinstance(entry, dict) and isinstance(entry.get("value"), str) and entry["value"] != "":
        return {**entry, "value": PLACEHOLDER}
    return entry


# -- the policy as resolved ---------------------------------------------------------


def env_names(params: Any) -> list[str]:
    """Environment variables a check's params read: ``{env: NAME}`` and ``token_env``."""
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, Mapping):
            if set(v) == {"env"} and isinstance(v["env"], str):
                found.append(v["env"])
                return
            for k, x in v.items():
                if k == "token_env" and isinstance(x, str):
                    found.append(x)
                else:
                    walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    walk(params)
    return sorted(set(found))


def policy_doc(
    policy: Policy, redactor: Redactor, env: Mapping[str, str], target: DeployTarget | None = None
) -> dict[str, Any]:
    """The policy as run; ``target`` is the run's (CLI over the policy's), which replay needs."""
    names = sorted({n for spec in policy.checks for n in env_names(spec.params)})
    return {
        "project": policy.project,
        "region": policy.region,
        "source": policy.source,
        "vars": redactor.deep(dict(policy.vars)),
        "endpoints": dict(policy.endpoints),
        "target": None
        if target is None
        else {
            "service": target.service,
            "tag": target.tag,
            "revision": target.revision,
            "source": target.source,
        },
        # Whether each variable the policy reads was set: names only, never values.
        "environment": {n: bool(env.get(n)) for n in names},
        "checks": [
            {
                "id": s.id,
                "type": s.type,
                "severity": s.severity.value,
                "description": redactor.text(s.description),
                "needs": list(s.needs),
                "timing": {
                    "timeout": s.timing.timeout,
                    "interval": s.timing.interval,
                    "deadline": s.timing.deadline,
                    "successes": s.timing.successes,
                },
                "with": redactor.deep(_plain(s.params)),
            }
            for s in policy.checks
        ],
        # As the run applied them; replay applies them again, never judging their expiry
        # (they were in force when the run happened).
        "waivers": [
            {
                "check": w.check,
                "reason": redactor.text(w.reason),
                "owner": redactor.text(w.owner),
                "expires": w.expires.isoformat(),
                "match": w.match,
            }
            for w in policy.waivers
        ],
    }


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


# -- writing ------------------------------------------------------------------------


def prepare_dir(path: Path) -> None:
    """Refuse a directory with files in it: a bundle mixing two runs would mislead."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"{path} exists and is not an empty directory")


def write_bundle(path: Path, policy: Policy, report: Report, recorder: Recorder) -> list[str]:
    """Write the bundle; returns the file names written (manifest last)."""
    from gate.report import render

    prepare_dir(path)
    path.mkdir(parents=True, exist_ok=True)
    red = recorder.redactor
    with recorder._lock:
        exchanges = [red.deep(e) for e in recorder.exchanges]
    contents = {
        "policy.json": _dump(policy_doc(policy, red, recorder.env, report.deploy_target)),
        "exchanges.jsonl": "".join(
            json.dumps(e, sort_keys=True, ensure_ascii=True) + "\n" for e in exchanges
        ),
        "report.json": render(report, "json"),
        "README.txt": README.format(placeholder=PLACEHOLDER, dirname=path.name or "."),
    }
    files = {}
    for name in FILES:
        data = contents[name].encode("utf-8")
        (path / name).write_bytes(data)
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {
        "format": BUNDLE_FORMAT,
        "gateVersion": __version__,
        "project": report.project,
        "target": red.text(report.target),
        "startedAt": report.started_at,
        "verdict": report.verdict.value,
        "exchanges": len(exchanges),
        "files": files,
    }
    (path / "manifest.json").write_text(_dump(manifest), encoding="utf-8")
    return [*FILES, "manifest.json"]


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
