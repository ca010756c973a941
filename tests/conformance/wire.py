"""One exchange against its discovery method: the request gate sent, the answer the emulator served."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.emulator import Exchange
from tests.conformance import discovery as d

# google.rpc.Code name -> the HTTP status it maps to (google/rpc/code.proto).
RPC_CODES = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}
# The legacy "errors" items of Compute and Cloud SQL (googleapis.com JSON error format v1).
LEGACY_ERROR_KEYS = {"message", "domain", "reason", "location", "locationType", "extendedHelp", "sendReport"}

# A documented resource-name form in a field's description, e.g. "The format is:
# projects/{project}/locations/{location}/revisions/{revision}". Every template after
# the phrase counts as an allowed form ("Format: {secret_name} if ...,
# projects/{project}/secrets/{secret_name} if ..."): more forms, fewer false alarms.
_FORM_INTRO = re.compile(r"(?:format is|[Ff]ormat|the form|name format)\s*:?", re.IGNORECASE)
_FORM = re.compile(r"`?((?:projects/)?\{[\w.-]+\}(?:/[\w.{}-]+)*)`?")


@dataclass
class Checked:
    """What one exchange was checked against, and every problem found."""

    method: d.Method | None
    problems: list[str] = field(default_factory=list)
    fields: set[tuple[str, str]] = field(default_factory=set)
    enums: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def method_id(self) -> str:
        return self.method.id if self.method else "?"


def find_method(x: Exchange) -> d.Method | None:
    if x.api in d.DOCUMENTS:
        return d.match(x.api, x.method, x.path)
    return None


def request_shape(x: Exchange) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """What makes two requests the same shape: method, query parameter names, body field paths."""
    m = find_method(x)
    body: Any = _json(x.body) if x.body else None
    return (x.api, m.id if m else f"{x.method} {x.path}", tuple(sorted(x.query)), tuple(sorted(_paths(body))))


def _paths(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        out: set[str] = set()
        for k, v in value.items():
            out |= {f"{prefix}{k}"} | _paths(v, f"{prefix}{k}.")
        return out
    if isinstance(value, list):
        return set().union(*(_paths(v, prefix) for v in value)) if value else set()
    return set()


def check_request(x: Exchange) -> Checked:
    if x.api not in d.DOCUMENTS:
        return Checked(None, [f"{x.method} {x.path}: no Google API serves this path"])
    m = d.match(x.api, x.method, x.path)
    out = Checked(m)
    if m is None:
        out.problems.append(
            f"{x.method} {x.path}: no method of {d.DOCUMENTS[x.api]} has this HTTP method and path"
        )
        return out
    out.problems += _path_parameters(m, x.path)
    out.problems += _query(m, x.query)
    if m.request is None:
        if x.body.strip():
            out.problems.append(f"{m.id}: the method takes no request body, got {x.body[:80]!r}")
        return out
    body = _json(x.body) if x.body.strip() else {}
    if body is _BAD:
        out.problems.append(f"{m.id}: the request body is not JSON: {x.body[:80]!r}")
        return out
    v = d.Validator.new(m.api, numeric_enums=numeric_enums(x))
    v.check_object(body, m.request, f"{m.id} body")
    out.problems += v.problems + _forms(m.api, body, m.request, f"{m.id} body")
    out.problems += _required_fields(m.api, body, m.request, f"{m.id} body")
    out.fields, out.enums = v.seen_fields, v.seen_enums
    return out


def numeric_enums(x: Exchange) -> bool:
    """The request said ``$alt=json;enum-encoding=int``: enums travel as numbers, both ways."""
    return any("enum-encoding=int" in v for k in ("$alt", "alt") for v in x.query.get(k, []))


def _required(spec: Mapping[str, Any]) -> bool:
    """``required: true``, or "Required." opening the description (the AIP-203 field behavior)."""
    return bool(spec.get("required")) or str(spec.get("description", "")).startswith("Required.")


def _required_fields(api: str, body: Any, schema_name: str, where: str) -> list[str]:
    """Fields documented "Required." must be in the request wherever their parent is."""
    out: list[str] = []

    def walk(v: Any, spec: Mapping[str, Any], here: str) -> None:
        if "$ref" in spec:
            spec = d.schema(api, spec["$ref"]) if d.has_schema(api, spec["$ref"]) else {}
        if isinstance(v, list):
            for i, item in enumerate(v):
                walk(item, spec.get("items", {}), f"{here}[{i}]")
        elif isinstance(v, dict) and "properties" in spec:
            for k, sub in spec["properties"].items():
                if k in v:
                    walk(v[k], sub, f"{here}.{k}")
                elif _required(sub):
                    out.append(f"{here}: required field {k} is missing")

    walk(body, {"$ref": schema_name}, where)
    return out


def _path_parameters(m: d.Method, path: str) -> list[str]:
    """``{+name}`` parameters against their documented ``pattern``."""
    hit = d._template_regex(m.path_template).fullmatch(path)
    if hit is None:
        return [f"{m.id}: {path} matches flatPath {m.template} but not path {m.path_template}"]
    out = []
    for raw, value in hit.groupdict().items():
        spec = next((s for k, s in m.parameters.items() if re.sub(r"\W", "_", k) == raw), None)
        pattern = spec.get("pattern") if spec else None
        if pattern and not re.match(pattern, value):
            out.append(f"{m.id}: path parameter {raw}={value!r} does not match {pattern}")
    return out


def _query(m: d.Method, query: Mapping[str, list[str]]) -> list[str]:
    own = m.query_parameters()
    system = d.global_parameters(m.api)
    out = []
    for key, values in query.items():
        if key in own:
            spec = own[key]
            if len(values) > 1 and not spec.get("repeated"):
                out.append(f"{m.id}: query parameter {key} sent {len(values)} times (not repeated)")
            out += [p for v in values if (p := _query_value(m, key, v, spec))]
            continue
        name = key[1:] if key.startswith("$") and key != "$.xgafv" else key
        if name in system:
            if name == "alt" and any(v not in d.ALT_VALUES for v in values):
                out.append(f"{m.id}: system parameter {key}={values} is not one of {sorted(d.ALT_VALUES)}")
            continue
        out.append(f"{m.id}: unknown query parameter {key!r} (the method takes {sorted(own) or 'none'})")
    for key, spec in own.items():
        if _required(spec) and key not in query:
            out.append(f"{m.id}: required query parameter {key} is missing")
    return out


def _query_value(m: d.Method, key: str, value: str, spec: Mapping[str, Any]) -> str:
    kind = spec.get("type")
    if kind == "boolean" and value not in ("true", "false"):
        return f"{m.id}: query {key}={value!r} is not a boolean"
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return f"{m.id}: query {key}={value!r} is not an integer"
    if spec.get("format") in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
        return f"{m.id}: query {key}={value!r} is not an {spec['format']}"
    timed = {"google-datetime": d.RFC3339, "google-duration": d.DURATION}.get(str(spec.get("format")))
    if timed is not None and not timed.match(value):
        return f"{m.id}: query {key}={value!r} is not a valid {spec['format']}"
    if "enum" in spec and value not in spec["enum"]:
        return f"{m.id}: query {key}={value!r} is not one of {spec['enum']}"
    return ""


def _forms(api: str, value: Any, schema_name: str, where: str) -> list[str]:
    """String fields whose description documents a resource-name form must follow it."""
    out: list[str] = []

    def walk(v: Any, spec: Mapping[str, Any], here: str) -> None:
        if "$ref" in spec:
            spec = d.schema(api, spec["$ref"]) if d.has_schema(api, spec["$ref"]) else {}
        if isinstance(v, dict):
            props = spec.get("properties", {})
            for k, item in v.items():
                if k in props:
                    walk(item, props[k], f"{here}.{k}")
        elif isinstance(v, list):
            for i, item in enumerate(v):
                walk(item, spec.get("items", {}), f"{here}[{i}]")
        elif isinstance(v, str) and v and spec.get("type") == "string":
            forms = documented_forms(str(spec.get("description", "")))
            if forms and not any(f.fullmatch(v) for f in forms):
                out.append(
                    f"{here}: {v!r} is not in the documented form " + " or ".join(f.pattern for f in forms)
                )

    walk(value, {"$ref": schema_name}, where)
    return out


def documented_forms(description: str) -> list[re.Pattern[str]]:
    intro = _FORM_INTRO.search(description)
    if intro is None:
        return []
    forms = _FORM.findall(description[intro.end() :])
    return [re.compile(re.sub(r"\\\{[\w.-]+\\\}", "[^/]+", re.escape(f.rstrip(".")))) for f in forms]


# -- responses --------------------------------------------------------------------------------


def check_response(x: Exchange) -> Checked:
    m = find_method(x)
    out = Checked(m)
    if x.status == 0 or m is None:
        return out  # no answer; or the request already failed to match a method
    body = _json(x.response)
    if body is _BAD:
        out.problems.append(f"{m.id}: HTTP {x.status} body is not JSON: {x.response[:80]!r}")
        return out
    if x.status >= 400:
        out.problems += error_problems(m, x.status, body)
        return out
    if m.response is None:
        if body not in ({}, None):
            out.problems.append(f"{m.id}: the method returns no body, got {str(body)[:80]}")
        return out
    v = d.Validator.new(m.api, numeric_enums=numeric_enums(x))
    v.check_object(body, m.response, f"{m.id} response")
    out.problems += v.problems + _forms(m.api, body, m.response, f"{m.id} response")
    out.fields, out.enums = v.seen_fields, v.seen_enums
    return out


def error_problems(m: d.Method, status: int, body: Any) -> list[str]:
    """``{"error": {code, message, status, details[]}}`` (AIP-193), Compute/SQL's ``errors`` too."""
    where = f"{m.id} HTTP {status} error"
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return [f"{where}: expected {{'error': {{...}}}}, got {str(body)[:100]}"]
    err = body["error"]
    out = []
    unknown = set(err) - {"code", "message", "status", "details", "errors"}
    if unknown:
        out.append(f"{where}: unknown keys {sorted(unknown)}")
    if err.get("code") != status:
        out.append(f"{where}: code {err.get('code')!r} differs from the HTTP status")
    if not isinstance(err.get("message"), str) or not err["message"]:
        out.append(f"{where}: no message")
    if "status" in err:
        name = err["status"]
        if name not in RPC_CODES:
            out.append(f"{where}: status {name!r} is not a google.rpc.Code")
        elif RPC_CODES[name] != status:
            out.append(f"{where}: status {name} maps to HTTP {RPC_CODES[name]}, not {status}")
    for i, item in enumerate(err.get("errors") or []):
        if not isinstance(item, dict) or set(item) - LEGACY_ERROR_KEYS:
            out.append(f"{where}: errors[{i}] is not a legacy error item: {item}")
    for i, detail in enumerate(err.get("details") or []):
        out += [f"{where}: details[{i}]: {p}" for p in detail_problems(detail)]
    return out


def detail_problems(detail: Any) -> list[str]:
    """An error detail is a google.protobuf.Any of a google.rpc type (error_details.proto)."""
    from google.protobuf import json_format
    from google.rpc import error_details_pb2

    if not isinstance(detail, dict) or not isinstance(detail.get("@type"), str):
        return [f"not an Any with @type: {detail}"]
    prefix, _, full = detail["@type"].rpartition("/")
    package, _, name = full.rpartition(".")
    if prefix != "type.googleapis.com" or package != "google.rpc":
        return [f"@type {detail['@type']!r} is not a google.rpc error detail"]
    cls = getattr(error_details_pb2, name, None)
    if cls is None:
        return [f"google.rpc has no error detail {name}"]
    try:
        json_format.ParseDict({k: v for k, v in detail.items() if k != "@type"}, cls())
    except json_format.ParseError as e:
        return [f"{name}: {e}"]
    return []


class _Bad:
    pass


_BAD: Any = _Bad()


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _BAD
