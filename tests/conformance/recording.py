"""Run gate the way users do and keep every request and answer on the wire.

Scenarios: each shipped world under the staging policy; the same world renamed to
production names (as tests/scenarios/test_production.py does) under the
production policy, whose network checks also run Connectivity Tests; a gated
promotion that PATCHes traffic; a ``gate snapshot``; and runs that make the
emulator answer with errors (missing resources, injected 403/429/500/503).
Between them the policies include every library file in checks/. Each
scenario has its own emulator, started with ``exchanges=True``; runs are
in-process (``gate.run``, ``check_and_promote``, ``Snapshot``) and concurrent.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gate.emulator import Emulator, Exchange, Fault, World, load_world, parse_world

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "gate" / "emulator" / "worlds"
STAGING = ROOT / "policies" / "netra-staging.yaml"
PRODUCTION = ROOT / "policies" / "netra-production.yaml"
MISSING = Path(__file__).parent / "policies" / "missing-resources.yaml"
PROMOTE = Path(__file__).parent / "policies" / "promote.yaml"
METRICS = Path(__file__).parent / "policies" / "metrics.yaml"
# The monitoring.metric test world (a candidate behind the tag "candidate" with a few minutes
# of Cloud Monitoring data) and the policy that runs the bundled checks/canary.yaml on it.
CANARY_WORLD = ROOT / "tests" / "checks" / "worlds" / "canary-base.yaml"
CANARY = ROOT / "tests" / "checks" / "worlds" / "canary-policy.yaml"
# A run's API calls happen in its first seconds; the rest is probes polling endpoints
# (health with successes: 3, ...), cut off here. Every check that reads an API must
# still have finished an attempt (``complete``): a loaded machine fails loudly
# rather than silently recording fewer requests.
RUN_DEADLINE_S = 10.0
# The fault run retries each injected 429/5xx with Google's backoff (1 s, doubling, jittered),
# several of them in one attempt of a network check: it gets more time.
FAULT_DEADLINE_S = 20.0
POLICIES = (STAGING, PRODUCTION, CANARY)
BACKEND = "netra-backend-staging"

# The staging world under production names (tests/scenarios/test_production.py).
RENAMES = {
    "netra-backend-staging": "netra-backend-production",
    "staging-redis-f1adc35c": "production-redis",
    "staging-shared-postgres": "production-postgres",
    "api.staging.netrasystems.ai": "api.netrasystems.ai",
    "netra-staging": "netra-production",
}


@dataclass(frozen=True)
class Recorded:
    scenario: str  # "s12-healthy/staging"
    exchange: Exchange


@dataclass(frozen=True)
class Scenario:
    name: str
    world: Callable[[], World]  # loaded in the worker: loading is CPU, runs are mostly waiting
    act: Callable[[Emulator], object]


def emulator_env(emu: Emulator) -> dict[str, str]:
    return {"GATE_EMULATOR_HOST": emu.api_host, **emu.world.env}


def resolve(emu: Emulator) -> tuple[str, ...]:
    return tuple(f"{origin}={base}" for origin, base in emu.resolver_map.items())


# Waits that send no API request are shortened so that every check's first attempt fits in the
# run deadline however the threads interleave on a loaded machine: the golden path waits for
# its health checks (3 passes 5 s apart in production) and then step_timeout (10 s) for each
# agent event that never comes in the S4/S10/S11 worlds. Its one API read, the service's URL,
# comes first and is the same either way.
GOLDEN_PATH_STEP = "2s"
SUCCESSES_INTERVAL_S = 0.5


def _quick(c: Any) -> Any:
    import dataclasses

    if c.type == "websocket.golden_path":
        c = dataclasses.replace(c, params={**c.params, "step_timeout": GOLDEN_PATH_STEP}, needs=())
    if c.timing.successes > 1:
        c = dataclasses.replace(
            c, timing=dataclasses.replace(c.timing, interval=min(c.timing.interval, SUCCESSES_INTERVAL_S))
        )
    return c


def load(policy: Path) -> Any:
    """The policy as gate loads it, with the waits above shortened."""
    import dataclasses

    from gate.policy.loader import load_policy

    loaded = load_policy(policy)
    return dataclasses.replace(loaded, checks=tuple(_quick(c) for c in loaded.checks))


def check(policy: Path, deadline: float = RUN_DEADLINE_S, **kwargs: Any) -> Callable[[Emulator], object]:
    def act(emu: Emulator) -> object:
        import gate

        return gate.run(
            load(policy),
            env=emulator_env(emu),
            resolve=resolve(emu),
            fail_fast=False,
            deadline=deadline,
            **kwargs,
        )

    return act


def production_world(path: Path) -> World:
    text = path.read_text(encoding="utf-8")
    for old, new in RENAMES.items():
        text = text.replace(old, new)
    return parse_world(text, f"{path.stem}-as-production")


def world_data(name: str = "s12-healthy") -> dict[str, Any]:
    # deepcopy: YAML anchors alias shared lists between resources.
    return copy.deepcopy(yaml.safe_load((WORLDS / f"{name}.yaml").read_text(encoding="utf-8")))


def candidate_world() -> World:
    """s12 as ``gcloud run deploy --no-traffic --tag candidate`` leaves it: the old revision serves."""
    data = world_data()
    svc = next(s for s in data["run"]["services"] if s["name"].endswith(f"/{BACKEND}"))
    old, new = f"{BACKEND}-00041-m4f", f"{BACKEND}-00042-xq7"
    rev = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
    svc["traffic"] = [
        {"type": rev, "revision": old, "percent": 100},
        {"type": rev, "revision": new, "tag": "candidate"},
    ]
    svc["trafficStatuses"] = [
        {"type": rev, "revision": old, "percent": 100},
        {
            "type": rev,
            "revision": new,
            "tag": "candidate",
            "uri": f"https://candidate---{BACKEND}-pnovr5vsba-uc.a.run.app",
        },
    ]
    return parse_world(yaml.safe_dump(data, sort_keys=False), "candidate")


def direct_vpc_world() -> World:
    """s12 whose backend revision uses Direct VPC egress (a subnet) instead of a connector."""
    data = world_data()
    rev = next(r for r in data["run"]["revisions"] if r["name"].endswith(f"/{BACKEND}-00042-xq7"))
    rev["vpcAccess"] = {
        "egress": "PRIVATE_RANGES_ONLY",
        "networkInterfaces": [
            {"network": "staging-vpc", "subnetwork": "staging-subnet", "tags": ["backend"]}
        ],
    }
    return parse_world(yaml.safe_dump(data, sort_keys=False), "direct-vpc")


def promote(emu: Emulator) -> object:
    """``gate check --tag candidate --promote``: the checks pass, so gate PATCHes traffic."""
    import gate

    return gate.run(
        PROMOTE,
        env=emulator_env(emu),
        resolve=resolve(emu),
        fail_fast=False,
        deadline=RUN_DEADLINE_S,
        pool=8,
        tag="candidate",
        promote=BACKEND,
    )


def snapshot(emu: Emulator) -> object:
    from gate.evidence.snapshot import Snapshot, SnapshotOptions
    from gate.gcp.cloud import Cloud
    from gate.gcp.transport.connection import Connection

    cloud = Cloud(Connection(emulator_host=emu.api_host), "netra-staging", "us-central1")
    return Snapshot(cloud.transport, SnapshotOptions()).world()


def init(emu: Emulator) -> object:
    """``gate init --no-probe``: discovery lists the region's services, Redis and Cloud SQL instances."""
    from gate.gcp.cloud import Cloud
    from gate.gcp.transport.connection import Connection
    from gate.starter.discover import Options, discover
    from gate.starter.render import render

    cloud = Cloud(Connection(emulator_host=emu.api_host), "netra-staging", "us-central1")
    return render(discover(cloud, Options()), output="policies/netra-staging.yaml")


