"""The URL that reaches the revision being judged, for http.health and websocket.golden_path.

A probe proves something about a revision only if every request reaches it:

- the revision behind a tag is reached through the tag's own URL,
  ``trafficStatuses[].uri`` (TrafficTargetStatus.uri in the run.v2 reference),
  ``https://TAG---SERVICE-HASH-REGION.a.run.app``, which routes to that
  revision alone, whatever the split;
- any other revision through the service URL only when it receives 100% of
  that URL's traffic, else through a tag that points at it, else not at all
  (ERROR: an answer from another revision would prove nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gate.checks.selection import select
from gate.checks.target import tagged_revision
from gate.errors import NotFoundError
from gate.model import Outcome

if TYPE_CHECKING:
    from gate.context import AttemptContext
    from gate.gcp.facts_run import Service


def _short(name: str | None) -> str:
    return (name or "").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ProbeBase:
    url: str  # scheme://host of the URL to probe (the service's or a tag's)
    service_uri: str  # the service's main URL (the ID-token audience)
    evidence: Mapping[str, Any] = field(default_factory=dict)


def url_share(service: Service, revision: str) -> int:
    """Percent of the service URL's traffic that reaches ``revision`` now (trafficStatuses)."""
    ready = _short(service.latest_ready_revision)
    share = 0
    for t in service.traffic_statuses:
        rev = _short(t.revision) or (ready if t.type.endswith("_LATEST") else "")
        if rev == revision:
            share += t.percent
    return share


def probe_base(ctx: AttemptContext, name: str, params: Mapping[str, Any]) -> ProbeBase | Outcome:
    """Where to send a probe of service ``name`` so that it reaches the revision being judged."""
    svc = ctx.cloud.run.service(name, deadline=ctx.deadline, fresh=ctx.attempt > 1)
    chosen = select(ctx.run.target, {**params, "service": name})
    evidence: dict[str, Any] = {"service": svc.short_name, "selected_as": chosen.how}
    if chosen.tag:
        return _through_tag(svc, chosen.tag, evidence)
    if chosen.revision:
        revision = _short(chosen.revision)
    else:
        revision = _short(svc.latest_created_revision)
        if not revision:
            return Outcome.error(f"{svc.name}: the service has no latestCreatedRevision", evidence=evidence)
    evidence["revision"] = revision
    share = url_share(svc, revision)
    if share >= 100:
        if not svc.uri:
            return _no_url(svc, evidence)
        return ProbeBase(svc.uri, svc.uri, evidence)
    tagged = [t for t in svc.traffic_statuses if _short(t.revision) == revision and t.tag and t.uri]
    if tagged:
        evidence["tag"] = tagged[0].tag
        return ProbeBase(str(tagged[0].uri), svc.uri or str(tagged[0].uri), evidence)
    return Outcome.error(
        f"the revision being judged, {revision}, receives {share}% of {svc.short_name}'s traffic and "
        "has no tag URL, so a probe of the service URL would be answered by another revision; deploy "
        "it with a tag (gcloud run deploy --no-traffic --tag candidate) and judge it with "
        "--tag candidate (or `target: {tag: candidate}`)",
        evidence=evidence,
        final=True,
    )


def _through_tag(svc: Service, tag: str, evidence: dict[str, Any]) -> ProbeBase | Outcome:
    evidence["tag"] = tag
    try:
        wanted = _short(tagged_revision(svc, tag))
    except NotFoundError as e:
        known = sorted({t.tag for t in svc.traffic if t.tag} | {t.tag for t in svc.traffic_statuses if t.tag})
        evidence["tags"] = known
        return Outcome.failed(
            e.detail,
            evidence=evidence,
            remediation="Deploy the candidate with --tag, or fix the tag (the policy, or gate check --tag).",
        )
    evidence["revision"] = wanted
    status = next((t for t in svc.traffic_statuses if t.tag == tag), None)
    if status is None or not status.uri:
        return Outcome.failed(
            f"tag '{tag}' of {svc.short_name} has no URL: its revision {wanted} is not serving "
            "(trafficStatuses do not list the tag; is the revision Ready?)",
            evidence=evidence,
            remediation="Read the revision's conditions and boot log; a revision that never became "
            "Ready gets no tag URL.",
        )
    routed = _short(status.revision) or _short(svc.latest_ready_revision)
    if routed and routed != wanted:
        evidence["routes_to"] = routed
        return Outcome.error(
            f"tag '{tag}' URL still routes to {routed}, not to {wanted} that the service's traffic names "
            "(the service has not finished reconciling, or it failed): probing it would judge the wrong "
            "revision",
            evidence=evidence,
        )
    return ProbeBase(str(status.uri), svc.uri or str(status.uri), evidence)


def _no_url(svc: Service, evidence: dict[str, Any]) -> Outcome:
    return Outcome.failed(
        f"Cloud Run service {svc.short_name} has no URL yet",
        evidence=evidence,
        remediation="The service has not served yet; wait for its revision to become ready.",
    )
