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


# None open. An entry looks like
#   Gap("connectivity-test-source-uri",
#       r"connectivityTests\.create body\.source\.cloudRunRevision\.uri: .* is not in the documented form",
#       "gate/gcp/networkmanagement.py sends ...; Network Management documents ...")
# (closed: the source URI, the activation policy, the terminal condition and the connectivity
# test's final step in issue 11; undocumented ContainerHealthy / terminalCondition states,
# firewall directions and log severities with the update to the merged main, docs/RELIABILITY.md).
WIRE_GAPS: tuple[Gap, ...] = ()


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


UNDOCUMENTED = "GATE_UNDOCUMENTED_VALUE"  # tests.conformance.sweeps.UNDOCUMENTED
# Sweep cases: sweep id -> (the values that PASS today and must not, None for every value the
# sweep does not call healthy; and why, naming the file that owns the fix). None open.
SWEEP_GAPS: dict[str, tuple[frozenset[str] | None, str]] = {}


def sweep_gap(sweep_id: str, value: str, healthy: frozenset[str]) -> str | None:
    gap = SWEEP_GAPS.get(sweep_id)
    if gap is None or value in healthy:
        return None
    values, reason = gap
    return reason if values is None or value in values else None
