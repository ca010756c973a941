"""run.diff through `gate check`: the change table is legible in every report format."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
X1 = ROOT / "gate" / "emulator" / "worlds" / "x1-vpc-access-removed.yaml"
POLICY = """\
apiVersion: gate/v1
project: netra-staging
region: us-central1
checks:
  - id: backend-diff
    type: run.diff
    with: {service: netra-backend-staging}
  - id: backend-changes
    type: run.diff
    severity: warn
    with: {service: netra-backend-staging, allow: [vpc], fail_on: ["*"]}
"""
LOSS_ROW = "loss    vpc     removed  connector staging-connector, egress PRIVATE_RANGES_ONLY -> -"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("diffcli")
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY)
    files = {f: tmp / f"report.{f}" for f in ("json", "junit", "markdown")}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "check",
            "--policy",
            str(policy),
            "--world",
            str(X1),
            "-f",
            "text,github",
            "--no-fail-fast",
            *(f"--output={f}={p}" for f, p in files.items()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "GITHUB_STEP_SUMMARY": str(tmp / "summary.md")},
    )
    assert r.returncode == 1, r.stderr
    out = {f: p.read_text() for f, p in files.items()}
    out["stdout"] = r.stdout
    out["summary"] = (tmp / "summary.md").read_text()
    return out


def test_json_carries_the_rows(outputs: dict[str, str]) -> None:
    checks = {c["id"]: c for c in json.loads(outputs["json"])["checks"]}
    diff = checks["backend-diff"]
    assert diff["status"] == "FAIL"
    assert diff["evidence"]["changes"] == [
        {
            "after": "-",
            "before": "connector staging-connector, egress PRIVATE_RANGES_ONLY",
            "change": "vpc",
            "effect": "loss",
            "kind": "removed",
        }
    ]
    assert diff["evidence"]["baseline"] == "netra-backend-staging-00042-xq7"
    # Allowed, the same loss passes; nothing else changed, so fail_on ["*"] finds nothing.
    changes = checks["backend-changes"]
    assert changes["status"] == "PASS" and changes["evidence"]["changes"][0]["effect"] == "allowed"


@pytest.mark.parametrize("fmt", ["stdout", "junit", "markdown"])
def test_the_table_is_legible_in_every_text_format(outputs: dict[str, str], fmt: str) -> None:
    text = html.unescape(outputs[fmt]) if fmt == "junit" else outputs[fmt]  # XML escapes ">"
    assert "effect  change  kind     before -> after" in text
    assert LOSS_ROW in text
    assert (
        "1 loss(es) in netra-backend-staging-00043-x1v against baseline netra-backend-staging-00042-xq7"
        in text
    )


def test_github_annotation_and_summary(outputs: dict[str, str]) -> None:
    assert "::error" in outputs["stdout"] and "vpc removed" in outputs["stdout"]
    assert LOSS_ROW in outputs["summary"]
