"""Issue 7: every Google API gate reads, every way it can fail, through the whole gate.

Each case injects ONE fault into the emulator serving the healthy world (s12: any
non-PASS is the fault's doing), runs the real engine and checks over the official
clients (in process, ``gate.runner.execute``), and states what gate must say: the
status of each check, the verdict and the exit code, the permission a 403 needs,
the resource a 404 names, and a run bounded by its deadline. A representative
subset runs through the real CLI in subprocesses (no traceback, same exit codes).

Policy: ``fault_policy.yaml`` is netra-staging with single attempts and 2-3 s
timeouts (see its header). Cases are run once per module, one emulator per
(world, API) group reused with ``add_fault``/``clear_faults``; the groups run in
parallel threads to keep the suite short; each parametrized test asserts one case.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.emulator import Emulator, Fault, load_world
from gate.engine import ABANDON_GRACE, EngineOptions
from gate.model import Policy, Report, Status
from gate.policy.loader import load_policy
from gate.runner import RunOptions, execute
from tests.hardening.common import WORLDS, clean_env, load_s12, write_world

HERE = Path(__file__).resolve().parent
POLICY_FILE = HERE / "fault_policy.yaml"
RUN_DEADLINE = 20.0  # seconds, the whole run (in process)
CLI_DEADLINE = "15s"

B = "netra-backend-staging"
A = "netra-auth-service"
REV_B, REV_A = f"{B}-revision", f"{A}-revision"
ENV, BOOT, SQL = f"{B}-env", f"{B}-boot-log", "staging-shared-postgres-sql"
TO_REDIS, TO_SQL = f"{B}-reaches-redis", f"{B}-reaches-sql"
HEALTH, _DOMAIN, DEEP, GOLDEN, AUTH_HEALTH = (
    f"{B}-health",
    f"{B}-domain-health",
    f"{B}-deep-health",
    "golden-path",
    f"{A}-health",
)

APIS = ("run", "secretmanager", "sqladmin", "logging", "vpcaccess", "redis", "compute", "networkmanagement")

# Checks that read each API themselves (measured: a fault on the API changes exactly these).
READS: Mapping[str, tuple[str, ...]] = {
    "run": (REV_B, ENV, REV_A, BOOT, SQL, TO_REDIS, TO_SQL),
    "secretmanager": (ENV,),
    "sqladmin": (SQL, TO_SQL),
    "logging": (BOOT,),
    "vpcaccess": (TO_REDIS, TO_SQL),
    "redis": (TO_REDIS,),
    "compute": (TO_REDIS, TO_SQL),
    "networkmanagement": (TO_REDIS, TO_SQL),
}
# ...and the checks that then SKIP through `needs:` (only the Cloud Run revisions are needed).
SKIPPED_WHEN: Mapping[str, tuple[str, ...]] = {"run": (HEALTH, DEEP, GOLDEN, AUTH_HEALTH)}

# A field each API's answer must carry for the checks to judge (drop= removes it).
NEEDED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "run": ("latestCreatedRevision",),
    "secretmanager": ("state",),
    "sqladmin": ("settings.tier",),
    "logging": ("timestamp", "receiveTimestamp"),
    "vpcaccess": ("ipCidrRange",),
    "redis": ("host",),
    "compute": ("selfLink",),  # networks.get
    "networkmanagement": ("reachabilityDetails",),
}
# APIs gate reads lists from (an empty page with a token only means something there), and the
# checks that read a list (the firewall hop reads effective firewalls, not a list; the Cloud
# SQL path lists the private services ranges).
LIST_APIS = ("logging", "compute")
LIST_READS: Mapping[str, tuple[str, ...]] = {"logging": (BOOT,), "compute": (TO_SQL,)}

# What a 403 must name: the permission gate's identity lacks.
PERMISSION: Mapping[str, str] = {
    "run": "run.services.get",
    "secretmanager": "secretmanager.versions.get",
    "sqladmin": "cloudsql.instances.get",
    "logging": "logging.logEntries.list",
    "vpcaccess": "vpcaccess.connectors.get",
    "redis": "redis.instances.get",
    "compute": "compute.networks.get",
    "networkmanagement": "networkmanagement.connectivitytests.create",
}
# What a 404 must name: the resource that was not found.
NOT_FOUND_NAMES: Mapping[str, str] = {
    "run": "locations/us-central1/services/netra-",
    "secretmanager": "postgres-password-staging",
    "sqladmin": "instances/staging-shared-postgres",
    "logging": "projects/netra-staging",
    "vpcaccess": "connector staging-connector",
    "redis": "instances/staging-redis-f1adc35c",
    "compute": "networks/staging-vpc",
    "networkmanagement": "connectivityTests",
}

# Fault kinds: (Fault keyword arguments, status of the checks reading the API, summary words).
# None as the status means "the true verdict": the fault is transient and within the deadline.
# A word "a|b" accepts either (gate's redactor masks "secretmanager: HTTP" and
# "GetSecretVersion: Permission" as if they were credentials: see docs/reliability/faults.md).
KINDS: Mapping[str, tuple[dict[str, Any], Status | None, tuple[str, ...]]] = {
    "401": ({"status": 401}, Status.ERROR, ("401 UNAUTHENTICATED",)),
    "403": ({"status": 403}, Status.ERROR, ("403 PERMISSION_DENIED",)),
    "404": ({"status": 404}, Status.FAIL, ("NOT_FOUND|does not exist",)),
    "429x2-then-ok": ({"status": 429, "times": 2}, None, ()),
    "503x2-then-ok": ({"status": 503, "times": 2}, None, ()),
    "reset-once-then-ok": ({"reset": True, "times": 1}, None, ()),
    "500-persistent": ({"status": 500}, Status.ERROR, ("500 INTERNAL",)),
    "503-persistent": ({"status": 503}, Status.ERROR, ("503 UNAVAILABLE",)),
    "502-persistent": ({"status": 502}, Status.ERROR, ("502 ",)),
    "504-persistent": ({"status": 504}, Status.ERROR, ("504 DEADLINE_EXCEEDED",)),
    "hang": ({"hang": True}, Status.ERROR, ("timed out",)),
    "reset-persistent": ({"reset": True}, Status.ERROR, ("Connection reset by peer",)),
    "malformed-json": ({"malformed": True}, Status.ERROR, ("malformed response|Failed to load JSON",)),
    "missing-field": ({}, Status.ERROR, ("no data: ",)),  # drop= filled per API
    "empty-page-forever": (
        {"empty_page": True},
        Status.ERROR,
        ("repeated a page token|no log entries|more than 50 pages|after 50 pages",),
    ),
    "empty-page-once": ({"empty_page": True, "times": 1}, None, ()),
}

# A check that asked for a fact another check's request was already fetching waits for it
# on its own deadline, and may run out first; one whose time went on earlier facts may hit
# its deadline before the faulted call. Both are ERROR, with these words instead of the cause.
# Under CPU load an attempt may also be abandoned by the engine ("timed out: the attempt did
# not finish") or a request time out ("Read timed out"): still ERROR, never PASS.
SHARED_WAIT = ("timed out", "deadline reached")


@dataclass(frozen=True)
class Case:
    world: str  # a shipped world's stem
    api: str
    kind: str
    fault: Fault = field(compare=False)
    expected: Mapping[str, Status] = field(compare=False)
    exit_code: int
    words: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.world.split('-')[0]}-{self.api}-{self.kind}"


def _truth(world: str) -> dict[str, Status]:
    """Every check's status on the unfaulted world (fault_policy.yaml, no fail-fast)."""
    if world == "s12-healthy":
        return {}  # all PASS
    if world == "s7-database-underprovisioned":
        return {SQL: Status.FAIL}
    raise ValueError(world)


