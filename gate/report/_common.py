"""Helpers every reporter shares: plain data, number formats, exit-code meanings.

Reporters only *present* a Report; nothing here decides a status or a verdict.
Everything is deterministic: mapping keys are sorted so that two equal reports
render byte-identically whatever order a check type inserted its evidence in.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from typing import Any

from gate.model import (
    SATISFIES_NEEDS,
    Attempt,
    CheckResult,
    ExitCode,
    Report,
    Status,
    Verdict,
    WaiverState,
    WaiverUse,
)

# Metric names that hold durations by convention; `timings=False` zeroes them
# along with the report's own timings because they vary from run to run.
TIMING_METRIC = re.compile(r"(_ms|_s|_seconds)$")

EPOCH = "1970-01-01T00:00:00Z"  # stands in for startedAt when timings are excluded

_EXIT_MEANINGS: dict[int, str] = {
    int(ExitCode.PASS): "pass: every blocking check passed",
    int(ExitCode.FAIL): "a blocking check failed",
    int(ExitCode.USAGE): "invalid policy or usage",
    int(ExitCode.INCONCLUSIVE): (
        "inconclusive: a blocking check could not be evaluated (ERROR, SKIP or CANCELLED) "
        "or the policy has no blocking check; not proven ready"
    ),
    int(ExitCode.INTERRUPTED): "interrupted (SIGINT) before every check finished; not proven ready",
    int(ExitCode.TERMINATED): "terminated (SIGTERM) before every check finished; not proven ready",
}

# C0 controls except tab and newline, DEL, and C1 controls. In a terminal they
# could move the cursor or recolour text, so untrusted strings never carry them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def exit_meaning(code: int) -> str:
    return _EXIT_MEANINGS.get(code, "unknown exit code")


def status_text(status: object) -> str:
    """`Status.PASS` -> "PASS" (str() of a str-Enum is "Status.PASS" on 3.11)."""
    if isinstance(status, enum.Enum):
        return str(status.value)
    return str(status)


def visible(s: str) -> str:
    """Show control characters as escapes (``\\x1b``) instead of emitting them."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)


