"""run.diff through the emulator: the baseline it picks, the changes it reports, losses fail.

Worlds are s12-healthy edited in Python; literal env values are canaries that
must not appear in any outcome.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gate.checks.revision_changes import Change, compare
from gate.checks.run_diff import RevisionDiff
from gate.checks.target import pick_container
from gate.gcp.facts_run import Container, EnvVar, NetworkInterface, Revision, SecretRef, VpcAccess
from gate.model import Status
from tests.checks.worlds import (
    LOC,
    PROJECT,
    REV_PREFIX,
    SERVICE,
    attempt,
    dump,
    edited,
    revision,
    service,
    serving,
    world,
)

NEW = "netra-backend-staging-00042-xq7"  # latest created, serves 100% in s12
OLD = "netra-backend-staging-00041-m4f"  # created before it, Ready, retired
CANARY = "canary-Dv93-literal-never-shown"
PARAMS = {"service": SERVICE}


def check(w: Any, params: dict[str, Any] | None = None) -> Any:
    with serving(w) as emu:
        return attempt(RevisionDiff, params or PARAMS, emu)


def own(d: dict[str, Any], short: str) -> dict[str, Any]:
    """The revision's dict with its own containers/volumes (the world shares them through anchors)."""
    r = revision(d, short)
    for key in ("containers", "volumes"):
        if key in r:
            r[key] = copy.deepcopy(r[key])
    return r


def env(d: dict[str, Any], short: str) -> list[dict[str, Any]]:
    e: list[dict[str, Any]] = own(d, short)["containers"][0]["env"]
    return e


def like_new(d: dict[str, Any]) -> None:
    """Give the old revision the new one's VPC access and service account: a clean baseline."""
    old, new = revision(d, OLD), revision(d, NEW)
    old["vpcAccess"] = copy.deepcopy(new["vpcAccess"])
    old["serviceAccount"] = new["serviceAccount"]


def serve_old(d: dict[str, Any]) -> None:
    """The --no-traffic shape: the new revision is latest created, the old one serves 100%."""
    svc = service(d)
    svc["traffic"] = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD, "percent": 100}]
    svc["trafficStatuses"] = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD, "percent": 100},
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": NEW,
            "percent": 0,
            "tag": "candidate",
            "uri": "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app",
        },
    ]


def rows(o: Any) -> dict[str, dict[str, str]]:
    return {r["change"]: r for r in o.evidence["changes"]}


# -- the baseline ------------------------------------------------------------------------


def test_s12_compares_with_the_revision_that_served_before_and_passes() -> None:
    o = check(world("s12-healthy"))
    assert o.status is Status.PASS, o.summary
    assert o.evidence["baseline"] == OLD and o.evidence["revision"] == NEW
    assert (
        o.evidence["baseline_selected_as"]
        == "the newest earlier Ready revision; the target has 100% of traffic"
    )
    # s12's previous revision had no VPC access and no service account: reported, not losses.
    assert rows(o)["vpc"]["kind"] == "added" and rows(o)["vpc"]["effect"] == "reported"
    assert rows(o)["service_account"]["after"] == "netra-backend@netra-staging.iam.gserviceaccount.com"
    assert "none blocking" in o.summary


def test_identical_revisions_report_no_change() -> None:
    o = check(edited("s12-healthy", like_new))
    assert o.status is Status.PASS and o.summary.startswith("no change in "), o.summary
    assert o.evidence["changes"] == [] and o.evidence["table"] == []


def test_the_serving_revision_is_the_baseline_of_a_no_traffic_candidate() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        serve_old(d)
        del own(d, NEW)["vpcAccess"]

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL
    assert o.evidence["baseline_selected_as"] == "serving 100% of traffic"
    vpc = rows(o)["vpc"]
    assert (vpc["kind"], vpc["effect"], vpc["after"]) == ("removed", "loss", "-")
    assert vpc["before"] == "connector staging-connector, egress PRIVATE_RANGES_ONLY"
    assert "1 loss(es) in netra-backend-staging-00042-xq7 against baseline" in o.summary
    assert "--vpc-connector" in o.remediation and 'allow: ["vpc"]' in o.remediation


