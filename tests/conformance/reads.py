"""What gate/gcp/<api>.py reads from the API's messages, found by a typed walk of its AST.

The providers hold client messages in untyped variables (``m``, ``r``, ``page``),
so a plain grep cannot tell ``m.state`` (a read of the API) from ``self.state``.
This walk gives variables types from the discovery document and follows them:

- a ``Transport.call(api, label, ...)`` or ``pages(transport, api, label, ...)``
  returns the response schema of the method ``label`` names (``CALLS`` in
  :mod:`tests.conformance.contract`; LROs return the client's operation wrapper,
  whose ``.operation`` is the Operation);
- ``x.f`` / ``getattr(x, "f")`` / ``"f" in x`` / ``x.HasField("f")`` /
  ``x.get("f")`` / ``x["f"]`` on a message type is a read of field ``f``
  (proto-plus name -> JSON name, ``type_`` -> ``type``) and gives the field's type;
  ``for y in x.items`` gives ``y`` the item type; a string loop variable over a
  module constant tuple (``_INFO_FIELDS``) or an f-string over one expands;
- a call of a function of the module binds its parameters (iterated to a fixpoint),
  and a function's return type is the type of what it returns; parameters no
  call can type are declared in ``ROOTS``;
- ``run_v2.TrafficTarget(type_=...)`` builds a message: its keywords are fields,
  and ``run_v2.SomeEnum.VALUE`` is an enum value the document must list.

A read on a type that has no such field is a violation; so is an attribute that
*could* be a field of the API (its JSON name is a field of some schema) read on
a value the walk could not type, unless ``UNTYPED`` explains why (fail closed:
a new read the walk cannot see must be declared, not silently skipped).
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conformance import discovery as d

# -- types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Msg:
    api: str
    schema: str


@dataclass(frozen=True)
class Arr:
    item: T


@dataclass(frozen=True)
class MapOf:
    value: T


@dataclass(frozen=True)
class Enum:
    api: str
    schema: str
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Scalar:
    pass


@dataclass(frozen=True)
class Lro:
    """The client's google.api_core.operation.Operation: ``.operation`` is the raw Operation."""

    operation: Msg


@dataclass(frozen=True)
class OneOf:
    options: tuple[T, ...]


@dataclass(frozen=True)
class Fact:
    """A value of gate's own (self, a dataclass, a module): its attributes are not API reads."""

    what: str


T = Msg | Arr | MapOf | Enum | Scalar | Lro | OneOf | Fact | None

MESSAGE_METHODS = {"HasField", "WhichOneof", "pb", "items", "keys", "values", "get"}
PASSTHROUGH = {"need", "opt", "need_enum", "enum_name", "tuple", "list", "sorted", "reversed", "iter", "_obj"}


def json_name(attr: str) -> str:
    """protobuf's ToJsonName: ``ip_cidr_range`` -> ``ipCidrRange``, ``I_p_protocol`` -> ``IPProtocol``."""
    out, upper = [], False
    for ch in attr:
        if ch == "_":
            upper = True
        elif upper:
            out.append(ch.upper())
            upper = False
        else:
            out.append(ch)
    return "".join(out)


def field_type(api: str, owner: str, name: str, spec: Mapping[str, Any]) -> T:
    if "$ref" in spec:
        return Msg(api, spec["$ref"])
    kind = spec.get("type")
    if kind == "array":
        return Arr(field_type(api, owner, name, spec.get("items", {})))
    if kind == "object" and "additionalProperties" in spec:
        return MapOf(field_type(api, owner, name, spec["additionalProperties"]))
    if "enum" in spec:
        return Enum(api, owner, name, tuple(spec["enum"]))
    return Scalar()


def lookup(t: Msg, attr: str) -> tuple[str, T] | None:
    props: Mapping[str, Any] = d.schema(t.api, t.schema).get("properties", {})
    for cand in (attr, json_name(attr), json_name(attr.rstrip("_"))):
        if cand in props:
            return cand, field_type(t.api, t.schema, cand, props[cand])
    return None


