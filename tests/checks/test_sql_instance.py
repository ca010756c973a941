"""sql.instance through the emulator, and the tier order of gate.checks.sql_tiers."""

from __future__ import annotations

from typing import Any

import pytest

from gate.checks import sql_tiers
from gate.checks.sql_instance import SqlInstance
from gate.model import Status
from tests.checks.worlds import SERVICE, attempt, dump, edited, env_of, revision, serving, world

REV = "netra-backend-staging-00042-xq7"
BASE = {"instance": "staging-shared-postgres"}


def check(w: Any, **params: Any) -> Any:
    with serving(w) as emu:
        return attempt(SqlInstance, {**BASE, **params}, emu)


def settings(**kw: Any) -> Any:
    def edit(d: dict[str, Any]) -> None:
        d["sqladmin"]["instances"][0]["settings"].update(kw)

    return edit


def test_s12_healthy_passes_every_expectation() -> None:
    o = check(
        world("s12-healthy"),
        min_tier="db-custom-1-3840",
        database_version_prefix="POSTGRES_",
        connected_from={"service": SERVICE},
    )
    assert o.status is Status.PASS, o.summary
    assert o.evidence["connected_via"] == "Cloud SQL volume of the revision"
    assert o.evidence["tier_size"] == "2 vCPU / 7.50 GiB"


def test_s7_shared_core_tier_below_minimum_is_a_final_fail() -> None:
    o = check(world("s7-database-underprovisioned"), min_tier="db-custom-1-3840")
    assert o.status is Status.FAIL and o.final
    assert (
        "tier db-g1-small (shared core (0.5 vCPU) / 1.70 GiB) is below the minimum "
        "db-custom-1-3840 (1 vCPU / 3.75 GiB)"
    ) in o.summary
    assert "--tier db-custom-1-3840" in o.remediation


@pytest.mark.parametrize(
    ("minimum", "status"), [("db-custom-2-7680", Status.PASS), ("db-custom-4-15360", Status.FAIL)]
)
def test_custom_tier_as_minimum(minimum: str, status: Status) -> None:
    assert check(world("s12-healthy"), min_tier=minimum).status is status


def _api_tier(tier: str, ram: int) -> Any:
    def edit(d: dict[str, Any]) -> None:
        d["sqladmin"]["instances"][0]["settings"]["tier"] = tier
        d["sqladmin"]["tiers"].append(
            {"kind": "sql#tier", "tier": tier, "RAM": str(ram), "region": ["us-central1"]}
        )

    return edit


def test_unknown_tier_is_sized_through_the_tiers_api() -> None:
    w = edited("s12-healthy", _api_tier("db-n4-standard-4", 16 * 1024**3))
    o = check(w, min_tier="db-custom-2-7680")
    assert o.status is Status.PASS, o.summary
    assert o.evidence["tier_size"] == "4 vCPU / 16.00 GiB"


def test_tier_without_derivable_vcpus_is_an_error_naming_it() -> None:
    o = check(edited("s12-healthy", _api_tier("db-lightning", 16 * 1024**3)), min_tier="db-custom-2-7680")
    assert o.status is Status.ERROR
    assert "db-lightning" in o.summary and "no vCPU count" in o.summary


def test_tier_unknown_everywhere_is_an_error() -> None:
    o = check(world("s12-healthy"), min_tier="db-nonexistent-8")
    assert o.status is Status.ERROR
    assert o.summary.startswith("unknown Cloud SQL tier db-nonexistent-8")


def test_regional_availability() -> None:
    o = check(world("s12-healthy"), availability="REGIONAL")
    assert o.status is Status.FAIL and "availability is ZONAL, expected REGIONAL" in o.summary
    assert check(
        edited("s12-healthy", settings(availabilityType="REGIONAL")), availability="REGIONAL"
    ).status is (Status.PASS)


def test_database_version_prefix() -> None:
    o = check(world("s12-healthy"), database_version_prefix="MYSQL_")
    assert o.status is Status.FAIL
    assert "database version POSTGRES_15 does not start with MYSQL_" in o.summary


def test_not_runnable_is_polled_while_in_maintenance() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["sqladmin"]["instances"][0]["state"] = "MAINTENANCE"

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and not o.final
    assert o.summary == (
        "Cloud SQL instance staging-shared-postgres is not serving: MAINTENANCE, not RUNNABLE: "
        "the instance is down for maintenance"
    )


def _state(state: str, activation: str | None = "ALWAYS") -> Any:
    def edit(d: dict[str, Any]) -> None:
        inst = d["sqladmin"]["instances"][0]
        inst["state"] = state
        if activation is None:
            inst["settings"].pop("activationPolicy", None)
        else:
            inst["settings"]["activationPolicy"] = activation

    return edit


