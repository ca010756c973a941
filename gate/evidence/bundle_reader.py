"""Reading an evidence bundle back (the writer is :mod:`gate.evidence.bundle`).

A bundle is trusted only as far as its manifest: every file it lists must be
there with the sha256 it was written with, or the bundle is refused (exit 2),
never half-read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gate.evidence.bundle import BUNDLE_FORMAT, FILES
from gate.model import CheckSpec, DeployTarget, Policy, Severity, Timing, Waiver


class BundleError(Exception):
    """The bundle is missing, tampered with or not a gate evidence bundle (exit 2)."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: dict[str, Any]
    policy: dict[str, Any]
    report: dict[str, Any]
    exchanges: list[dict[str, Any]]


def load_bundle(path: Path) -> Bundle:
    if not path.is_dir():
        raise BundleError(f"{path} is not a directory")
    manifest = _json(path / "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{path}/manifest.json: not a {BUNDLE_FORMAT} manifest")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BundleError(f"{path}/manifest.json: no files list")
    for name in FILES:
        entry = files.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise BundleError(f"{path}/manifest.json: {name} is not listed")
        try:
            data = (path / name).read_bytes()
        except OSError as e:
            raise BundleError(f"{path}/{name}: {e.strerror or e}") from None
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BundleError(
                f"{path}/{name}: sha256 does not match the manifest (changed since it was written)"
            )
    policy = _json(path / "policy.json")
    report = _json(path / "report.json")
    exchanges = []
    for n, line in enumerate((path / "exchanges.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        try:
            item = json.loads(line)
        except ValueError as e:
            raise BundleError(f"{path}/exchanges.jsonl:{n}: {e}") from None
        if not isinstance(item, dict):
            raise BundleError(f"{path}/exchanges.jsonl:{n}: expected a JSON object")
        exchanges.append(item)
    if not isinstance(policy, dict) or not isinstance(policy.get("checks"), list):
        raise BundleError(f"{path}/policy.json: no checks")
    if not isinstance(report, dict) or not isinstance(report.get("checks"), list):
        raise BundleError(f"{path}/report.json: not a gate JSON report")
    return Bundle(path, manifest, policy, report, exchanges)


def _json(p: Path) -> Any:
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise BundleError(f"{p}: {e.strerror or e}") from None
    except ValueError as e:
        raise BundleError(f"{p}: not JSON ({e})") from None


def policy_from(doc: Mapping[str, Any]) -> Policy:
    try:
        checks = tuple(
            CheckSpec(
                id=str(c["id"]),
                type=str(c["type"]),
                params=dict(c["with"]),
                severity=Severity(c["severity"]),
                timing=Timing(
                    **{k: c["timing"][k] for k in ("timeout", "interval", "deadline", "successes")}
                ),
                needs=tuple(str(n) for n in c["needs"]),
                description=str(c.get("description", "")),
            )
            for c in doc["checks"]
        )
        return Policy(
            project=str(doc["project"]),
            region=str(doc["region"]),
            checks=checks,
            vars=dict(doc.get("vars") or {}),
            source=str(doc.get("source", "<bundle>")),
            endpoints=dict(doc.get("endpoints") or {}),
            # The run's own target (--tag/--revision included): the same revisions are judged again.
            target=_target(doc.get("target")),
            waivers=tuple(
                Waiver(
                    check=str(w["check"]),
                    reason=str(w["reason"]),
                    owner=str(w["owner"]),
                    expires=date.fromisoformat(str(w["expires"])),
                    match=None if w.get("match") is None else str(w["match"]),
                )
                for w in doc.get("waivers") or ()  # bundles written before waivers have none
            ),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise BundleError(f"policy.json: malformed check ({type(e).__name__}: {e})") from None


def _target(doc: Any) -> DeployTarget | None:
    if not isinstance(doc, Mapping):
        return None
    fields = {k: str(doc[k]) for k in ("service", "tag", "revision") if doc.get(k)}
    return DeployTarget(**fields, source=str(doc.get("source") or ""))
