"""gate's performance benchmark: ``python bench/run.py`` (``--quick`` for a fast, smaller run).

Prints ONE table whose figures are all measured in this run (medians of several
runs) against the emulator with injected API latency. See docs/PERFORMANCE.md
for what each row measures and why.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fixtures as fx
from serve import emulator_process

ROOT = fx.ROOT
GATE = [sys.executable, "-m", "gate"]


@dataclass
class Row:
    name: str
    figure: str
    target: str
    ratio: str
    met: bool
    detail: str = ""


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def sub_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for k in ("GATE_EMULATOR_HOST", "GATE_RESOLVE"):
        env.pop(k, None)
    env.update(extra)
    return env


def timed_subprocess(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """(wall seconds, exit code, peak RSS MiB) of one child, output discarded."""
    t0 = time.perf_counter()
    p = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    timed_subprocess.cpu = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
    return wall, p.returncode, usage.ru_maxrss / 1024.0


def run_in_process(policy_path: Path, host: str, pool: int | None = None) -> dict[str, Any]:
    """One gate run in this process (load + run, as gate.run does); returns wall, report, stats.

    ``pool=None`` runs with the default pool, as ``gate check`` and ``gate.run`` do."""
    from gate.engine import Engine, EngineOptions
    from gate.policy.loader import load_policy
    from gate.runner import RunOptions, open_run

    t0 = time.perf_counter()
    policy = load_policy(policy_path)
    engine = EngineOptions() if pool is None else EngineOptions(pool=pool)
    options = RunOptions(engine=engine, env={"GATE_EMULATOR_HOST": host}, handle_signals=False)
    with open_run(policy, options) as (run, _target):
        report = Engine(policy, run, options.engine).execute()
    wall = time.perf_counter() - t0
    return {"wall": wall, "report": report, "stats": run.cloud.stats}


def default_pool() -> int:
    """The pool `gate check`, `gate.run` and EngineOptions use unless told otherwise."""
    from gate.engine import EngineOptions

    return EngineOptions().pool


# -- rows ----------------------------------------------------------------------------------


def critical_path(tmp: Path, delay: float) -> tuple[int, str, dict[str, int]]:
    """Longest chain of dependent API calls one check needs: each check type run alone
    (pool 1, empty memo) for one service; a check makes its calls one after another,
    so its chain is the number of requests it sends."""
    chains: dict[str, int] = {}
    with emulator_process(1, delay) as emu:
        for typ, path in fx.write_single_check_policies(tmp).items():
            emu.count()
            r = run_in_process(path, emu.api_host, pool=1)
            assert r["report"].verdict.name == "PASS", (typ, r["report"].verdict)
            chains[typ] = emu.count()
    longest = max(chains, key=lambda t: chains[t])
    return chains[longest], longest, chains


def realized_depth(arrivals: list[float], delay: float) -> int:
    """Longest chain of requests in which each was sent after the previous one was answered
    (arrived at least ``delay`` later): the dependent calls a run could not overlap."""
    ts = sorted(arrivals)
    depth: list[int] = []
    for i, t in enumerate(ts):
        before = [depth[j] for j in range(i) if t - ts[j] >= delay * 0.9]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def row_concurrency(tmp: Path, repeats: int) -> tuple[list[Row], dict[str, Any]]:
    delay = 0.1
    n = 8
    alone, longest, chains = critical_path(tmp, delay)
    policy = fx.write_policy(tmp, n)
    # Rows 1 and 4 run at the default pool (64): what a user gets without --pool.
    pools: tuple[int | None, ...] = (None, 16, 1)
    walls: dict[int | None, list[float]] = {p: [] for p in pools}
    economy: list[tuple[int, int, int]] = []
    depths: list[int] = []
    with emulator_process(n, delay) as emu:
        run_in_process(policy, emu.api_host)  # warm-up: imports the client modules once
        emu.count()
        for _ in range(max(1, min(repeats, 3))):  # the run's own critical path, from its timeline
            run_in_process(policy, emu.api_host, pool=len(fx.service_names(n)) * fx.CHECKS_PER_SERVICE)
            depths.append(realized_depth(emu.times(), delay))
        for _ in range(repeats):
            for pool in pools:
                emu.count()
                r = run_in_process(policy, emu.api_host, pool=pool)
                assert r["report"].verdict.name == "PASS", r["report"].verdict
                walls[pool].append(r["wall"])
                st = r["stats"]
                economy.append((emu.count(), st.total, len(st.resources)))
        cold = [
            timed_subprocess(
                [*GATE, "check", "--policy", str(policy), "-f", "json"],
                env=sub_env(GATE_EMULATOR_HOST=emu.api_host),
            )
            for _ in range(max(1, min(repeats, 3)))
        ]
    chain = max(depths)
    cp = chain * delay
    w64, w16, w1 = (median(walls[p]) for p in pools)
    ratio = w64 / cp
    dp = default_pool()
    chain_text = ", ".join(f"{t} {c}" for t, c in chains.items())
    rows = [
        Row(
            f"1. concurrency: 40 checks / 8 services, 100 ms per API call (default pool, {dp})",
            f"{w64:.2f} s (critical path {chain} x 100 ms = {cp:.1f} s)",
            "<= 1.3 x critical path",
            f"{ratio:.2f}",
            ratio <= 1.3,
            f"critical path = the longest chain of requests each sent after the previous one was "
            f"answered, in a run with one worker per check ({chain}; every run: {depths}). Alone "
            f"(pool 1, cold memo) each check sends its requests one after another: {chain_text}; "
            f"{longest} sends {alone}, but its first (the Redis GET) depends on nothing and overlaps "
            f"service -> revision -> connector -> network -> firewalls. "
            f"In-process gate.run (load + run), warm. "
            f"Cold `gate check` subprocess (Python start-up, client imports): "
            f"{median([c[0] for c in cold]):.2f} s",
        ),
        Row(
            "1b. same policy, --pool 16 / --pool 1 (contrast)",
            f"{w16:.2f} s / {w1:.2f} s",
            "(contrast, no target)",
            f"{w16 / cp:.2f} / {w1 / cp:.2f}",
            True,
        ),
    ]
    sent, counted, distinct = (int(median([e[i] for e in economy])) for i in range(3))
    er = sent / distinct
    rows.append(
        Row(
            "2. API economy: requests / distinct resources (40-check runs, every pool)",
            f"{sent} requests (gate counted {counted}) / {distinct} resources",
            "= 1.0",
            f"{er:.2f}",
            er == 1.0 and counted == sent,
        )
    )
    return rows, {"critical_path": cp, "chains": chains}


def row_startup(repeats: int) -> Row:
    k = max(5, repeats)
    target = "policies/"
    base = [timed_subprocess([sys.executable, "-c", "import click"])[0] for _ in range(k)]
    helps = [timed_subprocess([*GATE, "--help"])[0] for _ in range(k)]
    validates = [timed_subprocess([*GATE, "validate", target])[0] for _ in range(k)]
    probe = (
        "import sys; from gate.cli import main\n"
        "for argv in (['--help'], ['validate', sys.argv[1]]):\n"
        "    try: main(argv)\n"
        "    except SystemExit: pass\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('google.')}))"
    )
    out = (
        subprocess.run([sys.executable, "-c", probe, target], cwd=ROOT, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()
    )
    google = out[-1] if out else "?"
    b, h, v = median(base), median(helps), median(validates)
    # validate: jsonschema's own import (~45 ms) is as much as click's; see docs/PERFORMANCE.md.
    return Row(
        "3. start-up: `gate --help`, `gate validate` / `python -c 'import click'`",
        f"help {h * 1000:.0f} ms, validate {v * 1000:.0f} ms, click {b * 1000:.0f} ms",
        "help <= 2 x, validate <= 6 x",
        f"{h / b:.2f} / {v / b:.2f}",
        h / b <= 2.0 and v / b <= 6.0 and google == "[]",
        f"google.* modules imported on those paths: {google}; validated {target}",
    )


def row_scale(tmp: Path, sizes: list[int], repeats: int) -> Row:
    delay = 0.05
    figures: list[str] = []
    details: list[str] = []
    last_wall = last_rss = 0.0
    for n in sizes:
        policy = fx.write_policy(tmp / f"scale-{n}", n)
        walls, rsss, calls, cpus = [], [], [], []
        cpu_file = tmp / f"scale-{n}.cpu"
        with emulator_process(n, delay, str(cpu_file)) as emu:
            for _ in range(repeats):
                emu.count()
                wall, code, rss = timed_subprocess(
                    [*GATE, "check", "--policy", str(policy), "-f", "json"],
                    env=sub_env(GATE_EMULATOR_HOST=emu.api_host),
                )
                if code != 0:
                    raise RuntimeError(f"scale {n}: gate exited {code}")
                walls.append(wall)
                rsss.append(rss)
                cpus.append(timed_subprocess.cpu)  # type: ignore[attr-defined]
                calls.append(emu.count())
        emu_cpu = float(cpu_file.read_text()) if cpu_file.exists() else float("nan")
        w, r = median(walls), median(rsss)
        figures.append(f"{n}: {w:.1f} s {r:.0f} MB")
        details.append(
            f"{n} services: {int(median(calls))} API calls, gate CPU {median(cpus):.1f} s, "
            f"emulator CPU {emu_cpu:.1f} s for {repeats} run(s) (world build included)"
        )
        last_wall, last_rss = w, r
    ok = last_wall <= 15 and last_rss <= 300
    n_last = sizes[-1]
    return Row(
        f"4. scale: services x 5 checks, 50 ms per API call (`gate check`, default pool {default_pool()})",
        "; ".join(figures),
        f"{n_last} services: <= 15 s, <= 300 MB",
        f"{last_wall / 15:.2f} / {last_rss / 300:.2f}",
        ok,
        "wall and peak RSS of the `gate check` process; the emulator runs in its own process. "
        + "; ".join(details),
    )


def row_fail_fast(tmp: Path, repeats: int) -> Row:
    policy = fx.write_fail_fast_policy(tmp)
    runs = [
        timed_subprocess([*GATE, "check", "--world", str(fx.S1), "--policy", str(policy), "-f", "json"])
        for _ in range(repeats)
    ]
    codes = {c for _, c, _ in runs}
    w = median([r[0] for r in runs])
    return Row(
        "5. fail fast: S1 world, a health check polled for up to 300 s",
        f"{w:.2f} s to verdict (exit {','.join(map(str, sorted(codes)))})",
        "<= 10 s",
        f"{w / 10:.2f}",
        w <= 10 and codes == {1},
        "`gate check --world s1-worker-boot-failure.yaml`, whole process (world load, emulator start, exit)",
    )


def row_overhead(tmp: Path, n: int, repeats: int) -> Row:
    from gate.api import run

    with fx.InstantServer() as srv:
        policy = fx.write_trivial_policy(tmp, n, srv.url)
        run(policy, pool=1)  # warm-up
        per, per16 = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            report = run(policy, pool=1)
            wall = time.perf_counter() - t0
            assert report.verdict.name == "PASS", report.verdict
            work = sum(a.duration for r in report.results for a in r.attempts)
            per.append((wall - work) / n * 1000)
            t0 = time.perf_counter()
            run(policy, pool=16)
            per16.append((time.perf_counter() - t0) / n * 1000)
    o = median(per)
    return Row(
        f"6. overhead per check: {n} http.health checks, instant local server (pool 1)",
        f"{o:.2f} ms/check",
        "<= 2 ms",
        f"{o / 2:.2f}",
        o <= 2.0,
        f"(wall - sum of attempt durations) / {n}, load included; pool 16: "
        f"{median(per16):.2f} ms of wall per check, work included",
    )


def row_rollout(repeats: int) -> Row:
    """A 4-step rollout with zero pause against the in-process emulator; what gate adds to its checks.

    Pool 1, so the checks of a step run one after another and their durations add
    up to the time they took: the rest (traffic reads, the PATCHes, waiting for
    Cloud Run to route, one engine per step) is the rollout's own overhead."""
    from gate.api import rollout
    from gate.emulator import Emulator, load_world
    from gate.policy.loader import load_policy

    policy = load_policy(ROOT / "examples" / "rollout" / "policy.yaml")
    world = load_world(str(ROOT / "examples" / "rollout" / "canary-healthy.yaml"))
    over, walls, writes = [], [], 0
    for i in range(repeats + 1):  # the first is a warm-up (imports, first clients)
        with Emulator(world) as emu:
            env = {
                "GATE_EMULATOR_HOST": emu.api_host,
                "GATE_RESOLVE": " ".join(f"{o}={b}" for o, b in emu.resolver_map.items()),
            }
            t0 = time.perf_counter()
            report = rollout(policy, pause=0.0, pool=1, env=env)
            wall = time.perf_counter() - t0
            writes = sum(1 for r in emu.requests if r.method == "PATCH")
        assert report.exit_code == 0 and report.rollout is not None, report.rollout
        work = sum(r.duration for step in report.rollout.steps for r in step.results)
        if i:
            over.append(wall - work)
            walls.append(wall)
    o = median(over)
    return Row(
        "7. rollout overhead: 4 steps, zero pause (pool 1)",
        f"{o:.3f} s",
        "<= 0.5 s",
        f"{o / 0.5:.2f}",
        o <= 0.5,
        f"wall of `gate.rollout` (readiness + 4 steps, {writes} traffic PATCHes) minus the sum of its "
        f"checks' durations; wall {median(walls):.3f} s",
    )


