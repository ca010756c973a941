"""Reporters: turn a finished Report into text, JSON, JUnit XML, Markdown or
GitHub workflow commands. They import the model only and never compute a
status; the verdict and exit code come from the Report itself.

Each format is one module exposing ``render(report, **opts) -> str``; only the
chosen one is imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.model import Report

FORMATS = ("text", "json", "junit", "markdown", "github")

_MODULES = {
    "text": "gate.report.text",
    "json": "gate.report.json_report",
    "junit": "gate.report.junit",
    "markdown": "gate.report.markdown",
    "github": "gate.report.github",
}

__all__ = ["FORMATS", "render"]


def render(
    report: Report, fmt: str, *, color: bool = False, verbose: bool = False, timings: bool = True
) -> str:
    """Render `report` as `fmt`.

    `color` applies to text only; `verbose` adds per-attempt lines (text) and
    passing checks' details (markdown). `timings=False` zeroes or omits every
    run-dependent time so equal runs render byte-identically.
    """
    module_name = _MODULES.get(fmt)
    if module_name is None:
        raise ValueError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    module = importlib.import_module(module_name)
    out: str = module.render(report, color=color, verbose=verbose, timings=timings)
    return out
