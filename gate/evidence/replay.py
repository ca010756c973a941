"""``gate replay``: recompute a verdict offline from an evidence bundle.

Not by re-reading statuses: the bundle is read (:mod:`gate.evidence.bundle_reader`),
the world its run saw is rebuilt (:mod:`gate.evidence.rebuild`), and the
recorded policy runs against it in an in-process emulator. Each check's status
and the verdict are then compared with ``report.json``.

A check that cannot be recomputed keeps its recorded status in the replay (so
checks that ``need`` it are gated the same way) and is shown as not
replayable. Checks CANCELLED in the recording (fail-fast, interrupt) are not
run: when they would have finished is a matter of timing, not of the evidence.

The rebuilt world is the last state the run saw, so polling cannot change an
answer: retries are compressed (interval 10 ms, deadline just long enough for
the required consecutive successes), timeouts are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from gate.checks.base import CheckType
from gate.checks.selection import follows
from gate.context import AttemptContext
from gate.evidence.bundle import PLACEHOLDER
from gate.evidence.bundle_reader import BundleError, load_bundle, policy_from
from gate.evidence.rebuild import Rebuilt, rebuild
from gate.model import CheckResult, Outcome, Policy, Report, Severity, Status, Timing

STUB_TYPE = "gate.replay.recorded"


@dataclass(frozen=True)
class Row:
    check_id: str
    recorded: str
    replayed: str  # "" when not run
    note: str  # "agree", "DIFFERENT", or why it was not compared

    @property
    def agrees(self) -> bool:
        return self.note != "DIFFERENT"


@dataclass
class ReplayResult:
    """The comparison of a replay with its recording."""

    rows: list[Row]
    recorded_verdict: str
    replayed_verdict: str
    verdict_note: str = ""
    world: str = ""  # the rebuilt world (JSON, loadable by gate emulator --world)

    @property
    def agree(self) -> bool:
        return all(r.agrees for r in self.rows) and self.recorded_verdict == self.replayed_verdict


class Recorded(CheckType):
    """Stands in for a check that cannot be replayed: gives its recorded status."""

    name = STUB_TYPE
    summary = "Replay only: the recorded status of a check that cannot be recomputed."
    params_schema: ClassVar[Mapping[str, Any]] = {"type": "object"}
    example: ClassVar[Mapping[str, Any]] = {}
    apis = ()

    def attempt(self, ctx: AttemptContext) -> Outcome:
        status = Status(self.params["status"])
        if status in (Status.WARN, Status.WAIVED):
            # The engine turns an advisory FAIL back into WARN, and applies the recorded
            # waiver again, to the recorded summary its match was searched in.
            return Outcome(Status.FAIL, str(self.params.get("summary") or self.params["note"]), final=True)
        return Outcome(status, str(self.params["note"]), final=True)


def replay_policy(
    policy: Policy, recorded: Mapping[str, str], rebuilt: Rebuilt, summaries: Mapping[str, str] | None = None
) -> Policy:
    """The recorded policy as the replay runs it: compressed polling, stubs for what cannot be recomputed.

    ``summaries``: the recorded summary per check id, which a stub of a WAIVED check
    fails with so that its waiver's match is judged on the same text."""
    checks = []
    for spec in policy.checks:
        status = recorded.get(spec.id)
        if status is None or status == Status.CANCELLED.value:
            continue
        needs = tuple(n for n in spec.needs if recorded.get(n) not in (None, Status.CANCELLED.value))
        if spec.id in rebuilt.not_replayable:
            params = {"status": status, "note": rebuilt.not_replayable[spec.id]}
            if status in (Status.WAIVED.value, Status.WARN.value) and summaries and spec.id in summaries:
                params["summary"] = summaries[spec.id]
            spec = dataclasses.replace(
                spec, type=STUB_TYPE, params=params, timing=Timing(timeout=5.0), needs=needs
            )
        else:
            timing = dataclasses.replace(
                spec.timing,
                interval=0.01,
                deadline=0.0 if spec.timing.successes <= 1 else 0.05 * spec.timing.successes,
            )
            spec = dataclasses.replace(spec, timing=timing, needs=needs)
        checks.append(spec)
    target = policy.target
    if (
        target is not None
        and (target.tag or target.revision)
        and not any(follows(target, c.params) for c in checks)
    ):
        target = None  # every check that followed it is stubbed or was cancelled: nothing to select
    return dataclasses.replace(policy, checks=tuple(checks), endpoints={}, target=target)