def test_most_traffic_wins_among_serving_revisions() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        extra = copy.deepcopy(own(d, OLD))
        extra["name"] = f"{REV_PREFIX}netra-backend-staging-00040-aaa"
        extra["createTime"] = "2025-09-01T09:00:00.000000Z"
        d["run"]["revisions"].append(extra)
        service(d)["trafficStatuses"] = [
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD, "percent": 30},
            {
                "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                "revision": "netra-backend-staging-00040-aaa",
                "percent": 60,
            },
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": NEW, "percent": 10},
        ]

    o = check(edited("s12-healthy", edit))
    assert o.evidence["baseline"] == "netra-backend-staging-00040-aaa", o.summary
    assert o.evidence["traffic"] == {NEW: 10, OLD: 30, "netra-backend-staging-00040-aaa": 60}


def test_named_baseline() -> None:
    o = check(world("s12-healthy"), {**PARAMS, "baseline": OLD})
    assert o.status is Status.PASS and o.evidence["baseline_selected_as"] == "revision named in the policy"


def test_named_baseline_that_does_not_exist_fails_naming_it() -> None:
    o = check(world("s12-healthy"), {**PARAMS, "baseline": "netra-backend-staging-00007-zzz"})
    assert o.status is Status.FAIL and "netra-backend-staging-00007-zzz" in o.summary


def test_baseline_equal_to_the_judged_revision_is_a_policy_error() -> None:
    errors = RevisionDiff.semantic_errors({**PARAMS, "revision": NEW, "baseline": f"{REV_PREFIX}{NEW}"})
    assert errors == [("baseline", "the baseline is the revision being judged; name another one")]


def test_a_first_revision_has_nothing_to_compare() -> None:
    o = check(world("s12-healthy"), {"service": "netra-auth-service"})
    assert o.status is Status.PASS
    assert (
        o.summary
        == "netra-auth-service-00017-k2d is the first revision of netra-auth-service: nothing to compare"
    )


def test_other_revisions_but_nothing_serving_is_an_error() -> None:
    def edit(d: dict[str, Any]) -> None:
        service(d)["trafficStatuses"] = []

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.ERROR
    assert "no revision of netra-backend-staging receives traffic" in o.summary
    assert "baseline:" in o.summary


def test_earlier_revisions_that_never_became_ready_never_served() -> None:
    def edit(d: dict[str, Any]) -> None:
        own(d, OLD)["conditions"] = [{"type": "Ready", "state": "CONDITION_FAILED", "message": "boot failed"}]

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.PASS and "ever became Ready" in o.summary, o.summary


def test_an_undated_revision_cannot_be_ordered_and_is_an_error() -> None:
    def edit(d: dict[str, Any]) -> None:
        del own(d, OLD)["createTime"]

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.ERROR and "createTime" in o.summary


def test_a_newer_revision_is_not_the_one_that_served_before() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        later = copy.deepcopy(own(d, OLD))
        later["name"] = f"{REV_PREFIX}netra-backend-staging-00043-new"
        later["createTime"] = "2025-09-04T09:00:00.000000Z"
        later["containers"][0]["env"] = []
        d["run"]["revisions"].append(later)

    o = check(edited("s12-healthy", edit), {**PARAMS, "revision": NEW})
    assert o.evidence["baseline"] == OLD and o.status is Status.PASS, o.summary


# -- changes -----------------------------------------------------------------------------


def test_s5_env_loss_fails_naming_variables_only() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        e = env(d, NEW)
        e[:] = [v for v in e if v["name"] != "POSTGRES_PORT"]
        for v in e:
            if v["name"] == "POSTGRES_HOST":
                v["value"] = ""

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL
    r = rows(o)
    assert (r["env:POSTGRES_PORT"]["kind"], r["env:POSTGRES_PORT"]["before"]) == ("removed", "literal")
    assert (r["env:POSTGRES_HOST"]["kind"], r["env:POSTGRES_HOST"]["after"]) == ("emptied", "literal (empty)")
    assert "env:POSTGRES_HOST emptied, env:POSTGRES_PORT removed" in o.summary
    assert "2 loss(es)" in o.summary and "--update-env-vars" in o.remediation
    assert "SECRET_NAME:VERSION" in o.remediation
    text = dump(o)
    assert "5432" not in text and "/cloudsql/netra-staging" not in text


def test_allow_accepts_an_intended_loss() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        e = env(d, NEW)
        e[:] = [v for v in e if not v["name"].startswith("STAGING_")]

    o = check(edited("s12-healthy", edit), {**PARAMS, "allow": ["env:STAGING_*"]})
    assert o.status is Status.PASS, o.summary
    assert {r["effect"] for r in o.evidence["changes"]} == {"allowed"} and len(o.evidence["changes"]) == 3
    assert "3 allowed" in o.summary


