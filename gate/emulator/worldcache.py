"""Remember which world files passed strict validation, so a later load can skip the
message-type checks (the costly part: they import every section's client types).

A world is validated in full the first time; when it passes, a marker is written
under a key that covers everything the verdict depends on:

- the world file's bytes,
- the source of the validating modules (``world``, ``kinds``, ``protocheck``, ...) and
  gate's version, so an edited validator never trusts an old verdict,
- the installed versions of the libraries whose message types are the authority
  (``google-cloud-*``, ``protobuf``, ``proto-plus``, ``googleapis-common-protos``),
  read from their ``*.dist-info`` directory names (no import).

A later load of the same bytes under the same key skips only the message-type checks;
every other rule (names, enums, faults, endpoints, time series intervals) runs as
always, so the world built is the same. A marker is trusted only if it holds its own
key exactly: a truncated or foreign file is ignored (and rewritten). Writers create a
private temporary file in the cache directory and rename it into place, so concurrent
writers never expose a partial marker.

Where: ``$GATE_CACHE_DIR`` if set (empty: no cache), else ``$XDG_CACHE_HOME/gate``,
else ``~/.cache/gate``; markers live in its ``worlds/`` directory. A cache that
cannot be read or written is no cache: the world is validated in full.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import gate

FORMAT = "gate-world-cache/1"
CACHE_ENV = "GATE_CACHE_DIR"
# The modules whose code decides whether a world is valid.
_VALIDATORS = (
    "world.py",
    "kinds.py",
    "protocheck.py",
    "yamlsource.py",
    "faults.py",
    "timeseries.py",
    "log_entry.py",
    "worldcache.py",
    "apis/networkmanagement.py",
)
# Distributions whose message types (or descriptors) validate world sections.
_LIBRARIES = ("google_cloud_", "protobuf-", "proto_plus-", "googleapis_common_protos-")

_fingerprint: str | None = None


def cache_dir(env: dict[str, str] | None = None) -> Path | None:
    env = dict(os.environ) if env is None else env
    if CACHE_ENV in env:
        return Path(env[CACHE_ENV]) if env[CACHE_ENV] else None
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gate"


def _libraries() -> list[str]:
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found.update(n for n in names if n.endswith(".dist-info") and n.startswith(_LIBRARIES))
    return sorted(found)


def fingerprint() -> str:
    """The validator and its authorities, as one digest (computed once per process)."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256(f"{FORMAT}\0{gate.__version__}\0".encode())
        here = Path(__file__).resolve().parent
        for name in _VALIDATORS:
            h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
        h.update("\0".join(_libraries()).encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


def key(text: str) -> str:
    return hashlib.sha256(f"{fingerprint()}\0".encode() + text.encode("utf-8")).hexdigest()


def _marker(directory: Path, k: str) -> Path:
    return directory / "worlds" / f"{k}.valid"


def is_validated(k: str, directory: Path | None) -> bool:
    """Whether a world with key ``k`` passed strict validation before (a marker that holds
    exactly ``k``; anything else is not trusted)."""
    if directory is None:
        return False
    try:
        return _marker(directory, k).read_text(encoding="ascii") == k + "\n"
    except (OSError, UnicodeDecodeError):
        return False


def mark_validated(k: str, directory: Path | None) -> None:
    """Record that the world with key ``k`` passed; failures to write are ignored."""
    if directory is None:
        return
    target = _marker(directory, k)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".valid")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(k + "\n")
            os.replace(tmp, target)  # atomic: readers see no marker or a whole one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return
