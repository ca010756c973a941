"""What changed between two Cloud Run revisions, by name only (pure; used by ``run.diff``).

Every row names a variable, a resource or a setting and says what happened to
it; no literal env value is ever put in a row. The only use of a literal value
is to tell "set" from "empty", because a variable that a deploy emptied (S5's
``POSTGRES_HOST=""``) is as lost as one it removed.

Row keys are what a policy's ``allow:`` / ``fail_on:`` patterns match:
``env:NAME``, ``image``, ``resources.cpu``, ``startup_probe`` for the ingress
container, the same prefixed with ``CONTAINER/`` for any other container
(``otel/env:NAME``), ``container:NAME`` for a container added or removed, and
``vpc``, ``vpc.connector``, ``vpc.network``, ``vpc.subnetwork``, ``vpc.tags``,
``vpc.egress``, ``cloudsql:PROJECT:REGION:INSTANCE``, ``service_account``,
``scaling.min_instances``, ``scaling.max_instances`` for the revision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gate.gcp import names

if TYPE_CHECKING:  # annotations only: `gate validate` imports run_diff for its schema
    from gate.gcp.facts_run import Container, EnvVar, Probe, Revision, VpcAccess

ABSENT = "-"
# run.v2 VpcAccess.egress: "If not provided, it defaults to PRIVATE_RANGES_ONLY" (discovery doc).
DEFAULT_EGRESS = "PRIVATE_RANGES_ONLY"


@dataclass(frozen=True)
class Change:
    key: str  # what allow/fail_on patterns match, e.g. "env:POSTGRES_PORT"
    kind: str  # removed / added / emptied / filled / changed / literal -> secret / ...
    before: str
    after: str
    loss: bool = False  # something the baseline had that the target no longer has


def compare(
    base: Revision, target: Revision, *, ingress: Callable[[Revision], Container], project: str
) -> list[Change]:
    """Changes from ``base`` to ``target``: losses first, then in a fixed section order.

    ``ingress`` picks a revision's ingress container (``gate.checks.target.pick_container``),
    so the ingress containers are paired whatever their names; others pair by name.
    """
    out: list[Change] = []
    out.extend(_containers(base, target, ingress))
    out.extend(_vpc(base.vpc_access, target.vpc_access, project))
    before, after = set(base.cloudsql_instances), set(target.cloudsql_instances)
    out.extend(Change(f"cloudsql:{c}", "detached", "attached", ABSENT, True) for c in sorted(before - after))
    out.extend(Change(f"cloudsql:{c}", "attached", ABSENT, "attached") for c in sorted(after - before))
    out.extend(_setting("service_account", base.service_account, target.service_account))
    out.extend(_setting("scaling.min_instances", _num(base.min_instances), _num(target.min_instances)))
    out.extend(_setting("scaling.max_instances", _num(base.max_instances), _num(target.max_instances)))
    return [c for c in out if c.loss] + [c for c in out if not c.loss]


def _num(n: int | None) -> str | None:
    return None if n is None else str(n)


def _setting(key: str, before: str | None, after: str | None) -> list[Change]:
    if before == after:
        return []
    kind = "added" if before is None else "removed" if after is None else "changed"
    return [Change(key, kind, before or ABSENT, after or ABSENT)]


# -- containers -----------------------------------------------------------------------


def _containers(base: Revision, target: Revision, ingress: Callable[[Revision], Container]) -> list[Change]:
    pairs: list[tuple[str, Container, Container]] = []
    b_in, t_in = ingress(base), ingress(target)
    pairs.append(("", b_in, t_in))
    b_rest = {_cname(c, i): c for i, c in enumerate(base.containers) if c is not b_in}
    t_rest = {_cname(c, i): c for i, c in enumerate(target.containers) if c is not t_in}
    out: list[Change] = []
    for name in sorted(set(b_rest) | set(t_rest)):
        b, t = b_rest.get(name), t_rest.get(name)
        if b is not None and t is not None:
            pairs.append((f"{name}/", b, t))
        elif b is not None:
            out.append(Change(f"container:{name}", "removed", b.image, ABSENT, True))
        elif t is not None:
            out.append(Change(f"container:{name}", "added", ABSENT, t.image))
    for prefix, b, t in pairs:
        out.extend(_env(prefix, b.env, t.env))
        out.extend(_image(prefix, b.image, t.image))
        for key in sorted({k for k, _ in b.limits} | {k for k, _ in t.limits}):
            out.extend(_setting(f"{prefix}resources.{key}", dict(b.limits).get(key), dict(t.limits).get(key)))
        out.extend(_setting(f"{prefix}startup_probe", _probe(b.startup_probe), _probe(t.startup_probe)))
    return out


def _cname(c: Container, index: int) -> str:
    return c.name or f"#{index}"


def _image(prefix: str, before: str, after: str) -> list[Change]:
    # The installed google-cloud-run Revision has no containerStatuses (their imageDigest), so
    # the digest compared is the one the image reference pins (IMAGE@sha256:...), when it does.
    b_digest, a_digest = _digest(before), _digest(after)
    if before == after or (b_digest is not None and b_digest == a_digest):
        return []
    return [Change(f"{prefix}image", "changed", before, after)]


def _digest(image: str) -> str | None:
    return image.split("@", 1)[1] if "@" in image else None


def _probe(p: Probe | None) -> str | None:
    if p is None:
        return None
    where = ""
    if p.path is not None:
        where += f" {p.path}"
    if p.port is not None:
        where += f" port {p.port}"
    timing = [
        f"{label} {value}s" if label != "failures" else f"{label} {value}"
        for label, value in (
            ("delay", p.initial_delay_seconds or None),
            ("timeout", p.timeout_seconds),
            ("period", p.period_seconds),
            ("failures", p.failure_threshold),
        )
        if value is not None
    ]
    return f"{p.action or 'no action'}{where}" + (f" ({', '.join(timing)})" if timing else "")


# -- environment -----------------------------------------------------------------------


def _state(v: EnvVar) -> str:
    """How a variable is set, never its value."""
    if v.secret is not None:
        return f"secret {names.last(v.secret.secret)} version {v.secret.version}"
    return "literal" if _filled(v) else "literal (empty)"


def _filled(v: EnvVar) -> bool:
    return v.secret is not None or bool(v.value is not None and v.value.reveal())


def _env(prefix: str, base: Iterable[EnvVar], target: Iterable[EnvVar]) -> list[Change]:
    b = {v.name: v for v in base}
    t = {v.name: v for v in target}
    out: list[Change] = []
    for name in sorted(set(b) | set(t)):
        key = f"{prefix}env:{name}"
        before, after = b.get(name), t.get(name)
        if before is not None and after is None:
            out.append(Change(key, "removed", _state(before), ABSENT, True))
        elif before is None and after is not None:
            out.append(Change(key, "added", ABSENT, _state(after)))
        elif before is not None and after is not None:
            change = _env_change(key, before, after)
            if change is not None:
                out.append(change)
    return out


def _env_change(key: str, before: EnvVar, after: EnvVar) -> Change | None:
    was, now = _state(before), _state(after)
    if before.secret is None and after.secret is None:
        if _filled(before) and not _filled(after):
            return Change(key, "emptied", was, now, True)
        if not _filled(before) and _filled(after):
            return Change(key, "filled", was, now)
        return None  # a literal value changing is not reported: that would say something about it
    if before.secret is None:
        return Change(key, "literal -> secret", was, now)
    if after.secret is None:
        return Change(key, "secret -> literal", was, now, loss=not _filled(after))
    if names.last(before.secret.secret) != names.last(after.secret.secret):
        return Change(key, "secret changed", was, now)
    if before.secret.version != after.secret.version:
        return Change(key, "secret version changed", was, now)
    return None


# -- VPC access ------------------------------------------------------------------------


def _configured(v: VpcAccess | None) -> bool:
    return v is not None and v.configured


def _describe_vpc(v: VpcAccess) -> str:
    egress = v.egress or DEFAULT_EGRESS
    if v.connector:
        return f"connector {names.last(v.connector)}, egress {egress}"
    nic = v.network_interfaces[0]
    where = []
    if nic.network:
        where.append(f"network {names.last(nic.network)}")
    if nic.subnetwork:
        where.append(f"subnetwork {names.last(nic.subnetwork)}")
    return f"Direct VPC egress ({', '.join(where)}), egress {egress}"


def _connector(v: VpcAccess) -> tuple[str, str] | None:
    # Compared by location and name: the API accepts the project as an id or a number.
    if not v.connector:
        return None
    return (names.segment(v.connector, "locations") or "", names.last(v.connector))


def _net(ref: str | None, project: str) -> str | None:
    if not ref:
        return None
    p, n = names.compute_ref(ref, project)
    return f"{p}/{n}"


def _vpc(base: VpcAccess | None, target: VpcAccess | None, project: str) -> list[Change]:
    if not _configured(base) and not _configured(target):
        return []
    if base is not None and _configured(base) and not _configured(target):
        return [Change("vpc", "removed", _describe_vpc(base), ABSENT, True)]
    if target is not None and _configured(target) and not _configured(base):
        return [Change("vpc", "added", ABSENT, _describe_vpc(target))]
    assert base is not None and target is not None
    out: list[Change] = []
    b_conn, t_conn = _connector(base), _connector(target)
    if b_conn != t_conn:
        out.extend(
            _setting(
                "vpc.connector",
                names.last(base.connector) if base.connector else None,
                names.last(target.connector) if target.connector else None,
            )
        )
    b_nic = base.network_interfaces[0] if base.network_interfaces else None
    t_nic = target.network_interfaces[0] if target.network_interfaces else None
    for key, pick in (("vpc.network", "network"), ("vpc.subnetwork", "subnetwork")):
        b_ref = getattr(b_nic, pick) if b_nic else None
        t_ref = getattr(t_nic, pick) if t_nic else None
        if _net(b_ref, project) != _net(t_ref, project):
            out.extend(
                _setting(key, names.last(b_ref) if b_ref else None, names.last(t_ref) if t_ref else None)
            )
    b_tags = ",".join(sorted(b_nic.tags)) if b_nic and b_nic.tags else None
    t_tags = ",".join(sorted(t_nic.tags)) if t_nic and t_nic.tags else None
    out.extend(_setting("vpc.tags", b_tags, t_tags))
    out.extend(_setting("vpc.egress", base.egress or DEFAULT_EGRESS, target.egress or DEFAULT_EGRESS))
    return out
