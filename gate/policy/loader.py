"""Policy files to a :class:`gate.model.Policy`: includes, variables, validation.

Every problem found is collected and raised at once as an
:class:`~gate.errors.InputError`, sorted by position, so one run of
``gate validate`` shows everything to fix. Nothing here calls an API or imports
a Google client: a policy is proven valid offline. Variable substitution lives
in :mod:`gate.policy.interpolate`, the ``needs:`` graph checks in :mod:`gate.policy.graph`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gate import durations, registry
from gate import waivers as waiver_rules
from gate.errors import Diagnostic, InputError, UsageError
from gate.model import CheckSpec, DeployTarget, Policy, RolloutPlan, Severity, SourceRef, Timing, Waiver
from gate.policy import schema
from gate.policy.bundled import bundled_dir
from gate.policy.graph import check_graph
from gate.policy.interpolate import (
    BUILTINS,
    Unbound,
    apply_cli_vars,
    has_unbound,
    interpolate,
    is_unbound,
    reserved_vars,
    scalars,
    text,
)
from gate.policy.yamlsafe import Document, Key, format_path
from gate.policy.yamlsafe import load as load_yaml
from gate.redact import Redactor


@dataclass
class _Item:
    """One check mapping after interpolation, and where each part was written."""

    data: dict[str, Any]
    doc: Document
    base: Key
    # ("severity",) or ("retry", "deadline") -> (policy document, path of the override value)
    overridden: dict[Key, tuple[Document, Key]] = field(default_factory=dict)
    via: SourceRef | None = None  # the include: entry that brought a library check in

    def at(self, sub: Key, *, key: bool = False) -> tuple[SourceRef, str]:
        for n in (2, 1):
            hit = self.overridden.get(tuple(sub[:n]))
            if hit and len(sub) >= n:
                doc, base = hit
                path = (*base, *sub[n:])
                return doc.ref(path, key=key), format_path(path)
        path = (*self.base, *sub)
        return self.doc.ref(path, key=key), format_path(path)


class _Run:
    """The diagnostics of one load, and the files in the order they were met."""

    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []
        self.files: list[str] = []

    def add(self, doc: Document, path: Key, message: str, *, key: bool = False) -> None:
        self.diags.append(Diagnostic(doc.ref(path, key=key), format_path(path), message))

    def at(self, where: tuple[SourceRef, str], message: str) -> None:
        self.diags.append(Diagnostic(where[0], where[1], message))

    def problems(self, doc: Document, problems: list[schema.Problem]) -> None:
        for path, key, message in problems:
            self.add(doc, path, message, key=key)

    def absorb(self, e: InputError) -> None:
        self.diags.extend(e.diagnostics)

    def raise_if_any(self) -> None:
        if not self.diags:
            return
        order: dict[str, int] = {}
        for f in self.files:
            order.setdefault(f, len(order))
        unique = list(dict.fromkeys(self.diags))

        def sort_key(d: Diagnostic) -> tuple[int, int, int]:
            if d.source is None:
                return (-1, 0, 0)
            return (order.get(d.source.file, len(order)), d.source.line, d.source.col)

        raise InputError(_redacted(sorted(unique, key=sort_key)))


def _redacted(diags: list[Diagnostic]) -> list[Diagnostic]:
    # Messages quote the user's values; a token pasted into a policy must not be echoed.
    r = Redactor()
    return [Diagnostic(d.source, d.path, r.text(d.message)) for d in diags]


# --------------------------------------------------------------------------- documents


def _display(path: str | Path) -> str:
    return str(path)


def _check_items(doc: Document, checks: Any) -> list[_Item]:
    if not isinstance(checks, list):
        return []
    return [_Item(c, doc, ("checks", i)) for i, c in enumerate(checks) if isinstance(c, dict)]


def _resolve_include(policy_file: Path, name: str) -> tuple[Path | None, list[Path]]:
    here = policy_file.parent
    # normpath, not Path.parent: the parent of "." must be "..", and names print as the user wrote them.
    sibling = Path(os.path.normpath(os.path.join(here, "..", "checks", name)))
    candidates = [here / name, sibling, bundled_dir("checks") / name]
    for c in candidates:
        if c.is_file():
            return c, candidates
    return None, candidates


def _library_params(lib: Document, run: _Run) -> dict[str, dict[str, Any]]:
    params = lib.data.get("params")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in params.items() if isinstance(params, dict) else ():
        if not isinstance(spec, dict):
            continue
        out[name] = spec
        if spec.get("required") is True and "default" in spec:
            run.add(lib, ("params", name, "default"), "a required parameter cannot have a default", key=True)
    reserved_vars(lib, ("params",), params, run)
    return out


def _include(
    doc: Document, index: int, entry: dict[str, Any], scope: dict[str, Any], run: _Run
) -> tuple[list[_Item], set[str]]:
    """The checks one ``include:`` entry brings in, and the ids it excludes."""
    here: Key = ("include", index)
    name = entry.get("file")
    if not isinstance(name, str) or not name:
        return [], set()
    found, looked = _resolve_include(Path(doc.file), name)
    if found is None:
        places = ", ".join(str(p.parent) + "/" for p in looked)
        run.add(doc, (*here, "file"), f"check library {schema.quoted(name)} not found (looked in {places})")
        return [], set()
    lib_name = _display(found)
    run.files.append(lib_name)
    try:
        lib = load_yaml(found, lib_name)
    except InputError as e:
        run.absorb(e)
        return [], set()
    if lib.data.get("kind") != "CheckLibrary":
        msg = f"{schema.quoted(name)} is not a check library (it needs kind: CheckLibrary)"
        run.add(doc, (*here, "file"), msg)
        return [], set()
    params = _library_params(lib, run)
    given = scalars(entry.get("vars"))
    for var in given:
        if var not in params:
            hint = schema.suggest(var, params)
            msg = f"unknown parameter {schema.quoted(var)} of {name}{hint}"
            run.add(doc, (*here, "vars", var), msg, key=True)
    lib_scope = dict(scope)
    for pname, spec in params.items():
        if "default" in spec:
            lib_scope[pname] = spec["default"]
        elif pname not in given and spec.get("required") is True:
            run.add(doc, here, f"missing required parameter {schema.quoted(pname)} of {name}")
            lib_scope[pname] = Unbound(pname)
    lib_scope.update({k: v for k, v in given.items() if k in params})
    checks = interpolate(lib.data.get("checks"), lib_scope, lib, ("checks",), run)
    lib_data = {**lib.data, "checks": checks}
    run.problems(lib, schema.schema_problems(schema.LIBRARY, lib_data, lib.raw, skip=is_unbound))
    items = _check_items(lib, checks)
    for item in items:
        item.via = doc.ref(here)
    return _select(doc, here, entry, items, run)


def _select(
    doc: Document, here: Key, entry: dict[str, Any], items: list[_Item], run: _Run
) -> tuple[list[_Item], set[str]]:
    by_id: dict[str, _Item] = {i.data["id"]: i for i in items if isinstance(i.data.get("id"), str)}
    excluded: set[str] = set()
    exclude = entry.get("exclude")
    for j, cid in enumerate(exclude if isinstance(exclude, list) else []):
        if isinstance(cid, str) and cid not in by_id:
            msg = f"no check {schema.quoted(cid)} to exclude{schema.suggest(cid, by_id)}"
            run.add(doc, (*here, "exclude", j), msg)
        elif isinstance(cid, str):
            excluded.add(cid)
    overrides = entry.get("overrides")
    for cid, fields in overrides.items() if isinstance(overrides, dict) else ():
        item = by_id.get(cid)
        if item is None:
            run.add(
                doc,
                (*here, "overrides", cid),
                f"no check {schema.quoted(cid)} to override{schema.suggest(cid, by_id)}",
                key=True,
            )
            continue
        if not isinstance(fields, dict):
            continue
        at: Key = (*here, "overrides", cid)
        for fname, value in fields.items():
            if fname not in schema.OVERRIDABLE:
                continue  # reported by the schema
            if fname == "retry" and isinstance(value, dict) and isinstance(item.data.get("retry"), dict):
                item.data["retry"] = {**item.data["retry"], **value}
                for k in value:
                    item.overridden[("retry", k)] = (doc, (*at, "retry", k))
            else:
                item.data[fname] = value
                item.overridden[(fname,)] = (doc, (*at, fname))
    return [i for i in items if i.data.get("id") not in excluded], excluded


def _policy_items(doc: Document, scope: dict[str, Any], run: _Run) -> tuple[list[_Item], set[str], Any]:
    """The checks (included ones first), the ids excluded, and the interpolated ``waivers:``."""
    includes = interpolate(doc.data.get("include"), scope, doc, ("include",), run)
    checks = interpolate(doc.data.get("checks"), scope, doc, ("checks",), run)
    waived = interpolate(doc.data.get("waivers"), scope, doc, ("waivers",), run)
    data = {**doc.data, "checks": checks} if "checks" in doc.data else dict(doc.data)
    if "include" in doc.data:
        data["include"] = includes
    if "waivers" in doc.data:
        data["waivers"] = waived
    run.problems(doc, schema.schema_problems(schema.POLICY, data, doc.raw, skip=is_unbound))
    items: list[_Item] = []
    excluded: set[str] = set()
    for i, entry in enumerate(includes if isinstance(includes, list) else []):
        if isinstance(entry, dict):
            got, gone = _include(doc, i, entry, scope, run)
            items.extend(got)
            excluded |= gone
    items.extend(_check_items(doc, checks))
    return items, excluded, waived


# --------------------------------------------------------------------------- checks


def _seconds(value: Any, fallback: float) -> float:
    try:
        return durations.parse(value) if isinstance(value, str) else fallback
    except ValueError:
        return fallback  # already reported by the schema


def _timing(item: _Item, defaults: Any, run: _Run) -> Timing:
    d = defaults if isinstance(defaults, dict) else {}
    base = Timing()
    retry: dict[str, Any] = {}
    for part in (d.get("retry"), item.data.get("retry")):
        if isinstance(part, dict):
            retry.update(part)
    timeout = _seconds(item.data.get("timeout", d.get("timeout")), base.timeout)
    if timeout <= 0:
        run.at(item.at(("timeout",)), "timeout must be more than 0s")
    successes = retry.get("successes", base.successes)
    return Timing(
        timeout=timeout,
        interval=_seconds(retry.get("interval"), base.interval),
        deadline=_seconds(retry.get("deadline"), base.deadline),
        successes=successes if isinstance(successes, int) and not isinstance(successes, bool) else 1,
    )


def _sub_path(text: str) -> Key:
    """``assert[1].value`` -> ("assert", 1, "value")."""
    out: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        out.append(int(index) if index else name)
    return tuple(out)


def _params(item: _Item, cls: Any, run: _Run) -> dict[str, Any]:
    params = item.data.get("with", {})
    if not isinstance(params, dict):
        return {}  # reported by the schema
    base = (*item.base, "with")
    # Values still holding an unbound parameter (a library on its own) are judged where it is included.
    found = schema.schema_problems(cls.params_schema, params, item.doc.raw, base, skip=is_unbound)
    for path, key, message in found:
        run.at(item.at(path[len(item.base) :], key=key), message)
    if not found and not has_unbound(params):
        for sub, message in cls.semantic_errors(params):
            run.at(item.at(("with", *_sub_path(sub))), message)
    return params


def _spec(item: _Item, defaults: Any, run: _Run) -> CheckSpec | None:
    cid, ctype = item.data.get("id"), item.data.get("type")
    if not isinstance(cid, str) or not isinstance(ctype, str):
        return None  # reported by the schema
    try:
        cls = registry.get(ctype) if not has_unbound(ctype) else None
    except KeyError:
        hint = schema.suggest(ctype, registry.names()) or "; see gate list-checks"
        run.at(item.at(("type",)), f"unknown check type {schema.quoted(ctype)}{hint}")
        cls = None
    params = _params(item, cls, run) if cls is not None else {}
    needs = item.data.get("needs")
    severity = item.data.get("severity", "block")
    description = item.data.get("description", "")
    return CheckSpec(
        id=cid,
        type=ctype,
        params=params,
        severity=Severity(severity) if severity in ("block", "warn") else Severity.BLOCK,
        timing=_timing(item, defaults, run),
        needs=tuple(n for n in needs if isinstance(n, str)) if isinstance(needs, list) else (),
        description=description if isinstance(description, str) else "",
        source=item.doc.ref(item.base),
        included_at=item.via,
    )


def _resolve(items: list[_Item], defaults: Any, excluded: set[str], run: _Run) -> list[CheckSpec]:
    pairs = [(item, spec) for item in items if (spec := _spec(item, defaults, run)) is not None]
    check_graph(pairs, excluded, run)
    return [spec for _, spec in pairs]


# --------------------------------------------------------------------------- public API


def _open(path: str | Path, run: _Run) -> Document:
    display = _display(path)
    run.files.append(display)
    return load_yaml(path, display)


def _where_checks(doc: Document) -> tuple[SourceRef, str]:
    if "checks" in doc.data:
        return doc.ref(("checks",), key=True), "checks"
    return doc.ref(()), ""


def load_policy(
    path: str | Path,
    *,
    vars: Mapping[str, str] = {},
    project: str | None = None,
    today: date | None = None,
) -> Policy:
    """Load and fully validate a policy; raises InputError listing every problem.

    ``vars`` (from ``--var``) replace the policy's own values; ``project``, when
    given, replaces the policy's ``project:`` (and so ``${project}``). ``today``
    is the UTC date an expired waiver is judged against (default: now; tests
    pass their own, see :func:`gate.waivers.today`).
    """
    run = _Run()
    doc = _open(path, run)
    data = doc.data
    if data.get("kind") == "CheckLibrary":
        run.add(doc, ("kind",), "this is a check library, not a policy: include it from a policy")
        run.raise_if_any()
    declared = scalars(data.get("vars"))
    reserved_vars(doc, ("vars",), data.get("vars"), run)
    apply_cli_vars(doc, declared, vars, run)
    proj = project if project is not None else data.get("project")
    region = data.get("region")
    scope: dict[str, Any] = {**declared}
    scope["project"] = proj if isinstance(proj, str) else ""
    scope["region"] = region if isinstance(region, str) else ""
    items, excluded, waived = _policy_items(doc, scope, run)
    specs = _resolve(items, data.get("defaults"), excluded, run)
    waivers = _waivers(doc, waived, specs, excluded, run)
    for d in waiver_rules.expired(waivers, today if today is not None else waiver_rules.today()):
        run.at((d.source or doc.ref(("waivers",)), d.path), d.message)
    if not items and data.get("checks", []) == []:
        run.at(_where_checks(doc), "policy has no checks: an empty policy is an error, not a pass")
    elif specs and not any(s.blocking for s in specs):
        msg = "a policy must have at least one blocking check (every check here is severity: warn)"
        run.at(_where_checks(doc), msg)
    target = _target(doc, scope, run)
    rollout = _rollout(doc, scope, run, specs)
    run.raise_if_any()
    endpoints = data.get("endpoints")
    return Policy(
        project=str(proj),
        region=str(region),
        checks=tuple(specs),
        vars={k: text(v) for k, v in declared.items()},
        source=_display(path),
        endpoints=dict(endpoints) if isinstance(endpoints, dict) else {},
        target=target,
        waivers=waivers,
        rollout=rollout,
    )


def _rollout(doc: Document, scope: dict[str, Any], run: _Run, specs: list[CheckSpec]) -> RolloutPlan | None:
    """The policy's ``rollout:`` (shape already checked by the schema), selectors resolved to ids."""
    if not isinstance(doc.data.get("rollout"), dict):
        return None
    from gate.policy import rollout_section

    value = interpolate(doc.data["rollout"], scope, doc, ("rollout",), run)
    return rollout_section.parse(
        value, specs, lambda path, message: run.add(doc, path, message), lambda path: doc.ref(path)
    )


