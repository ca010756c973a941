"""gate validate / list-checks / explain through the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate import registry
from gate.cli import cli
from tests.typefixtures import test_types  # noqa: F401  (autouse)

REPO = Path(__file__).resolve().parents[2]


def _gate(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_validate_files_and_directories() -> None:
    assert _gate("validate", "tests/policy/files/good/basic.yaml") == (0, "ok: 1 file\n", "")
    code, out, err = _gate("validate", "tests/policy/files/good", "tests/policy/files/checks/web.yaml")
    assert (code, err) == (0, "")
    assert out == f"ok: {len(list((REPO / 'tests/policy/files/good').glob('*.yaml'))) + 1} files\n"


def test_validate_defaults_to_local_policies_and_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "checks").mkdir()
    shutil.copy(REPO / "tests/policy/files/checks/web.yaml", tmp_path / "checks/web.yaml")
    shutil.copy(REPO / "tests/policy/files/good/include.yaml", tmp_path / "policies/p.yaml")
    (tmp_path / "policies/README.md").write_text("not yaml")
    monkeypatch.chdir(tmp_path)
    assert _gate("validate") == (0, "ok: 2 files\n", "")
    (tmp_path / "policies/q.yml").write_text("apiVersion: gate/v1\n")
    code, out, err = _gate("validate")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        'policies/q.yml:1:1: missing required key "project"',
        'policies/q.yml:1:1: missing required key "region"',
        "policies/q.yml:1:1: policy has no checks: an empty policy is an error, not a pass",
        "3 errors; nothing was run.",
    ]


def test_validate_nothing_to_validate_fails_closed(tmp_path: Path) -> None:
    code, out, err = _gate("validate", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"no .yaml files to validate in {tmp_path}", "1 error; nothing was run."]


def test_list_checks() -> None:
    code, out, _ = _gate("list-checks")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["TYPE", "SUMMARY"]
    width = max(len(n) for n in registry.names())
    assert f"{'test.ping'.ljust(width)}  Answer an HTTP GET (test type)." in lines
    assert [line.split()[0] for line in lines[1:]] == registry.names()


def test_explain() -> None:
    code, out, _ = _gate("explain", "test.ping")
    assert code == 0
    assert out.splitlines() == [
        "test.ping: Answer an HTTP GET (test type).",
        "",
        "A test-only type with a URL and an expected status.",
        "",
        "Parameters (with:):",
        "  url: string; required",
        "      Where to send the GET.",
        "  expect: integer; default 200",
        "  name: string; optional",
        "",
        "Example:",
        "  - id: ping",
        "    type: test.ping",
        "    with:",
        "      url: https://example.com/",
    ]


def test_explain_unknown_type() -> None:
    code, out, err = _gate("explain", "test.pnig")
    assert (code, out) == (2, "")
    assert err == 'gate: unknown check type "test.pnig" (did you mean "test.ping"?); see gate list-checks\n'


def test_http_health_policy_and_explain() -> None:
    assert _gate("validate", "tests/policy/files/http/good.yaml") == (0, "ok: 1 file\n", "")
    code, out, _ = _gate("explain", "http.health")
    assert code == 0 and out.startswith("http.health: ") and "Example:" in out


def test_validate_recognises_policy_tests_and_worlds() -> None:
    code, out, err = _gate(
        "validate", "policies/tests/netra-staging.yaml", "gate/emulator/worlds/s6-redis-unreachable.yaml"
    )
    assert (code, err) == (0, ""), err
    assert out == "ok: 2 files (1 policy test: run with gate test policies/tests/netra-staging.yaml)\n"


def test_validate_reports_a_broken_policy_test_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text((REPO / "tests/policy/files/good/basic.yaml").read_text())
    test_file = tmp_path / "t.yaml"
    test_file.write_text(
        "apiVersion: gate/v1\nkind: PolicyTest\npolicy: policy.yaml\ncases:\n"
        "  - world: s6-redis-unreachable\n    expect: {checks: {no-such-check: FAIL}}\n"
    )
    code, _, err = _gate("validate", str(test_file))
    assert code == 2
    assert f"{test_file}:6:23: cases[0].expect.checks.no-such-check: policy policy.yaml has no check" in err
