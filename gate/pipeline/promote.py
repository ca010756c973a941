"""After the verdict, inside the same run: promote the judged revision, or roll traffic back.

- ``--promote``: on PASS only, 100% of traffic to the revision the checks judged,
  every traffic tag kept at 0% (what ``gcloud run services update-traffic
  --to-revisions REV=100`` sends; see :mod:`gate.pipeline.traffic`).
- ``--rollback-on-fail`` (``--rollback-on-inconclusive``): on FAIL (INCONCLUSIVE),
  if the judged revision receives traffic, move it back to the revision(s) that
  served before it, tags kept.

Every write is a PATCH with ``updateMask=traffic`` carrying the etag of the
service *as the checks read it*: if a concurrent deploy changed the service
since, gate refuses (and Cloud Run answers 409 ABORTED for a stale etag), so
someone else's deploy is never overwritten. A promotion or rollback that was due
and did not happen exits 3. PASS never rolls back; input errors never get here.
"""

from __future__ import annotations

import dataclasses
import shlex
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gate.context import AttemptContext, RunContext
from gate.engine import Engine, ProgressFn
from gate.errors import ApiError, GateError
from gate.model import ExitCode, Policy, Report, TrafficChange, TrafficEntry, Verdict
from gate.pipeline import traffic

if TYPE_CHECKING:
    from gate.gcp.cloud import Cloud
    from gate.gcp.facts_run import Service

TIMEOUT_S = 60.0

PROMOTE, ROLLBACK = "promote", "rollback"
PROMOTED = "promoted"
ALREADY_SERVING = "already-serving"  # idempotent: nothing to change, no PATCH sent
NOT_PROMOTED = "not-promoted"  # the verdict was not PASS
ROLLED_BACK = "rolled-back"
NOT_ROLLED_BACK = "not-rolled-back"  # the verdict does not call for it (PASS, or INCONCLUSIVE not opted in)
NOT_NEEDED = "not-needed"  # the judged revision receives no traffic
REFUSED = "refused"  # the service changed after it was checked (etag)
FAILED = "failed"  # an API error, or nowhere to roll back to: traffic left as it was
INCONCLUSIVE = int(ExitCode.INCONCLUSIVE)


def gcloud(*args: str) -> str:
    return "gcloud " + " ".join(shlex.quote(a) for a in args)


def lines(change: TrafficChange) -> list[str]:
    """What the CLI prints on stderr: the action, traffic before and after, next steps."""
    out = [f"{change.kind} {change.service}: {change.action}: {change.message}"]
    if change.before:
        out.append("  traffic before: " + ", ".join(e.text() for e in change.before))
    if change.after and change.after != change.before:
        out.append("  traffic after:  " + ", ".join(e.text() for e in change.after))
    if change.commands:
        out.append("next steps:")
        out.extend(f"  {c}" for c in change.commands)
    return out


def _cloud(run: RunContext) -> Cloud:
    if run.cloud is None:
        raise GateError("changing traffic needs Google API access, and this run has none")
    return run.cloud


class _Move:
    """One service's traffic change: reads, the etag guard, the PATCH, the check of what it did."""

    def __init__(self, run: RunContext, kind: str, service: str, revision: str, timeout: float) -> None:
        self.run = run
        self.kind = kind
        self.service = service  # as the user named it (short or full)
        self.short = service.rsplit("/", 1)[-1]
        self.revision = revision.rsplit("/", 1)[-1]
        self.deadline = time.monotonic() + timeout
        self.where = ("--region", run.region, "--project", run.project)

    def result(self, action: str, message: str, exit_code: int | None, **kw: Any) -> TrafficChange:
        return TrafficChange(self.kind, action, self.short, self.revision, message, exit_code, **kw)

    def undo(self, before: Sequence[TrafficEntry]) -> str:
        arg = traffic.to_revisions_arg(before)
        return gcloud("run", "services", "update-traffic", self.short, arg, *self.where)

    def read(self) -> tuple[Service, Service]:
        """(the service as the checks read it, the service now)."""
        cloud = _cloud(self.run)
        checked = cloud.run.service(self.service, deadline=self.deadline)
        now = cloud.run.service(self.service, deadline=self.deadline, fresh=True)
        return checked, now

    def refused(self, why: str, before: tuple[TrafficEntry, ...] = ()) -> TrafficChange:
        return self.result(
            REFUSED,
            f"{why}; traffic left untouched (a concurrent deploy is not overwritten): re-run the gate",
            INCONCLUSIVE,
            before=before,
            after=before,
            commands=(gcloud("run", "services", "describe", self.short, *self.where),),
        )

    def patch(self, checked: Service, new: tuple[TrafficEntry, ...]) -> tuple[Service, str]:
        cloud = _cloud(self.run)
        op = cloud.run.update_traffic(self.service, new, checked.etag, deadline=self.deadline)
        return cloud.run.service(self.service, deadline=self.deadline, fresh=True), op

    def api_failure(self, e: GateError, before: tuple[TrafficEntry, ...]) -> TrafficChange:
        if isinstance(e, ApiError) and (e.code == 409 or e.status == "ABORTED"):
            return self.refused(str(e), before)
        return self.result(
            FAILED,
            f"{e}; traffic left as it was, fix the cause and re-run the gate",
            INCONCLUSIVE,
            before=before,
            after=before,
            commands=(gcloud("run", "services", "describe", self.short, *self.where),),
        )


