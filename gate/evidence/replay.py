"""``gate replay``: recompute a verdict offline from an evidence bundle.

Not by re-reading statuses: the recorded Google API answers become a world
(resources in the APIs' own JSON, errors as faults), the recorded HTTP answers
become the world's ``endpoints:``, and the recorded policy runs against it in
an in-process emulator. Each check's status and the verdict are then compared
with ``report.json``.

What cannot be recomputed is said, not claimed (docs/RELIABILITY.md):

- WebSocket checks: the golden-path server plays canned modes, not recorded
  sessions, so ``websocket.golden_path`` checks are "not replayable";
- ``run.env`` value rules (pattern, port, one_of...) on values the bundle
  redacted: "not replayable: rests on redacted values";
- HTTP answers whose body was truncated in the bundle, or failures that cannot
  be reproduced offline (TLS, DNS...).

Such a check keeps its recorded status in the replay (so checks that ``need``
it are gated the same way) and is shown as not replayable. Checks CANCELLED in
the recording (fail-fast, interrupt) are not run: when they would have
finished is a matter of timing, not of the evidence.

The rebuilt world is the last state the run saw, so polling cannot change an
answer: retries are compressed (interval 10 ms, deadline just long enough for
the required consecutive successes), timeouts are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from gate import registry
from gate.checks.base import CheckType
from gate.context import AttemptContext
from gate.evidence import firewall_policies
from gate.evidence.bundle import BUNDLE_FORMAT, FILES, PLACEHOLDER
from gate.model import CheckResult, CheckSpec, Outcome, Policy, Report, Severity, Status, Timing

STUB_TYPE = "gate.replay.recorded"
WS_NOTE = "not replayable: WebSocket sessions (the golden-path server cannot be scripted from a recording)"
REDACTED_NOTE = "not replayable: rests on redacted values"
VALUE_RULES = ("pattern", "integer", "port", "url", "one_of", "forbidden", "forbid_values")
# Response headers the emulator's endpoint server writes itself.
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "date", "server", "keep-alive"}

# (api, method) -> (world section, kind, key holding the items of a list answer; None = one resource)
API_KINDS: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("run", "GetService"): ("run", "services", None),
    ("run", "GetRevision"): ("run", "revisions", None),
    ("run", "ListRevisions"): ("run", "revisions", "revisions"),
    ("vpcaccess", "GetConnector"): ("vpcaccess", "connectors", None),
    ("redis", "GetInstance"): ("redis", "instances", None),
    ("sqladmin", "sql.instances.get"): ("sqladmin", "instances", None),
    ("sqladmin", "sql.tiers.list"): ("sqladmin", "tiers", "items"),
    ("compute.networks", "networks.get"): ("compute", "networks", None),
    ("compute.subnetworks", "subnetworks.get"): ("compute", "subnetworks", None),
    ("compute.subnetworks", "subnetworks.list"): ("compute", "subnetworks", "items"),
    ("compute.firewalls", "firewalls.list"): ("compute", "firewalls", "items"),
    ("compute.routes", "routes.list"): ("compute", "routes", "items"),
    ("compute.addresses", "globalAddresses.list"): ("compute", "addresses", "items"),
    ("secretmanager", "GetSecret"): ("secretmanager", "secrets", None),
    ("secretmanager", "GetSecretVersion"): ("secretmanager", "versions", None),
    ("logging", "entries.list"): ("logging", "entries", "entries"),
}


class BundleError(Exception):
    """The bundle is missing, tampered with or not a gate evidence bundle (exit 2)."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: dict[str, Any]
    policy: dict[str, Any]
    report: dict[str, Any]
    exchanges: list[dict[str, Any]]


@dataclass(frozen=True)
class Row:
    check_id: str
    recorded: str
    replayed: str  # "" when not run
    note: str  # "agree", "DIFFERENT", or why it was not compared

    @property
    def agrees(self) -> bool:
        return self.note != "DIFFERENT"


