"""The data every layer shares: policy, check outcomes, results and the report.

This module imports nothing of the project. The verdict and exit code are owned
here (by :class:`Report`), not by the CLI, so every way of running gate agrees.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any


class Status(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"  # an advisory check that did not pass
    ERROR = "ERROR"  # could not be evaluated; never a pass
    SKIP = "SKIP"  # a `needs:` dependency did not pass; not proven
    CANCELLED = "CANCELLED"  # stopped by fail-fast, the deadline or an interrupt; not proven
    # A FAIL the policy accepts until a date (a `waivers:` entry): not failing, never hidden.
    WAIVED = "WAIVED"


# A `needs:` dependency in one of these states lets its dependent run. WAIVED does: the
# dependent is then judged on its own (it must PASS by itself, fail, or be waived itself),
# whereas skipping it would make every waiver of a needed check INCONCLUSIVE (a SKIP is
# never waived): turning the check off by other means.
SATISFIES_NEEDS = frozenset({Status.PASS, Status.WAIVED})


class Severity(str, enum.Enum):
    BLOCK = "block"
    WARN = "warn"


class Verdict(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    INTERRUPTED = "INTERRUPTED"


class ExitCode(enum.IntEnum):
    """Documented in the README; part of the public interface."""

    PASS = 0
    FAIL = 1
    USAGE = 2  # invalid policy, invalid world, bad flags, missing credentials
    INCONCLUSIVE = 3
    INTERRUPTED = 130  # SIGINT
    TERMINATED = 143  # SIGTERM


@dataclass(frozen=True)
class SourceRef:
    """Where something was written, for error messages: 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Timing:
    """How a check is attempted. All values in seconds."""

    timeout: float = 10.0  # one attempt
    interval: float = 5.0  # pause between attempts
    deadline: float = 0.0  # keep attempting until this long after the first attempt; 0 = one attempt
    successes: int = 1  # consecutive passing attempts required


@dataclass(frozen=True)
class CheckSpec:
    id: str
    type: str
    params: Mapping[str, Any]
    severity: Severity = Severity.BLOCK
    timing: Timing = field(default_factory=Timing)
    needs: tuple[str, ...] = ()
    description: str = ""
    source: SourceRef | None = None  # where the check is defined (a library file for an included one)
    included_at: SourceRef | None = None  # the policy's include: entry that brought it in

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.BLOCK

    @property
    def policy_source(self) -> SourceRef | None:
        """Where the check appears in the policy itself: its own entry or its include: line."""
        return self.included_at or self.source


@dataclass(frozen=True)
class DeployTarget:
    """Which revision the checks judge: the one a deploy made, named once for every check.

    ``service`` limits the target to that service's checks (None: every service's);
    ``tag`` or ``revision`` name the revision (neither: the latest created one).
    ``source`` says where the name came from, for reports: "--tag", "--revision",
    "policy target", or "" for the default.
    """

    service: str | None = None
    tag: str | None = None
    revision: str | None = None
    source: str = ""

    def applies_to(self, service: str) -> bool:
        """Whether checks of ``service`` follow this target.

        With no ``service``, a revision name still belongs to one service: Cloud Run
        names revisions ``SERVICE-...`` (or the full ``.../services/SERVICE/revisions/...``).
        """
        short = service.rsplit("/", 1)[-1]
        if self.service is not None:
            return self.service.rsplit("/", 1)[-1] == short
        if self.revision:
            if "/services/" in self.revision:
                return self.revision.split("/services/", 1)[1].split("/", 1)[0] == short
            return self.revision.startswith(short + "-")
        return True

    def describe(self) -> str:
        if self.tag:
            what = f"the revision behind tag {self.tag!r}"
        elif self.revision:
            what = f"revision {self.revision}"
        else:
            what = "the latest created revision"
        scope = f" of {self.service}" if self.service else ""
        return f"{what}{scope}" + (f" ({self.source})" if self.source else "")


@dataclass(frozen=True)
class Waiver:
    """A policy's acceptance of one check's failure until the end of ``expires`` (UTC).

    ``match``: a regular expression searched in the FAIL summary; None waives any FAIL
    of the check. ``source`` is the waiver's entry in the policy.
    """

    check: str
    reason: str
    owner: str
    expires: date  # the last day the waiver is in force, in UTC
    match: str | None = None
    source: SourceRef | None = None

    @property
    def ends_at(self) -> datetime:
        """The first instant the waiver no longer applies: 00:00:00Z the day after ``expires``."""
        return datetime.combine(self.expires + timedelta(days=1), time(0), tzinfo=timezone.utc)


