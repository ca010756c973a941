"""``run.diff``: what this deploy changes, compared with what serves now. Names only.

Most of the incidents were a deploy *losing* something the serving revision had:
env variables (S5), a VPC connector, a Cloud SQL attachment. This check compares
the target revision (the one being promoted, as every check judges it) with a
baseline and fails on losses; every other change is reported in a table.

The baseline, in order:

1. ``baseline:`` names a revision.
2. The revision other than the target that receives the most traffic now
   (``trafficStatuses``, what the router really does): the ``--no-traffic``
   deploy, the candidate judged before promotion.
3. When no other revision receives traffic and the target does (a deploy that
   went straight to traffic, as ``gcloud run deploy`` does by default, or S5's
   broken revision serving users), the newest *Ready* revision created before
   the target: what served until this deploy. A revision that never became
   Ready never served, so it is not a baseline.

Fail closed: when the service has other revisions but none can be the baseline
(nothing receives traffic, or a revision has no createTime to order it by), the
check is an ERROR. A service whose target is its only revision (or whose older
revisions never became Ready) has served nothing else: PASS, "nothing to compare".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from gate.checks.base import CheckType
from gate.checks.target import TARGET_PROPERTIES, Target, pick_container, resolve_target, target_errors
from gate.errors import MissingFactError
from gate.gcp import names
from gate.model import CheckSpec, Outcome

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.checks.revision_changes import Change
    from gate.context import AttemptContext
    from gate.gcp.facts_run import Container, Revision, Service

_PATTERNS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
SHOWN = 6  # change keys quoted in a summary


@dataclass(frozen=True)
class Baseline:
    revision: Revision
    how: str
    traffic: Mapping[str, int]  # percent per revision now (short names)


def traffic_shares(service: Service) -> dict[str, int]:
    """Percent of the service's traffic each revision (short name) receives now."""
    ready = names.last(service.latest_ready_revision) if service.latest_ready_revision else None
    shares: dict[str, int] = {}
    for t in service.traffic_statuses:
        # A LATEST entry follows the latest ready revision (run.v2 TrafficTargetAllocationType).
        name = t.revision or (ready if t.type.endswith("_LATEST") else None)
        if name:
            shares[name] = shares.get(name, 0) + t.percent
    return shares


def _ready(r: Revision) -> bool:
    c = r.condition("Ready")
    return c is not None and c.succeeded