@dataclass
class ReplayResult:
    """The comparison of a replay with its recording."""

    rows: list[Row]
    recorded_verdict: str
    replayed_verdict: str
    verdict_note: str = ""
    world: str = ""  # the rebuilt world (JSON, loadable by gate emulator --world)

    @property
    def agree(self) -> bool:
        return all(r.agrees for r in self.rows) and self.recorded_verdict == self.replayed_verdict


# -- reading the bundle ------------------------------------------------------------


def load_bundle(path: Path) -> Bundle:
    if not path.is_dir():
        raise BundleError(f"{path} is not a directory")
    manifest = _json(path / "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{path}/manifest.json: not a {BUNDLE_FORMAT} manifest")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BundleError(f"{path}/manifest.json: no files list")
    for name in FILES:
        entry = files.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise BundleError(f"{path}/manifest.json: {name} is not listed")
        try:
            data = (path / name).read_bytes()
        except OSError as e:
            raise BundleError(f"{path}/{name}: {e.strerror or e}") from None
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BundleError(
                f"{path}/{name}: sha256 does not match the manifest (changed since it was written)"
            )
    policy = _json(path / "policy.json")
    report = _json(path / "report.json")
    exchanges = []
    for n, line in enumerate((path / "exchanges.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        try:
            item = json.loads(line)
        except ValueError as e:
            raise BundleError(f"{path}/exchanges.jsonl:{n}: {e}") from None
        if not isinstance(item, dict):
            raise BundleError(f"{path}/exchanges.jsonl:{n}: expected a JSON object")
        exchanges.append(item)
    if not isinstance(policy, dict) or not isinstance(policy.get("checks"), list):
        raise BundleError(f"{path}/policy.json: no checks")
    if not isinstance(report, dict) or not isinstance(report.get("checks"), list):
        raise BundleError(f"{path}/report.json: not a gate JSON report")
    return Bundle(path, manifest, policy, report, exchanges)


def _json(p: Path) -> Any:
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise BundleError(f"{p}: {e.strerror or e}") from None
    except ValueError as e:
        raise BundleError(f"{p}: not JSON ({e})") from None


def policy_from(doc: Mapping[str, Any]) -> Policy:
    try:
        checks = tuple(
            CheckSpec(
                id=str(c["id"]),
                type=str(c["type"]),
                params=dict(c["with"]),
                severity=Severity(c["severity"]),
                timing=Timing(
                    **{k: c["timing"][k] for k in ("timeout", "interval", "deadline", "successes")}
                ),
                needs=tuple(str(n) for n in c["needs"]),
                description=str(c.get("description", "")),
            )
            for c in doc["checks"]
        )
        return Policy(
            project=str(doc["project"]),
            region=str(doc["region"]),
            checks=checks,
            vars=dict(doc.get("vars") or {}),
            source=str(doc.get("source", "<bundle>")),
            endpoints=dict(doc.get("endpoints") or {}),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise BundleError(f"policy.json: malformed check ({type(e).__name__}: {e})") from None


# -- rebuilding the world ----------------------------------------------------------


@dataclass
class Rebuilt:
    world: dict[str, Any]
    refused_origins: list[str] = field(default_factory=list)
    not_replayable: dict[str, str] = field(default_factory=dict)  # check id -> why


def rebuild(bundle: Bundle, policy: Policy) -> Rebuilt:
    world: dict[str, Any] = {
        "apiVersion": "gate/v1",
        "kind": "World",
        "name": "replay",
        "project": policy.project,
        "description": f"rebuilt by gate replay from {bundle.path.name}",
    }
    resources, faults, results = _api_state(bundle.exchanges)
    numbers = sorted({m for items in resources.values() for it in items for m in _project_numbers(it)})
    if numbers:
        world["projectNumber"] = numbers[0]
    for (section, kind), items in sorted(resources.items()):
        world.setdefault(section, {})[kind] = items
    if results:
        world["networkmanagement"] = {"results": results}
    if faults:
        world["faults"] = faults
    out = Rebuilt(world)
    endpoints = _endpoints(bundle.exchanges, out)
    # Everything the policy or the recorded services could reach that was not answered
    # in the recording is refused: a replay never goes to the network.
    known = {urlsplit(e["origin"]).netloc for e in endpoints}
    for origin in sorted(_origins(policy, resources)):
        if urlsplit(origin).netloc not in known and origin not in out.refused_origins:
            out.refused_origins.append(origin)
    if endpoints:
        world["endpoints"] = endpoints
    _judge_replayable(bundle, policy, resources, out)
    return out


def _api_state(
    exchanges: list[dict[str, Any]],
) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], list[dict[str, Any]], list[dict[str, Any]]]:
    last: dict[tuple[str, str, str], dict[str, Any]] = {}
    listed: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    results: dict[str, dict[str, Any]] = {}
    for e in sorted((x for x in exchanges if x.get("kind") == "google-api"), key=lambda x: x.get("seq", 0)):
        api, method, resource = str(e.get("api")), str(e.get("method")), str(e.get("resource"))
        if (api, method) == ("networkmanagement", "GetConnectivityTest") and e.get("status") == 200:
            body = e.get("body") or {}
            results[resource] = {
                k: body[k] for k in ("source", "destination", "reachabilityDetails") if k in body
            }
            continue
        if (api, method) in EFFECTIVE_FIREWALLS:
            if e.get("status") == 200:
                for (section, kind), item in _effective_resources(resource, e.get("body") or {}):
                    key = _ident(kind, item) + json.dumps(item.get("associations"), sort_keys=True)
                    listed.setdefault((section, kind), {})[key] = item
            else:
                last[(api, method, resource)] = e  # replayed as a fault
            continue
        where = API_KINDS.get((api, method))
        if where is None:
            continue
        section, kind, items_key = where
        if items_key is not None and e.get("status") == 200:
            store = listed.setdefault((section, kind), {})
            for item in (e.get("body") or {}).get(items_key, []):
                store[_ident(kind, item)] = item
            continue
        last[(api, method, resource)] = e
    faults: list[dict[str, Any]] = []
    resources: dict[tuple[str, str], dict[str, dict[str, Any]]] = {k: dict(v) for k, v in listed.items()}
    for (api, method, resource), e in sorted(last.items(), key=lambda kv: kv[1].get("seq", 0)):
        status = e.get("status")
        if (api, method) in EFFECTIVE_FIREWALLS:
            if status != 404:
                faults.append(_fault(api, method, resource, e))
            continue
        section, kind, items_key = API_KINDS[(api, method)]
        if status == 200 and items_key is None and isinstance(e.get("body"), dict):
            body = e["body"]
            resources.setdefault((section, kind), {})[_ident(kind, body)] = body
            if (section, kind) == ("secretmanager", "versions"):
                # A version is only served under its secret; the secret's metadata may not be recorded.
                secret = body["name"].split("/versions/")[0]
                resources.setdefault(("secretmanager", "secrets"), {}).setdefault(secret, {"name": secret})
        elif status == 404:
            continue  # absent from the world: the emulator answers 404 too
        else:
            faults.append(_fault(api, method, resource, e))
    flat = {k: [v[name] for name in sorted(v)] for k, v in resources.items()}
    if ("compute", "firewallPolicies") in flat:
        flat[("compute", "firewallPolicies")] = firewall_policies.merge(flat[("compute", "firewallPolicies")])
    return flat, faults, [results[k] for k in sorted(results)]


# getEffectiveFirewalls answers: rebuilt as the VPC firewall rules and firewall policies that
# produce them (SYSTEM policies cannot be written in a world and are left out).
EFFECTIVE_FIREWALLS = {
    ("compute.networks", "networks.getEffectiveFirewalls"),
    ("compute.regionNetworkFirewallPolicies", "regionNetworkFirewallPolicies.getEffectiveFirewalls"),
}


def _effective_resources(
    resource: str, body: Mapping[str, Any]
) -> list[tuple[tuple[str, str], dict[str, Any]]]:
    m = re.match(
        r"^projects/([^/]+)/(?:regions/([^/]+)/firewallPolicies/getEffectiveFirewalls\?network=(.+)"
        r"|global/networks/([^/]+)/getEffectiveFirewalls)$",
        resource,
    )
    if not m:
        return []
    project, region, network = m.group(1), m.group(2), m.group(3) or m.group(4)
    out: list[tuple[tuple[str, str], dict[str, Any]]] = [
        (("compute", "firewalls"), f) for f in body.get("firewalls") or [] if isinstance(f, dict)
    ]
    out += [
        (("compute", "firewallPolicies"), p)
        for p in firewall_policies.from_effective(project, region, network, body)
    ]
    return out


def _ident(kind: str, item: Any) -> str:
    if not isinstance(item, dict):
        return json.dumps(item, sort_keys=True)
    if kind == "entries":
        return str(item.get("timestamp", "")) + str(item.get("insertId", ""))
    return str(item.get("tier") if kind == "tiers" else item.get("name"))


def _fault(api: str, method: str, resource: str, e: Mapping[str, Any]) -> dict[str, Any]:
    """The world fault that reproduces a recorded failed call on every request for it."""
    top = api.split(".")[0]
    path = "entries:list" if top == "logging" else re.escape(resource.split("?")[0].rstrip("/")) + "$"
    fault: dict[str, Any] = {"api": top, "path": path}
    status = e.get("status")
    error = str(e.get("error") or "")
    if isinstance(status, int) and 400 <= status <= 599:
        fault["status"] = status
        message = (
            ((e.get("body") or {}).get("error") or {}).get("message")
            if isinstance(e.get("body"), dict)
            else None
        )
        if isinstance(message, str) and message:
            fault["message"] = message
    elif "Timeout" in error.split(":")[0]:
        fault["hang"] = True
    elif "JSONDecodeError" in error or "ParseError" in error:
        fault["malformed"] = True
    else:
        fault["reset"] = True
    return fault


def _project_numbers(item: Any) -> list[str]:
    name = item.get("name") if isinstance(item, dict) else None
    m = re.match(r"^projects/([0-9]+)/", name) if isinstance(name, str) else None
    return [m.group(1)] if m else []


def _endpoints(exchanges: list[dict[str, Any]], out: Rebuilt) -> list[dict[str, Any]]:
    by_origin: dict[str, dict[str, dict[str, Any]]] = {}
    for e in sorted((x for x in exchanges if x.get("kind") == "http"), key=lambda x: x.get("seq", 0)):
        req, resp = e.get("request") or {}, e.get("response") or {}
        parts = urlsplit(str(req.get("url", "")))
        if not parts.scheme or not parts.netloc:
            continue
        origin = f"{parts.scheme}://{parts.netloc}"
        check = str(e.get("check", ""))
        if "status" in resp:
            spec: dict[str, Any] = {"status": resp["status"], "text": str(resp.get("body", ""))}
            headers = {k: v for k, v in resp.get("headers") or [] if k.lower() not in _HOP_HEADERS}
            if headers:
                spec["headers"] = headers
            ms = int(float(e.get("duration") or 0) * 1000)
            if ms > 0:
                spec["delay"] = f"{ms}ms"
            if resp.get("body_truncated"):
                out.not_replayable[check] = "not replayable: the response body was truncated in the bundle"
        else:
            error = str(resp.get("error", ""))
            if "timed out" in error:
                spec = {"hang": True}
            elif "connection refused" in error:
                if origin not in out.refused_origins:
                    out.refused_origins.append(origin)
                continue
            else:
                out.not_replayable[check] = (
                    f"not replayable: the recorded failure cannot be reproduced offline ({error[:80]})"
                )
                continue
        by_origin.setdefault(origin, {})[parts.path or "/"] = spec
    return [{"origin": o, "paths": by_origin[o]} for o in sorted(by_origin)]


def _origins(policy: Policy, resources: Mapping[tuple[str, str], list[dict[str, Any]]]) -> set[str]:
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str) and re.match(r"^(https?|wss?)://", v):
            p = urlsplit(v)
            scheme = {"wss": "https", "ws": "http"}.get(p.scheme, p.scheme)
            found.add(f"{scheme}://{p.netloc}")
        elif isinstance(v, Mapping):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    for spec in policy.checks:
        walk(spec.params)
    for svc in resources.get(("run", "services"), []):
        walk([svc.get("uri"), svc.get("urls"), [t.get("uri") for t in svc.get("trafficStatuses", [])]])
    return found


