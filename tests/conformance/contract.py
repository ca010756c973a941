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

from tests.conformance.reads import Arr, Msg, T

CALLS: dict[tuple[str, str], str] = {
    ("run", "GetService"): "run.projects.locations.services.get",
    ("run", "ListServices"): "run.projects.locations.services.list",
    ("run", "GetRevision"): "run.projects.locations.services.revisions.get",
    ("run", "ListRevisions"): "run.projects.locations.services.revisions.list",
    ("run", "UpdateService"): "run.projects.locations.services.patch",
    ("vpcaccess", "GetConnector"): "vpcaccess.projects.locations.connectors.get",
    ("redis", "GetInstance"): "redis.projects.locations.instances.get",
    ("redis", "ListInstances"): "redis.projects.locations.instances.list",
    ("sqladmin", "sql.instances.get"): "sql.instances.get",
    ("sqladmin", "sql.instances.list"): "sql.instances.list",
    ("sqladmin", "sql.tiers.list"): "sql.tiers.list",
    ("compute.networks", "networks.get"): "compute.networks.get",
    ("compute.networks", "networks.getEffectiveFirewalls"): "compute.networks.getEffectiveFirewalls",
    (
        "compute.regionNetworkFirewallPolicies",
        "regionNetworkFirewallPolicies.getEffectiveFirewalls",
    ): "compute.regionNetworkFirewallPolicies.getEffectiveFirewalls",
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
    ("monitoring", "timeSeries.list"): "monitoring.projects.timeSeries.list",
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
    "compute.networks.getEffectiveFirewalls": (
        "ComputeProvider.effective_firewalls asks the regional answer whenever it has a region, and "
        "network.reachability always gives one (the revision's location, else the run's region)"
    ),
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
    # MonitoringProvider._list merges the page parts of one series (a dict of lists) first.
    "monitoring": {"parse_series": {"parts": Arr(Msg("monitoring", "TimeSeries"))}},
}

# Attributes of gate's own wrappers around an API message that return the message itself.
WRAPPERS: dict[str, dict[str, str]] = {
    "monitoring": {
        "message": (
            "_Page.message: the ListTimeSeriesResponse parsed from the page (the wrapper adds "
            "`unreachable`, read from the JSON, and the paging properties)"
        ),
    },
}

UNTYPED: dict[tuple[str, str, str], str] = {
    # (api, function, attribute): why the walk cannot type it, and why that is safe.
    ("monitoring", "_value", "getattr(which)"): (
        "which = TypedValue.WhichOneof('value'), checked against _ONEOF first; test_reads checks "
        "that _ONEOF's fields are TypedValue's and its keys TimeSeries.valueType values"
    ),
}

# The API enum values gate's checks, path rules and providers name (ALL_CAPS literals),
# by the field they are compared with. "~X" is a prefix (databaseVersion "POSTGRES_15"
# starts with POSTGRES), "X~" a suffix. A field without an enum in its schema (protocol)
# must mention the value in its description.
JUDGED: dict[tuple[str, str, str], set[str]] = {
    ("run", "GoogleCloudRunV2Condition", "state"): {
        "CONDITION_SUCCEEDED",
        "CONDITION_FAILED",
        "CONDITION_PENDING",  # a terminalCondition still rolling out (run.revision)
        "CONDITION_RECONCILING",
        "STATE_UNSPECIFIED",  # a supporting condition without a state has not failed
    },
    ("run", "GoogleCloudRunV2VpcAccess", "egress"): {"ALL_TRAFFIC", "PRIVATE_RANGES_ONLY"},
    ("run", "GoogleCloudRunV2TrafficTargetStatus", "type"): {"_LATEST~"},
    ("vpcaccess", "Connector", "state"): {"READY"},
    ("redis", "Instance", "state"): {"READY"},
    ("redis", "Instance", "connectMode"): {"DIRECT_PEERING"},
    ("redis", "Instance", "transitEncryptionMode"): {"DISABLED"},
    # gate/checks/sql_state.py decides every documented state and activation policy explicitly.
    ("sqladmin", "DatabaseInstance", "state"): {
        "RUNNABLE",
        "PENDING_CREATE",
        "MAINTENANCE",
        "ONLINE_MAINTENANCE",
        "PENDING_DELETE",
        "REPAIRING",
        "SUSPENDED",
        "FAILED",
    },
    ("sqladmin", "Settings", "activationPolicy"): {"ALWAYS", "NEVER", "ON_DEMAND"},
    ("sqladmin", "Settings", "availabilityType"): {"REGIONAL", "ZONAL"},
    ("sqladmin", "DatabaseInstance", "databaseVersion"): {"~POSTGRES", "~POSTGRES_", "~MYSQL", "~SQLSERVER"},
    ("sqladmin", "IpMapping", "type"): {"PRIVATE"},
    ("compute", "NetworkPeering", "state"): {"ACTIVE"},
    ("compute", "Firewall", "direction"): {"EGRESS", "INGRESS"},
    # Effective firewalls (gate/netpath/firewall.py): the policy types of each answer, the
    # network's enforcement order, and the rule fields that decide whether a rule applies.
    ("compute", "NetworksGetEffectiveFirewallsResponseEffectiveFirewallPolicy", "type"): {
        "HIERARCHY",
        "NETWORK",
        "SYSTEM",
    },
    (
        "compute",
        "RegionNetworkFirewallPoliciesGetEffectiveFirewallsResponseEffectiveFirewallPolicy",
        "type",
    ): {
        "HIERARCHY",
        "NETWORK",
        "NETWORK_REGIONAL",
        "SYSTEM_GLOBAL",
        "SYSTEM_REGIONAL",
    },
    ("compute", "Network", "networkFirewallPolicyEnforcementOrder"): {
        "AFTER_CLASSIC_FIREWALL",
        "BEFORE_CLASSIC_FIREWALL",
    },
    ("compute", "FirewallPolicyRule", "direction"): {"EGRESS", "INGRESS"},
    ("compute", "FirewallPolicyRule", "targetType"): {"INSTANCES", "INTERNAL_MANAGED_LB"},
    ("compute", "FirewallPolicyRuleMatcher", "destNetworkType"): {"INTERNET", "NON_INTERNET", "UNSPECIFIED"},
    ("compute", "FirewallPolicyRuleMatcher", "srcNetworkType"): {"UNSPECIFIED"},
    ("compute", "FirewallPolicyRuleSecureTag", "state"): {"INEFFECTIVE"},
    ("compute", "Address", "purpose"): {"VPC_PEERING"},
    ("secretmanager", "SecretVersion", "state"): {"ENABLED"},
    ("networkmanagement", "ReachabilityDetails", "result"): {"REACHABLE", "UNREACHABLE"},
    ("networkmanagement", "Step", "state"): {"DROP", "ABORT", "DELIVER", "VIEWER_PERMISSION_MISSING"},
    ("networkmanagement", "AbortInfo", "cause"): {"~PERMISSION_DENIED"},
    ("networkmanagement", "ViewerPermissionMissingInfo", "resourceTypes"): {
        "FIREWALL",
        "INSTANCE",
        "FORWARDING_RULE",
    },
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
    # gate/gcp/monitoring.py refuses a series without a (known) kind or value type and
    # reads the point's value by its valueType.
    ("monitoring", "TimeSeries", "metricKind"): {"METRIC_KIND_UNSPECIFIED"},
    ("monitoring", "TimeSeries", "valueType"): {
        "VALUE_TYPE_UNSPECIFIED",
        "BOOL",
        "INT64",
        "DOUBLE",
        "STRING",
        "DISTRIBUTION",
    },
}

