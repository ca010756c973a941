"""Compute Engine networking: networks (peerings), subnetworks, firewalls, effective firewalls
(VPC rules and firewall policies), routes, global addresses.

Lists are read whole per project (memoised) and filtered here, so several checks
on one network cost one request each, and no filter syntax is trusted to the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate.gcp import names
from gate.gcp.facts import need, opt
from gate.gcp.transport.paging import first_page, pages

if TYPE_CHECKING:
    from gate.gcp.transport.clients import Transport


@dataclass(frozen=True)
class Peering:
    name: str
    network: str  # the peer network's URL
    state: str  # ACTIVE / INACTIVE
    state_details: str
    export_custom_routes: bool
    import_custom_routes: bool


@dataclass(frozen=True)
class Network:
    name: str
    project: str
    self_link: str
    auto_create_subnetworks: bool
    subnetworks: tuple[str, ...]  # URLs
    peerings: tuple[Peering, ...]
    # AFTER_CLASSIC_FIREWALL / BEFORE_CLASSIC_FIREWALL; None = unset (documented default: AFTER).
    firewall_policy_enforcement_order: str | None = None


@dataclass(frozen=True)
class Subnetwork:
    name: str
    region: str  # short region name
    network: str  # URL
    ip_cidr_range: str
    self_link: str
    purpose: str | None
    secondary_ranges: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Rule:
    protocol: str  # "tcp", "udp", "icmp", "all", or a protocol number
    ports: tuple[str, ...]  # "6379", "1000-2000"; empty = all ports


@dataclass(frozen=True)
class Firewall:
    name: str
    network: str  # URL
    direction: str  # INGRESS / EGRESS
    priority: int  # lower wins; the API default is 1000
    action: str  # "allow" / "deny"
    rules: tuple[Rule, ...]
    source_ranges: tuple[str, ...]
    destination_ranges: tuple[str, ...]
    source_tags: tuple[str, ...]
    target_tags: tuple[str, ...]
    target_service_accounts: tuple[str, ...]
    disabled: bool


@dataclass(frozen=True)
class SecureTag:
    name: str  # tagValues/123
    state: str  # EFFECTIVE / INEFFECTIVE; "" when unset


@dataclass(frozen=True)
class PolicyRule:
    """A FirewallPolicyRule as the effective-firewalls answer gives it."""

    priority: int
    action: str  # allow / deny / goto_next / apply_security_profile_group (mirroring rules are not here)
    direction: str  # INGRESS / EGRESS
    disabled: bool
    rule_name: str
    layer4: tuple[Rule, ...]  # match.layer4Configs
    dest_ip_ranges: tuple[str, ...]
    src_ip_ranges: tuple[str, ...]
    dest_network_type: str  # match.destNetworkType (or destNetworkContext); "" when unset
    target_type: str  # INSTANCES / INTERNAL_MANAGED_LB; "" when unset (INSTANCES)
    target_resources: tuple[str, ...]  # network URLs the rule applies to; () = all
    target_service_accounts: tuple[str, ...]
    target_secure_tags: tuple[SecureTag, ...]
    target_forwarding_rules: tuple[str, ...]
    # Matchers gate does not evaluate, by API name (destFqdns, srcAddressGroups, ...), when set.
    other_dest: tuple[str, ...]
    other_src: tuple[str, ...]


@dataclass(frozen=True)
class EffectivePolicy:
    name: str  # shortName or displayName when set (hierarchical policies are named by number)
    type: str  # HIERARCHY / NETWORK / NETWORK_REGIONAL / SYSTEM / SYSTEM_GLOBAL / SYSTEM_REGIONAL
    priority: int  # association priority; 0 when unset (HIERARCHY)
    rules: tuple[PolicyRule, ...]


@dataclass(frozen=True)
class EffectiveFirewalls:
    """``getEffectiveFirewalls`` of one network (and region): what really filters its packets."""

    network: str  # projects/p/global/networks/n
    region: str | None  # the regional answer also lists the region's network firewall policies
    firewalls: tuple[Firewall, ...]  # VPC firewall rules
    policies: tuple[EffectivePolicy, ...]  # in the order the API lists them


@dataclass(frozen=True)
class Route:
    name: str
    network: str
    dest_range: str
    priority: int
    next_hop: str  # the URL/IP of whichever next hop is set
    next_hop_type: str  # gateway / instance / ip / network / peering / ilb / vpn_tunnel / hub / ...
    tags: tuple[str, ...]
    route_type: str | None


@dataclass(frozen=True)
class GlobalAddress:
    name: str
    address: str
    prefix_length: int
    purpose: str | None  # VPC_PEERING for private services access ranges
    network: str | None
    address_type: str | None  # INTERNAL / EXTERNAL
    status: str | None


def same_network(a: str, b: str, default_project: str) -> bool:
    return names.compute_ref(a, default_project) == names.compute_ref(b, default_project)


class ComputeProvider:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def network(self, ref: str, *, deadline: float, fresh: bool = False) -> Network:
        project, name = names.compute_ref(ref, self.transport.project)
        resource = f"projects/{project}/global/networks/{name}"

        def get(dl: float) -> Network:
            client = self.transport.client("compute.networks")
            m = self.transport.call(
                "compute.networks",
                "networks.get",
                lambda t: client.get(project=project, network=name, retry=None, timeout=t),
                deadline=dl,
                resource=resource,
                permission="compute.networks.get",
            )
            return Network(
                name=need(m.name, "name", resource),
                project=project,
                self_link=need(m.self_link, "selfLink", resource),
                auto_create_subnetworks=bool(m.auto_create_subnetworks),
                subnetworks=tuple(m.subnetworks),
                firewall_policy_enforcement_order=opt(m.network_firewall_policy_enforcement_order),
                peerings=tuple(
                    Peering(
                        name=p.name,
                        network=need(p.network, "peering network", resource),
                        state=need(p.state, "peering state", resource),
                        state_details=p.state_details,
                        export_custom_routes=bool(p.export_custom_routes),
                        import_custom_routes=bool(p.import_custom_routes),
                    )
                    for p in m.peerings
                ),
            )

        return self.transport.fetch(("compute.network", resource), get, deadline=deadline, fresh=fresh)

    def subnetwork(
        self, ref: str, region: str | None = None, *, deadline: float, fresh: bool = False
    ) -> Subnetwork:
        project, name = names.compute_ref(ref, self.transport.project)
        region = names.segment(ref, "regions") or region or self.transport.region
        resource = f"projects/{project}/regions/{region}/subnetworks/{name}"

        def get(dl: float) -> Subnetwork:
            client = self.transport.client("compute.subnetworks")
            m = self.transport.call(
                "compute.subnetworks",
                "subnetworks.get",
                lambda t: client.get(project=project, region=region, subnetwork=name, retry=None, timeout=t),
                deadline=dl,
                resource=resource,
                permission="compute.subnetworks.get",
            )
            return _subnetwork(m, resource)

        return self.transport.fetch(("compute.subnetwork", resource), get, deadline=deadline, fresh=fresh)

    def subnetworks(
        self, network: str, region: str | None = None, *, deadline: float, fresh: bool = False
    ) -> tuple[Subnetwork, ...]:
        """Subnetworks of ``network`` in ``region`` (the run's region by default)."""
        project = names.compute_ref(network, self.transport.project)[0]
        region = region or self.transport.region
        resource = f"projects/{project}/regions/{region}/subnetworks"
        client_name = "compute.subnetworks"

        def list_all(dl: float) -> tuple[Subnetwork, ...]:
            client = self.transport.client(client_name)
            out: list[Subnetwork] = []
            for page in pages(
                self.transport,
                client_name,
                "subnetworks.list",
                lambda tok, t: first_page(
                    client.list(
                        request={"project": project, "region": region, "page_token": tok},
                        retry=None,
                        timeout=t,
                    )
                ),
                deadline=dl,
                resource=resource,
                permission="compute.subnetworks.list",
            ):
                out.extend(_subnetwork(m, resource) for m in page.items)
            return tuple(out)

        every = self.transport.fetch(
            ("compute.subnetworks", resource), list_all, deadline=deadline, fresh=fresh
        )
        return tuple(s for s in every if same_network(s.network, network, project))

    def firewalls(self, network: str, *, deadline: float, fresh: bool = False) -> tuple[Firewall, ...]:
        project = names.compute_ref(network, self.transport.project)[0]
        every = self._list(
            project,
            "compute.firewalls",
            "firewalls.list",
            "compute.firewalls.list",
            "global/firewalls",
            _firewall,
            deadline=deadline,
            fresh=fresh,
        )
        return tuple(f for f in every if same_network(f.network, network, project))

    def effective_firewalls(
        self, network: str, region: str | None = None, *, deadline: float, fresh: bool = False
    ) -> EffectiveFirewalls:
        """The network's effective firewalls; with ``region``, the regional answer.

        ``regionNetworkFirewallPolicies.getEffectiveFirewalls`` lists "Regional Network
        Firewall Policies in the specified region, Global Network Firewall Policies and
        Hierarchical Firewall Policies which are associated with the network" and the VPC
        firewall rules; ``networks.getEffectiveFirewalls`` (no region) leaves the regional
        policies out. The network's own project is asked (a Shared VPC host project).
        """
        project, name = names.compute_ref(network, self.transport.project)
        full = f"projects/{project}/global/networks/{name}"
        if region:
            api, method = (
                "compute.regionNetworkFirewallPolicies",
                "regionNetworkFirewallPolicies.getEffectiveFirewalls",
            )
            resource = (
                f"projects/{project}/regions/{region}/firewallPolicies/getEffectiveFirewalls?network={name}"
            )
            permission = "compute.networks.getRegionEffectiveFirewalls"
        else:
            api, method = "compute.networks", "networks.getEffectiveFirewalls"
            resource, permission = f"{full}/getEffectiveFirewalls", "compute.networks.getEffectiveFirewalls"
        link = f"https://www.googleapis.com/compute/v1/{full}"

        def get(dl: float) -> EffectiveFirewalls:
            client = self.transport.client(api)
            if region:
                fn = lambda t: client.get_effective_firewalls(  # noqa: E731
                    project=project, region=region, network=link, retry=None, timeout=t
                )
            else:
                fn = lambda t: client.get_effective_firewalls(  # noqa: E731
                    project=project, network=name, retry=None, timeout=t
                )
            m = self.transport.call(api, method, fn, deadline=dl, resource=resource, permission=permission)
            return EffectiveFirewalls(
                network=full,
                region=region,
                firewalls=tuple(_firewall(f, f"projects/{project}/global/firewalls") for f in m.firewalls),
                policies=tuple(_policy(p, resource) for p in m.firewall_policys),
            )

        return self.transport.fetch(("compute.effective", full, region), get, deadline=deadline, fresh=fresh)

    def routes(self, network: str, *, deadline: float, fresh: bool = False) -> tuple[Route, ...]:
        project = names.compute_ref(network, self.transport.project)[0]
        every = self._list(
            project,
            "compute.routes",
            "routes.list",
            "compute.routes.list",
            "global/routes",
            _route,
            deadline=deadline,
            fresh=fresh,
        )
        return tuple(r for r in every if same_network(r.network, network, project))

    def global_addresses(
        self, *, network: str | None = None, purpose: str | None = None, deadline: float, fresh: bool = False
    ) -> tuple[GlobalAddress, ...]:
        project = names.compute_ref(network, self.transport.project)[0] if network else self.transport.project
        every = self._list(
            project,
            "compute.addresses",
            "globalAddresses.list",
            "compute.globalAddresses.list",
            "global/addresses",
            _address,
            deadline=deadline,
            fresh=fresh,
        )
        return tuple(
            a
            for a in every
            if (network is None or (a.network and same_network(a.network, network, project)))
            and (purpose is None or a.purpose == purpose)
        )

    def _list(
        self,
        project: str,
        api: str,
        method: str,
        permission: str,
        path: str,
        parse: Any,
        *,
        deadline: float,
        fresh: bool,
    ) -> tuple[Any, ...]:
        resource = f"projects/{project}/{path}"

        def list_all(dl: float) -> tuple[Any, ...]:
            client = self.transport.client(api)
            out: list[Any] = []
            for page in pages(
                self.transport,
                api,
                method,
                lambda tok, t: first_page(
                    client.list(request={"project": project, "page_token": tok}, retry=None, timeout=t)
                ),
                deadline=dl,
                resource=resource,
                permission=permission,
            ):
                out.extend(parse(m, resource) for m in page.items)
            return tuple(out)

        return self.transport.fetch((api, resource), list_all, deadline=deadline, fresh=fresh)


def _subnetwork(m: Any, resource: str) -> Subnetwork:
    return Subnetwork(
        name=need(m.name, "name", resource),
        region=names.last(need(m.region, "region", resource)),
        network=need(m.network, "network", resource),
        ip_cidr_range=need(m.ip_cidr_range, "ipCidrRange", resource),
        self_link=m.self_link,
        purpose=opt(m.purpose),
        secondary_ranges=tuple((r.range_name, r.ip_cidr_range) for r in m.secondary_ip_ranges),
    )


def _firewall(m: Any, resource: str) -> Firewall:
    name = need(m.name, "name", resource)
    where = f"{resource}/{name}"
    allow, deny = list(m.allowed), list(m.denied)
    if bool(allow) == bool(deny):
        need(None, "exactly one of allowed/denied", where)
    rules = tuple(
        Rule(protocol=need(r.I_p_protocol, "IPProtocol", where), ports=tuple(r.ports))
        for r in (allow or deny)
    )
    return Firewall(
        name=name,
        network=need(m.network, "network", where),
        direction=need(m.direction, "direction", where),
        # Unset priority means 1000 (the API default), not 0 (the highest priority).
        priority=int(m.priority) if "priority" in m else 1000,
        action="allow" if allow else "deny",
        rules=rules,
        source_ranges=tuple(m.source_ranges),
        destination_ranges=tuple(m.destination_ranges),
        source_tags=tuple(m.source_tags),
        target_tags=tuple(m.target_tags),
        target_service_accounts=tuple(m.target_service_accounts),
        disabled=bool(m.disabled),
    )


# FirewallPolicyRuleMatcher fields gate does not evaluate (set = the rule may or may not apply).
_OTHER_DEST = ("dest_address_groups", "dest_fqdns", "dest_region_codes", "dest_threat_intelligences")
_OTHER_SRC = (
    "src_address_groups",
    "src_fqdns",
    "src_region_codes",
    "src_threat_intelligences",
    "src_secure_tags",
    "src_networks",
)


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(p.title() for p in rest)


def _policy_rule(r: Any, where: str) -> PolicyRule:
    match = r.match if "match" in r else None
    dest_type = ""
    src_other: list[str] = []
    dest_other: list[str] = []
    layer4: tuple[Rule, ...] = ()
    dest: tuple[str, ...] = ()
    src: tuple[str, ...] = ()
    if match is not None:
        layer4 = tuple(
            Rule(protocol=need(c.ip_protocol, "layer4Configs.ipProtocol", where), ports=tuple(c.ports))
            for c in match.layer4_configs
        )
        dest, src = tuple(match.dest_ip_ranges), tuple(match.src_ip_ranges)
        dest_other = [_camel(f) for f in _OTHER_DEST if list(getattr(match, f))]
        src_other = [_camel(f) for f in _OTHER_SRC if list(getattr(match, f))]
        dest_type = match.dest_network_type or match.dest_network_context
        src_type = match.src_network_type or match.src_network_context
        if src_type and src_type != "UNSPECIFIED":
            src_other.append(f"srcNetworkType {src_type}")
    return PolicyRule(
        priority=int(r.priority) if "priority" in r else 0,
        action=need(r.action, "action", where),
        direction=need(r.direction, "direction", where),
        disabled=bool(r.disabled),
        rule_name=r.rule_name,
        layer4=layer4,
        dest_ip_ranges=dest,
        src_ip_ranges=src,
        dest_network_type=dest_type,
        target_type=r.target_type,
        target_resources=tuple(r.target_resources),
        target_service_accounts=tuple(r.target_service_accounts),
        target_secure_tags=tuple(SecureTag(t.name, t.state) for t in r.target_secure_tags),
        target_forwarding_rules=tuple(r.target_forwarding_rules),
        other_dest=tuple(dest_other),
        other_src=tuple(src_other),
    )


def _policy(p: Any, resource: str) -> EffectivePolicy:
    name = getattr(p, "short_name", "") or p.display_name or p.name
    where = f"{resource} firewall policy {name or '?'}"
    return EffectivePolicy(
        name=need(name, "firewall policy name", resource),
        type=p.type_ or "",
        priority=int(p.priority) if "priority" in p else 0,
        rules=tuple(_policy_rule(r, where) for r in p.rules),
    )


_NEXT_HOPS = (
    "gateway",
    "instance",
    "ip",
    "network",
    "peering",
    "ilb",
    "vpn_tunnel",
    "hub",
    "interconnect_attachment",
)


def _route(m: Any, resource: str) -> Route:
    name = need(m.name, "name", resource)
    where = f"{resource}/{name}"
    kind, hop = next(
        ((k, getattr(m, f"next_hop_{k}")) for k in _NEXT_HOPS if getattr(m, f"next_hop_{k}")), ("", "")
    )
    return Route(
        name=name,
        network=need(m.network, "network", where),
        dest_range=need(m.dest_range, "destRange", where),
        priority=int(m.priority) if "priority" in m else 1000,
        next_hop=need(hop, "next hop", where),
        next_hop_type=kind,
        tags=tuple(m.tags),
        route_type=opt(m.route_type),
    )


def _address(m: Any, resource: str) -> GlobalAddress:
    name = need(m.name, "name", resource)
    where = f"{resource}/{name}"
    return GlobalAddress(
        name=name,
        address=need(m.address, "address", where),
        prefix_length=int(m.prefix_length),
        purpose=opt(m.purpose),
        network=opt(m.network),
        address_type=opt(m.address_type),
        status=opt(m.status),
    )
