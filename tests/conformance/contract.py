"""The declared contract between gate and Google's APIs, each line checked by tests/conformance.

- ``CALLS``: every (api, label) gate passes to ``Transport.call`` / ``pages``, and the
  discovery method it is. The label is gate's name for the call (evidence, statistics);
  the method id is Google's.
- ``ROOTS``: provider functions whose message parameter no call inside the module
  can type (they are passed around as values): what they receive.
- ``UNTYPED``: attribute reads the typed walk cannot follow, each with the reason it
  is safe; anything else that looks like a field read on an untyped value fails.
- ``READS`` (in :mod:`tests.conformance.reads_table`): every (api, schema, field)
  the providers read, as found by the walk; kept as a reviewable list, so that a
  new read shows up in review and must exist in the discovery document.
- ``JUDGED`` / ``NOT_API_ENUMS``: the enum values gate's checks and path rules
  compare against (ALL_CAPS literals of gate/checks, gate/netpath, gate/gcp), and
  the ALL_CAPS literals that are no API enum value.
"""

from __future__ import annotations

from tests.conformance.reads import Msg, T

CALLS: dict[tuple[str, str], str] = {
    ("run", "GetService"): "run.projects.locations.services.get",
    ("run", "GetRevision"): "run.projects.locations.services.revisions.get",
    ("run", "ListRevisions"): "run.projects.locations.services.revisions.list",
    ("run", "UpdateService"): "run.projects.locations.services.patch",
    ("vpcaccess", "GetConnector"): "vpcaccess.projects.locations.connectors.get",
    ("redis", "GetInstance"): "redis.projects.locations.instances.get",
    ("sqladmin", "sql.instances.get"): "sql.instances.get",
    ("sqladmin", "sql.tiers.list"): "sql.tiers.list",
    ("compute.networks", "networks.get"): "compute.networks.get",
    ("compute.subnetworks", "subnetworks.get"): "compute.subnetworks.get",
    ("compute.subnetworks", "subnetworks.list"): "compute.subnetworks.list",
    ("compute.firewalls", "firewalls.list"): "compute.firewalls.list",
    ("compute.routes", "routes.list"): "compute.routes.list",
    ("compute.addresses", "globalAddresses.list"): "compute.globalAddresses.list",
    ("secretmanager", "GetSecret"): "secretmanager.projects.secrets.get",
    ("secretmanager", "GetSecretVersion"): "secretmanager.projects.secrets.versions.get",
    (
        "networkmanagement",
        "CreateConnectivityTest",
    ): "networkmanagement.projects.locations.global.connectivityTests.create",
    (
        "networkmanagement",
        "GetConnectivityTest",
    ): "networkmanagement.projects.locations.global.connectivityTests.get",
    (
        "networkmanagement",
        "DeleteConnectivityTest",
    ): "networkmanagement.projects.locations.global.connectivityTests.delete",
    ("networkmanagement", "GetOperation"): "networkmanagement.projects.locations.global.operations.get",
    ("logging", "entries.list"): "logging.entries.list",
}

# Calls whose client method returns google.api_core.operation.Operation (``.operation``
# is the raw google.longrunning.Operation the API answered).
LRO = {
    ("run", "UpdateService"),
    ("networkmanagement", "CreateConnectivityTest"),
    ("networkmanagement", "DeleteConnectivityTest"),
}

# Methods the scenarios need not exercise, and why.
NOT_EXERCISED = {
    "secretmanager.projects.secrets.get": "no check type reads secret metadata yet (run.env reads versions)",
    "networkmanagement.projects.locations.global.operations.get": (
        "the emulator finishes connectivity tests at once (done: true), so gate never polls"
    ),
}

ROOTS: dict[str, dict[str, dict[str, T]]] = {
    # ComputeProvider._list takes the item parser as a value (parse=_firewall, ...).
    "compute": {
        "_firewall": {"m": Msg("compute", "Firewall")},
        "_route": {"m": Msg("compute", "Route")},
        "_address": {"m": Msg("compute", "Address")},
    },
}