# -- cold start (rows 8-11) ---------------------------------------------------------------
# A cold `gate check` pays for Python, gate's own modules and the Google client libraries
# before and while its checks run; these rows measure that against the same run warm.

COMPUTE_TYPES = "google.cloud.compute_v1.types.compute"

# Runs the CLI in a fresh interpreter, then reports which modules that imported (the
# background preload included: it is joined first) and when Compute's types finished
# loading (polled: the import system has no completion hook).
_PROBE = f"""
import json, sys, threading, time
loaded = {{}}
def watch():
    while "t" not in loaded:
        m = sys.modules.get("{COMPUTE_TYPES}")
        if m is not None and not getattr(getattr(m, "__spec__", None), "_initializing", False):
            loaded["t"] = time.time()
        time.sleep(0.002)
threading.Thread(target=watch, daemon=True).start()
from gate.cli import main
try:
    main(sys.argv[2:])
except SystemExit as e:
    code = e.code
end = time.time()
for t in threading.enumerate():
    if t.name == "gate-preload":
        t.join()
google = sorted(m for m in sys.modules if m.startswith("google"))
with open(sys.argv[1], "w") as f:
    json.dump({{"code": code, "end": end, "compute": loaded.get("t"), "google": google}}, f)
"""


def _probe(args: list[str], env: dict[str, str], out: Path) -> dict[str, Any]:
    subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return dict(json.loads(out.read_text(encoding="utf-8")))