# Enum values gate sends as query parameters, by (api, method id, parameter).
PARAMETERS: dict[tuple[str, str, str], set[str]] = {
    ("monitoring", "monitoring.projects.timeSeries.list", "view"): {"FULL"},
    # gate.gcp.monitoring.ALIGNERS / REDUCERS (test_enums checks they are the documented lists).
    ("monitoring", "monitoring.projects.timeSeries.list", "aggregation.perSeriesAligner"): {
        "ALIGN_NONE",
        "ALIGN_DELTA",
        "ALIGN_RATE",
        "ALIGN_INTERPOLATE",
        "ALIGN_NEXT_OLDER",
        "ALIGN_MIN",
        "ALIGN_MAX",
        "ALIGN_MEAN",
        "ALIGN_COUNT",
        "ALIGN_SUM",
        "ALIGN_STDDEV",
        "ALIGN_COUNT_TRUE",
        "ALIGN_COUNT_FALSE",
        "ALIGN_FRACTION_TRUE",
        "ALIGN_PERCENTILE_99",
        "ALIGN_PERCENTILE_95",
        "ALIGN_PERCENTILE_50",
        "ALIGN_PERCENTILE_05",
        "ALIGN_PERCENT_CHANGE",
    },
    ("monitoring", "monitoring.projects.timeSeries.list", "aggregation.crossSeriesReducer"): {
        "REDUCE_NONE",
        "REDUCE_MEAN",
        "REDUCE_MIN",
        "REDUCE_MAX",
        "REDUCE_SUM",
        "REDUCE_STDDEV",
        "REDUCE_COUNT",
        "REDUCE_COUNT_TRUE",
        "REDUCE_COUNT_FALSE",
        "REDUCE_FRACTION_TRUE",
        "REDUCE_PERCENTILE_99",
        "REDUCE_PERCENTILE_95",
        "REDUCE_PERCENTILE_50",
        "REDUCE_PERCENTILE_05",
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
    "PASS": "gate's own Status name (monitoring.metric judges each threshold PASS/FAIL/ERROR)",
    "FAIL": "gate's own Status name (monitoring.metric judges each threshold PASS/FAIL/ERROR)",
    "URL": "placeholder text in monitoring.metric's load-step hint (`hey ... URL`)",
    "MEASURES": "a Python name in gate/checks/metric_read.py's __all__",
    "NOT_FOUND": "google.rpc.Code of a NotFoundError, not a field value",
    "NONE": "logs.boot's severity parameter value that turns the threshold off",
    "UNSPECIFIED": (
        "suffix of every proto3 zero value: unset, treated as missing or the documented default "
        "(also Compute's FirewallPolicyRuleMatcher network types' own unset value, declared in JUDGED)"
    ),
    "_UNSPECIFIED": "suffix of every proto3 zero value: unset, treated as missing",
}
