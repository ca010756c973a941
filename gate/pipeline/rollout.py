"""``gate rollout``: progressive delivery for Cloud Run, proven step by step.

1. **Readiness**: the readiness checks judge the candidate (the revision behind
   the tag) before its share changes; anything but PASS stops the rollout.
2. **Steps**: for each step, the candidate's share is set (the rest of the
   traffic stays on the revisions that served before, in their proportions,
   every tag kept at 0%), Cloud Run is waited for until it routes that split,
   then the pause, then the analysis checks against the new traffic.
3. FAIL rolls back (the baseline split pinned again, the candidate at 0% with
   its tag); INCONCLUSIVE rolls back, holds or continues (``on_inconclusive``).
4. After the 100% step passed: done, exit 0.

Every traffic write is a PATCH with ``updateMask=traffic`` carrying the etag of
the service read just before it, and the service's ``generation`` (which Cloud
Run increments on every change of the desired state; run.v2 ``Service.generation``)
must still be the one gate's own last write produced: a concurrent deploy or
hand-made traffic change is never overwritten (refused, exit 3, no rollback).
The etag alone would not do between steps: it also changes when Cloud Run
updates the service's status.

A re-run resumes from the candidate's share it finds: the first step at or above
it (re-judged without a change when the share is exactly a step); a candidate
that already has 100% is done once its readiness passes. SIGINT/SIGTERM stop
the rollout where it is (a write already sent completes), with the commands to
resume or to roll back.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from gate import __version__, durations
from gate.engine import Engine
from gate.errors import ApiError, GateError, UsageError
from gate.model import (
    CheckResult,
    CheckSpec,
    DeployTarget,
    ExitCode,
    Policy,
    Report,
    Rollout,
    RolloutStep,
    TrafficChange,
    TrafficEntry,
    Verdict,
)
from gate.pipeline import traffic
from gate.pipeline.promote import gcloud
from gate.policy import rollout_section

if TYPE_CHECKING:
    from gate.context import RunContext
    from gate.gcp.facts_run import Service
    from gate.runner import RunOptions

Notify = Callable[[str], None]

COMPLETED = "completed"
ALREADY_COMPLETE = "already-complete"  # the candidate already had 100% (readiness passed)
NOT_STARTED = "not-started"  # readiness did not pass; the candidate had no traffic
ROLLED_BACK = "rolled-back"
HELD = "held"  # INCONCLUSIVE with on_inconclusive: hold; traffic left where it is
REFUSED = "refused"  # someone else changed the service: nothing overwritten
FAILED = "failed"  # a read or write failed, or Cloud Run did not route the split
INTERRUPTED = "interrupted"

API_TIMEOUT = 60.0  # one read or write of the service
SETTLE_TIMEOUT = 180.0  # until Cloud Run routes a new split
SETTLE_POLL = 1.0
INCONCLUSIVE = int(ExitCode.INCONCLUSIVE)


@dataclass(frozen=True)
class Plan:
    """A rollout with every choice made: the policy's ``rollout:`` under the command line's flags."""

    service: str
    tag: str
    steps: tuple[int, ...]
    pause: float
    on_inconclusive: str
    readiness: tuple[str, ...]
    analysis: tuple[str, ...]


def make_plan(
    policy: Policy,
    *,
    service: str | None = None,
    tag: str | None = None,
    steps: Sequence[int] | None = None,
    pause: float | None = None,
    on_inconclusive: str | None = None,
) -> Plan:
    """Flags first, then the policy's ``rollout:``, then its ``target:``; UsageError when unsound."""
    section = policy.rollout
    target = policy.target
    chosen_service = service or (section.service if section else None) or (target.service if target else None)
    if not chosen_service:
        raise UsageError(
            "a rollout moves one service's traffic: give --service SERVICE, or set rollout.service or "
            "target.service in the policy"
        )
    chosen_tag = tag or (section.tag if section else None) or (target.tag if target else None)
    if not chosen_tag:
        raise UsageError(
            "a rollout needs the candidate's traffic tag (its probes go through the tag's URL): give "
            "--tag TAG (e.g. --tag candidate, as `gcloud run deploy --no-traffic --tag candidate` sets "
            "it), or set rollout.tag or target.tag"
        )
    chosen_steps = tuple(steps) if steps else (section.steps if section else ())
    if not chosen_steps:
        raise UsageError("give --steps (e.g. --steps 5,25,50,100) or set rollout.steps in the policy")
    problem = rollout_section.check_steps(chosen_steps)
    if problem:
        raise UsageError(f"--steps: {problem}")
    chosen_pause = pause if pause is not None else (section.pause if section else None)
    behaviour = on_inconclusive or (section.on_inconclusive if section else None)
    readiness, analysis = rollout_section.phases(policy.checks, section)
    problems = rollout_section.phase_problems(policy.checks, section)
    if problems:
        raise UsageError(f"{policy.source}: cannot roll out with this policy: " + "; ".join(problems))
    return Plan(
        service=chosen_service,
        tag=chosen_tag,
        steps=chosen_steps,
        pause=rollout_section.DEFAULT_PAUSE if chosen_pause is None else chosen_pause,
        on_inconclusive=behaviour or rollout_section.DEFAULT_ON_INCONCLUSIVE,
        readiness=readiness,
        analysis=analysis,
    )