def row_cold_start(tmp: Path, repeats: int) -> Row:
    """Cold `gate check` subprocess / warm in-process run of the same 40-check policy,
    alternating, in one run (the machine's load moves both)."""
    policy = fx.write_policy(tmp / "cold", 8)
    warm, cold, cpu = [], [], []
    with emulator_process(8, 0.1) as emu:
        run_in_process(policy, emu.api_host)  # warm-up: client modules imported in this process
        for _ in range(max(3, repeats)):
            warm.append(run_in_process(policy, emu.api_host)["wall"])
            wall, code, _ = timed_subprocess(
                [*GATE, "check", "--policy", str(policy), "-f", "json"],
                env=sub_env(GATE_EMULATOR_HOST=emu.api_host),
            )
            if code != 0:
                raise RuntimeError(f"cold start: gate exited {code}")
            cold.append(wall)
            cpu.append(timed_subprocess.cpu)  # type: ignore[attr-defined]
    c, w = median(cold), median(warm)
    return Row(
        "8. cold start: `gate check` subprocess / warm in-process run (40 checks, 100 ms per call)",
        f"cold {c:.2f} s (CPU {median(cpu):.2f} s) / warm {w:.2f} s",
        "<= 2.0",
        f"{c / w:.2f}",
        c / w <= 2.0,
        "cold: the whole process (Python, gate, the client libraries gate imports, exit); "
        "warm: load + run in this process with the client modules already imported",
    )


