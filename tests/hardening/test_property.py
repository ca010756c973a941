"""Issue 7: properties of the verdict, with hypothesis.

1. Through the whole gate: for a random policy over a shipped world (a random subset of
   the netra-staging checks, random block/warn severities, random acyclic ``needs:``,
   fail-fast on or off) with one random Google-API fault injected (random API, kind and
   ``times``), the exit code is 0 only if every blocking check passed on the UNFAULTED
   world, and never 0 when a persistent fault hid a fact a blocking check reads.
2. The verdict function alone: for any multiset of (severity, status) results, exit 0
   iff every blocking result is PASS and there is one; 1 iff a blocking result is FAIL;
   else 3 (130/143 when interrupted).

The unfaulted statuses are computed once per world (every check, no ``needs:``, no
fail-fast, the fault suite's timings) and cached; the property runs use shorter
timeouts, which can only turn a PASS into a non-PASS, never the other way. Examples are
derandomized, so a failure reproduces as is (hypothesis prints the example).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from gate.emulator import Emulator, Fault, load_world
from gate.engine import ABANDON_GRACE, EngineOptions
from gate.model import CheckResult, CheckSpec, Policy, Report, Severity, Status, Timing
from gate.policy.loader import load_policy
from gate.runner import RunOptions, execute
from tests.hardening.common import WORLDS
from tests.hardening.test_api_faults import APIS, LIST_APIS, NEEDED_FIELDS, POLICY_FILE, READS, _env

WORLD_NAMES = tuple(sorted(p.stem for p in WORLDS.glob("s*.yaml")))
RUN_DEADLINE = 20.0
MAX_EXAMPLES = 40

# Which APIs each check reads (the fault suite's READS, inverted; the HTTP checks that
# take their URL from a Cloud Run service read `run`; the domain and golden-path checks none).
_BASE = load_policy(POLICY_FILE)
CHECK_IDS = tuple(spec.id for spec in _BASE.checks)
CHECK_READS: dict[str, set[str]] = {cid: set() for cid in CHECK_IDS}
for _api, _ids in READS.items():
    for _cid in _ids:
        CHECK_READS[_cid].add(_api)
for _spec in _BASE.checks:
    if _spec.type == "http.health" and "service" in _spec.params:
        CHECK_READS[_spec.id].add("run")

# Fault kinds: Fault keyword arguments; "missing-field" gets the API's needed fields.
FAULTS: Mapping[str, dict[str, Any]] = {
    "none": {},
    "401": {"status": 401},
    "403": {"status": 403},
    "404": {"status": 404},
    "429": {"status": 429},
    "500": {"status": 500},
    "502": {"status": 502},
    "503": {"status": 503},
    "504": {"status": 504},
    "hang": {"hang": True},
    "reset": {"reset": True},
    "malformed": {"malformed": True},
    "missing-field": {},
    "empty-page": {"empty_page": True},
}


def hides(kind: str, api: str, times: int) -> bool:
    """Whether the fault keeps, for the whole run, a fact of ``api`` from every reader."""
    if kind == "none" or times != 0:
        return False
    if kind == "empty-page":
        return api in LIST_APIS  # gate reads no list from the other APIs
    return True


def make_fault(kind: str, api: str, times: int) -> Fault | None:
    if kind == "none":
        return None
    kwargs = dict(FAULTS[kind])
    if kind == "missing-field":
        kwargs["drop"] = NEEDED_FIELDS[api]
    return Fault(api=api, times=times, **kwargs)


def _timed(spec: CheckSpec, google: float, network: float, http: float, step: str) -> CheckSpec:
    """The check with single attempts and these timeouts."""
    params = dict(spec.params)
    if spec.type == "websocket.golden_path":
        params.update(step_timeout=step, timeout=step)
        timeout = http + 1.0
    elif spec.type == "http.health":
        timeout = http
    elif spec.type == "network.reachability":
        timeout = network
    else:
        timeout = google
    return dataclasses.replace(
        spec, params=params, timing=Timing(timeout=timeout, interval=0.2, deadline=0.0)
    )


# The unfaulted truth: generous timeouts. The property runs: short ones (a hang costs ~1 s).
TRUTH_SPECS = {s.id: dataclasses.replace(_timed(s, 3.0, 4.0, 4.0, "4s"), needs=()) for s in _BASE.checks}
RUN_SPECS = {s.id: _timed(s, 1.0, 1.5, 2.0, "1500ms") for s in _BASE.checks}


@dataclass
class WorldRig:
    emulator: Emulator
    env: dict[str, str]
    truth: dict[str, Status]


def _run(policy: Policy, env: Mapping[str, str], fail_fast: bool) -> Report:
    options = EngineOptions(deadline=RUN_DEADLINE, fail_fast=fail_fast)
    return execute(policy, RunOptions(env=env, engine=options, handle_signals=False))


def _truth(rig: WorldRig) -> dict[str, Status]:
    policy = dataclasses.replace(_BASE, checks=tuple(TRUTH_SPECS.values()))
    report = _run(policy, rig.env, fail_fast=False)
    return {r.id: r.status for r in report.results}


@pytest.fixture(scope="module")
def rigs() -> Iterator[dict[str, WorldRig]]:
    """One emulator per shipped world for the whole module, with its unfaulted statuses."""
    out: dict[str, WorldRig] = {}
    try:
        for name in WORLD_NAMES:
            world = load_world(str(WORLDS / f"{name}.yaml"))
            emu = Emulator(world)
            emu.start()
            out[name] = WorldRig(emu, _env(emu, world.env), {})
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            for name, truth in zip(out, pool.map(_truth, out.values()), strict=True):
                out[name].truth = truth
        yield out
    finally:
        for rig in out.values():
            rig.emulator.stop()


def test_the_unfaulted_truth_is_the_incident_catalogue(rigs: dict[str, WorldRig]) -> None:
    """Sanity of the cache: S12 passes everything, every incident world fails something."""
    from tests.scenarios.test_incidents import EXPECTED

    assert set(rigs["s12-healthy"].truth.values()) == {Status.PASS}, rigs["s12-healthy"].truth
    for world, failing in EXPECTED.items():
        if world not in rigs:  # x* worlds are not incidents: the property runs the s* ones
            continue
        truth = rigs[world].truth
        # The fault policy is netra-staging trimmed: checks added to it since (run.diff) are not there.
        for cid in (c for c in failing if c in truth):
            assert truth[cid] is Status.FAIL, (world, cid, truth[cid])


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    world = draw(st.sampled_from(WORLD_NAMES))
    ids = draw(st.lists(st.sampled_from(CHECK_IDS), min_size=1, max_size=6, unique=True))
    severities = [draw(st.sampled_from((Severity.BLOCK, Severity.BLOCK, Severity.WARN))) for _ in ids]
    severities[draw(st.integers(0, len(ids) - 1))] = Severity.BLOCK  # a valid policy blocks on something
    needs = [
        tuple(draw(st.lists(st.sampled_from(ids[:i]), max_size=2, unique=True))) if i else ()
        for i in range(len(ids))
    ]
    read = tuple(sorted(set().union(*(CHECK_READS[c] for c in ids))))
    return {
        "world": world,
        "checks": list(zip(ids, severities, needs, strict=True)),
        "fail_fast": draw(st.booleans()),
        # Half the time, an API one of the chosen checks reads (else any API).
        "api": draw(st.sampled_from(read or APIS) | st.sampled_from(APIS)),
        "kind": draw(st.sampled_from(tuple(FAULTS))),
        "times": draw(st.sampled_from((0, 0, 0, 0, 1, 2))),  # 0 = every request
    }


EXAMPLES: list[int] = []  # examples run, for the figures in docs/reliability/faults.md


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_exit_zero_only_when_every_blocking_check_truly_passes(
    rigs: dict[str, WorldRig], scenario: dict[str, Any]
) -> None:
    rig = rigs[scenario["world"]]
    specs = tuple(
        dataclasses.replace(RUN_SPECS[cid], severity=sev, needs=needs)
        for cid, sev, needs in scenario["checks"]
    )
    policy = dataclasses.replace(_BASE, checks=specs)
    api, kind, times = scenario["api"], scenario["kind"], scenario["times"]
    fault = make_fault(kind, api, times)
    note(f"world={scenario['world']} fault={fault} fail_fast={scenario['fail_fast']}")
    note("checks=" + ", ".join(f"{s.id}[{s.severity.value}, needs={list(s.needs)}]" for s in specs))
    rig.emulator.clear_faults()
    if fault is not None:
        rig.emulator.add_fault(fault)
    started = time.monotonic()
    try:
        report = _run(policy, rig.env, scenario["fail_fast"])
    finally:
        rig.emulator.clear_faults()
    elapsed = time.monotonic() - started
    EXAMPLES.append(1)
    statuses = {r.id: r.status for r in report.results}
    note(f"exit={report.exit_code} statuses={ {k: v.value for k, v in statuses.items()} }")

    blocking = [s for s in specs if s.blocking]
    hidden = any(hides(kind, api, times) and api in CHECK_READS[s.id] for s in blocking)
    event(f"exit {report.exit_code}")
    event("a fault hid a fact a blocking check reads" if hidden else "no blocking fact hidden")
    if report.exit_code == 0:
        # Only what is true on the unfaulted world may pass...
        assert all(rig.truth[s.id] is Status.PASS for s in blocking)
        # ...and nothing a blocking check reads was hidden from it.
        assert not hidden
    # The verdict agrees with the statuses (no blocking FAIL means no exit 1, and back).
    assert (report.exit_code == 1) == any(statuses[s.id] is Status.FAIL for s in blocking)
    # Never hangs: within the run deadline, each check within its timeout and the grace.
    assert elapsed < RUN_DEADLINE
    for r in report.results:
        assert r.duration <= RUN_SPECS[r.id].timing.timeout + ABANDON_GRACE + 1.5, (r.id, r.duration)


# -- the verdict function alone -------------------------------------------------------------------


def _result(i: int, severity: Severity, status: Status) -> CheckResult:
    return CheckResult(id=f"c{i}", type="fake", severity=severity, status=status, summary="")


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from(Severity), st.sampled_from(Status)), max_size=12),
    interrupted=st.sampled_from((None, None, None, "SIGINT", "SIGTERM")),
)
def test_verdict_of_any_results(pairs: list[tuple[Severity, Status]], interrupted: str | None) -> None:
    report = Report(
        project="p",
        region="r",
        policy="x.yaml",
        results=tuple(_result(i, sev, s) for i, (sev, s) in enumerate(pairs)),
        started_at="1970-01-01T00:00:00Z",
        duration=0.0,
        interrupted_by=interrupted,
    )
    blocking = [s for sev, s in pairs if sev is Severity.BLOCK]
    if interrupted:
        assert report.exit_code == (143 if interrupted == "SIGTERM" else 130)
        return
    # PASS: every blocking check passed or was waived, and at least one passed (a waiver proves nothing).
    passed_or_waived = all(s in (Status.PASS, Status.WAIVED) for s in blocking)
    assert (report.exit_code == 0) == (passed_or_waived and Status.PASS in blocking)
    assert (report.exit_code == 1) == any(s is Status.FAIL for s in blocking)
    assert report.exit_code in (0, 1, 3)
    # Advisory results never change the verdict.
    only_blocking = dataclasses.replace(report, results=tuple(r for r in report.results if r.blocking))
    assert only_blocking.exit_code == report.exit_code
