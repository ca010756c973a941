"""Retries, deadlines and error mapping, with faults injected by the emulator."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from gate.emulator import Emulator, Fault
from gate.errors import ApiError, MissingFactError, NotFoundError
from gate.gcp.cloud import Cloud
from gate.gcp.transport.connection import Connection
from tests.gcp.conftest import PROJECT, REGION, SERVICE, sent, soon


def test_concurrent_askers_share_one_request(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", delay=0.3, times=1))  # keep the first call in flight
    barrier = threading.Barrier(12)
    results, errors = [], []

    def ask() -> None:
        barrier.wait()
        try:
            results.append(cloud.run.service("netra-backend-staging", deadline=soon()))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 12
    assert len(sent(emu, "run")) == 1
    assert cloud.stats.calls[("run", "GetService")] == 1


def test_fresh_refetches_and_updates_the_memo(cloud: Cloud, emu: Emulator) -> None:
    cloud.run.service("netra-backend-staging", deadline=soon())
    cloud.run.service("netra-backend-staging", deadline=soon())
    assert len(sent(emu, "run")) == 1
    cloud.run.service("netra-backend-staging", deadline=soon(), fresh=True)
    assert len(sent(emu, "run")) == 2
    cloud.run.service("netra-backend-staging", deadline=soon())
    assert len(sent(emu, "run")) == 2


def test_failures_are_not_memoised(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", status=403, times=1))
    with pytest.raises(ApiError):
        cloud.run.service("netra-backend-staging", deadline=soon())
    assert cloud.run.service("netra-backend-staging", deadline=soon()).generation == 7


def test_403_names_api_code_status_and_permission(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", status=403))
    with pytest.raises(ApiError) as e:
        cloud.run.service("netra-backend-staging", deadline=soon())
    err = e.value
    assert not isinstance(err, NotFoundError)
    assert (err.api, err.code, err.status, err.permission) == (
        "run",
        403,
        "PERMISSION_DENIED",
        "run.services.get",
    )
    assert str(err).startswith("run: HTTP 403 PERMISSION_DENIED: GetService: ")
    assert "needs permission run.services.get" in str(err)
    assert "Authorization" not in str(err) and "Bearer" not in str(err)
    assert len(sent(emu, "run")) == 1  # never retried


def test_403_api_disabled_is_said(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(
        Fault(
            api="redis",
            status=403,
            message=(
                "Cloud Memorystore for Redis API has not been used in project 701982941522 "
                "before or it is disabled."
            ),
        )
    )
    with pytest.raises(ApiError) as e:
        cloud.redis.instance("staging-redis-f1adc35c", deadline=soon())
    assert "may be disabled" in str(e.value) and e.value.permission == "redis.instances.get"


def test_404_is_not_found_naming_the_resource_and_not_retried(cloud: Cloud, emu: Emulator) -> None:
    with pytest.raises(NotFoundError) as e:
        cloud.vpcaccess.connector("missing-connector", deadline=soon())
    assert e.value.resource == f"projects/{PROJECT}/locations/{REGION}/connectors/missing-connector"
    assert "missing-connector" in str(e.value)
    assert len(sent(emu, "vpcaccess")) == 1


def test_429_then_success_within_the_deadline(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", status=429, times=2))
    s = cloud.run.service("netra-backend-staging", deadline=soon(30))
    assert s.generation == 7
    assert [r.status for r in sent(emu, "run")] == [429, 429, 200]
    assert cloud.stats.calls[("run", "GetService")] == 3


def test_persistent_503_stops_at_the_deadline_and_says_why(cloud: Cloud, emu: Emulator) -> None:
    """About 1 s, then 2 s, then 4 s (+ jitter): a 4 s deadline leaves room for at most 3 requests."""
    emu.add_fault(Fault(api="run", status=503))
    with pytest.raises(ApiError) as e:
        cloud.run.service("netra-backend-staging", deadline=time.monotonic() + 4.0)
    assert e.value.code == 503 and e.value.status == "UNAVAILABLE"
    n = len(sent(emu, "run"))
    assert 2 <= n <= 3, n
    assert f"gave up after {n} requests" in str(e.value)
    assert "would pass the check's deadline" in str(e.value)


def test_the_attempt_cap_bounds_requests_for_one_resource(
    cloud: Cloud, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gate.gcp.transport import call as call_module

    monkeypatch.setattr(call_module, "BACKOFF_INITIAL_S", 0.01)  # gate's own knob, not a client's
    monkeypatch.setattr(call_module, "JITTER_S", 0.0)
    emu.add_fault(Fault(api="run", status=500))
    with pytest.raises(ApiError) as e:
        cloud.run.service("netra-backend-staging", deadline=soon(60))
    assert len(sent(emu, "run")) == call_module.MAX_ATTEMPTS == 5
    assert "gave up after 5 requests: the cap of 5 requests per resource is reached" in str(e.value)


def test_retry_info_delay_past_the_deadline_is_not_retried(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="run", status=429, retry_delay="30s"))
    with pytest.raises(ApiError) as e:
        cloud.run.service("netra-backend-staging", deadline=soon(5))
    assert len(sent(emu, "run")) == 1
    assert "gave up after 1 request: the API asked to wait 30.0s (RetryInfo)" in str(e.value)


def test_retry_info_delay_is_a_floor_on_the_wait(cloud: Cloud, emu: Emulator) -> None:
    """Backoff alone would retry within 2 s; RetryInfo asks for 3 s, past a 2.8 s deadline."""
    emu.add_fault(Fault(api="run", status=503, retry_delay="3s"))
    with pytest.raises(ApiError) as e:
        cloud.run.service("netra-backend-staging", deadline=time.monotonic() + 2.8)
    assert len(sent(emu, "run")) == 1
    assert "the API asked to wait 3.0s (RetryInfo) would pass the check's deadline" in str(e.value)


def test_backoff_is_truncated_exponential_with_bounded_jitter() -> None:
    from gate.gcp.transport.call import backoff

    assert [backoff(n, lambda a, b: 0.0) for n in (1, 2, 3, 4, 5, 6, 9)] == [1, 2, 4, 8, 16, 30, 30]
    assert all(1.0 <= backoff(1) <= 2.0 for _ in range(50))


def test_a_429_holds_back_other_requests_to_the_same_api(cloud: Cloud, emu: Emulator) -> None:
    """The API asked for 30 s after a 429: a request for another resource of that API in the
    same run is not sent at all (it would only add to the quota problem)."""
    emu.add_fault(Fault(api="run", status=429, retry_delay="30s", times=1))
    with pytest.raises(ApiError):
        cloud.run.service("netra-backend-staging", deadline=soon(5))
    with pytest.raises(ApiError) as e:
        cloud.run.service("netra-auth-service", deadline=soon(5))
    assert "not sent: the API is throttling this run (HTTP 429)" in str(e.value)
    assert e.value.code == 429
    assert [r.status for r in sent(emu, "run")] == [429]
    cloud.redis.instance("staging-redis-f1adc35c", deadline=soon(5))  # other APIs are not held


@pytest.mark.parametrize("code", [400, 409])
def test_client_errors_are_not_retried(cloud: Cloud, emu: Emulator, code: Any) -> None:
    emu.add_fault(Fault(api="run", status=code))
    with pytest.raises(ApiError) as e:
        cloud.run.service("netra-backend-staging", deadline=soon())
    assert e.value.code == code and len(sent(emu, "run")) == 1


def test_hang_past_the_timeout_is_timed_out(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="secretmanager", hang=True))
    started = time.monotonic()
    with pytest.raises(ApiError) as e:
        cloud.secretmanager.secret("jwt-secret-key-staging", deadline=started + 0.5)
    assert "timed out after 0.5s" in str(e.value)
    assert time.monotonic() - started < 0.5 + 1.0


def test_connection_reset_is_retried(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="sqladmin", reset=True, times=1))
    inst = cloud.sqladmin.instance("staging-shared-postgres", deadline=soon())
    assert inst.state == "RUNNABLE" and len(sent(emu, "sqladmin")) == 2


def test_malformed_json_is_an_api_error(cloud: Cloud, emu: Emulator) -> None:
    emu.add_fault(Fault(api="redis", malformed=True))
    with pytest.raises(ApiError) as e:
        cloud.redis.instance("staging-redis-f1adc35c", deadline=soon())
    assert "malformed response" in str(e.value) and len(sent(emu, "redis")) == 1


def test_malformed_json_from_logging_is_an_api_error(cloud: Cloud, emu: Emulator) -> None:
    import datetime as dt

    emu.add_fault(Fault(api="logging", malformed=True))
    end = dt.datetime.now(dt.timezone.utc)
    with pytest.raises(ApiError, match="malformed response"):
        cloud.logging.entries(
            "", start=end - dt.timedelta(minutes=5), end=end, max_entries=10, deadline=soon()
        )


@pytest.mark.parametrize(
    ("api", "field", "read"),
    [
        ("run", "generation", lambda c: c.run.service("netra-backend-staging", deadline=soon())),
        ("redis", "state", lambda c: c.redis.instance("staging-redis-f1adc35c", deadline=soon())),
        ("redis", "host", lambda c: c.redis.instance("staging-redis-f1adc35c", deadline=soon())),
        (
            "sqladmin",
            "settings.tier",
            lambda c: c.sqladmin.instance("staging-shared-postgres", deadline=soon()),
        ),
        ("vpcaccess", "ipCidrRange", lambda c: c.vpcaccess.connector("staging-connector", deadline=soon())),
        (
            "secretmanager",
            "state",
            lambda c: c.secretmanager.version("jwt-secret-key-staging", "1", deadline=soon()),
        ),
    ],
)
def test_a_needed_field_missing_is_a_missing_fact(
    cloud: Cloud, emu: Emulator, api: Any, field: Any, read: Any
) -> None:
    emu.add_fault(Fault(api=api, drop=(field,)))
    with pytest.raises(MissingFactError) as e:
        read(cloud)
    assert field.split(".")[-1].lower() in str(e.value).lower()


def test_followers_time_out_on_their_own_deadline(cloud: Cloud, emu: Emulator) -> None:
    emu.clear_requests()
    emu.add_fault(Fault(api="run", delay=1.0, times=1))
    leader = threading.Thread(target=lambda: cloud.run.service("netra-backend-staging", deadline=soon(3)))
    leader.start()
    assert emu.wait_for_arrivals(1, timeout=10)  # the leader's call is in flight
    started = time.monotonic()
    with pytest.raises(ApiError, match="timed out waiting"):
        cloud.run.service("netra-backend-staging", deadline=started + 0.2)
    assert time.monotonic() - started < 0.2 + 0.6
    leader.join()
    assert len(sent(emu, "run")) == 1


def test_pool_is_sized_for_the_run(emu: Emulator) -> None:
    cloud = Cloud(Connection(emulator_host=emu.api_host), PROJECT, REGION, concurrency=40)
    client = cloud.transport.client("run")
    adapter = client.transport._session.get_adapter(f"http://{emu.api_host}/")
    assert adapter._pool_maxsize == 40
    assert cloud.transport.client("run") is client  # once per API per run


def test_many_threads_do_not_exhaust_the_pool(emu: Emulator, caplog: Any) -> None:
    cloud = Cloud(Connection(emulator_host=emu.api_host), PROJECT, REGION, concurrency=24)
    emu.add_fault(Fault(api="run", delay=0.1, times=24))
    barrier = threading.Barrier(24)
    errors: list[Exception] = []

    def ask(i: int) -> None:
        barrier.wait()
        try:
            cloud.run.service(f"svc-{i}", deadline=soon())
        except NotFoundError:
            pass
        except Exception as e:  # pragma: no cover
            errors.append(e)

    with caplog.at_level("WARNING", logger="urllib3"):
        threads = [threading.Thread(target=ask, args=(i,)) for i in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    emu.clear_faults()
    assert errors == []
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_stats_count_calls_and_resources(cloud: Cloud) -> None:
    cloud.run.service("netra-backend-staging", deadline=soon())
    cloud.run.service("netra-backend-staging", deadline=soon())
    cloud.redis.instance("staging-redis-f1adc35c", deadline=soon())
    d = cloud.stats.as_dict()
    assert d["calls"] == {"redis GetInstance": 1, "run GetService": 1}
    assert d["total"] == 2 and d["distinct_resources"] == 2
    assert ("run", SERVICE) in cloud.stats.resources


def test_endpoint_override_and_emulator_precedence() -> None:
    c = Cloud(Connection(endpoints={"run": "https://run-psc.example.internal"}), PROJECT, REGION)
    assert c.transport.endpoint("run") == "https://run-psc.example.internal"
    assert c.transport.endpoint("run.revisions") == "https://run-psc.example.internal"
    assert c.transport.endpoint("redis") is None
    e = Cloud(Connection(emulator_host="127.0.0.1:1", endpoints={"run": "https://x"}), PROJECT, REGION)
    assert e.transport.endpoint("run") == "http://127.0.0.1:1"


def test_unknown_api_is_a_bug(cloud: Cloud) -> None:
    with pytest.raises(ValueError, match="unknown API"):
        cloud.transport.client("bigquery")


def test_deadline_already_past_sends_nothing(cloud: Cloud, emu: Emulator) -> None:
    with pytest.raises(ApiError, match="deadline reached"):
        cloud.run.service("netra-backend-staging", deadline=time.monotonic() - 1)
    assert sent(emu, "run") == []


def test_emulator_fixture_is_isolated(emu: Emulator) -> None:
    assert emu.api_host.startswith("127.0.0.1:")