class RevisionDiff(CheckType):
    name = "run.diff"
    summary = "What the revision being promoted changes against what serves now; losses fail (names only)."
    description = (
        "Compares the target revision (latest created by default, or `revision:` / `tag:`) with a "
        "baseline: `baseline:` when given, else the other revision receiving the most traffic "
        "now, else (when only the target receives traffic) the newest Ready revision created "
        "before it. Reports a table of changes, names only: env variables added, removed or "
        "emptied, literal <-> secret-backed switches, secret references and pinned versions; "
        "VPC access removed or changed (connector, Direct VPC network/subnetwork/tags, egress); "
        "Cloud SQL instances attached or detached; service account; min/max instances; CPU and "
        "memory limits; startup probe; image (by digest when the reference pins one); containers "
        "added or removed.\n\n"
        "Losses FAIL: an env variable removed or emptied, VPC access removed, a Cloud SQL "
        "instance detached, a container removed. Every other change is reported and passes, "
        "unless it matches a `fail_on` pattern. `allow` accepts intended changes (losses "
        "included). Patterns are shell-style and match the table's `change` column: "
        "`env:LEGACY_*`, `vpc`, `cloudsql:*`, `image`, `otel/env:*` (a container other than the "
        "ingress one). For a WARN on any change, add a second run.diff check with `severity: "
        'warn` and `fail_on: ["*"]`.\n\n'
        "No baseline: when the service has other revisions but no revision receives traffic "
        "(or one cannot be ordered by createTime), the check is an ERROR; when the target is the "
        "service's only revision (or no earlier one ever became Ready), it passes with 'nothing "
        "to compare'. Literal values are never shown; they are only told apart as set or empty."
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["service"],
        "properties": {
            "service": TARGET_PROPERTIES["service"],
            "revision": TARGET_PROPERTIES["revision"],
            "tag": TARGET_PROPERTIES["tag"],
            "baseline": {
                "type": "string",
                "minLength": 1,
                "description": "Compare with this revision instead of the one serving the most traffic.",
            },
            "allow": {**_PATTERNS, "description": "Intended changes, by change key (shell-style patterns)."},
            "fail_on": {
                **_PATTERNS,
                "description": "Changes that fail like losses, by change key (shell-style patterns).",
            },
        },
    }
    example = {
        "id": "backend-diff",
        "type": "run.diff",
        "with": {
            "service": "netra-backend-staging",
            "allow": ["env:LEGACY_*"],
            "fail_on": ["service_account", "vpc.*"],
        },
    }
    apis = ("run",)

    def __init__(self, spec: CheckSpec) -> None:
        super().__init__(spec)
        self.allow = [str(p) for p in self.params.get("allow") or []]
        self.fail_on = [str(p) for p in self.params.get("fail_on") or []]

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        errors = target_errors(params)
        base, rev = params.get("baseline"), params.get("revision")
        if isinstance(base, str) and isinstance(rev, str) and names.last(base) == names.last(rev):
            errors.append(("baseline", "the baseline is the revision being judged; name another one"))
        return errors

    def attempt(self, ctx: AttemptContext) -> Outcome:
        from gate.checks.revision_changes import compare

        target = resolve_target(ctx, self.params)
        base = self._baseline(ctx, target)
        if isinstance(base, Outcome):
            return base
        changes = compare(base.revision, target.revision, ingress=_ingress, project=ctx.project)
        return self._judge(ctx, target, base, changes)

    # -- the baseline ------------------------------------------------------------------

    def _baseline(self, ctx: AttemptContext, target: Target) -> Baseline | Outcome:
        run, fresh = ctx.cloud.run, ctx.attempt > 1
        service, rev = target.service, target.revision
        shares = traffic_shares(service)
        traffic = {k: shares[k] for k in sorted(shares)}
        evidence: dict[str, Any] = {**target.evidence, "traffic": traffic}
        if self.params.get("baseline"):
            named = run.revision(
                str(self.params["baseline"]), service.name, deadline=ctx.deadline, fresh=fresh
            )
            if named.name == rev.name:
                return Outcome.error(
                    f"the baseline {named.short_name} is the revision being judged",
                    evidence=evidence,
                    final=True,
                )
            return Baseline(named, "revision named in the policy", traffic)
        others = {n: p for n, p in shares.items() if n != rev.short_name and p > 0}
        if others:
            # Most traffic first; on a tie the later name (revision names carry a generation).
            name = max(others, key=lambda n: (others[n], n))
            found = run.revision(name, service.name, deadline=ctx.deadline, fresh=fresh)
            return Baseline(found, f"serving {others[name]}% of traffic", traffic)
        earlier = [
            r for r in run.revisions(service.name, deadline=ctx.deadline, fresh=fresh) if r.name != rev.name
        ]
        if not earlier:
            return Outcome.passed(
                f"{rev.short_name} is the first revision of {service.short_name}: nothing to compare",
                evidence=evidence,
            )
        if shares.get(rev.short_name, 0) <= 0:
            return Outcome.error(
                f"no revision of {service.short_name} receives traffic, so what serves now is unknown "
                f"({len(earlier)} other revision(s)); name the baseline with `baseline:`",
                evidence=evidence,
                remediation=f"gcloud run services describe {service.short_name} --region {ctx.region} "
                "--format 'value(status.traffic)'",
            )
        if rev.create_time is None:
            raise MissingFactError(f"{rev.name}: no createTime to find the revision that served before it")
        undated = [r.short_name for r in earlier if r.create_time is None]
        if undated:
            raise MissingFactError(f"revision(s) without createTime: {', '.join(sorted(undated))}")
        before = [r for r in earlier if r.create_time is not None and r.create_time <= rev.create_time]
        served = [r for r in before if _ready(r)]
        if not served:
            return Outcome.passed(
                f"no revision of {service.short_name} created before {rev.short_name} ever became Ready: "
                "nothing served before it, nothing to compare",
                evidence=evidence,
            )
        found = max(served, key=lambda r: (r.create_time, r.name))
        share = shares.get(rev.short_name, 0)
        return Baseline(
            found,
            f"the newest earlier Ready revision; the target has {share}% of traffic",
            traffic,
        )

    # -- the verdict -------------------------------------------------------------------

    def _effect(self, c: Change) -> str:
        if any(fnmatchcase(c.key, p) for p in self.allow):
            return "allowed"
        if c.loss:
            return "loss"
        if any(fnmatchcase(c.key, p) for p in self.fail_on):
            return "fail_on"
        return "reported"

    def _judge(self, ctx: AttemptContext, target: Target, base: Baseline, changes: list[Change]) -> Outcome:
        rev, service = target.revision, target.service.short_name
        rows = [
            {"change": c.key, "kind": c.kind, "before": c.before, "after": c.after, "effect": self._effect(c)}
            for c in changes
        ]
        evidence: dict[str, Any] = {
            **target.evidence,
            "baseline": base.revision.short_name,
            "baseline_selected_as": base.how,
            "traffic": dict(base.traffic),
            "changes": rows,
            "table": _table(rows),
        }
        against = f"{rev.short_name} against baseline {base.revision.short_name} ({base.how})"
        blocking = [r for r in rows if r["effect"] in ("loss", "fail_on")]
        if blocking:
            listed = _listed(blocking)
            others = len(rows) - len(blocking)
            more = f"; {others} other change(s) reported" if others else ""
            losses = sum(1 for r in blocking if r["effect"] == "loss")
            what = f"{losses} loss(es)" if losses == len(blocking) else f"{len(blocking)} blocking change(s)"
            return Outcome.failed(
                f"{what} in {against}: {listed}{more}",
                evidence=evidence,
                remediation=_remediation(ctx, service, blocking),
                # A revision's configuration never changes: a new deploy is the fix.
                final=True,
            )
        if not rows:
            return Outcome.passed(f"no change in {against}", evidence=evidence)
        allowed = sum(1 for r in rows if r["effect"] == "allowed")
        note = f", {allowed} allowed" if allowed else ""
        return Outcome.passed(
            f"{len(rows)} change(s) in {against}, none blocking{note}: {_listed(rows)}", evidence=evidence
        )


