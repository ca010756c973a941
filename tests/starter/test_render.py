"""The starter policy renderer: pure, deterministic, and unable to break out of YAML."""

from __future__ import annotations

import yaml

from gate.starter.inventory import BootLog, EnvName, Health, Inventory, RedisUse, ServiceFound, SqlUse
from gate.starter.render import comment, render, scalar, var_name


def service(**kw: object) -> ServiceFound:
    base: dict[str, object] = {
        "name": "api",
        "revision": "api-00002-abc",
        "share": 100,
        "container": "app",
        "sidecars": (),
        "env": (EnvName("A_PORT", port=True), EnvName("EMPTY", empty=True), EnvName("KEY", secret="k")),
        "skipped_env": (),
        "vpc": "connector c on network n",
        "redis": (RedisUse("cache", "on network n, the revision's"),),
        "sql": (
            SqlUse("db", "p", "p:r:db", "db-custom-1-3840", "POSTGRES_", "attached", True),
            SqlUse("pub", "p", "p:r:pub", "db-g1-small", "MYSQL_", "named in env X", False, "public IP"),
            SqlUse("far", "other", "other:r:far", "db-custom-2-7680", "POSTGRES_", "attached", True),
        ),
        "health": Health("/healthz", True, "answered 200 to gate init"),
        "boot_log": BootLog(3, "Booting worker", 0),
    }
    base.update(kw)
    return ServiceFound(**base)  # type: ignore[arg-type]


def test_scalars_are_bare_only_when_unambiguous() -> None:
    assert scalar("netra-backend") == "netra-backend" and scalar("/health") == "/health"
    for tricky in ("yes", "off", "1.5", "3", "a b", "x: y", "#x", "${v}", "Booting worker|x", ""):
        assert yaml.safe_load(f"k: {scalar(tricky)}") == {"k": tricky}, tricky


def test_a_comment_cannot_end_early() -> None:
    assert comment("a\nb: c\r\x1b[31m") == "a b: c  [31m"


def test_var_names_are_policy_variable_names() -> None:
    assert var_name("netra-backend.staging", "health_path") == "netra_backend_staging_health_path"


def test_render_is_valid_yaml_with_the_expected_checks() -> None:
    inv = Inventory("p", "r", (service(),), skipped=("web: no revision\nkind: Evil",), notes=("x\ny",))
    text = render(inv, output="policies/p.yaml")
    doc = yaml.safe_load(text)
    assert set(doc) == {
        "apiVersion",
        "kind",
        "project",
        "region",
        "description",
        "vars",
        "defaults",
        "include",
        "checks",
    }
    ids = [c["id"] for c in doc["checks"]]
    assert ids == [
        "api-env",
        "api-health",
        "api-reaches-redis-cache",
        "api-reaches-sql-db",
        "api-reaches-sql-far",
        "other-far-sql",  # another project's instance: written inline, by connection name
    ]
    env = doc["checks"][0]["with"]
    assert env["required"] == ["A_PORT", "EMPTY", "KEY"]
    assert env["vars"] == {"A_PORT": {"port": True}, "EMPTY": {"non_empty": False}}
    assert doc["checks"][4]["with"]["sql"] == "other:r:far"
    files = [i["file"] for i in doc["include"]]
    # Every instance the service uses gets sql.instance; only private paths get reachability.
    assert files == ["cloud-run.yaml", "run-diff.yaml", "boot-log.yaml", "cloud-sql.yaml", "cloud-sql.yaml"]
    assert "no network.reachability check: public IP" in text
    assert "# REVIEW: not covered: web: no revision kind: Evil" in text
    assert render(inv, output="policies/p.yaml") == text


def test_an_unconfirmed_health_path_and_a_silent_boot_log_are_review_items() -> None:
    inv = Inventory(
        "p",
        "r",
        (
            service(
                health=Health("/health", False, "no candidate answered 200"), boot_log=BootLog(0, None, 0)
            ),
        ),
    )
    text = render(inv, output="x.yaml")
    assert "api_health_path: /health  # REVIEW: no candidate answered 200" in text
    assert "# REVIEW: boot log check left out" in text
    assert "boot-log.yaml" not in [i["file"] for i in yaml.safe_load(text)["include"]]
