"""The policy's ``rollout:`` section: its schema, its checks, and which checks run when.

A progressive rollout (``gate rollout``, docs/PIPELINE.md#progressive-delivery-gate-rollout)
runs two kinds of checks: **readiness** checks once, before the candidate gets
any traffic, and **analysis** checks at every step, once its share has been
set and the pause has passed. By default, by check type:

- ``monitoring.metric``: analysis only (with no traffic there is nothing to measure);
- ``http.health``, ``websocket.golden_path``: both (they probe the tag's own URL);
- every other type: readiness only (a revision's configuration, its boot log, its
  network path do not change with its share of traffic).

``readiness:`` and ``analysis:`` replace those defaults, each on its own, with
a list of selectors: a check id, an id pattern with ``*`` / ``?`` (fnmatch), or
``{type: TYPE}``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from gate import durations
from gate.model import CheckSpec, RolloutPlan, SourceRef

ANALYSIS_ONLY = frozenset({"monitoring.metric"})
BOTH = frozenset({"http.health", "websocket.golden_path"})
ON_INCONCLUSIVE = ("rollback", "hold", "continue")
DEFAULT_PAUSE = 120.0
DEFAULT_ON_INCONCLUSIVE = "rollback"

Add = Callable[[tuple[str | int, ...], str], None]


def section_schema() -> dict[str, Any]:
    """The ``rollout:`` value, for the loader and editors alike (its meaning is checked below)."""
    text = {"type": "string", "minLength": 1}
    selector = {
        "anyOf": [
            {"type": "string", "minLength": 1, "x-expected": "a check id or an id pattern"},
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["type"],
                "properties": {"type": {"type": "string", "minLength": 1}},
            },
        ]
    }
    phase = {"type": "array", "items": selector}
    step: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 100}
    duration: dict[str, Any] = {
        "type": "string",
        # ${var} too: the value is judged once substituted (parse, below).
        "pattern": durations.PATTERN + r"|^.*\$\{[^}]*\}.*$",
        "x-expected": 'a duration like "2m"',
    }
    return {
        "type": "object",
        "description": "A progressive rollout for `gate rollout`: the candidate's share at each step, "
        "the pause before each step's analysis, and which checks run before any traffic (readiness) "
        "and at every step (analysis). See docs/PIPELINE.md#progressive-delivery-gate-rollout.",
        "additionalProperties": False,
        "properties": {
            "service": {**text, "description": "The Cloud Run service (default: target.service)."},
            "tag": {**text, "description": "The candidate's traffic tag (default: target.tag)."},
            "steps": {
                "type": "array",
                "minItems": 1,
                "items": step,
                "description": "The candidate's percent of traffic at each step, increasing, ending at 100.",
            },
            "pause": {**duration, "description": "Wait this long after each traffic change (default 2m)."},
            "readiness": {
                **phase,
                "description": "Checks run once before any traffic moves: ids, id patterns or "
                "{type: TYPE} (default: every check but monitoring.metric).",
            },
            "analysis": {
                **phase,
                "description": "Checks run at every step: ids, id patterns or {type: TYPE} (default: "
                "monitoring.metric, http.health and websocket.golden_path checks).",
            },
            "on_inconclusive": {
                "enum": list(ON_INCONCLUSIVE),
                "description": "What an INCONCLUSIVE step does: rollback (default), hold (stop, traffic "
                "left where it is) or continue (go on to the next step).",
            },
        },
    }


def default_phase(check_type: str) -> tuple[bool, bool]:
    """(runs in readiness, runs in analysis) for a check type, when the policy does not say."""
    if check_type in ANALYSIS_ONLY:
        return False, True
    if check_type in BOTH:
        return True, True
    return True, False


def phases(checks: Sequence[CheckSpec], plan: RolloutPlan | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(readiness ids, analysis ids), in policy order."""
    ready = plan.readiness if plan is not None else None
    analysed = plan.analysis if plan is not None else None
    r = tuple(c.id for c in checks if (c.id in ready if ready is not None else default_phase(c.type)[0]))
    a = tuple(
        c.id for c in checks if (c.id in analysed if analysed is not None else default_phase(c.type)[1])
    )
    return r, a