def _judge_replayable(
    bundle: Bundle, policy: Policy, resources: Mapping[tuple[str, str], list[dict[str, Any]]], out: Rebuilt
) -> None:
    redacted = {
        env["name"]
        for kind in (("run", "services"), ("run", "revisions"))
        for item in resources.get(kind, [])
        for env in _env_entries(item)
        if env.get("value") == PLACEHOLDER
    }
    for spec in policy.checks:
        if spec.type == "websocket.golden_path":
            out.not_replayable[spec.id] = WS_NOTE
        elif spec.type == "run.env":
            rules = spec.params.get("vars") or {}
            valued = {
                n for n, r in rules.items() if isinstance(r, Mapping) and any(k in r for k in VALUE_RULES)
            }
            if valued & redacted:
                out.not_replayable[spec.id] = f"{REDACTED_NOTE} ({', '.join(sorted(valued & redacted))})"


def _env_entries(item: Any) -> Iterator[dict[str, Any]]:
    if isinstance(item, dict):
        for k, v in item.items():
            if k == "env" and isinstance(v, list):
                yield from (x for x in v if isinstance(x, dict))
            else:
                yield from _env_entries(v)
    elif isinstance(item, list):
        for v in item:
            yield from _env_entries(v)


# -- running ------------------------------------------------------------------------


