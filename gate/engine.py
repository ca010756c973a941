"""Run a policy's checks: a bounded pool, one poll loop per check, deadlines,
``needs:``, fail-fast, and a fail-closed mapping of everything to statuses.

One scheduler (the calling thread) owns all state; a fixed pool of daemon
workers only runs attempts. Attempts that overrun their timeout are abandoned
(recorded as ERROR) and their worker replaced, so one hung check can neither
hold the run nor shrink the pool. Workers are daemons so a hung attempt can
never keep the process alive after the verdict.

Fail-fast only cuts *waiting*: once a blocking check has failed, no check is
polled again, and a repeat attempt still running gets a short grace, but every
check still gets its first attempt (bounded by its own timeout). So each
check's status depends on what its first attempts saw, not on which failure
happened to arrive first: the same world gives the same statuses on every run,
and the check that names the cause (the broken network hop, the missing
variable) is never cancelled unstarted because a symptom failed sooner.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from gate import __version__, durations, registry, waivers
from gate.checks.base import CheckType
from gate.context import AttemptContext, Cancelled, RunContext
from gate.errors import ApiError, MissingFactError, NotFoundError
from gate.model import (
    SATISFIES_NEEDS,
    Attempt,
    CheckResult,
    CheckSpec,
    Outcome,
    Policy,
    Report,
    Severity,
    Status,
)

# How long past its timeout an attempt may take before it is abandoned: checks
# are asked to honour ctx.deadline themselves; this only catches ones that don't.
ABANDON_GRACE = 0.5
# How long a repeat attempt already running may still finish once fail-fast has
# begun; past that its previous attempt's answer stands.
FAIL_FAST_GRACE = 1.0

# How a `needs:` dependency that did not pass is named in its dependents' summaries.
NEEDS_WORDING = {
    Status.FAIL: "which failed",
    Status.ERROR: "which could not be evaluated",
    Status.WARN: "which failed (advisory)",
    Status.SKIP: "which was skipped",
    Status.CANCELLED: "which was cancelled",
}

ProgressFn = Callable[[str, "Status | None", int, str], None]


@dataclass(frozen=True)
class EngineOptions:
    pool: int = 64  # checks mostly wait on I/O; the HTTP connection pool is sized to match
    deadline: float = 600.0  # the whole run, seconds
    fail_fast: bool = True
    # Check types for this run only, found before the registry's (gate replay's stand-in
    # for checks it cannot recompute): nothing global is registered as a side effect.
    check_types: Mapping[str, type[CheckType]] = field(default_factory=dict)


@dataclass
class _Check:
    spec: CheckSpec
    impl: CheckType | None
    attempts: list[Attempt] = field(default_factory=list)
    last: Outcome | None = None
    streak: int = 0
    first_start: float | None = None
    result: CheckResult | None = None
    in_flight: _Job | None = None
    waiting_on: set[str] = field(default_factory=set)


@dataclass
class _Job:
    check_id: str
    number: int
    timeout: float
    started: float | None = None  # set by the worker when it picks the job up
    abandoned: bool = False
    grace_until: float | None = None  # fail-fast began while this repeat attempt ran


_STOP = object()


def outcome_from_exception(exc: BaseException) -> Outcome:
    """The fail-closed mapping of anything a check raises."""
    if isinstance(exc, NotFoundError):
        return Outcome.failed(
            str(exc),
            evidence={"resource": exc.resource} if exc.resource else {},
            remediation="Create the resource, or correct its name in the policy.",
            final=True,
        )
    if isinstance(exc, ApiError):
        remediation = ""
        if exc.code in (401, 403):
            remediation = (
                f"Grant gate's identity {exc.permission or 'read access'} on the project "
                "(see docs/IAM.md), or enable the API if it is disabled."
            )
        return Outcome.error(str(exc), remediation=remediation, final=exc.code in (400, 401, 403))
    if isinstance(exc, MissingFactError):
        return Outcome.error(f"no data: {exc}")
    if isinstance(exc, Cancelled):
        return Outcome.error("cancelled", final=True)
    return Outcome.error(f"check raised {type(exc).__name__}: {exc}", final=True)


class Engine:
    def __init__(
        self,
        policy: Policy,
        run: RunContext,
        options: EngineOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.policy = policy
        self.run = run
        self.options = options or EngineOptions()
        self.progress = progress
        self._results: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._interrupted_by: str | None = None
        self._cut_by: str | None = None  # the blocking failure that began fail-fast
        self._workers: list[threading.Thread] = []
        self._seq = itertools.count()
        # Indexes kept so one scheduler step costs O(pool), not O(checks): ids of
        # checks without a result, checks with a job in flight, and who needs whom.
        self._open: set[str] = set()
        self._inflight: dict[str, _Check] = {}
        self._dependents: dict[str, list[_Check]] = {}
        # Due checks waiting for a free worker: at most ``pool`` jobs are handed to the
        # workers at a time, so every job in flight is running or about to.
        self._ready: collections.deque[str] = collections.deque()
        self._waivers = {w.check: w for w in policy.waivers}

    # -- public -------------------------------------------------------------

    def interrupt(self, signal_name: str) -> None:
        """Safe to call from a signal handler: the scheduler wakes at once."""
        self._interrupted_by = self._interrupted_by or signal_name
        self.run.cancelled.set()
        self._results.put(_STOP)

    def execute(self) -> Report:
        started_wall = datetime.now(timezone.utc)
        self._t0 = time.monotonic()
        self._run_deadline = self._t0 + self.options.deadline
        checks = {spec.id: self._build(spec) for spec in self.policy.checks}
        self._checks = checks
        self._open = set(checks)
        self._due: list[tuple[float, int, str]] = []
        try:
            self._schedule_initial()
            self._loop()
        finally:
            for _ in self._workers:
                self._jobs.put(_STOP)
        results = tuple(c.result or self._unfinished(c, "not run") for c in checks.values())
        return Report(
            project=self.policy.project,
            region=self.policy.region,
            policy=self.policy.source,
            results=results,
            started_at=started_wall.isoformat(timespec="seconds").replace("+00:00", "Z"),
            duration=time.monotonic() - self._t0,
            gate_version=__version__,
            interrupted_by=self._interrupted_by,
        )

    # -- set-up -------------------------------------------------------------

    def _build(self, spec: CheckSpec) -> _Check:
        try:
            cls = self.options.check_types.get(spec.type) or registry.get(spec.type)
            impl = cls(spec)
        except Exception as e:  # a check that cannot even be built is ERROR, others run on
            c = _Check(spec, None)
            c.last = outcome_from_exception(e)
            return c
        return _Check(spec, impl)

    def _schedule_initial(self) -> None:
        now = time.monotonic()
        for c in self._checks.values():
            if c.impl is None:
                assert c.last is not None
                self._finish(c, c.last.status, c.last)
                continue
            c.waiting_on = {n for n in c.spec.needs if n in self._checks}
            for n in c.waiting_on:
                self._dependents.setdefault(n, []).append(c)
        for c in self._checks.values():
            if c.result is None and not c.waiting_on:
                self._push(now, c.spec.id)
            elif c.result is None:
                self._resolve_needs(c)

    def _ensure_workers(self) -> None:
        want = min(self.options.pool, max(1, len(self._checks)))
        alive = sum(1 for w in self._workers if w.is_alive())
        for _ in range(want - alive):
            self._spawn_worker()

    def _spawn_worker(self) -> None:
        w = threading.Thread(target=self._worker, name="gate-worker", daemon=True)
        self._workers.append(w)
        w.start()

    # -- the scheduler ------------------------------------------------------

    def _push(self, when: float, check_id: str) -> None:
        heapq.heappush(self._due, (when, next(self._seq), check_id))

    def _pending(self) -> bool:
        return bool(self._open)

    def _set_result(self, c: _Check, result: CheckResult) -> CheckResult:
        c.result = result
        self._open.discard(c.spec.id)
        return result

    def _clear_in_flight(self, c: _Check) -> None:
        c.in_flight = None
        self._inflight.pop(c.spec.id, None)

    def _loop(self) -> None:
        self._ensure_workers()
        while self._pending():
            now = time.monotonic()
            if self._interrupted_by:
                self._cancel_all(f"interrupted by {self._interrupted_by}")
                return
            if now >= self._run_deadline:
                self._deadline_reached()
                return
            while self._due and self._due[0][0] <= now:
                _, _, cid = heapq.heappop(self._due)
                self._ready.append(cid)
            while self._ready and len(self._inflight) < self.options.pool:
                self._dispatch(self._checks[self._ready.popleft()], now)
            self._reap_overdue(now)
            if not self._pending():
                return
            wake = self._run_deadline
            if self._due:
                wake = min(wake, self._due[0][0])
            for c in self._inflight.values():
                job = c.in_flight
                if job is None:
                    continue
                # A job still queued starts no earlier than now, so it cannot be
                # overdue before now + its timeout: no need to poll for its start.
                began = job.started if job.started is not None else now
                wake = min(wake, began + job.timeout + ABANDON_GRACE)
                if job.grace_until is not None:
                    wake = min(wake, job.grace_until)
            timeout = max(0.0, wake - time.monotonic())
            try:
                item = self._results.get(timeout=timeout)
            except queue.Empty:
                continue
            if item is _STOP:
                continue
            self._handle(*item)

    def _dispatch(self, c: _Check, now: float) -> None:
        if c.result is not None or c.in_flight is not None:
            return
        if c.first_start is None:
            c.first_start = now
        job = _Job(c.spec.id, len(c.attempts) + 1, c.spec.timing.timeout)
        c.in_flight = job
        self._inflight[c.spec.id] = c
        if self.progress:
            self.progress(c.spec.id, None, job.number, "running")
        self._jobs.put(job)

    def _worker(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            c = self._checks[job.check_id]
            if c.result is not None or job.abandoned:
                continue
            job.started = time.monotonic()
            deadline = min(job.started + job.timeout, self._run_deadline)
            ctx = AttemptContext(self.run, job.check_id, deadline, job.number)
            assert c.impl is not None
            try:
                outcome = c.impl.attempt(ctx)
                if not isinstance(outcome, Outcome):
                    outcome = Outcome.error(
                        f"check returned {type(outcome).__name__}, not an Outcome", final=True
                    )
            except BaseException as e:  # isolation: one check's exception is its own ERROR
                outcome = outcome_from_exception(e)
            self._results.put((job, outcome, time.monotonic()))
            if job.abandoned:
                return  # a replacement worker was started when this one overran

    def _reap_overdue(self, now: float) -> None:
        for c in list(self._inflight.values()):
            job = c.in_flight
            if job is None or job.abandoned:
                continue
            if job.grace_until is not None and now >= job.grace_until and c.last is not None:
                job.abandoned = True
                self._clear_in_flight(c)
                if job.started is not None:
                    self._spawn_worker()  # the worker running it exits when it returns
                self._finish_cut(c, c.last)
                continue
            if job.started is None:
                continue
            if now >= job.started + job.timeout + ABANDON_GRACE:
                job.abandoned = True
                self._spawn_worker()
                limit = durations.format(job.timeout)
                self._handle(job, Outcome.error(f"timed out: the attempt did not finish within {limit}"), now)

    def _handle(self, job: _Job, outcome: Outcome, ended: float) -> None:
        c = self._checks[job.check_id]
        if c.in_flight is not job or c.result is not None:
            return  # a late answer from an abandoned attempt, or the check already ended
        self._clear_in_flight(c)
        outcome = self._redacted(outcome)
        started = job.started if job.started is not None else ended
        c.attempts.append(
            Attempt(
                job.number,
                round(started - self._t0, 6),
                round(ended - started, 6),
                outcome.status,
                outcome.summary,
            )
        )
        c.last = outcome
        if self.progress:
            self.progress(c.spec.id, None, job.number, outcome.summary)
        timing = c.spec.timing
        if outcome.status is Status.PASS:
            c.streak += 1
            if c.streak >= timing.successes:
                self._finish(c, Status.PASS, outcome)
                return
        else:
            c.streak = 0
            if outcome.final:
                self._finish(c, outcome.status, outcome)
                return
        assert c.first_start is not None
        next_at = ended + timing.interval
        if next_at < c.first_start + timing.deadline:
            if self._cut_by is not None:
                self._finish_cut(c, outcome)
                return
            if next_at < self._run_deadline:
                self._push(next_at, c.spec.id)
                return
            if outcome.status is not Status.PASS:
                limit = durations.format(self.options.deadline)
                self._finish(
                    c,
                    outcome.status,
                    outcome,
                    summary=f"gate deadline {limit} reached; last attempt: {outcome.summary}",
                )
                return
        if outcome.status is Status.PASS:
            summary = (
                f"passed {c.streak} consecutive attempt(s) of the {timing.successes} required "
                f"before its deadline of {durations.format(timing.deadline)}; last: {outcome.summary}"
            )
            self._finish(c, Status.FAIL, outcome, summary=summary)
        else:
            self._finish(c, outcome.status, outcome)

    def _redacted(self, o: Outcome) -> Outcome:
        r = self.run.redactor
        return Outcome(
            o.status,
            r.text(o.summary),
            evidence=r.deep(dict(o.evidence)),
            remediation=r.text(o.remediation),
            final=o.final,
            metrics=dict(o.metrics),
        )

    # -- endings ------------------------------------------------------------

    def _finish(self, c: _Check, status: Status, outcome: Outcome, *, summary: str | None = None) -> None:
        text = summary if summary is not None else outcome.summary
        result = self._set_result(c, self._result(c, status, text, outcome))
        status = result.status  # a waiver or an advisory severity may have changed a FAIL
        if self.progress:
            self.progress(c.spec.id, status, len(c.attempts), result.summary)
        if status is Status.FAIL and c.spec.blocking and self.options.fail_fast and self._cut_by is None:
            self._begin_cut(c.spec.id)
        for other in self._dependents.get(c.spec.id, ()):
            if other.result is None and c.spec.id in other.waiting_on:
                other.waiting_on.discard(c.spec.id)
                self._resolve_needs(other)

    def _resolve_needs(self, c: _Check) -> None:
        blockers: list[tuple[str, Status]] = []
        for n in c.spec.needs:
            dep = self._checks.get(n)
            if dep is not None and dep.result is not None and dep.result.status not in SATISFIES_NEEDS:
                blockers.append((n, dep.result.status))
        if blockers:
            detail = ", and ".join(f"{n}, {NEEDS_WORDING[status]}" for n, status in blockers)
            self._finish(c, Status.SKIP, Outcome(Status.SKIP, f"skipped: needs {detail}"))
        elif not c.waiting_on:
            self._push(time.monotonic(), c.spec.id)

    # -- fail-fast ------------------------------------------------------------

    def _begin_cut(self, cause: str) -> None:
        """Stop all waiting: nothing is polled again; first attempts still run."""
        self._cut_by = cause
        grace_until = time.monotonic() + FAIL_FAST_GRACE
        for c in list(self._checks.values()):
            if c.result is not None or not c.attempts:
                continue  # finished, or its first attempt is queued or running: it goes on
            if c.in_flight is None:
                assert c.last is not None
                self._finish_cut(c, c.last)  # waiting for its next poll
            else:
                c.in_flight.grace_until = grace_until

    def _finish_cut(self, c: _Check, outcome: Outcome) -> None:
        """End a check fail-fast stopped polling, with what its attempts saw so far."""
        why = f"not retried: fail-fast after {self._cut_by} failed"
        if outcome.status is Status.PASS:
            need = c.spec.timing.successes
            summary = f"passed {c.streak} of the {need} consecutive attempts required; {why}"
            self._finish(c, Status.CANCELLED, outcome, summary=summary)
        else:
            self._finish(c, outcome.status, outcome, summary=f"{outcome.summary} ({why})")

    def _result(self, c: _Check, status: Status, summary: str, outcome: Outcome | None) -> CheckResult:
        """The check's result; every ending passes here, so its waiver is judged once, on the
        final status and summary (a FAIL it matches becomes WAIVED), before an advisory
        FAIL becomes WARN."""
        status, waiver = waivers.judge(self._waivers.get(c.spec.id), status, summary)
        if c.spec.severity is Severity.WARN and status is Status.FAIL:
            status = Status.WARN
        spent = 0.0
        if c.attempts:
            spent = c.attempts[-1].started + c.attempts[-1].duration - c.attempts[0].started
        return CheckResult(
            id=c.spec.id,
            type=c.spec.type,
            severity=c.spec.severity,
            status=status,
            summary=summary,
            evidence=dict(outcome.evidence) if outcome else {},
            remediation=outcome.remediation if outcome else "",
            attempts=tuple(c.attempts),
            duration=round(spent, 6),
            metrics=dict(outcome.metrics) if outcome else {},
            needs=c.spec.needs,
            description=c.spec.description,
            source=c.spec.policy_source,
            waiver=waiver,
        )

    def _unfinished(self, c: _Check, why: str) -> CheckResult:
        return self._result(c, Status.CANCELLED, why, c.last)

    def _cancel_all(self, why: str) -> None:
        self.run.cancelled.set()
        for c in self._checks.values():
            if c.result is None:
                if c.in_flight is not None:
                    c.in_flight.abandoned = True
                    self._clear_in_flight(c)
                last = f"; last attempt: {c.last.summary}" if c.last else ""
                result = self._set_result(c, self._result(c, Status.CANCELLED, why + last, c.last))
                if self.progress:
                    self.progress(c.spec.id, Status.CANCELLED, len(c.attempts), result.summary)

    def _deadline_reached(self) -> None:
        limit = durations.format(self.options.deadline)
        for c in self._checks.values():
            if c.result is not None:
                continue
            if c.in_flight is not None:
                c.in_flight.abandoned = True
                self._clear_in_flight(c)
            if c.last is not None and c.last.status is Status.FAIL:
                self._finish(
                    c,
                    Status.FAIL,
                    c.last,
                    summary=f"gate deadline {limit} reached; last attempt: {c.last.summary}",
                )
            else:
                last = f"; last attempt: {c.last.summary}" if c.last else ""
                why = f"gate deadline {limit} reached before the check finished{last}"
                result = self._set_result(c, self._result(c, Status.ERROR, why, c.last))
                if self.progress:
                    self.progress(c.spec.id, Status.ERROR, len(c.attempts), result.summary)


def run_policy(
    policy: Policy,
    run: RunContext,
    options: EngineOptions | None = None,
    progress: ProgressFn | None = None,
) -> Report:
    return Engine(policy, run, options, progress).execute()