# -- results -----------------------------------------------------------------------------


@dataclass
class Walked:
    api: str
    path: Path
    reads: set[tuple[str, str, str]] = field(default_factory=set)  # (api, schema, json field)
    enum_values: set[tuple[str, str]] = field(default_factory=set)  # (api, value) named in code
    violations: list[str] = field(default_factory=list)
    untyped: set[tuple[str, str]] = field(default_factory=set)  # (function, attribute)
    labels: set[tuple[str, str]] = field(default_factory=set)  # (api, label) passed to call/pages
    paged: set[tuple[str, str]] = field(default_factory=set)  # the labels read page by page


@dataclass
class _Fn:
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: str | None
    params: list[str]
    annotated: dict[str, bool]
    nested: bool  # defined inside another function: walked with its closure


class ModuleWalk:
    def __init__(
        self,
        path: Path,
        api: str,
        calls: Mapping[tuple[str, str], str],
        lro: Iterable[tuple[str, str]],
        roots: Mapping[str, Mapping[str, T]],
        wrappers: Iterable[str] = (),
    ) -> None:
        self.path = path
        self.api = api
        self.calls = calls
        self.lro = set(lro)
        # Attributes of gate's own page wrappers that hand back the message they wrap
        # (monitoring's ``_Page.message``): reading one keeps the message's type.
        self.wrappers = set(wrappers)
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.consts = _string_constants(self.tree)
        self.fns: dict[str, _Fn] = {}
        self._collect(self.tree.body, "", None, nested=False)
        self.globals = self._module_env()
        self.param_types: dict[tuple[str, str], T] = {
            (fn, p): t for fn, ps in roots.items() for p, t in ps.items()
        }
        self.returns: dict[str, T] = {}
        # Strings a parameter receives: the constants every call site passes (None: some
        # call passes something else, so the walk cannot list them).
        self.param_strings: dict[tuple[str, str], tuple[str, ...] | None] = {}
        # Per function, each call site's constant arguments together: ((param, string), ...).
        self.param_rows: dict[str, frozenset[tuple[tuple[str, str], ...]]] = {}
        self.out = Walked(api, path)
        self._recording = False
        self._fields = {
            json_name(k) for s in d.document(api)["schemas"].values() for k in s.get("properties", {})
        }
        missing = [fn for fn in roots if fn not in self.fns]
        self.out.violations += [f"{path.name}: ROOTS names no function {fn}" for fn in missing]

    # -- structure --------------------------------------------------------------------
    def _collect(self, body: list[ast.stmt], prefix: str, cls: str | None, *, nested: bool) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                self._collect(node.body, f"{prefix}{node.name}.", node.name, nested=nested)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                q = f"{prefix}{node.name}"
                args = [a.arg for a in node.args.args + node.args.kwonlyargs]
                annotated = {
                    a.arg: a.annotation is not None and ast.unparse(a.annotation) not in ("Any", "'Any'")
                    for a in node.args.args + node.args.kwonlyargs
                }
                self.fns[q] = _Fn(q, node, cls, args, annotated, nested)
                self._collect(node.body, f"{q}.", cls, nested=True)

    def _module_env(self) -> dict[str, T]:
        env: dict[str, T] = {}
        for node in self.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    env[(alias.asname or alias.name).split(".")[0]] = Fact(f"module {alias.name}")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                env[node.name] = Fact(f"global {node.name}")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        env[target.id] = Fact(f"constant {target.id}")
        return env

    def run(self) -> Walked:
        for _ in range(8):  # parameter and return types flow between functions: to a fixpoint
            before = (
                dict(self.param_types),
                dict(self.returns),
                dict(self.param_strings),
                dict(self.param_rows),
            )
            for fn in self.fns.values():
                if not fn.nested:
                    self._function(fn, self.globals)
            after = (
                dict(self.param_types),
                dict(self.returns),
                dict(self.param_strings),
                dict(self.param_rows),
            )
            if after == before:
                break
        self._recording = True
        for fn in self.fns.values():
            if not fn.nested:
                self._function(fn, self.globals)
        return self.out

    def _function(self, fn: _Fn, outer: dict[str, T]) -> None:
        env = dict(outer)
        for p in fn.params:
            if p == "self":
                env[p] = Fact("self")
            elif (fn.qualname, p) in self.param_types:
                env[p] = self.param_types[(fn.qualname, p)]
            elif fn.annotated.get(p):
                env[p] = Fact(f"annotated {p}")
            else:
                env[p] = None
            strings = self.param_strings.get((fn.qualname, p))
            if strings:
                env[f"__strings__{p}"] = Fact("\0".join(strings))
        rows = [dict(r) for r in self.param_rows.get(fn.qualname, ())]
        for p, q in itertools.pairwise(fn.params):
            if rows and all(p in r and q in r for r in rows):
                joint = sorted({f"{r[p]}\0{r[q]}" for r in rows})
                env[f"__tuple__{p}\0{q}"] = Fact("\1".join(joint))
        self._current = fn.qualname
        self._body(fn.node.body, env, fn)

    def _body(self, body: list[ast.stmt], env: dict[str, T], fn: _Fn) -> None:
        for node in body:
            self._stmt(node, env, fn)

    def _stmt(self, node: ast.stmt, env: dict[str, T], fn: _Fn) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = self.fns.get(f"{fn.qualname}.{node.name}")
            if inner is not None:
                saved = self._current
                self._function(inner, env)
                self._current = saved
            env[node.name] = Fact("function")
            return
        if isinstance(node, ast.ClassDef):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                env[(alias.asname or alias.name).split(".")[0]] = Fact(f"module {alias.name}")
            return
        if isinstance(node, ast.Assign):
            if isinstance(node.value, ast.Tuple) and all(
                isinstance(t, ast.Tuple) and len(t.elts) == len(node.value.elts) for t in node.targets
            ):
                for i, value in enumerate(node.value.elts):  # a, b = x, y
                    t = self._expr(value, env)
                    for target in node.targets:
                        self._bind(target.elts[i], t, env)  # type: ignore[attr-defined]
                for target in node.targets:
                    self._record_tuple(target, node.value, env)  # type: ignore[arg-type]
                return
            t = self._expr(node.value, env)
            for target in node.targets:
                self._bind(target, t, env)
                strings = self._strings(node.value, env)
                if isinstance(target, ast.Name) and strings:
                    env[f"__strings__{target.id}"] = Fact("\0".join(strings))
            return
        if isinstance(node, ast.AnnAssign):
            t = self._expr(node.value, env) if node.value is not None else None
            if isinstance(node.target, ast.Name):
                env[node.target.id] = t
            else:
                self._expr(node.target, env)
            return
        if isinstance(node, ast.For):
            self._bind(node.target, self._iterate(node.iter, env), env)
            strings = self._loop_strings(node.iter, env)
            if isinstance(node.target, ast.Name) and strings:
                env[f"__strings__{node.target.id}"] = Fact("\0".join(strings))
            if isinstance(node.target, ast.Tuple):
                self._loop_rows(node.target, node.iter, env)
            self._body(node.body + node.orelse, env, fn)
            return
        if isinstance(node, ast.Return):
            if node.value is not None:
                t = self._expr(node.value, env)
                if t is not None and self._current not in self.returns:
                    self.returns[self._current] = t
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self._stmt(child, env, fn)
            elif isinstance(child, ast.expr):
                self._expr(child, env)
            elif isinstance(child, ast.ExceptHandler):
                if child.name:
                    env[child.name] = Fact("exception")
                self._body(child.body, env, fn)
            elif isinstance(child, ast.withitem):
                self._expr(child.context_expr, env)

    def _record_tuple(self, target: ast.Tuple, value: ast.Tuple, env: dict[str, T]) -> None:
        """``api, method = "compute.x", "x.get"``: the strings the names hold *together*.

        Rows accumulate over every assignment the walk passes (both branches of an
        ``if``), so a later ``call(api, method, ...)`` is checked for each pair it can get.
        """
        names = [e.id if isinstance(e, ast.Name) else "" for e in target.elts]
        strings = [self._strings(v, env) for v in value.elts]
        if not all(names) or not all(x is not None and len(x) == 1 for x in strings):
            return
        key = "__tuple__" + "\0".join(names)
        prev = env.get(key)
        rows = prev.what.split("\1") if isinstance(prev, Fact) else []
        row = "\0".join(x[0] for x in strings if x)
        if row not in rows:
            rows.append(row)
        env[key] = Fact("\1".join(rows))

    def _labels(self, node: ast.Call, env: dict[str, T]) -> list[tuple[str, str]]:
        """The (api, label) pairs a call passes: two constants, or two names assigned together."""
        for a, b in itertools.pairwise(node.args):
            if isinstance(a, ast.Name) and isinstance(b, ast.Name):
                joint = env.get(f"__tuple__{a.id}\0{b.id}")
                if isinstance(joint, Fact):
                    rows = [row.split("\0") for row in joint.what.split("\1")]
                    pairs = [(x, y) for x, y in rows if _api_key(x)]
                    if pairs:
                        return pairs
        one = [s[0] if s and len(s) == 1 else None for s in (self._strings(a, env) for a in node.args)]
        label = next(((a, b) for a, b in itertools.pairwise(one) if a and b and _api_key(a)), None)
        return [label] if label is not None else []

    def _forwarded(self, node: ast.Call) -> bool:
        """The api and label are parameters of this function (or one it is nested in): the
        callers pass the constants, and are walked there."""
        names = {a.id for a in node.args[:3] if isinstance(a, ast.Name)}
        q = self._current
        while q:
            fn = self.fns.get(q)
            if fn is not None and len(names & set(fn.params)) >= 2:
                return True
            q = q.rpartition(".")[0]
        return False

    def _bind(self, target: ast.expr, t: T, env: dict[str, T]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = t
        elif isinstance(target, (ast.Tuple, ast.List)):
            for el in target.elts:
                self._bind(el, None, env)
        else:  # attribute or subscript store: the field must exist too
            self._expr(target, env)

    # -- expressions --------------------------------------------------------------------
    def _iterate(self, node: ast.expr, env: dict[str, T]) -> T:
        t = self._expr(node, env)
        if isinstance(t, Arr):
            return t.item
        if isinstance(t, OneOf) and all(isinstance(o, Arr) for o in t.options):
            items = tuple(o.item for o in t.options if isinstance(o, Arr))
            return items[0] if len(set(items)) == 1 else OneOf(items)
        if isinstance(t, Fact):
            return Fact(f"item of {t.what}")
        return None

    def _strings(self, node: ast.expr, env: dict[str, T]) -> list[str] | None:
        """The strings an expression can be: a constant, a loop variable over a constant, an f-string."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name):
            bound = env.get(f"__strings__{node.id}")
            if isinstance(bound, Fact):
                return bound.what.split("\0")
        if isinstance(node, ast.JoinedStr):
            out = [""]
            for part in node.values:
                if isinstance(part, ast.Constant):
                    out = [o + str(part.value) for o in out]
                elif isinstance(part, ast.FormattedValue):
                    options = self._strings(part.value, env)
                    if options is None:
                        return None
                    out = [o + x for o in out for x in options]
            return out
        return None

    def _read(self, t: T, attr: str, where: ast.AST, *, optional: bool = False) -> T:
        if isinstance(t, Msg):
            hit = lookup(t, attr)
            if hit is None and attr in self.wrappers:
                return t
            if hit is None:
                if attr in MESSAGE_METHODS or optional:
                    return None
                self._violation(where, f"{t.schema} ({d.DOCUMENTS[t.api]}) has no field {attr!r}")
                return None
            name, ft = hit
            if self._recording:
                self.out.reads.add((t.api, t.schema, name))
            return ft
        if isinstance(t, OneOf):
            found = [o for o in t.options if isinstance(o, Msg) and lookup(o, attr) is not None]
            if not found:
                if not optional:
                    self._violation(where, f"none of {len(t.options)} possible messages has field {attr!r}")
                return None
            types = tuple(self._read(o, attr, where) for o in found)
            return types[0] if len(set(types)) == 1 else OneOf(types)
        if isinstance(t, Lro) and attr == "operation":
            return t.operation
        if t is None and self._recording and json_name(attr.rstrip("_")) in self._fields:
            self.out.untyped.add((self._current, attr))
        return None

    def _violation(self, where: ast.AST, text: str) -> None:
        if self._recording:
            line = getattr(where, "lineno", 0)
            self.out.violations.append(f"{self.path.name}:{line} ({self._current}): {text}")

    def _expr(self, node: ast.expr | None, env: dict[str, T]) -> T:
        if node is None:
            return None
        if isinstance(node, ast.Name):
            return env.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._expr(node.value, env)
            if isinstance(base, Fact) and base.what.startswith("module "):
                return self._module_attr(base, node)
            if isinstance(base, Fact) and base.what.startswith("client type "):
                return self._enum_value(base, node)
            if isinstance(base, Fact):
                return Fact(f"{base.what}.{node.attr}")
            return self._read(base, node.attr, node)
        if isinstance(node, ast.Subscript):
            base = self._expr(node.value, env)
            self._expr(node.slice, env)
            if isinstance(node.slice, ast.Slice):
                return base
            if isinstance(base, Msg):
                keys = self._strings(node.slice, env)
                if keys and len(keys) == 1:
                    return self._read(base, keys[0], node)
            if isinstance(base, MapOf):
                return base.value
            if isinstance(base, Arr):
                return base.item
            return None
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.Compare):
            left = self._expr(node.left, env)
            for op, right_node in zip(node.ops, node.comparators, strict=False):
                right = self._expr(right_node, env)
                if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (Msg, OneOf)):
                    for name in self._strings(node.left, env) or []:
                        self._read(right, name, node)
                self._compared(left, right_node, env)
            return Scalar()
        if isinstance(node, ast.IfExp):
            self._expr(node.test, env)
            a, b = self._expr(node.body, env), self._expr(node.orelse, env)
            return a if a is not None else b
        if isinstance(node, ast.BoolOp):
            types = [self._expr(v, env) for v in node.values]
            return next((t for t in types if t is not None), None)
        if isinstance(node, ast.Lambda):
            inner = dict(env)
            for param in node.args.args:
                inner[param.arg] = None
            self._expr(node.body, inner)
            return Fact("lambda")
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = dict(env)
            for gen in node.generators:
                item = self._iterate(gen.iter, inner)
                self._bind(gen.target, item, inner)
                if isinstance(gen.target, ast.Name) and isinstance(gen.iter, (ast.Name, ast.Tuple)):
                    strings = self._loop_strings(gen.iter, inner)
                    if strings:
                        inner[f"__strings__{gen.target.id}"] = Fact("\0".join(strings))
                for cond in gen.ifs:
                    self._expr(cond, inner)
            if isinstance(node, ast.DictComp):
                self._expr(node.key, inner)
                self._expr(node.value, inner)
                return Scalar()
            item = self._expr(node.elt, inner)
            return Arr(item)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._expr(child, env)
        return None

    def _loop_rows(self, target: ast.Tuple, it: ast.expr, env: dict[str, T]) -> None:
        """``for name, label in (("http_get", "httpGet"), ...)``: each name's strings."""
        if not isinstance(it, (ast.Tuple, ast.List)):
            return
        rows = [r for r in it.elts if isinstance(r, ast.Tuple) and len(r.elts) == len(target.elts)]
        if len(rows) != len(it.elts):
            return
        for i, el in enumerate(target.elts):
            column = [r.elts[i] for r in rows]
            if isinstance(el, ast.Name) and all(
                isinstance(c, ast.Constant) and isinstance(c.value, str) for c in column
            ):
                env[f"__strings__{el.id}"] = Fact("\0".join(str(c.value) for c in column))  # type: ignore[attr-defined]

    def _loop_strings(self, it: ast.expr, env: dict[str, T]) -> list[str] | None:
        if isinstance(it, ast.Name) and it.id in self.consts:
            return list(self.consts[it.id])
        if isinstance(it, ast.Tuple) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in it.elts
        ):
            return [str(e.value) for e in it.elts if isinstance(e, ast.Constant)]
        return None

    def _compared(self, left: T, right: ast.expr, env: dict[str, T]) -> None:
        if isinstance(left, Enum) and self._recording:
            for value in self._strings(right, env) or []:
                self.out.enum_values.add((left.api, value))
                if value not in left.values:
                    self._violation(right, f"{left.schema}.{left.field} has no value {value!r}")

    def _module_attr(self, base: Fact, node: ast.Attribute) -> T:
        module = base.what.removeprefix("module ")
        if module.startswith("google.cloud") or re.fullmatch(r"\w+_v\d\w*", module):
            return Fact(f"client type {node.attr}")
        return Fact(f"{base.what}.{node.attr}")

    def _client_schema(self, cls: str) -> str | None:
        schemas = d.document(self.api)["schemas"]
        if cls in schemas:
            return cls
        return next((s for s in schemas if re.fullmatch(rf"Google\w*?V\d\w*?{cls}", s)), None)

    def _enum_value(self, base: Fact, node: ast.Attribute) -> T:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]+", node.attr):
            return None
        if self._recording:
            known = {
                v
                for s in d.document(self.api)["schemas"].values()
                for p in s.get("properties", {}).values()
                for v in (p.get("enum") or (p.get("items") or {}).get("enum") or [])
            }
            self.out.enum_values.add((self.api, node.attr))
            if node.attr not in known:
                self._violation(node, f"{node.attr} is no enum value of {d.DOCUMENTS[self.api]}")
        return Scalar()

    def _call(self, node: ast.Call, env: dict[str, T]) -> T:
        func = node.func
        args = [self._expr(a, env) for a in node.args]
        for kw in node.keywords:
            self._expr(kw.value, env)
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        # (api, label) pairs: what Transport.call / pages get, directly or through a helper of the module.
        forwards = name in ("call", "pages") or name in self.fns or f"{self._cls()}.{name}" in self.fns
        labels = self._labels(node, env) if forwards else []
        if self._recording:
            for label in labels:
                self.out.labels.add(label)
                callee = self.fns.get(name) or self.fns.get(f"{self._cls()}.{name}")
                if name == "pages" or (callee is not None and _calls_pages(callee.node)):
                    self.out.paged.add(label)
        transport_call = name == "pages" or (
            name == "call"
            and isinstance(func, ast.Attribute)
            and ast.unparse(func.value).endswith("transport")
        )
        if transport_call and not labels and not self._forwarded(node):
            # Fail closed: a call whose method the walk cannot name would read untyped answers.
            self._violation(node, f"{name}(...) with an (api, label) the walk cannot resolve to constants")
        if labels and name in ("call", "pages"):
            types: list[T] = []
            for label in labels:
                method = self.calls.get(label)
                if method is None:
                    self._violation(node, f"{label} is not in CALLS (which discovery method is it?)")
                    continue
                api = _api_key(label[0]) or self.api
                resp = d.method_by_id(api, method).response
                t: T = Msg(api, resp) if resp else Scalar()
                if label in self.lro and isinstance(t, Msg):
                    t = Lro(t)
                types.append(Arr(t) if name == "pages" else t)
            if not types:
                return None
            return types[0] if len(set(types)) == 1 else OneOf(tuple(types))
        if isinstance(func, ast.Attribute):
            base = self._expr(func.value, env)
            if isinstance(base, Fact) and base.what.startswith("client type ") and func.attr == "pb":
                return base  # Message.pb(): the raw protobuf class of the same message
            if isinstance(base, Fact) and base.what.startswith("client type "):
                schema = self._client_schema(func.attr)
                if schema is None:
                    self._violation(node, f"{func.attr} names no schema of {d.DOCUMENTS[self.api]}")
                    return None
                msg = Msg(self.api, schema)
                for kw in node.keywords:
                    if kw.arg:
                        self._read(msg, kw.arg, kw)
                return msg
            if isinstance(base, (Msg, OneOf)) and func.attr == "HasField":
                for s in self._strings(node.args[0], env) or []:
                    self._read(base, s, node)
                return Scalar()
            if isinstance(base, Msg) and func.attr == "get" and node.args:
                got = [self._read(base, s, node) for s in self._strings(node.args[0], env) or []]
                return got[0] if len(got) == 1 else None
            if isinstance(base, MapOf) and func.attr == "items":
                return Arr(None)
            if isinstance(base, Fact) and base.what == "self":
                return self._bind_call(f"{self._cls()}.{func.attr}", node, args, env, skip_self=True)
            if isinstance(base, Fact):
                return Fact(f"result of {base.what}.{func.attr}()")
            return None
        if isinstance(func, ast.Name):
            if func.id == "getattr" and len(node.args) >= 2:
                names = self._strings(node.args[1], env) or []
                if not names and isinstance(args[0], (Msg, OneOf)) and self._recording:
                    # A field named at run time: the walk cannot see which; UNTYPED must say.
                    self.out.untyped.add((self._current, f"getattr({ast.unparse(node.args[1])})"))
                types = [self._read(args[0], n, node, optional=len(node.args) == 3) for n in names]
                types = [t for t in types if t is not None]
                if not types:
                    return None
                return types[0] if len(set(types)) == 1 else OneOf(tuple(types))
            if func.id in PASSTHROUGH and args:
                return args[0]
            if func.id in self.fns:
                return self._bind_call(func.id, node, args, env, skip_self=False)
            if func.id[:1].isupper():
                return Fact(f"instance {func.id}")
        return None

    def _cls(self) -> str:
        fn = self.fns.get(self._current)
        return fn.cls or "" if fn else ""

    def _bind_call(
        self, qualname: str, node: ast.Call, args: list[T], env: dict[str, T], *, skip_self: bool
    ) -> T:
        fn = self.fns.get(qualname)
        if fn is None:
            return None
        params = fn.params[1:] if skip_self else fn.params
        for p, t in zip(params, args, strict=False):
            if t is not None and not isinstance(t, Fact) and (qualname, p) not in self.param_types:
                self.param_types[(qualname, p)] = t
        row: list[tuple[str, str]] = []
        for p, a in zip(params, node.args, strict=False):
            key = (qualname, p)
            strings = self._strings(a, env)
            if strings is not None and len(strings) == 1:
                row.append((p, strings[0]))
            if strings is None or (key in self.param_strings and self.param_strings[key] is None):
                self.param_strings[key] = None
            else:
                self.param_strings[key] = tuple(
                    dict.fromkeys([*(self.param_strings.get(key) or ()), *strings])
                )
        self.param_rows[qualname] = self.param_rows.get(qualname, frozenset()) | {tuple(row)}
        ret = fn.node.returns
        if qualname in self.returns:
            return self.returns[qualname]
        if ret is not None and ast.unparse(ret) not in ("Any", "None"):
            return Fact(f"returns {ast.unparse(ret)}")
        return None


def _calls_pages(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "pages"
        for n in ast.walk(node)
    )


def _api_key(text: str) -> str | None:
    head = text.split(".")[0]
    return head if head in d.DOCUMENTS else None


def _string_constants(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Tuple, ast.List, ast.Set)):
            values = node.value.elts
            if values and all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        out[target.id] = tuple(str(v.value) for v in values if isinstance(v, ast.Constant))
    return out