class Recorded(CheckType):
    """Stands in for a check that cannot be replayed: gives its recorded status."""

    name = STUB_TYPE
    summary = "Replay only: the recorded status of a check that cannot be recomputed."
    params_schema: ClassVar[Mapping[str, Any]] = {"type": "object"}
    example: ClassVar[Mapping[str, Any]] = {}
    apis = ()

    def attempt(self, ctx: AttemptContext) -> Outcome:
        status = Status(self.params["status"])
        if status is Status.WARN:
            status = Status.FAIL  # the engine turns an advisory FAIL back into WARN
        return Outcome(status, str(self.params["note"]), final=True)


def replay_policy(policy: Policy, recorded: Mapping[str, str], rebuilt: Rebuilt) -> Policy:
    checks = []
    for spec in policy.checks:
        status = recorded.get(spec.id)
        if status is None or status == Status.CANCELLED.value:
            continue
        timing = Timing(
            timeout=spec.timing.timeout,
            interval=0.01,
            deadline=0.0 if spec.timing.successes <= 1 else 0.05 * spec.timing.successes,
            successes=spec.timing.successes,
        )
        needs = tuple(n for n in spec.needs if recorded.get(n) not in (None, Status.CANCELLED.value))
        if spec.id in rebuilt.not_replayable:
            params = {"status": status, "note": rebuilt.not_replayable[spec.id]}
            spec = CheckSpec(
                spec.id, STUB_TYPE, params, spec.severity, Timing(timeout=5.0), needs, spec.description
            )
        else:
            spec = CheckSpec(spec.id, spec.type, spec.params, spec.severity, timing, needs, spec.description)
        checks.append(spec)
    return Policy(policy.project, policy.region, tuple(checks), policy.vars, policy.source, endpoints={})


