"""run.env through the emulator. Values are canaries: none may appear in any output."""

from __future__ import annotations

from typing import Any

import pytest

from gate.checks.run_env import RequiredEnv, worth_registering
from gate.model import Status
from tests.checks.worlds import (
    PROJECT,
    SERVICE,
    attempt,
    dump,
    edited,
    env_of,
    run_context,
    serving,
    world,
)

REV = "netra-backend-staging-00042-xq7"
DB_ALTERNATIVES = [["POSTGRES_HOST", "POSTGRES_PORT"], ["DATABASE_URL"]]
POLICY: dict[str, Any] = {
    "service": SERVICE,
    "required": ["REDIS_HOST", "REDIS_PORT", "JWT_SECRET_KEY"],
    "any_of": DB_ALTERNATIVES,
    "vars": {
        "POSTGRES_PORT": {"required": False, "port": True},
        "REDIS_PORT": {"port": True, "pattern": "^[0-9]+$"},
        "ENVIRONMENT": {"one_of": ["staging", "production"]},
        "DEBUG": {"required": False, "forbidden": ["true", "1"]},
        "STAGING_API_URL": {"url": True},
    },
}
CANARY = "canary-Zq81-value-never-printed"


def check(w: Any, params: dict[str, Any] | None = None, **kw: Any) -> Any:
    with serving(w) as emu:
        return attempt(RequiredEnv, params or POLICY, emu, **kw)


def set_env(name: str, value: str | None, **extra: Any) -> Any:
    def edit(d: dict[str, Any]) -> None:
        env = [e for e in env_of(d, REV) if e["name"] != name]
        if value is not None:
            env.append({"name": name, "value": value})
        env.extend({"name": k, "value": v} for k, v in extra.items())
        env_of(d, REV)[:] = env

    return edit


def test_s12_healthy_passes() -> None:
    o = check(world("s12-healthy"))
    assert o.status is Status.PASS, o.summary
    assert o.evidence["any_of"] == "satisfied by [POSTGRES_HOST, POSTGRES_PORT]"
    assert o.evidence["variables"]["JWT_SECRET_KEY"] == "secret jwt-secret-key-staging version 2: ENABLED"
    assert o.evidence["container"] == "backend-1"


def test_s5_names_both_variables_and_no_values() -> None:
    o = check(
        world("s5-missing-database-config"),
        {"service": SERVICE, "required": ["POSTGRES_HOST", "POSTGRES_PORT"]},
    )
    assert o.status is Status.FAIL and o.final
    assert o.summary == (
        f"2 environment problem(s) on {REV}/backend-1: POSTGRES_HOST is empty; POSTGRES_PORT is not set"
    )
    assert o.evidence["variables"]["POSTGRES_HOST"] == "empty"
    assert o.evidence["variables"]["POSTGRES_PORT"] == "missing"
    assert "--update-env-vars" in o.remediation


def test_s5_with_alternatives_lists_each_incomplete_group() -> None:
    o = check(world("s5-missing-database-config"))
    assert o.status is Status.FAIL
    assert (
        "none of the alternatives is complete: [POSTGRES_HOST, POSTGRES_PORT] "
        "(POSTGRES_HOST empty, POSTGRES_PORT missing); [DATABASE_URL] (DATABASE_URL missing)"
    ) in o.summary


def test_database_url_alternative_passes_without_host_and_port() -> None:
    # The S12 lesson: a DATABASE_URL-only deploy is healthy; the old validator blocked it.
    url = f"postgresql://netra:{CANARY}@10.107.0.3:5432/netra_staging"
    w = edited("s5-missing-database-config", set_env("POSTGRES_HOST", None, DATABASE_URL=url))
    o = check(w)
    assert o.status is Status.PASS, o.summary
    assert o.evidence["any_of"] == "satisfied by [DATABASE_URL]"
    assert CANARY not in dump(o)