def _case(world: str, api: str, kind: str, fault: Fault | None = None) -> Case:
    kwargs, status, words = KINDS[kind]
    if fault is None:
        kwargs = dict(kwargs)
        if kind == "missing-field":
            kwargs["drop"] = NEEDED_FIELDS[api]
        fault = Fault(api=api, **kwargs)
    expected: dict[str, Status] = dict(_truth(world))
    if status is not None:
        for cid in LIST_READS[api] if kind.startswith("empty-page") else READS[api]:
            expected[cid] = status
        for cid in SKIPPED_WHEN.get(api, ()):
            expected[cid] = Status.SKIP
    if Status.FAIL in expected.values():
        code = 1
    elif expected:
        code = 3
    else:
        code = 0
    return Case(world, api, kind, fault, expected, code, words)


def _cases() -> list[Case]:
    out: list[Case] = []
    for api in APIS:
        for kind in KINDS:
            if kind.startswith("empty-page") and api not in LIST_APIS:
                continue  # gate lists nothing from this API: the fault cannot apply
            out.append(_case("s12-healthy", api, kind))
    # A transient fault ends in the TRUE verdict, here a failure (S7: db-g1-small).
    for api in APIS:
        out.append(_case("s7-database-underprovisioned", api, "429x2-then-ok"))
    # Path-scoped: the effective-firewalls call of the firewall hop, with its own permission.
    fw = Fault(api="compute", path="/getEffectiveFirewalls$", status=403)
    out.append(
        Case(
            "s12-healthy",
            "compute",
            "403-effective-firewalls",
            fw,
            _case("s12-healthy", "compute", "403").expected,
            3,
            ("compute.networks.getRegionEffectiveFirewalls",),
        )
    )
    return out


