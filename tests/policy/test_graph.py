"""gate.policy.graph: duplicate ids, unknown or excluded needs, and dependency cycles."""

from __future__ import annotations

from dataclasses import dataclass

from gate.model import CheckSpec, SourceRef
from gate.policy.graph import check_graph
from gate.policy.interpolate import UNBOUND_MARK
from gate.policy.yamlsafe import Document, Key


@dataclass
class Item:
    doc: Document
    base: Key
    via: SourceRef | None = None

    def at(self, sub: Key, *, key: bool = False) -> tuple[SourceRef, str]:
        return self.doc.ref((*self.base, *sub), key=key), ".".join(str(k) for k in (*self.base, *sub))


class Run:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []  # (where, message)

    def add(self, doc: Document, path: Key, message: str, *, key: bool = False) -> None:
        raise AssertionError("the graph reports through at()")

    def at(self, where: tuple[SourceRef, str], message: str) -> None:
        self.messages.append((f"{where[0]} {where[1]}", message))


def placed(*checks: tuple[str, tuple[str, ...]], file: str = "p.yaml") -> list[tuple[Item, CheckSpec]]:
    values: dict[tuple[str | int, ...], tuple[int, int]] = {
        ("checks", i): (10 + i, 5) for i in range(len(checks))
    }
    doc = Document(file, {}, values=values)
    return [
        (Item(doc, ("checks", i)), CheckSpec(cid, "t", {}, needs=needs))
        for i, (cid, needs) in enumerate(checks)
    ]


def graph(pairs: list[tuple[Item, CheckSpec]], excluded: set[str] | None = None) -> list[tuple[str, str]]:
    run = Run()
    check_graph(pairs, excluded or set(), run)
    return run.messages


def test_a_sound_graph_reports_nothing() -> None:
    assert graph(placed(("a", ()), ("b", ("a",)), ("c", ("a", "b")))) == []
    assert graph(placed(("later", ("defined-after",)), ("defined-after", ()))) == []


def test_a_duplicate_id_names_where_it_was_first_defined() -> None:
    assert graph(placed(("a", ()), ("b", ()), ("a", ()))) == [
        ("p.yaml:12:5 checks.2.id", 'duplicate check id "a" (first defined at p.yaml:10:5)')
    ]


def test_a_duplicate_from_an_include_says_where_it_is_included() -> None:
    pairs = placed(("a", ()), ("a", ()))
    pairs[1][0].via = SourceRef("policy.yaml", 4, 3)
    assert graph(pairs) == [
        (
            "p.yaml:11:5 checks.1.id",
            'duplicate check id "a" (first defined at p.yaml:10:5); this one is included at policy.yaml:4:3',
        )
    ]


def test_unknown_needs_with_a_suggestion_and_excluded_needs() -> None:
    messages = graph(placed(("backend", ()), ("x", ("backnd", "zzz", "gone"))), excluded={"gone"})
    assert messages == [
        ("p.yaml:11:5 checks.1.needs.0", 'unknown check id "backnd" (did you mean "backend"?)'),
        ("p.yaml:11:5 checks.1.needs.1", 'unknown check id "zzz"'),
        ("p.yaml:11:5 checks.1.needs.2", 'needs "gone", which an include: excludes'),
    ]


def test_unbound_ids_and_needs_are_judged_where_the_library_is_included() -> None:
    unbound = f"{UNBOUND_MARK}service{UNBOUND_MARK}-health"
    assert graph(placed((unbound, ()), (unbound, ()), ("x", (unbound,)))) == []


def test_a_cycle_is_reported_once_with_its_path() -> None:
    messages = graph(placed(("a", ("b",)), ("b", ("c",)), ("c", ("a",))))
    assert messages == [("p.yaml:10:5 checks.0.needs", "dependency cycle: a -> b -> c -> a")]


def test_a_check_that_needs_itself() -> None:
    assert graph(placed(("a", ("a",)))) == [("p.yaml:10:5 checks.0.needs", "dependency cycle: a -> a")]


def test_two_separate_cycles_are_both_reported() -> None:
    messages = graph(placed(("a", ("b",)), ("b", ("a",)), ("c", ("d",)), ("d", ("c",)), ("e", ("a", "c"))))
    assert [m for _, m in messages] == ["dependency cycle: a -> b -> a", "dependency cycle: c -> d -> c"]


def test_a_cycle_reached_from_outside_is_reported_from_where_it_closes() -> None:
    messages = graph(placed(("entry", ("a",)), ("a", ("b",)), ("b", ("a",))))
    assert messages == [("p.yaml:11:5 checks.1.needs", "dependency cycle: a -> b -> a")]


def test_a_diamond_is_not_a_cycle() -> None:
    assert graph(placed(("top", ("l", "r")), ("l", ("base",)), ("r", ("base",)), ("base", ()))) == []


def test_a_needs_chain_longer_than_the_recursion_limit() -> None:
    n = 5000
    chain = placed(*((f"c{i}", (f"c{i + 1}",) if i + 1 < n else ("c0",)) for i in range(n)))
    ((_where, message),) = graph(chain)
    assert message.startswith("dependency cycle: c0 -> c1 -> c2") and message.endswith(f"c{n - 1} -> c0")
    assert graph([*chain[:-1], (chain[-1][0], CheckSpec(f"c{n - 1}", "t", {}))]) == []
