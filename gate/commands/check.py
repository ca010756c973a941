"""``gate check``: load a policy, run it, print the report, exit with the verdict."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gate import durations
from gate.commands import options
from gate.commands.common import (
    check_output_path,
    error_boundary,
    print_warnings,
    use_color,
    world_path,
)
from gate.engine import EngineOptions
from gate.errors import UsageError
from gate.model import ExitCode, Report, Status
from gate.runner import RunOptions, execute, traffic_target


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--var expects NAME=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def parse_formats(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, Path | None]]:
    """Each format once, to stdout unless ``--output FORMAT=PATH`` sends it to a file."""
    from gate.report import FORMATS

    targets: dict[str, Path | None] = {}
    for item in formats or ("text",):
        for fmt in (f.strip() for f in item.split(",") if f.strip()):
            if fmt not in FORMATS:
                raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
            targets.setdefault(fmt, None)
    for spec in outputs:
        fmt, sep, path = spec.partition("=")
        if not sep or fmt not in FORMATS or not path:
            raise UsageError(
                f"--output expects FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}, got {spec!r}"
            )
        targets[fmt] = Path(path)
    for fmt, target in targets.items():
        if target is not None:
            check_output_path(target, f"--output {fmt}")
    return list(targets.items())


def parse_deadline(text: str) -> float:
    try:
        return durations.parse(text)
    except ValueError as e:
        raise UsageError(f"--deadline: {e}") from None


def emit(
    report: Report, targets: list[tuple[str, Path | None]], *, color: bool, verbose: bool, quiet: bool
) -> bool:
    """Render each target; False when a file could not be written (said on stderr)."""
    from gate.report import FORMATS, RenderOptions

    written = True
    for fmt, path in targets:
        options = RenderOptions(color=color and path is None, verbose=verbose, quiet=quiet)
        text = FORMATS[fmt].render(report, options)
        if path is None:
            # color=: click would strip the codes itself when stdout is not a terminal,
            # and --color asks for them anyway (a CI log that renders ANSI).
            click.echo(text, nl=not text.endswith("\n"), color=options.color)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as e:
                click.echo(f"gate: could not write the {fmt} report to {path}: {e.strerror or e}", err=True)
                written = False
        if fmt == "github":
            from gate.report.github import write_step_summary

            write_step_summary(report)
    return written


def evidence_recorder(evidence_dir: str | None) -> Any:
    """A Recorder for ``--evidence DIR``; a DIR with files in it is refused before anything runs."""
    if evidence_dir is None:
        return None
    from gate.evidence.bundle import Recorder, prepare_dir

    try:
        prepare_dir(Path(evidence_dir))
    except FileExistsError as e:
        raise UsageError(f"--evidence: {e}; choose a new directory") from None
    return Recorder()


def write_evidence(path: Path, policy: Any, report: Report, recorder: Any) -> bool:
    from gate.evidence.bundle import write_bundle

    try:
        write_bundle(path, policy, report, recorder)
    except OSError as e:
        click.echo(f"gate: could not write the evidence bundle to {path}: {e.strerror or e}", err=True)
        return False
    click.echo(f"gate: evidence bundle written to {path} (replay: gate replay {path})", err=True)
    return True


def progress_printer(show: bool | None, check_ids: list[str], color: bool | None = None) -> Any:
    stream = sys.stderr
    if show is None:
        show = stream.isatty()
    if not show:
        return None
    from gate.report.progress import Progress

    progress = Progress(stream, color=use_color(color, stream))
    progress.start(check_ids)
    return progress


@click.command(name="check")
@options.policy
@click.option(
    "--world",
    metavar="FILE|NAME",
    help="Run against an emulated project (no network, no credentials): a world file or a "
    "bundled world's name such as s6-redis-unreachable.",
)
@click.option(
    "--deadline", default="10m", show_default=True, help='Deadline for the whole run, like "90s" or "10m".'
)
@options.pool
@click.option(
    "--fail-fast/--no-fail-fast",
    default=True,
    show_default=True,
    help="Stop polling once a blocking check has failed; every check still gets its first attempt.",
)
@options.reports
@options.resolve
@options.impersonate()
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress on stderr (default: when stderr is a terminal).",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the text report and progress (default: on a terminal, unless NO_COLOR is set).",
)
@click.option("--verbose", "-v", is_flag=True, help="Show every check in full, with every attempt.")
@click.option("--quiet", "-q", is_flag=True, help="Show only the verdict and what to fix first.")
@click.option(
    "--tag",
    metavar="TAG",
    help="Judge the revision behind this traffic tag (e.g. candidate): every check follows it unless it "
    "names its own revision or tag; probes use the tag's own URL. Overrides the policy's target.",
)
@click.option(
    "--revision", metavar="NAME", help="Judge this revision (instead of --tag or the latest created)."
)
@click.option(
    "--service",
    "target_service",
    metavar="SERVICE",
    help="The Cloud Run service the deploy changed: --tag/--revision apply to its checks only, and "
    "--promote/--rollback-on-fail act on it (default: --promote's SERVICE, or the policy's target.service).",
)
@click.option(
    "--promote",
    "promote_service",
    metavar="SERVICE",
    help="On PASS only, send 100% of SERVICE's traffic to the revision the checks judged, keeping every "
    "traffic tag (etag-guarded).",
)
@click.option("--promote-tag", metavar="TAG", help="Same as --tag (kept for older pipelines).")
@click.option(
    "--rollback-on-fail",
    is_flag=True,
    help="On FAIL, move the service's traffic off the judged revision back to the revision(s) that "
    "served before it, keeping every tag (etag-guarded).",
)
@click.option(
    "--rollback-on-inconclusive",
    is_flag=True,
    help="Also roll back on INCONCLUSIVE (a check could not be evaluated).",
)
@click.option(
    "--evidence",
    "evidence_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Write an evidence bundle (policy, redacted API answers and exchanges, report) to DIR; "
    "`gate replay DIR` recomputes the verdict from it.",
)
@error_boundary
def command(
    project: str | None,
    policy_path: str | None,
    var_pairs: tuple[str, ...],
    world: str | None,
    deadline: str,
    pool: int,
    fail_fast: bool,
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    resolve: tuple[str, ...],
    impersonate: str | None,
    progress: bool | None,
    color: bool | None,
    verbose: bool,
    quiet: bool,
    tag: str | None = None,
    revision: str | None = None,
    target_service: str | None = None,
    promote_service: str | None = None,
    promote_tag: str | None = None,
    rollback_on_fail: bool = False,
    rollback_on_inconclusive: bool = False,
    evidence_dir: str | None = None,
) -> int:
    """Run a policy and decide whether the deploy may proceed.

    \b
    Exit codes: 0 pass (promote), 1 a blocking check failed (block),
    2 invalid policy or usage (fix the policy), 3 inconclusive: a blocking
    check could not be evaluated (retry or escalate), 130/143 interrupted.
    """
    from gate.policy.loader import find_policy, load_policy

    if not policy_path and not project:
        raise UsageError("give --project PROJECT (finds policies/PROJECT.yaml) or --policy FILE")
    if verbose and quiet:
        raise UsageError("--verbose and --quiet exclude each other")
    # Every input is checked before anything runs, so the exit code printed is the real one.
    targets = parse_formats(formats, outputs)
    run_deadline = parse_deadline(deadline)
    world_file = world_path(world) if world is not None else None
    path = Path(policy_path) if policy_path else find_policy(project or "")
    policy = load_policy(path, vars=parse_vars(var_pairs), project=project)
    if policy.waivers:
        from gate import waivers

        print_warnings(waivers.expiring(policy.waivers, waivers.today()))
    cli_target, service = traffic_target(
        policy,
        tag,
        revision,
        target_service,
        promote_service,
        promote_tag,
        rollback_on_fail or rollback_on_inconclusive,
    )
    recorder = evidence_recorder(evidence_dir)
    options = RunOptions(
        world=world_file,
        resolve=resolve,
        impersonate=impersonate,
        engine=EngineOptions(pool=pool, deadline=run_deadline, fail_fast=fail_fast),
        recorder=recorder,
        target=cli_target,
    )
    printer = progress_printer(progress, [c.id for c in policy.checks], color)

    def on_progress(check_id: str, status: Status | None, attempt: int, summary: str) -> None:
        printer.update(check_id, status.value if status else None, attempt, summary)

    try:
        if service is not None:
            from gate.pipeline.promote import check_and_move

            report = check_and_move(
                policy,
                options,
                on_progress if printer else None,
                service=service,
                promote_on_pass=bool(promote_service),
                rollback_on_fail=rollback_on_fail,
                rollback_on_inconclusive=rollback_on_inconclusive,
            )
        else:
            report = execute(policy, options, on_progress if printer else None)
    finally:
        if printer:
            printer.finish()
    written = emit(report, targets, color=use_color(color, sys.stdout), verbose=verbose, quiet=quiet)
    if (
        recorder is not None
        and evidence_dir is not None
        and not write_evidence(Path(evidence_dir), policy, report, recorder)
    ):
        # Evidence was asked for and is missing: a PASS without it is not proven.
        return 3 if report.exit_code == 0 else report.exit_code
    if report.traffic is not None:
        from gate.pipeline.promote import lines

        # stderr: stdout carries only the chosen report formats.
        for line in lines(report.traffic):
            click.echo(line, err=True)
    if not written:
        return int(ExitCode.USAGE)  # a report asked for is missing: the verdict cannot be delivered
    return report.exit_code
