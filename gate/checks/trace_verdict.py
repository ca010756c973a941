"""What a Connectivity Test result proves, judged from its traces.

Network Management v1 (discovery document) documents that a ``REACHABLE``
result also covers an analysis that stopped early: "The analysis didn't complete
because the user lacks permission for some of the resources in the trace.
However, at the time the user's permission became insufficient, the trace had
been successful so far." Such a trace carries a step in state
``VIEWER_PERMISSION_MISSING`` ("viewer of the test result does not have
permission to see the configuration in this step"), and "each trace must end
with a final state (the last step)": ``DELIVER`` ("packet could be delivered"),
``DROP``, ``FORWARD`` ("forwarded to a network with an unknown configuration")
or ``ABORT``.

So REACHABLE is a pass only when every trace is complete and its last step
DELIVERs to the destination; anything else is "not proven" (ERROR).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.gcp.networkmanagement import Step, Trace

# ViewerPermissionMissingInfo.resourceTypes -> the permission that lets a viewer see it.
VIEWER_PERMISSIONS = {
    "FIREWALL": "compute.firewalls.list",
    "INSTANCE": "compute.instances.get",
    "FORWARDING_RULE": "compute.forwardingRules.get",
}
VIEWER_ROLE = "roles/compute.networkViewer"


@dataclass(frozen=True)
class TraceProblem:
    detail: str  # why the trace proves nothing
    permission: str = ""  # what to grant, when a permission is missing


def _where(i: int, step: Step) -> str:
    what = f" ({step.description})" if step.description else ""
    return f"step {i + 1} {step.state}{what}"


def _permission(step: Step) -> str:
    project = f" on project {step.project_id}" if step.project_id else ""
    perms = [VIEWER_PERMISSIONS[t] for t in step.missing if t in VIEWER_PERMISSIONS]
    listed = ", ".join(perms) if perms else "compute.firewalls.list, compute.instances.get, ..."
    return f"{VIEWER_ROLE} ({listed}){project}"


def incomplete(traces: Sequence[Trace], ip: ipaddress.IPv4Address) -> TraceProblem | None:
    """None when every trace is complete and delivers to ``ip``; else why REACHABLE is not proven."""
    if not traces:
        return TraceProblem("the analysis returned no trace, so nothing shows the packet delivered")
    for n, trace in enumerate(traces):
        label = f"trace {n + 1}" if len(traces) > 1 else "the trace"
        for i, step in enumerate(trace.steps):
            if step.state == "VIEWER_PERMISSION_MISSING":
                perm = _permission(step)
                return TraceProblem(
                    f"{label} is incomplete: {_where(i, step)}: the viewer lacks permission to see "
                    f"that configuration, so the analysis stopped there (missing: {perm})",
                    perm,
                )
        final = trace.final
        if final is None:
            return TraceProblem(f"{label} has no steps")
        last = len(trace.steps) - 1
        if final.state == "ABORT":
            perm = ""
            if final.cause.startswith("PERMISSION_DENIED") or final.missing:
                projects = ", ".join(final.missing) or "the projects on the path"
                perm = f"{VIEWER_ROLE} on {projects}"
            why = f": {final.cause}" if final.cause else ""
            return TraceProblem(
                f"{label} ends in {_where(last, final)}{why}: the analysis was aborted"
                + (f" (missing: {perm})" if perm else ""),
                perm,
            )
        if final.state != "DELIVER":
            return TraceProblem(
                f"{label} ends in {_where(last, final)}, not DELIVER: it never reaches a delivering step"
            )
        if final.ip_address and _differs(final.ip_address, ip):
            return TraceProblem(f"{label} delivers to {final.ip_address}, not to the destination {ip}")
    return None


def _differs(text: str, ip: ipaddress.IPv4Address) -> bool:
    try:
        return ipaddress.ip_address(text) != ip
    except ValueError:
        return True
