"""Traffic arithmetic for promotion and rollback: pure functions over a service's traffic.

Promotion computes what ``gcloud run services update-traffic SERVICE
--to-revisions REV=100`` sends. gcloud's TrafficTargets.UpdateTraffic
(googlecloudsdk/api_lib/run/traffic.py) normalises the list first: every
target with a percent becomes one untagged target per revision (LATEST is a
key of its own), every tag becomes a zero-percent target for the same
revision (or LATEST), untagged zero-percent targets are dropped, and the new
percentages replace the old. So tags survive at 0% and keep their URLs
(``https://TAG---...``), while the traffic moves. The v2 API's
TrafficTarget has ``type`` (LATEST or REVISION), ``revision``, ``percent``
and ``tag``; LATEST "allocates to the Service's latest ready Revision".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from gate.model import TrafficEntry as Entry

if TYPE_CHECKING:
    from gate.gcp.facts_run import Revision, Service, TrafficStatus

LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"


def short(name: str | None) -> str:
    return (name or "").rsplit("/", 1)[-1]


def entries(service: Service) -> tuple[Entry, ...]:
    """The service's traffic spec; an empty spec means LATEST=100 (Service.traffic)."""
    out = tuple(
        Entry(None if t.type.endswith("_LATEST") else short(t.revision), t.percent, t.tag or None)
        for t in service.traffic
    )
    return out or (Entry(None, 100),)


def route_all_to(spec: Sequence[Entry], revision: str) -> tuple[Entry, ...]:
    """``--to-revisions REVISION=100``: one 100% target, every tag kept at 0%."""
    return _with_tags({revision: 100}, spec)


def _with_tags(percents: Mapping[str, int], spec: Sequence[Entry]) -> tuple[Entry, ...]:
    moved = [Entry(rev, pct) for rev, pct in percents.items() if pct > 0]
    tags = [Entry(e.revision, 0, e.tag) for e in spec if e.tag]
    return (*moved, *tags)


def resolved(e: Entry, latest_ready: str) -> str:
    return latest_ready if e.latest else str(e.revision)


def spec_share(spec: Iterable[Entry], revision: str, latest_ready: str) -> int:
    """Percent the spec sends to ``revision`` (LATEST resolved to the latest ready revision)."""
    return sum(e.percent for e in spec if resolved(e, latest_ready) == revision)


def serving(statuses: Iterable[TrafficStatus]) -> dict[str, int]:
    """Revision -> percent it receives now, from trafficStatuses (what the router does)."""
    out: dict[str, int] = {}
    for t in statuses:
        if t.revision and t.percent > 0:
            out[short(t.revision)] = out.get(short(t.revision), 0) + t.percent
    return out


def promotion_done(service: Service, revision: str) -> str | None:
    """How the spec already sends 100% to ``revision`` ("pinned", "through LATEST"), else None."""
    spec = entries(service)
    pinned = sum(e.percent for e in spec if e.revision == revision)
    if pinned == 100:
        return "pinned"
    if spec_share(spec, revision, short(service.latest_ready_revision)) == 100:
        return "through LATEST"
    return None


def exposed(service: Service, revision: str) -> int:
    """The most traffic ``revision`` receives or is set to receive (statuses or spec).

    A LATEST target counts when ``revision`` is the latest created one: LATEST
    follows the latest *ready* revision, so it takes that share as soon as it
    becomes Ready, even if it is not serving yet.
    """
    now = serving(service.traffic_statuses).get(revision, 0)
    spec = entries(service)
    pinned = sum(e.percent for e in spec if e.revision == revision)
    latest = sum(e.percent for e in spec if e.latest)
    if short(service.latest_created_revision) == revision or short(service.latest_ready_revision) == revision:
        pinned += latest
    return max(now, pinned)


def scaled(shares: Mapping[str, int], total: int = 100) -> dict[str, int]:
    """Integer percentages proportional to ``shares`` that add up to ``total`` (largest remainder)."""
    given = sum(shares.values())
    exact = {k: v * total / given for k, v in shares.items()}
    out = {k: int(v) for k, v in exact.items()}
    # gcloud's precedence: biggest loss first, then the smaller share, then the name.
    order = sorted(exact, key=lambda k: (-(exact[k] - out[k]), exact[k], k))
    for k in order[: total - sum(out.values())]:
        out[k] += 1
    return out


