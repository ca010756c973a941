# ruff: noqa: E501  (expected messages are kept whole, one per line)
"""The malformed-policy corpus (tests/policy/files/bad/): exact messages, exit code 2, via the real CLI.

Each file's expected lines are written out in full: ``@`` stands for the file
itself, ``{lib}`` for tests/policy/files/checks and ``{bundled}`` for the bundled
checks directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.cli import cli
from gate.policy.bundled import bundled_dir
from tests.typefixtures import test_types  # noqa: F401  (autouse)

REPO = Path(__file__).resolve().parents[2]
BAD = "tests/policy/files/bad"


EXPECTED: dict[str, list[str]] = {
    "alias-bomb.yaml": [
        "@:4:50: e[0][2][0][6][7]: aliases expand to more than 10000 values; refusing",
    ],
    "alias-recursive.yaml": [
        "@:4:9: checks[0]: an alias refers to its own anchor (a recursive structure)",
    ],
    "all-warn.yaml": [
        "@:4:1: checks: a policy must have at least one blocking check (every check here is severity: warn)",
    ],
    "api-version.yaml": [
        '@:1:13: apiVersion: expected "gate/v1", got string "gate/v2"',
    ],
    "bad-default-duration.yaml": [
        '@:5:12: defaults.timeout: expected a duration like "10s", got "1 minute"',
    ],
    "bad-duration.yaml": [
        '@:13:17: checks[2].retry.interval: expected a duration like "10s", got "ten"',
    ],
    "bad-include-file.yaml": [
        '@:5:11: include[0].file: check library "cloud-rnu.yaml" not found (looked in tests/policy/files/bad/, {lib}/, {bundled}/)',
    ],
    "bad-kind.yaml": [
        '@:4:7: kind: expected "Policy", got string "Polcy"',
    ],
    "bad-severity.yaml": [
        '@:7:15: checks[0].severity: expected one of "block", "warn", got string "blocking" (did you mean "block"?)',
    ],
    "bad-var-name.yaml": [
        '@:7:18: checks[0].description: invalid variable reference "${not a name}"',
    ],
    "bare-no.yaml": [
        '@:7:18: checks[0].description: expected a string, got boolean false (quote it: "no")',
    ],
    "checks-not-list.yaml": [
        "@:5:3: checks: expected a list, got a mapping",
    ],
    "comments-only.yaml": [
        "@:1:1: file is empty: expected a mapping with apiVersion: gate/v1",
    ],
    "custom-tag.yaml": [
        '@:5:5: checks[0]: unsupported YAML tag "!check"',
    ],
    "dup-key-check.yaml": [
        '@:8:5: checks[0].timeout: duplicate key "timeout" (first at line 7)',
    ],
    "dup-key-top.yaml": [
        '@:4:1: project: duplicate key "project" (first at line 2)',
    ],
    "duplicate-ids.yaml": [
        '@:7:9: checks[1].id: duplicate check id "ping" (first defined at @:5:5)',
    ],
    "empty-project.yaml": [
        "@:2:10: project: expected a non-empty string",
    ],
    "empty.yaml": [
        "@:1:1: file is empty: expected a mapping with apiVersion: gate/v1",
    ],
    "endpoint-not-url.yaml": [
        '@:5:8: endpoints.run: expected a URL like "https://run.example.internal", got "run.example.internal"',
    ],
    "endpoint-unknown-api.yaml": [
        '@:5:3: endpoints: expected one of "run", "vpcaccess", "redis", "sqladmin", "compute", "logging", "monitoring", "secretmanager", "networkmanagement", got string "runn" (did you mean "run"?)',
    ],
    "id-number.yaml": [
        '@:5:9: checks[0].id: expected an id of lowercase letters, digits, ".", "_" and "-" like "backend-health", got number 123 (quote it: "123")',
    ],
    "id-uppercase.yaml": [
        '@:5:9: checks[0].id: expected an id of lowercase letters, digits, ".", "_" and "-" like "backend-health", got "Backend_Health"',
    ],
    "include-exclude-needed.yaml": [
        '{lib}/web.yaml:23:13: checks[1].needs[0]: needs "api-ping", which an include: excludes',
    ],
    "include-exclude-unknown.yaml": [
        '@:7:15: include[0].exclude[0]: no check "api-pong" to exclude (did you mean "api-ping"?)',
    ],
    "include-library-errors.yaml": [
        '{lib}/broken.yaml:8:14: checks[0].timeout: expected a duration like "10s", got "ten"',
        '{lib}/broken.yaml:11:7: checks[0].with.colour: unknown key "colour"',
    ],
    "include-missing-param.yaml": [
        '@:5:5: include[0]: missing required parameter "service" of web.yaml',
    ],
    "include-not-library.yaml": [
        '@:5:11: include[0].file: "../good/basic.yaml" is not a check library (it needs kind: CheckLibrary)',
    ],
    "include-override-bad.yaml": [
        '@:8:34: include[0].overrides.api-ping.with: unknown key "with"',
    ],
    "include-override-unknown.yaml": [
        '@:8:7: include[0].overrides.api-pnig: no check "api-pnig" to override (did you mean "api-ping"?)',
    ],
    "include-undefined-var.yaml": [
        '@:6:21: include[0].vars.service: undefined variable "svc"',
    ],
    "include-unknown-param.yaml": [
        '@:6:26: include[0].vars.servce: unknown parameter "servce" of web.yaml (did you mean "service"?)',
    ],
    "is-library.yaml": [
        '@:3:1: project: unknown key "project"',
    ],
    "many-errors.yaml": [
        '@:1:1: missing required key "region"',
        '@:5:11: checks[0].type: unknown check type "test.pnig" (did you mean "test.ping"?)',
        '@:6:14: checks[0].timeout: expected a duration like "10s", got "soon"',
        '@:7:9: checks[1].id: duplicate check id "a" (first defined at @:4:5)',
        '@:9:13: checks[1].needs[0]: unknown check id "zzz"',
        '@:10:15: checks[1].severity: expected one of "block", "warn", got boolean true',
    ],
    "merge-key.yaml": [
        '@:6:5: checks[0]: merge keys ("<<") are not supported; use vars: or include:',
    ],
    "missing-api-version.yaml": [
        '@:1:1: missing required key "apiVersion"',
    ],
    "missing-project.yaml": [
        '@:1:1: missing required key "project"',
    ],
    "missing-region.yaml": [
        '@:1:1: missing required key "region"',
    ],
    "multi-doc.yaml": [
        "@:8:1: invalid YAML: expected a single document in the stream, but found another document",
    ],
    "needs-cycle-long.yaml": [
        "@:7:12: checks[0].needs: dependency cycle: a -> c -> b -> a",
    ],
    "needs-cycle.yaml": [
        "@:7:12: checks[0].needs: dependency cycle: a -> b -> a",
    ],
    "needs-not-list.yaml": [
        '@:7:12: checks[0].needs: expected a list, got string "b"',
    ],
    "needs-self.yaml": [
        "@:7:12: checks[0].needs: dependency cycle: a -> a",
    ],
    "needs-unknown.yaml": [
        '@:9:13: checks[1].needs[0]: unknown check id "backend-revison" (did you mean "backend-revision"?)',
    ],
    "no-checks-key.yaml": [
        "@:1:1: policy has no checks: an empty policy is an error, not a pass",
    ],
    "no-checks.yaml": [
        "@:4:1: checks: policy has no checks: an empty policy is an error, not a pass",
    ],
    "python-tag.yaml": [
        '@:4:14: description: unsupported YAML tag "!!python/object/apply:os.system"',
    ],
    "reserved-var.yaml": [
        '@:5:3: vars.project: "project" is a builtin variable; set it with the top-level project:',
    ],
    "semantic-regex.yaml": [
        "@:10:11: checks[0].with.patterns[1]: invalid regular expression: missing ), unterminated subpattern at position 0",
    ],
    "successes-zero.yaml": [
        "@:7:24: checks[0].retry.successes: expected a number >= 1, got number 0",
    ],
    "syntax-colon.yaml": [
        "@:5:10: invalid YAML: mapping values are not allowed here",
    ],
    "syntax-unclosed.yaml": [
        "@:5:1: invalid YAML: expected the node content, but found '<stream end>' (while parsing a flow node at line 5, column 1)",
    ],
    "tabs.yaml": [
        "@:5:1: invalid YAML: found a tab character; indent YAML with spaces",
    ],
    "timeout-number.yaml": [
        '@:7:14: checks[0].timeout: expected a duration like "10s", got number 10',
    ],
    "timeout-zero.yaml": [
        "@:7:14: checks[0].timeout: timeout must be more than 0s",
    ],
    "top-list.yaml": [
        "@:1:1: expected a mapping at the top level, got a list",
    ],
    "undefined-var-whole.yaml": [
        '@:8:22: checks[0].with.min_instances: undefined variable "n"',
    ],
    "undefined-var.yaml": [
        '@:9:17: checks[0].with.url: undefined variable "backend_servce" (did you mean "backend_service"?)',
    ],
    "unknown-key.yaml": [
        '@:7:5: checks[0].retyr: unknown key "retyr" (did you mean "retry"?)',
    ],
    "unknown-top-key.yaml": [
        '@:1:1: missing required key "region"',
        '@:3:1: regoin: unknown key "regoin" (did you mean "region"?)',
    ],
    "unknown-type-far.yaml": [
        '@:6:11: checks[0].type: unknown check type "zzz.qqq"; see gate list-checks',
    ],
    "unknown-type.yaml": [
        '@:6:11: checks[0].type: unknown check type "test.pnig" (did you mean "test.ping"?)',
    ],
    "unterminated-var.yaml": [
        '@:7:18: checks[0].description: unterminated "${" (write "$${" for a literal "${")',
    ],
    "var-not-scalar.yaml": [
        "@:5:10: vars.hosts: expected a string, number or true/false, got a list",
    ],
    "with-bad-enum.yaml": [
        '@:7:18: checks[0].with.mode: expected one of "fast", "slow", got string "fsat" (did you mean "fast"?)',
    ],
    "with-bare-no.yaml": [
        '@:7:45: checks[0].with.name: expected a string, got boolean false (quote it: "off")',
    ],
    "with-missing-required.yaml": [
        '@:8:7: checks[0].with: missing required key "url"',
    ],
    "with-no-with.yaml": [
        '@:5:5: checks[0].with: missing required key "url"',
    ],
    "with-not-mapping.yaml": [
        '@:7:11: checks[0].with: expected a mapping, got string "https://x.example/"',
    ],
    "with-out-of-range.yaml": [
        "@:7:47: checks[0].with.expect: expected a number >= 100, got number 99",
    ],
    "with-unknown-key.yaml": [
        '@:8:7: checks[0].with.urll: unknown key "urll" (did you mean "url"?)',
        '@:8:7: checks[0].with: missing required key "url"',
    ],
    "with-wrong-type.yaml": [
        '@:9:15: checks[0].with.expect: expected an integer, got string "200"',
    ],
}


def _run(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    return result.exit_code, result.stderr.splitlines(), result.stdout


def _summary(n: int) -> str:
    return f"{n} error{'s' if n != 1 else ''}; nothing was run."


def test_corpus_is_large_and_every_file_has_an_expectation() -> None:
    files = sorted(p.name for p in (REPO / BAD).glob("*.yaml"))
    assert len(files) >= 40
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_policy(name: str) -> None:
    path = f"{BAD}/{name}"
    want = [
        line.replace("@:", f"{path}:")
        .replace("{lib}", "tests/policy/files/checks")
        .replace("{bundled}", str(bundled_dir("checks")))
        for line in EXPECTED[name]
    ]
    code, err, out = _run(path)
    assert code == 2
    assert out == ""
    assert err == [*want, _summary(len(want))]
    assert "Traceback" not in "\n".join(err)


def test_all_bad_files_at_once_report_every_error() -> None:
    code, err, _ = _run(BAD)
    total = sum(len(v) for v in EXPECTED.values())
    assert code == 2
    assert err[-1] == _summary(len(err) - 1)
    # Diagnostics from a shared library may be reported once for several files.
    assert total - 5 <= len(err) - 1 <= total


def test_ten_mib_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.write(b"apiVersion: gate/v1\n")
        fh.write(b"# padding\n" * (1024 * 1024))
    code, err, _ = _run(str(big))
    assert code == 2
    assert err == [
        f"{big}:1:1: file is too large: {big.stat().st_size} bytes (the limit is 1048576 bytes, 1 MiB)",
        _summary(1),
    ]


def test_binary_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bin.yaml"
    f.write_bytes(b"apiVersion: gate/v1\nproject: \xff\xfe\n")
    code, err, _ = _run(str(f))
    assert code == 2
    assert err == [f"{f}:1:1: file is not UTF-8 text (bad byte at offset 29)", _summary(1)]


def test_missing_path() -> None:
    code, err, _ = _run(f"{BAD}/nope.yaml")
    assert code == 2
    assert err == [f"{BAD}/nope.yaml: no such file or directory", _summary(1)]


HTTP = {
    "bad-assertion.yaml": [
        "@:10:16: checks[0].with.expect.json[0]: expected a JSON value after '==' at column 10: Expecting value"
    ],
    "typo.yaml": ['@:6:11: checks[0].type: unknown check type "http.helth" (did you mean "http.health"?)'],
    "unknown-param.yaml": ['@:7:12: checks[0].with.urll: unknown key "urll" (did you mean "url"?)'],
}


@pytest.mark.parametrize("name", sorted(HTTP))
def test_bad_http_policy(name: str) -> None:
    path = f"{BAD}/http/{name}"
    want = [line.replace("@:", f"{path}:", 1) for line in HTTP[name]]
    code, err, _ = _run(path)
    assert (code, err) == (2, [*want, _summary(len(want))])


def test_real_process_no_traceback_and_no_google_import() -> None:
    # -X importtime lists every module imported, so a Google client import would show.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    files = [f"{BAD}/{n}" for n in ("tabs.yaml", "python-tag.yaml", "alias-bomb.yaml", "empty.yaml")]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gate", "validate", *files],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    imported = [
        line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "import time:" in line
    ]
    assert "gate.policy.loader" in imported
    assert not [m for m in imported if m == "google" or m.startswith("google.")]
    messages = [line for line in proc.stderr.splitlines() if not line.startswith("import time:")]
    assert messages == [
        f"{BAD}/tabs.yaml:5:1: invalid YAML: found a tab character; indent YAML with spaces",
        f'{BAD}/python-tag.yaml:4:14: description: unsupported YAML tag "!!python/object/apply:os.system"',
        f"{BAD}/alias-bomb.yaml:4:50: e[0][2][0][6][7]: aliases expand to more than 10000 values; refusing",
        f"{BAD}/empty.yaml:1:1: file is empty: expected a mapping with apiVersion: gate/v1",
        _summary(4),
    ]
