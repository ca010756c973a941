"""Every request gate sent and every answer the emulator served, against the discovery documents."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conformance import contract, discovery, known_gaps, wire
from tests.conformance.conftest import COUNTS
from tests.conformance.recording import POLICIES, ROOT, Recorded
from tests.conformance.sweeps import UNDOCUMENTED


def _requests(recorded: list[Recorded]) -> list[str]:
    out = []
    for r in recorded:
        out += [f"[{r.scenario}] {p}" for p in wire.check_request(r.exchange).problems]
    return out


def _responses(recorded: list[Recorded]) -> list[str]:
    out = []
    for r in recorded:
        out += [f"[{r.scenario}] {p}" for p in wire.check_response(r.exchange).problems]
    return out


def test_every_request_is_a_documented_method_with_documented_parameters(recorded: list[Recorded]) -> None:
    shapes = {wire.request_shape(r.exchange) for r in recorded}
    COUNTS["request shapes"] = len(shapes)
    COUNTS["requests"] = len(recorded)
    rest, _ = known_gaps.split(_requests(recorded))
    assert not rest, "\n".join(sorted(set(rest)))


@pytest.mark.parametrize("gap", known_gaps.WIRE_GAPS, ids=lambda g: g.id)
def test_known_gap_is_still_open(
    gap: known_gaps.Gap, recorded: list[Recorded], request: pytest.FixtureRequest
) -> None:
    request.applymarker(pytest.mark.xfail(strict=True, reason=gap.reason))
    _, known = known_gaps.split(_requests(recorded) + _responses(recorded))
    assert not known[gap.id], "\n".join(sorted(set(known[gap.id]))[:5])


def test_every_response_matches_its_documented_schema(recorded: list[Recorded]) -> None:
    problems, fields, enums = [], set(), set()
    statuses: Counter[str] = Counter()
    for r in recorded:
        checked = wire.check_response(r.exchange)
        found = [f"[{r.scenario}] {p}" for p in checked.problems]
        if r.scenario.startswith("sweep/"):  # each sweep serves one undocumented value on purpose
            found = [p for p in found if repr(UNDOCUMENTED) not in p]
        problems += known_gaps.split(found)[0]
        fields |= checked.fields
        enums |= checked.enums
        if r.exchange.status:
            statuses["error bodies" if r.exchange.status >= 400 else "response bodies"] += 1
    COUNTS["response bodies validated"] = statuses["response bodies"]
    COUNTS["error bodies validated"] = statuses["error bodies"]
    COUNTS["response fields seen"] = len(fields)
    COUNTS["response enum values seen"] = len(enums)
    assert statuses["error bodies"] > 0, "no scenario made the emulator answer with an error"
    assert not problems, "\n".join(sorted(set(problems)))


def test_every_method_gate_calls_was_exercised(recorded: list[Recorded]) -> None:
    seen = {wire.check_request(r.exchange).method_id for r in recorded}
    missing = {m for m in contract.CALLS.values() if m not in seen and m not in contract.NOT_EXERCISED}
    assert not missing, f"no scenario sent {sorted(missing)}: add a scenario, or say why in NOT_EXERCISED"
    stale = {m for m in contract.NOT_EXERCISED if m in seen}
    assert not stale, f"NOT_EXERCISED lists methods the scenarios do send: {sorted(stale)}"


def test_every_paged_method_pages_by_token() -> None:
    """``pages()`` follows ``nextPageToken`` with ``pageToken``: both must be in the contract."""
    from tests.conformance.test_reads import walks

    paged = {label for w in walks().values() for label in w.paged}
    assert paged
    for label in sorted(paged):
        api = label[0].split(".")[0]
        m = discovery.method_by_id(api, contract.CALLS[label])
        assert "pageToken" in m.query_parameters(), f"{m.id} takes no pageToken"
        assert m.response and "nextPageToken" in discovery.schema(api, m.response)["properties"], m.id


def test_the_policies_run_include_every_check_library() -> None:
    """The scenarios run the shipped policies; together they must include all of checks/."""
    import yaml

    included = set()
    for policy in POLICIES:
        for item in yaml.safe_load(policy.read_text(encoding="utf-8")).get("include", []):
            included.add(item["file"])
    libraries = {p.name for p in (ROOT / "checks").glob("*.yaml")}
    assert libraries <= included, f"not run by the conformance scenarios: {sorted(libraries - included)}"


def test_every_emulator_route_is_a_documented_method() -> None:
    """The emulator serves nothing Google does not: each route is a method of the API's document."""
    import re

    from gate.emulator.apis import all_routes

    strays = []
    for route in all_routes():
        sample = re.sub(r"\(\?P<\w+>\[\^/:\]\+\)", "x", route.pattern.pattern).replace("\\", "")
        if discovery.match(route.api, route.method, sample) is None:
            strays.append(f"{route.api} {route.method} {sample}")
    assert not strays, strays