def execute(
    policy: Policy,
    options: RunOptions,
    plan: Plan,
    notify: Notify | None = None,
    resume_command: str = "",
) -> Report:
    """Run the rollout; the Report's ``rollout`` holds every step, ``traffic`` a rollback."""
    from gate.runner import interruptions, open_run

    options = dataclasses.replace(
        options, target=DeployTarget(service=plan.service, tag=plan.tag, source="gate rollout")
    )
    with open_run(policy, options) as (run, target):
        job = _Job(policy, run, options, plan, notify or (lambda _line: None), resume_command)
        with interruptions(job.stop.signal, options.handle_signals):
            report = job.go()
    return dataclasses.replace(report, target=target, deploy_target=run.target)


class _Stop:
    """SIGINT/SIGTERM during a rollout: remembered, the pause cut short, running checks cancelled."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.by: str | None = None
        self.engine: Engine | None = None

    def signal(self, name: str) -> None:
        self.by = self.by or name
        self.event.set()
        engine = self.engine
        if engine is not None:
            engine.interrupt(name)


class _Concurrent(Exception):
    """The service's generation is not the one gate's own last write left."""


class _NotRouted(Exception):
    """Cloud Run accepted the split but did not route it (reconciliation failed or timed out)."""


@dataclass
class _Phase:
    verdict: Verdict
    results: tuple[CheckResult, ...]
    seconds: float
    interrupted: bool


class _Job:
    def __init__(
        self,
        policy: Policy,
        run: RunContext,
        options: RunOptions,
        plan: Plan,
        notify: Notify,
        resume_command: str,
    ) -> None:
        self.policy = policy
        self.run = run
        self.options = options
        self.plan = plan
        self.notify = notify
        self.resume_command = resume_command
        self.stop = _Stop()
        self.short = plan.service.rsplit("/", 1)[-1]
        self.where = ("--region", run.region, "--project", run.project)
        self.steps: list[RolloutStep] = []
        self.latest: dict[str, CheckResult] = {}  # each check's latest result, for the Report
        self.candidate = ""
        self.expected_generation = -1
        self.baseline: dict[str, int] = {}
        self.share = 0
        self.resumed_from = 0
        self.spec: tuple[TrafficEntry, ...] = ()
        self.judged_relative: set[str] = set()  # metric checks whose relative thresholds passed

    # -- the run ------------------------------------------------------------------

    def go(self) -> Report:
        self.t0 = time.monotonic()
        self.started_at = datetime.now(timezone.utc)
        state_error = self._read_state()
        readiness = self._phase(
            0, self.share, self.plan.readiness, "readiness", note="before any traffic moves"
        )
        if readiness is not None and readiness.interrupted:
            return self._interrupted()
        if readiness is not None and readiness.verdict is not Verdict.PASS:
            if state_error or self.share == 0:
                return self._end(
                    NOT_STARTED,
                    f"readiness {readiness.verdict.value}: the candidate gets no traffic",
                    None,
                    commands=self._inspect(),
                )
            return self._stopped(readiness.verdict, "readiness")
        if state_error:
            return self._end(FAILED, state_error, INCONCLUSIVE, commands=self._inspect())
        if self.share == 100:
            return self._end(
                ALREADY_COMPLETE,
                f"{self.candidate} already receives 100% of traffic; nothing to roll out",
                None,
            )
        pending = [p for p in self.plan.steps if p >= self.share]
        first = self.plan.steps.index(pending[0]) + 1
        for number, percent in enumerate(pending, first):
            outcome = self._step(number, percent)
            if outcome is not None:
                return outcome
        tags = sorted(e.tag for e in self.spec if e.tag)
        kept = f"; tags kept: {', '.join(tags)}" if tags else ""
        return self._end(COMPLETED, f"{self.candidate} receives 100% of traffic{kept}", None)

    def _step(self, number: int, percent: int) -> Report | None:
        """One step; a Report when the rollout ends here."""
        started = time.monotonic()
        label = f"step {number}/{len(self.plan.steps)}"
        before = self.spec
        changed, op, note = False, "", ""
        if self.stop.event.is_set():
            return self._interrupted()
        if percent != self.share:
            split = traffic.step_split(self.candidate, percent, self.baseline)
            try:
                op = self._write(traffic.rollout_to(self.spec, split), split)
            except _Concurrent as e:
                return self._refused(str(e))
            except (GateError, _NotRouted) as e:
                self._record(number, percent, None, before, started, changed=False, note=str(e))
                return self._write_failed(e)
            changed = True
            took = _duration(time.monotonic() - started)
            self.notify(f"rollout: {label}: {_split_text(split)}; routed in {took}")
        else:
            note = f"already at {percent}% (resumed): no traffic change"
            self.notify(f"rollout: {label}: {note}")
        moved = time.monotonic()
        if self.stop.event.is_set():
            self._record(number, percent, None, before, started, changed=changed, op=op, moved=moved)
            return self._interrupted()
        if self.plan.pause > 0:
            self.notify(f"rollout: {label}: pausing {_duration(self.plan.pause)} before the analysis")
            if self.stop.event.wait(self.plan.pause):
                self._record(number, percent, None, before, started, changed=changed, op=op, moved=moved)
                return self._interrupted()
        paused = time.monotonic()
        checks, strip_note = self._analysis_checks(percent)
        note = "; ".join(n for n in (note, strip_note) if n)
        if not any(c.blocking for c in checks):
            # Only at 100%, when every blocking analysis check judged the baseline alone (and passed
            # at the steps before): nothing is left that this split can prove or disprove.
            self._record(
                number,
                percent,
                None,
                before,
                started,
                changed=changed,
                op=op,
                moved=moved,
                note=note + "; no blocking check is left to judge at 100%",
            )
            return None
        phase = self._phase(
            number,
            percent,
            checks,
            label,
            note=note,
            changed=changed,
            op=op,
            timing=(started, moved, paused),
            before=before,
        )
        assert phase is not None  # a blocking check is among them (just above)
        if phase.interrupted:
            return self._interrupted()
        if phase.verdict is Verdict.PASS:
            self._note_relative(checks)
            return None
        if phase.verdict is Verdict.INCONCLUSIVE and self.plan.on_inconclusive == "continue":
            if percent < 100:
                self.notify(f"rollout: {label}: INCONCLUSIVE; going on (on_inconclusive: continue)")
                return None
            return self._hold("INCONCLUSIVE at 100% (on_inconclusive: continue, no step left)")
        return self._stopped(phase.verdict, label)

    # -- phases -------------------------------------------------------------------

    def _phase(
        self,
        number: int,
        percent: int,
        ids: Sequence[str] | Sequence[CheckSpec],
        label: str,
        *,
        note: str = "",
        changed: bool = False,
        op: str = "",
        timing: tuple[float, float, float] | None = None,
        before: tuple[TrafficEntry, ...] | None = None,
    ) -> _Phase | None:
        specs = _specs(self.policy, ids)
        if not specs:
            return None
        if self.run.cloud is not None and number > 0:
            # The traffic just moved: every check reads the service (and the rest) again.
            self.run.cloud.transport.forget()
        policy = dataclasses.replace(self.policy, checks=tuple(specs))
        engine = Engine(policy, self.run, self.options.engine)
        self.stop.engine = engine
        try:
            if self.stop.event.is_set():
                engine.interrupt(self.stop.by or "SIGINT")
            began = time.monotonic()
            report = engine.execute()
        finally:
            self.stop.engine = None
        seconds = time.monotonic() - began
        for r in report.results:
            self.latest[r.id] = r
        started, moved, paused = timing or (began, began, began)
        self.steps.append(
            RolloutStep(
                number=number,
                percent=percent,
                verdict=report.verdict,
                results=report.results,
                before=self.spec if before is None else before,
                after=self.spec,
                changed=changed,
                operation=op,
                started=round(started - self.t0, 6),
                traffic_seconds=round(moved - started, 6),
                pause_seconds=round(paused - moved, 6),
                checks_seconds=round(seconds, 6),
                note=note,
            )
        )
        counts = report.counts()
        shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        self.notify(f"rollout: {label}: {len(specs)} checks: {shown}: {report.verdict.value}")
        return _Phase(report.verdict, report.results, seconds, report.interrupted_by is not None)

    def _analysis_checks(self, percent: int) -> tuple[list[CheckSpec], str]:
        """The analysis checks for a step. At 100% no other revision serves, so a metric check's
        thresholds relative to the baseline cannot be judged; those that already passed at an
        earlier step of this rollout are left out there (its absolute ones still count)."""
        specs = _specs(self.policy, self.plan.analysis)
        if percent < 100:
            return specs, ""
        out, stripped = [], []
        for spec in specs:
            if spec.type != "monitoring.metric" or spec.id not in self.judged_relative:
                out.append(spec)
                continue
            kept = [t for t in spec.params.get("assert", []) if not _relative(str(t))]
            stripped.append(spec.id)
            if kept:
                out.append(dataclasses.replace(spec, params={**spec.params, "assert": kept}))
        if not stripped:
            return out, ""
        return out, (
            f"thresholds relative to the baseline of {', '.join(stripped)} were judged at the earlier "
            "steps; at 100% no other revision serves, so only absolute thresholds are judged"
        )

    def _note_relative(self, checks: Sequence[CheckSpec]) -> None:
        for spec in checks:
            if spec.type == "monitoring.metric" and any(
                _relative(str(t)) for t in spec.params.get("assert", [])
            ):
                self.judged_relative.add(spec.id)

    # -- traffic ------------------------------------------------------------------

    def _service(self, *, deadline: float | None = None) -> Service:
        cloud = self.run.cloud
        if cloud is None:
            raise GateError("a rollout changes traffic and needs Google API access, and this run has none")
        return cloud.run.service(
            self.plan.service, deadline=deadline or time.monotonic() + API_TIMEOUT, fresh=True
        )

    def _read_state(self) -> str:
        """Where traffic stands; "" or why it cannot be known."""
        try:
            svc = self._service()
            self.candidate = traffic.short(_tagged(svc, self.plan.tag))
            self.expected_generation = svc.generation
            self.spec = traffic.entries(svc)
            self.share = traffic.share(svc, self.candidate)
            self.resumed_from = self.share
            assert self.run.cloud is not None
            revisions = self.run.cloud.run.revisions(
                self.plan.service, deadline=time.monotonic() + API_TIMEOUT, fresh=True
            )
        except GateError as e:
            return f"cannot read where traffic stands: {e}"
        found = traffic.previous(svc, revisions, self.candidate)
        if found is None and self.share < 100:
            return (
                f"no revision besides {self.candidate} serves, and no Ready revision was created before it: "
                "nowhere to send the rest of the traffic (or to roll back to)"
            )
        if found is not None:
            self.baseline = found[0]
        resumed = f"; resuming from {self.share}%" if self.share else ""
        rest = ", ".join(f"{rev} {pct}%" for rev, pct in self.baseline.items())
        steps = ",".join(str(p) for p in self.plan.steps)
        self.notify(
            f"rollout {self.short}: candidate {self.candidate} (tag {self.plan.tag}); steps {steps}, pause "
            f"{_duration(self.plan.pause)}; the rest of the traffic on {rest or 'nothing'}{resumed}"
        )
        return ""

    def _write(self, spec: tuple[TrafficEntry, ...], split: Mapping[str, int]) -> str:
        """PATCH the traffic (generation- and etag-guarded), then wait until Cloud Run routes it."""
        assert self.run.cloud is not None
        deadline = time.monotonic() + API_TIMEOUT
        now = self._service(deadline=deadline)
        if now.generation != self.expected_generation:
            raise _Concurrent(_changed(now, self.expected_generation))
        try:
            op = self.run.cloud.run.update_traffic(self.plan.service, spec, now.etag, deadline=deadline)
        except ApiError as e:
            if e.code == 409 or e.status == "ABORTED":
                raise _Concurrent(str(e)) from None
            raise
        after = self._service(deadline=deadline)
        self.expected_generation = after.generation
        self.spec = traffic.entries(after)
        tags = {e.tag for e in spec if e.tag}
        if traffic.pinned(self.spec) != dict(split) or not tags <= {e.tag for e in self.spec if e.tag}:
            raise _NotRouted(
                "the update was accepted but the service's traffic is not the split sent: "
                + ", ".join(e.text() for e in self.spec)
            )
        self.share = traffic.share(after, self.candidate)
        self._settle(after, split.get(self.candidate, 0))
        return op

    def _settle(self, svc: Service, want: int) -> None:
        """Until Cloud Run routes ``want``% to the candidate (observedGeneration caught up)."""
        give_up = time.monotonic() + SETTLE_TIMEOUT
        while True:
            if svc.generation != self.expected_generation:
                raise _Concurrent(_changed(svc, self.expected_generation))
            caught_up = not svc.reconciling and svc.observed_generation >= svc.generation
            if caught_up and traffic.routed(svc, self.candidate) == want:
                return
            failed = svc.terminal_condition is not None and svc.terminal_condition.state == "CONDITION_FAILED"
            if not svc.reconciling and svc.observed_generation < svc.generation and failed:
                why = svc.terminal_condition.message if svc.terminal_condition else ""
                raise _NotRouted(f"Cloud Run did not route the new split: {why or 'reconciliation failed'}")
            if time.monotonic() >= give_up:
                raise _NotRouted(
                    f"Cloud Run did not route {want}% to {self.candidate} within "
                    f"{durations.format(SETTLE_TIMEOUT)}"
                )
            if self.stop.event.wait(SETTLE_POLL):
                return  # the write is done; where it stands is reported
            svc = self._service()

    def _rollback(self) -> TrafficChange:
        before = self.spec
        base = dict(self.baseline)
        try:
            if not base:
                raise _NotRouted("no revision to roll back to")
            now = self._service()
            self.spec = before = traffic.entries(now)
            if now.generation != self.expected_generation:
                return self._change(REFUSED, _changed(now, self.expected_generation) + _untouched(), before)
            if traffic.exposed(now, self.candidate) == 0:
                return self._change(
                    "not-needed", f"{self.candidate} receives no traffic; nothing to roll back", before
                )
            self._write(traffic.rollback_to(before, base), base)
        except _Concurrent as e:
            return self._change(REFUSED, f"{e}{_untouched()}", before)
        except (GateError, _NotRouted) as e:
            return self._change(FAILED, f"{e}; traffic left as it was", self.spec or before)
        moved = ", ".join(f"{rev} {pct}%" for rev, pct in base.items())
        return self._change(
            ROLLED_BACK,
            f"traffic moved off {self.candidate} back to {moved}; tags kept",
            before,
            changed=True,
        )

    def _change(
        self, action: str, message: str, before: tuple[TrafficEntry, ...], changed: bool = False
    ) -> TrafficChange:
        undo = gcloud(
            "run", "services", "update-traffic", self.short, traffic.to_revisions_arg(before), *self.where
        )
        return TrafficChange(
            "rollback",
            action,
            self.short,
            self.candidate,
            message,
            INCONCLUSIVE if action in (REFUSED, FAILED) else None,
            before=before,
            after=self.spec,
            commands=(
                (gcloud("run", "revisions", "describe", self.candidate, *self.where), undo)
                if changed
                else self._inspect()
            ),
            undo=undo if changed else "",
        )

    # -- endings ------------------------------------------------------------------

    def _stopped(self, verdict: Verdict, label: str) -> Report:
        """A step (or readiness, on a resumed rollout) did not pass: roll back or hold."""
        if verdict is Verdict.INCONCLUSIVE and self.plan.on_inconclusive in ("hold", "continue"):
            return self._hold(f"{label}: INCONCLUSIVE (on_inconclusive: {self.plan.on_inconclusive})")
        change = self._rollback()
        self.notify(f"rollout: {label}: {verdict.value}: rollback: {change.action}: {change.message}")
        if change.action == ROLLED_BACK:
            self.share = 0
            return self._end(
                ROLLED_BACK, f"{label}: {verdict.value}; {change.message}", None, rollback=change
            )
        if change.action == "not-needed":
            return self._end(
                ROLLED_BACK, f"{label}: {verdict.value}; {change.message}", None, rollback=change
            )
        return self._end(
            change.action,
            f"{label}: {verdict.value}, and the rollback was {change.action}: {change.message}",
            INCONCLUSIVE,
            rollback=change,
            commands=self._next_commands(),
        )

    def _hold(self, why: str) -> Report:
        return self._end(
            HELD,
            f"{why}: traffic held at {self.share}% on {self.candidate}",
            INCONCLUSIVE,
            commands=self._next_commands(),
        )

    def _refused(self, why: str) -> Report:
        return self._end(REFUSED, f"{why}{_untouched()}", INCONCLUSIVE, commands=self._inspect())

    def _write_failed(self, e: Exception) -> Report:
        return self._end(
            FAILED,
            f"the traffic change failed: {e}; traffic left at {self.share}% on {self.candidate}",
            INCONCLUSIVE,
            commands=self._next_commands(),
        )

    def _interrupted(self) -> Report:
        return self._end(
            INTERRUPTED,
            f"interrupted by {self.stop.by or 'a signal'}: traffic stays at {self.share}% on "
            f"{self.candidate}; no further change was made",
            None,
            commands=self._next_commands(),
        )

    def _record(
        self,
        number: int,
        percent: int,
        verdict: Verdict | None,
        before: tuple[TrafficEntry, ...],
        started: float,
        *,
        changed: bool,
        op: str = "",
        moved: float | None = None,
        note: str = "",
    ) -> None:
        """A step whose checks did not run (interrupted, or its traffic change failed)."""
        now = time.monotonic()
        moved = now if moved is None else moved
        self.steps.append(
            RolloutStep(
                number=number,
                percent=self.share if not changed else percent,
                verdict=verdict,
                before=before,
                after=self.spec,
                changed=changed,
                operation=op,
                started=round(started - self.t0, 6),
                traffic_seconds=round(moved - started, 6),
                pause_seconds=round(now - moved, 6),
                note=note,
            )
        )

    def _inspect(self) -> tuple[str, ...]:
        return (gcloud("run", "services", "describe", self.short, *self.where),)

    def _next_commands(self) -> tuple[str, ...]:
        out = []
        if self.resume_command:
            out.append(f"{self.resume_command}    # resume from {self.share}%")
        if self.baseline and self.share > 0:
            arg = "--to-revisions=" + ",".join(f"{r}={p}" for r, p in self.baseline.items())
            out.append(
                gcloud("run", "services", "update-traffic", self.short, arg, *self.where) + "    # roll back"
            )
        out.extend(self._inspect())
        return tuple(out)

    def _end(
        self,
        action: str,
        message: str,
        exit_code: int | None,
        *,
        rollback: TrafficChange | None = None,
        commands: tuple[str, ...] = (),
    ) -> Report:
        results = tuple(self.latest[c.id] for c in self.policy.checks if c.id in self.latest)
        rollout = Rollout(
            service=self.short,
            revision=self.candidate,
            tag=self.plan.tag,
            plan=self.plan.steps,
            pause=self.plan.pause,
            on_inconclusive=self.plan.on_inconclusive,
            action=action,
            message=message,
            share=self.share,
            resumed_from=self.resumed_from,
            baseline=tuple(TrafficEntry(rev, pct) for rev, pct in self.baseline.items()),
            steps=tuple(self.steps),
            traffic=self.spec,
            commands=commands,
            exit_code=exit_code,
        )
        return Report(
            project=self.policy.project,
            region=self.policy.region,
            policy=self.policy.source,
            results=results,
            started_at=self.started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            duration=time.monotonic() - self.t0,
            gate_version=__version__,
            interrupted_by=self.stop.by,
            traffic=rollback,
            rollout=rollout,
        )


def _specs(policy: Policy, ids: Sequence[str] | Sequence[CheckSpec]) -> list[CheckSpec]:
    wanted = {i if isinstance(i, str) else i.id for i in ids}
    given = {i.id: i for i in ids if isinstance(i, CheckSpec)}
    return [given.get(c.id, c) for c in policy.checks if c.id in wanted]


def _relative(threshold: str) -> bool:
    from gate.checks.metric_params import parse_threshold

    try:
        return parse_threshold(threshold).bound.relative
    except ValueError:
        return False  # the loader refused it already; never here


def _tagged(svc: Service, tag: str) -> str:
    from gate.checks.target import tagged_revision

    return tagged_revision(svc, tag)


def _changed(svc: Service, expected: int) -> str:
    return (
        f"the service changed during the rollout (generation {svc.generation}, gate's last change left "
        f"{expected}): someone else deployed or moved traffic"
    )


def _untouched() -> str:
    return "; traffic left untouched (a concurrent change is not overwritten): check it, then re-run"


def _duration(seconds: float) -> str:
    return "0s" if seconds <= 0 else durations.format(seconds)


def _split_text(split: Mapping[str, int]) -> str:
    return ", ".join(f"{pct}% to {rev}" for rev, pct in split.items())