CASES = _cases()


@dataclass
class Ran:
    report: Report | None
    elapsed: float
    error: BaseException | None = None


def _env(emu: Emulator, world_env: Mapping[str, str]) -> dict[str, str]:
    env = clean_env(dict(world_env))
    env["GATE_EMULATOR_HOST"] = emu.api_host
    env["GATE_RESOLVE"] = " ".join(f"{o}={b}" for o, b in emu.resolver_map.items())
    return env


def _run_group(policy: Policy, world: str, cases: list[Case]) -> dict[str, Ran]:
    out: dict[str, Ran] = {}
    loaded = load_world(str(WORLDS / f"{world}.yaml"))
    with Emulator(loaded) as emu:
        env = _env(emu, loaded.env)
        for case in cases:
            emu.clear_faults()
            emu.add_fault(case.fault)
            started = time.monotonic()
            try:
                report = execute(
                    policy,
                    RunOptions(
                        env=env,
                        engine=EngineOptions(deadline=RUN_DEADLINE, fail_fast=False),
                        handle_signals=False,
                    ),
                )
                out[case.id] = Ran(report, time.monotonic() - started)
            except BaseException as e:  # reported by the case's own test
                out[case.id] = Ran(None, time.monotonic() - started, e)
            emu.clear_faults()
    return out


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY_FILE)


@pytest.fixture(scope="module")
def results(policy: Policy, cli_started: CliProcs) -> dict[str, Ran]:
    # cli_started: the CLI subprocesses import the Google clients (CPU) while these
    # in-process cases mostly wait on timeouts.
    groups: dict[tuple[str, str], list[Case]] = {}
    for case in CASES:
        groups.setdefault((case.world, case.api), []).append(case)
    out: dict[str, Ran] = {}
    # One thread per API: more parallel runs starve this 2-core machine's CPU and make
    # the 2 s attempts of the transient cases flaky.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(APIS)) as pool:
        futures = [pool.submit(_run_group, policy, w, cs) for (w, _), cs in groups.items()]
        for f in futures:
            out.update(f.result())
    return out


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: Case, results: dict[str, Ran], policy: Policy) -> None:
    ran = results[case.id]
    assert ran.error is None, f"gate raised {ran.error!r}"
    report = ran.report
    assert report is not None
    got = {r.id: r.status for r in report.results}
    want = {spec.id: case.expected.get(spec.id, Status.PASS) for spec in policy.checks}
    assert got == want, {k: (got[k].value, report.result(k).summary) for k in got if got[k] != want[k]}
    assert report.exit_code == case.exit_code
    assert report.verdict.value == {0: "PASS", 1: "FAIL", 3: "INCONCLUSIVE"}[case.exit_code]
    # Fail closed: a fault that hides a fact never ends in a pass.
    if any(s is not Status.PASS for s in case.expected.values()):
        assert report.exit_code != 0
    # Bounded: within the run deadline, and no check beyond its own timeout (+ the
    # engine's abandon grace and a scheduling margin).
    assert ran.elapsed < RUN_DEADLINE
    timeouts = {spec.id: spec.timing.timeout for spec in policy.checks}
    for r in report.results:
        assert r.duration <= timeouts[r.id] + ABANDON_GRACE + 1.5, (r.id, r.duration)
    hit = [report.result(cid) for cid in READS[case.api] if case.expected.get(cid) not in (None, Status.PASS)]
    for r in hit:
        if case.world == "s12-healthy" or r.id != SQL:
            text = r.summary + " " + r.remediation
            for w in case.words:
                alts = w.split("|")
                if r.status is Status.ERROR:
                    alts += list(SHARED_WAIT)
                assert any(alt in text for alt in alts), (r.id, w, r.summary)
            assert "check raised" not in r.summary, r.summary  # every failure is mapped, none is a crash
    if case.kind == "403":
        assert any(PERMISSION[case.api] in r.summary and PERMISSION[case.api] in r.remediation for r in hit)
    if case.kind == "404":
        for r in hit:
            text = r.summary + json.dumps(dict(r.evidence))
            assert NOT_FOUND_NAMES[case.api] in text, (r.id, r.summary)


