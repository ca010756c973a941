"""Traffic arithmetic: what promotion and rollback send, and which revision a rollback picks."""

from __future__ import annotations

import datetime as dt

from gate.gcp.facts_run import Condition, Revision, Service, TrafficStatus, TrafficTarget
from gate.model import DeployTarget
from gate.model import TrafficEntry as E
from gate.pipeline import traffic

LOC = "projects/p/locations/r/services/svc"
LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REV = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"


def svc(
    spec: list[tuple[str | None, int, str | None]],
    serving: list[tuple[str, int]],
    created: str = "svc-00043-new",
    ready: str = "svc-00043-new",
) -> Service:
    return Service(
        name=LOC,
        generation=43,
        observed_generation=43,
        reconciling=False,
        terminal_condition=None,
        conditions=(),
        latest_created_revision=f"{LOC}/revisions/{created}",
        latest_ready_revision=f"{LOC}/revisions/{ready}",
        uri="https://svc-abc-uc.a.run.app",
        urls=(),
        traffic=tuple(TrafficTarget(LATEST if r is None else REV, p, r, t) for r, p, t in spec),
        traffic_statuses=tuple(TrafficStatus(REV, p, r) for r, p in serving),
        etag="e",
    )


def rev(name: str, minute: int, ready: bool = True) -> Revision:
    state = "CONDITION_SUCCEEDED" if ready else "CONDITION_FAILED"
    return Revision(
        name=f"{LOC}/revisions/{name}",
        service=LOC,
        generation=1,
        create_time=dt.datetime(2025, 9, 3, 10, minute, tzinfo=dt.timezone.utc),
        reconciling=False,
        conditions=(Condition("Ready", state),),
        containers=(),
        vpc_access=None,
        cloudsql_instances=(),
        service_account=None,
        log_uri=None,
    )


def test_promotion_is_gclouds_to_revisions_rev_100_every_tag_kept() -> None:
    spec = (E("svc-00042-old", 100), E("svc-00042-old", 0, "stable"), E("svc-00043-new", 0, "candidate"))
    assert traffic.route_all_to(spec, "svc-00043-new") == (
        E("svc-00043-new", 100),
        E("svc-00042-old", 0, "stable"),
        E("svc-00043-new", 0, "candidate"),
    )
    # A tag that also carried percent keeps the tag at 0%; LATEST tags stay LATEST.
    spec2 = (E(None, 90, "latest"), E("svc-00042-old", 10, "stable"))
    assert traffic.route_all_to(spec2, "svc-00043-new") == (
        E("svc-00043-new", 100),
        E(None, 0, "latest"),
        E("svc-00042-old", 0, "stable"),
    )


def test_a_done_promotion_is_recognised_pinned_or_through_latest() -> None:
    done = svc([("svc-00043-new", 100, None), ("svc-00043-new", 0, "candidate")], [("svc-00043-new", 100)])
    assert traffic.promotion_done(done, "svc-00043-new") == "pinned"
    direct = svc([(None, 100, None)], [("svc-00043-new", 100)])
    assert traffic.promotion_done(direct, "svc-00043-new") == "through LATEST"
    assert traffic.promotion_done(direct, "svc-00042-old") is None


def test_exposure_counts_latest_for_the_latest_created_revision_even_before_it_is_ready() -> None:
    not_ready = svc([(None, 100, None)], [("svc-00042-old", 100)], ready="svc-00042-old")
    assert traffic.exposed(not_ready, "svc-00043-new") == 100
    candidate = svc(
        [("svc-00042-old", 100, None), ("svc-00043-new", 0, "candidate")], [("svc-00042-old", 100)]
    )
    assert traffic.exposed(candidate, "svc-00043-new") == 0


