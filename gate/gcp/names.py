"""Resource names: accept short names, full names and Compute self links alike."""

from __future__ import annotations

import re

# What may stand before "projects/P/..." in a Compute reference, in the forms Google documents:
# a self link (https://www.googleapis.com/compute/v1/, https://compute.googleapis.com/compute/beta/),
# a full resource name (//compute.googleapis.com/), or the leading slash Cloud SQL writes in
# settings.ipConfiguration.privateNetwork ("/projects/myProject/global/networks/default").
_COMPUTE_PREFIX = re.compile(
    r"^(?:(?:https?:)?//[^/]+/)?(?:compute/(?:v1|beta|alpha|staging_v1)/)?/*",
)
_PROJECT = re.compile(r"^projects/(?P<project>[^/]+)(?:/|$)")


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
    """(project, name) of a Compute network/subnetwork/... in any documented form.

    Full URL, ``//compute.googleapis.com/projects/P/...``, ``projects/P/global/networks/N``,
    ``/projects/P/global/networks/N`` (Cloud SQL's privateNetwork), ``global/networks/N`` and
    the bare name ``N``. The project is kept whenever the reference names one: a Shared VPC
    network lives in its host project, not in the project that uses it.
    """
    path = _COMPUTE_PREFIX.sub("", ref.strip())
    m = _PROJECT.match(path)
    project = m.group("project") if m else default_project
    return project, last(path)


def network_name(ref: str, default_project: str) -> str:
    """``projects/P/global/networks/N`` for a network reference in any form of :func:`compute_ref`."""
    project, name = compute_ref(ref, default_project)
    return f"projects/{project}/global/networks/{name}"