def faulty_canary() -> World:
    """The canary world whose Monitoring API is briefly over quota, then down."""
    world = load_world(CANARY_WORLD)
    world.faults = [
        Fault(api="monitoring", status=429, times=1),
        Fault(api="monitoring", status=503, times=1),
    ]
    return world


def faulty_world() -> World:
    """s12 (production names) whose APIs fail the way Google's do: denied, over quota, briefly down."""
    world = production_world(WORLDS / "s12-healthy.yaml")
    world.faults = [
        Fault(api="secretmanager", status=403),
        Fault(api="redis", status=429, times=1),
        Fault(api="sqladmin", status=500, times=1),
        Fault(api="compute", status=503, times=1),
        Fault(api="vpcaccess", status=503, times=1),
        Fault(api="logging", status=429, times=1),
        Fault(api="networkmanagement", status=500, times=1),
        Fault(api="run", method="GET", path="/revisions/", status=503, times=1),
    ]
    return world


def scenarios() -> list[Scenario]:
    out: list[Scenario] = []
    for path in sorted(WORLDS.glob("*.yaml")):
        out.append(Scenario(f"{path.stem}/staging", functools.partial(load_world, path), check(STAGING)))
        out.append(
            Scenario(f"{path.stem}/production", functools.partial(production_world, path), check(PRODUCTION))
        )
    healthy = functools.partial(load_world, WORLDS / "s12-healthy.yaml")
    canary = functools.partial(load_world, CANARY_WORLD)
    out += [
        Scenario("canary/canary-policy", canary, check(CANARY)),
        Scenario("canary/metrics", canary, check(METRICS)),
        Scenario("canary/api-faults", faulty_canary, check(METRICS, FAULT_DEADLINE_S)),
        Scenario("s12-healthy/init", healthy, init),
        Scenario("candidate/promote", candidate_world, promote),
        Scenario("direct-vpc/staging", direct_vpc_world, check(STAGING)),
        Scenario("s12-healthy/snapshot", healthy, snapshot),
        Scenario("s12-healthy/missing-resources", healthy, check(MISSING)),
        Scenario("s12-healthy/api-faults", faulty_world, check(PRODUCTION, FAULT_DEADLINE_S)),
    ]
    return out