def test_stopped_instance_is_a_final_fail_naming_activation_policy_and_the_fix() -> None:
    """RUNNABLE is documented as "running, or has been stopped by owner": NEVER means off."""
    o = check(edited("s12-healthy", _state("RUNNABLE", "NEVER")))
    assert o.status is Status.FAIL and o.final
    assert "settings.activationPolicy NEVER" in o.summary and "stopped" in o.summary
    assert (
        "gcloud sql instances patch staging-shared-postgres --project netra-staging "
        "--activation-policy=ALWAYS"
    ) in o.remediation
    assert o.evidence["activation_policy"] == "NEVER"


@pytest.mark.parametrize("activation", ["ON_DEMAND", None])
def test_on_demand_or_absent_activation_policy_cannot_be_proven(activation: str | None) -> None:
    o = check(edited("s12-healthy", _state("RUNNABLE", activation)))
    assert o.status is Status.ERROR, o.summary
    assert "activationPolicy" in o.summary


# Every DatabaseInstance.state of the sqladmin v1beta4 discovery document, decided explicitly.
@pytest.mark.parametrize(
    ("state", "final"),
    [
        ("PENDING_CREATE", False),
        ("MAINTENANCE", False),
        ("ONLINE_MAINTENANCE", False),
        ("REPAIRING", False),
        ("SUSPENDED", True),
        ("FAILED", True),
        ("PENDING_DELETE", True),
    ],
)
def test_every_state_but_runnable_is_not_serving(state: str, final: bool) -> None:
    o = check(edited("s12-healthy", _state(state)))
    assert o.status is Status.FAIL and o.final is final, o.summary
    assert f"not serving: {state}, not RUNNABLE" in o.summary


def test_unspecified_state_is_an_error() -> None:
    o = check(edited("s12-healthy", _state("SQL_INSTANCE_STATE_UNSPECIFIED")))
    assert o.status is Status.ERROR


def test_judge_fails_closed_on_values_it_does_not_know() -> None:
    from gate.checks.sql_state import Serving, judge

    assert judge("db", "p", "HIBERNATING", "ALWAYS").serving is Serving.UNKNOWN
    assert judge("db", "p", "RUNNABLE", "SOMETIMES").serving is Serving.UNKNOWN
    assert judge("db", "p", "RUNNABLE", "ALWAYS").serving is Serving.YES


def _no_volume(host: str) -> Any:
    def edit(d: dict[str, Any]) -> None:
        r = revision(d, REV)
        r.pop("volumes")
        r["containers"][0].pop("volumeMounts")
        for e in env_of(d, REV):
            if e["name"] == "POSTGRES_HOST":
                e["value"] = host

    return edit


def test_connected_through_private_ip_in_env_without_printing_it() -> None:
    o = check(edited("s12-healthy", _no_volume("10.107.0.3")), connected_from={"service": SERVICE})
    assert o.status is Status.PASS, o.summary
    assert o.evidence["connected_via"] == "env POSTGRES_HOST of container backend-1"
    assert "10.107.0.3" not in dump(o)


def test_not_connected_fails() -> None:
    # 10.107.0.34 contains the instance's IP as a prefix: it must not count.
    o = check(edited("s12-healthy", _no_volume("10.107.0.34")), connected_from={"service": SERVICE})
    assert o.status is Status.FAIL and o.final
    assert f"revision {REV} does not use it" in o.summary
    assert "--add-cloudsql-instances netra-staging:us-central1:staging-shared-postgres" in o.remediation
    assert "10.107.0.34" not in dump(o)


def test_missing_instance_is_a_final_fail() -> None:
    o = check(world("s12-healthy"), instance="nope")
    assert o.status is Status.FAIL and o.final
    assert "nope" in o.summary


def test_tier_order() -> None:
    order = [
        "db-f1-micro",
        "db-g1-small",
        "db-custom-1-3840",
        "db-n1-standard-1",
        "db-n1-highmem-1",
        "db-custom-2-7680",
        "db-perf-optimized-N-2",
        "db-n1-standard-4",
    ]
    sizes = [sql_tiers.known(t) for t in order]
    assert all(s is not None for s in sizes)
    keys = [s.key for s in sizes if s is not None]
    assert keys == sorted(keys)
    assert sql_tiers.known("db-n1-highmem-2") == sql_tiers.TierSize(
        "db-n1-highmem-2", False, 2.0, 13312, "table"
    )
    assert sql_tiers.known("db-whatever") is None
