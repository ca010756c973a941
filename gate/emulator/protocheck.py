"""Strict checking of world resources against the clients' own message types.

``json_format.ParseDict(..., ignore_unknown_fields=False)`` is the authority,
but its errors name a dotted path, not a line. So we first walk the data
along the message descriptor to find the first unknown field or bad enum name
and report it at its exact key path; ParseDict then catches anything the walk
does not model (bad timestamps, int64 ranges, oneof clashes).
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from gate.emulator.yamlsource import Path

# Well-known types have their own JSON forms; ParseDict validates them.
_OPAQUE = {
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.Any",
    "google.protobuf.FieldMask",
    "google.protobuf.BoolValue",
    "google.protobuf.Int32Value",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
}


def _fields(desc: Descriptor) -> dict[str, FieldDescriptor]:
    out: dict[str, FieldDescriptor] = {}
    for f in desc.fields:
        out[f.json_name] = f
        out[f.name] = f  # ParseDict accepts both spellings, so do we
    return out


def _enum_ok(enum: EnumDescriptor, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value in enum.values_by_name


def _is_map(f: FieldDescriptor) -> bool:
    mt = f.message_type
    return bool(mt is not None and mt.GetOptions().map_entry)


def first_problem(data: Any, desc: Descriptor, path: Path = ()) -> tuple[Path, str] | None:
    """The first (path, message) that ParseDict would reject for structure, or None."""
    if desc.full_name in _OPAQUE:
        return None
    if not isinstance(data, dict):
        return path, f"expected a {desc.name} object, got {type(data).__name__}"
    fields = _fields(desc)
    for key, value in data.items():
        here = (*path, key)
        f = fields.get(key)
        if f is None:
            known = ", ".join(sorted(x.json_name for x in desc.fields))
            return here, f"unknown field {key!r} in {desc.full_name} (known: {known})"
        if value is None:
            continue
        repeated = bool(f.is_repeated)
        if _is_map(f):
            if not isinstance(value, dict):
                return here, f"expected a map, got {type(value).__name__}"
            vf = f.message_type.fields_by_name["value"]
            for k, v in value.items():
                p = _check_value(vf, v, (*here, k))
                if p:
                    return p
            continue
        if repeated:
            if not isinstance(value, list):
                return here, f"expected a list, got {type(value).__name__}"
            for i, item in enumerate(value):
                p = _check_value(f, item, (*here, i))
                if p:
                    return p
            continue
        p = _check_value(f, value, here)
        if p:
            return p
    return None


def _check_value(f: FieldDescriptor, value: Any, path: Path) -> tuple[Path, str] | None:
    if f.type == FieldDescriptor.TYPE_MESSAGE:
        return first_problem(value, f.message_type, path)
    if f.type == FieldDescriptor.TYPE_ENUM and not _enum_ok(f.enum_type, value):
        names = ", ".join(f.enum_type.values_by_name)
        return path, f"invalid {f.enum_type.name} value {value!r} (one of: {names})"
    return None


def check(data: Any, message_class: Any, path: Path = ()) -> tuple[Path, str] | None:
    """Validate ``data`` as the JSON of ``message_class`` (a protobuf class)."""
    problem = first_problem(data, message_class.DESCRIPTOR, path)
    if problem:
        return problem
    try:
        json_format.ParseDict(data, message_class(), ignore_unknown_fields=False)
    except json_format.ParseError as e:
        text = str(e).splitlines()[0]
        return (*path, *_error_path(text)), text
    return None


_AT = re.compile(r'at "?([\w.\[\]]+?)"?\.?$')


def _error_path(text: str) -> Path:
    """ParseDict ends its messages with ``at Message.field[2].sub``; turn that into a key path."""
    m = _AT.search(text)
    if not m:
        return ()
    out: list[str | int] = []
    for part in m.group(1).split(".")[1:]:
        name, *indexes = part.replace("]", "").split("[")
        out.append(name)
        out.extend(int(i) for i in indexes if i.isdigit())
    return tuple(out)
