"""``gate snapshot``: record a live project's resources into a world file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gate.commands import options
from gate.commands.common import error_boundary
from gate.errors import UsageError


@click.command(name="snapshot")
@click.option("--project", "-p", required=True, help="Project id to record.")
@click.option("--region", "-r", required=True, help="Region of the Cloud Run services, connectors and Redis.")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="World file to write ('-' = stdout).",
)
@click.option("--service", "-s", "services", multiple=True, help="Record only this service (repeatable).")
@click.option(
    "--revisions",
    default=3,
    show_default=True,
    type=click.IntRange(1, 50),
    help="Newest revisions kept per service (plus any the service references).",
)
@click.option(
    "--log-window", default="30m", show_default=True, help="Log read after each revision's creation."
)
@click.option(
    "--max-log-entries",
    default=200,
    show_default=True,
    type=click.IntRange(1, 5000),
    help="Log entries kept per revision.",
)
@click.option(
    "--keep-env",
    multiple=True,
    metavar="NAME",
    help="Keep this env var's value (non-secret config such as REDIS_PORT); all others become <redacted>.",
)
@click.option(
    "--skip", multiple=True, metavar="API", help="Leave out an API (e.g. one disabled in the project)."
)
@options.impersonate("Read as this service account.")
@error_boundary
def command(
    project: str,
    region: str,
    output: str,
    services: tuple[str, ...],
    revisions: int,
    log_window: str,
    max_log_entries: int,
    keep_env: tuple[str, ...],
    skip: tuple[str, ...],
    impersonate: str | None,
) -> int:
    """Record a project's resources and recent revision logs into a world file.

    \b
    Reads Cloud Run services and revisions, VPC connectors, Redis, Cloud SQL,
    Compute networks/subnets/firewalls/routes/addresses, Secret Manager metadata
    (never payloads) and each recorded revision's boot log (bounded). Literal env
    values and token-looking strings are replaced with <redacted>. Replay with
    `gate check --world FILE`. HTTP endpoints are not recorded (checks probe them live).
    Needs the same read-only roles as `gate check` (docs/PIPELINE.md).
    """
    import yaml

    from gate import durations
    from gate.emulator import parse_world
    from gate.evidence.snapshot import APIS, Snapshot, SnapshotOptions
    from gate.gcp.transport.clients import Transport
    from gate.gcp.transport.connection import Connection

    unknown = [a for a in skip if a not in APIS]
    if unknown:
        raise UsageError(f"--skip: unknown API {unknown[0]!r}; choose from {', '.join(APIS)}")
    try:
        window = durations.parse(log_window)
    except ValueError as e:
        raise UsageError(f"--log-window: {e}") from None
    options = SnapshotOptions(
        services=services,
        revisions=revisions,
        log_window=window,
        max_log_entries=max_log_entries,
        skip=skip,
        keep_env=keep_env,
    )
    transport = Transport(Connection.from_env(impersonate=impersonate), project, region)
    data = Snapshot(transport, options).world()
    header = (
        f"# Recorded by `gate snapshot --project {project} --region {region}`.\n"
        "# Env values and token-looking strings are <redacted>; secret payloads were never read.\n"
    )
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    # The file must load as a world: a snapshot that cannot be replayed is worse than none.
    parse_world(text, output)
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        counts = ", ".join(
            f"{len(v)} {k}"
            for section in data.values()
            if isinstance(section, dict)
            for k, v in section.items()
        )
        click.echo(f"wrote {output}: {counts}", err=True)
    return 0
