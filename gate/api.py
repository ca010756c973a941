"""The in-process API for deploy scripts: the same verdict (and traffic change) as ``gate check``
(:func:`run`) and ``gate rollout`` (:func:`rollout`).

import gate
report = gate.run("policies/netra-staging.yaml", tag="candidate", promote="netra-backend-staging")
if report.exit_code != 0:
    raise SystemExit(report.exit_code)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from gate.engine import EngineOptions
from gate.errors import UsageError
from gate.model import DeployTarget, Policy, Report
from gate.runner import RunOptions, execute, traffic_target


def run(
    policy: str | Path | Policy | None = None,
    *,
    project: str | None = None,
    vars: Mapping[str, str] | None = None,
    world: str | Path | None = None,
    deadline: float = 600.0,
    pool: int = 64,
    fail_fast: bool = True,
    resolve: tuple[str, ...] = (),
    impersonate: str | None = None,
    env: Mapping[str, str] | None = None,
    tag: str | None = None,
    revision: str | None = None,
    service: str | None = None,
    promote: bool | str = False,
    rollback_on_fail: bool = False,
    rollback_on_inconclusive: bool = False,
) -> Report:
    """Load (if needed) and run a policy; returns the Report (``.verdict``, ``.exit_code``, ``.traffic``).

    ``policy`` may be a path, a loaded :class:`Policy`, or None to find
    ``policies/<project>.yaml``. ``tag``/``revision``/``service`` are
    ``gate check --tag/--revision/--service``; ``promote`` is ``--promote``
    (a service name, or True for the target's service); ``rollback_on_fail``
    and ``rollback_on_inconclusive`` are the CLI flags of the same names. The
    report's ``traffic`` says what was done to the traffic, and its
    ``exit_code`` is the one ``gate check`` would exit with. Raises
    ``gate.errors.InputError`` for an invalid policy or world, ``UsageError``
    for contradictory arguments and ``CredentialsError`` when no login is found.
    """
    policy = _loaded(policy, project, vars)
    rollback = rollback_on_fail or rollback_on_inconclusive
    promoted = None if promote is False else (None if promote is True else promote)
    cli_target, moved = traffic_target(policy, tag, revision, service, promoted, None, rollback)
    if promote is True:
        moved = service or (policy.target.service if policy.target else None)
        if not moved:
            raise UsageError(
                "promote=True needs the service: pass service= or set target.service in the policy"
            )
    options = _options(world, resolve, impersonate, pool, deadline, fail_fast, env, cli_target)
    if moved is None:
        return execute(policy, options)
    from gate.pipeline.promote import check_and_move

    return check_and_move(
        policy,
        options,
        None,
        service=moved,
        promote_on_pass=promote is not False,
        rollback_on_fail=rollback_on_fail,
        rollback_on_inconclusive=rollback_on_inconclusive,
    )


def rollout(
    policy: str | Path | Policy | None = None,
    *,
    project: str | None = None,
    vars: Mapping[str, str] | None = None,
    world: str | Path | None = None,
    service: str | None = None,
    tag: str | None = None,
    steps: Sequence[int] | None = None,
    pause: float | None = None,
    on_inconclusive: str | None = None,
    deadline: float = 600.0,
    pool: int = 64,
    fail_fast: bool = True,
    resolve: tuple[str, ...] = (),
    impersonate: str | None = None,
    env: Mapping[str, str] | None = None,
    notify: Callable[[str], None] | None = None,
) -> Report:
    """``gate rollout`` in-process: move traffic to the tagged candidate step by step, judging each.

    ``service``, ``tag``, ``steps`` (percents, ending at 100), ``pause`` (seconds)
    and ``on_inconclusive`` (``"rollback"``, ``"hold"`` or ``"continue"``) are the
    command's flags; each defaults to the policy's ``rollout:`` (then ``target:``).
    ``deadline`` bounds the checks of each step. ``notify`` receives the progress
    lines ``gate rollout`` prints on stderr. The Report's ``rollout`` lists every
    step, its ``traffic`` a rollback, and its ``exit_code`` is the command's.
    Raises like :func:`run`; signals are left to the caller.
    """
    from gate.pipeline import rollout as pipeline

    policy = _loaded(policy, project, vars)
    plan = pipeline.make_plan(
        policy, service=service, tag=tag, steps=steps, pause=pause, on_inconclusive=on_inconclusive
    )
    options = _options(world, resolve, impersonate, pool, deadline, fail_fast, env)
    return pipeline.execute(policy, options, plan, notify)


def _loaded(
    policy: str | Path | Policy | None, project: str | None, vars: Mapping[str, str] | None
) -> Policy:
    from gate.policy.loader import find_policy, load_policy

    if isinstance(policy, Policy):
        return policy
    if policy is None:
        if not project:
            raise ValueError("give a policy path or a project")
        policy = find_policy(project)
    return load_policy(policy, vars=dict(vars or {}), project=project)


def _options(
    world: str | Path | None,
    resolve: tuple[str, ...],
    impersonate: str | None,
    pool: int,
    deadline: float,
    fail_fast: bool,
    env: Mapping[str, str] | None,
    target: DeployTarget | None = None,
) -> RunOptions:
    # Signals stay the caller's: a library must not replace a program's SIGINT handler.
    return RunOptions(
        world=world,
        resolve=resolve,
        impersonate=impersonate,
        engine=EngineOptions(pool=pool, deadline=deadline, fail_fast=fail_fast),
        env=env,
        handle_signals=False,
        target=target,
    )
