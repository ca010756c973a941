"""Load a YAML input file into plain data, with positions, refusing anything risky.

PyYAML alone is too trusting for a gate: it silently keeps the last of two
duplicate keys, expands aliases without bound (billion laughs), and knows tags
that build objects. Here the file is only *composed* into nodes (which never
runs a constructor), and the node tree is walked by hand, so every rule below
is enforced in one place and every problem carries ``file:line:col``.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from gate.errors import Diagnostic, InputError
from gate.model import SourceRef

MAX_BYTES = 1024 * 1024
MAX_EXPANDED = 10_000  # nodes reached through aliases, counted with repetition
MAX_DEPTH = 64

Key = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_constructor = SafeConstructor()
_CONSTRUCT = {
    _CORE + "null": _constructor.construct_yaml_null,
    _CORE + "bool": _constructor.construct_yaml_bool,
    _CORE + "int": _constructor.construct_yaml_int,
    _CORE + "float": _constructor.construct_yaml_float,
}


@dataclass
class Document:
    """Plain data plus where each value and each mapping key was written."""

    file: str  # as the user gave it, for messages
    data: dict[str, Any]
    values: dict[Key, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Key, tuple[int, int]] = field(default_factory=dict)
    # Source text of scalars that YAML did not read as strings (``no`` -> False),
    # so a type error can say what to quote.
    raw: dict[Key, str] = field(default_factory=dict)

    def ref(self, path: Key, *, key: bool = False) -> SourceRef:
        """Position of ``path`` (or of its key), else of its nearest written ancestor."""
        p = tuple(path)
        while True:
            pos = (self.keys.get(p) if key else None) or self.values.get(p)
            if pos is not None:
                return SourceRef(self.file, *pos)
            if not p:
                return SourceRef(self.file, 1, 1)
            p = p[:-1]


def _fail(file: str, message: str, mark: yaml.Mark | None = None, path: str = "") -> InputError:
    src = SourceRef(file, mark.line + 1, mark.column + 1) if mark else SourceRef(file, 1, 1)
    return InputError([Diagnostic(src, path, message)])


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def read_text(path: str | os.PathLike[str], display: str | None = None) -> str:
    """The file's text, refusing non-files, huge files and non-UTF-8 before parsing."""
    file = display if display is not None else str(path)
    p = Path(path)
    try:
        # Size first: a 10 MiB file must not be read into memory to be refused.
        size = p.stat().st_size
        if not p.is_file():
            raise InputError([Diagnostic(None, "", f"{file}: not a regular file")])
        if size > MAX_BYTES:
            raise _fail(file, f"file is too large: {size} bytes (the limit is {MAX_BYTES} bytes, 1 MiB)")
        with p.open("rb") as fh:
            blob = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError([Diagnostic(None, "", f"{file}: no such file")]) from None
    except IsADirectoryError:
        raise InputError([Diagnostic(None, "", f"{file}: is a directory, not a file")]) from None
    except OSError as e:
        raise InputError([Diagnostic(None, "", f"{file}: cannot read: {e.strerror or e}")]) from None
    if len(blob) > MAX_BYTES:  # grew after stat, or a special file
        raise _fail(file, f"file is too large: more than {MAX_BYTES} bytes (the limit is 1 MiB)")
    try:
        return blob.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _fail(file, f"file is not UTF-8 text (bad byte at offset {e.start})") from None


def load(path: str | os.PathLike[str], display: str | None = None) -> Document:
    """Parse one YAML file whose top level must be a mapping. Raises InputError.

    The same file with the same bytes is parsed once per process (a library file
    included several times, by several policies) and handed out as a fresh copy,
    since the loader edits a document's data in place."""
    file = display if display is not None else str(path)
    text = read_text(path, file)
    parsed = _parsed.get((file, text))
    if parsed is None:
        parsed = _parsed[(file, text)] = loads(text, file)
    return Document(
        file, copy.deepcopy(parsed.data), dict(parsed.values), dict(parsed.keys), dict(parsed.raw)
    )


_parsed: dict[tuple[str, str], Document] = {}  # only documents that parsed: errors are raised again


def loads(text: str, file: str) -> Document:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        message, mark = syntax_error(e, text)
        raise _fail(file, message, mark) from None
    except yaml.YAMLError as e:
        raise _fail(file, f"invalid YAML: {e}") from None
    except RecursionError:
        raise _fail(file, "the YAML is nested too deeply") from None
    if root is None:
        raise _fail(file, "file is empty: expected a mapping with apiVersion: gate/v1")
    if not isinstance(root, yaml.MappingNode):
        what = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        raise _fail(file, f"expected a mapping at the top level, got {what}", root.start_mark)
    doc = Document(file, {})
    walker = _Walker(doc)
    data = walker.node(root, ())
    if walker.errors:
        raise InputError(sorted(walker.errors, key=_order))
    doc.data = data
    return doc


def _order(d: Diagnostic) -> tuple[int, int]:
    return (d.source.line, d.source.col) if d.source else (0, 0)


