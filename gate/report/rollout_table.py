"""The step table of a ``gate rollout`` report, shared by the text and Markdown formats.

Presentation only: every verdict and share comes from the Report's ``rollout``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate import durations
from gate.model import Rollout, RolloutStep, Status
from gate.report._common import fmt_seconds

HEADERS = ("step", "candidate", "checks", "verdict", "traffic + pause + checks")


@dataclass(frozen=True)
class Row:
    step: str
    share: str
    checks: str
    verdict: str
    took: str

    def cells(self) -> tuple[str, ...]:
        return (self.step, self.share, self.checks, self.verdict, self.took)


def pause_text(seconds: float) -> str:
    return "0s" if seconds == 0 else durations.format(seconds)


def heading(r: Rollout) -> str:
    plan = ",".join(str(p) for p in r.plan)
    who = r.revision or "(unknown)"
    resumed = f", resumed at {r.resumed_from}%" if r.resumed_from else ""
    pause = pause_text(r.pause)
    return f"rollout {r.service}: candidate {who} (tag {r.tag}), steps {plan}, pause {pause}{resumed}"


def checks_text(s: RolloutStep) -> str:
    """``3 PASS`` or ``2 PASS, 1 FAIL (id)``: the counts, then the checks that did not pass."""
    if s.verdict is None:
        return s.note or "not run"
    counts: dict[str, int] = {}
    for r in s.results:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    shown = ", ".join(f"{counts[st.value]} {st.value}" for st in Status if st.value in counts)
    bad = [r.id for r in s.results if r.status is not Status.PASS and r.blocking]
    return shown + (f" ({', '.join(bad)})" if bad else "")


def rows(r: Rollout, timings: bool) -> list[Row]:
    out = []
    for s in r.steps:
        step = "readiness" if s.number == 0 else f"{s.number}/{len(r.plan)}"
        parts = (s.traffic_seconds, s.pause_seconds, s.checks_seconds)
        took = " + ".join(fmt_seconds(p) for p in parts) if timings else ""
        verdict = s.verdict.value if s.verdict is not None else "-"
        out.append(Row(step, f"{s.percent}%", checks_text(s), verdict, took))
    return out
