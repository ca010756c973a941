"""``gate rollout``: move traffic to a tagged candidate step by step, proving each step."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from gate import durations
from gate.commands import options
from gate.commands.check import (
    emit,
    evidence_recorder,
    parse_deadline,
    parse_formats,
    parse_vars,
    write_evidence,
)
from gate.commands.common import error_boundary, use_color, world_path
from gate.engine import EngineOptions
from gate.errors import UsageError
from gate.model import ExitCode, Report
from gate.policy.rollout_section import ON_INCONCLUSIVE
from gate.runner import RunOptions


def parse_steps(text: str | None) -> tuple[int, ...]:
    if text is None:
        return ()
    out = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            out.append(int(part.removesuffix("%")))
        except ValueError:
            raise UsageError(f"--steps expects percents like 5,25,50,100, got {text!r}") from None
    return tuple(out)


def parse_pause(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return durations.parse(text)
    except ValueError as e:
        raise UsageError(f"--pause: {e}") from None


def resume_command(
    *,
    policy_path: str | None,
    project: str | None,
    var_names: list[str],
    world: str | None,
    service: str,
    tag: str,
    steps: tuple[int, ...],
    pause: float,
    on_inconclusive: str,
) -> str:
    """The command that resumes this rollout (variable values are not repeated: they may be secret)."""
    parts = ["gate", "rollout"]
    if policy_path:
        parts += ["--policy", policy_path]
    if project:
        parts += ["--project", project]
    parts += [f"--var={name}=..." for name in var_names]
    if world:
        parts += ["--world", world]
    parts += ["--service", service, "--tag", tag, "--steps", ",".join(str(s) for s in steps)]
    shown = "0s" if pause == 0 else durations.format(pause)
    parts += ["--pause", shown, "--on-inconclusive", on_inconclusive]
    return " ".join(shlex.quote(p) if not p.endswith("=...") else p for p in parts)


def lines(report: Report) -> list[str]:
    """What the CLI prints on stderr at the end: the outcome, where traffic stands, next steps."""
    r = report.rollout
    if r is None:
        return []
    out = [f"rollout {r.service}: {r.action}: {r.message}"]
    if r.traffic:
        out.append("  traffic now: " + ", ".join(e.text() for e in r.traffic))
    if report.traffic is not None and report.traffic.changed:
        out.append("  traffic before the rollback: " + ", ".join(e.text() for e in report.traffic.before))
    commands = list(r.commands)
    if report.traffic is not None:
        commands += [c for c in report.traffic.commands if c not in commands]
    if commands:
        out.append("next steps:")
        out.extend(f"  {c}" for c in commands)
    return out


@click.command(name="rollout")
@options.policy
@click.option(
    "--world", metavar="FILE|NAME", help="Run against an emulated project (no network, no credentials)."
)
@click.option(
    "--service",
    metavar="SERVICE",
    help="The Cloud Run service (default: the policy's rollout.service, then target.service).",
)
@click.option(
    "--tag",
    metavar="TAG",
    help="The candidate's traffic tag, e.g. candidate (default: rollout.tag, then target.tag).",
)
@click.option(
    "--steps",
    metavar="P1,P2,...",
    help="The candidate's percent at each step, increasing, ending at 100 (default: rollout.steps).",
)
@click.option(
    "--pause",
    metavar="DURATION",
    help="Wait this long after each traffic change before its analysis (default: rollout.pause, else 2m).",
)
@click.option(
    "--on-inconclusive",
    type=click.Choice(ON_INCONCLUSIVE),
    default=None,
    help="An INCONCLUSIVE step: roll back (default), hold (stop, traffic left where it is), or continue.",
)
@click.option("--continue-on-inconclusive", is_flag=True, help="Same as --on-inconclusive continue.")
@click.option(
    "--deadline",
    default="10m",
    show_default=True,
    help="Deadline for the checks of each step (and readiness).",
)
@options.pool
@click.option(
    "--fail-fast/--no-fail-fast",
    default=True,
    show_default=True,
    help="Stop polling once a blocking check has failed.",
)
@options.reports
@options.resolve
@options.impersonate()
@options.color
@click.option("--verbose", "-v", is_flag=True, help="Show every check in full, with every attempt.")
@click.option("--quiet", "-q", is_flag=True, help="Show only the steps, the verdict and what to fix first.")
@click.option(
    "--evidence",
    "evidence_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Write an evidence bundle (policy, redacted API answers with every traffic change, report) to DIR.",
)
@error_boundary
def command(
    project: str | None,
    policy_path: str | None,
    var_pairs: tuple[str, ...],
    world: str | None,
    service: str | None,
    tag: str | None,
    steps: str | None,
    pause: str | None,
    on_inconclusive: str | None,
    continue_on_inconclusive: bool,
    deadline: str,
    pool: int,
    fail_fast: bool,
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    resolve: tuple[str, ...],
    impersonate: str | None,
    color: bool | None,
    verbose: bool,
    quiet: bool,
    evidence_dir: str | None,
) -> int:
    """Progressive delivery: shift traffic to the candidate step by step, judging each step.

    \b
    Readiness checks first (no traffic yet), then for each step: set the
    candidate's share (etag-guarded, every tag kept), pause, run the analysis
    checks. FAIL rolls back (INCONCLUSIVE too, unless --on-inconclusive says
    otherwise). A re-run resumes from the candidate's current share.
    Exit codes: 0 at 100% with every step proven, 1 a step failed (rolled back),
    2 invalid policy or usage, 3 inconclusive, held, or the traffic change was
    refused or failed, 130/143 interrupted (traffic stays where it is).
    """
    from gate.pipeline import rollout as pipeline
    from gate.policy.loader import find_policy, load_policy

    if not policy_path and not project:
        raise UsageError("give --project PROJECT (finds policies/PROJECT.yaml) or --policy FILE")
    if verbose and quiet:
        raise UsageError("--verbose and --quiet exclude each other")
    if continue_on_inconclusive:
        if on_inconclusive not in (None, "continue"):
            raise UsageError(f"--continue-on-inconclusive contradicts --on-inconclusive {on_inconclusive}")
        on_inconclusive = "continue"
    targets = parse_formats(formats, outputs)
    phase_deadline = parse_deadline(deadline)
    world_file = world_path(world) if world is not None else None
    vars_given = parse_vars(var_pairs)
    path = Path(policy_path) if policy_path else find_policy(project or "")
    policy = load_policy(path, vars=vars_given, project=project)
    plan = pipeline.make_plan(
        policy,
        service=service,
        tag=tag,
        steps=parse_steps(steps),
        pause=parse_pause(pause),
        on_inconclusive=on_inconclusive,
    )
    recorder = evidence_recorder(evidence_dir)
    options = RunOptions(
        world=world_file,
        resolve=resolve,
        impersonate=impersonate,
        engine=EngineOptions(pool=pool, deadline=phase_deadline, fail_fast=fail_fast),
        recorder=recorder,
    )
    resume = resume_command(
        policy_path=policy_path,
        project=project,
        var_names=list(vars_given),
        world=world,
        service=plan.service,
        tag=plan.tag,
        steps=plan.steps,
        pause=plan.pause,
        on_inconclusive=plan.on_inconclusive,
    )

    def notify(line: str) -> None:
        click.echo(line, err=True)

    report = pipeline.execute(policy, options, plan, notify, resume)
    written = emit(report, targets, color=use_color(color, sys.stdout), verbose=verbose, quiet=quiet)
    if (
        recorder is not None
        and evidence_dir is not None
        and not write_evidence(Path(evidence_dir), policy, report, recorder)
    ):
        return 3 if report.exit_code == 0 else report.exit_code
    for line in lines(report):
        click.echo(line, err=True)
    if not written:
        return int(ExitCode.USAGE)
    return report.exit_code
