"""YAML to plain data, keeping where every key and value was written.

World files are checked strictly, and an error must point at the offending
key (file:line:col), so we compose the node tree ourselves instead of using
``yaml.safe_load``, which forgets positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from gate.errors import Diagnostic, InputError
from gate.model import SourceRef

Path = tuple[str | int, ...]

# libyaml's composer keeps the same marks and is ten times faster (a world is
# loaded for every run of every test); an invalid file is composed again in pure
# Python, whose messages name more (the undefined alias, the token expected).
_FAST: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Located:
    """A document plus the source position of each key path in it."""

    def __init__(self, file: str, data: Any, marks: dict[Path, SourceRef]) -> None:
        self.file = file
        self.data = data
        self._marks = marks

    def where(self, path: Iterable[str | int]) -> SourceRef:
        """The mark of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self._marks:
                return self._marks[p]
            p = p[:-1]
        return self._marks.get((), SourceRef(self.file, 1, 1))

    def diag(self, path: Iterable[str | int], message: str) -> Diagnostic:
        p = tuple(path)
        return Diagnostic(self.where(p), dotted(p), message)


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _ref(file: str, node: yaml.Node) -> SourceRef:
    return SourceRef(file, node.start_mark.line + 1, node.start_mark.column + 1)


def load(text: str, file: str) -> Located:
    try:
        try:
            node = yaml.compose(text, Loader=_FAST)
        except yaml.MarkedYAMLError:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        ref = SourceRef(file, mark.line + 1, mark.column + 1) if mark else None
        raise InputError([Diagnostic(ref, "", f"invalid YAML: {e.problem or e}")]) from None
    marks: dict[Path, SourceRef] = {}
    if node is None:
        return Located(file, None, marks)
    marks[()] = _ref(file, node)
    # SafeLoader's constructor resolves tags (ints, bools, anchors, merge keys)
    # exactly as safe_load would; we only walk the nodes alongside for marks.
    data = yaml.SafeLoader("").construct_document(node)
    _walk(file, node, (), marks)
    return Located(file, data, marks)


def _walk(file: str, node: yaml.Node, path: Path, marks: dict[Path, SourceRef]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # merged keys keep the anchor's marks via the anchor's own walk
            key = key_node.value
            marks.setdefault((*path, key), _ref(file, key_node))
            _walk(file, value_node, (*path, key), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            marks.setdefault((*path, i), _ref(file, item))
            _walk(file, item, (*path, i), marks)