def _waivers(
    doc: Document, waived: Any, specs: list[CheckSpec], excluded: set[str], run: _Run
) -> tuple[Waiver, ...]:
    """The policy's ``waivers:`` (shape already checked by the schema) against the resolved checks.

    A waiver names a check by its final id (an included check's id after substitution),
    so a typo cannot waive nothing in silence; one waiver per check, so which one applied
    is never a question of order.
    """
    ids = [s.id for s in specs]
    first: dict[str, SourceRef] = {}
    out: list[Waiver] = []
    for i, entry in enumerate(waived if isinstance(waived, list) else []):
        if not isinstance(entry, dict):
            continue
        at: Key = ("waivers", i)
        cid, expires, match = entry.get("check"), entry.get("expires"), entry.get("match")
        ok = isinstance(cid, str) and all(
            isinstance(entry.get(k), str) for k in ("reason", "owner", "expires")
        )
        if isinstance(cid, str) and cid not in ids and not is_unbound(cid):
            if cid in excluded:
                msg = (
                    f"check {schema.quoted(cid)} is excluded by its include: entry: there is nothing to waive"
                )
            else:
                msg = f"no check {schema.quoted(cid)} to waive{schema.suggest(cid, ids)}"
            run.add(doc, (*at, "check"), msg)
            ok = False
        elif isinstance(cid, str) and cid in first:
            msg = (
                f"a second waiver for check {schema.quoted(cid)} (the first is at {first[cid]}): "
                "give one waiver per check; its match: can list several messages (a|b)"
            )
            run.add(doc, (*at, "check"), msg)
            ok = False
        elif isinstance(cid, str):
            first[cid] = doc.ref(at)
        day = _date(expires)
        if isinstance(expires, str) and re.fullmatch(schema.DATE_PATTERN, expires) and day is None:
            run.add(doc, (*at, "expires"), f"{schema.quoted(expires)} is not a calendar date")
        if isinstance(match, str):
            try:
                re.compile(match)
            except re.error as e:
                run.add(doc, (*at, "match"), f"invalid regular expression {schema.quoted(match)}: {e}")
                ok = False
        if ok and day is not None and isinstance(cid, str) and (match is None or isinstance(match, str)):
            out.append(
                Waiver(
                    check=cid,
                    reason=str(entry["reason"]),
                    owner=str(entry["owner"]),
                    expires=day,
                    match=match,
                    source=doc.ref(at),
                )
            )
    return tuple(out)


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(schema.DATE_PATTERN, value):
        return None  # the schema says what a date looks like
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _target(doc: Document, scope: dict[str, Any], run: _Run) -> DeployTarget | None:
    """The policy's ``target:`` (shape already checked by the schema), variables substituted."""
    if not isinstance(doc.data.get("target"), dict):
        return None
    value = interpolate(doc.data["target"], scope, doc, ("target",), run)
    if not isinstance(value, dict):
        return None
    fields = {k: text(v) for k, v in value.items() if k in ("service", "tag", "revision") and v}
    if fields.get("tag") and fields.get("revision"):
        run.add(doc, ("target", "revision"), "give either tag or revision, not both")
    selector = "tag" in fields or "revision" in fields
    return DeployTarget(
        service=fields.get("service"),
        tag=fields.get("tag"),
        revision=fields.get("revision"),
        source="policy target" if selector else "",
    )


