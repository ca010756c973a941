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


def scaled(shares: Mapping[str, int]) -> dict[str, int]:
    """Integer percentages proportional to ``shares`` that add up to 100 (largest remainder)."""
    total = sum(shares.values())
    exact = {k: v * 100 / total for k, v in shares.items()}
    out = {k: int(v) for k, v in exact.items()}
    # gcloud's precedence: biggest loss first, then the smaller share, then the name.
    order = sorted(exact, key=lambda k: (-(exact[k] - out[k]), exact[k], k))
    for k in order[: 100 - sum(out.values())]:
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