class WaiverState(str, enum.Enum):
    """What a check's waiver did in one run (decided by the engine, shown by every report)."""

    APPLIED = "applied"  # the FAIL became WAIVED
    NOT_NEEDED = "not-needed"  # the check passed: the waiver may be stale
    NOT_MATCHED = "not-matched"  # a FAIL whose summary the waiver's match does not find
    NOT_APPLICABLE = "not-applicable"  # ERROR, SKIP, CANCELLED: only a FAIL is ever waived


@dataclass(frozen=True)
class WaiverUse:
    waiver: Waiver
    state: WaiverState


@dataclass(frozen=True)
class Policy:
    project: str
    region: str
    checks: tuple[CheckSpec, ...]
    vars: Mapping[str, str] = field(default_factory=dict)
    source: str = "<memory>"
    api_version: str = "gate/v1"
    # Per-API endpoint overrides, e.g. {"run": "https://run-psc.example.internal"}.
    endpoints: Mapping[str, str] = field(default_factory=dict)
    target: DeployTarget | None = None  # the policy's `target:`
    waivers: tuple[Waiver, ...] = ()  # the policy's `waivers:`, at most one per check id
    rollout: RolloutPlan | None = None  # the policy's `rollout:`


@dataclass(frozen=True)
class Outcome:
    """What one attempt of a check type returns.

    ``final`` says retrying cannot change the answer (a traceback already in the
    boot log, a resource that does not exist), so the engine stops polling.
    ``metrics`` holds numbers worth reporting (latencies in ms, counts).
    """

    status: Status  # PASS, FAIL or ERROR
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: str = ""
    final: bool = False
    metrics: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def passed(cls, summary: str, **kw: Any) -> Outcome:
        return cls(Status.PASS, summary, **kw)

    @classmethod
    def failed(cls, summary: str, **kw: Any) -> Outcome:
        return cls(Status.FAIL, summary, **kw)

    @classmethod
    def error(cls, summary: str, **kw: Any) -> Outcome:
        return cls(Status.ERROR, summary, **kw)


@dataclass(frozen=True)
class Attempt:
    number: int  # 1-based
    started: float  # seconds since the run started
    duration: float  # seconds
    status: Status
    summary: str


@dataclass(frozen=True)
class CheckResult:
    id: str
    type: str
    severity: Severity
    status: Status
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: str = ""
    attempts: tuple[Attempt, ...] = ()
    duration: float = 0.0
    metrics: Mapping[str, float] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    description: str = ""
    source: SourceRef | None = None  # where the check appears in the policy (CheckSpec.policy_source)
    waiver: WaiverUse | None = None  # the policy's waiver for this check and what it did

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.BLOCK


@dataclass(frozen=True)
class TrafficEntry:
    """One Cloud Run traffic target; ``revision`` None means LATEST (the latest ready revision)."""

    revision: str | None
    percent: int = 0
    tag: str | None = None

    @property
    def latest(self) -> bool:
        return self.revision is None

    def text(self) -> str:
        who = "LATEST" if self.revision is None else self.revision
        return f"{who}={self.percent}%" + (f" (tag {self.tag})" if self.tag else "")


@dataclass(frozen=True)
class TrafficChange:
    """What gate did to a service's traffic after the verdict (--promote, --rollback-on-fail).

    ``exit_code`` replaces the verdict's exit code when set: a promotion or
    rollback that was due and did not happen is 3 (retry or escalate).
    """

    kind: str  # "promote" or "rollback"
    action: str  # promoted, already-serving, not-promoted, rolled-back, not-needed, refused, failed
    service: str
    revision: str  # the revision the checks judged (short name)
    message: str
    exit_code: int | None = None
    before: tuple[TrafficEntry, ...] = ()
    after: tuple[TrafficEntry, ...] = ()
    commands: tuple[str, ...] = ()  # gcloud commands: inspect, undo
    undo: str = ""  # the gcloud command that puts `before` back
    operation: str = ""

    @property
    def changed(self) -> bool:
        return self.action in ("promoted", "rolled-back")


@dataclass(frozen=True)
class RolloutPlan:
    """A progressive rollout as the policy's ``rollout:`` section gives it (docs/POLICY.md).

    Every field is optional here: ``gate rollout``'s flags fill or replace them.
    ``readiness`` / ``analysis`` are check ids (selectors already resolved);
    None means the default by check type (docs/PIPELINE.md#progressive-delivery-gate-rollout).
    """

    steps: tuple[int, ...] = ()  # the candidate's percent at each step, increasing, the last 100
    pause: float | None = None  # seconds between a step's traffic change and its analysis
    service: str | None = None
    tag: str | None = None
    readiness: tuple[str, ...] | None = None
    analysis: tuple[str, ...] | None = None
    on_inconclusive: str | None = None  # "rollback", "hold" or "continue"
    source: SourceRef | None = None


