"""``logs.boot``: the target revision's boot log shows a clean start.

Catches S1 (``TypeError`` in thread_cleanup_manager.py, ``Worker (pid:14) exited
with code 3``, ``Reason: Worker failed to boot.``), S2 (``AttributeError: ...
has no attribute 'configure'``) and S9 (CRITICAL/ERROR startup-validation
lines while /health answers 200), and passes S12: the default deny patterns are
anchored on exception syntax (``TypeError:``) so ordinary INFO lines do not trip them.

Fail closed: zero entries is never a pass. No entries at all after the
ingestion grace = ERROR (the boot could not be judged: logging off, wrong
revision, permissions); entries without a positive marker = FAIL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate import durations
from gate.checks.base import CheckType
from gate.checks.target import TARGET_PROPERTIES, resolve_target, target_errors
from gate.errors import MissingFactError
from gate.model import CheckSpec, Outcome

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.context import AttemptContext
    from gate.gcp.logging import LogEntry

SEVERITIES = ("DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
DEFAULT_DENY = (
    r"Worker failed to boot",
    r"exited with code 3\b",
    r"Traceback \(most recent call last\)",
    r"\bTypeError:",
    r"\bAttributeError:",
    r"was never awaited",
    r"Startup validation timed out",
    r"\bis None\b",
)
DEFAULT_REQUIRE = (r"Booting worker", r"Application startup complete")
QUOTES = 5  # offending lines quoted
LINE_CAP = 300  # characters of one quoted line

_DURATION = {"type": "string", "pattern": durations.PATTERN}
_REGEXES = {"type": "array", "items": {"type": "string", "minLength": 1}}


@dataclass(frozen=True)
class Offence:
    entry: LogEntry
    line: str
    why: str

    def quote(self, redact: Any) -> str:
        line = self.line if len(self.line) <= LINE_CAP else self.line[: LINE_CAP - 1] + "…"
        ts = self.entry.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return f"{ts} {self.entry.severity} {redact(line)}"


class BootLog(CheckType):
    name = "logs.boot"
    summary = "The revision's boot log (Cloud Logging) has a start marker and no crash, traceback or ERROR."
    description = (
        "Reads Cloud Logging entries of the target revision (resource.type=cloud_run_revision, its "
        "service_name and revision_name) from the revision's createTime for `window` (default 10m), "
        "at most `max_entries` (default 1000), oldest first.\n\n"
        "FAIL (final) when an entry matches a `deny` regex (defaults from the incidents: Worker "
        "failed to boot, exited with code 3, Traceback, TypeError:, AttributeError:, was never "
        "awaited, Startup validation timed out, is None; `default_deny: false` drops them) or has a "
        "severity at or above `severity` (default ERROR; NONE turns it off), unless it matches an "
        "`allow` regex (known noise). Deny patterns apply at every severity. The first 5 offending "
        "lines are quoted with timestamp and severity, redacted and capped.\n\n"
        "FAIL (not final) when entries exist but none matches a `require` marker (default: Booting "
        "worker, Application startup complete; `require: []` needs none). ERROR when there are no "
        "entries at all: a boot cannot be proven clean from silence. Until `grace` (default 60s) "
        "after the revision was created, a missing marker is reported as waiting for ingestion so "
        "a `retry.deadline` keeps polling."
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["service"],
        "properties": {
            "service": TARGET_PROPERTIES["service"],
            "revision": TARGET_PROPERTIES["revision"],
            "tag": TARGET_PROPERTIES["tag"],
            "window": {
                **_DURATION,
                "default": "10m",
                "description": "How much log to read, from the revision's creation.",
            },
            "grace": {
                **_DURATION,
                "default": "60s",
                "description": "Until this long after the revision's creation a missing start marker "
                "is waiting for ingestion (a retry keeps polling), not a failure.",
            },
            "max_entries": {
                "type": "integer",
                "minimum": 1,
                "maximum": 10000,
                "default": 1000,
                "description": "Most entries read, oldest first.",
            },
            "deny": {
                **_REGEXES,
                "default": [],
                "description": "Regexes that fail the check at any severity, added to the built-in "
                "incident patterns (see default_deny).",
            },
            "default_deny": {
                "type": "boolean",
                "default": True,
                "description": "Also deny the built-in incident patterns: " + ", ".join(DEFAULT_DENY) + ".",
            },
            "allow": {
                **_REGEXES,
                "default": [],
                "description": "Regexes of known noise: a matching entry is never an offence.",
            },
            "require": {
                **_REGEXES,
                "default": list(DEFAULT_REQUIRE),
                "description": "Start markers: at least one entry must match one; [] requires none.",
            },
            "severity": {
                "enum": [*SEVERITIES, "NONE"],
                "default": "ERROR",
                "description": "Entries at or above this severity fail the check; NONE turns it off.",
            },
        },
    }
    example = {
        "id": "backend-boot-log",
        "type": "logs.boot",
        "retry": {"interval": "15s", "deadline": "3m"},
        "with": {
            "service": "netra-backend-staging",
            "window": "10m",
            "allow": [r"Default STARTUP TCP probe failed 1 time"],
        },
    }
    apis = ("run", "logging")

    def __init__(self, spec: CheckSpec) -> None:
        super().__init__(spec)
        p = self.params
        deny = [*(DEFAULT_DENY if p.get("default_deny", True) else ()), *(p.get("deny") or [])]
        self.deny = [re.compile(x) for x in deny]
        self.allow = [re.compile(x) for x in p.get("allow") or []]
        self.require = [re.compile(x) for x in p.get("require", DEFAULT_REQUIRE)]
        self.window = durations.parse(str(p.get("window", "10m")))
        self.grace = durations.parse(str(p.get("grace", "60s")))
        self.max_entries = int(p.get("max_entries", 1000))
        threshold = str(p.get("severity", "ERROR"))
        self.threshold = None if threshold == "NONE" else SEVERITIES.index(threshold)

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        errors = target_errors(params)
        for key in ("deny", "allow", "require"):
            for i, pattern in enumerate(params.get(key) or []):
                try:
                    re.compile(str(pattern))
                except re.error as e:
                    errors.append((f"{key}[{i}]", f"invalid regular expression: {e}"))
        for key in ("window", "grace"):
            if key in params:
                try:
                    if durations.parse(str(params[key])) <= 0 and key == "window":
                        errors.append((key, "must be more than 0s"))
                except ValueError as e:
                    errors.append((key, str(e)))
        return errors

    def attempt(self, ctx: AttemptContext) -> Outcome:
        target = resolve_target(ctx, self.params)
        rev = target.revision
        if rev.create_time is None:
            raise MissingFactError(f"{rev.name}: the revision has no createTime")
        start = rev.create_time
        now = dt.datetime.now(dt.timezone.utc)
        end = max(start, min(start + dt.timedelta(seconds=self.window), now))
        service = target.service.short_name
        query = (
            'resource.type="cloud_run_revision" AND '
            f'resource.labels.service_name="{service}" AND '
            f'resource.labels.revision_name="{rev.short_name}"'
        )
        entries = ctx.cloud.logging.entries(
            query, start=start, end=end, max_entries=self.max_entries, deadline=ctx.deadline
        )
        span = f"between {_ts(start)} and {_ts(end)}"
        evidence: dict[str, Any] = {
            **target.evidence,
            "filter": query,
            "window": {"start": _ts(start), "end": _ts(end)},
            "entries_read": len(entries),
            "truncated": len(entries) >= self.max_entries,
        }
        # The timestamp clause stops gcloud's default 1-day freshness from hiding older boots.
        remediation = (
            f"Read the boot log: gcloud logging read '{query} AND timestamp>=\"{_ts(start)}\"' "
            f"--project {ctx.project} --order asc --limit 200"
        )
        offences, marker = self._scan(entries)
        if marker is not None:
            evidence["marker"] = Offence(marker, _first_line(marker.text), "").quote(ctx.run.redactor.text)
        if offences:
            quotes = [o.quote(ctx.run.redactor.text) for o in offences[:QUOTES]]
            evidence["offending"] = [
                {"line": q, "why": o.why} for q, o in zip(quotes, offences[:QUOTES], strict=True)
            ]
            evidence["offending_total"] = len(offences)
            more = f" (+{len(offences) - 1} more)" if len(offences) > 1 else ""
            return Outcome.failed(
                f"boot log of revision {rev.short_name} shows a failed start: {quotes[0]}{more}",
                evidence=evidence,
                remediation=remediation + " ; fix the error and deploy a new revision, or add a "
                "narrow `allow` pattern if the line is known noise.",
                # Logs only accumulate: an offending line in the window will still be there.
                final=True,
                metrics={"entries": float(len(entries)), "offending": float(len(offences))},
            )
        unknown = self._unknown_severities(entries)
        if unknown:
            shown = sorted({e.severity for e in unknown})
            return Outcome.error(
                f"{len(unknown)} log entr{'y' if len(unknown) == 1 else 'ies'} of revision {rev.short_name} "
                f"{span} at severity {', '.join(shown)}, which gate does not know (Cloud Logging documents "
                f"{', '.join(SEVERITIES)}): cannot tell whether they are at or above "
                f"{SEVERITIES[self.threshold or 0]}",
                evidence=evidence,
                remediation=remediation,
                final=True,  # logs only accumulate
                metrics={"entries": float(len(entries))},
            )
        in_grace = now < start + dt.timedelta(seconds=self.grace)
        if marker is None and self.require and in_grace:
            return Outcome.failed(
                f"waiting for log ingestion: revision {rev.short_name} was created at {_ts(start)}; "
                f"{len(entries)} entries so far, no start marker yet",
                evidence=evidence,
            )
        if not entries:
            return Outcome.error(
                f"no log entries for revision {rev.short_name} {span} — cannot prove a clean boot",
                evidence=evidence,
                remediation=remediation + " ; check that the revision started and that gate may read "
                "its logs (roles/logging.viewer).",
            )
        if marker is None and self.require:
            return Outcome.failed(
                f"no start marker in {len(entries)} log entries of revision {rev.short_name} {span} "
                f"(looked for: {', '.join(p.pattern for p in self.require)})",
                evidence=evidence,
                remediation=remediation,
                metrics={"entries": float(len(entries))},
            )
        note = " (entry limit reached; later entries not read)" if evidence["truncated"] else ""
        return Outcome.passed(
            f"clean boot: {len(entries)} log entries of revision {rev.short_name} {span}, none denied{note}",
            evidence=evidence,
            metrics={"entries": float(len(entries))},
        )

    def _scan(self, entries: list[LogEntry]) -> tuple[list[Offence], LogEntry | None]:
        offences: list[Offence] = []
        marker: LogEntry | None = None
        for e in entries:
            if marker is None and any(p.search(e.text) for p in self.require):
                marker = e
            if any(p.search(e.text) for p in self.allow):
                continue
            offence = self._judge(e)
            if offence is not None:
                offences.append(offence)
        return offences, marker

    def _unknown_severities(self, entries: list[LogEntry]) -> list[LogEntry]:
        """Entries the severity threshold cannot rank (not allowed as noise): fail closed."""
        if self.threshold is None:
            return []
        return [
            e
            for e in entries
            if e.severity not in SEVERITIES and not any(p.search(e.text) for p in self.allow)
        ]

    def _judge(self, e: LogEntry) -> Offence | None:
        lines = [ln for ln in e.text.splitlines() if ln.strip()] or [e.text]
        hits = [(ln, p) for ln in lines for p in self.deny if p.search(ln)]
        if not hits:
            # A pattern may span lines (a user's own regex): judge the whole text too.
            whole = next((p for p in self.deny if p.search(e.text)), None)
            if whole is not None:
                hits = [(lines[0], whole)]
        if hits:
            # In a traceback the exception line comes last and says the most.
            line, pattern = hits[-1]
            return Offence(e, line, f"matches deny pattern {pattern.pattern}")
        if self.threshold is not None and _rank(e.severity) >= self.threshold:
            return Offence(e, lines[0], f"severity {e.severity}")
        return None


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def _first_line(text: str) -> str:
    return next((ln for ln in text.splitlines() if ln.strip()), text)


def _ts(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