def previous(
    service: Service, revisions: Sequence[Revision], target: str
) -> tuple[dict[str, int], str] | None:
    """Where a rollback sends traffic, and why; None when there is nowhere to go.

    1. Revisions other than ``target`` that serve traffic now (trafficStatuses)
       keep serving, scaled up to 100%: the split as it was without the target
       (what ``--to-revisions TARGET=0`` does).
    2. Otherwise (the target took 100%, as a direct deploy does) the newest
       Ready revision created before the target.
    """
    others = {rev: pct for rev, pct in serving(service.traffic_statuses).items() if rev != target}
    if others:
        names = ", ".join(sorted(others))
        return scaled(others), f"the revision(s) serving besides {target}: {names}"
    by_name = {r.short_name: r for r in revisions}
    mine = by_name.get(target)
    candidates = [
        r
        for r in revisions
        if r.short_name != target
        and (ready := r.condition("Ready")) is not None
        and ready.succeeded
        and (mine is None or _older(r, mine))
    ]
    if not candidates:
        return None
    best = max(candidates, key=_age_key)
    return {best.short_name: 100}, f"the newest Ready revision created before {target}"


def _age_key(r: Revision) -> tuple[float, int, str]:
    created = r.create_time.timestamp() if r.create_time else 0.0
    return (created, _number(r.short_name), r.short_name)


def _older(r: Revision, than: Revision) -> bool:
    return _age_key(r) < _age_key(than)


def _number(name: str) -> int:
    """00042 in ``svc-00042-xq7``; 0 when the name has no such part."""
    parts = name.rsplit("-", 2)
    return int(parts[-2]) if len(parts) == 3 and parts[-2].isdigit() else 0


def rollback_to(spec: Sequence[Entry], percents: Mapping[str, int]) -> tuple[Entry, ...]:
    """The traffic a rollback sends: ``percents`` pinned by revision, every tag kept at 0%."""
    return _with_tags(percents, spec)


def to_revisions_arg(spec: Sequence[Entry]) -> str:
    """``--to-revisions`` (or ``--to-latest``) that recreates ``spec``'s percentages."""
    percents: dict[str, int] = {}
    for e in spec:
        if e.percent:
            key = "LATEST" if e.latest else str(e.revision)
            percents[key] = percents.get(key, 0) + e.percent
    if percents == {"LATEST": 100}:
        return "--to-latest"
    return "--to-revisions=" + ",".join(f"{k}={v}" for k, v in percents.items())


def share(service: Service, revision: str) -> int:
    """Percent the service's spec sends to ``revision`` (a LATEST target counts for the latest ready)."""
    return spec_share(entries(service), revision, short(service.latest_ready_revision))


def routed(service: Service, revision: str) -> int:
    """Percent ``revision`` receives now (trafficStatuses): what Cloud Run routes, not what was asked."""
    return serving(service.traffic_statuses).get(revision, 0)


def step_split(candidate: str, percent: int, baseline: Mapping[str, int]) -> dict[str, int]:
    """A rollout step: ``percent`` to the candidate, the rest over ``baseline`` in its proportions.

    ``baseline`` is the split the candidate's share is taken from (percentages of
    the revisions that served before, adding up to 100); the remainder is
    divided with the same largest-remainder rounding as :func:`scaled`.
    """
    others = {rev: pct for rev, pct in baseline.items() if rev != candidate and pct > 0}
    out = {candidate: percent}
    if percent < 100 and others:
        out.update(scaled(others, 100 - percent))
    return {rev: pct for rev, pct in out.items() if pct > 0}


def rollout_to(spec: Sequence[Entry], split: Mapping[str, int]) -> tuple[Entry, ...]:
    """The traffic a rollout step sends: ``split`` pinned by revision, every tag kept at 0%."""
    return _with_tags(split, spec)


def pinned(spec: Iterable[Entry]) -> dict[str, int]:
    """Revision -> percent of the spec's targets that name a revision (LATEST left out)."""
    out: dict[str, int] = {}
    for e in spec:
        if e.revision is not None and e.percent:
            out[e.revision] = out.get(e.revision, 0) + e.percent
    return out
