"""Generated worlds and policies for the benchmark (written to a temp dir, never committed).

A world with N services is the healthy S12 world with its backend service,
revision and boot log cloned N times under new names (svc-000, svc-001, ...);
everything the services share (connector, Redis, Cloud SQL, VPC, secrets) is
S12's, so the distinct resources grow by three per service (service, revision,
boot-log query) plus a fixed shared set.
"""

from __future__ import annotations

import copy
import http.server
import json
import threading
from pathlib import Path
from typing import Any

from gate.emulator import load_world
from gate.emulator.world import World

ROOT = Path(__file__).resolve().parent.parent
WORLDS = ROOT / "gate" / "emulator" / "worlds"
S12 = WORLDS / "s12-healthy.yaml"
S1 = WORLDS / "s1-worker-boot-failure.yaml"

BACKEND = "netra-backend-staging"
BACKEND_REV = "netra-backend-staging-00042-xq7"

BOOT_MARKERS = ("Booting worker", "Application startup complete")

_base: World | None = None


def _s12() -> World:
    global _base
    if _base is None:
        _base = load_world(S12)
    return _base


def service_names(n: int) -> list[str]:
    return [f"svc-{i:03d}" for i in range(n)]


def _rename(obj: Any, service: str) -> Any:
    """Every occurrence of the backend's service/revision name, renamed (JSON round trip)."""
    text = json.dumps(obj)
    text = text.replace(BACKEND_REV, f"{service}-00042-xq7").replace(BACKEND, service)
    return json.loads(text)


def world(n: int) -> World:
    """S12 with N backend-like services (the original three are dropped)."""
    base = _s12()
    res = copy.deepcopy(base.resources)
    svc = next(s for s in base.items("run", "services") if s["name"].endswith("/" + BACKEND))
    rev = next(r for r in base.items("run", "revisions") if r["name"].endswith("/" + BACKEND_REV))
    # The boot log is cut to its two start markers: the emulator answers a log query by
    # scanning every entry of the world, and at 500 services x 8 lines that scan (not
    # gate) would set the pace. The check judges two lines exactly as it judges eight.
    logs = [
        e
        for e in base.items("logging", "entries")
        if e.get("resource", {}).get("labels", {}).get("revision_name") == BACKEND_REV
        and any(m in str(e.get("textPayload", "")) for m in BOOT_MARKERS)
    ]
    assert len(logs) == len(BOOT_MARKERS), [e.get("textPayload") for e in logs]
    res["run"] = {"services": [], "revisions": []}
    res["logging"] = {"entries": []}
    for name in service_names(n):
        res["run"]["services"].append(_rename(svc, name))
        res["run"]["revisions"].append(_rename(rev, name))
        res["logging"]["entries"].extend(_rename(e, name) for e in logs)
    return World(
        name=f"bench-{n}",
        project=base.project,
        project_number=base.project_number,
        resources=res,
        reachability=copy.deepcopy(base.reachability),
        source=f"<bench-{n}>",
    )


LIBRARY = """\
apiVersion: gate/v1
kind: CheckLibrary
description: Five checks of one Cloud Run service (benchmark).
params:
  service: {description: The service., required: true}
checks:
  - id: ${service}-revision
    type: run.revision
    with: {service: "${service}"}
  - id: ${service}-env
    type: run.env
    with:
      service: "${service}"
      required: [REDIS_HOST, REDIS_PORT, JWT_SECRET_KEY, POSTGRES_PASSWORD]
      vars: {REDIS_PORT: {port: true}, ENVIRONMENT: {one_of: [staging]}}
  - id: ${service}-database
    type: sql.instance
    with:
      instance: staging-shared-postgres
      min_tier: db-custom-1-3840
      connected_from: {service: "${service}"}
  - id: ${service}-boot-log
    type: logs.boot
    with: {service: "${service}"}
  - id: ${service}-reaches-redis
    type: network.reachability
    with: {service: "${service}", redis: staging-redis-f1adc35c}
"""

CHECKS_PER_SERVICE = 5
# The same library without network.reachability: the checks that read no Compute API.
LIBRARY_NO_NETWORK = LIBRARY.split("  - id: ${service}-reaches-redis\n")[0]


def write_policy(directory: Path, n: int, *, name: str | None = None, network: bool = True) -> Path:
    """policy (N services x 5 checks, through one included library) in ``directory``;
    ``network=False``: 4 checks per service, without network.reachability."""
    directory.mkdir(parents=True, exist_ok=True)
    library = "bench-service.yaml" if network else "bench-service-no-network.yaml"
    (directory / library).write_text(LIBRARY if network else LIBRARY_NO_NETWORK, encoding="utf-8")
    lines = [
        "apiVersion: gate/v1",
        "project: netra-staging",
        "region: us-central1",
        f"description: Benchmark, {n} services x {CHECKS_PER_SERVICE if network else 4} checks.",
        "defaults: {timeout: 60s}",
        "include:",
    ]
    for s in service_names(n):
        lines.append(f"  - {{file: {library}, vars: {{service: {s}}}}}")
    path = directory / (name or f"bench-{n}.yaml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_single_check_policies(directory: Path) -> dict[str, Path]:
    """One policy per check of the library, for svc-000 only (to count each check's call chain)."""
    import yaml

    lib = yaml.safe_load(LIBRARY)
    out = {}
    for check in lib["checks"]:
        text = json.dumps(check).replace("${service}", "svc-000")
        body = json.loads(text)
        policy = {
            "apiVersion": "gate/v1",
            "project": "netra-staging",
            "region": "us-central1",
            "defaults": {"timeout": "60s"},
            "checks": [body],
        }
        p = directory / f"single-{body['type']}.yaml"
        p.write_text(json.dumps(policy), encoding="utf-8")
        out[body["type"]] = p
    return out


def write_fail_fast_policy(directory: Path) -> Path:
    """S1: revision, boot log and a health check that polls for up to 300 s.

    The poller's endpoint answers at once (404: an unknown path), so what is timed
    is fail-fast stopping the polling. A first attempt is never cut (each check gets
    one, bounded by its own timeout), so a probe of S1's /health, which answers
    after 11 s, would time the probe's read timeout instead.
    """
    p = directory / "fail-fast.yaml"
    p.write_text(
        f"""\
apiVersion: gate/v1
project: netra-staging
region: us-central1
checks:
  - id: backend-revision
    type: run.revision
    retry: {{interval: 5s, deadline: 2m}}
    with: {{service: {BACKEND}}}
  - id: backend-boot-log
    type: logs.boot
    retry: {{interval: 5s, deadline: 2m}}
    with: {{service: {BACKEND}}}
  - id: backend-health
    type: http.health
    timeout: 20s
    retry: {{interval: 5s, deadline: 300s}}
    with:
      url: https://netra-backend-staging-pnovr5vsba-uc.a.run.app/healthz
      expect: {{status: 200}}
""",
        encoding="utf-8",
    )
    return p


def write_trivial_policy(directory: Path, n: int, url: str) -> Path:
    lines = [
        "apiVersion: gate/v1",
        "project: bench",
        "region: us-central1",
        "checks:",
    ]
    for i in range(n):
        lines.append(f"  - {{id: ok-{i:04d}, type: http.health, with: {{url: '{url}'}}}}")
    p = directory / f"trivial-{n}.yaml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


class _Instant(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        body = b'{"status": "healthy"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's backlog of 5 drops SYNs of a burst (1 s retransmits)


class InstantServer:
    """A local HTTP server that answers every GET at once with a small JSON body."""

    def __enter__(self) -> InstantServer:
        self.server = _Server(("127.0.0.1", 0), _Instant)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