def _ingress(revision: Revision) -> Container:
    return pick_container(revision, None)


def _listed(rows: list[dict[str, str]]) -> str:
    shown = ", ".join(f"{r['change']} {r['kind']}" for r in rows[:SHOWN])
    return shown + (f" (+{len(rows) - SHOWN} more)" if len(rows) > SHOWN else "")


def _table(rows: list[dict[str, str]]) -> list[str]:
    """The changes as aligned text lines: every report format shows a list of strings as is."""
    if not rows:
        return []
    head = {"effect": "effect", "change": "change", "kind": "kind"}
    width = {k: max(len(str(r[k])) for r in [head, *rows]) for k in head}

    def line(r: dict[str, str], before_after: str) -> str:
        cells = [str(r[k]).ljust(width[k]) for k in ("effect", "change", "kind")]
        return "  ".join([*cells, before_after]).rstrip()

    return [line(head, "before -> after")] + [line(r, f"{r['before']} -> {r['after']}") for r in rows]


def _remediation(ctx: AttemptContext, service: str, rows: list[dict[str, str]]) -> str:
    keys = [r["change"] for r in rows]
    hints = []
    if any(k.startswith("env:") or "/env:" in k for k in keys):
        hints.append("--update-env-vars NAME=VALUE or --update-secrets NAME=SECRET_NAME:VERSION")
    if any(k == "vpc" or k.startswith("vpc.") for k in keys):
        hints.append("--vpc-connector CONNECTOR or --network/--subnet (Direct VPC egress)")
    if any(k.startswith("cloudsql:") for k in keys):
        hints.append("--add-cloudsql-instances PROJECT:REGION:INSTANCE")
    how = f" ({'; '.join(hints)})" if hints else ""
    example = ", ".join(f'"{k}"' for k in keys[:3])
    return (
        f"Restore what the new revision lost and deploy again: gcloud run services update {service} "
        f"--region {ctx.region}{how}. If the change is intended, accept it in the policy: "
        f"allow: [{example}]."
    )
