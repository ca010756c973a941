"""``gate demo``: the bundled Netra policy against the bundled emulated worlds.

Every incident world must be blocked and the healthy one must pass; the demo
shows one blocked deploy in full, the reason each incident was caught, and the
healthy deploy passing. No account, no network: each world runs in its own
in-process emulator on loopback. Worlds run concurrently so the demo takes
about as long as its slowest world.
"""

from __future__ import annotations

import concurrent.futures
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from gate.commands.common import error_boundary
from gate.engine import EngineOptions
from gate.model import Report, Status

HEALTHY = "s12-healthy"
SHOWN_IN_FULL = "s1-worker-boot-failure"


@dataclass(frozen=True)
class WorldRun:
    world: Path
    name: str
    incident: str
    description: str
    report: Report

    @property
    def healthy(self) -> bool:
        return self.name == HEALTHY

    @property
    def as_expected(self) -> bool:
        return self.report.exit_code == (0 if self.healthy else 1)


def worlds_dir() -> Path:
    from gate import emulator

    return Path(emulator.__file__).parent / "worlds"


def _order(path: Path) -> tuple[int, str]:
    head = path.stem.split("-", 1)[0].lstrip("s")
    return (int(head) if head.isdigit() else 999, path.stem)


def run_world(policy_path: Path, world: Path, deadline: float) -> WorldRun:
    from gate.emulator import load_world
    from gate.policy.loader import load_policy
    from gate.runner import RunOptions, execute

    meta = load_world(world)
    policy = load_policy(policy_path)
    # No fail-fast: the demo's point is to show every check that catches each incident.
    engine = EngineOptions(deadline=deadline, fail_fast=False)
    options = RunOptions(world=world, engine=engine, handle_signals=False)
    report = execute(policy, options)
    return WorldRun(world, meta.name, meta.incident, " ".join(meta.description.split()), report)


def caught_by(report: Report) -> list[str]:
    failed = [r for r in report.results if r.blocking and r.status in (Status.FAIL, Status.ERROR)]
    if not failed:
        return ["nothing"]
    return [f"{r.id}: {_short(r.summary)}" for r in failed]


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@click.command(name="demo")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Policy to demo (default: the bundled netra-staging policy).",
)
@click.option("--world", "only", multiple=True, help="Only these worlds (names like s1-worker-boot-failure).")
@click.option("--deadline", default=120.0, show_default=True, help="Seconds allowed per world.")
@click.option("--color/--no-color", default=None)
@error_boundary
def command(policy_path: str | None, only: tuple[str, ...], deadline: float, color: bool | None) -> int:
    """Show gate blocking every Netra incident and passing the healthy deploy."""
    from gate.policy.bundled import bundled_dir
    from gate.report import render

    policy = Path(policy_path) if policy_path else bundled_dir("policies") / "netra-staging.yaml"
    worlds = sorted(worlds_dir().glob("s*.yaml"), key=_order)
    if only:
        worlds = [w for w in worlds if w.stem in only]
    use_color = sys.stdout.isatty() if color is None else color
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(worlds))) as pool:
        runs = list(pool.map(lambda w: run_world(policy, w, deadline), worlds))

    click.echo(f"gate demo: {policy} against {len(runs)} emulated worlds of project netra-staging\n")
    full = next((r for r in runs if r.name == SHOWN_IN_FULL), None)
    if full:
        click.echo(f"== {full.incident}: {full.name} ==\n{full.description}\n")
        click.echo(render(full.report, "text", color=use_color))
    click.echo("== Every incident, and the healthy deploy ==")
    for r in runs:
        verdict = f"{r.report.verdict.value} (exit {r.report.exit_code})"
        mark = "ok " if r.as_expected else "UNEXPECTED"
        label = r.incident or "-"
        click.echo(f"{mark} {label:<4} {r.name:<36} {verdict}")
        if not r.healthy:
            for line in caught_by(r.report):
                click.echo(f"       caught by {line}")
    healthy = next((r for r in runs if r.healthy), None)
    if healthy:
        click.echo(f"\n== {healthy.name}: the deploy after the fixes ==\n")
        click.echo(render(healthy.report, "text", color=use_color))
    ok = all(r.as_expected for r in runs)
    click.echo(
        "demo: every incident blocked and the healthy deploy passed."
        if ok
        else "demo: some verdicts were not as expected (see above)."
    )
    return 0 if ok else 1