@contextlib.contextmanager
def _refusing_ports(origins: list[str]) -> Iterator[list[str]]:
    """ORIGIN=BASE pairs whose BASE is a bound, never-listening loopback port: connecting is refused."""
    socks = []
    try:
        specs = []
        for origin in origins:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            specs.append(f"{origin}=http://127.0.0.1:{s.getsockname()[1]}")
        yield specs
    finally:
        for s in socks:
            s.close()


def replay(path: Path) -> ReplayResult:
    from gate.engine import EngineOptions
    from gate.runner import RunOptions, execute

    bundle = load_bundle(path)
    policy = policy_from(bundle.policy)
    try:
        recorded = {str(c["id"]): str(c["status"]) for c in bundle.report["checks"]}
        summaries = {str(c["id"]): str(c.get("summary", "")) for c in bundle.report["checks"]}
        recorded_verdict = str(bundle.report["verdict"])
    except (KeyError, TypeError) as e:
        raise BundleError(f"report.json: malformed ({e})") from None
    rebuilt = rebuild(bundle, policy)
    runnable = replay_policy(policy, recorded, rebuilt, summaries)
    world_text = json.dumps(rebuilt.world, indent=2, sort_keys=True) + "\n"
    env = {n: PLACEHOLDER for n, was_set in (bundle.policy.get("environment") or {}).items() if was_set}
    with (
        tempfile.TemporaryDirectory(prefix="gate-replay-") as tmp,
        _refusing_ports(rebuilt.refused_origins) as resolve,
    ):
        world_file = Path(tmp) / "world.json"
        world_file.write_text(world_text, encoding="utf-8")
        report = execute(
            runnable,
            RunOptions(
                world=world_file,
                resolve=tuple(resolve),
                engine=EngineOptions(
                    pool=16, deadline=600.0, fail_fast=False, check_types={STUB_TYPE: Recorded}
                ),
                env=env,
                handle_signals=True,
            ),
        )
    rows = _compare(policy, recorded, rebuilt, report)
    verdict_note = ""
    expected = recorded_verdict
    if recorded_verdict == "INTERRUPTED":
        expected = _verdict_without_cancelled(bundle.report)
        verdict_note = (
            f"interrupted in the recording; compared with {expected}, the verdict of the checks that finished"
        )
    return ReplayResult(rows, expected, report.verdict.value, verdict_note, world_text)


def _compare(policy: Policy, recorded: Mapping[str, str], rebuilt: Rebuilt, report: Report) -> list[Row]:
    replayed = {r.id: r.status.value for r in report.results}
    rows = []
    for spec in policy.checks:
        rec = recorded.get(spec.id, "")
        got = replayed.get(spec.id, "")
        if rec == Status.CANCELLED.value:
            note = "cancelled in the recording: not compared"
        elif spec.id in rebuilt.not_replayable:
            note = rebuilt.not_replayable[spec.id]
        else:
            note = "agree" if rec == got else "DIFFERENT"
        rows.append(Row(spec.id, rec, got, note))
    return rows


def _verdict_without_cancelled(report: Mapping[str, Any]) -> str:
    results = tuple(
        CheckResult(str(c["id"]), str(c["type"]), Severity(c["severity"]), Status(c["status"]), "")
        for c in report["checks"]
        if c["status"] != Status.CANCELLED.value
    )
    return Report("", "", "", results, "", 0.0).verdict.value


def table(outcome: ReplayResult) -> str:
    """The comparison as aligned text (statuses and notes only: nothing secret)."""
    head = ("check", "recorded", "replayed", "result")
    body = [(r.check_id, r.recorded, r.replayed or "-", r.note) for r in outcome.rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(3)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in [head, *body]
    ]
    verdict_ok = outcome.recorded_verdict == outcome.replayed_verdict
    lines.append("")
    lines.append(
        f"verdict: recorded {outcome.recorded_verdict}, replayed {outcome.replayed_verdict}: "
        + ("agree" if verdict_ok else "DIFFERENT")
        + (f" ({outcome.verdict_note})" if outcome.verdict_note else "")
    )
    compared = [r for r in outcome.rows if r.note in ("agree", "DIFFERENT")]
    differ = sum(1 for r in compared if r.note == "DIFFERENT")
    skipped = len(outcome.rows) - len(compared)
    lines.append(
        f"{len(compared)} checks compared, {differ} different, {skipped} not compared; "
        + (
            "replay AGREES with the recorded verdict"
            if outcome.agree
            else "replay DISAGREES with the recording"
        )
    )
    return "\n".join(lines) + "\n"
