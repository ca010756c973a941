"""Resource names: accept short names, full names and Compute self links alike."""

from __future__ import annotations

import re

_COMPUTE_LINK = re.compile(
    r"^(?:https?://[^/]+/compute/(?:v1|beta|alpha)/)?(?:projects/(?P<project>[^/]+)/)?"
)


def full(name: str, parent: str, collection: str) -> str:
    """``projects/p/locations/r/services/x`` from ``x`` or from the full name itself."""
    if name.startswith("projects/"):
        return name
    if "/" in name:
        raise ValueError(f"{name!r} is neither a short name nor a full resource name")
    return f"{parent}/{collection}/{name}"


def last(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def segment(name: str, collection: str) -> str | None:
    """The id after ``collection/`` in ``name`` (``projects/p/locations/r`` -> r for "locations")."""
    parts = name.split("/")
    for i, part in enumerate(parts[:-1]):
        if part == collection:
            return parts[i + 1]
    return None


def compute_ref(ref: str, default_project: str) -> tuple[str, str]:
    """(project, name) of a Compute network/subnetwork/... given a self link, a path or a name."""
    m = _COMPUTE_LINK.match(ref)
    project = (m.group("project") if m else None) or default_project
    return project, last(ref)
