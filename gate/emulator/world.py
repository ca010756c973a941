"""World files: a project's resources, logs, HTTP endpoints and faults.

``load_world`` is strict: every resource must parse as the official client's
message type with no unknown field, every name must be a full resource name,
and every problem is reported at its file:line:col (see docs/WORLDS.md). A world
file that passed once is not checked against the message types again while its
bytes, the validator and the client libraries stay the same (``worldcache``): those
checks import every section's client types, most of a world's load time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from gate import durations
from gate.emulator.faults import APIS, FIELDS, Fault
from gate.emulator.kinds import COMPUTE_ENUMS, SECTIONS, matcher
from gate.emulator.yamlsource import Located, Path, load
from gate.errors import Diagnostic, InputError

_TOP = {
    "apiVersion",
    "kind",
    "name",
    "description",
    "incident",
    "project",
    "projectNumber",
    "endpoints",
    "faults",
    "env",
    "images",
    "networkmanagement",
    *SECTIONS,
}
_OWN_SHAPE = ("networkmanagement", "monitoring")  # sections checked by their own code
_PATH_KEYS = {"status", "json", "text", "headers", "delay", "hang", "websocket"}


@dataclass(frozen=True)
class EndpointPath:
    status: int = 200
    json: Any = None
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    hang: bool = False  # never answer (until the server stops)
    websocket: Mapping[str, Any] | None = None  # config for golden_path.GoldenPathServer


@dataclass(frozen=True)
class Endpoint:
    origin: str  # scheme://host[:port], as users and policies write it
    paths: Mapping[str, EndpointPath]


@dataclass(frozen=True)
class ImageLog:
    after: float  # seconds after the revision's creation
    entry: Mapping[str, Any]  # LogEntry JSON without resource/timestamp (the emulator fills them)


@dataclass(frozen=True)
class ImageRuntime:
    """What a container image does when a deploy creates a revision from it.

    The Admin API cannot run a container; a world says what would happen: the
    revision becomes Ready or not, and what the container logs while booting.
    """

    image: str
    ready: bool = True
    message: str = ""  # Ready's message when the revision fails
    logs: tuple[ImageLog, ...] = ()


@dataclass
class World:
    name: str
    project: str
    description: str = ""
    incident: str = ""
    project_number: str = ""  # real API responses name projects by number; both are accepted
    # section -> kind -> resources as the API returns them (camelCase JSON)
    resources: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    reachability: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Environment a gate run against this world sees (e.g. a test token the world's
    # emulated login accepts), so a world is runnable offline with no set-up.
    env: dict[str, str] = field(default_factory=dict)
    # How each image behaves when a deploy (services.patch) creates a revision from it.
    images: list[ImageRuntime] = field(default_factory=list)
    source: str = "<memory>"

    def image(self, name: str) -> ImageRuntime | None:
        return next((i for i in self.images if i.image == name), None)

    def items(self, section: str, kind: str) -> list[dict[str, Any]]:
        return self.resources.get(section, {}).get(kind, [])


def check(data: Any, message: Any, path: Path) -> tuple[Path, str] | None:
    """``protocheck.check``, imported on use (it imports protobuf's json_format)."""
    from gate.emulator.protocheck import check as proto_check

    return proto_check(data, message, path)


def load_world(path: str | FsPath, *, trust_cache: bool = True) -> World:
    """The world in ``path``, validated strictly; ``trust_cache=False`` checks it in full
    even if the same bytes passed before (a pass is remembered either way)."""
    from gate.emulator import worldcache

    p = FsPath(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError([Diagnostic(None, "", f"cannot read world file {p}: {e.strerror or e}")]) from None
    directory = worldcache.cache_dir()
    k = worldcache.key(text) if directory is not None else ""
    if trust_cache and worldcache.is_validated(k, directory):
        return parse_world(text, str(p), proto_checks=False)
    world = parse_world(text, str(p))
    worldcache.mark_validated(k, directory)
    return world


def parse_world(text: str, file: str = "<world>", *, proto_checks: bool = True) -> World:
    """Parse and validate a world. ``proto_checks=False`` skips only the checks against the
    clients' message types, for text known to have passed them (``load_world``)."""
    doc = load(text, file)
    errors: list[Diagnostic] = []
    data = doc.data
    if not isinstance(data, dict):
        raise InputError(
            [doc.diag((), "a world file must be a mapping (apiVersion: gate/v1, kind: World, ...)")]
        )
    for key in data:
        if key not in _TOP:
            errors.append(doc.diag((key,), f"unknown key; expected one of {', '.join(sorted(_TOP))}"))
    if data.get("apiVersion") != "gate/v1":
        errors.append(doc.diag(("apiVersion",), "must be gate/v1"))
    if data.get("kind") != "World":
        errors.append(doc.diag(("kind",), "must be World"))
    for key in ("name", "project"):
        if not isinstance(data.get(key), str) or not data.get(key):
            errors.append(doc.diag((key,), "required: a non-empty string"))
    world = World(
        name=str(data.get("name", "")),
        project=str(data.get("project", "")),
        description=str(data.get("description", "") or ""),
        incident=str(data.get("incident", "") or ""),
        project_number=str(data.get("projectNumber", "") or ""),
        source=file,
    )
    for section, kinds in SECTIONS.items():
        if section in data and section not in _OWN_SHAPE:
            world.resources[section] = _resources(doc, section, kinds, data[section], errors, proto_checks)
    if data.get("monitoring") is not None:
        from gate.emulator.timeseries import parse_section

        world.resources["monitoring"] = parse_section(doc, data["monitoring"], errors, proto_checks)
    world.reachability = _reachability(doc, data.get("networkmanagement"), errors, proto_checks)
    world.endpoints = _endpoints(doc, data.get("endpoints"), errors)
    world.faults = _faults(doc, data.get("faults"), errors)
    world.env = _env(doc, data.get("env"), errors)
    world.images = _images(doc, data.get("images"), errors, proto_checks)
    if errors:
        raise InputError(errors)
    return world


def _resources(
    doc: Located,
    section: str,
    kinds: Mapping[str, Any],
    value: Any,
    errors: list[Diagnostic],
    proto_checks: bool,
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    if value is None:
        return out
    if not isinstance(value, dict):
        errors.append(doc.diag((section,), f"expected a mapping with {', '.join(kinds)}"))
        return out
    for key, items in value.items():
        kind = kinds.get(key)
        if kind is None:
            errors.append(doc.diag((section, key), f"unknown list; {section} holds {', '.join(kinds)}"))
            continue
        if items is None:
            items = []
        if not isinstance(items, list):
            errors.append(doc.diag((section, key), "expected a list"))
            continue
        cls = kind.message_class() if proto_checks else None
        ok = matcher(kind)
        seen: set[str] = set()
        for i, item in enumerate(items):
            here: Path = (section, key, i)
            problem = check(item, cls, here) if cls is not None else None
            if problem:
                errors.append(doc.diag(*problem))
                continue
            ident = item.get(kind.name_field) if isinstance(item, dict) else None
            if not isinstance(ident, str) or not ok(ident):
                errors.append(
                    doc.diag(
                        (*here, kind.name_field),
                        f"required: a full name like {kind.example!r}, got {ident!r}",
                    )
                )
                continue
            if section == "compute":
                bad = _compute_enum_problem(item, COMPUTE_ENUMS.get(key, {}), here)
                if bad:
                    errors.append(doc.diag(*bad))
                    continue
            if (section, key) == ("compute", "subnetworks") and not item.get("region"):
                errors.append(
                    doc.diag(here, "required: region (URL or name), which routes regions/R/subnetworks")
                )
            # Entries share a log name; other resources must be unique.
            if section != "logging" and ident in seen:
                errors.append(doc.diag((*here, kind.name_field), f"duplicate {key} {ident!r}"))
            seen.add(ident)
        out[key] = [x for x in items if isinstance(x, dict)]
    return out


def _compute_enum_problem(
    item: Any, enums: Mapping[str, tuple[str, ...]], here: Path
) -> tuple[Path, str] | None:
    """The first value outside its documented enum, at its key path."""
    for dotted, allowed in enums.items():
        found: list[tuple[Path, Any]] = [(here, item)]
        for part in dotted.split("."):
            name, listed = part.removesuffix("[]"), part.endswith("[]")
            nxt: list[tuple[Path, Any]] = []
            for path, node in found:
                if not isinstance(node, dict) or node.get(name) is None:
                    continue
                value = node[name]
                if listed:
                    nxt += [
                        ((*path, name, i), v) for i, v in enumerate(value if isinstance(value, list) else [])
                    ]
                else:
                    nxt.append(((*path, name), value))
            found = nxt
        for path, value in found:
            if value not in allowed:
                return path, f"invalid value {value!r} (compute v1 documents: {', '.join(allowed)})"
    return None


def _reachability(
    doc: Located, value: Any, errors: list[Diagnostic], proto_checks: bool
) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict) or set(value) - {"results"}:
        errors.append(doc.diag(("networkmanagement",), "expected a mapping with results"))
        return []
    results = value.get("results") or []
    if not isinstance(results, list):
        errors.append(doc.diag(("networkmanagement", "results"), "expected a list"))
        return []
    shapes: dict[str, Any] = dict.fromkeys(("source", "destination", "reachabilityDetails"))
    if proto_checks:
        from gate.narrow_import import narrow_import

        nm = narrow_import("google.cloud.network_management_v1.types.connectivity_test")
        shapes = {
            "source": nm.Endpoint,
            "destination": nm.Endpoint,
            "reachabilityDetails": nm.ReachabilityDetails,
        }
    for i, r in enumerate(results):
        here: Path = ("networkmanagement", "results", i)
        if not isinstance(r, dict):
            errors.append(doc.diag(here, "expected a mapping with source, destination, reachabilityDetails"))
            continue
        for k, v in r.items():
            if k not in shapes:
                errors.append(
                    doc.diag((*here, k), "unknown key; expected source, destination, reachabilityDetails")
                )
                continue
            problem = check(v, shapes[k].pb(), (*here, k)) if shapes[k] is not None else None
            if problem:
                errors.append(doc.diag(*problem))
            elif k in ("source", "destination"):
                from gate.emulator.apis.networkmanagement import revision_uri_problem

                bad = revision_uri_problem(v)
                if bad:
                    errors.append(doc.diag((*here, k, "cloudRunRevision", "uri"), bad))
        if "destination" not in r or "reachabilityDetails" not in r:
            errors.append(doc.diag(here, "required: destination and reachabilityDetails"))
    return [r for r in results if isinstance(r, dict)]


def _duration(doc: Located, path: Path, v: Any, errors: list[Diagnostic]) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    try:
        return durations.parse(str(v))
    except ValueError as e:
        errors.append(doc.diag(path, str(e)))
        return 0.0


def _endpoints(doc: Located, value: Any, errors: list[Diagnostic]) -> list[Endpoint]:
    out: list[Endpoint] = []
    if value is None:
        return out
    if not isinstance(value, list):
        errors.append(doc.diag(("endpoints",), "expected a list of {origin, paths}"))
        return out
    for i, ep in enumerate(value):
        here: Path = ("endpoints", i)
        if not isinstance(ep, dict) or set(ep) - {"origin", "paths"}:
            errors.append(doc.diag(here, "expected {origin: https://host, paths: {/path: {...}}}"))
            continue
        origin = ep.get("origin")
        if not isinstance(origin, str) or not re.match(r"^(https?|wss?)://[^/\s]+$", origin):
            errors.append(
                doc.diag((*here, "origin"), f"expected scheme://host[:port] with no path, got {origin!r}")
            )
            continue
        paths: dict[str, EndpointPath] = {}
        for pth, spec in (ep.get("paths") or {}).items():
            ph: Path = (*here, "paths", pth)
            if not isinstance(pth, str) or not pth.startswith("/"):
                errors.append(doc.diag(ph, "a path must start with /"))
                continue
            if not isinstance(spec, dict):
                errors.append(doc.diag(ph, "expected {status, json|text, headers, delay, hang, websocket}"))
                continue
            bad = set(spec) - _PATH_KEYS
            for k in sorted(bad):
                errors.append(
                    doc.diag((*ph, k), f"unknown key; expected one of {', '.join(sorted(_PATH_KEYS))}")
                )
            if "json" in spec and "text" in spec:
                errors.append(doc.diag(ph, "give json or text, not both"))
            status = spec.get("status", 200)
            if not isinstance(status, int) or not 100 <= status <= 599:
                errors.append(doc.diag((*ph, "status"), f"expected an HTTP status, got {status!r}"))
                status = 200
            ws = spec.get("websocket")
            if ws is not None and not isinstance(ws, dict):
                errors.append(doc.diag((*ph, "websocket"), "expected a mapping (e.g. {mode: healthy})"))
                ws = None
            headers = spec.get("headers") or {}
            if not isinstance(headers, dict):
                errors.append(doc.diag((*ph, "headers"), "expected a mapping of header: value"))
                headers = {}
            paths[pth] = EndpointPath(
                status=status,
                json=spec.get("json"),
                text=None if spec.get("text") is None else str(spec["text"]),
                headers={str(k): str(v) for k, v in headers.items()},
                delay=_duration(doc, (*ph, "delay"), spec.get("delay", 0), errors),
                hang=bool(spec.get("hang", False)),
                websocket=ws,
            )
        out.append(Endpoint(origin.rstrip("/"), paths))
    return out


def _faults(doc: Located, value: Any, errors: list[Diagnostic]) -> list[Fault]:
    out: list[Fault] = []
    if value is None:
        return out
    if not isinstance(value, list):
        errors.append(doc.diag(("faults",), "expected a list"))
        return out
    for i, spec in enumerate(value):
        here: Path = ("faults", i)
        if not isinstance(spec, dict):
            errors.append(doc.diag(here, "expected a mapping like {api: run, status: 403}"))
            continue
        kw: dict[str, Any] = {}
        for k, v in spec.items():
            if k not in FIELDS:
                errors.append(doc.diag((*here, k), f"unknown key; expected one of {', '.join(FIELDS)}"))
            elif k == "api" and v not in APIS:
                errors.append(doc.diag((*here, k), f"unknown api {v!r}; one of {', '.join(APIS)}"))
            elif k == "delay":
                kw["delay"] = _duration(doc, (*here, k), v, errors)
            elif k == "path":
                try:
                    re.compile(str(v))
                    kw["path"] = str(v)
                except re.error as e:
                    errors.append(doc.diag((*here, k), f"invalid regex: {e}"))
            elif k == "drop":
                kw["drop"] = tuple(str(x) for x in (v if isinstance(v, list) else [v]))
            elif k == "status" and (not isinstance(v, int) or not 400 <= v <= 599):
                errors.append(doc.diag((*here, k), f"expected an HTTP error status (400-599), got {v!r}"))
            elif k == "retryDelay" and not re.match(r"^\d+(\.\d+)?s$", str(v)):
                errors.append(doc.diag((*here, k), f'expected a protobuf Duration like "3s", got {v!r}'))
            elif k == "times" and (not isinstance(v, int) or v < 0):
                errors.append(doc.diag((*here, k), "expected a count >= 0 (0 = always)"))
            else:
                kw[FIELDS[k]] = v
        out.append(Fault(**kw))
    return out


def _env(doc: Located, value: Any, errors: list[Diagnostic]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        errors.append(doc.diag(("env",), "expected a mapping of variable names to strings"))
        return {}
    return dict(value)


_IMAGE_KEYS = {"image", "ready", "message", "logs"}


def _images(doc: Located, value: Any, errors: list[Diagnostic], proto_checks: bool) -> list[ImageRuntime]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(doc.diag(("images",), "expected a list of {image, ready, message, logs}"))
        return []
    entry_cls: Any = None
    if proto_checks:
        from gate.emulator.log_entry import log_entry_class

        entry_cls = log_entry_class()
    out: list[ImageRuntime] = []
    seen: set[str] = set()
    for i, spec in enumerate(value):
        here: Path = ("images", i)
        if not isinstance(spec, dict):
            errors.append(doc.diag(here, "expected {image, ready, message, logs}"))
            continue
        for k in sorted(set(spec) - _IMAGE_KEYS):
            errors.append(
                doc.diag((*here, k), f"unknown key; expected one of {', '.join(sorted(_IMAGE_KEYS))}")
            )
        image = spec.get("image")
        if not isinstance(image, str) or not image:
            errors.append(doc.diag((*here, "image"), "required: the container image, as a deploy names it"))
            continue
        if image in seen:
            errors.append(doc.diag((*here, "image"), f"duplicate image {image!r}"))
        seen.add(image)
        ready = spec.get("ready", True)
        if not isinstance(ready, bool):
            errors.append(doc.diag((*here, "ready"), "expected true or false"))
            ready = True
        logs: list[ImageLog] = []
        raw_logs = spec.get("logs") or []
        if not isinstance(raw_logs, list):
            errors.append(doc.diag((*here, "logs"), "expected a list of log entries"))
            raw_logs = []
        for j, raw in enumerate(raw_logs):
            at: Path = (*here, "logs", j)
            if not isinstance(raw, dict):
                errors.append(
                    doc.diag(at, "expected a LogEntry mapping (textPayload, severity, ...) with after")
                )
                continue
            entry = {k: v for k, v in raw.items() if k != "after"}
            for k in ("resource", "timestamp"):
                if k in entry:
                    errors.append(doc.diag((*at, k), "set by the emulator from the revision; leave it out"))
            problem = check(entry, entry_cls, at) if entry_cls is not None else None
            if problem:
                errors.append(doc.diag(*problem))
                continue
            logs.append(ImageLog(_duration(doc, (*at, "after"), raw.get("after", 0), errors), entry))
        out.append(ImageRuntime(image, ready, str(spec.get("message", "") or ""), tuple(logs)))
    return out
