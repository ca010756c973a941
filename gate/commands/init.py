"""``gate init``: write a starter policy from what a project runs now.

Exit codes: 0 written (or printed with --dry-run); 2 bad usage, a file that
would be overwritten without --force, no such service, missing credentials;
3 the project could not be read (an API error on the calls init cannot do
without: listing the services).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from gate.commands import options
from gate.commands.common import error_boundary
from gate.errors import ApiError, InputError, UsageError
from gate.model import ExitCode

RESOLVE_ENV = "GATE_RESOLVE"
REGION_ENV = "CLOUDSDK_RUN_REGION"  # gcloud's run/region property, as an environment variable


@click.command(name="init")
@click.option("--project", "-p", required=True, help="The Google Cloud project to read.")
@click.option(
    "--region",
    "-r",
    help=f"Region of the Cloud Run services (default: ${REGION_ENV}, or the world's only region).",
)
@click.option("--service", "-s", "services", multiple=True, help="Cover only this service (repeatable).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Where to write the policy (default: policies/<project>.yaml).",
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--dry-run", is_flag=True, help="Print the policy instead of writing it.")
@click.option(
    "--world",
    type=click.Path(exists=True, dir_okay=False),
    help="Read an emulated project (a world file) instead of Google.",
)
@click.option(
    "--probe/--no-probe",
    default=True,
    show_default=True,
    help="Confirm each service's health path with a GET of its URL.",
)
@options.resolve
@options.impersonate("Read as this service account.")
@error_boundary
def command(
    project: str,
    region: str | None,
    services: tuple[str, ...],
    output: str | None,
    force: bool,
    dry_run: bool,
    world: str | None,
    probe: bool,
    resolve: tuple[str, ...],
    impersonate: str | None,
) -> int:
    """Write a starter policy for PROJECT from what runs there now.

    \b
    For each Cloud Run service: the revision is Ready, its environment has the
    variables the serving revision has (names only), its boot log is clean, its
    health path answers, a new revision loses nothing the serving one has, and
    every private destination it uses (Memorystore, Cloud SQL) is reachable;
    Cloud SQL at least at its current tier. Comments say what was found; lines
    marked REVIEW need a person. Nothing is ever copied from an env value.
    Refuses to overwrite a file unless --force; --dry-run prints it.
    """
    from gate.starter.discover import Options, discover
    from gate.starter.render import render

    path = Path(output) if output else Path("policies") / f"{project}.yaml"
    if not dry_run and path.exists() and not force:
        raise UsageError(
            f"{path} already exists; pass --force to overwrite it, --output to write elsewhere, "
            "or --dry-run to print the new policy"
        )
    with _cloud(project, region, world, resolve, impersonate) as (cloud, resolver):
        prober = _prober(resolver) if probe else None
        try:
            inventory = discover(cloud, Options(services=services, probe=prober))
        except ApiError as e:
            click.echo(f"gate init: could not read project {project}: {e}", err=True)
            return int(ExitCode.INCONCLUSIVE)
    text = render(inventory, output=str(path))
    checks = _place(text, path, keep=not dry_run)
    if dry_run:
        click.echo(text, nl=False)
        return 0
    reviews = text.count("REVIEW")
    click.echo(
        f"gate init: wrote {path}: {checks} checks for {len(inventory.services)} service(s), "
        f"{reviews} REVIEW note(s).\n"
        f"next: review it, then `gate validate {path}` and `gate check --project {project}`",
        err=True,
    )
    return 0


@contextlib.contextmanager
def _cloud(
    project: str, region: str | None, world: str | None, resolve: tuple[str, ...], impersonate: str | None
) -> Iterator[tuple[Any, Any]]:
    """The Cloud facade and the URL resolver for the target: a world, GATE_EMULATOR_HOST or Google."""
    from gate.gcp.cloud import Cloud
    from gate.gcp.transport.connection import Connection, resolve_credentials
    from gate.probes.resolve import Resolver

    specs = [*resolve, *os.environ.get(RESOLVE_ENV, "").split()]
    try:
        resolver = Resolver.parse(specs)
    except ValueError as e:
        raise UsageError(f"--resolve: {e}") from None
    with contextlib.ExitStack() as stack:
        if world is not None:
            from gate.emulator import Emulator, load_world

            w = load_world(world)
            if w.project != project:
                raise UsageError(f"--world {world} is a world of project {w.project}, not {project}")
            region = region or os.environ.get(REGION_ENV) or _world_region(w, world)
            emu = stack.enter_context(Emulator(w))
            for origin, base in emu.resolver_map.items():
                resolver.add(origin, base)
            conn = Connection(emulator_host=emu.api_host)
        else:
            region = region or os.environ.get(REGION_ENV)
            if not region:
                raise UsageError(f"give --region (or set {REGION_ENV}): Cloud Run services are regional")
            conn = Connection.from_env(impersonate=impersonate)
            if not conn.emulator_host:
                import dataclasses

                conn = dataclasses.replace(conn, credentials=resolve_credentials(conn))
        yield Cloud(conn, project, region), resolver


def _world_region(world: Any, path: str) -> str:
    # Service names are projects/P/locations/R/services/S.
    regions = sorted({str(s.get("name", "")).split("/")[3] for s in world.items("run", "services")})
    if len(regions) == 1:
        return regions[0]
    found = ", ".join(regions) or "none"
    raise UsageError(f"give --region: the world {path} has Cloud Run services in {found}")


def _prober(resolver: Any) -> Any:
    from gate.probes.http import ProbeError, Request, fetch

    def probe(url: str) -> tuple[int | None, str]:
        request = Request("GET", url, connect_timeout=3.0, read_timeout=5.0)
        try:
            return fetch(request, deadline=time.monotonic() + 8.0, resolver=resolver).status, ""
        except ProbeError as e:
            return None, e.kind.replace("_", " ")

    return probe


def _place(text: str, path: Path, *, keep: bool) -> int:
    """Validate ``text`` where it will live (so includes resolve the same), then move it into place.

    Returns the number of checks. The policy is never written when it does not validate: that
    would be a bug in gate init, not in the user's input. With ``keep=False`` (dry run) nothing
    is left behind, not even a directory created for the validation.
    """
    from gate.policy.loader import load_policy

    created = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.stem}.gate-init{path.suffix or '.yaml'}")
    try:
        candidate.write_text(text, encoding="utf-8")
        try:
            policy = load_policy(candidate)
        except InputError as e:
            raise RuntimeError(f"the starter policy does not validate: {e}") from e
        if keep:
            os.replace(candidate, path)
        return len(policy.checks)
    finally:
        candidate.unlink(missing_ok=True)
        if not keep:
            for d in created:  # innermost first
                with contextlib.suppress(OSError):
                    d.rmdir()
