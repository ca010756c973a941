"""Enum values: every one gate names is in the contract, and none the API can return passes silently."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from tests.conformance import contract, discovery, known_gaps, sweeps
from tests.conformance.conftest import COUNTS

GATE = Path(__file__).resolve().parents[2] / "gate"
SCANNED = ("checks", "netpath", "gcp")
CAPS = re.compile(r"_?[A-Z][A-Z0-9_]{2,}")


@functools.cache
def caps_literals() -> dict[str, list[str]]:
    """ALL_CAPS string literals of gate/checks, gate/netpath and gate/gcp (not docstrings or f-strings)."""
    out: dict[str, list[str]] = {}
    for folder in SCANNED:
        for path in sorted((GATE / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = set()
            for node in ast.walk(tree):
                body = getattr(node, "body", None)
                if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                    skip.add(id(body[0].value))
                if isinstance(node, ast.JoinedStr):
                    skip |= {id(v) for v in node.values}
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skip
                    and CAPS.fullmatch(node.value)
                ):
                    out.setdefault(node.value, []).append(f"{path.relative_to(GATE.parent)}:{node.lineno}")
    return out


def _matches(declared: str, value: str) -> bool:
    if declared.startswith("~"):
        return value.startswith(declared[1:])
    if declared.endswith("~"):
        return value.endswith(declared[:-1])
    return value == declared


def test_every_judged_value_is_in_the_contract() -> None:
    total = 0
    for (api, owner, field), values in contract.JUDGED.items():
        spec = discovery.schema(api, owner)["properties"][field]
        enum = spec.get("enum")
        for v in sorted(values):
            total += 1
            if enum is None:
                assert v.strip("~") in spec.get("description", ""), f"{owner}.{field} documents no {v}"
            else:
                assert any(_matches(v, e) for e in enum), (
                    f"{discovery.DOCUMENTS[api]}: {owner}.{field} has no {v}"
                )
    COUNTS["judged enum values checked"] = total


def test_every_caps_literal_is_a_declared_enum_value_or_explained() -> None:
    declared = {v for values in contract.JUDGED.values() for v in values}
    undeclared = {}
    for literal, where in caps_literals().items():
        if literal in contract.NOT_API_ENUMS:
            continue
        if literal in declared or f"~{literal}" in declared or f"{literal}~" in declared:
            continue
        undeclared[literal] = where
    assert not undeclared, (
        "ALL_CAPS literals that look like API enum values: declare them in contract.JUDGED under the "
        f"field they are compared with, or in NOT_API_ENUMS with why: {undeclared}"
    )
    used = set(caps_literals())
    stale = {v for v in declared if v.strip("~") not in used} | (set(contract.NOT_API_ENUMS) - used)
    assert not stale, f"declared but no longer in the code: {sorted(stale)}"


def test_enum_values_the_providers_build_exist() -> None:
    from tests.conformance.test_reads import walks

    named = {pair for w in walks().values() for pair in w.enum_values}
    assert named, "the walk found no enum value built by a provider"
    COUNTS["provider enum values checked"] = len(named)  # checked against discovery in the walk


# -- the sweep ---------------------------------------------------------------------------------

# Every documented value, and one no document lists (it must not pass either).
CASES = [(s, v) for s in sweeps.SWEEPS for v in [*s.values(), sweeps.UNDOCUMENTED]]
# The values of a known gap are one case per sweep (one xfail, not dozens).
PER_VALUE = [(s, v) for s, v in CASES if not known_gaps.sweep_gap(s.id, v, s.healthy)]
GAPPED = [s for s in sweeps.SWEEPS if s.id in known_gaps.SWEEP_GAPS]


def test_every_sweep_covers_its_whole_enum(outcomes: dict[str, dict[str, str]]) -> None:
    COUNTS["enum values swept"] = sum(len(s.values()) for s in sweeps.SWEEPS)
    COUNTS["judged fields swept"] = len({(s.api, s.schema, s.field) for s in sweeps.SWEEPS})
    for s in sweeps.SWEEPS:
        assert s.healthy <= set(s.values()), f"{s.id}: healthy values not in {s.schema}.{s.field}"
        assert len(s.values()) > len(s.healthy), s.id
        assert set(outcomes[s.id]) == {*s.values(), sweeps.UNDOCUMENTED}, s.id
    newer = sorted(v for s in sweeps.SWEEPS for v in sweeps.client_unknown(s))
    COUNTS["swept values newer than the client library"] = len(newer)


@pytest.mark.parametrize(("sweep", "value"), PER_VALUE, ids=[f"{s.id}/{v}" for s, v in PER_VALUE])
def test_no_documented_value_passes_unless_healthy(
    sweep: sweeps.Sweep, value: str, outcomes: dict[str, dict[str, str]]
) -> None:
    status = outcomes[sweep.id][value]
    if value in sweep.healthy:
        assert status == "PASS", (
            f"{sweep.schema}.{sweep.field}={value} is healthy ({sweep.why}), got {status}"
        )
    else:
        assert status in ("FAIL", "ERROR"), (
            f"{sweep.schema}.{sweep.field}={value} must not pass ({sweep.why}): got {status}"
        )


@pytest.mark.parametrize("sweep", GAPPED, ids=[s.id for s in GAPPED])
def test_known_gap_no_unhealthy_value_passes(
    sweep: sweeps.Sweep, outcomes: dict[str, dict[str, str]], request: pytest.FixtureRequest
) -> None:
    request.applymarker(pytest.mark.xfail(strict=True, reason=known_gaps.SWEEP_GAPS[sweep.id][1]))
    passing = sorted(
        v
        for v, status in outcomes[sweep.id].items()
        if v not in sweep.healthy
        and status not in ("FAIL", "ERROR")
        and known_gaps.sweep_gap(sweep.id, v, sweep.healthy)
    )
    assert not passing, f"{sweep.schema}.{sweep.field}: these values PASS ({sweep.why}): {passing}"


def test_gap_table_names_real_sweeps() -> None:
    assert known_gaps.UNDOCUMENTED == sweeps.UNDOCUMENTED
    ids = {s.id for s in sweeps.SWEEPS}
    assert set(known_gaps.SWEEP_GAPS) <= ids, set(known_gaps.SWEEP_GAPS) - ids
