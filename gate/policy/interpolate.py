"""Policy variables: ``${var}`` substitution, ``$${`` escapes, ``--var`` overrides.

Problems are reported to the caller's :class:`Reporter` (the loader's run), not
raised, so one load lists every mistake. A variable without a value yet (a
check library validated on its own) is carried as :class:`Unbound` so the one
missing value is not reported again by every check that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gate.model import SourceRef
from gate.policy import schema
from gate.policy.yamlsafe import Document, Key

BUILTINS = ("project", "region")
_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_WHOLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(schema.VAR_PATTERN)
UNBOUND_MARK = "\x00"  # stands for a variable with no value yet (a library on its own)


class Reporter(Protocol):
    def add(self, doc: Document, path: Key, message: str, *, key: bool = False) -> None: ...

    def at(self, where: tuple[SourceRef, str], message: str) -> None: ...


@dataclass(frozen=True)
class Unbound:
    name: str


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Unbound):
        return UNBOUND_MARK + value.name + UNBOUND_MARK
    return str(value)


def interpolate(value: Any, scope: Mapping[str, Any], doc: Document, path: Key, run: Reporter) -> Any:
    if isinstance(value, dict):
        return {k: interpolate(v, scope, doc, (*path, k), run) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, scope, doc, (*path, i), run) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _WHOLE.fullmatch(value)
    if whole and whole.group(1) in scope:
        # Exactly ``${x}``: keep the variable's YAML type, so ``min_instances: ${n}`` stays an int.
        return scope[whole.group(1)]

    def substitute(m: re.Match[str]) -> str:
        if m.group(0) == "$${":
            return "${"
        name = m.group(1)
        if name is None:
            run.add(doc, path, 'unterminated "${" (write "$${" for a literal "${")')
        elif not _NAME.match(name):
            run.add(doc, path, f"invalid variable reference {schema.quoted('${' + name + '}')}")
        elif name not in scope:
            run.add(doc, path, f"undefined variable {schema.quoted(name)}{schema.suggest(name, scope)}")
            # Unbound from here on, so the one mistake is not reported again downstream.
            return text(Unbound(name))
        else:
            return text(scope[name])
        return m.group(0)

    if whole:
        run.add(
            doc,
            path,
            f"undefined variable {schema.quoted(whole.group(1))}{schema.suggest(whole.group(1), scope)}",
        )
        return Unbound(whole.group(1))
    return _REF.sub(substitute, value)


def is_unbound(value: Any) -> bool:
    """A value that is, or is text made from, a parameter without a value yet."""
    return isinstance(value, Unbound) or (isinstance(value, str) and UNBOUND_MARK in value)


def has_unbound(value: Any) -> bool:
    if isinstance(value, Unbound):
        return True
    if isinstance(value, str):
        return UNBOUND_MARK in value
    if isinstance(value, Mapping):
        return any(has_unbound(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unbound(v) for v in value)
    return False


def scalars(value: Any) -> dict[str, Any]:
    """The well-formed entries of a ``vars:``-like mapping (the schema reports the rest)."""
    if not isinstance(value, dict):
        return {}
    return {
        k: v for k, v in value.items() if _NAME.match(k) and isinstance(v, (str, int, float, bool, Unbound))
    }


def apply_cli_vars(doc: Document, declared: dict[str, Any], cli: Mapping[str, str], run: Reporter) -> None:
    for name, given in cli.items():
        where = doc.ref(("vars",), key=True)
        if name not in declared:
            hint = schema.suggest(name, declared)
            run.at((where, ""), f"--var {name}: the policy has no variable {schema.quoted(name)}{hint}")
            continue
        old = declared[name]
        try:
            declared[name] = _coerce(given, old)
        except ValueError:
            kind = (
                "true or false"
                if isinstance(old, bool)
                else "an integer"
                if isinstance(old, int)
                else "a number"
            )
            run.at((where, ""), f"--var {name}={given}: expected {kind}, like the policy's value {text(old)}")


def _coerce(given: str, like: Any) -> Any:
    if isinstance(like, bool):
        lowered = given.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(given)
        return lowered == "true"
    if isinstance(like, int):
        return int(given)
    if isinstance(like, float):
        return float(given)
    return given


def reserved_vars(doc: Document, section: Key, names: Any, run: Reporter) -> None:
    for name in names if isinstance(names, dict) else ():
        if name in BUILTINS:
            msg = f'"{name}" is a builtin variable; set it with the top-level {name}:'
            run.add(doc, (*section, name), msg, key=True)
