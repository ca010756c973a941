"""The policy and check-library JSON Schema, and plain-words error messages.

Two uses, kept apart on purpose. Editors get one document schema
(:func:`build_schema`) in which each check's ``with:`` is tied to its type by
``if type == X then with: $ref``. Error *reporting* never validates against
that: a failing ``if/then`` or ``oneOf`` yields messages about every branch.
The loader instead checks the fixed envelope (:data:`POLICY`, :data:`LIBRARY`)
and then each ``with:`` against its own type's schema
(:func:`params_errors`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jsonschema

from gate import durations, registry
from gate.policy.yamlsafe import Key

API_VERSION = "gate/v1"
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
APIS = (
    "run",
    "vpcaccess",
    "redis",
    "sqladmin",
    "compute",
    "logging",
    "monitoring",
    "secretmanager",
    "networkmanagement",
)
# Where the file lives: docs/gate-policy.schema.json in the repository (`gate schema` prints it).
SCHEMA_ID = "https://github.com/netrasystems/gate/raw/main/docs/gate-policy.schema.json"

# ``x-expected`` is ours (validators ignore unknown keywords): the words used when
# a value does not fit, instead of a regex nobody wants to read.
_VAR_REF = r"|^.*\$\{[^}]*\}.*$"
_WHOLE_VAR = {
    "type": "string",
    "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$",
    "description": "A variable whose value is used with its own type.",
}


def _duration(editor: bool) -> dict[str, Any]:
    pattern = durations.PATTERN + (_VAR_REF if editor else "")
    return {"type": "string", "pattern": pattern, "x-expected": 'a duration like "10s"'}


def _successes(editor: bool) -> dict[str, Any]:
    plain = {"type": "integer", "minimum": 1}
    return {"anyOf": [plain, _WHOLE_VAR]} if editor else plain


def _retry(editor: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Poll until the check passes: pause, overall deadline (0 = one attempt), "
        "consecutive passes required.",
        "additionalProperties": False,
        "properties": {
            "interval": _duration(editor),
            "deadline": _duration(editor),
            "successes": _successes(editor),
        },
    }


def _scalar() -> dict[str, Any]:
    return {"type": ["string", "number", "boolean"], "x-expected": "a string, number or true/false"}


def _check(editor: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "type"],
        "properties": {
            "id": {
                "type": "string",
                "pattern": ID_PATTERN + (_VAR_REF if editor else ""),
                "x-expected": 'an id of lowercase letters, digits, ".", "_" and "-" like "backend-health"',
            },
            "type": {"type": "string", "description": "A check type; see `gate list-checks`."},
            "description": {"type": "string"},
            "severity": {"enum": ["block", "warn"]},
            "timeout": _duration(editor),
            "retry": _retry(editor),
            "needs": {"type": "array", "items": {"type": "string"}},
            "with": {"type": "object", "description": "The type's parameters; see `gate explain TYPE`."},
        },
    }


OVERRIDABLE = ("severity", "timeout", "retry", "needs", "description")


def _override(editor: bool) -> dict[str, Any]:
    props = {k: v for k, v in _check(editor)["properties"].items() if k in OVERRIDABLE}
    return {"type": "object", "additionalProperties": False, "properties": props}


def _names(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"pattern": VAR_PATTERN, "x-expected": "a name of letters, digits and _"},
        "additionalProperties": values,
    }


def _target() -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    return {
        "type": "object",
        "description": "The revision every revision-targeting check and service probe judges, unless "
        "a check names its own revision or tag. `gate check --tag/--revision/--service` override it.",
        "additionalProperties": False,
        "properties": {
            "service": {
                **text,
                "description": "Only this Cloud Run service's checks follow the target (default: every "
                "service's). Also the service --promote and --rollback-on-fail act on.",
            },
            "tag": {**text, "description": "Judge the revision behind this traffic tag (e.g. candidate)."},
            "revision": {**text, "description": "Judge this revision (short name)."},
        },
    }


DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _waiver(editor: bool) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    return {
        "type": "object",
        "description": "Accept one check's FAIL until a date: it is reported as WAIVED and does not "
        "block. ERROR, SKIP and CANCELLED are never waived. See docs/POLICY.md.",
        "additionalProperties": False,
        "required": ["check", "reason", "owner", "expires"],
        "properties": {
            "check": {**text, "description": "The id of the check (an included check by its final id)."},
            "reason": {**text, "description": "Why the failure is accepted, e.g. the ticket fixing it."},
            "owner": {**text, "description": "Who answers for the waiver (a team or an address)."},
            "expires": {
                "type": "string",
                "pattern": DATE_PATTERN + (_VAR_REF if editor else ""),
                "x-expected": 'a date like "2025-07-01" (YYYY-MM-DD)',
                "description": "The last day the waiver is in force (it ends at 00:00 UTC the next day).",
            },
            "match": {
                **text,
                "description": "A regular expression searched in the FAIL summary; only a FAIL it "
                "finds is waived (default: any FAIL of the check).",
            },
        },
    }


def _rollout() -> dict[str, Any]:
    from gate.policy.rollout_section import section_schema

    return section_schema()


def policy_schema(editor: bool = False) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "project", "region"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": "Policy"},
            "project": {"type": "string", "minLength": 1},
            "region": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "vars": _names(_scalar()),
            "endpoints": {
                "type": "object",
                "propertyNames": {"enum": list(APIS)},
                "additionalProperties": {
                    "type": "string",
                    "pattern": r"^https?://[^\s/]+" + (_VAR_REF if editor else ""),
                    "x-expected": 'a URL like "https://run.example.internal"',
                },
            },
            "target": _target(),
            "rollout": _rollout(),
            "defaults": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"timeout": _duration(editor), "retry": _retry(editor)},
            },
            "include": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "minLength": 1},
                        "vars": _names(_scalar()),
                        "overrides": {"type": "object", "additionalProperties": _override(editor)},
                        "exclude": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "checks": {"type": "array", "items": _check(editor)},
            "waivers": {"type": "array", "items": _waiver(editor)},
        },
    }


def library_schema(editor: bool = False) -> dict[str, Any]:
    param = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string"},
            "required": {"type": "boolean"},
            "default": _scalar(),
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "checks"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": "CheckLibrary"},
            "description": {"type": "string"},
            "params": _names(param),
            "checks": {"type": "array", "items": _check(editor)},
        },
    }


POLICY = policy_schema()
LIBRARY = library_schema()


def _embeddable(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "$schema"}


def _or_var(schema: Any) -> Any:
    """Accept what the loader accepts before interpolation: every value may be a whole
    ``${var}``, and a patterned string (a URL, a duration) may hold ``${var}`` anywhere,
    since the loader judges it only once the variables are substituted."""
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for k, v in schema.items():
        if k == "pattern" and isinstance(v, str):
            out[k] = f"(?:{v}){_VAR_REF}"
        elif k in ("properties", "patternProperties") and isinstance(v, Mapping):
            out[k] = {n: {"anyOf": [_or_var(s), _WHOLE_VAR]} for n, s in v.items()}
        elif k in ("items", "additionalProperties") and isinstance(v, Mapping):
            out[k] = {"anyOf": [_or_var(v), _WHOLE_VAR]}
        elif k in ("anyOf", "oneOf", "allOf") and isinstance(v, list):
            out[k] = [_or_var(s) for s in v]
        else:
            out[k] = v
    return out


def build_schema() -> dict[str, Any]:
    """The whole document schema, for editors (``# yaml-language-server: $schema=...``)."""
    defs: dict[str, Any] = {"policy": policy_schema(True), "library": library_schema(True)}
    branches = []
    for cls in registry.all_types():
        name = f"with.{cls.name}"
        defs[name] = {"description": cls.summary, **_or_var(_embeddable(cls.params_schema))}
        branches.append(
            {
                "if": {"properties": {"type": {"const": cls.name}}, "required": ["type"]},
                "then": {"properties": {"with": {"$ref": f"#/$defs/{name}"}}},
            }
        )
    type_names = [cls.name for cls in registry.all_types()]
    for kind in ("policy", "library"):
        check = defs[kind]["properties"]["checks"]["items"]
        check["properties"]["type"]["enum"] = type_names
        check["allOf"] = branches
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "gate policy or check library (apiVersion gate/v1)",
        "type": "object",
        "if": {"properties": {"kind": {"const": "CheckLibrary"}}, "required": ["kind"]},
        "then": {"$ref": "#/$defs/library"},
        "else": {"$ref": "#/$defs/policy"},
        "$defs": defs,
    }