def test_empty_string_is_a_failure() -> None:
    o = check(edited("s12-healthy", set_env("ENVIRONMENT", "")))
    assert o.status is Status.FAIL
    assert "ENVIRONMENT is empty" in o.summary


@pytest.mark.parametrize(
    ("name", "rules", "words"),
    [
        ("POSTGRES_PORT", {"pattern": "^[0-9]+$"}, "POSTGRES_PORT does not match ^[0-9]+$"),
        ("POSTGRES_PORT", {"integer": True}, "POSTGRES_PORT is not an integer"),
        ("POSTGRES_PORT", {"port": True}, "POSTGRES_PORT is not a port number (1-65535)"),
        ("POSTGRES_PORT", {"url": True}, "POSTGRES_PORT is not a URL (scheme://host...)"),
        ("POSTGRES_PORT", {"one_of": ["5432", 6543]}, "POSTGRES_PORT is not one of 5432, 6543"),
        ("POSTGRES_PORT", {"forbidden": [CANARY.upper()]}, "POSTGRES_PORT is set to a forbidden value"),
    ],
)
def test_value_rules_never_print_the_value(name: str, rules: dict[str, Any], words: str) -> None:
    w = edited("s12-healthy", set_env(name, CANARY))
    with serving(w) as emu:
        run = run_context(emu)
        o = attempt(RequiredEnv, {"service": SERVICE, "vars": {name: rules}}, emu, run=run)
    assert o.status is Status.FAIL and o.final
    assert words in o.summary
    assert CANARY not in dump(o)
    # Registered with the redactor: an echo anywhere else in the run is masked.
    assert run.redactor.text(f"x {CANARY} y") == "x *** y"


def test_port_range() -> None:
    o = check(edited("s12-healthy", set_env("REDIS_PORT", "70000")))
    assert o.status is Status.FAIL
    assert "REDIS_PORT is not a port number (1-65535)" in o.summary
    assert "70000" not in dump(o)


def _secret_version(ref_version: str, extra_versions: list[dict[str, Any]] | None = None) -> Any:
    def edit(d: dict[str, Any]) -> None:
        for e in env_of(d, REV):
            if e["name"] == "JWT_SECRET_KEY":
                e["valueSource"]["secretKeyRef"]["version"] = ref_version
        d["secretmanager"]["versions"].extend(extra_versions or [])

    return edit


def test_disabled_secret_version_fails_naming_variable_and_secret() -> None:
    o = check(edited("s12-healthy", _secret_version("1")))
    assert o.status is Status.FAIL and not o.final
    assert "JWT_SECRET_KEY (secret jwt-secret-key-staging, version 1) is DISABLED" in o.summary
    assert "gcloud secrets versions enable" in o.remediation


def test_latest_resolves_to_newest_version_even_when_destroyed() -> None:
    # Secret Manager: "latest" is an alias of the most recently created version,
    # whatever its state; Cloud Run would fail to read a DESTROYED one.
    destroyed = {
        "name": "projects/701982941522/secrets/jwt-secret-key-staging/versions/3",
        "createTime": "2025-09-01T00:00:00Z",
        "destroyTime": "2025-09-02T00:00:00Z",
        "state": "DESTROYED",
    }
    o = check(edited("s12-healthy", _secret_version("latest", [destroyed])))
    assert o.status is Status.FAIL
    assert (
        "JWT_SECRET_KEY (secret jwt-secret-key-staging, version latest) (resolves to version 3) is DESTROYED"
    ) in o.summary


def test_missing_secret_fails() -> None:
    def edit(d: dict[str, Any]) -> None:
        for e in env_of(d, REV):
            if e["name"] == "JWT_SECRET_KEY":
                e["valueSource"]["secretKeyRef"]["secret"] = "no-such-secret"

    o = check(edited("s12-healthy", edit))
    assert o.status is Status.FAIL
    assert "JWT_SECRET_KEY (secret no-such-secret, version latest): the secret or version does not exist" in (
        o.summary
    )


