"""Google's discovery documents, as shipped by google-api-python-client: methods and schemas.

The documents are the published REST contracts of the APIs gate uses
(``googleapiclient/discovery_cache/documents/<api>.<version>.json``). This
module finds the method a request is for (HTTP method + ``flatPath``/``path``
template) and validates JSON against a schema of the document, in the dialect
the documents use: ``$ref``, ``type`` object/array/string/integer/number/
boolean/any, ``properties``, ``additionalProperties`` (maps), ``items``,
``enum`` and ``format`` (int64/uint64 travel as JSON strings, int32/uint32 as
numbers, google-datetime is RFC 3339, google-duration is ``<seconds>s``).
No network: everything is read from the installed package.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

# gate's API key (gate/gcp/<key>.py, the emulator's route api) -> discovery document.
DOCUMENTS = {
    "run": "run.v2",
    "vpcaccess": "vpcaccess.v1",
    "redis": "redis.v1",
    "sqladmin": "sqladmin.v1beta4",
    "compute": "compute.v1",
    "secretmanager": "secretmanager.v1",
    "networkmanagement": "networkmanagement.v1",
    "logging": "logging.v2",
    "monitoring": "monitoring.v3",
}

# System parameters every Google REST API takes, besides the document's own global
# parameters, in their "$"-prefixed form (https://cloud.google.com/apis/docs/system-parameters:
# "if you have a system parameter $foo, it's sent as ?$foo=xxx"). The official clients
# send ``$alt=json;enum-encoding=int``: JSON, enums accepted as numbers or names.
ALT_VALUES = {"json", "json;enum-encoding=int", "media", "proto", "sse"}

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
BASE64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")
INT64 = re.compile(r"^-?\d+$")
UINT64 = re.compile(r"^\d+$")


@functools.cache
def document(api: str) -> dict[str, Any]:
    name = DOCUMENTS[api]
    path = (
        resources.files("googleapiclient")
        .joinpath("discovery_cache")
        .joinpath("documents")
        .joinpath(f"{name}.json")
    )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Method:
    api: str
    id: str  # "run.projects.locations.services.get"
    http_method: str
    template: str  # the flatPath (or path) with the servicePath, leading "/"
    regex: re.Pattern[str]
    path_template: str  # the `path` form ("v2/{+name}"), for parameter patterns
    parameters: Mapping[str, Mapping[str, Any]]
    request: str | None  # schema name
    response: str | None

    def query_parameters(self) -> dict[str, Mapping[str, Any]]:
        return {k: v for k, v in self.parameters.items() if v.get("location") == "query"}


def _template_regex(template: str) -> re.Pattern[str]:
    """``{x}`` is one path segment (no "/" or ":"), ``{+x}`` any run of characters."""
    out, pos = [], 0
    for m in re.finditer(r"\{(\+?)([^}]+)\}", template):
        out.append(re.escape(template[pos : m.start()]))
        name = re.sub(r"\W", "_", m.group(2))
        out.append(f"(?P<{name}>.+)" if m.group(1) else f"(?P<{name}>[^/:]+)")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


def _walk(resource: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from resource.get("methods", {}).values()
    for sub in resource.get("resources", {}).values():
        yield from _walk(sub)


@functools.cache
def methods(api: str) -> tuple[Method, ...]:
    doc = document(api)
    base = "/" + doc["servicePath"]
    out = []
    for m in _walk(doc):
        template = base + (m.get("flatPath") or m["path"])
        out.append(
            Method(
                api=api,
                id=m["id"],
                http_method=m["httpMethod"],
                template=template,
                regex=_template_regex(template),
                path_template=base + m["path"],
                parameters=m.get("parameters", {}),
                request=(m.get("request") or {}).get("$ref"),
                response=(m.get("response") or {}).get("$ref"),
            )
        )
    return tuple(out)


def method_by_id(api: str, method_id: str) -> Method:
    for m in methods(api):
        if m.id == method_id:
            return m
    raise KeyError(f"{DOCUMENTS[api]} has no method {method_id}")


def match(api: str, http_method: str, path: str) -> Method | None:
    """The method of ``api`` this request is for; the most literal template wins a tie."""
    hits = [m for m in methods(api) if m.http_method == http_method and m.regex.fullmatch(path)]
    if not hits:
        return None
    return max(hits, key=lambda m: len(re.sub(r"\{[^}]*\}", "", m.template)))


def global_parameters(api: str) -> dict[str, Mapping[str, Any]]:
    params: dict[str, Mapping[str, Any]] = dict(document(api).get("parameters", {}))
    return params


def schema(api: str, name: str) -> Mapping[str, Any]:
    schemas: Mapping[str, Mapping[str, Any]] = document(api)["schemas"]
    return schemas[name]


def has_schema(api: str, name: str) -> bool:
    return name in document(api)["schemas"]


# -- validation ----------------------------------------------------------------------------


@dataclass
class Validator:
    """Collects every problem of one JSON value against a schema, and what it looked at.

    ``seen_enums`` and ``seen_fields`` record (schema, field[, value]) so the suite can
    count what was checked; ``any_types`` resolves the ``@type`` of ``google.protobuf.Any``
    payloads (Operation.response/metadata) to a schema of the same document.
    """

    api: str
    problems: list[str]
    seen_fields: set[tuple[str, str]]
    seen_enums: set[tuple[str, str, str]]
    # With ``$alt=json;enum-encoding=int`` the official clients write enums as their
    # proto numbers (the platform accepts both); discovery lists names only, so such a
    # number is only checked to be a non-negative int32.
    numeric_enums: bool = False

    @classmethod
    def new(cls, api: str, *, numeric_enums: bool = False) -> Validator:
        return cls(api, [], set(), set(), numeric_enums)

    def check(
        self, value: Any, spec: Mapping[str, Any], where: str, owner: str = "", field: str = ""
    ) -> None:
        if "$ref" in spec:
            name = spec["$ref"]
            self.check_object(value, name, where)
            return
        kind = spec.get("type")
        if kind == "any":
            if isinstance(value, dict) and "@type" in value:
                self.check_any(value, where)
            return
        if kind == "object":
            if not isinstance(value, dict):
                self.problems.append(f"{where}: expected an object, got {_kind(value)}")
                return
            extra = spec.get("additionalProperties") or {}
            if extra.get("type") == "any" and "@type" in value:  # a google.protobuf.Any
                self.check_any(value, where)
                return
            self._members(value, spec, where, owner or "(inline)")
            return
        if kind == "array":
            if not isinstance(value, list):
                self.problems.append(f"{where}: expected an array, got {_kind(value)}")
                return
            for i, item in enumerate(value):
                self.check(item, spec.get("items", {}), f"{where}[{i}]", owner, field)
            return
        self._scalar(value, spec, where, owner, field)

    def check_object(self, value: Any, name: str, where: str) -> None:
        if not has_schema(self.api, name):
            self.problems.append(f"{where}: schema {name} is not in {DOCUMENTS[self.api]}")
            return
        spec = schema(self.api, name)
        if spec.get("type") != "object":
            self.check(value, spec, where, name)
            return
        if not isinstance(value, dict):
            self.problems.append(f"{where}: expected {name} (an object), got {_kind(value)}")
            return
        self._members(value, spec, where, name)

    def _members(self, value: dict[str, Any], spec: Mapping[str, Any], where: str, owner: str) -> None:
        props: Mapping[str, Any] = spec.get("properties", {})
        extra = spec.get("additionalProperties")
        for key, item in value.items():
            here = f"{where}.{key}"
            if key in props:
                self.seen_fields.add((owner, key))
                self.check(item, props[key], here, owner, key)
            elif extra is not None:
                self.check(item, extra, here, owner, key)
            else:
                self.problems.append(f"{here}: {owner} has no field {key!r}")

    def check_any(self, value: dict[str, Any], where: str) -> None:
        """A google.protobuf.Any in JSON: ``@type`` plus the fields of that message."""
        type_url = str(value.get("@type", ""))
        name = any_schema(self.api, type_url)
        if name is None:
            if _own_package(self.api, type_url):
                self.problems.append(f"{where}: @type {type_url!r} names no schema of {DOCUMENTS[self.api]}")
            return  # another API's message (an AuditLog in protoPayload): not this document's to judge
        rest = {k: v for k, v in value.items() if k != "@type"}
        self.check_object(rest, name, where)

    def _scalar(self, value: Any, spec: Mapping[str, Any], where: str, owner: str, field: str) -> None:
        kind, fmt = spec.get("type"), spec.get("format", "")
        if kind == "string" and "enum" in spec and self.numeric_enums and type(value) is int:
            if not 0 <= value < 2**31:
                self.problems.append(f"{where}: enum number {value} is not a proto enum value")
            self.seen_enums.add((owner, field, f"#{value}"))
            return
        if kind == "string":
            if not isinstance(value, str):
                what = f"a string ({fmt})" if fmt else "a string"
                self.problems.append(f"{where}: expected {what}, got {_kind(value)} {value!r}")
                return
            enum = spec.get("enum")
            if enum is not None:
                self.seen_enums.add((owner, field, value))
                if value not in enum:
                    self.problems.append(f"{where}: {value!r} is not one of {owner}.{field}'s values {enum}")
            pattern = {
                "int64": INT64,
                "uint64": UINT64,
                "google-datetime": RFC3339,
                "google-duration": DURATION,
                "byte": BASE64,
            }.get(fmt)
            if pattern is not None and not pattern.match(value):
                self.problems.append(f"{where}: {value!r} is not a valid {fmt}")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                self.problems.append(
                    f"{where}: expected a JSON number ({fmt or 'integer'}), got {_kind(value)}"
                )
            elif fmt == "uint32" and value < 0:
                self.problems.append(f"{where}: {value} is negative for a uint32")
        elif kind == "number":
            # proto3 JSON also writes "NaN"/"Infinity" as strings
            special = value in ("NaN", "Infinity", "-Infinity")
            if (isinstance(value, bool) or not isinstance(value, (int, float))) and not special:
                self.problems.append(f"{where}: expected a JSON number, got {_kind(value)}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.problems.append(f"{where}: expected a boolean, got {_kind(value)}")
        else:
            self.problems.append(f"{where}: schema type {kind!r} not understood by the suite")


def any_schema(api: str, type_url: str) -> str | None:
    """``type.googleapis.com/google.cloud.run.v2.Service`` -> ``GoogleCloudRunV2Service``."""
    full = type_url.rsplit("/", 1)[-1]
    parts = full.split(".")
    candidates = [
        "".join(p[:1].upper() + p[1:] for p in parts),  # GoogleCloudRunV2Service, GoogleProtobufEmpty
        parts[-1],  # ConnectivityTest, OperationMetadata, Empty
    ]
    return next((c for c in candidates if has_schema(api, c)), None)


def _own_package(api: str, type_url: str) -> bool:
    full = type_url.rsplit("/", 1)[-1]
    return full.startswith(("google.protobuf.", "google.longrunning.", "google.rpc.", f"google.cloud.{api}."))


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else "null"
    )