# -- the real CLI, a representative subset ----------------------------------------------------
# (each CLI run costs about 3 s of CPU, mostly importing the Google clients: four, in parallel)


@dataclass(frozen=True)
class CliCase:
    id: str
    world: str  # the base world
    faults: tuple[dict[str, Any], ...]  # world-level faults (camelCase keys)
    exit_code: int
    statuses: Mapping[str, str]  # some checks' expected statuses
    words: tuple[str, ...] = ()  # in the JSON report
    deadline: str = CLI_DEADLINE
    fail_fast: bool = True


CLI_CASES = (
    CliCase(
        "redis-403",
        "s12-healthy",
        ({"api": "redis", "status": 403},),
        3,
        {TO_REDIS: "ERROR", TO_SQL: "PASS"},
        ("redis.instances.get",),
    ),
    CliCase(
        "vpcaccess-404",
        "s12-healthy",
        ({"api": "vpcaccess", "status": 404},),
        1,
        {TO_REDIS: "FAIL"},
        ("staging-connector",),
        fail_fast=False,
    ),
    CliCase(
        "s7-sqladmin-429x2",
        "s7-database-underprovisioned",
        ({"api": "sqladmin", "status": 429, "times": 2},),
        1,
        {SQL: "FAIL"},
        ("db-g1-small",),
        fail_fast=False,
    ),
    # A hung API and a run deadline shorter than the check's timeout: the deadline wins.
    CliCase(
        "logging-hang-run-deadline",
        "s12-healthy",
        ({"api": "logging", "hang": True},),
        3,
        {BOOT: "ERROR"},
        ("gate deadline 1s reached",),
        deadline="1s",
    ),
)


CliProcs = dict[str, tuple["subprocess.Popen[str]", float]]


@pytest.fixture(scope="module")
def cli_started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliProcs]:
    tmp = tmp_path_factory.mktemp("cli-faults")
    procs: CliProcs = {}
    for case in CLI_CASES:
        if case.world == "s12-healthy":
            data = load_s12()
        else:
            data = json.loads(json.dumps(yaml.safe_load((WORLDS / f"{case.world}.yaml").read_text())))
        data["faults"] = list(case.faults)
        path = write_world(tmp / f"{case.id}.json", data)
        cmd = [
            sys.executable,
            "-m",
            "gate",
            "check",
            "--policy",
            str(POLICY_FILE),
            "--world",
            str(path),
            "--deadline",
            case.deadline,
            "-f",
            "json",
            "--no-progress",
            "--fail-fast" if case.fail_fast else "--no-fail-fast",
        ]
        procs[case.id] = (
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env()),
            time.monotonic(),
        )
    yield procs
    for p, _ in procs.values():
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def cli_results(cli_started: CliProcs) -> dict[str, tuple[int, dict[str, Any], str, float]]:
    out = {}
    for cid, (p, started) in cli_started.items():
        stdout, stderr = p.communicate(timeout=120)
        doc = json.loads(stdout) if stdout.strip().startswith("{") else {}
        out[cid] = (p.returncode, doc, stderr, time.monotonic() - started)
    return out


def _parse_duration(text: str) -> float:
    return float(text[:-1]) if text.endswith("s") else float(text)


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_fault_through_the_cli(case: CliCase, cli_results: dict[str, Any]) -> None:
    code, doc, stderr, wall = cli_results[case.id]
    assert "Traceback" not in stderr, stderr
    assert code == case.exit_code, (code, stderr[-2000:])
    assert doc["exitCode"] == code and doc["verdict"] == {1: "FAIL", 3: "INCONCLUSIVE"}[code]
    statuses = {c["id"]: c["status"] for c in doc["checks"]}
    for cid, status in case.statuses.items():
        assert statuses[cid] == status, (cid, statuses[cid])
    text = json.dumps(doc)
    for w in case.words:
        assert w in text, w
    assert doc["durationSeconds"] <= _parse_duration(case.deadline) + ABANDON_GRACE + 1.0
    assert wall < 180  # started with the in-process cases; durationSeconds is the real bound


def _kinds_by_api() -> Iterator[tuple[str, str]]:
    for c in CASES:
        yield c.api, c.kind


def test_every_api_gets_every_applicable_kind() -> None:
    seen = set(_kinds_by_api())
    for api in APIS:
        for kind in KINDS:
            if kind.startswith("empty-page") and api not in LIST_APIS:
                continue
            assert (api, kind) in seen
