"""``sql.instance``: the Cloud SQL instance is running, big enough, and the one the revision uses.

Catches S7 (``db-g1-small``, a shared-core tier, with PostgreSQL answering in
5 s) through ``min_tier`` under the order documented in
:mod:`gate.checks.sql_tiers`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gate.checks import sql_state, sql_tiers
from gate.checks.base import CheckType
from gate.checks.target import TARGET_PROPERTIES, choose_container, resolve_target, target_errors
from gate.model import Outcome

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.context import AttemptContext
    from gate.gcp.sqladmin import SqlInstance as Instance


class SqlInstance(CheckType):
    name = "sql.instance"
    summary = "A Cloud SQL instance is running, at least min_tier, and used by the Cloud Run revision."
    description = (
        "Reads the instance (`instance`: name, `project:region:name` or `projects/P/instances/I`) "
        "and passes when it serves (state RUNNABLE *and* settings.activationPolicy ALWAYS: Cloud SQL "
        "documents RUNNABLE as 'running, or has been stopped by owner', and activationPolicy NEVER "
        "as 'the instance is off') and every optional expectation holds:\n\n"
        "- `min_tier`: the machine tier is at least this one. Order: shared-core db-f1-micro < "
        "db-g1-small < dedicated tiers by vCPU, then memory (db-custom-C-M, db-n1-standard-N, "
        "db-n1-highmem-N, db-perf-optimized-N-C are known by name; any other tier is sized through "
        "the tiers API, and one whose vCPUs cannot be derived is an ERROR naming it).\n"
        "- `availability: REGIONAL` (or ZONAL).\n"
        "- `database_version_prefix: POSTGRES_` (e.g. POSTGRES_15 matches).\n"
        "- `connected_from: {service, [revision|tag], [container]}`: the Cloud Run target revision "
        "really uses this instance: its Cloud SQL volume lists the instance's connection name, or a "
        "literal env value of its container (default: the ingress container, the one that declares "
        "`ports`) holds the connection name or one of the instance's IP addresses (compared without "
        "ever printing the value).\n\n"
        "A stopped instance (activationPolicy NEVER), SUSPENDED, FAILED or PENDING_DELETE is a final "
        "FAIL; PENDING_CREATE, MAINTENANCE, ONLINE_MAINTENANCE and REPAIRING are polled; "
        "activationPolicy ON_DEMAND, absent or unknown, or an unknown state, is ERROR. A tier, "
        "availability or version mismatch is final."
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["instance"],
        "properties": {
            "instance": {
                "type": "string",
                "minLength": 1,
                "description": "Cloud SQL instance: name, project:region:name or projects/P/instances/I.",
            },
            "min_tier": {
                "type": "string",
                "pattern": "^db-[A-Za-z0-9-]+$",
                "description": "Smallest acceptable machine tier, e.g. db-custom-1-3840; "
                "no default: any tier passes.",
            },
            "availability": {
                "enum": ["REGIONAL", "ZONAL"],
                "description": "Required availability type (REGIONAL: high availability); "
                "no default: either passes.",
            },
            "database_version_prefix": {
                "type": "string",
                "minLength": 1,
                "description": "The databaseVersion must start with this, e.g. POSTGRES_; "
                "no default: any engine passes.",
            },
            "connected_from": {
                "type": "object",
                "additionalProperties": False,
                "required": ["service"],
                "properties": dict(TARGET_PROPERTIES),
                "description": "{service, [revision|tag], [container]}: that Cloud Run revision must use "
                "this instance (Cloud SQL volume, or its connection name or IP in an env value); "
                "no default: not checked.",
            },
        },
    }
    example = {
        "id": "backend-database",
        "type": "sql.instance",
        "with": {
            "instance": "staging-shared-postgres",
            "min_tier": "db-custom-1-3840",
            "database_version_prefix": "POSTGRES_",
            "connected_from": {"service": "netra-backend-staging"},
        },
    }
    apis = ("sqladmin", "run")

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        conn = params.get("connected_from")
        if isinstance(conn, Mapping):
            return [(f"connected_from.{p}", m) for p, m in target_errors(conn)]
        return []

    def attempt(self, ctx: AttemptContext) -> Outcome:
        fresh = ctx.attempt > 1
        inst: Instance = ctx.cloud.sqladmin.instance(
            str(self.params["instance"]), deadline=ctx.deadline, fresh=fresh
        )
        evidence: dict[str, Any] = {
            "instance": inst.name,
            "connection_name": inst.connection_name,
            "state": inst.state,
            "activation_policy": inst.activation_policy,
            "tier": inst.tier,
            "availability": inst.availability_type,
            "database_version": inst.database_version,
        }
        up = sql_state.judge(inst.name, inst.project, inst.state, inst.activation_policy)
        evidence["serving"] = up.detail
        if up.serving is sql_state.Serving.UNKNOWN:
            return Outcome.error(
                f"Cloud SQL instance {inst.name}: {up.detail}",
                evidence=evidence,
                remediation=up.remediation,
            )
        if not up.ok:
            return Outcome.failed(
                f"Cloud SQL instance {inst.name} is not serving: {up.detail}",
                evidence=evidence,
                remediation=up.remediation,
                final=up.final,
            )
        problems: list[str] = []
        tier_outcome = self._tier(ctx, inst, evidence, problems)
        if tier_outcome is not None:
            return tier_outcome
        want = self.params.get("availability")
        if want and inst.availability_type != want:
            problems.append(f"availability is {inst.availability_type or 'unset (ZONAL)'}, expected {want}")
        prefix = self.params.get("database_version_prefix")
        if prefix and not inst.database_version.startswith(prefix):
            problems.append(f"database version {inst.database_version} does not start with {prefix}")
        if self.params.get("connected_from"):
            problems.extend(self._connected(ctx, inst, evidence))
        if problems:
            return Outcome.failed(
                f"Cloud SQL instance {inst.name}: {'; '.join(problems)}",
                evidence=evidence,
                remediation=_remediation(inst, self.params),
                final=True,
            )
        return Outcome.passed(
            f"Cloud SQL instance {inst.name} is RUNNABLE (activationPolicy ALWAYS) on {inst.tier}"
            + (f" (at least {self.params['min_tier']})" if self.params.get("min_tier") else ""),
            evidence=evidence,
        )

    def _tier(
        self, ctx: AttemptContext, inst: Instance, evidence: dict[str, Any], problems: list[str]
    ) -> Outcome | None:
        """Appends a below-minimum problem; returns an ERROR outcome when a tier cannot be sized."""
        minimum_name = self.params.get("min_tier")
        if not minimum_name:
            return None
        sizes: dict[str, sql_tiers.TierSize] = {}
        for name in (inst.tier, str(minimum_name)):
            size = sql_tiers.known(name)
            if size is None:
                size = sql_tiers.from_api(name, ctx.cloud.sqladmin.tiers(deadline=ctx.deadline))
            if size is None:
                return Outcome.error(
                    f"unknown Cloud SQL tier {name}: not in gate's table and not listed by the tiers API",
                    evidence=evidence,
                    remediation="Give min_tier as db-custom-CPUS-MEMORY_MB, or a tier listed by "
                    f"gcloud sql tiers list --project {ctx.project}.",
                )
            if size.vcpu is None:
                return Outcome.error(
                    f"cannot place Cloud SQL tier {name} in the order: the tiers API reports "
                    f"{size.memory_mib} MiB but no vCPU count",
                    evidence=evidence,
                    remediation="Give min_tier as db-custom-CPUS-MEMORY_MB.",
                )
            sizes[name] = size
        observed, minimum = sizes[inst.tier], sizes[str(minimum_name)]
        evidence["tier_size"] = observed.describe()
        evidence["min_tier"] = minimum.tier
        evidence["min_tier_size"] = minimum.describe()
        if not sql_tiers.at_least(observed, minimum):
            problems.append(
                f"tier {observed.tier} ({observed.describe()}) is below the minimum "
                f"{minimum.tier} ({minimum.describe()})"
            )
        return None

    def _connected(self, ctx: AttemptContext, inst: Instance, evidence: dict[str, Any]) -> list[str]:
        conn = self.params["connected_from"]
        target = resolve_target(ctx, conn)
        rev = target.revision
        evidence["connected_from"] = target.evidence
        if inst.connection_name in rev.cloudsql_instances:
            evidence["connected_via"] = "Cloud SQL volume of the revision"
            return []
        container, why = choose_container(rev, conn.get("container"))
        evidence["container"] = {"name": container.name, "selected_as": why}
        ips = [ip.address for ip in inst.ip_addresses if ip.address]
        for var in container.env:
            if var.value is None:
                continue
            value = var.value.reveal()
            if inst.connection_name in value or any(_holds_ip(value, ip) for ip in ips):
                evidence["connected_via"] = f"env {var.name} of container {container.name}"
                return []
        evidence["revision_cloudsql_instances"] = list(rev.cloudsql_instances)
        return [
            f"revision {rev.short_name} does not use it: no Cloud SQL volume lists "
            f"{inst.connection_name} and no literal env value of container {container.name} holds "
            "its connection name or IP address"
        ]


def _holds_ip(value: str, ip: str) -> bool:
    # 10.1.2.3 must not match inside 10.1.2.34 or 110.1.2.3.
    return re.search(rf"(?<![\d.]){re.escape(ip)}(?![\d])", value) is not None


def _remediation(inst: Instance, params: Mapping[str, Any]) -> str:
    out = []
    if params.get("min_tier"):
        out.append(
            f"Resize: gcloud sql instances patch {inst.name} --project {inst.project} "
            f"--tier {params['min_tier']} (restarts the instance)."
        )
    if params.get("availability") == "REGIONAL":
        out.append(f"High availability: gcloud sql instances patch {inst.name} --availability-type REGIONAL.")
    if params.get("connected_from"):
        service = params["connected_from"]["service"]
        out.append(
            f"Attach the instance: gcloud run services update {service} "
            f"--add-cloudsql-instances {inst.connection_name}."
        )
    return " ".join(out)
