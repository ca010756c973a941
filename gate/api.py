"""The in-process API for deploy scripts: the same verdict as ``gate check``.

import gate
report = gate.run("policies/netra-staging.yaml", vars={"tag": "candidate"})
if report.exit_code != 0:
    raise SystemExit(report.exit_code)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gate.engine import EngineOptions
from gate.model import Policy, Report
from gate.runner import RunOptions, execute


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
) -> Report:
    """Load (if needed) and run a policy; returns the Report (``.verdict``, ``.exit_code``).

    ``policy`` may be a path, a loaded :class:`Policy`, or None to find
    ``policies/<project>.yaml``. Raises ``gate.errors.InputError`` for an
    invalid policy or world and ``CredentialsError`` when no login is found.
    """
    from gate.policy.loader import find_policy, load_policy

    if not isinstance(policy, Policy):
        if policy is None:
            if not project:
                raise ValueError("give a policy path or a project")
            policy = find_policy(project)
        policy = load_policy(policy, vars=dict(vars or {}), project=project)
    options = RunOptions(
        world=world,
        resolve=resolve,
        impersonate=impersonate,
        engine=EngineOptions(pool=pool, deadline=deadline, fail_fast=fail_fast),
        env=env,
        handle_signals=False,
    )
    return execute(policy, options)