def promote(run: RunContext, *, service: str, revision: str, timeout: float = TIMEOUT_S) -> TrafficChange:
    """100% of ``service``'s traffic to ``revision``, tags kept; call on PASS only."""
    m = _Move(run, PROMOTE, service, revision, timeout)
    before: tuple[TrafficEntry, ...] = ()
    try:
        checked, now = m.read()
        before = traffic.entries(now)
        if now.etag != checked.etag:
            return m.refused("the service changed after it was checked", before)
        how = traffic.promotion_done(now, m.revision)
        if how is not None:
            return m.result(
                ALREADY_SERVING,
                f"{m.revision} already receives 100% of traffic ({how}); nothing sent",
                int(ExitCode.PASS),
                before=before,
                after=before,
            )
        after_svc, op = m.patch(checked, traffic.route_all_to(before, m.revision))
    except GateError as e:
        return m.api_failure(e, before)
    after = traffic.entries(after_svc)
    kept = {e.tag for e in before if e.tag} <= {e.tag for e in after if e.tag}
    if traffic.promotion_done(after_svc, m.revision) != "pinned" or not kept:
        return m.result(
            FAILED,
            "the update was accepted but the service's traffic does not send 100% to the revision "
            "with every tag kept",
            INCONCLUSIVE,
            before=before,
            after=after,
            commands=(m.undo(before),),
            undo=m.undo(before),
            operation=op,
        )
    tags = sorted(e.tag for e in after if e.tag)
    kept_text = f"; tags kept: {', '.join(tags)}" if tags else ""
    return m.result(
        PROMOTED,
        f"100% of traffic now goes to {m.revision}{kept_text}",
        int(ExitCode.PASS),
        before=before,
        after=after,
        commands=(m.undo(before),),
        undo=m.undo(before),
        operation=op,
    )


def rollback(run: RunContext, *, service: str, revision: str, timeout: float = TIMEOUT_S) -> TrafficChange:
    """Move traffic off ``revision`` back to what served before it, tags kept; call on FAIL."""
    m = _Move(run, ROLLBACK, service, revision, timeout)
    before: tuple[TrafficEntry, ...] = ()
    try:
        checked, now = m.read()
        before = traffic.entries(now)
        if now.etag != checked.etag:
            return m.refused("the service changed after it was checked", before)
        if traffic.exposed(now, m.revision) == 0:
            return m.result(
                NOT_NEEDED,
                f"{m.revision} receives no traffic and no traffic target follows it; nothing to roll back",
                None,
                before=before,
                after=before,
            )
        revisions = _cloud(run).run.revisions(m.service, deadline=m.deadline, fresh=True)
        found = traffic.previous(now, revisions, m.revision)
        if found is None:
            return m.result(
                FAILED,
                f"no revision to roll back to: none serves besides {m.revision} and no Ready revision "
                "was created before it; traffic left as it was",
                INCONCLUSIVE,
                before=before,
                after=before,
                commands=(gcloud("run", "revisions", "list", "--service", m.short, *m.where),),
            )
        percents, why = found
        after_svc, op = m.patch(checked, traffic.rollback_to(before, percents))
    except GateError as e:
        return m.api_failure(e, before)
    after = traffic.entries(after_svc)
    if traffic.exposed(after_svc, m.revision) != 0:
        return m.result(
            FAILED,
            f"the update was accepted but {m.revision} still receives traffic",
            INCONCLUSIVE,
            before=before,
            after=after,
            commands=(m.undo(before),),
            undo=m.undo(before),
            operation=op,
        )
    moved = ", ".join(f"{rev} {pct}%" for rev, pct in percents.items())
    return m.result(
        ROLLED_BACK,
        f"traffic moved off {m.revision} back to {moved} ({why}); tags kept",
        None,
        before=before,
        after=after,
        commands=(
            gcloud("run", "revisions", "describe", m.revision, *m.where),
            m.undo(before),
        ),
        undo=m.undo(before),
        operation=op,
    )


