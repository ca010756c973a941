"""``network.reachability``: can the revision being promoted reach a private endpoint?

Catches S6: Redis READY, connector READY, and still ``Error -3 connecting to
10.166.204.83:6379`` because the connector sits on a network that has no route
to the Redis range. The check walks the path hop by hop from facts (revision ->
VPC access -> connector/subnet -> egress setting -> network -> firewall ->
destination), names the FIRST broken hop and lists every hop it evaluated. The
rules themselves are pure functions in :mod:`gate.netpath`; this module only
gathers facts. ``confirm: true`` also asks Google's Network Management
Connectivity Test (created, read and always deleted by the provider).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.checks import sql_state, trace_verdict
from gate.checks.base import CheckType
from gate.checks.target import TARGET_PROPERTIES, resolve_target, target_errors
from gate.errors import NotFoundError
from gate.gcp import names
from gate.model import Outcome
from gate.netpath import destination as ndest
from gate.netpath import firewall as nfw
from gate.netpath import hops as npath
from gate.netpath.hops import Hop, HopState

# `gate validate` imports this module for its schema only: the fact modules (and
# their dataclasses, ~20 ms) are imported by the methods that run a check.
if TYPE_CHECKING:
    from gate.context import AttemptContext
    from gate.gcp.compute import Network
    from gate.gcp.facts_run import Revision
    from gate.gcp.networkmanagement import ConnectivityResult, EndpointSpec

PASSING = {"REACHABLE"}


@dataclass(frozen=True)
class Dest:
    kind: str  # redis / sql / address
    name: str  # "Redis staging-redis-f1adc35c"
    label: str  # "Redis staging-redis-f1adc35c (10.166.204.80/29)"
    ip: ipaddress.IPv4Address
    port: int
    network: str  # full network name, projects/p/global/networks/n
    endpoint: EndpointSpec
    redis: Any = None  # gate.gcp.redis.RedisInstance
    sql: Any = None  # gate.gcp.sqladmin.SqlInstance


@dataclass(frozen=True)
class Src:
    label: str  # "connector staging-connector (10.1.0.0/28)"
    network: str  # full network name
    source: nfw.Source


def _net(ref: str, project: str) -> str:
    return names.network_name(ref, project)


def _short_net(ref: str) -> str:
    return names.last(ref)


def _two_nets(a: str, b: str, project: str) -> tuple[str, str]:
    """Short names of two networks, project-qualified when the names alone would look equal
    (a Shared VPC host's network may share its name with the service project's)."""
    pa, na = names.compute_ref(a, project)
    pb, nb = names.compute_ref(b, project)
    if na == nb and pa != pb:
        return f"{na} (project {pa})", f"{nb} (project {pb})"
    return na, nb


class Reachability(CheckType):
    name = "network.reachability"
    summary = "A Cloud Run revision can reach a private endpoint (Redis, Cloud SQL, IP:port), hop by hop."
    description = (
        "Works out the path from the revision being promoted (latest created by default, or "
        "`revision:` / `tag:`) to one private destination: `redis:` (Memorystore host and port), "
        "`sql:` (Cloud SQL private IP; port by engine) or `address:` (IP:port in `network:`).\n\n"
        "Hops, in order: the revision has VPC access (connector or Direct VPC egress); the connector "
        "is READY in the revision's region (or the Direct VPC subnet exists there); the egress "
        "setting sends the address into the VPC (PRIVATE_RANGES_ONLY: RFC 1918 and 100.64.0.0/10 "
        "only); the network is the destination's (Memorystore authorized network or Cloud SQL "
        "private network, with the producer's peering ACTIVE; peering is not transitive); the "
        "network's effective firewalls (hierarchical, system, global and regional network firewall "
        "policies and VPC rules, in the order networkFirewallPolicyEnforcementOrder gives; a rule "
        "whose target gate cannot map, or layer-7 inspection, is 'cannot prove'); the destination "
        "is READY (Redis) or RUNNABLE with activationPolicy ALWAYS (Cloud SQL). FAIL names the "
        "first broken hop; a hop that cannot be judged is ERROR.\n\n"
        "`confirm: true` also runs a Network Management Connectivity Test from the revision "
        "(source `cloudRunRevision.uri` projects/P/locations/L/revisions/R): REACHABLE passes only "
        "with complete traces whose last step DELIVERs to the destination (a trace with a "
        "VIEWER_PERMISSION_MISSING step, or one ending in FORWARD/ABORT, is ERROR naming what is "
        "missing); UNREACHABLE fails with the trace's drop cause; AMBIGUOUS/UNDETERMINED are ERROR; "
        "the test is always deleted afterwards."
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["service"],
        "properties": {
            "service": TARGET_PROPERTIES["service"],
            "revision": TARGET_PROPERTIES["revision"],
            "tag": TARGET_PROPERTIES["tag"],
            "redis": {
                "type": "string",
                "minLength": 1,
                "description": "Memorystore for Redis instance (short name in the policy's region, "
                "or projects/P/locations/R/instances/I); host and port come from the API.",
            },
            "sql": {
                "type": "string",
                "minLength": 1,
                "description": "Cloud SQL instance (name, project:region:name or projects/P/instances/I); "
                "its PRIVATE address, port 5432 (PostgreSQL), 3306 (MySQL) or 1433 (SQL Server).",
            },
            "address": {
                "type": "string",
                "minLength": 1,
                "description": 'A literal IPv4 address and port, e.g. "10.166.204.83:6379".',
            },
            "network": {
                "type": "string",
                "minLength": 1,
                "description": "With address: the VPC network the address lives in (name or "
                "projects/P/global/networks/N).",
            },
            "confirm": {
                "type": "boolean",
                "default": False,
                "description": "Also run a Network Management Connectivity Test (created, polled, "
                "then deleted).",
            },
        },
        "oneOf": [{"required": ["redis"]}, {"required": ["sql"]}, {"required": ["address"]}],
        "dependentRequired": {"address": ["network"], "network": ["address"]},
    }
    example = {
        "id": "backend-reaches-redis",
        "type": "network.reachability",
        "timeout": "60s",
        "with": {"service": "netra-backend-staging", "redis": "staging-redis-f1adc35c", "confirm": True},
    }
    apis = ("run", "vpcaccess", "redis", "sqladmin", "compute", "networkmanagement")

    @classmethod
    def apis_for(cls, params: Mapping[str, Any]) -> tuple[str, ...]:
        # The destination's API only, and a Connectivity Test only with confirm:.
        skip = {"redis": not params.get("redis"), "sqladmin": not params.get("sql")}
        skip["networkmanagement"] = not params.get("confirm")
        return tuple(a for a in cls.apis if not skip.get(a, False))

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        errors = target_errors(params)
        if isinstance(params.get("address"), str) and "${" not in params["address"]:
            try:
                npath.parse_address(params["address"])
            except ValueError as e:
                errors.append(("address", str(e)))
        return errors

    def attempt(self, ctx: AttemptContext) -> Outcome:
        dest = self._destination(ctx)
        if isinstance(dest, Outcome):
            return dest
        target = resolve_target(ctx, self.params)
        rev = target.revision
        hops: list[Hop] = []
        src = self._source(ctx, rev, dest, hops)
        if src is not None:
            hops.append(npath.egress_hop(rev.vpc_access.egress if rev.vpc_access else None, dest.ip))
            if hops[-1].state is not HopState.BROKEN:
                hops.append(self._network_hop(ctx, src, dest))
            if hops[-1].state is not HopState.BROKEN:
                hops.append(self._firewall_hop(ctx, rev, src, dest))
            if hops[-1].state is not HopState.BROKEN:
                hops.append(self._destination_hop(ctx, rev, dest))
        return self._judge(ctx, target.evidence, rev, src, dest, hops)

    # -- destination -------------------------------------------------------------------

    def _destination(self, ctx: AttemptContext) -> Dest | Outcome:
        from gate.gcp.networkmanagement import EndpointSpec

        p, fresh, dl = self.params, ctx.attempt > 1, ctx.deadline
        if p.get("redis"):
            r = ctx.cloud.redis.instance(str(p["redis"]), deadline=dl, fresh=fresh)
            rng = f" ({r.reserved_ip_range})" if r.reserved_ip_range else ""
            return Dest(
                "redis",
                f"Redis {names.last(r.name)}",
                f"Redis {names.last(r.name)}{rng}",
                ipaddress.IPv4Address(r.host),
                r.port,
                _net(r.authorized_network, ctx.project),
                EndpointSpec(ip_address=r.host, port=r.port, redis_instance=r.name),
                redis=r,
            )
        if p.get("sql"):
            s = ctx.cloud.sqladmin.instance(str(p["sql"]), deadline=dl, fresh=fresh)
            private = s.address("PRIVATE")
            label = f"Cloud SQL {s.name}"
            if not private or not s.private_network:
                hop = ndest.sql_no_private_ip(label)
                return Outcome.failed(
                    f"{label} is unreachable privately: {hop.detail}",
                    evidence={"hops": [hop.as_evidence()]},
                    remediation=hop.remediation,
                )
            port = ndest.sql_port(s.database_version)
            if not port:
                return Outcome.error(f"{label}: no known port for databaseVersion {s.database_version}")
            return Dest(
                "sql",
                label,
                f"{label} ({private})",
                ipaddress.IPv4Address(private),
                port,
                _net(s.private_network, s.project),
                EndpointSpec(
                    ip_address=private,
                    port=port,
                    cloud_sql_instance=f"projects/{s.project}/instances/{s.name}",
                ),
                sql=s,
            )
        ip, port = npath.parse_address(str(p["address"]))
        network = _net(str(p["network"]), ctx.project)
        return Dest(
            "address",
            "address",
            f"address {ip}:{port}",
            ip,
            port,
            network,
            EndpointSpec(ip_address=str(ip), port=port, network=network),
        )

    # -- hops 1 and 2: VPC access, connector or Direct VPC subnet --------------------------

    def _source(self, ctx: AttemptContext, rev: Revision, dest: Dest, hops: list[Hop]) -> Src | None:
        from gate.gcp.compute import same_network

        vpc = rev.vpc_access
        region = names.segment(rev.name, "locations") or ctx.region
        if vpc is None or not vpc.configured:
            hops.append(
                npath.broken(
                    "vpc-access",
                    f"revision {rev.short_name} has no VPC access; private IP {dest.ip} is unreachable",
                    "Deploy with a Serverless VPC Access connector (--vpc-connector) or Direct VPC "
                    "egress (--network/--subnet) on the destination's network.",
                )
            )
            return None
        if vpc.connector:
            hops.append(
                npath.ok(
                    "vpc-access", f"revision {rev.short_name} uses connector {names.last(vpc.connector)}"
                )
            )
            return self._connector(ctx, vpc.connector, region, hops)
        nic = vpc.network_interfaces[0]
        hops.append(
            npath.ok(
                "vpc-access",
                f"revision {rev.short_name} uses Direct VPC egress "
                f"(network {nic.network or '-'}, subnetwork {nic.subnetwork or '-'})",
            )
        )
        # Cloud Run: with only a network, the subnet has the network's name.
        subnet_ref = nic.subnetwork or nic.network or ""
        try:
            sub = ctx.cloud.compute.subnetwork(
                subnet_ref, region, deadline=ctx.deadline, fresh=ctx.attempt > 1
            )
        except NotFoundError:
            hops.append(
                npath.broken(
                    "subnet",
                    f"Direct VPC subnetwork {names.last(subnet_ref)} does not exist in region {region}",
                    "Create the subnetwork in the revision's region, or deploy with an existing one.",
                )
            )
            return None
        if nic.network and not same_network(sub.network, nic.network, ctx.project):
            hops.append(
                npath.broken(
                    "subnet",
                    f"subnetwork {sub.name} belongs to network {_short_net(sub.network)}, not {nic.network}",
                )
            )
            return None
        hops.append(npath.ok("subnet", f"subnetwork {sub.name} ({sub.ip_cidr_range}) in {sub.region}"))
        return Src(
            f"Direct VPC egress subnet {sub.name} ({sub.ip_cidr_range})",
            _net(sub.network, ctx.project),
            nfw.Source(sub.ip_cidr_range, frozenset(nic.tags)),
        )

    def _connector(self, ctx: AttemptContext, ref: str, region: str, hops: list[Hop]) -> Src | None:
        short = names.last(ref)
        try:
            c = ctx.cloud.vpcaccess.connector(ref, deadline=ctx.deadline, fresh=ctx.attempt > 1)
        except NotFoundError:
            hops.append(
                npath.broken("connector", f"connector {short} does not exist", "Create the connector.")
            )
            return None
        if c.state != "READY":
            hops.append(
                npath.broken(
                    "connector",
                    f"connector {short} is {c.state}, not READY",
                    "Recreate or repair the connector (an ERROR connector does not recover on its own).",
                )
            )
            return None
        if c.region != region:
            hops.append(
                npath.broken(
                    "connector",
                    f"connector {short} is in {c.region}, the revision in {region} (must match)",
                )
            )
            return None
        project = names.segment(c.name, "projects") or ctx.project
        if c.network and c.ip_cidr_range:
            network, cidr = _net(c.network, project), c.ip_cidr_range
        else:
            sub = ctx.cloud.compute.subnetwork(
                f"projects/{c.subnet_project or project}/regions/{region}/subnetworks/{c.subnet_name}",
                deadline=ctx.deadline,
                fresh=ctx.attempt > 1,
            )
            network, cidr = _net(sub.network, project), sub.ip_cidr_range
        hops.append(
            npath.ok("connector", f"connector {short} READY on network {_short_net(network)} ({cidr})")
        )
        # Every connector's instances carry these two network tags (set by Google).
        tags = frozenset({"vpc-connector", f"vpc-connector-{region}-{short}"})
        return Src(f"connector {short} ({cidr})", network, nfw.Source(cidr, tags))

    # -- hop 4: the network --------------------------------------------------------------

    def _network_hop(self, ctx: AttemptContext, src: Src, dest: Dest) -> Hop:
        from gate.gcp.compute import same_network

        here, there = _two_nets(src.network, dest.network, ctx.project)
        if dest.kind == "address":
            return self._address_network(ctx, src, dest)
        if not same_network(src.network, dest.network, ctx.project):
            net = self._network(ctx, src.network)
            peered = [p for p in net.peerings if same_network(p.network, dest.network, ctx.project)]
            return ndest.other_network_hop(
                src.label, here, there, dest.label, dest.kind, dest.ip, peered[0].state if peered else None
            )
        net = self._network(ctx, dest.network)
        if dest.kind == "redis" and dest.redis.connect_mode == "DIRECT_PEERING":
            return ndest.redis_peering_hop(self._peerings(net), there, dest.label)
        bad = ndest.psa_peering_hop(self._peerings(net), there)
        if bad:
            return bad
        ranges = ctx.cloud.compute.global_addresses(
            network=dest.network, purpose="VPC_PEERING", deadline=ctx.deadline, fresh=ctx.attempt > 1
        )
        cidrs = [f"{a.address}/{a.prefix_length}" for a in ranges]
        return ndest.psa_range_hop(dest.ip, cidrs, there, dest.label)

    def _address_network(self, ctx: AttemptContext, src: Src, dest: Dest) -> Hop:
        from gate.gcp.compute import same_network

        here, there = _two_nets(src.network, dest.network, ctx.project)
        same = same_network(src.network, dest.network, ctx.project)
        peer = None
        if not same:
            peerings = self._peerings(self._network(ctx, src.network))
            peer = next((p for p in peerings if same_network(p.network, dest.network, ctx.project)), None)
        return ndest.address_network_hop(dest.ip, here, there, same=same, peer=peer)

    def _network(self, ctx: AttemptContext, ref: str) -> Network:
        return ctx.cloud.compute.network(ref, deadline=ctx.deadline, fresh=ctx.attempt > 1)

    @staticmethod
    def _peerings(net: Network) -> list[npath.PeeringView]:
        return [npath.PeeringView(p.name, p.network, p.state, p.state_details) for p in net.peerings]

    # -- hop 5: firewall; hop 6: destination ----------------------------------------------

    def _firewall_hop(self, ctx: AttemptContext, rev: Revision, src: Src, dest: Dest) -> Hop:
        # What really filters the sender's packets: the regional effective firewalls (VPC
        # rules, hierarchical, global and regional network firewall policies), in the order
        # the network's networkFirewallPolicyEnforcementOrder gives (gate.netpath.firewall).
        region = names.segment(rev.name, "locations") or ctx.region
        fresh = ctx.attempt > 1
        net = self._network(ctx, src.network)
        eff = ctx.cloud.compute.effective_firewalls(src.network, region, deadline=ctx.deadline, fresh=fresh)
        rules = [
            nfw.FwRule(
                name=f.name,
                direction=f.direction,
                priority=f.priority,
                action=f.action,
                rules=tuple((r.protocol, r.ports) for r in f.rules),
                destination_ranges=f.destination_ranges,
                source_ranges=f.source_ranges,
                target_tags=f.target_tags,
                target_service_accounts=f.target_service_accounts,
                disabled=f.disabled,
            )
            for f in eff.firewalls
        ]
        sender = _net(src.network, ctx.project)
        policies = [
            nfw.FirewallPolicy(
                name=p.name,
                type=p.type,
                priority=p.priority,
                rules=tuple(
                    nfw.PolicyRule(
                        priority=r.priority,
                        action=r.action,
                        direction=r.direction,
                        layer4=tuple((x.protocol, x.ports) for x in r.layer4),
                        dest_ranges=r.dest_ip_ranges,
                        src_ranges=r.src_ip_ranges,
                        dest_network_type=r.dest_network_type,
                        rule_name=r.rule_name,
                        disabled=r.disabled,
                        target_type=r.target_type,
                        targets_network=(
                            None
                            if not r.target_resources
                            else any(_net(t, ctx.project) == sender for t in r.target_resources)
                        ),
                        target_service_accounts=r.target_service_accounts,
                        target_secure_tags=tuple((t.name, t.state) for t in r.target_secure_tags),
                        other_targets=(
                            (f"forwarding rules ({', '.join(r.target_forwarding_rules)})",)
                            if r.target_forwarding_rules
                            else ()
                        ),
                        other_dest=r.other_dest,
                        other_src=r.other_src,
                    )
                    for r in p.rules
                ),
            )
            for p in eff.policies
        ]
        return nfw.effective_hop(
            rules,
            dest.ip,
            dest.port,
            src.source,
            _short_net(src.network),
            policies,
            net.firewall_policy_enforcement_order,
        )

    def _destination_hop(self, ctx: AttemptContext, rev: Revision, dest: Dest) -> Hop:
        region = names.segment(rev.name, "locations") or ctx.region
        if dest.kind == "redis":
            r = dest.redis
            return ndest.redis_destination_hop(dest.label, r.state, r.region, region, dest.ip, dest.port)
        if dest.kind == "sql":
            s = dest.sql
            up = sql_state.judge(s.name, s.project, s.state, s.activation_policy)
            serving = None if up.serving is sql_state.Serving.UNKNOWN else up.ok
            return ndest.sql_destination_hop(
                dest.label, serving, up.detail, s.region, dest.port, up.remediation
            )
        return ndest.address_destination_hop(dest.ip, dest.port)

    # -- verdict -----------------------------------------------------------------------

    def _judge(
        self,
        ctx: AttemptContext,
        target: Mapping[str, str],
        rev: Revision,
        src: Src | None,
        dest: Dest,
        hops: list[Hop],
    ) -> Outcome:
        evidence: dict[str, Any] = {
            **target,
            "source": src.label if src else None,
            "destination": f"{dest.label} {dest.ip}:{dest.port}",
            "hops": [h.as_evidence() for h in hops],
        }
        bad = npath.first_broken(hops)
        if bad is not None:
            evidence["broken_hop"] = bad.name
            summary = (
                bad.detail
                if bad.name == "vpc-access"
                else f"{dest.name} {dest.ip}:{dest.port} unreachable from revision {rev.short_name}: "
                f"hop {bad.name}: {bad.detail}"
            )
            return Outcome.failed(summary, evidence=evidence, remediation=bad.remediation)
        doubt = npath.first_unknown(hops)
        if self.params.get("confirm") and src is not None:
            return self._confirm(ctx, rev, dest, evidence, doubt)
        if doubt is not None:
            evidence["unknown_hop"] = doubt.name
            return Outcome.error(
                f"could not judge hop {doubt.name}: {doubt.detail}",
                evidence=evidence,
                remediation=doubt.remediation,
            )
        return Outcome.passed(
            f"{dest.name} {dest.ip}:{dest.port} reachable from revision {rev.short_name} via "
            f"{src.label if src else '?'} ({len(hops)} hops ok)",
            evidence=evidence,
        )

    def _confirm(
        self, ctx: AttemptContext, rev: Revision, dest: Dest, evidence: dict[str, Any], doubt: Hop | None
    ) -> Outcome:
        from gate.gcp.networkmanagement import EndpointSpec

        res: ConnectivityResult = ctx.cloud.networkmanagement.test(
            EndpointSpec(cloud_run_revision=rev.name),
            dest.endpoint,
            deadline=ctx.deadline,
            fresh=ctx.attempt > 1,
        )
        info: dict[str, Any] = {"result": res.result, "test": res.test}
        if res.error:
            info["error"] = res.error
        if res.cleanup_error:
            info["cleanup_error"] = res.cleanup_error
        evidence["connectivity_test"] = info
        if res.result in PASSING:
            problem = trace_verdict.incomplete(res.traces, dest.ip)
            if problem is not None:
                info["incomplete"] = problem.detail
                grant = (
                    f"Grant gate's identity {problem.permission}, then re-run. " if problem.permission else ""
                )
                return Outcome.error(
                    f"Connectivity Test REACHABLE but not proven: {problem.detail}",
                    evidence=evidence,
                    remediation=grant + "Only a complete trace that delivers to the destination proves "
                    "reachability (Network Management reports REACHABLE for an analysis that stopped at "
                    "a step the viewer may not see).",
                )
            why = f" (resolves: {doubt.detail})" if doubt else ""
            return Outcome.passed(
                f"{dest.name} {dest.ip}:{dest.port} reachable from revision {rev.short_name}: every hop ok, "
                f"Connectivity Test REACHABLE with a complete trace{why}",
                evidence=evidence,
            )
        if res.result == "UNREACHABLE":
            step = next((s for t in res.traces if (s := t.breaking_step) is not None), None)
            cause = (
                f"{step.cause or step.state} at {step.resource or step.description}" if step else "no trace"
            )
            info["drop"] = cause
            return Outcome.failed(
                f"Connectivity Test: {dest.ip}:{dest.port} UNREACHABLE from revision "
                f"{rev.short_name} ({cause})",
                evidence=evidence,
                remediation="Fix the hop the Connectivity Test names "
                "(the configuration hops all looked right).",
            )
        return Outcome.error(
            f"Connectivity Test result {res.result}: reachability not proven"
            + (f" ({res.error})" if res.error else ""),
            evidence=evidence,
            remediation="Check the test in the console (Network Intelligence Center); AMBIGUOUS or "
            "UNDETERMINED is never a pass.",
        )