def test_secret_switches_and_versions_are_reported_by_reference() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        e = env(d, NEW)
        for v in e:
            if v["name"] == "POSTGRES_USER":
                v.pop("value")
                v["valueSource"] = {"secretKeyRef": {"secret": "pg-user", "version": "3"}}
            if v["name"] == "JWT_SECRET_KEY":
                v["valueSource"]["secretKeyRef"]["version"] = "2"
            if v["name"] == "POSTGRES_PASSWORD":
                v.pop("valueSource")
                v["value"] = CANARY
        e.append({"name": "NEW_FLAG", "value": CANARY})

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.PASS, o.summary
    r = rows(o)
    assert r["env:POSTGRES_USER"]["kind"] == "literal -> secret"
    assert r["env:POSTGRES_USER"]["after"] == "secret pg-user version 3"
    assert r["env:JWT_SECRET_KEY"]["kind"] == "secret version changed"
    assert r["env:JWT_SECRET_KEY"]["before"] == "secret jwt-secret-key-staging version latest"
    assert r["env:POSTGRES_PASSWORD"]["kind"] == "secret -> literal"
    assert (r["env:NEW_FLAG"]["kind"], r["env:NEW_FLAG"]["after"]) == ("added", "literal")
    assert CANARY not in dump(o)


def test_fail_on_turns_a_reported_change_into_a_failure() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        own(d, NEW)["containers"][0]["image"] = (
            "us-central1-docker.pkg.dev/netra-staging/netra/backend:abc1234"
        )

    reported = check(edited("s12-healthy", edit))
    assert reported.status is Status.PASS and rows(reported)["image"]["kind"] == "changed"
    failed = check(edited("s12-healthy", edit), {**PARAMS, "fail_on": ["image"]})
    assert failed.status is Status.FAIL and "1 blocking change(s)" in failed.summary
    assert rows(failed)["image"]["effect"] == "fail_on"


def test_cloud_sql_detached_scaling_limits_and_probe() -> None:
    def edit(d: dict[str, Any]) -> None:
        like_new(d)
        new = own(d, NEW)
        new["volumes"] = []
        new["scaling"] = {"minInstanceCount": 0, "maxInstanceCount": 20}
        c = new["containers"][0]
        c["resources"]["limits"] = {"cpu": "1", "memory": "4Gi"}
        c["startupProbe"] = {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 10}

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL
    r = rows(o)
    sql = r["cloudsql:netra-staging:us-central1:staging-shared-postgres"]
    assert (sql["kind"], sql["effect"]) == ("detached", "loss")
    assert (r["scaling.min_instances"]["before"], r["scaling.min_instances"]["after"]) == ("1", "-")
    assert (r["scaling.max_instances"]["before"], r["scaling.max_instances"]["after"]) == ("10", "20")
    assert (r["resources.cpu"]["before"], r["resources.cpu"]["after"]) == ("2", "1")
    assert "resources.memory" not in r
    assert r["startup_probe"]["before"] == "tcpSocket port 8000 (timeout 240s, period 240s, failures 1)"
    assert r["startup_probe"]["after"] == "httpGet /health port 8000 (period 10s)"
    # Losses come first in the table, under a header line.
    assert o.evidence["changes"][0]["effect"] == "loss"
    assert o.evidence["table"][0].split() == ["effect", "change", "kind", "before", "->", "after"]
    assert o.evidence["table"][1].startswith("loss ")


def test_sidecar_changes_are_prefixed_and_a_removed_container_is_a_loss() -> None:
    sidecar = {
        "name": "otel",
        "image": "otel/opentelemetry-collector:0.98.0",
        "env": [{"name": "OTEL_TOKEN", "value": CANARY}, {"name": "OTEL_ENDPOINT", "value": "x"}],
    }

    def base(d: dict[str, Any]) -> None:
        like_new(d)
        own(d, OLD)["containers"].append(copy.deepcopy(sidecar))

    def edit(d: dict[str, Any]) -> None:
        base(d)
        trimmed = copy.deepcopy(sidecar)
        trimmed["env"] = trimmed["env"][1:]
        own(d, NEW)["containers"].append(trimmed)

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and list(rows(o)) == ["otel/env:OTEL_TOKEN"]
    gone = check(edited("s12-healthy", base))
    assert rows(gone)["container:otel"] == {
        "change": "container:otel",
        "kind": "removed",
        "before": "otel/opentelemetry-collector:0.98.0",
        "after": "-",
        "effect": "loss",
    }
    assert CANARY not in dump(o) + dump(gone)


