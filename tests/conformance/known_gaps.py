"""Non-conformances of gate itself that another change owns: xfail(strict) until it lands.

Each gap is a regex over the suite's problem messages (or a sweep case id). The
suite sets matching problems aside and a strict xfail test asserts the gap is
still there: when the fix lands the test XPASSes, which fails the run, and the
entry must be deleted here, so a gap cannot outlive its fix unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    id: str
    pattern: str  # searched in problem messages
    reason: str

    def matches(self, problem: str) -> bool:
        return re.search(self.pattern, problem) is not None


ISSUE_11 = "issue 11 (H11a)"

WIRE_GAPS = (
    Gap(
        "connectivity-test-source-uri",
        # the request, and the test as the API echoes it back
        r"connectivityTests\.(create body|get response)\.source\.cloudRunRevision\.uri: "
        r".* is not in the documented form",
        f"{ISSUE_11}: gate sends the service-scoped revision name as cloudRunRevision.uri; Network "
        "Management documents projects/{project}/locations/{location}/revisions/{revision}",
    ),
)


def split(problems: list[str], gaps: tuple[Gap, ...] = WIRE_GAPS) -> tuple[list[str], dict[str, list[str]]]:
    """(problems no gap explains, gap id -> the problems it explains)."""
    rest: list[str] = []
    known: dict[str, list[str]] = {g.id: [] for g in gaps}
    for p in problems:
        gap = next((g for g in gaps if g.matches(p)), None)
        if gap is None:
            rest.append(p)
        else:
            known[gap.id].append(p)
    return rest, known


# Sweep cases (sweep id -> the values that PASS today and must not, and why).
_TERMINAL = f"{ISSUE_11} item 5: run.revision ignores the service's terminalCondition and reconciling"
_ACTIVATION = (
    f"{ISSUE_11} item 1: RUNNABLE with settings.activationPolicy other than ALWAYS is a stopped "
    "(or undeterminable) instance"
)
_TRACE = (
    f"{ISSUE_11} item 3: a REACHABLE result whose trace does not end in DELIVER is an incomplete "
    "analysis, not proof of delivery"
)
_UNKNOWN_ENUM = "an unknown enum value must be ERROR, never PASS (docs/RELIABILITY.md, fail closed): "
UNDOCUMENTED = "GATE_UNDOCUMENTED_VALUE"  # tests.conformance.sweeps.UNDOCUMENTED
SWEEP_GAPS: dict[str, tuple[frozenset[str] | None, str]] = {
    # None: every value the sweep does not call healthy
    "run-service-terminal-condition": (None, _TERMINAL),
    "sql-activation-policy": (None, _ACTIVATION),
    "sql-activation-policy-path": (None, _ACTIVATION),
    "connectivity-test-final-step": (None, _TRACE),
    "run-revision-container-healthy": (
        frozenset({UNDOCUMENTED}),
        _UNKNOWN_ENUM + "run.revision (gate/checks/run_revision.py, changing for issue 11 item 5) fails "
        "only a supporting condition in CONDITION_FAILED and passes any other state",
    ),
    "firewall-direction": (
        frozenset({UNDOCUMENTED}),
        _UNKNOWN_ENUM + f"{ISSUE_11} item 4: gate/netpath/firewall.py ignores a rule whose direction "
        "is not EGRESS, so a rule of unknown direction is treated as ingress",
    ),
    "boot-log-severity": (
        frozenset({UNDOCUMENTED}),
        _UNKNOWN_ENUM + "logs.boot (gate/checks/boot_log.py) ranks a severity it does not know below "
        "the threshold, so its line cannot fail the boot log",
    ),
}


def sweep_gap(sweep_id: str, value: str, healthy: frozenset[str]) -> str | None:
    gap = SWEEP_GAPS.get(sweep_id)
    if gap is None or value in healthy:
        return None
    values, reason = gap
    return reason if values is None or value in values else None