def plain(value: Any) -> Any:
    """JSON-ready copy of evidence: sorted string keys, lists, finite numbers only.

    Evidence is JSON-like already (the engine redacts it with `Redactor.deep`),
    but tuples, enums or a stray object must not crash a reporter or make the
    output depend on dict insertion order.
    """
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        items = {str(k): plain(v) for k, v in value.items()}
        return {k: items[k] for k in sorted(items)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    return str(value)


def metric_value(name: str, value: float, timings: bool) -> float | None:
    if not timings and TIMING_METRIC.search(name):
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return value
    return None  # NaN/inf are not JSON; shown as "n/a"


def sorted_metrics(metrics: Mapping[str, float], timings: bool) -> list[tuple[str, float | None]]:
    return [(str(k), metric_value(str(k), metrics[k], timings)) for k in sorted(metrics, key=str)]


def seconds(value: float, timings: bool = True) -> float:
    """Seconds rounded to milliseconds, so floats like 0.30000000000000004 never show."""
    return round(float(value), 3) if timings else 0.0


def fmt_seconds(value: float, timings: bool = True) -> str:
    return f"{seconds(value, timings):.2f}s"


def fmt_number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def scalar(value: Any) -> str:
    """One evidence leaf as text, in JSON spelling for null/true/false."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else '""'
    return fmt_number(value) if isinstance(value, (int, float)) else str(value)


def evidence_lines(evidence: Any, indent: str = "  ") -> list[str]:
    """Nested evidence as indented ``key: value`` lines (YAML-like, not YAML).

    Multi-line strings continue on indented lines so a quoted log excerpt stays
    readable and cannot fake a new top-level entry.
    """
    out: list[str] = []
    _walk(plain(evidence), 0, indent, out)
    return out


def _walk(value: Any, depth: int, indent: str, out: list[str]) -> None:
    pad = indent * depth
    if isinstance(value, dict):
        for key, item in value.items():
            _entry(f"{pad}{key}:", item, depth, indent, out)
    elif isinstance(value, list):
        for item in value:
            _entry(f"{pad}-", item, depth, indent, out)
    else:
        _leaf(pad, scalar(value), indent, out)


def _entry(head: str, item: Any, depth: int, indent: str, out: list[str]) -> None:
    if isinstance(item, (dict, list)):
        if not item:
            out.append(f"{head} {'{}' if isinstance(item, dict) else '[]'}")
            return
        out.append(head)
        _walk(item, depth + 1, indent, out)
        return
    _leaf(head + " ", scalar(item), indent * (depth + 1), out)


def _leaf(prefix: str, text: str, cont_pad: str, out: list[str]) -> None:
    first, *rest = text.split("\n")
    out.append(prefix + first)
    out.extend(cont_pad + "  " + line for line in rest)


def attempts_brief(attempts: tuple[Attempt, ...], timings: bool) -> str:
    """Like "3 attempts (0.52s, 0.40s, 0.41s)"; durations omitted without timings."""
    n = len(attempts)
    noun = "attempt" if n == 1 else "attempts"
    if not n or not timings:
        return f"{n} {noun}"
    durs = ", ".join(fmt_seconds(a.duration) for a in attempts)
    return f"{n} {noun} ({durs})"


def counts_line(report: Report) -> str:
    """ "3 checks: 2 PASS, 1 FAIL, ..." with every status; WAIVED only when a check was waived
    (no check is WAIVED without a waiver in the policy)."""
    counts = report.counts()
    parts = [f"{counts[s.value]} {s.value}" for s in Status if s is not Status.WAIVED or counts[s.value]]
    n = len(report.results)
    return f"{n} {'check' if n == 1 else 'checks'}: " + ", ".join(parts)


# --------------------------------------------------------------------------- presentation order

# Causes before symptoms: what failed, what could not be judged, advisories,
# what was not proven, then what passed. Presentation only: JSON keeps policy order.
_RANK = {
    Status.FAIL: 0,
    Status.ERROR: 1,
    Status.WARN: 2,
    Status.WAIVED: 3,  # a failure still, accepted until its waiver expires
    Status.SKIP: 4,
    Status.CANCELLED: 5,
    Status.PASS: 6,
}

# How a dependency that did not pass is named as the cause of a skip.
CAUSE_WORDS = {
    Status.FAIL: "failed",
    Status.ERROR: "could not be evaluated",
    Status.WARN: "failed (advisory)",
    Status.CANCELLED: "was cancelled",
    Status.SKIP: "was skipped",
}


def _by_id(results: tuple[CheckResult, ...] | list[CheckResult]) -> dict[str, CheckResult]:
    return {r.id: r for r in results}


def root_causes(result: CheckResult, by_id: Mapping[str, CheckResult]) -> list[CheckResult]:
    """The checks that did not pass and kept ``result`` from running, through skipped ones."""
    out: list[CheckResult] = []
    seen: set[str] = set()

    def walk(r: CheckResult) -> None:
        for n in r.needs:
            dep = by_id.get(n)
            if dep is None or n in seen or dep.status in SATISFIES_NEEDS:
                continue
            seen.add(n)
            if dep.status is Status.SKIP and dep.needs:
                walk(dep)
            else:
                out.append(dep)

    walk(result)
    return out


def ordered(results: tuple[CheckResult, ...]) -> list[CheckResult]:
    """FAIL, ERROR, WARN, WAIVED, SKIP, CANCELLED, PASS; within a status, checks others wait on first."""
    by_id = _by_id(results)
    blocked: dict[str, int] = {}
    for r in results:
        if r.status is Status.SKIP:
            for cause in root_causes(r, by_id):
                blocked[cause.id] = blocked.get(cause.id, 0) + 1
    index = {r.id: i for i, r in enumerate(results)}
    return sorted(results, key=lambda r: (_RANK.get(r.status, 9), -blocked.get(r.id, 0), index[r.id]))


def skip_reason(result: CheckResult, by_id: Mapping[str, CheckResult]) -> str:
    """``needs backend-revision, which failed`` for a skipped check; its own summary otherwise."""
    causes = root_causes(result, by_id)
    if not causes:
        return result.summary.removeprefix("skipped: ")
    return "needs " + ", and ".join(f"{c.id}, which {CAUSE_WORDS[c.status]}" for c in causes)


def collapsed(results: list[CheckResult], status: Status, by_id: Mapping[str, CheckResult]) -> list[str]:
    """One line per reason for the skipped or cancelled checks: "2 checks (why): a, b"."""
    groups: dict[str, list[str]] = {}
    for r in results:
        if r.status is not status:
            continue
        if status is Status.SKIP:
            why = skip_reason(r, by_id)
        else:
            why = r.summary.split(";")[0].strip() or "cancelled"
        groups.setdefault(why, []).append(r.id)
    out = []
    for why, ids in groups.items():
        noun = "check" if len(ids) == 1 else "checks"
        out.append(f"{len(ids)} {noun} ({why}): {', '.join(ids)}")
    return out


def one_line(text: str, limit: int = 160) -> str:
    """The first line of ``text``, at most ``limit`` characters, cut between words."""
    first = text.strip().split("\n", 1)[0].strip()
    if len(first) <= limit:
        return first
    cut = first[: limit - 3]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "..."


def fix_first(report: Report, width: int = 160) -> list[tuple[CheckResult, str, str]]:
    """(result, why, fix) for what to fix first, causes first: what failed, could not be
    evaluated or warned, then what failed and was waived (it still needs its fix before
    the waiver expires); each why and fix one line of at most ``width`` characters.

    Skipped and cancelled checks are left out: fixing their cause is what is listed.
    """
    out = []
    for r in ordered(report.results):
        if r.status not in (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED):
            continue
        out.append((r, one_line(r.summary, width), one_line(r.remediation, width) or _default_fix(r)))
    return out


def _default_fix(r: CheckResult) -> str:
    if r.status is Status.ERROR:
        return "the check could not be evaluated: see its summary, fix access or the input, then re-run"
    return "see the evidence of this check (gate check -v shows every attempt)"


def verdict_text(report: Report) -> str:
    """The verdict as reports print it: "PASS with waivers" when a waived failure let it pass.

    The verdict itself (JSON ``verdict``, the exit code) stays PASS: a pipeline that
    ships on PASS ships, and every format says prominently that it was waived.
    """
    verdict = report.verdict
    if verdict is Verdict.PASS and report.waived:
        return "PASS with waivers"
    return verdict.value


def report_meaning(report: Report) -> str:
    """What the report's exit code means for this report (a pass with waivers says so)."""
    code = report.exit_code
    waived = len(report.waived)
    if code == int(ExitCode.PASS) and report.verdict is Verdict.PASS and waived:
        noun = "check" if waived == 1 else "checks"
        return f"pass with {waived} waived {noun}: every blocking check passed or its failure is waived"
    return exit_meaning(code)


def verdict_line(report: Report) -> str:
    code = report.exit_code
    return f"{verdict_text(report)}: exit code {code}, {report_meaning(report)}"


# --------------------------------------------------------------------------- waivers

WAIVER_STATE_WORDS = {
    WaiverState.APPLIED: "applied",
    WaiverState.NOT_NEEDED: "no longer needed",
    WaiverState.NOT_MATCHED: "not applied",
    WaiverState.NOT_APPLICABLE: "not applied",
}


def waiver_uses(report: Report) -> list[tuple[CheckResult, WaiverUse]]:
    """Every check that has a waiver, with what it did; applied first, then stale, then the rest."""
    rank = {WaiverState.APPLIED: 0, WaiverState.NOT_NEEDED: 1, WaiverState.NOT_MATCHED: 2}
    uses = [(r, r.waiver) for r in ordered(report.results) if r.waiver is not None]
    return sorted(uses, key=lambda pair: rank.get(pair[1].state, 3))


def waiver_counts(report: Report) -> str:
    """ "1 applied, 1 no longer needed"; "" when the policy has no waiver."""
    counts: dict[str, int] = {}
    for _, use in waiver_uses(report):
        word = WAIVER_STATE_WORDS[use.state]
        counts[word] = counts.get(word, 0) + 1
    return ", ".join(f"{n} {word}" for word, n in counts.items())


def waiver_terms(use: WaiverUse) -> str:
    """ "until 2025-07-01 (UTC), owner data-platform: tier upgrade in OPS-12"."""
    w = use.waiver
    return f"until {w.expires.isoformat()} (UTC), owner {w.owner}: {w.reason}"


_NEVER_WAIVED = {
    Status.ERROR: "an ERROR is never waived: the check could not be evaluated",
    Status.SKIP: "a SKIP is never waived: the check did not run",
    Status.CANCELLED: "a CANCELLED check is never waived: it did not finish",
}


def waiver_outcome(result: CheckResult, use: WaiverUse) -> str:
    """What the waiver did, without its terms: "waived", "not applied: ..."."""
    if use.state is WaiverState.APPLIED:
        return "waived"
    if use.state is WaiverState.NOT_NEEDED:
        return "waiver no longer needed: the check passed; remove the waiver"
    if use.state is WaiverState.NOT_MATCHED:
        return f'waiver not applied: the failure does not match "{use.waiver.match or ""}"'
    why = _NEVER_WAIVED.get(result.status, f"only a FAIL is waived, not {status_text(result.status)}")
    return f"waiver not applied: {why}"


def waiver_note(result: CheckResult, use: WaiverUse) -> str:
    """One sentence on what the waiver did to this check and its terms, for every format."""
    outcome = waiver_outcome(result, use)
    if use.state is WaiverState.APPLIED:
        return f"{outcome} {waiver_terms(use)}"
    return f"{outcome} ({waiver_terms(use)})"
