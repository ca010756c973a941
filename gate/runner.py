"""Wire a policy to where its facts come from, run it, and clean up.

Three targets, one verdict: ``--world FILE`` (an in-process emulator),
``GATE_EMULATOR_HOST`` (an emulator elsewhere), or Google itself. Everything
heavy (emulator, Google clients) is imported only on the path that needs it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate import registry
from gate.context import RunContext
from gate.engine import Engine, EngineOptions, ProgressFn
from gate.errors import UsageError
from gate.model import DeployTarget, Policy, Report
from gate.probes.resolve import Resolver
from gate.redact import Redactor

RESOLVE_ENV = "GATE_RESOLVE"


@dataclass(frozen=True)
class RunOptions:
    world: str | Path | None = None
    resolve: tuple[str, ...] = ()  # ORIGIN=BASE, as for curl --resolve
    impersonate: str | None = None
    engine: EngineOptions = field(default_factory=EngineOptions)
    env: Mapping[str, str] | None = None  # defaults to os.environ
    handle_signals: bool = True
    recorder: Any = None  # gate.evidence.bundle.Recorder for --evidence; None = not recording
    # --tag / --revision / --service: override the policy's `target:` (selector and service apart).
    target: DeployTarget | None = None


def deploy_target(policy: Policy, cli: DeployTarget | None) -> DeployTarget | None:
    """The run's target: a check's own revision/tag > the CLI > the policy's `target:` > latest created.

    The CLI replaces the policy's selector as a whole (``--revision`` drops a
    policy ``tag:``) and its service separately.
    """
    base = policy.target or DeployTarget()
    cli = cli or DeployTarget()
    if cli.tag and cli.revision:
        raise UsageError("give either --tag or --revision, not both")
    if cli.tag or cli.revision:
        selector = DeployTarget(tag=cli.tag, revision=cli.revision, source=cli.source)
    else:
        selector = base
    service = cli.service or base.service
    out = DeployTarget(service=service, tag=selector.tag, revision=selector.revision, source=selector.source)
    if out == DeployTarget():
        return None
    if out.tag or out.revision:
        from gate.checks.selection import follows

        if not any(follows(out, spec.params) for spec in policy.checks):
            # A target no check follows would silently judge the latest created revision.
            raise UsageError(
                f"no check of {policy.source} follows the target {out.describe()}: every check "
                "names its own revision or tag, or checks another service"
            )
    return out


def _apis(policy: Policy) -> list[str]:
    """The APIs the policy's checks will call (``CheckType.apis_for``), each once."""
    out: dict[str, None] = {}
    for spec in policy.checks:
        try:
            out.update(dict.fromkeys(registry.get(spec.type).apis_for(spec.params)))
        except KeyError:
            continue
    return list(out)


def _needs_cloud(policy: Policy) -> bool:
    for spec in policy.checks:
        try:
            if registry.get(spec.type).uses_cloud(spec.params):
                return True
        except KeyError:
            continue
    return False


def traffic_target(
    policy: Policy,
    tag: str | None,
    revision: str | None,
    service: str | None,
    promote: str | None,
    promote_tag: str | None,
    rollback: bool,
) -> tuple[DeployTarget | None, str | None]:
    """The CLI's part of the target, and the service whose traffic may change (None: no change asked)."""
    if promote_tag and tag and promote_tag != tag:
        raise UsageError(f"--promote-tag {promote_tag} contradicts --tag {tag}; give --tag only")
    tag = tag or promote_tag
    if tag and revision:
        raise UsageError("give either --tag or --revision, not both")
    if service and promote and service.rsplit("/", 1)[-1] != promote.rsplit("/", 1)[-1]:
        raise UsageError(f"--service {service} and --promote {promote} name different services")
    scope = service or promote
    moved = scope or (policy.target.service if policy.target else None)
    if rollback and not moved:
        raise UsageError(
            "--rollback-on-fail needs the service to roll back: give --service SERVICE (or --promote "
            "SERVICE), or set target.service in the policy"
        )
    source = "--tag" if tag else "--revision" if revision else ""
    cli = DeployTarget(service=scope, tag=tag, revision=revision, source=source)
    return (None if cli == DeployTarget() else cli), (moved if promote or rollback else None)


@contextlib.contextmanager
def open_run(policy: Policy, options: RunOptions) -> Iterator[tuple[RunContext, str]]:
    """A RunContext whose providers point at the right target; yields (run, target)."""
    run_target = deploy_target(policy, options.target)  # usage errors before anything starts
    env = dict(os.environ if options.env is None else options.env)
    specs = list(options.resolve) + [s for s in env.get(RESOLVE_ENV, "").split() if s]
    resolver = Resolver.parse(specs)
    with contextlib.ExitStack() as stack:
        from gate.gcp.transport.connection import Connection

        if options.world is not None:
            from gate.emulator import Emulator, load_world

            world = load_world(str(options.world))
            env.update(world.env)
            emu = stack.enter_context(Emulator(world))
            for origin, base in emu.resolver_map.items():
                resolver.add(origin, base)
            conn = Connection(emulator_host=emu.api_host, endpoints={})
            target = f"world:{options.world}"
            resolver.strict = True
        else:
            conn = Connection.from_env(endpoints=policy.endpoints, impersonate=options.impersonate, env=env)
            target = f"emulator:{conn.emulator_host}" if conn.emulator_host else "google"
            # A dry run must never reach production: unmapped public URLs are refused.
            resolver.strict = bool(conn.emulator_host)
            if not conn.emulator_host and _needs_cloud(policy):
                from gate.gcp.transport.connection import resolve_credentials, verify_credentials

                # Fail fast (exit 2) before any check runs, not once per check: found,
                # and able to produce a token.
                credentials = resolve_credentials(conn)
                verify_credentials(credentials)
                conn = dataclasses.replace(conn, credentials=credentials)
        cloud = _cloud(conn, policy, options.engine.pool)
        stack.callback(_preload(policy).stop)
        run = RunContext(
            project=policy.project,
            region=policy.region,
            vars=policy.vars,
            env=env,
            cloud=cloud,
            resolver=resolver,
            redactor=Redactor(),
            recorder=options.recorder,
            target=run_target,
        )
        if options.recorder is not None:
            options.recorder.bind(run)
        yield run, target


def _preload(policy: Policy) -> Any:
    """Start importing the policy's client modules in the background (a policy without
    Google checks starts no thread and imports no Google module)."""
    from gate.gcp.transport.clients import preload_modules
    from gate.gcp.transport.preload import Preload

    return Preload(preload_modules(_apis(policy))).start()


def _cloud(conn: Any, policy: Policy, pool: int) -> Any:
    from gate.gcp.cloud import Cloud

    return Cloud(conn, policy.project, policy.region, concurrency=pool)


@contextlib.contextmanager
def interruptions(on_signal: Callable[[str], None], enabled: bool) -> Iterator[None]:
    """SIGINT/SIGTERM call ``on_signal`` with the signal's name instead of raising, while
    the block runs (the main thread only: Python delivers signals nowhere else)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum: int, _frame: Any) -> None:
        on_signal(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def execute(policy: Policy, options: RunOptions | None = None, progress: ProgressFn | None = None) -> Report:
    options = options or RunOptions()
    with open_run(policy, options) as (run, target):
        engine = Engine(policy, run, options.engine, progress)
        with interruptions(engine.interrupt, options.handle_signals):
            report = engine.execute()
    return dataclasses.replace(report, target=target, deploy_target=run.target)
