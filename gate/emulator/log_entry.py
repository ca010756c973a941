"""The Cloud Logging ``LogEntry`` message, built from its published .proto.

``google-cloud-logging`` is not a dependency (see ARCHITECTURE.md), and
googleapis-common-protos ships only ``google.logging.type``, so we declare
``google/logging/v2/log_entry.proto`` here, field for field (names, numbers,
types), on top of the real HttpRequest, LogSeverity and MonitoredResource.
One deliberate difference: ``protoPayload`` is typed as a Struct, because an
``Any`` would need every payload type (AuditLog, RequestLog...) registered; it
still must be a JSON object.
"""

from __future__ import annotations

import functools
from typing import Any

from google.api import monitored_resource_pb2
from google.logging.type import http_request_pb2, log_severity_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, struct_pb2, timestamp_pb2
from google.protobuf.message_factory import GetMessageClass

_F = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "gate_emulator.logging.v2"  # own package: never clashes with google-cloud-logging

# (name, number, type, type_name or "", repeated)
_ENTRY = [
    ("log_name", 12, _F.TYPE_STRING, "", False),
    ("resource", 8, _F.TYPE_MESSAGE, ".google.api.MonitoredResource", False),
    ("proto_payload", 2, _F.TYPE_MESSAGE, ".google.protobuf.Struct", False),
    ("text_payload", 3, _F.TYPE_STRING, "", False),
    ("json_payload", 6, _F.TYPE_MESSAGE, ".google.protobuf.Struct", False),
    ("timestamp", 9, _F.TYPE_MESSAGE, ".google.protobuf.Timestamp", False),
    ("receive_timestamp", 24, _F.TYPE_MESSAGE, ".google.protobuf.Timestamp", False),
    ("severity", 10, _F.TYPE_ENUM, ".google.logging.type.LogSeverity", False),
    ("insert_id", 4, _F.TYPE_STRING, "", False),
    ("http_request", 7, _F.TYPE_MESSAGE, ".google.logging.type.HttpRequest", False),
    ("labels", 11, _F.TYPE_MESSAGE, f".{_PACKAGE}.LogEntry.LabelsEntry", True),
    ("operation", 15, _F.TYPE_MESSAGE, f".{_PACKAGE}.LogEntryOperation", False),
    ("trace", 22, _F.TYPE_STRING, "", False),
    ("span_id", 27, _F.TYPE_STRING, "", False),
    ("trace_sampled", 30, _F.TYPE_BOOL, "", False),
    ("source_location", 23, _F.TYPE_MESSAGE, f".{_PACKAGE}.LogEntrySourceLocation", False),
    ("split", 35, _F.TYPE_MESSAGE, f".{_PACKAGE}.LogSplit", False),
    ("error_groups", 36, _F.TYPE_MESSAGE, f".{_PACKAGE}.LogErrorGroup", True),
]
_SMALL = {
    "LogEntryOperation": [
        ("id", 1, _F.TYPE_STRING),
        ("producer", 2, _F.TYPE_STRING),
        ("first", 3, _F.TYPE_BOOL),
        ("last", 4, _F.TYPE_BOOL),
    ],
    "LogEntrySourceLocation": [
        ("file", 1, _F.TYPE_STRING),
        ("line", 2, _F.TYPE_INT64),
        ("function", 3, _F.TYPE_STRING),
    ],
    "LogSplit": [("uid", 1, _F.TYPE_STRING), ("index", 2, _F.TYPE_INT32), ("total_splits", 3, _F.TYPE_INT32)],
    "LogErrorGroup": [("id", 1, _F.TYPE_STRING)],
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@functools.cache
def log_entry_class() -> Any:
    pool = descriptor_pool.DescriptorPool()
    for mod in (timestamp_pb2, struct_pb2, log_severity_pb2, http_request_pb2, monitored_resource_pb2):
        _add_with_deps(pool, mod.DESCRIPTOR)
    fd = descriptor_pb2.FileDescriptorProto(
        name="gate_emulator/logging/v2/log_entry.proto",
        package=_PACKAGE,
        syntax="proto3",
        dependency=[
            "google/protobuf/timestamp.proto",
            "google/protobuf/struct.proto",
            "google/logging/type/log_severity.proto",
            "google/logging/type/http_request.proto",
            "google/api/monitored_resource.proto",
        ],
    )
    entry = fd.message_type.add(name="LogEntry")
    for name, number, ftype, type_name, repeated in _ENTRY:
        f = entry.field.add(name=name, number=number, type=ftype, json_name=_camel(name))
        f.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
        if type_name:
            f.type_name = type_name
    labels = entry.nested_type.add(name="LabelsEntry")
    labels.options.map_entry = True
    for name, number in (("key", 1), ("value", 2)):
        labels.field.add(
            name=name, number=number, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL, json_name=name
        )
    payload = entry.oneof_decl.add(name="payload")
    del payload  # oneof membership is by index below
    for f in entry.field:
        if f.name in ("proto_payload", "text_payload", "json_payload"):
            f.oneof_index = 0
    for msg_name, fields in _SMALL.items():
        m = fd.message_type.add(name=msg_name)
        for name, number, ftype in fields:
            m.field.add(name=name, number=number, type=ftype, label=_F.LABEL_OPTIONAL, json_name=_camel(name))
    pool.Add(fd)
    return GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.LogEntry"))


def _add_with_deps(pool: descriptor_pool.DescriptorPool, file_desc: Any) -> None:
    for dep in file_desc.dependencies:
        _add_with_deps(pool, dep)
    try:
        pool.FindFileByName(file_desc.name)
        return
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto()
    file_desc.CopyToProto(proto)
    pool.Add(proto)
