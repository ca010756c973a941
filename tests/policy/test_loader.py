# ruff: noqa: E501  (expected messages are kept whole)
"""Good policies load into the expected model; --var, --project, includes, find_policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import InputError, UsageError
from gate.model import CheckSpec, Policy, Severity, SourceRef, Timing
from gate.policy.bundled import bundled_dir
from gate.policy.loader import find_policy, load_policy, validate_file
from tests.typefixtures import test_types  # noqa: F401  (autouse)

REPO = Path(__file__).resolve().parents[2]
GOOD = "tests/policy/files/good"


def _errors(path: str | Path, **kw: object) -> list[str]:
    with pytest.raises(InputError) as e:
        load_policy(path, **kw)  # type: ignore[arg-type]
    return [str(d) for d in e.value.diagnostics]


def test_basic_policy_model() -> None:
    f = f"{GOOD}/basic.yaml"
    assert load_policy(f) == Policy(
        project="netra-staging",
        region="us-central1",
        checks=(
            CheckSpec(
                id="backend-health",
                type="test.ping",
                params={"url": "https://netra-backend-staging.run.app/health", "expect": 200},
                severity=Severity.BLOCK,
                # defaults' retry merged key by key under the check's own
                timing=Timing(timeout=20.0, interval=3.0, deadline=120.0, successes=2),
                description="netra-backend-staging in netra-staging/us-central1",
                source=SourceRef(f, 17, 5),
            ),
            CheckSpec(
                id="backend-count",
                type="test.count",
                # whole-value ${n} keeps the int, ${fast} the bool; $${ is a literal ${
                params={"min_instances": 3, "enabled": True, "labels": ["n=3", "${n}"]},
                severity=Severity.WARN,
                timing=Timing(timeout=0.5, interval=3.0, deadline=30.0, successes=1),
                needs=("backend-health",),
                source=SourceRef(f, 24, 5),
            ),
        ),
        vars={"backend_service": "netra-backend-staging", "n": "3", "fast": "true"},
        source=f,
        endpoints={"run": "https://run-psc.example.internal"},
    )


def test_cli_vars_override_with_the_declared_type() -> None:
    p = load_policy(f"{GOOD}/basic.yaml", vars={"n": "5", "fast": "false", "backend_service": "b2"})
    health, count = p.checks
    assert health.params["url"] == "https://b2.run.app/health"
    assert count.params["min_instances"] == 5
    assert count.params["enabled"] is False
    assert p.vars == {"backend_service": "b2", "n": "5", "fast": "false"}


def test_cli_var_errors() -> None:
    f = f"{GOOD}/basic.yaml"
    assert _errors(f, vars={"backend_servce": "x", "n": "many"}) == [
        f'{f}:7:1: --var backend_servce: the policy has no variable "backend_servce" (did you mean "backend_service"?)',
        f"{f}:7:1: --var n=many: expected an integer, like the policy's value 3",
    ]


def test_project_argument_replaces_the_policy_project() -> None:
    p = load_policy(f"{GOOD}/basic.yaml", project="netra-other")
    assert p.project == "netra-other"
    assert p.checks[0].description == "netra-backend-staging in netra-other/us-central1"


def test_include_vars_overrides_exclude_and_search_path() -> None:
    lib = "tests/policy/files/checks/web.yaml"
    p = load_policy(f"{GOOD}/include.yaml")
    assert [c.id for c in p.checks] == ["netra-auth-service-ping", "netra-auth-service-count", "own"]
    ping, count, own = p.checks
    assert ping.params == {"url": "https://netra-auth-service.example:8080/health"}  # param default
    assert ping.severity is Severity.WARN  # override
    assert ping.timing == Timing(timeout=5.0, interval=5.0, deadline=180.0, successes=1)
    assert ping.description == "netra-auth-service answers in us-central1"
    assert ping.source == SourceRef(lib, 15, 5)
    assert count.params == {"min_instances": 2, "labels": ["netra-staging", "${literal}"]}  # include var wins
    # override retry merges into the library's retry; timeout replaced
    assert count.timing == Timing(timeout=7.0, interval=2.0, deadline=60.0, successes=3)
    assert count.needs == ("netra-auth-service-ping",)
    assert own.needs == ("netra-auth-service-count",)


def test_override_errors_point_at_the_policy(tmp_path: Path) -> None:
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "web.yaml").write_text((REPO / "tests/policy/files/checks/web.yaml").read_text())
    pol = tmp_path / "policies" / "p.yaml"
    pol.parent.mkdir()
    pol.write_text(
        "apiVersion: gate/v1\nproject: p\nregion: r\ninclude:\n  - file: web.yaml\n    vars: {service: s}\n"
        "    overrides:\n      s-ping: {timeout: 0s}\n"
    )
    assert _errors(pol) == [f"{pol}:8:25: include[0].overrides.s-ping.timeout: timeout must be more than 0s"]


def test_a_library_is_not_a_policy() -> None:
    f = "tests/policy/files/checks/web.yaml"
    assert _errors(f) == [f"{f}:2:7: kind: this is a check library, not a policy: include it from a policy"]


def test_validate_file_accepts_both_kinds() -> None:
    assert validate_file(f"{GOOD}/basic.yaml") == []
    assert validate_file(f"{GOOD}/include.yaml") == []
    assert validate_file(f"{GOOD}/library-standalone.yaml") == []
    assert validate_file("tests/policy/files/checks/web.yaml") == []
    assert [str(d) for d in validate_file("tests/policy/files/checks/broken.yaml")] == [
        'tests/policy/files/checks/broken.yaml:8:14: checks[0].timeout: expected a duration like "10s", got "ten"',
        'tests/policy/files/checks/broken.yaml:11:7: checks[0].with.colour: unknown key "colour"',
    ]


def test_secrets_in_values_stay_out_of_messages(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(
        "apiVersion: gate/v1\nproject: p\nregion: r\nchecks:\n  - id: a\n    type: test.count\n"
        "    with: {min_instances: 'Bearer abcdefghijklmnop'}\n"
    )
    [line] = _errors(f)
    assert "abcdefghijklmnop" not in line
    assert line == f'{f}:7:27: checks[0].with.min_instances: expected an integer, got string "Bearer ***"'


def test_find_policy(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "netra-x.yaml").write_text("")
    assert find_policy("netra-x", cwd=tmp_path) == tmp_path / "policies" / "netra-x.yaml"
    with pytest.raises(UsageError) as e:
        find_policy("netra-nowhere", cwd=tmp_path)
    assert str(e.value) == (
        f"no policy for project 'netra-nowhere': looked for {tmp_path}/policies/netra-nowhere.yaml, "
        f"{bundled_dir('policies')}/netra-nowhere.yaml; pass --policy FILE"
    )
    with pytest.raises(UsageError, match="invalid project id"):
        find_policy("../etc/passwd", cwd=tmp_path)


def test_bundled_dir() -> None:
    assert bundled_dir("checks") == REPO / "checks"
    assert bundled_dir("policies") == REPO / "policies"
    with pytest.raises(ValueError):
        bundled_dir("worlds")


def test_library_search_from_a_policy_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "web.yaml").write_text((REPO / "tests/policy/files/checks/web.yaml").read_text())
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "p.yaml").write_text((REPO / f"{GOOD}/include.yaml").read_text())
    monkeypatch.chdir(tmp_path / "proj")
    p = load_policy("p.yaml")
    assert [c.source for c in p.checks] == [
        SourceRef("../checks/web.yaml", 15, 5),
        SourceRef("../checks/web.yaml", 21, 5),
        SourceRef("p.yaml", 14, 5),
    ]


def test_same_library_twice_with_different_vars(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    (tmp_path / "web.yaml").write_text((REPO / "tests/policy/files/checks/web.yaml").read_text())
    f.write_text(
        "apiVersion: gate/v1\nproject: p\nregion: r\ninclude:\n"
        "  - {file: web.yaml, vars: {service: a}}\n  - {file: web.yaml, vars: {service: b}, exclude: [b-extra]}\n"
    )
    assert [c.id for c in load_policy(f).checks] == ["a-ping", "a-count", "a-extra", "b-ping", "b-count"]
    f.write_text(f.read_text().replace("service: b}, exclude: [b-extra]", "service: a}, exclude: [a-extra]"))
    assert _errors(f) == [
        f'{tmp_path}/web.yaml:15:9: checks[0].id: duplicate check id "a-ping" (first defined at {tmp_path}/web.yaml:15:5); this one is included at {f}:6:5',
        f'{tmp_path}/web.yaml:21:9: checks[1].id: duplicate check id "a-count" (first defined at {tmp_path}/web.yaml:21:5); this one is included at {f}:6:5',
    ]


def test_target_names_the_service_and_the_revision_once(tmp_path: Path) -> None:
    from gate.model import DeployTarget

    p = tmp_path / "p.yaml"
    p.write_text(
        "apiVersion: gate/v1\nproject: p\nregion: r\nvars: {backend: api}\n"
        "target: {service: '${backend}', tag: candidate}\n"
        "checks:\n  - {id: a, type: test.ping, with: {url: 'https://x/', expect: 200}}\n"
    )
    assert load_policy(p).target == DeployTarget(service="api", tag="candidate", source="policy target")
    p.write_text(p.read_text().replace("tag: candidate", "tag: candidate, revision: api-00001-abc"))
    col = p.read_text().splitlines()[4].index("api-00001-abc") + 1
    assert _errors(p) == [f"{p}:5:{col}: target.revision: give either tag or revision, not both"]
    p.write_text(p.read_text().replace(", revision: api-00001-abc", ", revison: x"))
    col = p.read_text().splitlines()[4].index("revison") + 1
    assert _errors(p) == [f'{p}:5:{col}: target.revison: unknown key "revison" (did you mean "revision"?)']


def test_the_documented_defaults(tmp_path: Path) -> None:
    # docs/POLICY.md: severity block, timeout 10s, retry interval 5s, deadline 0s (one attempt), successes 1.
    f = tmp_path / "p.yaml"
    f.write_text(
        "apiVersion: gate/v1\nkind: Policy\nproject: p\nregion: r\nchecks:\n"
        "  - {id: a, type: test.ping, with: {url: 'https://x.example/'}}\n"
        "  - {id: b, type: test.ping, timeout: 2s, retry: {deadline: 1m}, with: {url: 'https://x.example/'}}\n",
        encoding="utf-8",
    )
    a, b = load_policy(f).checks
    assert a.timing == Timing(timeout=10.0, interval=5.0, deadline=0.0, successes=1)
    assert (a.severity, a.needs, a.description) == (Severity.BLOCK, (), "")
    # Per key: the rest keep their defaults.
    assert b.timing == Timing(timeout=2.0, interval=5.0, deadline=60.0, successes=1)
