"""``gate demo``: the bundled Netra policy against the bundled emulated worlds.

Every incident world must be blocked and the healthy one must pass. Each world
runs in its own in-process emulator on loopback (no account, no network), all
at once, with the same engine options as a plain ``gate check``, so the demo
shows exactly what the real command would. On a terminal one live line per
world shows its progress; the output is a compact table (incident, verdict,
the checks that caught it and why), then one closing line that claims only
what was run. ``--verbose`` adds each world's report.
"""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from gate import durations
from gate.commands.common import bundled_worlds, error_boundary, use_color, world_path
from gate.engine import EngineOptions
from gate.errors import UsageError
from gate.model import Report, Status

HEALTHY = "s12-healthy"
REASON_WIDTH = 100  # the one-line reason under each row, cut between words


@dataclass(frozen=True)
class WorldRun:
    world: Path
    name: str
    incident: str
    description: str
    report: Report

    @property
    def healthy(self) -> bool:
        """The world gate must pass: the bundled healthy deploy, or a world with no incident."""
        return self.name == HEALTHY or not self.incident

    @property
    def as_expected(self) -> bool:
        return self.report.exit_code == (0 if self.healthy else 1)


def _order(path: Path) -> tuple[int, str]:
    head = path.stem.split("-", 1)[0].lstrip("s")
    return (int(head) if head.isdigit() else 999, path.stem)


def run_world(
    policy_path: Path,
    world: Path,
    deadline: float,
    progress: Callable[[str, Status | None], None] | None = None,
) -> WorldRun:
    from gate.emulator import load_world
    from gate.policy.loader import load_policy
    from gate.runner import RunOptions, execute

    meta = load_world(world)
    policy = load_policy(policy_path)
    # The same engine options as `gate check`: fail-fast cuts waiting only, so every check
    # that catches an incident still reports it.
    options = RunOptions(world=world, engine=EngineOptions(deadline=deadline), handle_signals=False)

    def on_check(check_id: str, status: Status | None, attempt: int, summary: str) -> None:
        if progress is not None:
            progress(check_id, status)

    report = execute(policy, options, on_check if progress is not None else None)
    return WorldRun(world, meta.name, meta.incident, " ".join(meta.description.split()), report)


def caught_by(report: Report) -> list[str]:
    """The blocking checks that failed or could not be evaluated, causes first."""
    from gate.report._common import ordered

    return [r.id for r in ordered(report.results) if r.blocking and r.status in (Status.FAIL, Status.ERROR)]


def reason(report: Report) -> str:
    from gate.report._common import one_line, ordered

    for r in ordered(report.results):
        if r.blocking and r.status in (Status.FAIL, Status.ERROR):
            return one_line(r.summary, REASON_WIDTH)
    counts = report.counts()
    if report.verdict.value != "PASS":
        return ""
    waived = counts[Status.WAIVED.value]
    return (
        f"{counts[Status.PASS.value]} checks passed, {waived} waived"
        if waived
        else f"all {counts[Status.PASS.value]} checks passed"
    )


def table(runs: list[WorldRun]) -> list[str]:
    """The demo's table: one row per world, its one-line reason beneath. No timings."""
    width = max([len(r.name) for r in runs] + [len("world")])
    lines = [f"{'':3} {'id':<4} {'world':<{width}}  {'verdict':<18} caught by"]
    for r in runs:
        mark = "ok" if r.as_expected else "!!"
        verdict = f"{r.report.verdict.value} (exit {r.report.exit_code})"
        caught = ", ".join(caught_by(r.report)) or "nothing (no false alarm)"
        lines.append(f"{mark:<3} {r.incident or '-':<4} {r.name:<{width}}  {verdict:<18} {caught}")
        why = reason(r.report)
        if why:
            lines.append(f"{'':8} {why}")
    return lines


def closing(runs: list[WorldRun], every_world: bool) -> str:
    """One line that says only what was run and what happened."""
    incidents = [r for r in runs if not r.healthy]
    blocked = [r for r in incidents if r.as_expected]
    missed = [r for r in incidents if not r.as_expected]
    healthy = [r for r in runs if r.healthy]
    parts = []
    if incidents:
        noun = "incident" if len(incidents) == 1 else "incidents"
        scope = f"{len(blocked)} of {len(incidents)} {noun}"
        if every_world and not missed:
            scope = "every incident"
        parts.append(f"{scope} blocked" if blocked or not missed else "no incident blocked")
    if missed:
        parts.append(
            "NOT blocked: " + ", ".join(f"{r.incident or r.name} (exit {r.report.exit_code})" for r in missed)
        )
    if healthy:
        good = all(r.as_expected for r in healthy)
        parts.append("the healthy deploy passed" if good else "the healthy deploy did NOT pass")
    else:
        parts.append("the healthy deploy was not run")
    noun = "world" if len(runs) == 1 else "worlds"
    return f"demo: {'; '.join(parts)} ({len(runs)} {noun} run)"


