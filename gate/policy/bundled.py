"""Where the policies and check library shipped with gate live.

A wheel carries them inside the package (``gate/_bundled/<name>``, put there by
hatch's force-include); a source checkout has them at the repository root.
"""

from __future__ import annotations

from pathlib import Path

NAMES = ("policies", "checks")


def bundled_dir(name: str) -> Path:
    """The bundled ``policies`` or ``checks`` directory (which may not exist)."""
    if name not in NAMES:
        raise ValueError(f"unknown bundled directory {name!r}; expected one of {', '.join(NAMES)}")
    here = Path(__file__).resolve().parent.parent  # the gate package
    installed = here / "_bundled" / name
    if installed.is_dir():
        return installed
    return here.parent / name
