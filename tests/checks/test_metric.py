"""monitoring.metric through the official transport against the emulator's Cloud Monitoring.

The world (tests/checks/worlds/canary-base.yaml) is a healthy canary; each test edits the one
thing it is about. Hand-computed figures are in the world's header.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gate.checks.metric import MonitoringMetric, compare, most_traffic
from gate.checks.metric_params import ThresholdSyntaxError, parse_threshold
from gate.emulator import Fault, World
from gate.model import Status
from tests.checks.worlds import HERE, SERVICE, attempt, dump, edited, serving, world

CAND = "netra-backend-staging-00043-cnd"
BASE = "netra-backend-staging-00042-xq7"
WORLD = "canary-base"
BUCKETS = [0, 50, 100, 200, 400, 800, 1600, 3200, 6400]


def check(w: World, *thresholds: str, fault: Fault | None = None, **params: Any) -> Any:
    with serving(w) as emu:
        if fault is not None:
            emu.add_fault(fault)
        return attempt(
            MonitoringMetric,
            {"service": SERVICE, "tag": "candidate", "assert": list(thresholds), **params},
            emu,
        )


def series(d: dict[str, Any], metric: str, revision: str, **labels: str) -> list[dict[str, Any]]:
    return [
        s
        for s in d["monitoring"]["timeSeries"]
        if s["metric"]["type"] == metric
        and s["resource"]["labels"]["revision_name"] == revision
        and all(s["metric"].get("labels", {}).get(k) == v for k, v in labels.items())
    ]


def set_requests(revision: str, cls: str, *values: int) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        (s,) = series(d, "run.googleapis.com/request_count", revision, response_code_class=cls)
        s["points"] = [
            {
                "interval": {"startTime": f"-{2 * i + 2}m", "endTime": f"-{2 * i + 1}m"},
                "value": {"int64Value": str(v)},
            }
            for i, v in enumerate(values)
        ]

    return edit


def set_latency(revision: str, counts: list[int]) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        (s,) = series(d, "run.googleapis.com/request_latencies", revision)
        value = s["points"][0]["value"]["distributionValue"]
        value.update(count=str(sum(counts)), bucketCounts=[str(c) for c in counts])
        s["points"] = s["points"][:1]

    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        for e in edits:
            e(d)

    return edit


# -- verdicts ----------------------------------------------------------------------


def test_healthy_candidate_passes_absolute_and_relative_thresholds() -> None:
    o = check(
        world(WORLD),
        "error_ratio <= 1%",
        "error_ratio <= baseline + 0.5%",
        "p95 <= 2s",
        "p95 <= 1.2 x baseline",
        "startup_p95 <= 5s",
        "instances <= 3",
    )
    assert o.status is Status.PASS, o.summary
    assert o.summary.startswith(
        f"revision {CAND} over the last 5m: error_ratio 0.50% <= 1.00% (200 requests)"
    )
    assert "p95 376 ms <= 420 ms = 1.2 \u00d7 baseline 350 ms (200 latency samples)" in o.summary
    assert "startup_p95 3120 ms <= 5000 ms (1 container startups)" in o.summary
    assert "instances 2 <= 3" in o.summary
    assert o.evidence["baseline"] == {
        "revision": BASE,
        "selected_as": "the revision with the most traffic (90%) other than the target",
    }
    assert o.evidence["window"]["seconds"] == 300
    first = o.evidence["thresholds"][0]
    assert first["by_class"] == {"2xx": 199, "5xx": 1} and first["samples"] == 200
    # Every query is in the evidence, scoped to one revision by its resource labels.
    filters = [q["filter"] for q in o.evidence["queries"]]
    assert all(f'resource.labels.revision_name = "{CAND}"' in f or BASE in f for f in filters)
    assert any(
        q["aggregation"].get("crossSeriesReducer") == "REDUCE_PERCENTILE_95" for q in o.evidence["queries"]
    )
    assert o.metrics["p95_ms"] == pytest.approx(200 + 200 * 30 / 34, abs=1e-4)
    assert o.metrics["baseline_p95_ms"] == 350.0


def test_error_ratio_above_threshold_is_a_final_fail_with_a_rollback() -> None:
    w = edited(WORLD, set_requests(CAND, "5xx", 6, 5))  # 11 / 210 = 5.24%
    o = check(w, "error_ratio <= 1%", "error_ratio <= baseline + 0.5%")
    assert o.status is Status.FAIL and o.final
    assert "error_ratio 5.24%, limit <= 1.00% (210 requests)" in o.summary
    assert "limit <= 1.00% = baseline 0.50% + 0.50%" in o.summary
    assert f"--to-revisions {BASE}=100" in o.remediation
    assert 'metric.type = "run.googleapis.com/request_count"' in o.remediation


def test_latency_regression_against_the_baseline_fails() -> None:
    # The candidate's latencies move up one bucket: p95 rank 190 now in [400, 800): 400 + 400*30/34.
    w = edited(WORLD, set_latency(CAND, [0, 0, 20, 60, 80, 34, 4, 2]))
    o = check(w, "p95 <= 2s", "p95 <= 1.2 x baseline")
    assert o.status is Status.FAIL and o.final, o.summary
    assert "p95 753 ms, limit <= 420 ms = 1.2 \u00d7 baseline 350 ms" in o.summary
    assert "p95 <= 2s" not in o.summary  # the absolute limit held
    statuses = [t["status"] for t in o.evidence["thresholds"]]
    assert statuses == ["PASS", "FAIL"]


def test_too_little_traffic_is_an_error_that_polls_and_says_how_to_get_traffic() -> None:
    w = edited(WORLD, both(set_requests(CAND, "2xx", 20, 9), set_requests(CAND, "5xx", 9)))
    o = check(w, "error_ratio <= 1%")  # 9/38 would fail, but 38 requests prove nothing
    assert o.status is Status.ERROR and not o.final
    assert f"only 38 requests for {CAND} in the window; at least 50 needed (min_requests)" in o.summary
    assert "https://candidate---netra-backend-staging-pnovr5vsba-uc.a.run.app" in o.remediation
    assert "load step" in o.remediation and "retry.deadline" in o.remediation
    assert o.evidence["thresholds"][0]["samples"] == 38
    # A lower minimum judges the same data.
    assert check(w, "error_ratio <= 1%", min_requests=30).status is Status.FAIL


def test_no_data_is_an_error_never_a_pass() -> None:
    def drop_candidate(d: dict[str, Any]) -> None:
        d["monitoring"]["timeSeries"] = [
            s for s in d["monitoring"]["timeSeries"] if s["resource"]["labels"]["revision_name"] != CAND
        ]

    o = check(edited(WORLD, drop_candidate), "error_ratio <= 1%", "p95 <= 2s", "instances >= 1")
    assert o.status is Status.ERROR and not o.final
    assert f"error_ratio <= 1%: no data for {CAND} in the window" in o.summary
    assert "p95 <= 2s: no data" in o.summary and "instances >= 1: no data" in o.summary


def test_old_points_are_outside_the_window() -> None:
    def age(d: dict[str, Any]) -> None:
        for s in series(d, "run.googleapis.com/request_count", CAND):
            for i, p in enumerate(s["points"]):
                p["interval"] = {"startTime": f"-{20 + 2 * i}m", "endTime": f"-{19 + 2 * i}m"}

    o = check(edited(WORLD, age), "request_count >= 1")
    assert o.status is Status.ERROR and "no data" in o.summary
    assert check(edited(WORLD, age), "request_count >= 1", window="30m", min_requests=1).status is Status.PASS


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (
            Fault(api="monitoring", status=403),
            ["HTTP 403", "PERMISSION_DENIED", "monitoring.timeSeries.list"],
        ),
        (Fault(api="monitoring", status=503), ["HTTP 503", "UNAVAILABLE"]),
        (Fault(api="monitoring", malformed=True), ["malformed response"]),
        (Fault(api="monitoring", drop=("metricKind",)), ["no (known) metricKind"]),
    ],
)
def test_monitoring_api_failing_is_an_error_naming_status_and_permission(
    fault: Fault, words: list[str]
) -> None:
    o = check(world(WORLD), "error_ratio <= 1%", fault=fault)
    assert o.status is Status.ERROR, o.summary
    for w in words:
        assert w in o.summary, o.summary
    if fault.status == 403:
        assert o.final and "monitoring.timeSeries.list" in o.remediation


def test_a_transient_failure_is_retried_within_the_attempt() -> None:
    o = check(world(WORLD), "error_ratio <= 1%", fault=Fault(api="monitoring", status=503, times=1))
    assert o.status is Status.PASS, o.summary


# -- baselines ---------------------------------------------------------------------


def test_no_other_revision_serving_means_no_baseline() -> None:
    def all_to_candidate(d: dict[str, Any]) -> None:
        svc = d["run"]["services"][0]
        svc["trafficStatuses"] = [{**svc["trafficStatuses"][1], "percent": 100}]

    w = edited(WORLD, all_to_candidate)
    o = check(w, "error_ratio <= 1%", "p95 <= 1.2 x baseline")
    assert o.status is Status.ERROR and o.final
    assert "there is no baseline to compare with" in o.summary
    assert "baseline: {revision: NAME}" in o.remediation
    named = check(w, "p95 <= 1.2 x baseline", baseline={"revision": BASE})
    assert named.status is Status.PASS, named.summary
    assert named.evidence["baseline"]["selected_as"] == "revision named in the policy"


def test_baseline_with_too_little_traffic_is_an_error() -> None:
    w = edited(WORLD, both(set_requests(BASE, "2xx", 10), set_requests(BASE, "5xx", 0)))
    o = check(w, "error_ratio <= baseline + 0.5%")
    assert o.status is Status.ERROR and not o.final
    assert f"baseline {BASE}: only 10 requests" in o.summary


def test_most_traffic_picks_the_biggest_share_and_follows_latest() -> None:
    from tests.checks.worlds import service_facts

    svc = service_facts("https://x.run.app", {})
    latest = svc.latest_ready_revision or ""
    assert most_traffic(svc, exclude="other") == (latest.rsplit("/", 1)[-1], 100)
    assert most_traffic(svc, exclude=latest.rsplit("/", 1)[-1]) == (None, 0)


# -- percentiles at the edges of the histogram -----------------------------------------


def test_percentile_beyond_the_last_bucket_cannot_pass_an_upper_limit() -> None:
    # 200 samples, 20 of them in the overflow bucket (>= 6400 ms): p99's rank 198 lies there.
    w = edited(WORLD, set_latency(CAND, [0, 60, 60, 60, 0, 0, 0, 0, 0, 20]))
    undecided = check(w, "p99 <= 10s")
    assert undecided.status is Status.ERROR and undecided.final
    assert "cannot decide" in undecided.summary and "at least 6400 ms" in undecided.summary
    assert undecided.evidence["thresholds"][0]["range"] == [6400.0, None]
    decided = check(w, "p99 <= 5s")  # at least 6.4 s is above 5 s whatever the rest
    assert decided.status is Status.FAIL


# -- any metric ----------------------------------------------------------------------

BOOT = "logging.googleapis.com/user/worker-boot-failures"


def boot_failures(revision: str, *values: int) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        (resource,) = {
            json.dumps(s["resource"]) for s in series(d, "run.googleapis.com/request_count", revision)
        }
        d["monitoring"]["timeSeries"].append(
            {
                "metric": {"type": BOOT, "labels": {"log": "run.googleapis.com/stderr"}},
                "resource": json.loads(resource),
                "metricKind": "DELTA",
                "valueType": "INT64",
                "points": [
                    {
                        "interval": {"startTime": f"-{i + 2}m", "endTime": f"-{i + 1}m"},
                        "value": {"int64Value": str(v)},
                    }
                    for i, v in enumerate(values)
                ],
            }
        )

    return edit


def test_a_log_based_metric_counting_boot_failures() -> None:
    metric = {"type": BOOT, "absent": "zero"}
    quiet = check(world(WORLD), "value == 0", metric=metric)
    assert quiet.status is Status.PASS, quiet.summary
    assert "value 0 == 0" in quiet.summary
    failing = check(edited(WORLD, boot_failures(CAND, 2, 1)), "value == 0", metric=metric)
    assert failing.status is Status.FAIL and "value 3, limit == 0" in failing.summary
    q = failing.evidence["queries"][0]
    assert q["filter"].startswith(f'metric.type = "{BOOT}" AND resource.type = "cloud_run_revision"')
    assert q["aggregation"] == {
        "alignmentPeriod": "300s",
        "perSeriesAligner": "ALIGN_DELTA",
        "crossSeriesReducer": "REDUCE_SUM",
    }
    # A filter of the policy's own narrows the series.
    narrowed = check(
        edited(WORLD, boot_failures(CAND, 2)),
        "value == 0",
        metric={**metric, "filter": 'metric.labels.log = "run.googleapis.com/stdout"'},
    )
    assert narrowed.status is Status.PASS


def test_absent_zero_needs_the_revision_to_have_served_traffic() -> None:
    w = edited(WORLD, both(set_requests(CAND, "2xx", 3), set_requests(CAND, "5xx", 0)))
    o = check(w, "value == 0", metric={"type": BOOT, "absent": "zero"})
    assert o.status is Status.ERROR and "silence proves nothing" in o.summary
    strict = check(world(WORLD), "value == 0", metric={"type": BOOT})
    assert strict.status is Status.ERROR and "no data" in strict.summary


def test_a_gauge_metric_with_max() -> None:
    metric = {"type": "run.googleapis.com/container/instance_count", "reduce": "max"}
    assert check(world(WORLD), "value <= 2", metric=metric).status is Status.PASS
    o = check(world(WORLD), "value <= 1", metric=metric)
    assert o.status is Status.FAIL and "value 2, limit <= 1" in o.summary
    # ALIGN_DELTA is not valid for a GAUGE metric: the API's own 400 becomes ERROR.
    bad = check(world(WORLD), "value <= 1", metric={**metric, "reduce": "sum"})
    assert bad.status is Status.ERROR and "HTTP 400" in bad.summary and "ALIGN_DELTA" in bad.summary


def test_nothing_secret_or_unbounded_in_the_outcome() -> None:
    o = check(world(WORLD), "error_ratio <= 1%")
    assert len(dump(o)) < 20_000


# -- the threshold language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "measure", "op", "number", "relative", "factor", "offset"),
    [
        ("error_ratio <= 1%", "error_ratio", "<=", 0.01, False, 1.0, 0.0),
        ("error_ratio<=0.01", "error_ratio", "<=", 0.01, False, 1.0, 0.0),
        ("p95 <= 2s", "p95", "<=", 2000.0, False, 1.0, 0.0),
        ("p99 < 250ms", "p99", "<", 250.0, False, 1.0, 0.0),
        ("p50 <= 300", "p50", "<=", 300.0, False, 1.0, 0.0),
        ("p95 <= 1.2 x baseline", "p95", "<=", 0.0, True, 1.2, 0.0),
        ("p95 <= 1.2 \u00d7 baseline", "p95", "<=", 0.0, True, 1.2, 0.0),
        ("p95 <= baseline * 1.5", "p95", "<=", 0.0, True, 1.5, 0.0),
        ("error_ratio <= baseline + 0.005", "error_ratio", "<=", 0.0, True, 1.0, 0.005),
        ("error_ratio <= baseline + 0.5%", "error_ratio", "<=", 0.0, True, 1.0, 0.005),
        ("p95 <= baseline + 100ms", "p95", "<=", 0.0, True, 1.0, 100.0),
        ("instances >= 1", "instances", ">=", 1.0, False, 1.0, 0.0),
        ("value == 0", "value", "==", 0.0, False, 1.0, 0.0),
        ("value >= -1", "value", ">=", -1.0, False, 1.0, 0.0),
    ],
)
def test_threshold_grammar(
    text: str, measure: str, op: str, number: float, relative: bool, factor: float, offset: float
) -> None:
    t = parse_threshold(text)
    assert (t.measure.name, t.op, t.bound.relative) == (measure, op, relative)
    assert t.bound.number == pytest.approx(number)
    assert t.bound.factor == pytest.approx(factor) and t.bound.offset == pytest.approx(offset)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latency <= 2s", "column 1: expected a measure"),
        ("p95 = 2s", "column 5: expected one of <=, <, >=, >, == after p95"),
        ("p95 <= 5%", "is a latency"),
        ("error_ratio <= 2s", "is a ratio"),
        ("instances <= 2s", "takes a plain number"),
        ("p95 <= 1.2 x base", "cannot read the bound"),
        ("p95 <= 2s or so", "cannot read the bound"),
        ("p95 <=", "expected 'p95 OP BOUND'"),
        ("p95 <= 1.2s x baseline", "a baseline factor is a plain number"),
    ],
)
def test_threshold_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ThresholdSyntaxError, match=message):
        parse_threshold(text)


@pytest.mark.parametrize(
    ("params", "path", "message"),
    [
        ({"assert": ["p95 <= 2 seconds"]}, "assert[0]", "cannot read the bound"),
        ({"assert": ["value == 0"]}, "assert[0]", "give metric.type"),
        ({"assert": ["p95 <= 2s"], "window": "30s"}, "window", "between 60s"),
        ({"assert": ["p95 <= 2s"], "window": "90.5s"}, "window", "whole number of seconds"),
        ({"assert": ["p95 <= 2s"], "tag": "c", "revision": "r"}, "tag", "not both"),
        ({"assert": ["p95 <= 2s"], "baseline": {}}, "baseline", "give revision or tag"),
        (
            {"assert": ["value <= baseline"], "metric": {"type": "t", "resource_type": "gce_instance"}},
            "assert[0]",
            "a baseline needs a cloud_run_revision metric",
        ),
    ],
)
def test_semantic_errors(params: dict[str, Any], path: str, message: str) -> None:
    errors = MonitoringMetric.semantic_errors({"service": "s", **params})
    assert [p for p, _ in errors] == [path]
    assert message in errors[0][1]


@pytest.mark.parametrize(
    ("op", "value", "bound", "status"),
    [
        ("<=", (1.0, 1.0), (1.0, 1.0), "PASS"),
        ("<=", (1.1, 1.1), (1.0, 1.0), "FAIL"),
        ("<=", (6400.0, float("inf")), (10000.0, 10000.0), "ERROR"),
        ("<=", (6400.0, float("inf")), (5000.0, 5000.0), "FAIL"),
        ("<", (1.0, 1.0), (1.0, 1.0), "FAIL"),
        (">=", (float("-inf"), 1.0), (2.0, 2.0), "FAIL"),
        (">=", (float("-inf"), 1.0), (0.5, 0.5), "ERROR"),
        ("==", (0.0, 0.0), (0.0, 0.0), "PASS"),
        ("==", (1.0, 1.0), (0.0, 0.0), "FAIL"),
        ("<=", (1.0, 1.0), (0.9, 1.2), "ERROR"),  # a baseline known only as a range
    ],
)
def test_compare_is_proven_or_undecided(
    op: str, value: tuple[float, float], bound: tuple[float, float], status: str
) -> None:
    assert compare(op, *value, *bound) == status


# -- the library through the CLI -----------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "code", "statuses"),
    [
        (None, 0, {"PASS"}),
        (set_requests(CAND, "5xx", 6, 5), 1, {"FAIL", "PASS"}),
        (set_latency(CAND, [0, 0, 20, 60, 80, 34, 4, 2]), 1, {"PASS", "FAIL"}),
        (both(set_requests(CAND, "2xx", 20), set_latency(CAND, [0, 20])), 3, {"ERROR"}),
    ],
)
def test_the_canary_library_through_the_cli(
    tmp_path: Any, edit: Callable[[dict[str, Any]], None] | None, code: int, statuses: set[str]
) -> None:
    import yaml
    from click.testing import CliRunner

    from gate.cli import cli

    data = yaml.safe_load((HERE / f"{WORLD}.yaml").read_text(encoding="utf-8"))
    if edit is not None:
        edit(data)
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    args = ["check", "--policy", str(HERE / "canary-policy.yaml"), "--world", str(path), "--format", "json"]
    result = CliRunner().invoke(cli, [*args, "--no-fail-fast"])
    assert result.exit_code == code, result.output
    report = json.loads(result.output)
    assert {r["status"] for r in report["checks"]} == statuses, result.output
    assert {r["id"] for r in report["checks"]} == {f"{SERVICE}-canary-errors", f"{SERVICE}-canary-latency"}


def test_polls_until_traffic_has_arrived(tmp_path: Any) -> None:
    """The engine's retry loop does the waiting: ERROR (too little traffic) is polled, and the
    check passes once the candidate's requests are in the window. The candidate's points end a
    moment in the future, as metrics still being ingested, so the first attempt cannot see them."""
    import datetime as dt

    import yaml

    from gate.model import CheckSpec, Policy, Timing
    from gate.runner import RunOptions, execute

    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)).isoformat().replace("+00:00", "Z")

    def arriving(d: dict[str, Any]) -> None:
        for s in series(d, "run.googleapis.com/request_count", CAND):
            s["points"] = [{**s["points"][0], "interval": {"startTime": "-1m", "endTime": soon}}]

    data = yaml.safe_load((HERE / f"{WORLD}.yaml").read_text(encoding="utf-8"))
    arriving(data)
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    spec = CheckSpec(
        id="canary",
        type="monitoring.metric",
        params={"service": SERVICE, "tag": "candidate", "min_requests": 50, "assert": ["error_ratio <= 1%"]},
        timing=Timing(timeout=5, interval=0.5, deadline=30),
    )
    report = execute(
        Policy(project="netra-staging", region="us-central1", checks=(spec,)),
        RunOptions(world=path, handle_signals=False),
    )
    (r,) = report.results
    assert r.status is Status.PASS, r.summary
    assert len(r.attempts) >= 2
    assert r.attempts[0].status is Status.ERROR and "no data" in r.attempts[0].summary


def test_evidence_replay_says_metric_checks_are_not_replayable(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from gate.cli import cli

    bundle = tmp_path / "evidence"
    args = ["check", "--policy", str(HERE / "canary-policy.yaml"), "--world", str(HERE / f"{WORLD}.yaml")]
    assert CliRunner().invoke(cli, [*args, "--evidence", str(bundle)]).exit_code == 0
    exchanges = (bundle / "exchanges.jsonl").read_text(encoding="utf-8")
    assert "timeSeries.list" in exchanges  # the answers the verdict rests on are in the bundle
    replayed = CliRunner().invoke(cli, ["replay", str(bundle)])
    assert replayed.exit_code == 0, replayed.output
    assert "not replayable: Cloud Monitoring aggregates" in replayed.output