def phase_problems(checks: Sequence[CheckSpec], plan: RolloutPlan | None) -> list[str]:
    """What makes a rollout of these checks unsound (each a sentence)."""
    readiness, analysis = phases(checks, plan)
    out = []
    nowhere = [c.id for c in checks if c.id not in readiness and c.id not in analysis]
    if nowhere:
        them = "it" if len(nowhere) == 1 else "them"
        out.append(f"{_ids(nowhere)} would run in neither readiness nor analysis: add {them} to one of them")
    by_id = {c.id: c for c in checks}
    if not any(by_id[i].blocking for i in analysis):
        out.append("no blocking check runs at the steps (analysis): each step would move traffic unproven")
    ready = set(readiness)
    for i in readiness:
        for n in by_id[i].needs:
            if n in by_id and n not in ready:
                out.append(
                    f"{i} runs in readiness but needs {n}, which runs only in analysis "
                    "(after traffic has moved)"
                )
    return out


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return ("check " if len(ids) == 1 else "checks ") + shown


def select(
    selectors: Any, checks: Sequence[CheckSpec], base: tuple[str | int, ...], add: Add
) -> tuple[str, ...]:
    """Check ids the selectors name, in policy order; a selector that names none is an error."""
    from gate.policy import schema  # imports this module for the section's schema

    chosen: set[str] = set()
    ids = [c.id for c in checks]
    for i, sel in enumerate(selectors if isinstance(selectors, list) else []):
        here = (*base, i)
        if isinstance(sel, Mapping):
            ctype = sel.get("type")
            hit = {c.id for c in checks if c.type == ctype}
            if not hit:
                add((*here, "type"), f"no check of type {schema.quoted(str(ctype))} in the policy")
        elif isinstance(sel, str):
            if any(ch in sel for ch in "*?["):
                hit = {c for c in ids if fnmatch.fnmatchcase(c, sel)}
                if not hit:
                    add(here, f"the pattern {schema.quoted(sel)} matches no check id")
            else:
                hit = {sel} if sel in ids else set()
                if not hit:
                    add(here, f"no check {schema.quoted(sel)} in the policy{schema.suggest(sel, ids)}")
        else:
            continue  # reported by the schema
        chosen |= hit
    return tuple(c for c in ids if c in chosen)


def parse(
    value: Any, checks: Sequence[CheckSpec], add: Add, where: Callable[[tuple[str | int, ...]], SourceRef]
) -> RolloutPlan | None:
    """The ``rollout:`` value (already interpolated, shape checked by the schema) as a plan."""
    if not isinstance(value, Mapping):
        return None
    base: tuple[str | int, ...] = ("rollout",)
    steps = _steps(value.get("steps"), base, add)
    pause: float | None = None
    if isinstance(value.get("pause"), str):
        try:
            pause = durations.parse(value["pause"])
        except ValueError as e:
            add((*base, "pause"), str(e))
    readiness = (
        select(value["readiness"], checks, (*base, "readiness"), add) if "readiness" in value else None
    )
    analysis = select(value["analysis"], checks, (*base, "analysis"), add) if "analysis" in value else None
    on_inconclusive = value.get("on_inconclusive")
    plan = RolloutPlan(
        steps=steps,
        pause=pause,
        service=_text(value.get("service")),
        tag=_text(value.get("tag")),
        readiness=readiness,
        analysis=analysis,
        on_inconclusive=on_inconclusive if on_inconclusive in ON_INCONCLUSIVE else None,
        source=where(base),
    )
    for problem in phase_problems(checks, plan):
        add(base, problem)
    return plan


def _text(v: Any) -> str | None:
    return str(v) if isinstance(v, str) and v else None


def _steps(value: Any, base: tuple[str | int, ...], add: Add) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()  # absent: `gate rollout --steps` gives them; anything else is reported by the schema
    out: list[int] = []
    for i, v in enumerate(value or []):
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 100:
            return ()  # reported by the schema
        if out and v <= out[-1]:
            add((*base, "steps", i), f"steps must increase: {v} after {out[-1]}")
            return ()
        out.append(v)
    if out and out[-1] != 100:
        last = (*base, "steps", len(out) - 1)
        add(last, f"the last step must be 100 (the candidate takes all traffic), got {out[-1]}")
    return tuple(out)


def check_steps(steps: Iterable[int]) -> str:
    """Why a list of steps (from the command line) is not a rollout, or ""."""
    seen: list[int] = []
    for v in steps:
        if not 1 <= v <= 100:
            return f"each step is a percent from 1 to 100, got {v}"
        if seen and v <= seen[-1]:
            return f"steps must increase: {v} after {seen[-1]}"
        seen.append(v)
    if not seen:
        return "give at least one step"
    if seen[-1] != 100:
        return f"the last step must be 100 (the candidate takes all traffic), got {seen[-1]}"
    return ""
