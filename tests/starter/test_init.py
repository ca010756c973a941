"""``gate init`` through the real CLI against emulated projects.

For every healthy world (the shipped S12, Direct VPC, Shared VPC, a multi-container
service) the written policy validates, passes in that world, and blocks the
broken variants of it (an env variable lost, Redis on another network, a smaller
database tier, VPC access dropped, a sidecar's variable lost). No literal env
value of any world ever appears in anything init prints or writes.
"""

from __future__ import annotations

import concurrent.futures
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate.engine import EngineOptions
from gate.model import Status, Verdict
from gate.policy.loader import load_policy
from gate.runner import RunOptions, execute
from tests.starter import (
    HEALTHY,
    SHIPPED,
    clean_env,
    env_of,
    gate,
    literal_values,
    load,
    revision,
    variant,
    write,
)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """`gate init` once per healthy world, all at once: name -> (policy file, the process)."""
    root = tmp_path_factory.mktemp("init")

    def one(name: str) -> tuple[Path, Any]:
        world, project = HEALTHY[name]
        cwd = root / name
        cwd.mkdir()
        proc = gate("init", "--project", project, "--world", str(world), cwd=cwd)
        return cwd / "policies" / f"{project}.yaml", proc

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(HEALTHY)) as pool:
        return dict(zip(HEALTHY, pool.map(one, HEALTHY), strict=True))


def prose(text: str) -> str:
    """Comments as one line of prose (the renderer wraps them)."""
    return re.sub(r"\n *# *", " ", text)


def run(policy: Path, world: Path) -> Any:
    options = RunOptions(
        world=world, engine=EngineOptions(fail_fast=False, deadline=120), handle_signals=False
    )
    return execute(load_policy(policy), options)


@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_the_written_policy_validates_and_passes_where_it_was_written(
    name: str, written: dict[str, tuple[Path, Any]]
) -> None:
    policy, proc = written[name]
    assert proc.returncode == 0, proc.stderr
    assert f"gate init: wrote policies/{HEALTHY[name][1]}.yaml" in proc.stderr
    v = gate("validate", str(policy), cwd=policy.parent.parent)
    assert v.returncode == 0 and v.stdout.strip() == "ok: 1 file", v.stdout + v.stderr
    report = run(policy, HEALTHY[name][0])
    statuses = {r.id: r.status.value for r in report.results}
    assert report.verdict is Verdict.PASS, {
        r.id: r.summary for r in report.results if r.status is not Status.PASS
    }
    assert set(statuses.values()) == {"PASS"}
    kinds = {r.type for r in report.results}
    assert {"run.revision", "run.env", "run.diff", "http.health"} <= kinds or name == "multi-container"


# -- what each policy holds ------------------------------------------------------------------


def test_s12_policy_covers_what_the_backend_uses(written: dict[str, tuple[Path, Any]]) -> None:
    ids = {c.id for c in load_policy(written["s12-healthy"][0]).checks}
    b = "netra-backend-staging"
    assert {
        f"{b}-revision",
        f"{b}-env",
        f"{b}-diff",
        f"{b}-boot-log",
        f"{b}-health",
        f"{b}-reaches-redis-staging-redis-f1adc35c",
        f"{b}-reaches-sql-staging-shared-postgres",
        "staging-shared-postgres-sql",
        "netra-auth-service-revision",
        "netra-auth-service-env",
        "netra-auth-service-health",
    } <= ids
    text = written["s12-healthy"][0].read_text()
    # The auth service logged nothing in the world: its boot log check is left out, and said so.
    assert "netra-auth-service-boot-log" not in ids and "REVIEW: boot log check left out" in text
    # A service whose serving revision cannot be read is named, not silently dropped.
    assert "REVIEW: not covered: netra-frontend-staging" in text
    sql = next(
        c for c in load_policy(written["s12-healthy"][0]).checks if c.id == "staging-shared-postgres-sql"
    )
    assert sql.params["min_tier"] == "db-custom-2-7680"  # the current tier is the minimum