def _validate_library(path: str | Path) -> None:
    run = _Run()
    doc = _open(path, run)
    params = _library_params(doc, run)
    scope: dict[str, Any] = {name: Unbound(name) for name in BUILTINS}
    for name, spec in params.items():
        scope[name] = spec["default"] if "default" in spec else Unbound(name)
    checks = interpolate(doc.data.get("checks"), scope, doc, ("checks",), run)
    lib_data = {**doc.data, "checks": checks}
    run.problems(doc, schema.schema_problems(schema.LIBRARY, lib_data, doc.raw, skip=is_unbound))
    items = _check_items(doc, checks)
    _resolve(items, None, set(), run)
    if isinstance(checks, list) and not checks:
        run.at(_where_checks(doc), "check library has no checks")
    run.raise_if_any()


def validate_file(path: str | Path, *, today: date | None = None) -> list[Diagnostic]:
    """Every problem in a policy or check-library file; [] when it is valid."""
    return inspect_file(path, today=today)[0]


def inspect_file(path: str | Path, *, today: date | None = None) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(problems, warnings) of a policy or check-library file. Warnings never make a file
    invalid: a waiver that ends within :data:`gate.waivers.WARN_DAYS` days."""
    on = today if today is not None else waiver_rules.today()
    try:
        doc = load_yaml(path, _display(path))
        if doc.data.get("kind") == "CheckLibrary":
            _validate_library(path)
            return [], []
        policy = load_policy(path, today=on)
    except InputError as e:
        return _redacted(e.diagnostics), []
    return [], _redacted(waiver_rules.expiring(policy.waivers, on))


_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9.:-]*$")


def find_policy(project: str, cwd: str | Path | None = None) -> Path:
    """``./policies/<project>.yaml``, else the bundled policy of that name."""
    if not _PROJECT_NAME.match(project):
        raise UsageError(f"invalid project id {project!r}: expected lowercase letters, digits and -")
    local = Path(cwd) if cwd is not None else Path()
    candidates = [local / "policies" / f"{project}.yaml", bundled_dir("policies") / f"{project}.yaml"]
    for c in candidates:
        if c.is_file():
            return c
    looked = ", ".join(str(c) for c in candidates)
    raise UsageError(f"no policy for project {project!r}: looked for {looked}; pass --policy FILE")