# -- the pure comparison -------------------------------------------------------------------


def rev(vpc: VpcAccess | None, env: tuple[EnvVar, ...] = (), image: str = "img:1") -> Revision:
    return Revision(
        name=f"{LOC}/services/s/revisions/s-1",
        service=f"{LOC}/services/s",
        generation=1,
        create_time=None,
        reconciling=False,
        conditions=(),
        containers=(Container(name="app", image=image, env=env),),
        vpc_access=vpc,
        cloudsql_instances=(),
        service_account=None,
        log_uri=None,
    )


def diff(a: Revision, b: Revision) -> list[Change]:
    return compare(a, b, ingress=lambda r: pick_container(r, None), project=PROJECT)


def test_unset_egress_is_private_ranges_only() -> None:
    a = rev(VpcAccess(connector=f"{LOC}/connectors/c", egress=None, network_interfaces=()))
    b = rev(
        VpcAccess(
            connector="projects/701982941522/locations/us-central1/connectors/c",
            egress="PRIVATE_RANGES_ONLY",
            network_interfaces=(),
        )
    )
    assert diff(a, b) == []


def test_connector_to_direct_vpc_and_egress_are_changes_not_losses() -> None:
    a = rev(VpcAccess(connector=f"{LOC}/connectors/c", egress=None, network_interfaces=()))
    b = rev(VpcAccess(None, "ALL_TRAFFIC", (NetworkInterface("vpc-a", "sub-a", ("db",)),)))
    got = {c.key: (c.kind, c.before, c.after, c.loss) for c in diff(a, b)}
    assert got == {
        "vpc.connector": ("removed", "c", "-", False),
        "vpc.network": ("added", "-", "vpc-a", False),
        "vpc.subnetwork": ("added", "-", "sub-a", False),
        "vpc.tags": ("added", "-", "db", False),
        "vpc.egress": ("changed", "PRIVATE_RANGES_ONLY", "ALL_TRAFFIC", False),
    }
    same_net = rev(
        VpcAccess(None, None, (NetworkInterface(f"projects/{PROJECT}/global/networks/vpc-a", None),))
    )
    plain = rev(VpcAccess(None, None, (NetworkInterface("vpc-a", None),)))
    assert diff(same_net, plain) == []


def test_direct_vpc_removed_is_a_loss() -> None:
    a = rev(VpcAccess(None, None, (NetworkInterface("vpc-a", "sub-a"),)))
    (c,) = diff(a, rev(None))
    assert (c.key, c.kind, c.loss) == ("vpc", "removed", True)
    assert c.before == "Direct VPC egress (network vpc-a, subnetwork sub-a), egress PRIVATE_RANGES_ONLY"


def test_a_digest_pinned_image_compares_by_digest() -> None:
    d = "sha256:" + "a" * 64
    assert diff(rev(None, image=f"gcr.io/p/app@{d}"), rev(None, image=f"us-docker.pkg.dev/p/r/app@{d}")) == []
    (c,) = diff(rev(None, image="gcr.io/p/app:1"), rev(None, image=f"gcr.io/p/app@{d}"))
    assert (c.key, c.after) == ("image", f"gcr.io/p/app@{d}")


def test_an_emptied_secret_switch_is_a_loss() -> None:
    from gate.gcp.facts import Sensitive

    a = rev(None, env=(EnvVar("K", secret=SecretRef("k", "latest")),))
    b = rev(None, env=(EnvVar("K", value=Sensitive("")),))
    (c,) = diff(a, b)
    assert (c.kind, c.loss, c.after) == ("secret -> literal", True, "literal (empty)")


@pytest.mark.parametrize("pattern", ["env:*", "env:K", "*"])
def test_allow_patterns_match_change_keys(pattern: str) -> None:
    from gate.model import CheckSpec

    check_ = RevisionDiff(CheckSpec(id="t", type="run.diff", params={**PARAMS, "allow": [pattern]}))
    assert check_._effect(Change("env:K", "removed", "literal", "-", True)) == "allowed"
    assert check_._effect(Change("otel/env:K", "removed", "literal", "-", True)) == (
        "allowed" if pattern == "*" else "loss"
    )
