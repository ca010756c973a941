"""Which Cloud Run revision a check judges: the one being promoted.

Shared by run.revision, run.env, sql.instance (``connected_from``), logs.boot
and network.reachability, so every check of a policy looks at the same
revision. The default is the service's *latest created* revision (what a deploy
just made), not whatever still serves traffic: judging the serving revision
would pass a broken deploy whose old revision keeps answering (S1, S2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.errors import MissingFactError, NotFoundError

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.context import AttemptContext
    from gate.gcp.facts_run import Container, Revision, Service, TrafficStatus, TrafficTarget

#: JSON Schema properties every revision-targeting check accepts (merge into your own).
TARGET_PROPERTIES: dict[str, Any] = {
    "service": {
        "type": "string",
        "minLength": 1,
        "description": "Cloud Run service: short name or projects/P/locations/R/services/S.",
    },
    "revision": {
        "type": "string",
        "minLength": 1,
        "description": "Judge this revision instead of the latest created one.",
    },
    "tag": {
        "type": "string",
        "minLength": 1,
        "description": "Judge the revision behind this traffic tag (e.g. candidate).",
    },
    "container": {
        "type": "string",
        "minLength": 1,
        "description": "Container name; default the ingress container (the one that declares ports).",
    },
}


@dataclass(frozen=True)
class Target:
    service: Service
    revision: Revision
    how: str  # "latest created revision", "revision named in the policy", "revision behind tag 'x'"

    @property
    def evidence(self) -> dict[str, str]:
        return {
            "service": self.service.short_name,
            "revision": self.revision.short_name,
            "selected_as": self.how,
        }


def target_errors(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """semantic_errors helper: ``revision`` and ``tag`` both name a revision; allow one."""
    if params.get("revision") and params.get("tag"):
        return [("tag", "give either revision or tag, not both")]
    return []


def resolve_target(ctx: AttemptContext, params: Mapping[str, Any]) -> Target:
    """Read the service (re-read on later attempts) and the revision the params select."""
    from gate.checks.selection import select

    run = ctx.cloud.run
    fresh = ctx.attempt > 1
    service: Service = run.service(str(params["service"]), deadline=ctx.deadline, fresh=fresh)
    chosen = select(ctx.run.target, params)  # own revision/tag > --tag/--revision > target: > latest
    if chosen.revision:
        name = chosen.revision
    elif chosen.tag:
        name = tagged_revision(service, chosen.tag)
    else:
        if not service.latest_created_revision:
            raise MissingFactError(f"{service.name}: the service has no latestCreatedRevision")
        name = service.latest_created_revision
    revision: Revision = run.revision(name, service.name, deadline=ctx.deadline, fresh=fresh)
    return Target(service, revision, chosen.how)


def tagged_revision(service: Service, tag: str) -> str:
    """The revision a traffic tag names. The spec first: it is what the deploy asked for, while
    trafficStatuses keep the last serving state when reconciliation failed (Service.reconciling in
    the run.v2 reference), i.e. a tag moved to a revision that never became Ready still shows the
    old one there. Statuses only for a tag the spec does not list."""
    entries: list[TrafficStatus | TrafficTarget] = [*service.traffic, *service.traffic_statuses]
    for t in entries:
        if t.tag != tag:
            continue
        if t.revision:
            return t.revision
        if t.type.endswith("_LATEST"):
            # A tag on LATEST follows the latest *ready* revision.
            if not service.latest_ready_revision:
                raise MissingFactError(f"{service.name}: tag '{tag}' follows LATEST but no revision is ready")
            return service.latest_ready_revision
    existing = sorted({t.tag for t in entries if t.tag})
    listed = ", ".join(existing) if existing else "none"
    raise NotFoundError(
        "run",
        f"service {service.short_name} has no traffic tag '{tag}' (existing tags: {listed})",
        code=404,
        status="NOT_FOUND",
        resource=f"{service.name} tag {tag}",
    )


def pick_container(revision: Revision, name: str | None) -> Container:
    """The named container, or the revision's ingress container (see :func:`choose_container`)."""
    return choose_container(revision, name)[0]


def choose_container(revision: Revision, name: str | None) -> tuple[Container, str]:
    """The container a check judges, and why it was chosen (for the evidence).

    Default: the ingress container. Cloud Run Admin v2 (``Container.ports``): in a
    multi-container revision exactly one container declares ``ports`` and receives
    the requests; sidecars declare none and may be listed in any position, often
    first. A single container is the ingress container with or without ``ports``.
    """
    if not revision.containers:
        raise MissingFactError(f"{revision.name}: the revision has no containers")
    if name:
        for c in revision.containers:
            if c.name == name:
                return c, "named in the policy (container:)"
        names = ", ".join(c.name or "(unnamed)" for c in revision.containers)
        raise NotFoundError(
            "run",
            f"revision {revision.short_name} has no container '{name}' (containers: {names})",
            code=404,
            status="NOT_FOUND",
            resource=f"{revision.name} container {name}",
        )
    if len(revision.containers) == 1:
        return revision.containers[0], "the revision's only container (the ingress container)"
    ingress = [c for c in revision.containers if c.ports]
    if len(ingress) == 1:
        c = ingress[0]
        return c, (
            f"the ingress container: the only one of {len(revision.containers)} containers that "
            "declares ports"
        )
    names = ", ".join(c.name or "(unnamed)" for c in (ingress or revision.containers))
    how = f"{len(ingress)} declare ports ({names})" if ingress else f"none of {names} declares ports"
    raise MissingFactError(
        f"{revision.name}: cannot tell the ingress container of {len(revision.containers)} containers: "
        f"{how} (Cloud Run requires exactly one); name one with container:"
    )
