"""Which message type and resource-name form each world section holds.

Message classes are imported lazily and only when a world actually has that
section, from their own ``types`` module (``gate.narrow_import``: the package
``google.cloud.compute_v1`` whole costs about a second).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gate.narrow_import import import_attr


@dataclass(frozen=True)
class Kind:
    section: str
    key: str
    message: str  # "module:Class" (proto-plus) or a zero-argument factory name in log_entry
    name_field: str  # field that identifies the resource
    name_pattern: str  # regex the identifying field must match ("" = any non-empty string)
    example: str

    def message_class(self) -> Any:
        cls = import_attr(self.message)
        if self.message.startswith("gate.emulator.log_entry:"):
            return cls()
        return cls.pb()


_LOC = r"projects/[^/]+/locations/[^/]+"
_COMPUTE = "google.cloud.compute_v1.types.compute:"

KINDS: tuple[Kind, ...] = (
    Kind(
        "run",
        "services",
        "google.cloud.run_v2.types.service:Service",
        "name",
        rf"^{_LOC}/services/[^/]+$",
        "projects/netra-staging/locations/us-central1/services/netra-backend-staging",
    ),
    Kind(
        "run",
        "revisions",
        "google.cloud.run_v2.types.revision:Revision",
        "name",
        rf"^{_LOC}/services/[^/]+/revisions/[^/]+$",
        "projects/netra-staging/locations/us-central1/services/netra-backend-staging/revisions/"
        "netra-backend-staging-00042-abc",
    ),
    Kind(
        "vpcaccess",
        "connectors",
        "google.cloud.vpcaccess_v1.types.vpc_access:Connector",
        "name",
        rf"^{_LOC}/connectors/[^/]+$",
        "projects/netra-staging/locations/us-central1/connectors/staging-connector",
    ),
    Kind(
        "redis",
        "instances",
        "google.cloud.redis_v1.types.cloud_redis:Instance",
        "name",
        rf"^{_LOC}/instances/[^/]+$",
        "projects/netra-staging/locations/us-central1/instances/staging-redis-f1adc35c",
    ),
    Kind(
        "sqladmin",
        "instances",
        "google.cloud.sqladmin_v1beta4.types.cloud_sql_resources:DatabaseInstance",
        "name",
        r"^[a-z][-a-z0-9]*$",
        "staging-shared-postgres",
    ),
    Kind(
        "sqladmin",
        "tiers",
        "google.cloud.sqladmin_v1beta4.types.cloud_sql_tiers:Tier",
        "tier",
        "",
        "db-custom-2-7680",
    ),
    Kind("compute", "networks", _COMPUTE + "Network", "name", "", "staging-vpc"),
    Kind("compute", "subnetworks", _COMPUTE + "Subnetwork", "name", "", "staging-subnet"),
    Kind("compute", "firewalls", _COMPUTE + "Firewall", "name", "", "allow-connector-to-redis"),
    Kind(
        "compute",
        "firewallPolicies",
        _COMPUTE + "FirewallPolicy",
        "name",
        "",
        "staging-egress-policy",
    ),
    Kind("compute", "routes", _COMPUTE + "Route", "name", "", "default-route"),
    Kind(
        "compute",
        "addresses",
        _COMPUTE + "Address",
        "name",
        "",
        "google-managed-services-staging-vpc",
    ),
    Kind(
        "secretmanager",
        "secrets",
        "google.cloud.secretmanager_v1.types.resources:Secret",
        "name",
        r"^projects/[^/]+/secrets/[^/]+$",
        "projects/netra-staging/secrets/jwt-secret-key-staging",
    ),
    Kind(
        "secretmanager",
        "versions",
        "google.cloud.secretmanager_v1.types.resources:SecretVersion",
        "name",
        r"^projects/[^/]+/secrets/[^/]+/versions/[0-9]+$",
        "projects/netra-staging/secrets/jwt-secret-key-staging/versions/3",
    ),
    Kind(
        "logging",
        "entries",
        "gate.emulator.log_entry:log_entry_class",
        "logName",
        r"^projects/[^/]+/logs/[^/]+$",
        "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
    ),
)

# Compute's JSON enums are plain strings in the client library's messages (and some of its
# Enum classes are incomplete), so the values gate judges are checked against the compute v1
# discovery document's lists here. Paths: dotted camelCase, "[]" for each list item.
_NETWORK_TYPES = ("INTERNET", "INTRA_VPC", "NON_INTERNET", "UNSPECIFIED", "VPC_NETWORKS")
COMPUTE_ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "networks": {
        "networkFirewallPolicyEnforcementOrder": ("AFTER_CLASSIC_FIREWALL", "BEFORE_CLASSIC_FIREWALL")
    },
    "firewalls": {"direction": ("EGRESS", "INGRESS")},
    "firewallPolicies": {
        "rules[].direction": ("EGRESS", "INGRESS"),
        # FirewallPolicyRule.action: "Valid actions for firewall rules are: allow, deny,
        # apply_security_profile_group and goto_next".
        "rules[].action": ("allow", "deny", "apply_security_profile_group", "goto_next"),
        "rules[].targetType": ("INSTANCES", "INTERNAL_MANAGED_LB"),
        "rules[].targetSecureTags[].state": ("EFFECTIVE", "INEFFECTIVE"),
        "rules[].match.destNetworkType": _NETWORK_TYPES,
        "rules[].match.destNetworkContext": _NETWORK_TYPES,
        "rules[].match.srcNetworkType": _NETWORK_TYPES,
        "rules[].match.srcNetworkContext": _NETWORK_TYPES,
        "policyType": ("RDMA_ROCE_POLICY", "ULL_POLICY", "VPC_POLICY"),
    },
}

SECTIONS: dict[str, dict[str, Kind]] = {}
for _k in KINDS:
    SECTIONS.setdefault(_k.section, {})[_k.key] = _k
SECTIONS["networkmanagement"] = {}  # "results" has its own shape, checked in world.py
SECTIONS["monitoring"] = {}  # "timeSeries" with relative times, checked in timeseries.py


def matcher(kind: Kind) -> Callable[[str], bool]:
    rx = re.compile(kind.name_pattern) if kind.name_pattern else None
    return lambda v: bool(v) and (rx is None or bool(rx.match(v)))
