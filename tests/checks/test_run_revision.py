"""run.revision through the emulator: shipped incident worlds and small edits of the healthy one."""

from __future__ import annotations

from typing import Any

from gate.checks.run_revision import RevisionReady
from gate.model import Status
from tests.checks.worlds import REV_PREFIX, SERVICE, attempt, edited, revision, service, serving, world

NEW = "netra-backend-staging-00043-s1x"
OLD = "netra-backend-staging-00042-xq7"


def check(w: Any, **params: Any) -> Any:
    with serving(w) as emu:
        return attempt(RevisionReady, {"service": SERVICE, **params}, emu)


def test_s12_healthy_passes_with_evidence() -> None:
    o = check(world("s12-healthy"), traffic=[{"latest": True, "percent": 100}])
    assert o.status is Status.PASS, o.summary
    assert o.evidence["revision"] == OLD
    assert o.evidence["selected_as"] == "latest created revision"
    assert {"type": "Ready", "state": "CONDITION_SUCCEEDED", "reason": "", "message": ""} in o.evidence[
        "conditions"
    ]
    assert o.evidence["generation"] == o.evidence["observed_generation"] == 42


def test_s1_new_revision_failed_while_old_serves_is_final() -> None:
    o = check(world("s1-worker-boot-failure"))
    assert o.status is Status.FAIL and o.final
    assert o.summary.startswith(f"the new revision {NEW} failed; the old revision {OLD} still serves")
    assert "HEALTH_CHECK_CONTAINER_ERROR" in o.summary
    assert "failed to start and listen on the port" in o.summary
    assert f'resource.labels.revision_name="{NEW}"' in o.remediation
    assert f"gcloud run revisions describe {NEW}" in o.remediation


def test_s2_fails_too() -> None:
    o = check(world("s2-startup-attributeerror"))
    assert o.status is Status.FAIL and o.final
    assert "netra-backend-staging-00043-s2a failed" in o.summary


def test_still_reconciling_is_a_non_final_fail() -> None:
    def edit(d: dict[str, Any]) -> None:
        s = service(d)
        s["generation"], s["observedGeneration"], s["reconciling"] = "5", "4", True
        s["terminalCondition"] = {"type": "Ready", "state": "CONDITION_RECONCILING"}

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and not o.final
    assert o.summary == "service still reconciling (reconciling): observedGeneration 4, generation 5"
    assert o.evidence["reconciling"] is True


def test_pending_terminal_condition_is_polled_too() -> None:
    def edit(d: dict[str, Any]) -> None:
        s = service(d)
        s["generation"], s["observedGeneration"] = "5", "4"
        s["terminalCondition"] = {"type": "Ready", "state": "CONDITION_PENDING"}

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and not o.final
    assert "(terminalCondition CONDITION_PENDING)" in o.summary


def test_generation_lag_without_reconciliation_is_polled_and_says_so() -> None:
    def edit(d: dict[str, Any]) -> None:
        s = service(d)
        s["generation"], s["observedGeneration"] = "5", "4"

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and not o.final
    assert o.summary == (
        "service has not observed generation 5 yet (observedGeneration 4) and reports no "
        "reconciliation in progress"
    )


def test_s1_failed_reconciliation_is_final_at_once_and_quotes_the_terminal_condition() -> None:
    """S1 as Cloud Run reports it: observedGeneration and traffic stay on the last serving
    revision (generation 41, 00042-xq7), terminalCondition FAILED. Waiting cannot help."""
    o = check(world("s1-worker-boot-failure"))
    assert o.status is Status.FAIL and o.final
    assert o.evidence["observed_generation"] == 41 and o.evidence["generation"] == 42
    assert o.evidence["terminal_condition"]["state"] == "CONDITION_FAILED"
    assert "the service's reconciliation failed (terminalCondition Ready CONDITION_FAILED" in o.summary


