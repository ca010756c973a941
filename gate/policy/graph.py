"""The ``needs:`` graph of a policy's checks: duplicate ids, unknown needs, cycles.

Run after every check is resolved, so a ``needs:`` may name a check defined
later or in another file. Ids still holding an unbound parameter (a library on
its own) are skipped: they are judged where the library is included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from gate.model import CheckSpec, SourceRef
from gate.policy import schema
from gate.policy.interpolate import UNBOUND_MARK, Reporter
from gate.policy.yamlsafe import Document, Key


class Placed(Protocol):
    """A check as the loader found it: where it was written and how it came in."""

    doc: Document
    base: Key
    via: SourceRef | None

    def at(self, sub: Key, *, key: bool = False) -> tuple[SourceRef, str]: ...


def check_graph(pairs: Sequence[tuple[Placed, CheckSpec]], excluded: set[str], run: Reporter) -> None:
    first: dict[str, Placed] = {}
    for item, spec in pairs:
        if UNBOUND_MARK in spec.id:
            continue
        if spec.id in first:
            src = first[spec.id].doc.ref(first[spec.id].base)
            via = f"; this one is included at {item.via}" if item.via else ""
            run.at(
                item.at(("id",)), f"duplicate check id {schema.quoted(spec.id)} (first defined at {src}){via}"
            )
        else:
            first[spec.id] = item
    for item, spec in pairs:
        for j, need in enumerate(spec.needs):
            if need in first or UNBOUND_MARK in need:
                continue
            if need in excluded:
                msg = f"needs {schema.quoted(need)}, which an include: excludes"
            else:
                msg = f"unknown check id {schema.quoted(need)}{schema.suggest(need, first)}"
            run.at(item.at(("needs", j)), msg)
    _cycles({s.id: s for _, s in pairs if s.id in first}, first, run)


def _cycles(specs: dict[str, CheckSpec], items: dict[str, Placed], run: Reporter) -> None:
    """Report each dependency cycle once. Depth-first without recursion: a ``needs:``
    chain may be longer than Python's recursion limit."""
    done: set[str] = set()
    reported: set[frozenset[str]] = set()
    for root in specs:
        if root in done:
            continue
        path, on_path = [root], {root}
        todo: list[Iterator[str]] = [iter(specs[root].needs)]
        while todo:
            need = next(todo[-1], None)
            if need is None:
                todo.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
            elif need in on_path:
                loop = [*path[path.index(need) :], need]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    run.at(items[need].at(("needs",)), "dependency cycle: " + " -> ".join(loop))
            elif need in specs and need not in done:
                path.append(need)
                on_path.add(need)
                todo.append(iter(specs[need].needs))