def cut_short(result: object) -> list[str]:
    """The checks that read an API but never finished an attempt before the run deadline."""
    from gate import registry
    from gate.model import Report, Status
    from gate.policy.loader import load_policy

    report = result[0] if isinstance(result, tuple) else result
    if not isinstance(report, Report):
        return []
    specs = {c.id: c for c in load_policy(report.policy).checks}
    return [
        r.id
        for r in report.results
        if registry.get(r.type).uses_cloud(specs[r.id].params)
        and r.status is not Status.SKIP
        and not r.attempts
    ]


def complete(name: str, result: object) -> None:
    """Every check that reads an API finished at least one attempt before the run deadline."""
    cut = cut_short(result)
    assert not cut, f"{name}: {cut} never finished an attempt within the run deadline (machine overloaded?)"


def _record(s: Scenario) -> tuple[list[Recorded], list[str]]:
    with Emulator(s.world(), exchanges=True) as emu:
        cut = cut_short(s.act(emu))
        return [Recorded(s.name, x) for x in emu.exchanges], cut


@dataclass(frozen=True)
class Runs:
    recorded: list[Recorded]  # every exchange of every scenario and sweep
    outcomes: dict[str, dict[str, str]]  # sweep id -> value -> check status


def run_all(tmp: Path, workers: int = 24) -> Runs:
    """Every scenario and every enum sweep, concurrently (most of a run is waiting on probes)."""
    from tests.conformance.sweeps import SWEEPS, run_sweep

    every = scenarios()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conformance") as pool:
        runs = [pool.submit(_record, s) for s in every]
        swept = {s.id: pool.submit(run_sweep, s, tmp) for s in SWEEPS}
        results = [f.result() for f in runs]
        outcomes = {}
        sweep_exchanges = []
        for sid, f in swept.items():
            outcomes[sid], exchanges = f.result()
            sweep_exchanges += exchanges
    recorded = []
    for s, (exchanges, cut) in zip(every, results, strict=True):
        if cut:
            # Cut short by a starved machine (many runs at once on a loaded CI worker): run it
            # again alone; only a second cut fails the recording.
            exchanges, cut = _record(s)
        assert not cut, f"{s.name}: {cut} never finished an attempt within the run deadline, alone"
        recorded += exchanges
    return Runs(recorded + sweep_exchanges, outcomes)