def row_only_needed(tmp: Path) -> Row:
    """The Google modules a cold `gate check` imports, per kind of policy."""
    d = tmp / "needed"
    d.mkdir(parents=True, exist_ok=True)
    no_network = fx.write_policy(d, 2, name="no-network.yaml", network=False)
    full = fx.write_policy(d, 2, name="full.yaml")
    found: dict[str, list[str]] = {}
    with fx.InstantServer() as srv, emulator_process(2, 0.0) as emu:
        http = fx.write_trivial_policy(d, 5, srv.url)
        env = sub_env(GATE_EMULATOR_HOST=emu.api_host)
        for kind, policy in (("http", http), ("no-network", no_network), ("full", full)):
            got = _probe(["check", "--policy", str(policy), "-f", "json"], env, d / f"{kind}.json")
            if got["code"] != 0:
                raise RuntimeError(f"only what is needed: the {kind} policy exited {got['code']}")
            found[kind] = got["google"]
    import importlib.util

    spec = importlib.util.find_spec("google.cloud")
    services = Path(next(iter(spec.submodule_search_locations or []))) / "compute_v1" / "services"
    total = sum(1 for p in services.iterdir() if p.is_dir() and not p.name.startswith("_"))

    def libs(mods: list[str]) -> str:
        names = sorted({m.split(".")[2] for m in mods if m.startswith("google.cloud.") and m.count(".") >= 2})
        return ", ".join(names) or "none"

    def compute(mods: list[str]) -> list[str]:
        prefix = "google.cloud.compute_v1.services."
        return sorted({m[len(prefix) :].split(".")[0] for m in mods if m.startswith(prefix)})

    full_compute = compute(found["full"])
    ok = (
        found["http"] == []
        and not any(m.startswith("google.cloud.compute_v1") for m in found["no-network"])
        and 0 < len(full_compute) <= 8
    )
    return Row(
        "9. only what is needed: Google modules a cold `gate check` imports, per policy kind",
        f"http.health only: {len(found['http'])}; no network checks: {libs(found['no-network'])}; "
        f"all: Compute services {len(full_compute)} of {total}",
        "http: none; no network: no Compute",
        "-",
        ok,
        f"google.cloud libraries, no network checks: {libs(found['no-network'])}; all five check types: "
        f"{libs(found['full'])}; Compute services: {', '.join(full_compute)}",
    )