class _WorldProgress:
    """Live lines on a terminal: one per world, checks finished so far, then its verdict."""

    def __init__(self, names: list[str], totals: dict[str, int], color: bool) -> None:
        from gate.report.progress import Progress

        self._progress = Progress(sys.stderr, color=color)
        self._totals = totals
        self._done: dict[str, set[str]] = {n: set() for n in names}
        self._lock = threading.Lock()
        self._progress.start(names)

    def check(self, world: str) -> Callable[[str, Status | None], None]:
        def update(check_id: str, status: Status | None) -> None:
            with self._lock:
                if status is not None:
                    self._done[world].add(check_id)
                done = len(self._done[world])
            self._progress.update(world, None, 0, f"{done} of {self._totals[world]} checks finished", note="")

        return update

    def finished(self, run: WorldRun, took: float) -> None:
        verdict = run.report.verdict.value
        self._progress.update(run.name, verdict, 0, reason(run.report), note=f"{took:.1f}s")

    def close(self) -> None:
        self._progress.finish()


def _parse_deadline(text: str) -> float:
    try:
        return durations.parse(text)
    except ValueError as e:
        raise UsageError(f"--deadline: {e}") from None


@click.command(name="demo")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Policy to demo (default: the bundled netra-staging policy).",
)
@click.option(
    "--world",
    "only",
    multiple=True,
    metavar="NAME|FILE",
    help="Only these worlds: bundled names like s6-redis-unreachable, or world files (repeatable).",
)
@click.option("--deadline", default="2m", show_default=True, help='Deadline per world, like "90s" or "2m".')
@click.option(
    "--progress/--no-progress", default=None, help="Live progress on stderr (default: on a terminal)."
)
@click.option(
    "--color/--no-color", default=None, help="Colour (default: on a terminal, unless NO_COLOR is set)."
)
@click.option("--verbose", "-v", is_flag=True, help="Also print each world's report.")
@error_boundary
def command(
    policy_path: str | None,
    only: tuple[str, ...],
    deadline: str,
    progress: bool | None,
    color: bool | None,
    verbose: bool,
) -> int:
    """Show gate blocking every Netra incident and passing the healthy deploy."""
    from gate.emulator import load_world
    from gate.policy.bundled import bundled_dir
    from gate.policy.loader import load_policy
    from gate.report import FORMATS, RenderOptions

    per_world = _parse_deadline(deadline)
    policy = Path(policy_path) if policy_path else bundled_dir("policies") / "netra-staging.yaml"
    if only:
        # Unknown names are exit 2 before anything runs; a world given twice runs once.
        by_file = {world_path(w).resolve(): world_path(w) for w in only}
        worlds = list(by_file.values())
    else:
        worlds = sorted(bundled_worlds().values(), key=_order)
    checks = len(load_policy(policy).checks)  # an invalid policy is exit 2 before any world starts
    names = [load_world(w).name for w in worlds]
    show = sys.stderr.isatty() if progress is None else progress
    live = _WorldProgress(names, dict.fromkeys(names, checks), use_color(color, sys.stderr)) if show else None

    def one(world: Path, name: str) -> WorldRun:
        started = time.monotonic()
        run = run_world(policy, world, per_world, live.check(name) if live else None)
        if live:
            live.finished(run, time.monotonic() - started)
        return run

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(worlds))) as pool:
            runs = list(pool.map(one, worlds, names))
    finally:
        if live:
            live.close()

    use = use_color(color, sys.stdout)

    def echo(text: str) -> None:
        click.echo(text, color=use)

    noun = "world" if len(runs) == 1 else "worlds"
    shown = policy_path or f"the bundled policy {policy.name}"
    echo(f"gate demo: {shown} against {len(runs)} emulated {noun} (no account, no network)")
    if verbose:
        for r in runs:
            echo(f"\n== {r.incident or '-'}: {r.name} ==\n{r.description}\n")
            echo(FORMATS["text"].render(r.report, RenderOptions(color=use)).rstrip("\n"))
    echo("")
    for line in table(runs):
        echo(line)
    echo("")
    first = next((r for r in runs if not r.healthy), None)
    if first is not None and not verbose:
        which = f"--policy {policy_path}" if policy_path else "--project netra-staging"
        echo(f"one in full: gate check {which} --world {first.name}")
    echo(closing(runs, every_world=not only))  # last: what CI logs show
    return 0 if all(r.as_expected for r in runs) else 1