def test_value_rules_on_a_secret_backed_variable_are_reported_not_checked() -> None:
    params = {"service": SERVICE, "vars": {"JWT_SECRET_KEY": {"pattern": "^.{32,}$"}}}
    o = check(world("s12-healthy"), params)
    assert o.status is Status.PASS, o.summary
    assert "1 value rule(s) not checked: value held in Secret Manager" in o.summary
    assert o.evidence["not_checked"] == [
        "JWT_SECRET_KEY: pattern ^.{32,}$ not checked (value held in Secret Manager)"
    ]


def test_unknown_container_fails_listing_containers() -> None:
    o = check(world("s12-healthy"), {"service": SERVICE, "container": "sidecar", "required": ["A"]})
    assert o.status is Status.FAIL
    assert "has no container 'sidecar' (containers: backend-1)" in o.summary


def test_secret_api_denied_is_error() -> None:
    from gate.emulator import Fault

    with serving(world("s12-healthy")) as emu:
        emu.add_fault(Fault(api="secretmanager", status=403))
        o = attempt(RequiredEnv, POLICY, emu)
    assert o.status is Status.ERROR
    assert "secretmanager.versions.get" in o.summary


def test_values_of_the_healthy_world_never_appear() -> None:
    w = world("s12-healthy")
    o = check(w)
    text = dump(o)
    for value in (
        "10.166.204.83",
        "/cloudsql/netra-staging:us-central1:staging-shared-postgres",
        "6379",
        "5432",
    ):
        assert value not in text


def test_which_literal_values_are_registered() -> None:
    assert worth_registering("DATABASE_URL", "postgresql://u:pw@db/x")
    assert worth_registering("POSTGRES_PASSWORD", "hunter2")
    assert worth_registering("SOMETHING", "a-long-opaque-value-123")
    # Not credentials, and masking them would hide resource names in every report.
    assert not worth_registering("ENVIRONMENT", "staging")
    assert not worth_registering("POSTGRES_USER", "netra")
    assert not worth_registering("REDIS_HOST", "10.166.204.83")
    assert not worth_registering("STAGING_API_URL", "https://api.staging.netrasystems.ai")
    assert not worth_registering("REDIS_PORT", "6379")


def test_semantic_errors_bad_regex() -> None:
    errors = RequiredEnv.semantic_errors({"service": "s", "vars": {"A": {"pattern": "("}}})
    assert errors and errors[0][0] == "vars.A.pattern"
    assert errors[0][1].startswith("invalid regular expression")


def test_project_is_named_in_secret_remediation() -> None:
    o = check(edited("s12-healthy", _secret_version("1")))
    assert f"--project {PROJECT}" in o.remediation


def _rev(*containers: Any) -> Any:
    from gate.gcp.facts_run import Revision

    return Revision(
        name="projects/p/locations/r/services/x/revisions/x-00001-abc",
        service="x",
        generation=1,
        create_time=None,
        reconciling=False,
        conditions=(),
        containers=tuple(containers),
        vpc_access=None,
        cloudsql_instances=(),
        service_account=None,
        log_uri=None,
    )


def _c(name: str, ports: bool) -> Any:
    from gate.gcp.facts_run import Container, ContainerPort

    return Container(name, f"img/{name}", (), ports=(ContainerPort("http1", 8080),) if ports else ())


def test_ingress_container_is_the_one_declaring_ports_wherever_listed() -> None:
    from gate.checks.target import choose_container
    from gate.errors import MissingFactError

    assert choose_container(_rev(_c("side", False), _c("app", True)), None)[0].name == "app"
    assert choose_container(_rev(_c("only", False)), None)[0].name == "only"
    assert choose_container(_rev(_c("side", False), _c("app", True)), "side")[0].name == "side"
    for bad in (_rev(_c("a", False), _c("b", False)), _rev(_c("a", True), _c("b", True))):
        with pytest.raises(MissingFactError, match="cannot tell the ingress container"):
            choose_container(bad, None)
