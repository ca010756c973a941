"""``run.revision``: the revision being promoted is Ready, and traffic is where the policy wants it.

Catches S1 and S2: the new revision's container never started, Cloud Run kept
the old revision serving, and the deploy script still said "success". Judging
the *latest created* revision (see :mod:`gate.checks.target`) is what makes
that visible; the serving revision was healthy all along.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gate.checks.base import CheckType
from gate.checks.target import TARGET_PROPERTIES, Target, resolve_target, target_errors
from gate.model import Outcome

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.context import AttemptContext
    from gate.gcp.facts_run import Condition, Revision, Service

MESSAGE_CAP = 300  # a condition message quoted in a summary
# Besides Ready, these must not have failed when the revision reports them.
SUPPORTING = ("ContainerHealthy", "ResourcesAvailable")
FAILED = "CONDITION_FAILED"
# GoogleCloudRunV2Condition.state (run.v2 discovery document); anything else is a state gate
# cannot interpret (a newer API's, or a number the client library does not know): ERROR.
STATES = ("CONDITION_SUCCEEDED", FAILED, "CONDITION_PENDING", "CONDITION_RECONCILING")

_TRAFFIC_ITEM = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "revision": {"type": "string", "minLength": 1},
        "tag": {"type": "string", "minLength": 1},
        "latest": {"const": True, "description": "the latest created revision"},
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
    },
    "required": ["percent"],
}


def _short(name: str | None) -> str:
    return name.rsplit("/", 1)[-1] if name else "(none)"


def _cap(text: str) -> str:
    return text if len(text) <= MESSAGE_CAP else text[: MESSAGE_CAP - 1] + "…"


def _describe(c: Condition) -> str:
    parts = [c.type, c.reason, _cap(c.message)]
    return ": ".join(p for p in parts if p)


class RevisionReady(CheckType):
    name = "run.revision"
    summary = "The Cloud Run revision being promoted is Ready (and traffic is split as expected)."
    description = (
        "Reads the service and the target revision (default: the service's latest *created* "
        "revision, the one a deploy just made; or `revision:`, or the revision behind `tag:`).\n\n"
        "PASS when the revision's `Ready` condition succeeded and `ContainerHealthy` / "
        "`ResourcesAvailable` (when present) did not fail. Only while reconciliation is really in "
        "progress (the service's `reconciling`, or a PENDING/RECONCILING terminalCondition) does the "
        "attempt FAIL without being final, so a `retry.deadline` keeps polling. Once reconciliation "
        "is over, a terminalCondition CONDITION_FAILED is a final FAIL at once, quoting its reason "
        "and message: Cloud Run documents that a failed reconciliation leaves observedGeneration, "
        "latestReadyRevision and trafficStatuses on the last serving revision, so waiting cannot "
        "help. A revision whose Ready condition FAILED is a final FAIL that quotes the failing "
        "condition and names the old revision that still serves.\n\n"
        "`traffic:` optionally states the expected split after promotion, e.g. "
        "`[{latest: true, percent: 100}]` or `[{tag: candidate, percent: 10}, {revision: X, percent: 90}]`; "
        "it is compared with the service's observed traffic statuses."
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["service"],
        "properties": {
            "service": TARGET_PROPERTIES["service"],
            "revision": TARGET_PROPERTIES["revision"],
            "tag": TARGET_PROPERTIES["tag"],
            "traffic": {
                "type": "array",
                "minItems": 1,
                "items": _TRAFFIC_ITEM,
                "description": "The expected traffic split, e.g. [{latest: true, percent: 100}]; "
                "no default: not checked.",
            },
        },
    }
    example = {
        "id": "backend-revision",
        "type": "run.revision",
        "retry": {"interval": "10s", "deadline": "5m"},
        "with": {"service": "netra-backend-staging", "traffic": [{"latest": True, "percent": 100}]},
    }
    apis = ("run",)

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        errors = target_errors(params)
        for i, item in enumerate(params.get("traffic") or []):
            if not isinstance(item, Mapping):
                continue
            chosen = [k for k in ("revision", "tag", "latest") if k in item]
            if len(chosen) != 1:
                errors.append((f"traffic[{i}]", "give exactly one of revision, tag or latest"))
        return errors

    def attempt(self, ctx: AttemptContext) -> Outcome:
        target = resolve_target(ctx, self.params)
        service, rev = target.service, target.revision
        evidence = _evidence(target)
        remediation = _remediation(ctx, rev)
        # Cloud Run Admin v2, Service.reconciling: while it is true, observedGeneration,
        # latestReadyRevision and trafficStatuses are transient; once false, reconciliation
        # either succeeded or failed, and a failure is in terminalCondition. If it failed,
        # those fields "will have the state of the last serving revision" (so
        # observedGeneration stays below generation for good): waiting cannot help.
        terminal = service.terminal_condition
        progress = _in_progress(service)
        if progress:
            return Outcome.failed(
                f"service still reconciling ({progress}): observedGeneration {service.observed_generation}, "
                f"generation {service.generation}",
                evidence=evidence,
            )
        failed = terminal if terminal is not None and terminal.state == FAILED else None
        if failed is not None and _is_latest(service, rev):
            return self._reconcile_failed(target, failed, evidence, remediation)
        if terminal is not None and terminal.state not in STATES and _is_latest(service, rev):
            return Outcome.error(
                f"service {service.short_name}'s terminalCondition is {terminal.state}, a state gate "
                f"does not know (Cloud Run Admin v2 documents {', '.join(STATES)}): cannot tell whether "
                "the rollout of its latest generation finished",
                evidence=evidence,
            )
        if service.observed_generation < service.generation and failed is None:
            # Not documented as a resting state: polled, so the deadline ends it either way.
            return Outcome.failed(
                f"service has not observed generation {service.generation} yet (observedGeneration "
                f"{service.observed_generation}) and reports no reconciliation in progress",
                evidence=evidence,
            )
        ready = rev.condition("Ready")
        if ready is None:
            return Outcome.failed(
                f"revision {rev.short_name} reports no Ready condition yet", evidence=evidence
            )
        if ready.state == FAILED:
            return self._failed(target, ready, evidence, remediation, failed)
        if not ready.succeeded:
            why = f" ({ready.reason})" if ready.reason else ""
            return Outcome.failed(
                f"revision {rev.short_name} is not ready yet: Ready is {ready.state}{why}",
                evidence=evidence,
                remediation=remediation,
            )
        supporting = [c for c in (rev.condition(t) for t in SUPPORTING) if c is not None]
        for c in supporting:
            if c.state == FAILED:
                return Outcome.failed(
                    f"revision {rev.short_name} is Ready but {_describe(c)}",
                    evidence=evidence,
                    remediation=remediation,
                    final=True,
                )
        for c in supporting:
            # Unset (STATE_UNSPECIFIED), pending or reconciling has not failed; a state gate
            # does not know might have.
            if c.state not in (*STATES, "STATE_UNSPECIFIED"):
                return Outcome.error(
                    f"revision {rev.short_name} is Ready but its {c.type} condition is {c.state}, a "
                    f"state gate does not know (Cloud Run Admin v2 documents {', '.join(STATES)}): "
                    "cannot tell whether it failed",
                    evidence=evidence,
                    remediation=remediation,
                )
        if target.how == "latest created revision" and service.latest_ready_revision != rev.name:
            return Outcome.failed(
                f"revision {rev.short_name} is Ready but the service still reports "
                f"{_short(service.latest_ready_revision)} as its latest ready revision",
                evidence=evidence,
            )
        wrong = _traffic_mismatch(self.params.get("traffic") or [], service, rev)
        if wrong:
            return Outcome.failed(
                f"revision {rev.short_name} is Ready but traffic is not as expected: {wrong}",
                evidence=evidence,
                remediation=f"Migrate traffic: gcloud run services update-traffic {service.short_name} "
                f"--region {ctx.region} --to-revisions {rev.short_name}=100 (or the split you expect).",
            )
        return Outcome.passed(f"revision {rev.short_name} ({target.how}) is Ready", evidence=evidence)

    def _failed(
        self,
        target: Target,
        ready: Condition,
        evidence: dict[str, Any],
        remediation: str,
        terminal: Condition | None = None,
    ) -> Outcome:
        service, rev = target.service, target.revision
        # The most specific failed condition explains more than Ready's generic message.
        cause = next(
            (c for c in (rev.condition(t) for t in SUPPORTING) if c is not None and c.state == FAILED),
            ready,
        )
        serving = service.latest_ready_revision
        if serving and serving != rev.name:
            head = (
                f"the new revision {rev.short_name} failed; the old revision {_short(serving)} still serves"
            )
        else:
            head = f"revision {rev.short_name} failed"
        tail = ""
        if terminal is not None:
            same = terminal.message == cause.message or terminal.message == ready.message
            tail = "; the service's reconciliation failed (terminalCondition " + (
                f"{terminal.type} {terminal.state}, same message)" if same else f"{_describe(terminal)})"
            )
        return Outcome.failed(
            f"{head}: {_describe(cause)}{tail}", evidence=evidence, remediation=remediation, final=True
        )

    def _reconcile_failed(
        self, target: Target, terminal: Condition, evidence: dict[str, Any], remediation: str
    ) -> Outcome:
        """terminalCondition FAILED for the generation that made the judged revision: final."""
        service, rev = target.service, target.revision
        ready = rev.condition("Ready")
        if ready is not None and ready.state == FAILED:
            return self._failed(target, ready, evidence, remediation, terminal)
        serving = service.latest_ready_revision
        still = f"; {_short(serving)} still serves" if serving and serving != rev.name else ""
        return Outcome.failed(
            f"service {service.short_name} failed to reconcile generation {service.generation} "
            f"(observedGeneration {service.observed_generation}){still}: terminalCondition "
            f"{_describe(terminal)}",
            evidence=evidence,
            remediation=remediation,
            final=True,
        )


def _in_progress(service: Service) -> str:
    """Why reconciliation is really under way ("" if it is not): the flag, or a pending terminal condition."""
    t = service.terminal_condition
    if service.reconciling:
        return "reconciling"
    if t is not None and t.state in ("CONDITION_PENDING", "CONDITION_RECONCILING"):
        return f"terminalCondition {t.state}"
    return ""


def _is_latest(service: Service, rev: Revision) -> bool:
    """The judged revision is the one the latest generation created (or that is unknown)."""
    return not service.latest_created_revision or service.latest_created_revision == rev.name


def _evidence(target: Target) -> dict[str, Any]:
    service, rev = target.service, target.revision
    return {
        **target.evidence,
        "conditions": [
            {"type": c.type, "state": c.state, "reason": c.reason, "message": _cap(c.message)}
            for c in rev.conditions
        ],
        "generation": service.generation,
        "observed_generation": service.observed_generation,
        "reconciling": service.reconciling,
        "terminal_condition": (
            {
                "type": service.terminal_condition.type,
                "state": service.terminal_condition.state,
                "reason": service.terminal_condition.reason,
                "message": _cap(service.terminal_condition.message),
            }
            if service.terminal_condition
            else None
        ),
        "latest_created_revision": _short(service.latest_created_revision),
        "latest_ready_revision": _short(service.latest_ready_revision),
        "traffic": [
            {"revision": _short(_resolved(service, t.revision, t.type)), "percent": t.percent, "tag": t.tag}
            for t in service.traffic_statuses
        ],
        "revision_created": rev.create_time.isoformat() if rev.create_time else None,
    }


def _remediation(ctx: AttemptContext, rev: Revision) -> str:
    return (
        "Read the revision's logs: gcloud logging read "
        f'\'resource.type="cloud_run_revision" AND resource.labels.revision_name="{rev.short_name}"\' '
        f"--project {ctx.project} --limit 50 ; and its conditions: gcloud run revisions describe "
        f"{rev.short_name} --region {ctx.region} --project {ctx.project}"
    )


def _resolved(service: Service, revision: str | None, type_: str) -> str | None:
    if revision:
        return revision
    # A LATEST allocation routes to the latest ready revision.
    return service.latest_ready_revision if type_.endswith("_LATEST") else None


def _traffic_mismatch(expected: list[Mapping[str, Any]], service: Service, rev: Revision) -> str:
    observed: dict[str, int] = {}
    tags: dict[str, str] = {}
    for t in service.traffic_statuses:
        name = _short(_resolved(service, t.revision, t.type))
        if t.tag:
            tags[t.tag] = name
        observed[name] = observed.get(name, 0) + t.percent
    problems = []
    for item in expected:
        if item.get("latest"):
            name, label = _short(service.latest_created_revision), "latest created revision"
        elif item.get("tag"):
            tag = str(item["tag"])
            if tag not in tags:
                problems.append(f"no traffic tag '{tag}'")
                continue
            name, label = tags[tag], f"tag '{tag}'"
        else:
            name = _short(str(item["revision"]))
            label = f"revision {name}"
        want, got = int(item["percent"]), observed.get(name, 0)
        if want != got:
            problems.append(f"{label} ({name}) has {got}%, expected {want}%")
    return "; ".join(problems)
