"""The policy's ``rollout:`` section: defaults by check type, selectors, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import InputError, UsageError
from gate.pipeline.rollout import make_plan
from gate.policy.loader import load_policy
from gate.policy.rollout_section import phases

HEAD = """\
apiVersion: gate/v1
project: netra-staging
region: us-central1
target: {service: netra-backend-staging, tag: candidate}
"""
CHECKS = """\
checks:
  - {id: rev, type: run.revision, with: {service: netra-backend-staging}}
  - {id: env, type: run.env, with: {service: netra-backend-staging, required: [REDIS_HOST]}}
  - id: health
    type: http.health
    needs: [rev]
    with: {service: netra-backend-staging, path: /health}
  - id: canary
    type: monitoring.metric
    with: {service: netra-backend-staging, assert: ["error_ratio <= 1%"]}
"""


def policy(tmp_path: Path, rollout: str = "") -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + rollout + CHECKS)
    return path


def problems(tmp_path: Path, rollout: str) -> list[str]:
    with pytest.raises(InputError) as e:
        load_policy(policy(tmp_path, rollout))
    return [str(d) for d in e.value.diagnostics]


def test_defaults_by_type_metric_analysis_only_probes_both_the_rest_readiness(tmp_path: Path) -> None:
    p = load_policy(policy(tmp_path))
    assert p.rollout is None
    assert phases(p.checks, p.rollout) == (("rev", "env", "health"), ("health", "canary"))


def test_the_section_is_read_with_selectors_resolved(tmp_path: Path) -> None:
    p = load_policy(
        policy(
            tmp_path,
            "rollout:\n  steps: [10, 50, 100]\n  pause: 90s\n  on_inconclusive: hold\n"
            "  readiness: [rev, 'e*']\n  analysis: [{type: monitoring.metric}, health]\n",
        )
    )
    assert p.rollout is not None
    assert (p.rollout.steps, p.rollout.pause, p.rollout.on_inconclusive) == ((10, 50, 100), 90.0, "hold")
    assert (p.rollout.readiness, p.rollout.analysis) == (("rev", "env"), ("health", "canary"))
    assert p.rollout.source is not None and p.rollout.source.line == 6
    plan = make_plan(p)
    assert (plan.service, plan.tag, plan.steps, plan.pause) == (
        "netra-backend-staging",
        "candidate",
        (10, 50, 100),
        90.0,
    )
    # The command line wins over the section.
    plan = make_plan(p, steps=(1, 100), pause=0.0, on_inconclusive="continue", tag="canary")
    assert (plan.steps, plan.pause, plan.on_inconclusive, plan.tag) == ((1, 100), 0.0, "continue", "canary")


def test_unsound_sections_are_refused_with_positions(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "rollout:\n  steps: [5, 50, 25]\n  pause: 30\n  on_inconclusive: wait\n"
        "  readiness: [rev, nope, {type: sql.instance}]\n  analysis: ['x*']\n",
    )
    text = "\n".join(found)
    assert "policy.yaml:6:18: rollout.steps[2]: steps must increase: 25 after 50" in text
    assert 'rollout.pause: expected a duration like "2m", got number 30' in text
    assert "rollout.on_inconclusive: expected one of" in text
    assert 'rollout.readiness[1]: no check "nope" in the policy' in text
    assert 'rollout.readiness[2].type: no check of type "sql.instance" in the policy' in text
    assert 'rollout.analysis[0]: the pattern "x*" matches no check id' in text
    assert "checks env, health, canary would run in neither readiness nor analysis" in text
    assert "no blocking check runs at the steps" in text


def test_last_step_must_be_100_and_readiness_cannot_need_analysis(tmp_path: Path) -> None:
    text = "\n".join(
        problems(
            tmp_path, "rollout:\n  steps: [5, 50]\n  readiness: [health]\n  analysis: [rev, canary, env]\n"
        )
    )
    assert "rollout.steps[1]: the last step must be 100" in text
    assert "health runs in readiness but needs rev, which runs only in analysis" in text


def test_a_rollout_without_a_tag_or_steps_is_a_usage_error(tmp_path: Path) -> None:
    p = load_policy(policy(tmp_path))
    with pytest.raises(UsageError, match="--steps"):
        make_plan(p)
    with pytest.raises(UsageError, match="the last step must be 100"):
        make_plan(p, steps=(5, 50))
    untagged = tmp_path / "untagged.yaml"
    untagged.write_text(HEAD.replace(", tag: candidate", "") + CHECKS)
    with pytest.raises(UsageError, match="--tag TAG"):
        make_plan(load_policy(untagged), steps=(100,))
