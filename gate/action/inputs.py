"""The action's inputs, read from ``INPUT_*`` environment variables set by action.yml.

Composite actions do not export inputs to ``run:`` steps on their own, so
action.yml passes each one explicitly under the names below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate.errors import UsageError

# Formats the action always writes itself; `formats` adds more to the log.
OWN_FORMATS = ("github", "json", "junit")
LOG_FORMATS = ("text", "markdown")


@dataclass(frozen=True)
class Inputs:
    project: str
    policy: str
    region: str
    vars: tuple[str, ...]  # NAME=VALUE
    deadline: str
    formats: tuple[str, ...]  # extra formats printed to the log
    world: str
    promote: str
    promote_tag: str
    output_dir: Path
    tag: str = ""
    revision: str = ""
    service: str = ""
    rollback_on_fail: bool = False
    rollback_on_inconclusive: bool = False
    mode: str = "check"  # "check" (gate check) or "rollout" (gate rollout)
    steps: str = ""  # rollout: --steps
    pause: str = ""  # rollout: --pause
    on_inconclusive: str = ""  # rollout: --on-inconclusive


MODES = ("check", "rollout")
ON_INCONCLUSIVE = ("rollback", "hold", "continue")


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get("INPUT_" + name.upper().replace("-", "_"), "").strip()


def parse_vars(text: str) -> tuple[str, ...]:
    """One ``NAME=VALUE`` per line; blank lines and ``#`` comments skipped."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, _value = line.partition("=")
        if not sep or not name.strip():
            # The value is not quoted back: a var may hold something sensitive.
            raise UsageError(f"vars line {number}: expected NAME=VALUE")
        out.append(f"{name.strip()}={_value}")
    return tuple(out)


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = _get(env, name).lower()
    if value in ("", "false", "no", "0"):
        return False
    if value in ("true", "yes", "1"):
        return True
    raise UsageError(f"the `{name}` input expects true or false, got {value!r}")


def resolve_world(name: str, base: Path) -> Path:
    """A world file: a path (relative to ``base``) or a bundled world's name (``s12-healthy``)."""
    from gate.pipeline.policytest import bundled_world_names, find_world

    found = find_world(name, base)
    if found is None:
        known = ", ".join(bundled_world_names())
        raise UsageError(f"world {name!r} not found (relative to {base}); bundled worlds: {known}")
    return found


def read_inputs(env: Mapping[str, str] | None = None) -> Inputs:
    env = os.environ if env is None else env
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    project, policy = _get(env, "project"), _get(env, "policy")
    if not project and not policy:
        raise UsageError("set the `project` input (finds policies/PROJECT.yaml) or the `policy` input")
    formats = []
    # Absent means action.yml's default; an explicit empty value means none.
    for item in env.get("INPUT_FORMATS", "text").replace("\n", ",").split(","):
        fmt = item.strip()
        if not fmt:
            continue
        if fmt in OWN_FORMATS:
            continue  # always produced
        if fmt not in LOG_FORMATS:
            raise UsageError(f"formats: unknown format {fmt!r}; choose from {', '.join(LOG_FORMATS)}")
        formats.append(fmt)
    world = _get(env, "world")
    out_dir = _get(env, "output-dir") or str(Path(env.get("RUNNER_TEMP") or workspace) / "gate-report")
    promote, promote_tag = _get(env, "promote"), _get(env, "promote-tag")
    if promote.lower() in ("false", "no", "0"):
        promote = ""
    tag, revision = _get(env, "tag"), _get(env, "revision")
    if promote_tag and tag and promote_tag != tag:
        raise UsageError(f"the `promote-tag` input ({promote_tag}) contradicts the `tag` input ({tag})")
    if (tag or promote_tag) and revision:
        raise UsageError("set either the `tag` input or the `revision` input, not both")
    mode = _get(env, "mode").lower() or "check"
    if mode not in MODES:
        raise UsageError(f"the `mode` input expects check or rollout, got {mode!r}")
    steps, pause, on_inconclusive = _get(env, "steps"), _get(env, "pause"), _get(env, "on-inconclusive")
    if mode == "rollout":
        if promote or promote_tag or revision:
            raise UsageError(
                "mode rollout moves traffic step by step itself: drop the `promote`, `promote-tag` and "
                "`revision` inputs (give the candidate's `tag`)"
            )
        if _flag(env, "rollback-on-fail") or _flag(env, "rollback-on-inconclusive"):
            raise UsageError(
                "mode rollout always rolls back on FAIL; for INCONCLUSIVE set `on-inconclusive` "
                "instead of the rollback-on-* inputs"
            )
        if on_inconclusive and on_inconclusive not in ON_INCONCLUSIVE:
            raise UsageError(
                f"the `on-inconclusive` input expects rollback, hold or continue, got {on_inconclusive!r}"
            )
    elif steps or pause or on_inconclusive:
        raise UsageError("the `steps`, `pause` and `on-inconclusive` inputs are for mode rollout only")
    return Inputs(
        project=project,
        policy=str(workspace / policy) if policy and not Path(policy).is_absolute() else policy,
        region=_get(env, "region"),
        vars=parse_vars(env.get("INPUT_VARS", "")),
        deadline=_get(env, "deadline") or "10m",
        formats=tuple(formats),
        world=str(resolve_world(world, workspace)) if world else "",
        promote=promote,
        promote_tag=promote_tag,
        output_dir=Path(out_dir),
        tag=tag or promote_tag,
        revision=revision,
        service=_get(env, "service"),
        rollback_on_fail=_flag(env, "rollback-on-fail"),
        rollback_on_inconclusive=_flag(env, "rollback-on-inconclusive"),
        mode=mode,
        steps=steps,
        pause=pause,
        on_inconclusive=on_inconclusive,
    )
