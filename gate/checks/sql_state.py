"""Is a Cloud SQL instance serving? One answer for ``sql.instance`` and the reachability hop.

Cloud SQL Admin v1beta4 (discovery document, ``DatabaseInstance.state`` and
``Settings.activationPolicy``):

- ``state: RUNNABLE`` is documented as "The instance is running, **or has been
  stopped by owner**": RUNNABLE alone does not prove the instance is up.
- ``settings.activationPolicy`` "is applicable only when the instance state is
  RUNNABLE": ``ALWAYS`` "The instance is on, and remains so even in the absence
  of connection requests"; ``NEVER`` "The instance is off; it is not activated,
  even if a connection request arrives"; ``ON_DEMAND`` (first generation only,
  deprecated) "The instance starts upon receiving requests".

So only RUNNABLE with ALWAYS serves. Every value of both enums is decided here
explicitly; a value gate does not know (a newer API's) is an ERROR, never a pass.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Serving(enum.Enum):
    YES = "serving"
    NO = "not serving"  # FAIL
    UNKNOWN = "cannot tell"  # ERROR


# state -> (polled, why) for the states that do not serve; None = RUNNABLE (see activation).
STATES: dict[str, tuple[bool, str] | None] = {
    "RUNNABLE": None,
    "PENDING_CREATE": (True, "the instance is being created"),
    "MAINTENANCE": (True, "the instance is down for maintenance"),
    "ONLINE_MAINTENANCE": (True, "the instance is in (deprecated) online maintenance"),
    "REPAIRING": (True, "the instance (a read pool node) needs repair; the database might be unavailable"),
    "SUSPENDED": (False, "the instance is suspended (for example for billing problems)"),
    "FAILED": (False, "the instance failed (creation failed or a fatal error during maintenance)"),
    "PENDING_DELETE": (False, "the instance is being deleted"),
}
ACTIVATION = ("ALWAYS", "NEVER", "ON_DEMAND")


@dataclass(frozen=True)
class SqlServing:
    serving: Serving
    detail: str  # "RUNNABLE, activationPolicy ALWAYS" / why it does not serve
    remediation: str = ""
    final: bool = True  # for NO: whether polling could change it

    @property
    def ok(self) -> bool:
        return self.serving is Serving.YES


def judge(name: str, project: str, state: str, activation_policy: str | None) -> SqlServing:
    """Whether instance ``name`` (in ``project``) serves, from its state and activation policy."""
    describe = f"gcloud sql instances describe {name} --project {project}"
    if state not in STATES:
        return SqlServing(
            Serving.UNKNOWN,
            f"state {state} is not one gate knows (Cloud SQL Admin v1beta4 documents "
            f"{', '.join(STATES)}): cannot tell whether the instance serves",
            describe,
        )
    transient = STATES[state]
    if transient is not None:
        polled, why = transient
        return SqlServing(Serving.NO, f"{state}, not RUNNABLE: {why}", describe, final=not polled)
    start = f"Start it: gcloud sql instances patch {name} --project {project} --activation-policy=ALWAYS"
    if activation_policy == "ALWAYS":
        return SqlServing(Serving.YES, "RUNNABLE, activationPolicy ALWAYS")
    if activation_policy == "NEVER":
        return SqlServing(
            Serving.NO,
            "stopped: state RUNNABLE but settings.activationPolicy NEVER (the instance is off and "
            "does not start on a connection request)",
            start,
        )
    if activation_policy == "ON_DEMAND":
        return SqlServing(
            Serving.UNKNOWN,
            "settings.activationPolicy ON_DEMAND (deprecated, first generation only): the instance "
            "starts only when a request arrives, so gate cannot prove it is up",
            start,
        )
    shown = activation_policy or "absent"
    return SqlServing(
        Serving.UNKNOWN,
        f"state RUNNABLE but settings.activationPolicy is {shown} (documented: {', '.join(ACTIVATION)}): "
        "RUNNABLE also covers an instance stopped by its owner, so gate cannot tell whether it is on",
        describe,
    )
