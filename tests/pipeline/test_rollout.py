"""``gate rollout`` end to end: the real CLI against the emulator over HTTP, real traffic PATCHes.

The worlds are examples/rollout/*.yaml and variants of them: the candidate's
Cloud Monitoring data follows its live share of traffic (``monitoring.traffic``,
docs/WORLDS.md), so each step's analysis sees what that step's split implies.
Pauses are zero, or long and cut short by a signal; nothing here measures time.
"""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from gate.emulator import Emulator, Fault, load_world
from gate.report.json_report import schema
from tests.pipeline.conftest import LOC, ROOT, SERVICE, emulator_env, gate, patches, service_json

EXAMPLES = ROOT / "examples" / "rollout"
POLICY = EXAMPLES / "policy.yaml"
OLD = "netra-backend-staging-00042-xq7"
NEW = "netra-backend-staging-00043-cnd"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
CANDIDATE_ORIGIN = "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app"
WHERE = "--region us-central1 --project netra-staging"


def world_file(tmp_path: Path, edit: Callable[[dict[str, Any]], None] | None = None, name: str = "w") -> Path:
    data = copy.deepcopy(yaml.safe_load((EXAMPLES / "canary-healthy.yaml").read_text()))
    if edit is not None:
        edit(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def profile(data: dict[str, Any], revision: str = NEW) -> dict[str, Any]:
    p: dict[str, Any] = data["monitoring"]["traffic"][0]["revisions"][revision]
    return p


def backend(data: dict[str, Any]) -> dict[str, Any]:
    svc: dict[str, Any] = data["run"]["services"][0]
    return svc


def with_stable_tag(data: dict[str, Any]) -> None:
    """00042 also carries tag `stable`: every tag must survive every step."""
    svc = backend(data)
    svc["traffic"].append({"type": REVISION, "revision": OLD, "tag": "stable"})
    svc["trafficStatuses"].append(
        {
            "type": REVISION,
            "revision": OLD,
            "tag": "stable",
            "uri": "https://stable---netra-backend-staging-pnovr5vsba-uc.a.run.app",
        }
    )


def routed(emu: Emulator) -> list[tuple[str, int, str | None]]:
    return [(t["revision"], t.get("percent", 0), t.get("tag")) for t in service_json(emu)["trafficStatuses"]]


def rollout(env: dict[str, str], *args: str, policy: Path = POLICY, pause: str = "0s") -> Any:
    return gate("rollout", "--policy", str(policy), "--pause", pause, *args, env=env)


def report_of(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    jsonschema.validate(doc, schema())
    return doc


@pytest.fixture
def serve_world() -> Iterator[Callable[[Path], Emulator]]:
    """serve_world(path): a started Emulator that keeps request bodies (the PATCHes sent)."""
    started: list[Emulator] = []

    def start(path: Path) -> Emulator:
        emu = Emulator(load_world(str(path)), exchanges=True).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


def sent_splits(emu: Emulator) -> list[dict[str, int]]:
    """The percentages of every traffic PATCH sent, in order (tags at 0% left out)."""
    out = []
    for x in emu.exchanges:
        if x.api == "run" and x.method == "PATCH":
            assert x.query.get("updateMask") == ["traffic"], x.query
            body = json.loads(x.body)
            short = {
                t.get("revision", "").rsplit("/", 1)[-1]: t["percent"]
                for t in body["traffic"]
                if t.get("percent")
            }
            out.append(short)
    return out


def test_healthy_candidate_reaches_100_with_every_tag_kept(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    emu = serve_world(world_file(tmp_path, with_stable_tag))
    out = tmp_path / "report.json"
    r = rollout(emulator_env(emu), "--output", f"json={out}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"rollout {SERVICE}: completed: {NEW} receives 100% of traffic; tags kept: candidate, stable" in (
        r.stderr
    )
    assert sent_splits(emu) == [
        {NEW: 5, OLD: 95},
        {NEW: 25, OLD: 75},
        {NEW: 50, OLD: 50},
        {NEW: 100},
    ]
    assert sorted(routed(emu), key=str) == sorted(
        [(NEW, 100, None), (NEW, 0, "candidate"), (OLD, 0, "stable")], key=str
    )
    doc = report_of(out)
    assert doc["verdict"] == "PASS" and doc["exitCode"] == 0
    ro = doc["rollout"]
    assert (ro["action"], ro["share"], ro["resumedFrom"], ro["revision"]) == ("completed", 100, 0, NEW)
    assert [(s["number"], s["percent"], s["verdict"], s["changed"]) for s in ro["steps"]] == [
        (0, 0, "PASS", False),
        (1, 5, "PASS", True),
        (2, 25, "PASS", True),
        (3, 50, "PASS", True),
        (4, 100, "PASS", True),
    ]
    # Readiness ran the revision and health checks; each step health and the canary metrics.
    assert {c["id"] for c in ro["steps"][0]["checks"]} == {"candidate-revision", "candidate-health"}
    assert {c["id"] for c in ro["steps"][1]["checks"]} == {
        "candidate-health",
        "netra-backend-staging-canary-errors",
        "netra-backend-staging-canary-latency",
    }
    # At 100% nothing else serves: the baseline-relative thresholds were judged at 5-50% only.
    last = {c["id"]: c for c in ro["steps"][4]["checks"]}
    assert [t["assert"] for t in last["netra-backend-staging-canary-errors"]["evidence"]["thresholds"]] == [
        "error_ratio <= 1%"
    ]
    assert "judged at the earlier steps" in ro["steps"][4]["note"]
    assert "4/4" in r.stdout and "100%" in r.stdout  # the text step table


def test_error_ratio_rising_at_25_rolls_back(serve_world: Callable[[Path], Emulator]) -> None:
    emu = serve_world(EXAMPLES / "canary-5xx-at-25.yaml")
    r = rollout(emulator_env(emu), "--format", "json")
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema())
    assert doc["verdict"] == "FAIL"
    assert doc["rollout"]["action"] == "rolled-back"
    assert [(s["percent"], s["verdict"]) for s in doc["rollout"]["steps"]] == [
        (0, "PASS"),
        (5, "PASS"),
        (25, "FAIL"),
    ]
    failed = next(c for c in doc["rollout"]["steps"][2]["checks"] if c["status"] == "FAIL")
    assert failed["id"] == "netra-backend-staging-canary-errors"
    assert "error_ratio 8.00%" in failed["summary"]
    assert doc["traffic"]["kind"] == "rollback" and doc["traffic"]["action"] == "rolled-back"
    assert sent_splits(emu) == [{NEW: 5, OLD: 95}, {NEW: 25, OLD: 75}, {OLD: 100}]
    assert sorted(routed(emu), key=str) == sorted([(OLD, 100, None), (NEW, 0, "candidate")], key=str)
    assert f"gcloud run revisions describe {NEW} {WHERE}" in r.stderr


def test_latency_regression_against_the_baseline_rolls_back(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    def slow(data: dict[str, Any]) -> None:
        profile(data)["latencyMs"] = 900  # under max_p95 (2s), but far over 1.2 x the baseline's

    emu = serve_world(world_file(tmp_path, slow))
    r = rollout(emulator_env(emu), "--format", "json")
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    steps = doc["rollout"]["steps"]
    assert [(s["percent"], s["verdict"]) for s in steps] == [(0, "PASS"), (5, "FAIL")]
    latency = next(c for c in steps[1]["checks"] if c["id"] == "netra-backend-staging-canary-latency")
    assert latency["status"] == "FAIL" and "baseline" in latency["summary"]
    assert [t["status"] for t in latency["evidence"]["thresholds"]] == ["PASS", "FAIL"]
    assert sent_splits(emu) == [{NEW: 5, OLD: 95}, {OLD: 100}]
    assert (OLD, 100, None) in routed(emu)


def trickle(data: dict[str, Any]) -> None:
    data["monitoring"]["traffic"][0]["requestsPerMinute"] = 20  # 5% of it: 1 request a minute


@pytest.mark.parametrize("how", ["rollback", "hold"])
def test_too_little_traffic_is_inconclusive_never_promoted(
    tmp_path: Path, serve_world: Callable[[Path], Emulator], how: str
) -> None:
    emu = serve_world(world_file(tmp_path, trickle))
    r = rollout(emulator_env(emu), "--on-inconclusive", how, "--format", "json")
    assert r.returncode == 3, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, schema())
    assert doc["verdict"] == "INCONCLUSIVE"
    step = doc["rollout"]["steps"][1]
    assert (step["percent"], step["verdict"]) == (5, "INCONCLUSIVE")
    errors = next(c for c in step["checks"] if c["id"] == "netra-backend-staging-canary-errors")
    assert errors["status"] == "ERROR" and "at least 50 needed (min_requests)" in errors["summary"]
    assert len(doc["rollout"]["steps"]) == 2  # never went past 5%
    if how == "rollback":
        assert doc["rollout"]["action"] == "rolled-back"
        assert sent_splits(emu) == [{NEW: 5, OLD: 95}, {OLD: 100}]
        assert (OLD, 100, None) in routed(emu)
    else:
        assert doc["rollout"]["action"] == "held" and doc["rollout"]["share"] == 5
        assert sent_splits(emu) == [{NEW: 5, OLD: 95}]
        assert (NEW, 5, None) in routed(emu)
        assert "# resume from 5%" in r.stderr and "# roll back" in r.stderr
        assert f"--to-revisions={OLD}=100 {WHERE}" in r.stderr


@pytest.mark.parametrize("how", ["rollback", "hold"])
def test_monitoring_api_failing_is_an_error_rolled_back_or_held(
    tmp_path: Path, serve_world: Callable[[Path], Emulator], how: str
) -> None:
    emu = serve_world(world_file(tmp_path))
    emu.add_fault(Fault(api="monitoring", status=403))
    r = rollout(emulator_env(emu), "--on-inconclusive", how, "--format", "json")
    assert r.returncode == 3, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    step = doc["rollout"]["steps"][1]
    assert step["verdict"] == "INCONCLUSIVE"
    metric = next(c for c in step["checks"] if c["type"] == "monitoring.metric")
    assert metric["status"] == "ERROR" and "monitoring.timeSeries.list" in metric["summary"]
    expected = [{NEW: 5, OLD: 95}, {OLD: 100}] if how == "rollback" else [{NEW: 5, OLD: 95}]
    assert sent_splits(emu) == expected
    assert doc["rollout"]["action"] == ("rolled-back" if how == "rollback" else "held")


class _Gate:
    """The candidate's /health, held open on its ``hold_on``-th request until the test releases it."""

    def __init__(self, hold_on: int) -> None:
        self.hold_on = hold_on
        self.count = 0
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self.release = threading.Event()

    def serve(self) -> Iterator[str]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer.lock:
                    outer.count += 1
                    mine = outer.count
                if mine == outer.hold_on:
                    outer.arrived.set()
                    outer.release.wait(60)
                body = b'{"status": "healthy"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            self.release.set()
            server.shutdown()
            server.server_close()


def test_concurrent_traffic_change_is_refused_and_not_overwritten(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    emu = serve_world(world_file(tmp_path))
    held = _Gate(hold_on=2)  # 1: readiness; 2: step 1's analysis, once 5% has moved
    served = held.serve()
    base = next(served)
    env = emulator_env(emu)
    rules = [f"{o}={b}" for o, b in emu.resolver_map.items() if o != CANDIDATE_ORIGIN]
    env["GATE_RESOLVE"] = " ".join([*rules, f"{CANDIDATE_ORIGIN}={base}"])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gate",
            "rollout",
            "--policy",
            str(POLICY),
            "--pause",
            "0s",
            "--format",
            "json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert held.arrived.wait(60), "step 1's health probe never came"
        # Meanwhile someone pins all traffic back on the old revision by hand.
        now = service_json(emu)
        theirs = [
            {"type": REVISION, "revision": OLD, "percent": 100},
            {"type": REVISION, "revision": NEW, "tag": "candidate"},
        ]
        answer = httpx.patch(
            f"{emu.api_endpoint}/v2/{LOC}/services/{SERVICE}",
            params={"updateMask": "traffic"},
            json={"traffic": theirs, "etag": now["etag"]},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        held.release.set()
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
        next(served, None)
    assert proc.returncode == 3, stdout + stderr
    doc = json.loads(stdout)
    assert doc["rollout"]["action"] == "refused"
    assert "changed during the rollout" in doc["rollout"]["message"]
    assert "not overwritten" in doc["rollout"]["message"]
    # Whether the step's metrics were read before or after their change, no rollback overwrote it:
    # either the next step's write was refused, or the rollback the step called for was.
    assert doc.get("traffic", {"action": "refused"})["action"] == "refused", stderr
    # gate's 5% and their change; nothing after it.
    assert sent_splits(emu) == [{NEW: 5, OLD: 95}, {OLD: 100}]
    assert (OLD, 100, None) in routed(emu)


def test_sigint_mid_pause_stops_where_it_is_then_a_rerun_resumes(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    emu = serve_world(world_file(tmp_path))
    env = {**emulator_env(emu), "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "interrupted.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gate",
            "rollout",
            "--policy",
            str(POLICY),
            "--pause",
            "10m",
            "--output",
            f"json={out}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if "step 1/4: pausing 10m" in line:
                break
        else:
            raise AssertionError("no pause line: " + "".join(seen))
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr
    assert f"rollout {SERVICE}: interrupted: interrupted by SIGINT: traffic stays at 5% on {NEW}" in stderr
    assert f"traffic now: {NEW}=5%, {OLD}=95%, {NEW}=0% (tag candidate)" in stderr
    assert "--steps 5,25,50,100 --pause 10m --on-inconclusive rollback    # resume from 5%" in stderr
    assert (
        f"gcloud run services update-traffic {SERVICE} --to-revisions={OLD}=100 {WHERE}    # roll back"
        in stderr
    )
    assert sent_splits(emu) == [{NEW: 5, OLD: 95}]  # no further traffic change
    doc = report_of(out)
    assert doc["verdict"] == "INTERRUPTED" and doc["interruptedBy"] == "SIGINT"
    assert doc["rollout"]["action"] == "interrupted" and doc["rollout"]["share"] == 5

    # Re-run: it finds 5%, re-judges that step without a change, then goes on.
    again = tmp_path / "resumed.json"
    r = rollout(emulator_env(emu), "--output", f"json={again}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "resuming from 5%" in r.stderr
    assert "step 1/4: already at 5% (resumed): no traffic change" in r.stderr
    assert sent_splits(emu) == [{NEW: 5, OLD: 95}, {NEW: 25, OLD: 75}, {NEW: 50, OLD: 50}, {NEW: 100}]
    doc = report_of(again)
    assert doc["rollout"]["resumedFrom"] == 5
    assert [(s["percent"], s["changed"]) for s in doc["rollout"]["steps"]] == [
        (5, False),
        (5, False),
        (25, True),
        (50, True),
        (100, True),
    ]


def test_rerun_between_steps_resumes_at_the_next_one(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    def at_10(data: dict[str, Any]) -> None:
        svc = backend(data)
        svc["traffic"] = [
            {"type": REVISION, "revision": NEW, "percent": 10},
            {"type": REVISION, "revision": OLD, "percent": 90},
            {"type": REVISION, "revision": NEW, "tag": "candidate"},
        ]
        svc["trafficStatuses"] = [
            {"type": REVISION, "revision": NEW, "percent": 10},
            {"type": REVISION, "revision": OLD, "percent": 90},
            {"type": REVISION, "revision": NEW, "tag": "candidate", "uri": CANDIDATE_ORIGIN},
        ]

    emu = serve_world(world_file(tmp_path, at_10))
    r = rollout(emulator_env(emu))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "resuming from 10%" in r.stderr
    assert sent_splits(emu) == [{NEW: 25, OLD: 75}, {NEW: 50, OLD: 50}, {NEW: 100}]


def test_readiness_failure_moves_no_traffic(tmp_path: Path, serve_world: Callable[[Path], Emulator]) -> None:
    def broken(data: dict[str, Any]) -> None:
        data["endpoints"][1]["paths"]["/health"] = {"status": 503, "json": {"status": "starting"}}

    emu = serve_world(world_file(tmp_path, broken))
    r = rollout(emulator_env(emu), "--format", "json")
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["rollout"]["action"] == "not-started"
    assert [s["number"] for s in doc["rollout"]["steps"]] == [0]
    assert patches(emu) == []


def test_candidate_already_at_100_is_done_without_a_write(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    emu = serve_world(world_file(tmp_path))
    assert rollout(emulator_env(emu)).returncode == 0
    count = len(patches(emu))
    r = rollout(emulator_env(emu))
    assert r.returncode == 0, r.stderr
    assert f"already-complete: {NEW} already receives 100% of traffic" in r.stderr
    assert len(patches(emu)) == count


def test_every_traffic_change_is_in_the_evidence_bundle(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    emu = serve_world(EXAMPLES / "canary-5xx-at-25.yaml")
    bundle = tmp_path / "evidence"
    r = rollout(emulator_env(emu), "--evidence", str(bundle))
    assert r.returncode == 1, r.stderr
    lines = [json.loads(x) for x in (bundle / "exchanges.jsonl").read_text().splitlines()]
    writes = [x for x in lines if x.get("kind") == "google-api" and x["method"] == "UpdateService"]
    assert len(writes) == len(patches(emu)) == 3
    report = json.loads((bundle / "report.json").read_text())
    assert [s["percent"] for s in report["rollout"]["steps"]] == [0, 5, 25]


def test_python_api_gives_the_cli_verdict(tmp_path: Path, serve_world: Callable[[Path], Emulator]) -> None:
    import gate

    emu = serve_world(EXAMPLES / "canary-5xx-at-25.yaml")
    lines: list[str] = []
    report = gate.rollout(POLICY, pause=0, env=emulator_env(emu), notify=lines.append)
    assert report.exit_code == 1 and report.rollout is not None
    assert report.rollout.action == "rolled-back"
    assert [s.percent for s in report.rollout.steps] == [0, 5, 25]
    assert any("step 2/4" in line for line in lines)


def test_usage_errors_before_anything_runs(tmp_path: Path) -> None:
    r = gate("rollout", "--policy", str(POLICY), "--steps", "5,50,25")
    assert r.returncode == 2 and "--steps: steps must increase: 25 after 50" in r.stderr
    r = gate("rollout", "--policy", str(POLICY), "--steps", "5,50")
    assert r.returncode == 2 and "the last step must be 100" in r.stderr
    r = gate("rollout", "--policy", str(POLICY), "--pause", "2")
    assert r.returncode == 2 and "--pause" in r.stderr
    no_tag = tmp_path / "p.yaml"
    no_tag.write_text(POLICY.read_text().replace("  tag: candidate\n", "", 1))
    r = gate("rollout", "--policy", str(no_tag))
    assert r.returncode == 2 and "--tag TAG" in r.stderr, r.stderr


def test_a_traffic_write_without_permission_fails_closed(
    tmp_path: Path, serve_world: Callable[[Path], Emulator]
) -> None:
    emu = serve_world(world_file(tmp_path))
    before = routed(emu)
    emu.add_fault(Fault(api="run", method="PATCH", status=403))
    r = rollout(emulator_env(emu), "--format", "json")
    assert r.returncode == 3, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["rollout"]["action"] == "failed" and doc["rollout"]["share"] == 0
    assert "run.services.update" in doc["rollout"]["message"]
    assert [s["verdict"] for s in doc["rollout"]["steps"]] == ["PASS", None]
    assert routed(emu) == before