# --------------------------------------------------------------------------- messages


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` or ""."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)".replace("'", '"') if close else ""


def quoted(text: str) -> str:
    if len(text) > 60:
        cut = text[:57]
        space = cut.rfind(" ")
        text = (cut[:space] if space > 30 else cut) + "..."  # between words where there are any
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def describe(value: Any) -> str:
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {quoted(value)}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


# (path inside the validated value, True if the position is the key's, message)
Problem = tuple[Key, bool, str]


def schema_problems(
    schema: Mapping[str, Any],
    instance: Any,
    raw: Mapping[Key, str] | None = None,
    base: Key = (),
    skip: Callable[[Any], bool] | None = None,
) -> list[Problem]:
    """Every way ``instance`` breaks ``schema``, in plain words.

    ``skip`` drops errors about values that cannot be judged yet (a library's
    parameters before it is included).
    """
    validator = _validator(schema)
    out: list[Problem] = []
    for error in validator.iter_errors(instance):
        if skip is not None and skip(error.instance):
            continue
        out.extend(_explain(error, raw or {}, base))
    return out


_validators: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(schema: Mapping[str, Any]) -> Any:
    hit = _validators.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = (schema, jsonschema.Draft202012Validator(schema))
        _validators[id(schema)] = hit
    return hit[1]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _explain(error: Any, raw: Mapping[Key, str], base: Key) -> list[Problem]:
    path: Key = (*base, *error.absolute_path)
    kw, schema, value = error.validator, error.schema, error.instance
    expected: str | None = schema.get("x-expected") if isinstance(schema, Mapping) else None
    got = describe(value)
    if kw == "additionalProperties" and isinstance(value, Mapping):
        known = list(schema.get("properties", {}))
        extra = [k for k in value if k not in known]
        return [((*path, k), True, f"unknown key {quoted(str(k))}{suggest(str(k), known)}") for k in extra]
    if kw == "required":
        missing = [k for k in error.validator_value if isinstance(value, Mapping) and k not in value]
        return [(path, False, f"missing required key {quoted(k)}") for k in missing]
    if kw == "type":
        want = error.validator_value
        wants: list[str] = want if isinstance(want, list) else [want]
        words = expected or " or ".join(_TYPE_WORDS.get(w, w) for w in wants)
        msg = f"expected {words}, got {got}"
        text = raw.get(path)
        pattern = schema.get("pattern")
        if (
            "string" in wants
            and text is not None
            and not isinstance(value, str)
            and (pattern is None or re.search(pattern, text))
        ):
            msg += f" (quote it: {quoted(text)})"
        return [(path, False, msg)]
    if kw == "pattern" and expected:
        return [(path, False, f"expected {expected}, got {quoted(str(value))}")]
    if kw == "propertyNames":
        return [(path, False, f"invalid name: {error.message}")]
    if kw in ("enum", "const"):
        options = error.validator_value if kw == "enum" else [error.validator_value]
        listed = ", ".join(quoted(str(o)) if isinstance(o, str) else str(o) for o in options)
        hint = suggest(value, [str(o) for o in options]) if isinstance(value, str) and kw == "enum" else ""
        lead = "expected" if kw == "const" else "expected one of"
        return [(path, False, f"{lead} {listed}, got {got}{hint}")]
    if kw in ("anyOf", "oneOf") and error.context:
        if all(c.validator == "type" and not c.relative_path for c in error.context):
            # No branch has the right type: name them all rather than guess one.
            wants = [w for c in error.context for w in _as_list(c.validator_value)]
            words = " or ".join(dict.fromkeys(_TYPE_WORDS.get(w, w) for w in wants))
            return [(path, False, f"expected {words}, got {got}")]
        # A branch of the right type says more than "expected a string" from another branch.
        fitting = [c for c in error.context if c.validator != "type"] or error.context
        best = jsonschema.exceptions.best_match(fitting)
        return _explain(best, raw, base)
    return [(path, False, _generic(kw, error, got))]


_BOUNDS = {
    "minimum": ">=",
    "maximum": "<=",
    "exclusiveMinimum": ">",
    "exclusiveMaximum": "<",
}


def _generic(kw: str, error: Any, got: str) -> str:
    v = error.validator_value
    if kw in _BOUNDS:
        return f"expected a number {_BOUNDS[kw]} {v}, got {got}"
    if kw == "minItems":
        return f"expected at least {v} item{'s' if v != 1 else ''}"
    if kw == "maxItems":
        return f"expected at most {v} item{'s' if v != 1 else ''}"
    if kw == "minLength":
        return "expected a non-empty string" if v == 1 else f"expected at least {v} characters"
    if kw == "maxLength":
        return f"expected at most {v} characters"
    if kw == "pattern":
        return f"expected text matching {v}, got {got}"
    if kw == "uniqueItems":
        return "expected no repeated items"
    # jsonschema's own words; values in them are the user's, so keep them short.
    return re.sub(r"\s+", " ", error.message)[:200]