def test_terminal_failure_without_a_failed_revision_is_final_quoting_reason_and_message() -> None:
    """The revision is fine but the service could not reconcile (e.g. a traffic target):
    terminalCondition FAILED with a reason is a final FAIL quoting it, not a wait."""

    def edit(d: dict[str, Any]) -> None:
        s = service(d)
        s["generation"], s["observedGeneration"] = "43", "42"
        s["terminalCondition"] = {
            "type": "Ready",
            "state": "CONDITION_FAILED",
            "reason": "REVISION_FAILED",
            "message": "Traffic target netra-backend-staging-00099-zzz does not exist.",
        }

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and o.final
    assert o.summary == (
        "service netra-backend-staging failed to reconcile generation 43 (observedGeneration 42): "
        "terminalCondition Ready: REVISION_FAILED: Traffic target netra-backend-staging-00099-zzz "
        "does not exist."
    )


def test_revision_not_ready_yet_is_polled() -> None:
    def edit(d: dict[str, Any]) -> None:
        revision(d, OLD)["conditions"][0] = {"type": "Ready", "state": "CONDITION_RECONCILING"}

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and not o.final
    assert "not ready yet: Ready is CONDITION_RECONCILING" in o.summary


def test_ready_false_with_reason_on_ready_itself() -> None:
    def edit(d: dict[str, Any]) -> None:
        revision(d, OLD)["conditions"] = [
            {
                "type": "Ready",
                "state": "CONDITION_FAILED",
                "revisionReason": "MIN_INSTANCES_NOT_PROVISIONED",
                "message": "quota exceeded",
            }
        ]

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL and o.final
    assert o.summary == f"revision {OLD} failed: Ready: MIN_INSTANCES_NOT_PROVISIONED: quota exceeded"


def test_named_revision_is_judged_instead_of_latest_created() -> None:
    o = check(world("s1-worker-boot-failure"), revision=OLD)
    assert o.status is Status.PASS, o.summary
    assert o.evidence["selected_as"] == "revision named in the policy"
    o = check(world("s1-worker-boot-failure"), revision=REV_PREFIX + NEW)
    assert o.status is Status.FAIL


def _tagged(d: dict[str, Any]) -> None:
    s = service(d)
    s["traffic"] = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD, "percent": 100},
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": NEW, "tag": "candidate"},
    ]
    s["trafficStatuses"] = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD, "percent": 100},
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": NEW,
            "tag": "candidate",
            "uri": "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app",
        },
    ]


def test_tag_candidate_selects_the_tagged_revision() -> None:
    w = edited("s1-worker-boot-failure", _tagged)
    o = check(w, tag="candidate")
    assert o.status is Status.FAIL and o.final
    assert o.evidence["selected_as"] == "revision behind tag 'candidate'"
    assert o.evidence["revision"] == NEW


def test_unknown_tag_fails_naming_it_and_listing_tags() -> None:
    o = check(edited("s1-worker-boot-failure", _tagged), tag="canary")
    assert o.status is Status.FAIL and o.final
    assert "no traffic tag 'canary' (existing tags: candidate)" in o.summary


def test_traffic_split_mismatch() -> None:
    o = check(world("s12-healthy"), traffic=[{"revision": "netra-backend-staging-00041-m4f", "percent": 100}])
    assert o.status is Status.FAIL and not o.final
    assert (
        "revision netra-backend-staging-00041-m4f (netra-backend-staging-00041-m4f) has 0%, expected 100%"
        in (o.summary)
    )
    o = check(
        edited("s1-worker-boot-failure", _tagged), revision=OLD, traffic=[{"tag": "candidate", "percent": 0}]
    )
    assert o.status is Status.PASS, o.summary


def test_missing_service_is_a_final_fail() -> None:
    with serving(world("s12-healthy")) as emu:
        o = attempt(RevisionReady, {"service": "no-such-service"}, emu)
    assert o.status is Status.FAIL and o.final
    assert "no-such-service" in o.summary


def test_semantic_errors() -> None:
    assert RevisionReady.semantic_errors({"service": "s", "revision": "a", "tag": "b"}) == [
        ("tag", "give either revision or tag, not both")
    ]
    assert RevisionReady.semantic_errors(
        {"service": "s", "traffic": [{"latest": True, "tag": "x", "percent": 1}]}
    ) == [("traffic[0]", "give exactly one of revision, tag or latest")]