def test_direct_vpc_policy(written: dict[str, tuple[Path, Any]]) -> None:
    policy = load_policy(written["direct-vpc"][0])
    by_id = {c.id: c for c in policy.checks}
    # Redis on the revision's network (analytics-cache is on another one); MySQL by the IP in DB_HOST.
    assert "shop-api-reaches-redis-shop-cache" in by_id and not any("analytics" in i for i in by_id)
    assert by_id["shop-api-reaches-sql-shop-db"].params == {"service": "shop-api", "sql": "shop-db"}
    assert by_id["shop-db-sql"].params["database_version_prefix"] == "MYSQL_"
    assert "reporting-db-sql" not in by_id  # not used by any service
    env = by_id["shop-api-env"].params
    assert env["vars"]["FEATURE_FLAGS"] == {"non_empty": False}  # empty on the serving revision
    assert env["vars"]["DB_PORT"] == {"port": True}
    assert policy.vars["shop_api_health_path"] == "/healthz"  # /health answered 404
    assert by_id["shop-api-boot-log"].params["require"] == ["STARTUP (TCP|HTTP|GRPC) probe succeeded"]
    assert "shop-web-env" not in by_id  # shop-web has no environment


def test_shared_vpc_policy(written: dict[str, tuple[Path, Any]]) -> None:
    text = written["shared-vpc"][0].read_text()
    assert "connector orders-conn on network shared-net" in prose(text)
    ids = {c.id for c in load_policy(written["shared-vpc"][0]).checks}
    assert {"orders-reaches-redis-orders-cache", "orders-reaches-sql-orders-db", "orders-db-sql"} <= ids
    assert load_policy(written["shared-vpc"][0]).vars["orders_health_path"] == "/ready"  # the startup probe's


def test_multi_container_policy_requires_the_ingress_containers_variables(
    written: dict[str, tuple[Path, Any]],
) -> None:
    env = next(c for c in load_policy(written["multi-container"][0]).checks if c.id == "chat-env")
    assert env.params["required"] == ["CHAT_MODEL", "SESSION_SIGNING_KEY"]
    assert "other containers otel" in prose(written["multi-container"][0].read_text())


# -- broken variants ---------------------------------------------------------------------------


def api_lost_db_host(d: dict[str, Any]) -> None:
    env = env_of(d, "shop-api-00008-kte")
    env[:] = [e for e in env if e["name"] != "DB_HOST"]


def cache_on_other_network(d: dict[str, Any]) -> None:
    d["redis"]["instances"][0]["authorizedNetwork"] = "projects/acme-shop/global/networks/analytics-vpc"


def shop_db_smaller(d: dict[str, Any]) -> None:
    d["sqladmin"]["instances"][0]["settings"]["tier"] = "db-g1-small"


def orders_cache_on_legacy_network(d: dict[str, Any]) -> None:
    d["redis"]["instances"][0]["authorizedNetwork"] = "projects/acme-net/global/networks/legacy-net"
    d["compute"]["networks"].append(
        {
            "name": "legacy-net",
            "selfLink": "https://www.googleapis.com/compute/v1/projects/acme-net/global/networks/legacy-net",
            "autoCreateSubnetworks": False,
        }
    )


def orders_lost_vpc_access(d: dict[str, Any]) -> None:
    del revision(d, "orders-00021-hbt")["vpcAccess"]


def orders_db_smaller(d: dict[str, Any]) -> None:
    d["sqladmin"]["instances"][0]["settings"]["tier"] = "db-custom-2-7680"


def sidecar_lost_a_variable(d: dict[str, Any]) -> None:
    env = env_of(d, "chat-00005-mcx", container=1)
    env[:] = [e for e in env if e["name"] != "OTEL_EXPORTER_OTLP_HEADERS"]


def ingress_emptied_a_variable(d: dict[str, Any]) -> None:
    next(e for e in env_of(d, "chat-00005-mcx") if e["name"] == "CHAT_MODEL")["value"] = ""