def row_overlap(tmp: Path, repeats: int) -> Row:
    """In a cold run, the first Cloud Run call goes out while Compute still loads."""
    policy = fx.write_policy(tmp / "overlap", 8)
    runs = []
    with emulator_process(8, 0.1) as emu:
        for i in range(max(3, repeats)):
            emu.count()
            t0 = time.time()
            got = _probe(
                ["check", "--policy", str(policy), "-f", "json"],
                sub_env(GATE_EMULATOR_HOST=emu.api_host),
                tmp / f"overlap-{i}.json",
            )
            arrivals = sorted(emu.times())
            if got["code"] != 0 or not arrivals or got["compute"] is None:
                raise RuntimeError(f"overlap: gate exited {got['code']}")
            runs.append((arrivals[0] - t0, got["compute"] - t0, got["end"] - t0))
    first, loaded, end = (median([r[i] for r in runs]) for i in range(3))
    return Row(
        "10. overlap: first Cloud Run call / Compute loaded, cold `gate check` (40 checks)",
        f"first call {first:.2f} s, Compute loaded {loaded:.2f} s, verdict {end:.2f} s",
        "first call before Compute is loaded",
        f"{first / loaded:.2f}",
        all(r[0] < r[1] for r in runs),
        "seconds after the process started: the emulator's first request arrival, the moment "
        "google.cloud.compute_v1.types.compute finished importing (in the background preload), "
        f"and the verdict; every run: {', '.join(f'{r[0]:.2f} < {r[1]:.2f}' for r in runs)}",
    )