UNTYPED: dict[tuple[str, str, str], str] = {
    # (api, function, attribute): why the walk cannot type it, and why that is safe.
    ("compute", "ComputeProvider._list.list_all", "items"): (
        "page is the list response of whichever method the caller names (firewalls, routes, "
        "addresses: all *List schemas with `items`); the items are typed through ROOTS"
    ),
}

# The API enum values gate's checks, path rules and providers name (ALL_CAPS literals),
# by the field they are compared with. "~X" is a prefix (databaseVersion "POSTGRES_15"
# starts with POSTGRES), "X~" a suffix. A field without an enum in its schema (protocol)
# must mention the value in its description.
JUDGED: dict[tuple[str, str, str], set[str]] = {
    ("run", "GoogleCloudRunV2Condition", "state"): {"CONDITION_SUCCEEDED", "CONDITION_FAILED"},
    ("run", "GoogleCloudRunV2VpcAccess", "egress"): {"ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"},
    ("run", "GoogleCloudRunV2TrafficTargetStatus", "type"): {"_LATEST~"},
    ("vpcaccess", "Connector", "state"): {"READY"},
    ("redis", "Instance", "state"): {"READY"},
    ("redis", "Instance", "connectMode"): {"DIRECT_PEERING"},
    ("redis", "Instance", "transitEncryptionMode"): {"DISABLED"},
    ("sqladmin", "DatabaseInstance", "state"): {
        "RUNNABLE",
        "PENDING_CREATE",
        "MAINTENANCE",
        "ONLINE_MAINTENANCE",
        "PENDING_DELETE",
    },
    ("sqladmin", "Settings", "availabilityType"): {"REGIONAL", "ZONAL"},
    ("sqladmin", "DatabaseInstance", "databaseVersion"): {"~POSTGRES", "~POSTGRES_", "~MYSQL", "~SQLSERVER"},
    ("sqladmin", "IpMapping", "type"): {"PRIVATE"},
    ("compute", "NetworkPeering", "state"): {"ACTIVE"},
    ("compute", "Firewall", "direction"): {"EGRESS"},
    ("compute", "Address", "purpose"): {"VPC_PEERING"},
    ("secretmanager", "SecretVersion", "state"): {"ENABLED"},
    ("networkmanagement", "ReachabilityDetails", "result"): {"REACHABLE", "UNREACHABLE"},
    ("networkmanagement", "Step", "state"): {"DROP", "ABORT"},
    ("networkmanagement", "ConnectivityTest", "protocol"): {"TCP"},
    ("logging", "LogEntry", "severity"): {
        "DEFAULT",
        "DEBUG",
        "INFO",
        "NOTICE",
        "WARNING",
        "ERROR",
        "CRITICAL",
        "ALERT",
        "EMERGENCY",
    },
}

# ALL_CAPS literals in gate/checks, gate/netpath and gate/gcp that are no API enum value.
NOT_API_ENUMS: dict[str, str] = {
    **{
        m: "an HTTP method (http.health)"
        for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    },
    **{
        v: "an environment variable name (run.env defaults, golden-path token)"
        for v in (
            "DATABASE_URL",
            "ENVIRONMENT",
            "JWT_SECRET_KEY",
            "POSTGRES_HOST",
            "POSTGRES_PORT",
            "REDIS_HOST",
            "REDIS_PORT",
            "NETRA_E2E_TOKEN",
        )
    },
    "ABORTED": "gate's own ApiError status (google.rpc.Code) for an etag mismatch",
    "NOT_FOUND": "google.rpc.Code of a NotFoundError, not a field value",
    "NONE": "logs.boot's severity parameter value that turns the threshold off",
    "UNSPECIFIED": "suffix of every proto3 zero value: unset, treated as missing or the documented default",
    "_UNSPECIFIED": "suffix of every proto3 zero value: unset, treated as missing",
}