def test_previous_is_what_still_serves_else_the_newest_older_ready_revision() -> None:
    revisions = [rev("svc-00043-new", 30), rev("svc-00042-old", 20), rev("svc-00041-older", 10)]
    split = svc(
        [(r, p, None) for r, p in (("svc-00043-new", 20), ("svc-00042-old", 50), ("svc-00041-older", 30))],
        [("svc-00043-new", 20), ("svc-00042-old", 50), ("svc-00041-older", 30)],
    )
    assert traffic.previous(split, revisions, "svc-00043-new") == (
        {"svc-00042-old": 62, "svc-00041-older": 38},  # 62.5/37.5: the smaller share rounds up (gcloud)
        "the revision(s) serving besides svc-00043-new: svc-00041-older, svc-00042-old",
    )
    took_all = svc([(None, 100, None)], [("svc-00043-new", 100)])
    assert traffic.previous(took_all, revisions, "svc-00043-new") == (
        {"svc-00042-old": 100},
        "the newest Ready revision created before svc-00043-new",
    )
    # A failed older revision is skipped; a newer one (created after the target) never counts.
    revisions = [rev("svc-00044-later", 40), rev("svc-00043-new", 30), rev("svc-00042-old", 20, ready=False)]
    revisions.append(rev("svc-00041-older", 10))
    assert traffic.previous(took_all, revisions, "svc-00043-new") == (
        {"svc-00041-older": 100},
        "the newest Ready revision created before svc-00043-new",
    )
    assert traffic.previous(took_all, [rev("svc-00043-new", 30)], "svc-00043-new") is None


def test_scaled_shares_add_up_to_100() -> None:
    assert traffic.scaled({"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    assert sum(traffic.scaled({"a": 7, "b": 13}).values()) == 100


def test_undo_command_recreates_the_percentages() -> None:
    assert traffic.to_revisions_arg((E(None, 100), E("x", 0, "stable"))) == "--to-latest"
    assert (
        traffic.to_revisions_arg((E("a", 90), E(None, 10), E("b", 0, "t"))) == "--to-revisions=a=90,LATEST=10"
    )


def test_a_revision_target_belongs_to_its_service() -> None:
    t = DeployTarget(revision="netra-backend-staging-00043-abc")
    assert t.applies_to("netra-backend-staging") and not t.applies_to("netra-auth-service")
    full = DeployTarget(revision="projects/p/locations/r/services/api/revisions/api-00001-x")
    assert full.applies_to("projects/p/locations/r/services/api") and not full.applies_to("web")
    assert DeployTarget(service="api", tag="c").applies_to("projects/p/locations/r/services/api")
    assert not DeployTarget(service="api", tag="c").applies_to("web")
    assert DeployTarget(tag="c").applies_to("anything")


def test_step_split_takes_the_candidates_share_from_the_baseline_in_proportion() -> None:
    assert traffic.step_split("new", 5, {"old": 100}) == {"new": 5, "old": 95}
    assert traffic.step_split("new", 100, {"old": 100}) == {"new": 100}
    # Two revisions served 80/20: the remaining 75% is split 60/15; rounding adds up to 100.
    assert traffic.step_split("new", 25, {"a": 80, "b": 20}) == {"new": 25, "a": 60, "b": 15}
    split = traffic.step_split("new", 5, {"a": 50, "b": 50})
    assert sum(split.values()) == 100 and split["new"] == 5 and {split["a"], split["b"]} == {47, 48}
    assert traffic.step_split("new", 50, {"new": 10, "old": 90}) == {"new": 50, "old": 50}


def test_rollout_to_pins_the_split_and_keeps_every_tag() -> None:
    spec = (E("old", 95), E("new", 5), E("new", 0, "candidate"), E(None, 0, "latest"))
    assert traffic.rollout_to(spec, {"new": 25, "old": 75}) == (
        E("new", 25),
        E("old", 75),
        E("new", 0, "candidate"),
        E(None, 0, "latest"),
    )
    assert traffic.pinned(traffic.rollout_to(spec, {"new": 25, "old": 75})) == {"new": 25, "old": 75}


def test_share_counts_latest_for_the_latest_ready_and_routed_reads_statuses() -> None:
    s = svc([(None, 60, None), ("old", 40, None)], [("svc-00043-new", 55), ("old", 45)])
    assert traffic.share(s, "svc-00043-new") == 60  # the spec: what was asked for
    assert traffic.routed(s, "svc-00043-new") == 55  # the statuses: what Cloud Run routes now
    assert traffic.scaled({"a": 1, "b": 1}, 75) == {"a": 38, "b": 37}