# Openers a parser only finds unclosed once it is far past them: the mistake is where
# they were opened, not where the parser gave up.
_UNCLOSED = {
    "while scanning a quoted scalar": "this quoted string is never closed",
    "while parsing a flow sequence": "this [ is not closed with ]",
    "while parsing a flow mapping": "this { is not closed with }",
}


def syntax_error(e: yaml.MarkedYAMLError, text: str) -> tuple[str, yaml.Mark | None]:
    """The message for a YAML syntax error, and the position of the mistake itself."""
    problem = (e.problem or e.context or "invalid YAML").strip()
    mark, context = e.problem_mark, e.context_mark
    if "'\\t'" in problem:
        return "invalid YAML: found a tab character; indent YAML with spaces", mark
    token = _variable_in_flow(text, mark) if mark is not None else None
    if token is not None:
        hint = f'a ${{...}} inside [ ] or {{ }} must be quoted: write "{token}"'
        return f"invalid YAML: {hint}", _mark_at(mark, -1) if mark is not None else mark
    opened = _UNCLOSED.get((e.context or "").strip())
    if opened and context is not None and mark is not None and mark.line > context.line:
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        return f"invalid YAML: {opened} ({problem} at {where})", context
    if e.context and problem.startswith("but "):
        return f"invalid YAML: {e.context}, {problem}", mark or context
    msg = f"invalid YAML: {problem}"
    if e.context and e.problem and context is not None:
        msg += f" ({e.context} at line {context.line + 1}, column {context.column + 1})"
    return msg, mark or context


def _variable_in_flow(text: str, mark: yaml.Mark) -> str | None:
    """``${var}-x`` where a flow collection met the ``{`` of an unquoted variable."""
    i = mark.index
    if not (0 < i < len(text) and text[i] == "{" and text[i - 1] == "$"):
        return None
    close = text.find("}", i)
    if close == -1:
        return None
    end = close + 1
    while end < len(text) and text[end] not in ",]}\n":
        end += 1
    return text[i - 1 : end].strip()


def _mark_at(mark: yaml.Mark, shift: int) -> yaml.Mark:
    # No buffer: the mark is only used for its line and column.
    return yaml.Mark(mark.name, mark.index + shift, mark.line, max(0, mark.column + shift), "", 0)


class _Walker:
    """Turns the node graph into plain data, recording positions and errors."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.errors: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.expanded = 0
        self.bomb = False

    def error(self, node: yaml.Node, message: str, path: Key) -> None:
        src = SourceRef(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)
        self.errors.append(Diagnostic(src, format_path(path), message))

    def node(self, node: yaml.Node, path: Key, via_alias: bool = False, depth: int = 0) -> Any:
        if self.bomb:
            return None
        # The composer hands back the same node object for every alias of an anchor.
        via_alias = via_alias or id(node) in self.seen
        self.seen.add(id(node))
        if via_alias:
            self.expanded += 1
            if self.expanded > MAX_EXPANDED:
                self.bomb = True
                self.error(node, f"aliases expand to more than {MAX_EXPANDED} values; refusing", path)
                return None
        if id(node) in self.active:
            self.error(node, "an alias refers to its own anchor (a recursive structure)", path)
            return None
        if depth > MAX_DEPTH:
            self.error(node, f"nested more than {MAX_DEPTH} levels deep", path)
            return None
        self.doc.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _CORE + "seq":
                    self.error(node, f'unsupported YAML tag "{_short_tag(node.tag)}"', path)
                    return None
                return [self.node(n, (*path, i), via_alias, depth + 1) for i, n in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            if node.tag != _CORE + "map":
                self.error(node, f'unsupported YAML tag "{_short_tag(node.tag)}"', path)
                return None
            return self.mapping(node, path, via_alias, depth)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Key, via_alias: bool, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                self.error(key_node, 'merge keys ("<<") are not supported; use vars: or include:', path)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.error(key_node, "a mapping key must be a plain name", path)
                continue
            # Keys are names: ``on:`` or ``no:`` stay text instead of becoming booleans.
            key = key_node.value
            sub = (*path, key)
            if key in out:
                first = self.doc.keys.get(sub)
                where = f" (first at line {first[0]})" if first else ""
                self.error(key_node, f'duplicate key "{key}"{where}', sub)
                continue
            self.doc.keys.setdefault(sub, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            out[key] = self.node(value_node, sub, via_alias, depth + 1)
        return out

    def scalar(self, node: yaml.ScalarNode, path: Key) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self.error(node, f'unsupported YAML tag "{_short_tag(tag)}"', path)
            return None
        if tag in (_CORE + "str", _CORE + "timestamp"):
            # Dates stay text: JSON has no date type and a gate has no use for one.
            return str(node.value)
        try:
            # The per-tag constructors, not construct_object, which caches every node forever.
            value = _CONSTRUCT[tag](node)
        except (yaml.YAMLError, ValueError) as e:
            self.error(node, f"invalid {_short_tag(tag)} value {node.value!r}: {e}", path)
            return None
        self.doc.raw[path] = node.value
        return value


def format_path(path: Key) -> str:
    """``("checks", 2, "with", "url")`` -> ``checks[2].with.url``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and all(c.isalnum() or c in "_-" for c in part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out