def not_promoted(run: RunContext, report: Report, *, service: str, revision: str) -> TrafficChange:
    """A verdict other than PASS: no write; the commands to inspect and to roll back by hand."""
    m = _Move(run, PROMOTE, service, revision, TIMEOUT_S)
    where = m.where
    target = m.revision or "REVISION"
    previous = "PREVIOUS_REVISION"
    before: tuple[TrafficEntry, ...] = ()
    try:
        now = _cloud(run).run.service(service, deadline=m.deadline)
        before = traffic.entries(now)
        revisions = _cloud(run).run.revisions(service, deadline=m.deadline)
        found = traffic.previous(now, revisions, target)
        if found is not None:
            previous = next(iter(found[0]))
    except GateError:
        pass  # the commands still help; the placeholder says what to fill in
    commands = []
    if m.revision:
        commands.append(gcloud("run", "revisions", "describe", m.revision, *where))
    commands.append(
        gcloud("run", "services", "update-traffic", m.short, f"--to-revisions={previous}=100", *where)
    )
    return m.result(
        NOT_PROMOTED,
        f"verdict {report.verdict.value}: traffic left untouched",
        None,
        before=before,
        after=before,
        commands=tuple(commands),
    )


def judged_revision(run: RunContext, service: str, timeout: float = TIMEOUT_S) -> str:
    """The revision the checks judged for ``service``, chosen exactly as they choose it."""
    from gate.checks.target import resolve_target

    ctx = AttemptContext(run, "traffic", time.monotonic() + timeout)
    return str(resolve_target(ctx, {"service": service}).revision.short_name)


def decide(
    report: Report,
    run: RunContext,
    *,
    service: str,
    promote_on_pass: bool,
    rollback_on_fail: bool,
    rollback_on_inconclusive: bool,
) -> TrafficChange:
    """The traffic change the verdict calls for, done (or explained)."""
    verdict = report.verdict
    wants_rollback = (verdict is Verdict.FAIL and rollback_on_fail) or (
        verdict is Verdict.INCONCLUSIVE and rollback_on_inconclusive
    )
    kind = PROMOTE if promote_on_pass and not wants_rollback else ROLLBACK
    try:
        revision = judged_revision(run, service)
    except GateError as e:
        if verdict is Verdict.PASS or wants_rollback:
            # The revision to move traffic to (or off) cannot be named: never guess.
            what = "promote" if kind == PROMOTE else "roll back"
            return TrafficChange(
                kind,
                FAILED,
                service.rsplit("/", 1)[-1],
                "",
                f"cannot determine the revision to {what}: {e}; traffic left untouched",
                INCONCLUSIVE,
            )
        revision = ""
    if verdict is Verdict.PASS and promote_on_pass:
        return promote(run, service=service, revision=revision)
    if wants_rollback:
        return rollback(run, service=service, revision=revision)
    if promote_on_pass:
        return not_promoted(run, report, service=service, revision=revision)
    why = "PASS" if verdict is Verdict.PASS else f"{verdict.value} (rollback not asked for on it)"
    return TrafficChange(
        ROLLBACK,
        NOT_ROLLED_BACK,
        service.rsplit("/", 1)[-1],
        revision,
        f"verdict {why}: traffic left untouched",
        None,
    )


def check_and_move(
    policy: Policy,
    options: Any,
    progress: ProgressFn | None,
    *,
    service: str,
    promote_on_pass: bool = False,
    rollback_on_fail: bool = False,
    rollback_on_inconclusive: bool = False,
) -> Report:
    """``runner.execute`` then the traffic change, inside the same run so both share one memo.

    Sharing the run is the point: the etag that guards the PATCH is the one the
    checks saw, and the revision moved is the one they judged.
    """
    from gate.runner import interruptions, open_run

    with open_run(policy, options) as (run, target):
        engine = Engine(policy, run, options.engine, progress)
        with interruptions(engine.interrupt, options.handle_signals):
            report = dataclasses.replace(engine.execute(), target=target, deploy_target=run.target)
        if report.verdict is Verdict.INTERRUPTED:
            return report  # an interrupted run never touches traffic
        change = decide(
            report,
            run,
            service=service,
            promote_on_pass=promote_on_pass,
            rollback_on_fail=rollback_on_fail,
            rollback_on_inconclusive=rollback_on_inconclusive,
        )
        return dataclasses.replace(report, traffic=change)