Edit = Callable[[dict[str, Any]], None]
# healthy world -> (shipped broken world or edit, checks that must FAIL)
BROKEN: list[tuple[str, str | Edit, set[str]]] = [
    (
        "s12-healthy",
        "s5-missing-database-config",
        {"netra-backend-staging-env", "netra-backend-staging-diff"},
    ),
    ("s12-healthy", "s6-redis-unreachable", {"netra-backend-staging-reaches-redis-staging-redis-f1adc35c"}),
    ("s12-healthy", "s7-database-underprovisioned", {"staging-shared-postgres-sql"}),
    ("s12-healthy", "x1-vpc-access-removed", {"netra-backend-staging-diff"}),
    ("direct-vpc", api_lost_db_host, {"shop-api-env", "shop-api-diff"}),
    ("direct-vpc", cache_on_other_network, {"shop-api-reaches-redis-shop-cache"}),
    ("direct-vpc", shop_db_smaller, {"shop-db-sql"}),
    ("shared-vpc", orders_cache_on_legacy_network, {"orders-reaches-redis-orders-cache"}),
    ("shared-vpc", orders_lost_vpc_access, {"orders-diff", "orders-reaches-sql-orders-db"}),
    ("shared-vpc", orders_db_smaller, {"orders-db-sql"}),
    ("multi-container", sidecar_lost_a_variable, {"chat-diff"}),
    ("multi-container", ingress_emptied_a_variable, {"chat-env", "chat-diff"}),
]


@pytest.mark.parametrize(
    ("name", "broken", "failing"),
    BROKEN,
    ids=[f"{n}:{b if isinstance(b, str) else b.__name__}" for n, b, _ in BROKEN],
)
def test_the_written_policy_blocks_the_broken_variant(
    name: str, broken: str | Edit, failing: set[str], written: dict[str, tuple[Path, Any]], tmp_path: Path
) -> None:
    world = SHIPPED / f"{broken}.yaml" if isinstance(broken, str) else variant(name, broken, tmp_path)
    report = run(written[name][0], world)
    assert report.verdict is Verdict.FAIL
    failed = {r.id for r in report.results if r.status is Status.FAIL}
    assert failing <= failed, {r.id: r.summary for r in report.results}


# -- behaviour of the command -----------------------------------------------------------------


