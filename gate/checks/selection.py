"""Which revision a check of a service judges: its own ``revision:``/``tag:``, else the run's target.

Precedence, most specific first: a check's own parameter (written for that one
check), then ``gate check --tag/--revision`` (what this pipeline run deployed),
then the policy's ``target:``, then the service's latest created revision.
The CLI and the policy are merged into ``RunContext.target`` by the runner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gate.model import DeployTarget


@dataclass(frozen=True)
class Selection:
    revision: str | None  # a named revision
    tag: str | None  # the revision behind this traffic tag
    how: str  # for evidence: "latest created revision", "revision behind tag 'candidate' (--tag)"

    @property
    def default(self) -> bool:
        return self.revision is None and self.tag is None


def select(target: DeployTarget | None, params: Mapping[str, Any]) -> Selection:
    if params.get("revision"):
        return Selection(str(params["revision"]), None, "revision named in the policy")
    if params.get("tag"):
        tag = str(params["tag"])
        return Selection(None, tag, f"revision behind tag '{tag}'")
    service = str(params.get("service", ""))
    if target is not None and service and target.applies_to(service):
        origin = f" ({target.source})" if target.source else ""
        if target.revision:
            return Selection(target.revision, None, f"revision {target.revision}{origin}")
        if target.tag:
            return Selection(None, target.tag, f"revision behind tag '{target.tag}'{origin}")
    return Selection(None, None, "latest created revision")


def follows(target: DeployTarget, params: Mapping[str, Any]) -> bool:
    """Whether a check with these parameters takes its revision from ``target``."""
    conn = params.get("connected_from")
    own = conn if isinstance(conn, Mapping) else params
    service = own.get("service")
    return (
        isinstance(service, str)
        and not own.get("revision")
        and not own.get("tag")
        and target.applies_to(service)
    )
