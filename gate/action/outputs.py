"""Writing to GitHub's files: step outputs (multi-line safe) and the step summary."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path


def set_outputs(path: str | None, values: Mapping[str, str]) -> None:
    """Append ``name<<DELIM`` blocks to $GITHUB_OUTPUT: safe for any value, newlines included.

    The delimiter is random per value, so a value cannot end the block early and
    set outputs of its own.
    """
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as fh:
        for name, value in values.items():
            delim = f"ghadelimiter_{secrets.token_hex(16)}"
            while delim in value:  # pragma: no cover - 128 random bits
                delim = f"ghadelimiter_{secrets.token_hex(16)}"
            fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")


def append_summary(path: str | None, markdown: str) -> None:
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