def s12(*args: str, cwd: Path) -> Any:
    return gate(
        "init", "--project", "netra-staging", "--world", str(HEALTHY["s12-healthy"][0]), *args, cwd=cwd
    )


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "policies" / "netra-staging.yaml"
    target.parent.mkdir()
    target.write_text("# mine\n")
    refused = s12(cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "gate: policies/netra-staging.yaml already exists; pass --force to overwrite it, --output to "
        "write elsewhere, or --dry-run to print the new policy"
    )
    assert target.read_text() == "# mine\n"
    forced = s12("--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert target.read_text().startswith("# Starter policy for Google Cloud project netra-staging")
    assert [p.name for p in target.parent.iterdir()] == ["netra-staging.yaml"]  # no temporary file left


def test_dry_run_prints_the_policy_and_writes_nothing(
    tmp_path: Path, written: dict[str, tuple[Path, Any]]
) -> None:
    dry = s12("--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert list(tmp_path.iterdir()) == []  # not even the policies/ directory
    # The same text a real run writes: the output is deterministic.
    assert dry.stdout == written["s12-healthy"][0].read_text()


def test_output_elsewhere(tmp_path: Path) -> None:
    r = s12("--output", "gates/staging.yaml", "--service", "netra-auth-service", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "gates" / "staging.yaml").read_text()
    assert "#   gate validate gates/staging.yaml" in text
    ids = {c.id for c in load_policy(tmp_path / "gates" / "staging.yaml").checks}
    assert ids and all(i.startswith("netra-auth-service-") for i in ids), ids


def test_an_unknown_service_is_an_input_error(tmp_path: Path) -> None:
    r = s12("--service", "netra-nope", "--dry-run", cwd=tmp_path)
    assert r.returncode == 2
    assert "no such service in projects/netra-staging/locations/us-central1: netra-nope" in r.stderr
    assert "netra-backend-staging" in r.stderr  # the services there are listed


def test_a_world_of_another_project_is_refused(tmp_path: Path) -> None:
    world, _ = HEALTHY["direct-vpc"]
    r = gate("init", "--project", "netra-staging", "--world", str(world), "--dry-run", cwd=tmp_path)
    assert r.returncode == 2 and "is a world of project acme-shop, not netra-staging" in r.stderr


def test_a_list_the_project_cannot_give_is_a_review_note(tmp_path: Path) -> None:
    data = load(HEALTHY["direct-vpc"][0])
    data["faults"] = [{"api": "redis", "status": 403}]
    world = write(tmp_path / "no-redis.json", data)
    r = gate("init", "--project", "acme-shop", "--world", str(world), "--dry-run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (
        "# REVIEW: Memorystore for Redis instances in europe-west1 could not be listed (HTTP 403" in r.stdout
    )
    assert "reaches-redis" not in r.stdout and "reaches-sql-shop-db" in r.stdout


def test_without_probing_the_health_path_is_marked_unconfirmed(tmp_path: Path) -> None:
    world, project = HEALTHY["direct-vpc"]
    r = gate("init", "--project", project, "--world", str(world), "--no-probe", "--dry-run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "shop_api_health_path: /health  # REVIEW: not requested (--no-probe)" in r.stdout


def test_nothing_init_prints_or_writes_holds_a_value(
    tmp_path: Path, written: dict[str, tuple[Path, Any]]
) -> None:
    """Canary: no literal env value (8+ characters) of any world is in anything init prints or writes."""
    canaries = {"APP_SIGNING_SALT": "CnryInitSalt4a1f9e", "FEATURE_BANNER": "CnryInitBanner77c3"}
    data = load(HEALTHY["s12-healthy"][0])
    for r in data["run"]["revisions"]:
        if "/netra-backend-staging/" in r["name"]:
            r["containers"][0]["env"].extend({"name": k, "value": v} for k, v in canaries.items())
    planted = write(tmp_path / "planted.json", data)
    dry = gate("init", "--project", "netra-staging", "--world", str(planted), "--dry-run", cwd=tmp_path)
    real = gate("init", "--project", "netra-staging", "--world", str(planted), cwd=tmp_path)
    assert dry.returncode == real.returncode == 0, dry.stderr + real.stderr
    policy = tmp_path / "policies" / "netra-staging.yaml"
    runs: dict[str, tuple[Path, list[str]]] = {
        "s12-planted": (planted, [dry.stdout, dry.stderr, real.stdout, real.stderr, policy.read_text()])
    }
    for name in ("direct-vpc", "shared-vpc", "multi-container"):
        path, proc = written[name]
        runs[name] = (HEALTHY[name][0], [proc.stdout, proc.stderr, path.read_text()])
    for name, (world, outputs) in runs.items():
        values = {v for v in literal_values(load(world)) if len(v) >= 8}
        assert values, name
        leaked = sorted(v for v in values if any(v in text for text in outputs))
        assert not leaked, (name, leaked)
    assert "APP_SIGNING_SALT" in policy.read_text() and set(canaries.values()) <= {
        v for v in literal_values(data)
    }


def test_without_credentials_init_stops_at_once_with_how_to_log_in(tmp_path: Path) -> None:
    env = clean_env(
        {"HOME": str(tmp_path), "NO_GCE_CHECK": "true", "CLOUDSDK_CONFIG": str(tmp_path / "gcloud")}
    )
    env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    r = gate("init", "--project", "my-project", "--region", "us-central1", cwd=tmp_path, env=env)
    assert r.returncode == 2 and "gcloud auth application-default login" in r.stderr, r.stderr
    assert not (tmp_path / "policies").exists()
    no_region = gate("init", "--project", "my-project", cwd=tmp_path, env=env)
    assert no_region.returncode == 2 and "give --region" in no_region.stderr


def test_a_candidate_that_is_not_serving_is_pointed_out(tmp_path: Path) -> None:
    r = gate(
        "init",
        "--project",
        "netra-staging",
        "--world",
        str(SHIPPED / "x1-vpc-access-removed.yaml"),
        "--service",
        "netra-backend-staging",
        "--dry-run",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    text = prose(r.stdout)
    # The contract (and the VPC path) is learnt from what serves, not from the candidate.
    assert "Learnt from the serving revision netra-backend-staging-00042-xq7 (100% of traffic)" in text
    assert (
        "REVIEW: the latest created revision netra-backend-staging-00043-x1v is not the serving one" in text
    )
    assert "netra-backend-staging-reaches-redis-staging-redis-f1adc35c" in text
