"""World ``compute.firewallPolicies`` rebuilt from ``getEffectiveFirewalls`` answers.

Used by ``gate replay`` (recorded answers) and ``gate snapshot`` (live answers):
the effective answer is what Compute reports for one network (and region); the
world needs the policies that produce it. Hierarchical policies become policies
under ``organizations/0`` (the world is one project in that hierarchy); network
policies are associated with the network they were read for, with their
association priority; regional ones keep their region. System policies cannot
be written in a world and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

COMPUTE = "https://www.googleapis.com/compute/v1"
ORG = "organizations/0"
WRITABLE = ("HIERARCHY", "NETWORK", "NETWORK_REGIONAL")


def from_effective(
    project: str, region: str | None, network: str, body: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The world policies behind one effective-firewalls answer (JSON, camelCase)."""
    out: list[dict[str, Any]] = []
    for p in body.get("firewallPolicys") or []:
        if not isinstance(p, dict) or p.get("type") not in WRITABLE:
            continue
        policy: dict[str, Any] = {k: p[k] for k in ("name", "shortName", "displayName", "rules") if k in p}
        if p["type"] == "HIERARCHY":
            policy["parent"] = ORG
            policy["associations"] = [{"name": "effective", "attachmentTarget": ORG}]
        else:
            target = f"{COMPUTE}/projects/{project}/global/networks/{network}"
            association = {"name": f"effective-{network}", "attachmentTarget": target}
            if "priority" in p:
                association["priority"] = p["priority"]
            policy["associations"] = [association]
            if p["type"] == "NETWORK_REGIONAL" and region:
                policy["region"] = f"{COMPUTE}/projects/{project}/regions/{region}"
        out.append(policy)
    return out


def merge(policies: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per policy name; associations of the same policy read for several networks joined."""
    by_name: dict[str, dict[str, Any]] = {}
    for p in policies:
        name = str(p.get("name"))
        seen = by_name.get(name)
        if seen is None:
            by_name[name] = {**p, "associations": list(p.get("associations") or [])}
            continue
        targets = {a.get("attachmentTarget") for a in seen["associations"]}
        for a in p.get("associations") or []:
            if a.get("attachmentTarget") not in targets:
                seen["associations"].append(a)
    return [by_name[n] for n in sorted(by_name)]
