"""``monitoring.metric``: the candidate revision serves well under real traffic (Cloud Monitoring).

Readiness checks prove a revision can serve; this one proves how it serves
once requests arrive: error ratio, latency percentiles, startup latency,
instance count, or any metric (a log-based metric counting ``Worker failed to
boot``), against absolute limits or relative to the baseline revision (the one
serving before). The grammar of ``assert`` is in :mod:`gate.checks.metric_params`,
the queries in :mod:`gate.checks.metric_read`.

Fail closed: no data, or fewer samples than ``min_requests`` / ``min_samples``,
is ERROR (polled: traffic may still come), never a pass; a threshold that holds
only for part of a value's possible range (a percentile beyond the histogram)
is ERROR too. A breach with enough samples is a final FAIL: a canary that
measurably misbehaves is rolled back, not given more time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gate import durations
from gate.checks import metric_params
from gate.checks.base import CheckType
from gate.checks.metric_params import ABSENT_NOTE, Threshold, parse_threshold
from gate.checks.target import resolve_target
from gate.model import CheckSpec, Outcome

if TYPE_CHECKING:  # annotations only: `gate validate` imports this module for its schema
    from gate.checks.metric_read import Reader, Reading, Window
    from gate.checks.target import Target
    from gate.context import AttemptContext
    from gate.gcp.facts_run import Service

DEFAULT_WINDOW = "5m"
DEFAULT_MIN_REQUESTS = 50
DEFAULT_MIN_SAMPLES = 1
# Cloud Run samples request metrics every 60 s; a sample is visible up to 180 s later
# (cloud.google.com/monitoring/api/metrics_gcp, run.googleapis.com/request_count).
INGESTION_DELAY = "3m"


@dataclass(frozen=True)
class Judgement:
    threshold: Threshold
    status: str  # "PASS", "FAIL", "ERROR"
    text: str  # one line for the summary
    record: Mapping[str, Any]
    final: bool = False  # for ERROR: retrying cannot help


class MonitoringMetric(CheckType):
    name = "monitoring.metric"
    summary = (
        "The revision's Cloud Monitoring metrics (error ratio, latency...) meet absolute or baseline limits."
    )
    description = (
        "Reads Cloud Monitoring time series of the target revision (`service` with `revision`/`tag`, "
        "default the latest created revision) over the last `window` (default 5m) and judges each "
        "`assert` threshold:\n\n"
        "- `error_ratio` (5xx / all, from run.googleapis.com/request_count by response_code_class), "
        "`error_count`, `request_count`;\n"
        "- `p50`, `p95`, `p99` (run.googleapis.com/request_latencies, ms: ALIGN_DELTA + "
        "REDUCE_PERCENTILE_*), `startup_p50/95/99` (container/startup_latencies), `instances` "
        "(peak of container/instance_count per minute);\n"
        "- `value`: any metric given as `metric: {type, filter, resource_type, reduce, absent}`.\n\n"
        "Thresholds are absolute (`error_ratio <= 1%`, `p95 <= 2s`) or relative to the baseline "
        "revision (`p95 <= 1.2 x baseline`, `error_ratio <= baseline + 0.5%`): by default the "
        "revision with the most traffic that is not the target, or `baseline: {revision|tag}`.\n\n"
        "Too little traffic (fewer than `min_requests`, default 50, requests or latency samples; "
        "`min_samples`, default 1, for the others) or no data is ERROR, never a pass, and is polled "
        "(`retry.deadline`); the evidence lists every query (filter, aggregation, window) and sample. "
        "A breach with enough samples is a final FAIL."
    )
    params_schema = metric_params.PARAMS_SCHEMA
    example = {
        "id": "candidate-canary",
        "type": "monitoring.metric",
        "timeout": "30s",
        "retry": {"interval": "30s", "deadline": "10m"},
        "with": {
            "service": "netra-backend-staging",
            "tag": "candidate",
            "window": "5m",
            "min_requests": 50,
            "assert": [
                "error_ratio <= 1%",
                "error_ratio <= baseline + 0.5%",
                "p95 <= 2s",
                "p95 <= 1.2 x baseline",
            ],
        },
    }
    apis = ("run", "monitoring")

    def __init__(self, spec: CheckSpec) -> None:
        super().__init__(spec)
        p = self.params
        self.thresholds = [parse_threshold(str(t)) for t in p["assert"]]
        self.window = int(durations.parse(str(p.get("window", DEFAULT_WINDOW))))
        self.min_requests = int(p.get("min_requests", DEFAULT_MIN_REQUESTS))
        self.min_samples = int(p.get("min_samples", DEFAULT_MIN_SAMPLES))

    @classmethod
    def semantic_errors(cls, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        return metric_params.semantic_errors(params)

    def attempt(self, ctx: AttemptContext) -> Outcome:
        from gate.checks.metric_read import Reader, Window

        target = resolve_target(ctx, self.params)
        service = target.service
        end = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        window = Window(end - dt.timedelta(seconds=self.window), end)
        reader = Reader(ctx, service.short_name, _location(service.name, ctx.region), window, self.params)
        revision = target.revision.short_name
        evidence: dict[str, Any] = {**target.evidence, "window": window.describe()}
        baseline, baseline_error = self._baseline(ctx, target)
        if baseline is not None:
            evidence["baseline"] = {"revision": baseline[0], "selected_as": baseline[1]}
        judgements = [self._judge(t, reader, revision, baseline, baseline_error) for t in self.thresholds]
        evidence["thresholds"] = [j.record for j in judgements]
        evidence["queries"] = reader.queries
        metrics = _metrics(reader, revision, baseline[0] if baseline else None, self.thresholds)
        return self._outcome(target, window, judgements, evidence, metrics)

    # -- baseline -----------------------------------------------------------------

    def _baseline(self, ctx: AttemptContext, target: Target) -> tuple[tuple[str, str] | None, str]:
        """(short name, how chosen) of the baseline revision, or (None, why not)."""
        if not any(t.bound.relative for t in self.thresholds):
            return None, ""
        spec = self.params.get("baseline")
        if isinstance(spec, Mapping):
            chosen = resolve_target(ctx, {"service": self.params["service"], **spec})
            if chosen.revision.short_name == target.revision.short_name:
                return None, f"the baseline ({chosen.how}) is the target revision itself"
            return (chosen.revision.short_name, chosen.how), ""
        name, percent = most_traffic(target.service, exclude=target.revision.short_name)
        if name is None:
            return None, (
                f"no revision of {target.service.short_name} other than {target.revision.short_name} "
                "receives traffic, so there is no baseline to compare with"
            )
        return (name, f"the revision with the most traffic ({percent}%) other than the target"), ""

    # -- judging ------------------------------------------------------------------

    def _minimum(self, r: Reading) -> int:
        return self.min_requests if r.measure.source in ("requests", "latency") else self.min_samples

    def _judge(
        self,
        t: Threshold,
        reader: Reader,
        revision: str,
        baseline: tuple[str, str] | None,
        baseline_error: str,
    ) -> Judgement:
        m = t.measure
        r = reader.read(m, revision)
        record: dict[str, Any] = {"assert": t.text, "revision": revision, **_reading(r)}
        short = self._insufficient(r, reader)
        if short:
            record["status"] = "ERROR"
            return Judgement(t, "ERROR", f"{t.text}: {short}", record=record)
        assert r.value is not None
        if t.bound.relative:
            if baseline is None:
                record["status"] = "ERROR"
                return Judgement(t, "ERROR", f"{t.text}: {baseline_error}", final=True, record=record)
            b = reader.read(m, baseline[0])
            record["baseline"] = _reading(b)
            short = self._insufficient(b, reader)
            if short:
                record["status"] = "ERROR"
                return Judgement(t, "ERROR", f"{t.text}: baseline {baseline[0]}: {short}", record=record)
            assert b.value is not None
            low, high = sorted((t.bound.of(b.low), t.bound.of(b.high)))
            limit = t.bound.of(b.value)
            shown = f"{m.format(limit)} = {_relative(t, m, m.format(b.value))}"
        else:
            low = high = limit = t.bound.number
            shown = m.format(limit)
        record["limit"] = _round(limit)
        status = compare(t.op, r.low, r.high, low, high)
        actual = m.format(r.value)
        samples = f"{r.samples} {r.sample_unit}" + (f"; {r.note}" if r.note else "")
        record["status"] = status
        if status == "PASS":
            return Judgement(t, "PASS", f"{m.name} {actual} {t.op} {shown} ({samples})", record=record)
        if status == "FAIL":
            return Judgement(t, "FAIL", f"{m.name} {actual}, limit {t.op} {shown} ({samples})", record=record)
        return Judgement(
            t,
            "ERROR",
            f"{t.text}: cannot decide: {m.name} is {actual} ({samples}), which may or may not be "
            f"{t.op} {shown}",
            final=True,
            record=record,
        )

    def _insufficient(self, r: Reading, reader: Reader) -> str:
        """Why a reading cannot be judged (too few samples), or ""."""
        if r.note == ABSENT_NOTE:
            # absent: zero: silence counts as 0 only for a revision that served traffic.
            served = reader.read(metric_params.MEASURES["request_count"], r.revision)
            if served.samples < self.min_requests:
                return (
                    f"no {r.measure.name} point, and only {served.samples} requests reached "
                    f"{r.revision} (min_requests {self.min_requests}): silence proves nothing"
                )
            return ""
        need = self._minimum(r)
        if r.value is None or r.samples < need:
            key = "min_requests" if r.measure.source in ("requests", "latency") else "min_samples"
            got = "no data" if r.samples == 0 else f"only {r.samples} {r.sample_unit}"
            return f"{got} for {r.revision} in the window; at least {need} needed ({key})"
        return ""

    def _outcome(
        self,
        target: Target,
        window: Window,
        judgements: list[Judgement],
        evidence: dict[str, Any],
        metrics: dict[str, float],
    ) -> Outcome:
        rev = target.revision.short_name
        span = f"revision {rev} over the last {durations.format(window.seconds)}"
        failed = [v for v in judgements if v.status == "FAIL"]
        errors = [v for v in judgements if v.status == "ERROR"]
        if failed:
            return Outcome.failed(
                f"{span}: " + "; ".join(v.text for v in failed),
                evidence=evidence,
                remediation=self._rollback(target, evidence),
                final=True,
                metrics=metrics,
            )
        if errors:
            final = all(v.final for v in errors)
            return Outcome.error(
                f"{span}: " + "; ".join(v.text for v in errors),
                evidence=evidence,
                remediation=self._traffic_hint(target) if not final else _explain(evidence),
                final=final,
                metrics=metrics,
            )
        return Outcome.passed(
            f"{span}: " + "; ".join(v.text for v in judgements), evidence=evidence, metrics=metrics
        )

    def _traffic_hint(self, target: Target) -> str:
        url = next(
            (
                t.uri
                for t in target.service.traffic_statuses
                if t.tag and t.uri and t.revision == target.revision.short_name
            ),
            None,
        )
        where = f"its tag URL {url}" if url else f"revision {target.revision.short_name}"
        return (
            f"Send traffic to {where}: a load step before this check (e.g. `hey -z 2m -q 5 {url or 'URL'}`, "
            "or the policy's golden path), or wait for real traffic. Cloud Run samples request metrics "
            f"every 60 s and shows them up to {INGESTION_DELAY} later: give the check a retry.deadline of "
            f"at least the window plus {INGESTION_DELAY}."
        )

    def _rollback(self, target: Target, evidence: Mapping[str, Any]) -> str:
        svc = target.service.short_name
        base = (
            evidence.get("baseline", {}).get("revision")
            or most_traffic(target.service, exclude=target.revision.short_name)[0]
        )
        first = evidence["queries"][0]["filter"] if evidence.get("queries") else ""
        out = []
        if base:
            out.append(f"Roll back: gcloud run services update-traffic {svc} --to-revisions {base}=100.")
        out.append(f"Inspect the series in Metrics Explorer with the filter: {first}")
        return " ".join(out)


def _explain(evidence: Mapping[str, Any]) -> str:
    return (
        "Name the baseline with `baseline: {revision: NAME}` (or a tag), or use absolute thresholds; "
        "for a percentile beyond the histogram, use an absolute limit within its buckets. "
        f"Queries: {len(evidence.get('queries', []))} (see evidence)."
    )


def compare(op: str, low: float, high: float, blow: float, bhigh: float) -> str:
    """PASS if ``value OP bound`` holds for every value in [low, high] and bound in [blow, bhigh],
    FAIL if it holds for none, ERROR otherwise (the data cannot decide)."""
    if op == "<=":
        return "PASS" if high <= blow else "FAIL" if low > bhigh else "ERROR"
    if op == "<":
        return "PASS" if high < blow else "FAIL" if low >= bhigh else "ERROR"
    if op == ">=":
        return "PASS" if low >= bhigh else "FAIL" if high < blow else "ERROR"
    if op == ">":
        return "PASS" if low > bhigh else "FAIL" if high <= blow else "ERROR"
    if low == high == blow == bhigh:
        return "PASS"
    return "FAIL" if high < blow or low > bhigh else "ERROR"


def most_traffic(service: Service, *, exclude: str) -> tuple[str | None, int]:
    """The revision with the most traffic other than ``exclude`` (observed statuses), and its share."""
    latest = (service.latest_ready_revision or "").rsplit("/", 1)[-1]
    share: dict[str, int] = {}
    for t in service.traffic_statuses:
        name = latest if t.type.endswith("_LATEST") else (t.revision or "")
        if name and name != exclude and t.percent > 0:
            share[name] = share.get(name, 0) + t.percent
    if not share:
        return None, 0
    # Most traffic; on a tie the newer name (Cloud Run numbers revisions in order).
    name = max(share, key=lambda n: (share[n], n))
    return name, share[name]


def _location(service_name: str, default: str) -> str:
    parts = service_name.split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "locations" else default


def _relative(t: Threshold, m: Any, baseline: str) -> str:
    b = t.bound
    if b.offset:
        return f"baseline {baseline} {'+' if b.offset > 0 else '-'} {m.format(abs(b.offset))}"
    return f"{b.factor:g} \u00d7 baseline {baseline}"


def _round(v: float) -> float:
    return v if math.isinf(v) else round(v, 6)


def _reading(r: Reading) -> dict[str, Any]:
    out: dict[str, Any] = {
        "measure": r.measure.name,
        "value": None if r.value is None else _round(r.value),
        "samples": r.samples,
        "sample_unit": r.sample_unit,
    }
    if not r.exact and r.value is not None:
        out["range"] = [
            None if math.isinf(r.low) else _round(r.low),
            None if math.isinf(r.high) else _round(r.high),
        ]
    if r.note:
        out["note"] = r.note
    out.update(r.detail)
    return out


def _metrics(
    reader: Reader, revision: str, baseline: str | None, thresholds: list[Threshold]
) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in thresholds:
        for who, name in (("", revision), ("baseline_", baseline)):
            if name is None or (who and not t.bound.relative):
                continue
            r = reader.cached(t.measure, name)
            if r is None:
                continue
            suffix = "_ms" if t.measure.unit == "ms" else ""
            if r.value is not None:
                out[f"{who}{t.measure.name}{suffix}"] = round(r.value, 6)
            out[f"{who}{t.measure.name}_samples"] = float(r.samples)
    return out
