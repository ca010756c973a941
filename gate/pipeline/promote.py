"""Gated promotion: move traffic to the checked revision only when the verdict is PASS.

The traffic PATCH carries the etag of the service *as the checks read it*: if a
concurrent deploy changed the service after that read, Cloud Run (and the
emulator) refuse the update with 409 ABORTED, and gate leaves traffic alone
rather than overwrite someone else's deploy. On any verdict but PASS no write
is attempted; the result carries the exact gcloud commands to inspect the
revision and to roll back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.context import AttemptContext, RunContext
from gate.engine import Engine, ProgressFn
from gate.errors import ApiError, GateError
from gate.model import ExitCode, Policy, Report, Verdict

if TYPE_CHECKING:
    from gate.gcp.cloud import Cloud

PROMOTE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class PromotionResult:
    """What ``promote`` did. ``action`` is one of the ACTION_* names below."""

    service: str
    revision: str  # short name; "" when it could not be determined
    action: str
    message: str
    exit_code: int  # 0 promoted or already serving; 1/3 verdict not PASS; 3 refused/failed
    commands: tuple[str, ...] = ()  # gcloud commands to inspect or roll back
    operation: str = ""

    @property
    def promoted(self) -> bool:
        return self.action in (PROMOTED, ALREADY_SERVING)

    def lines(self) -> list[str]:
        out = [f"promote {self.service}: {self.action}: {self.message}"]
        if self.commands:
            out.append("next steps:")
            out.extend(f"  {c}" for c in self.commands)
        return out


PROMOTED = "promoted"
ALREADY_SERVING = "already-serving"  # idempotent: nothing to change, no PATCH sent
NOT_PROMOTED = "not-promoted"  # the verdict was not PASS
REFUSED = "refused"  # the service changed after it was checked (etag)
FAILED = "failed"  # an API error: traffic left as it was


def _gcloud(*args: str) -> str:
    return "gcloud " + " ".join(shlex.quote(a) for a in args)


def _serving(service: Any, exclude: str) -> list[str]:
    """Revisions other than ``exclude`` that currently receive traffic, most traffic first."""
    pairs = [
        (t.percent, t.revision)
        for t in service.traffic_statuses
        if t.revision and t.revision != exclude and t.percent > 0
    ]
    return [rev for _, rev in sorted(pairs, key=lambda p: -p[0])]


def _serves_all(service: Any, revision: str) -> bool:
    return any(t.revision == revision and t.percent == 100 for t in service.traffic_statuses)


def _commands(run: RunContext, service: str, revision: str, previous: str) -> tuple[str, ...]:
    where = ("--region", run.region, "--project", run.project)
    out = []
    if revision:
        out.append(_gcloud("run", "revisions", "describe", revision, *where))
    out.append(
        _gcloud("run", "services", "update-traffic", service, f"--to-revisions={previous}=100", *where)
    )
    return tuple(out)


def _cloud(run: RunContext) -> Cloud:
    if run.cloud is None:
        raise GateError("promotion needs Google API access, and this run has none")
    return run.cloud


def _previous(run: RunContext, service: str, revision: str, deadline: float) -> str:
    """The revision to roll back to: the one serving now, else the newest other Ready one."""
    try:
        svc = _cloud(run).run.service(service, deadline=deadline)
        serving = _serving(svc, revision)
        if serving:
            return serving[0]
        for rev in _cloud(run).run.revisions(service, deadline=deadline):
            ready = rev.condition("Ready")
            if rev.short_name != revision and ready is not None and ready.succeeded:
                return str(rev.short_name)
    except GateError:
        pass  # the commands still help; the placeholder says what to fill in
    return "PREVIOUS_REVISION"


def promote(
    report: Report,
    policy: Policy,
    run: RunContext,
    *,
    service: str,
    revision: str,
    timeout: float = PROMOTE_TIMEOUT_S,
) -> PromotionResult:
    """Send 100% of ``service``'s traffic to ``revision`` if, and only if, the report PASSed."""
    deadline = time.monotonic() + timeout
    revision = revision.rsplit("/", 1)[-1]
    short_service = service.rsplit("/", 1)[-1]
    if report.verdict is not Verdict.PASS:
        previous = _previous(run, service, revision, deadline)
        return PromotionResult(
            short_service,
            revision,
            NOT_PROMOTED,
            f"verdict {report.verdict.value}: traffic left untouched",
            report.exit_code,
            _commands(run, short_service, revision, previous),
        )
    try:
        # The memo holds the service as the checks last read it; its etag guards the PATCH.
        checked = _cloud(run).run.service(service, deadline=deadline)
        now = _cloud(run).run.service(service, deadline=deadline, fresh=True)
        if now.etag != checked.etag:
            return _refused(run, short_service, revision, "the service changed after it was checked")
        if _serves_all(now, revision):
            return PromotionResult(
                short_service,
                revision,
                ALREADY_SERVING,
                f"{revision} already receives 100% of traffic; nothing sent",
                int(ExitCode.PASS),
            )
        op = _cloud(run).run.update_traffic(service, revision, checked.etag, deadline=deadline)
        after = _cloud(run).run.service(service, deadline=deadline, fresh=True)
    except GateError as e:
        if isinstance(e, ApiError) and (e.code == 409 or e.status == "ABORTED"):
            return _refused(run, short_service, revision, str(e))
        return PromotionResult(
            short_service,
            revision,
            FAILED,
            f"{e}; traffic left untouched, fix the cause and re-run the gate",
            int(ExitCode.INCONCLUSIVE),
            _commands(run, short_service, revision, _previous(run, service, revision, deadline)),
        )
    # The spec is what was asked for; statuses may lag while Cloud Run reroutes.
    asked = any(t.revision == revision and t.percent == 100 for t in after.traffic)
    if not asked:
        return PromotionResult(
            short_service,
            revision,
            FAILED,
            "the update was accepted but the service's traffic does not send 100% to the revision",
            int(ExitCode.INCONCLUSIVE),
            _commands(run, short_service, revision, _previous(run, service, revision, deadline)),
            operation=op,
        )
    return PromotionResult(
        short_service,
        revision,
        PROMOTED,
        f"100% of traffic now goes to {revision}",
        int(ExitCode.PASS),
        operation=op,
    )