@contextlib.contextmanager
def _refusing_ports(origins: list[str]) -> Iterator[list[str]]:
    """ORIGIN=BASE pairs whose BASE is a bound, never-listening loopback port: connecting is refused."""
    socks = []
    try:
        specs = []
        for origin in origins:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            specs.append(f"{origin}=http://127.0.0.1:{s.getsockname()[1]}")
        yield specs
    finally:
        for s in socks:
            s.close()


def replay(path: Path) -> ReplayResult:
    from gate.engine import EngineOptions
    from gate.runner import RunOptions, execute

    bundle = load_bundle(path)
    policy = policy_from(bundle.policy)
    try:
        recorded = {str(c["id"]): str(c["status"]) for c in bundle.report["checks"]}
        recorded_verdict = str(bundle.report["verdict"])
    except (KeyError, TypeError) as e:
        raise BundleError(f"report.json: malformed ({e})") from None
    rebuilt = rebuild(bundle, policy)
    runnable = replay_policy(policy, recorded, rebuilt)
    world_text = json.dumps(rebuilt.world, indent=2, sort_keys=True) + "\n"
    env = {n: PLACEHOLDER for n, was_set in (bundle.policy.get("environment") or {}).items() if was_set}
    if Recorded.name not in registry.names():
        registry.register(Recorded)
    with (
        tempfile.TemporaryDirectory(prefix="gate-replay-") as tmp,
        _refusing_ports(rebuilt.refused_origins) as resolve,
    ):
        world_file = Path(tmp) / "world.json"
        world_file.write_text(world_text, encoding="utf-8")
        report = execute(
            runnable,
            RunOptions(
                world=world_file,
                resolve=tuple(resolve),
                engine=EngineOptions(pool=16, deadline=600.0, fail_fast=False),
                env=env,
                handle_signals=True,
            ),
        )
    rows = _compare(policy, recorded, rebuilt, report)
    verdict_note = ""
    expected = recorded_verdict
    if recorded_verdict == "INTERRUPTED":
        expected = _verdict_without_cancelled(bundle.report)
        verdict_note = (
            f"interrupted in the recording; compared with {expected}, the verdict of the checks that finished"
        )
    return ReplayResult(rows, expected, report.verdict.value, verdict_note, world_text)