@dataclass(frozen=True)
class RolloutStep:
    """One step of a rollout: its traffic change, its pause, its checks and their verdict.

    Step 0 is readiness (no traffic change). ``verdict`` is None when the step's
    checks never ran (the rollout stopped before them). Times are seconds;
    ``started`` is relative to the start of the rollout.
    """

    number: int
    percent: int  # the candidate's share while the step's checks ran
    verdict: Verdict | None
    results: tuple[CheckResult, ...] = ()
    before: tuple[TrafficEntry, ...] = ()  # the traffic spec before the step's change
    after: tuple[TrafficEntry, ...] = ()  # and after it (the same when nothing was sent)
    changed: bool = False
    operation: str = ""
    started: float = 0.0
    traffic_seconds: float = 0.0  # the PATCH and Cloud Run routing it
    pause_seconds: float = 0.0
    checks_seconds: float = 0.0
    note: str = ""


@dataclass(frozen=True)
class Rollout:
    """What ``gate rollout`` did: every step, where traffic stands, what to run next.

    ``exit_code`` replaces the verdict's exit code when set (a refused or failed
    traffic change, a held rollout: 3).
    """

    service: str
    revision: str  # the candidate (short name)
    tag: str
    plan: tuple[int, ...]
    pause: float
    on_inconclusive: str
    action: str  # completed, already-complete, not-started, rolled-back, held, refused, failed, interrupted
    message: str
    share: int  # the candidate's share when the rollout ended
    resumed_from: int  # the candidate's share when it began (0 for a fresh rollout)
    baseline: tuple[TrafficEntry, ...] = ()  # where the rest of the traffic goes (and a rollback sends it)
    steps: tuple[RolloutStep, ...] = ()
    traffic: tuple[TrafficEntry, ...] = ()  # the traffic spec when the rollout ended
    commands: tuple[str, ...] = ()  # resume / roll back / inspect
    exit_code: int | None = None


@dataclass(frozen=True)
class Report:
    project: str
    region: str
    policy: str
    results: tuple[CheckResult, ...]
    started_at: str  # RFC 3339 UTC
    duration: float
    gate_version: str = ""
    interrupted_by: str | None = None  # "SIGINT" or "SIGTERM"
    target: str = ""  # "world:<file>", "emulator:<host:port>" or "google"
    deploy_target: DeployTarget | None = None  # which revision the checks judged (--tag, target:)
    traffic: TrafficChange | None = None  # promotion or rollback, when asked for
    rollout: Rollout | None = (
        None  # `gate rollout`: every step (docs/PIPELINE.md#progressive-delivery-gate-rollout)
    )

    @property
    def verdict(self) -> Verdict:
        """FAIL on any blocking FAIL; PASS when every blocking check passed or was waived
        and at least one passed; otherwise INCONCLUSIVE.

        A WAIVED blocking check does not fail the verdict: the waiver exists so the
        deploy can ship (the reports say "PASS with waivers"). It proves nothing
        either, so a policy whose every blocking check was waived is INCONCLUSIVE,
        like a policy with no blocking check.
        """
        if self.interrupted_by:
            return Verdict.INTERRUPTED
        blocking = [r for r in self.results if r.blocking]
        if any(r.status is Status.FAIL for r in blocking):
            return Verdict.FAIL
        if all(r.status in (Status.PASS, Status.WAIVED) for r in blocking) and any(
            r.status is Status.PASS for r in blocking
        ):
            return Verdict.PASS
        return Verdict.INCONCLUSIVE

    @property
    def waived(self) -> tuple[CheckResult, ...]:
        """The checks whose FAIL a waiver accepted, in policy order."""
        return tuple(r for r in self.results if r.status is Status.WAIVED)

    @property
    def exit_code(self) -> int:
        verdict = self.verdict
        if verdict is Verdict.INTERRUPTED:
            return int(ExitCode.TERMINATED if self.interrupted_by == "SIGTERM" else ExitCode.INTERRUPTED)
        if self.rollout is not None and self.rollout.exit_code is not None:
            return self.rollout.exit_code
        if self.traffic is not None and self.traffic.exit_code is not None:
            return self.traffic.exit_code
        return int(
            {
                Verdict.PASS: ExitCode.PASS,
                Verdict.FAIL: ExitCode.FAIL,
                Verdict.INCONCLUSIVE: ExitCode.INCONCLUSIVE,
            }[verdict]
        )

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for r in self.results:
            out[r.status.value] += 1
        return out

    def result(self, check_id: str) -> CheckResult:
        for r in self.results:
            if r.id == check_id:
                return r
        raise KeyError(check_id)