def _refused(run: RunContext, service: str, revision: str, why: str) -> PromotionResult:
    return PromotionResult(
        service,
        revision,
        REFUSED,
        f"{why}; traffic left untouched (a concurrent deploy is not overwritten): re-run the gate",
        int(ExitCode.INCONCLUSIVE),
        (_gcloud("run", "services", "describe", service, "--region", run.region, "--project", run.project),),
    )


def target_revision(
    run: RunContext, service: str, tag: str | None, timeout: float = PROMOTE_TIMEOUT_S
) -> str:
    """The revision the checks judge for ``service``: latest created, or the one behind ``tag``."""
    from gate.checks.target import resolve_target

    ctx = AttemptContext(run, "promote", time.monotonic() + timeout)
    params: dict[str, Any] = {"service": service}
    if tag:
        params["tag"] = tag
    return str(resolve_target(ctx, params).revision.short_name)


@contextlib.contextmanager
def _signals(engine: Engine, enabled: bool) -> Iterator[None]:
    from gate.runner import _signals as runner_signals

    with runner_signals(engine, enabled):
        yield


def check_and_promote(
    policy: Policy,
    options: Any,
    progress: ProgressFn | None,
    *,
    service: str,
    tag: str | None = None,
) -> tuple[Report, PromotionResult]:
    """``runner.execute`` plus ``promote`` inside the same run, so both share one memo.

    Sharing the run is the point: the etag that guards the PATCH is the one the
    checks saw, and the revision promoted is the one they judged.
    """
    from gate.runner import open_run

    with open_run(policy, options) as (run, target):
        engine = Engine(policy, run, options.engine, progress)
        with _signals(engine, options.handle_signals):
            report = dataclasses.replace(engine.execute(), target=target)
        try:
            revision = target_revision(run, service, tag)
        except GateError as e:
            if report.verdict is Verdict.PASS:
                # Checks passed but the revision to promote cannot be named: never guess.
                result = PromotionResult(
                    service.rsplit("/", 1)[-1],
                    "",
                    FAILED,
                    f"cannot determine the revision to promote: {e}; traffic left untouched",
                    int(ExitCode.INCONCLUSIVE),
                )
                return report, result
            revision = ""
        return report, promote(report, policy, run, service=service, revision=revision)
