"""Helpers for the Cloud Run / SQL / logging check tests: worlds served by the real emulator.

Worlds are the shipped incident worlds, or a shipped world edited in Python
(``edited``) so each test states the one thing it changes.
"""

from __future__ import annotations

import copy
import functools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from gate.checks.base import CheckType
from gate.context import AttemptContext, RunContext
from gate.emulator import Emulator, World, load_world, parse_world
from gate.engine import outcome_from_exception
from gate.gcp.cloud import Cloud
from gate.gcp.facts_run import Service, TrafficStatus
from gate.gcp.transport.connection import Connection
from gate.model import CheckSpec, Outcome

SHIPPED = Path(__file__).resolve().parents[3] / "gate" / "emulator" / "worlds"
HERE = Path(__file__).resolve().parent
PROJECT = "netra-staging"
REGION = "us-central1"
SERVICE = "netra-backend-staging"
LOC = f"projects/{PROJECT}/locations/{REGION}"
REV_PREFIX = f"{LOC}/services/{SERVICE}/revisions/"


def shipped_path(name: str) -> Path:
    return SHIPPED / f"{name}.yaml"


@functools.cache
def _raw(name: str) -> dict[str, Any]:
    path = shipped_path(name) if shipped_path(name).exists() else HERE / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def world(name: str) -> World:
    path = shipped_path(name)
    return load_world(path if path.exists() else HERE / f"{name}.yaml")


def edited(name: str, edit: Callable[[dict[str, Any]], None]) -> World:
    """A copy of world ``name`` changed by ``edit`` (a plain dict: anchors and merges expanded)."""
    data = copy.deepcopy(_raw(name))
    edit(data)
    return parse_world(yaml.safe_dump(data, sort_keys=False), f"<edited {name}>")


def service(data: dict[str, Any], short: str = SERVICE) -> dict[str, Any]:
    return next(s for s in data["run"]["services"] if s["name"].endswith(f"/services/{short}"))


def revision(data: dict[str, Any], short: str) -> dict[str, Any]:
    return next(r for r in data["run"]["revisions"] if r["name"].endswith(f"/revisions/{short}"))


def env_of(data: dict[str, Any], short: str) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = revision(data, short)["containers"][0]["env"]
    return env


@contextmanager
def serving(w: World) -> Iterator[Emulator]:
    with Emulator(w, port=0) as emu:
        yield emu


def run_context(emu: Emulator) -> RunContext:
    cloud = Cloud(Connection(emulator_host=emu.api_host), PROJECT, REGION, concurrency=4)
    return RunContext(project=PROJECT, region=REGION, cloud=cloud)


def attempt(
    cls: type[CheckType],
    params: Mapping[str, Any],
    emu: Emulator,
    *,
    run: RunContext | None = None,
    number: int = 1,
) -> Outcome:
    """One attempt, with exceptions mapped the way the engine maps them."""
    spec = CheckSpec(id="t", type=cls.name, params=params)
    assert cls.semantic_errors(params) == []
    check = cls(spec)
    ctx = AttemptContext(run or run_context(emu), "t", time.monotonic() + 10, number)
    try:
        return check.attempt(ctx)
    except Exception as e:  # the engine's own mapping
        return outcome_from_exception(e)


def dump(o: Outcome) -> str:
    """Everything a report could show of an outcome."""
    return json.dumps(
        {"summary": o.summary, "evidence": o.evidence, "remediation": o.remediation, "metrics": o.metrics},
        default=str,
    )


def service_facts(uri: str | None, tags: Mapping[str, str]) -> Service:
    """Facts of a backend service whose latest revision serves its URL, with tagged candidates."""
    latest = f"{REV_PREFIX}{SERVICE}-00042-xq7"
    return Service(
        name=f"{LOC}/services/{SERVICE}",
        generation=3,
        observed_generation=3,
        reconciling=False,
        terminal_condition=None,
        conditions=(),
        latest_created_revision=latest,
        latest_ready_revision=latest,
        uri=uri,
        urls=(uri,) if uri else (),
        traffic=(),
        traffic_statuses=(
            TrafficStatus(type="TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent=100),
            *(
                TrafficStatus("TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", 0, f"{SERVICE}-00043-{t[:3]}", t, u)
                for t, u in tags.items()
            ),
        ),
        etag="x",
    )
