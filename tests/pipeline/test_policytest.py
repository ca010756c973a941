"""`gate test` through the real CLI: expectations against worlds, exit codes, positions."""

from __future__ import annotations

from pathlib import Path

from tests.pipeline.conftest import POLICY, gate

SUITE = """\
apiVersion: gate/v1
kind: PolicyTest
policy: ../policy.yaml
cases:
  - name: healthy
    world: s12-healthy
    expect:
      verdict: PASS
      exit_code: 0
      checks: {backend-revision: PASS, backend-health: PASS}
  - world: ../worlds/s1.yaml
    expect:
      verdict: FAIL
      exit_code: 1
      checks:
        backend-revision: {status: FAIL, summary_contains: netra-backend-staging-00043-s1x}
"""


def write(tmp_path: Path, suite: str = SUITE) -> Path:
    tests = tmp_path / "policies" / "tests"
    tests.mkdir(parents=True)
    (tmp_path / "policies" / "policy.yaml").write_text(POLICY)
    (tests / "suite.yaml").write_text(suite)
    worlds = tmp_path / "policies" / "worlds"
    worlds.mkdir()
    src = Path(__file__).resolve().parents[2] / "gate/emulator/worlds/s1-worker-boot-failure.yaml"
    (worlds / "s1.yaml").write_text(src.read_text())
    return tests / "suite.yaml"


def test_default_directory_is_policies_tests(tmp_path: Path) -> None:
    write(tmp_path)
    r = gate("test", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "ok: 8 of 8 expectations held (2 cases in 1 file)"


def test_expectations_one_line_each_exit_0(tmp_path: Path) -> None:
    suite = write(tmp_path)
    r = gate("test", str(suite))
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert f"ok     {suite}:8 healthy: verdict = PASS" in lines
    assert (
        f"ok     {suite}:16 s1: backend-revision.summary contains 'netra-backend-staging-00043-s1x'" in lines
    )
    assert lines[-1] == "ok: 8 of 8 expectations held (2 cases in 1 file)"


def test_a_wrong_expectation_is_reported_with_expected_and_got_exit_1(tmp_path: Path) -> None:
    suite = write(
        tmp_path, SUITE.replace("checks: {backend-revision: PASS", "checks: {backend-revision: FAIL")
    )
    r = gate("test", "-q", str(suite))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == "FAILED: 7 of 8 expectations held (2 cases in 1 file)"
    assert lines[0].startswith(
        f"FAILED {suite}:10 healthy: backend-revision.status: expected FAIL, got PASS ("
    )


def test_malformed_test_file_is_exit_2_with_positions(tmp_path: Path) -> None:
    suite = write(
        tmp_path,
        SUITE.replace("verdict: PASS", "verdict: PAS").replace("backend-health: PASS", "backend-healt: PASS"),
    )
    r = gate("test", str(suite))
    assert r.returncode == 2 and r.stdout == ""
    assert f'{suite}:8:16: cases[0].expect.verdict: expected one of "PASS"' in r.stderr
    assert '(did you mean "PASS"?)' in r.stderr
    assert "1 error; nothing was run." in r.stderr
    fixed = suite.read_text().replace("verdict: PAS\n", "verdict: PASS\n")
    suite.write_text(fixed)
    r = gate("test", str(suite))
    assert r.returncode == 2
    assert f"{suite}:10:40: cases[0].expect.checks.backend-healt: policy policy.yaml has no check" in r.stderr
    assert '(did you mean "backend-health"?)' in r.stderr


def test_unknown_world_lists_the_bundled_ones(tmp_path: Path) -> None:
    suite = write(tmp_path, SUITE.replace("world: s12-healthy", "world: s13-nope"))
    r = gate("test", str(suite))
    assert r.returncode == 2
    assert f"{suite}:6:12: cases[0].world: no world 's13-nope'" in r.stderr and "s12-healthy" in r.stderr