def _compare(policy: Policy, recorded: Mapping[str, str], rebuilt: Rebuilt, report: Report) -> list[Row]:
    replayed = {r.id: r.status.value for r in report.results}
    rows = []
    for spec in policy.checks:
        rec = recorded.get(spec.id, "")
        got = replayed.get(spec.id, "")
        if rec == Status.CANCELLED.value:
            note = "cancelled in the recording: not compared"
        elif spec.id in rebuilt.not_replayable:
            note = rebuilt.not_replayable[spec.id]
        else:
            note = "agree" if rec == got else "DIFFERENT"
        rows.append(Row(spec.id, rec, got, note))
    return rows


def _verdict_without_cancelled(report: Mapping[str, Any]) -> str:
    results = tuple(
        CheckResult(str(c["id"]), str(c["type"]), Severity(c["severity"]), Status(c["status"]), "")
        for c in report["checks"]
        if c["status"] != Status.CANCELLED.value
    )
    return Report("", "", "", results, "", 0.0).verdict.value


def table(outcome: ReplayResult) -> str:
    """The comparison as aligned text (statuses and notes only: nothing secret)."""
    head = ("check", "recorded", "replayed", "result")
    body = [(r.check_id, r.recorded, r.replayed or "-", r.note) for r in outcome.rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(3)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in [head, *body]
    ]
    verdict_ok = outcome.recorded_verdict == outcome.replayed_verdict
    lines.append("")
    lines.append(
        f"verdict: recorded {outcome.recorded_verdict}, replayed {outcome.replayed_verdict}: "
        + ("agree" if verdict_ok else "DIFFERENT")
        + (f" ({outcome.verdict_note})" if outcome.verdict_note else "")
    )
    compared = [r for r in outcome.rows if r.note in ("agree", "DIFFERENT")]
    differ = sum(1 for r in compared if r.note == "DIFFERENT")
    skipped = len(outcome.rows) - len(compared)
    lines.append(
        f"{len(compared)} checks compared, {differ} different, {skipped} not compared; "
        + (
            "replay AGREES with the recorded verdict"
            if outcome.agree
            else "replay DISAGREES with the recording"
        )
    )
    return "\n".join(lines) + "\n"