def _emulator_env(world: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`gate emulator --world` in its own process, and the environment it prints (the API
    host, the endpoint map and the world's own env: one export line each)."""
    from gate.emulator import load_world

    exports = 2 + len(load_world(world).env)
    proc = subprocess.Popen(
        [*GATE, "emulator", "--world", str(world)],
        cwd=ROOT,
        env=sub_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    env = sub_env()
    for _ in range(exports):
        name, _, value = proc.stdout.readline().removeprefix("export ").strip().partition("=")
        env[name] = shlex.split(value)[0] if value else ""
    return proc, env


def row_worlds(tmp: Path, repeats: int) -> Row:
    """`gate check --world s12` cold / the same check against that world served elsewhere."""
    cache = tmp / "world-cache"
    base = [*GATE, "check", "--project", "netra-staging", "-f", "json"]
    own = sub_env(GATE_CACHE_DIR=str(cache))
    first, _, _ = timed_subprocess([*base, "--world", str(fx.S12)], env=own)  # validates, writes the cache
    world, host = [], []
    proc, env = _emulator_env(fx.S12)
    try:
        for _ in range(max(3, repeats)):
            w, code_w, _ = timed_subprocess([*base, "--world", str(fx.S12)], env=own)
            h, code_h, _ = timed_subprocess(base, env=env)
            if (code_w, code_h) != (0, 0):
                raise RuntimeError(f"worlds: gate exited {code_w} (--world) / {code_h} (emulator host)")
            world.append(w)
            host.append(h)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    wm, hm = median(world), median(host)
    return Row(
        "11. worlds: `gate check --world s12-healthy.yaml` / same against GATE_EMULATOR_HOST",
        f"{wm:.2f} s / {hm:.2f} s (first --world run, empty cache: {first:.2f} s)",
        "<= 2 x",
        f"{wm / hm:.2f}",
        wm / hm <= 2.0,
        "policies/netra-staging.yaml; --world: the whole process (world load, emulator, run) with "
        "the validated-world cache written by the first run; GATE_EMULATOR_HOST: `gate emulator "
        "--world` in its own process, with the environment it prints",
    )


# -- output ---------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, {platform.system()}"


def print_table(rows: list[Row], header: str) -> None:
    print(header)
    cols = ("row", "figure (median)", "target", "ratio", "met")
    data = [(r.name, r.figure, r.target, r.ratio, "met" if r.met else "NOT MET") for r in rows]
    widths = [max(len(c), *(len(d[i]) for d in data)) for i, c in enumerate(cols)]
    line = " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for d in data:
        print(" | ".join(x.ljust(w) for x, w in zip(d, widths, strict=True)))
    print()
    for r in rows:
        if r.detail:
            print(f"  {r.name.split(':')[0]}: {r.detail}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes (a smoke run)")
    ap.add_argument("--repeats", type=int, default=None, help="runs per figure (default 5, quick 1)")
    ap.add_argument("--keep", action="store_true", help="keep the generated worlds/policies directory")
    ap.add_argument("--only", default="", metavar="STEP,...", help="run only these steps (names as printed)")
    args = ap.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    sizes = [10, 20, 50] if args.quick else [50, 200, 500]
    trivial = 200 if args.quick else 1000
    tmp = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    # Measure gate as installed: `pip install` compiles its modules, a source checkout
    # under PYTHONDONTWRITEBYTECODE=1 (set on this project's machines) would compile
    # every module on every start and add that to each subprocess row.
    compileall.compile_dir(str(ROOT / "gate"), quiet=1)
    started = time.perf_counter()
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("concurrency", lambda: row_concurrency(tmp, repeats)[0]),
        ("startup", lambda: [row_startup(repeats)]),
        ("scale", lambda: [row_scale(tmp, sizes, 1 if args.quick else 3)]),
        ("fail-fast", lambda: [row_fail_fast(tmp, 1 if args.quick else 3)]),
        ("overhead", lambda: [row_overhead(tmp, trivial, repeats)]),
        ("rollout", lambda: [row_rollout(repeats)]),
        ("cold start", lambda: [row_cold_start(tmp, repeats)]),
        ("only what is needed", lambda: [row_only_needed(tmp)]),
        ("overlap", lambda: [row_overlap(tmp, 1 if args.quick else 3)]),
        ("worlds", lambda: [row_worlds(tmp, 1 if args.quick else repeats)]),
    ]
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        steps = [(n, f) for n, f in steps if n in wanted]
    rows: list[Row] = []
    try:
        for name, step in steps:
            print(f"... {name}", file=sys.stderr, flush=True)
            rows.extend(step())
    finally:
        if args.keep:
            print(f"generated files kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    mode = "quick" if args.quick else "full"
    header = (
        f"gate benchmark ({mode}, medians of {repeats} run(s); {time.perf_counter() - started:.0f} s)\n"
        f"machine: {machine()}\n"
    )
    print_table(rows, header)
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
