"""Reporters: turn a finished Report into text, JSON, JUnit XML, Markdown or
GitHub workflow commands. They import the model only and never compute a
status; the verdict and exit code come from the Report itself.

Every format is one module that satisfies :class:`Reporter` (a module-level
``render(report, options) -> str``) and one :class:`Format` entry in
:data:`FORMATS`, the way check types are one entry in ``gate.registry``. A
format's module is imported only when it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gate.model import Report


@dataclass(frozen=True)
class RenderOptions:
    """How to present a report; no option changes what the report says.

    ``color``: ANSI colour (text only; the CLI decides it from the stream and
    NO_COLOR). ``verbose``: every check in full, with each attempt. ``quiet``:
    the verdict and the failures only. ``timings=False`` zeroes or omits every
    run-dependent time so equal runs render byte-identically.
    """

    color: bool = False
    verbose: bool = False
    quiet: bool = False
    timings: bool = True


class Reporter(Protocol):
    """What a format module provides."""

    def render(self, report: Report, options: RenderOptions) -> str: ...


@dataclass(frozen=True)
class Format:
    name: str
    summary: str
    suffix: str  # file name suffix for --output (and the golden tests)
    load: Callable[[], Reporter]  # imports the module on first use

    def render(self, report: Report, options: RenderOptions) -> str:
        return self.load().render(report, options)


def _text() -> Reporter:
    from gate.report import text

    return text


def _json() -> Reporter:
    from gate.report import json_report

    return json_report


def _junit() -> Reporter:
    from gate.report import junit

    return junit


def _markdown() -> Reporter:
    from gate.report import markdown

    return markdown


def _github() -> Reporter:
    from gate.report import github

    return github


FORMATS: Mapping[str, Format] = {
    f.name: f
    for f in (
        Format("text", "a terminal or a CI log (compact; -v everything, -q failures only)", ".txt", _text),
        Format("json", "machine-readable, schema in docs/REPORT.md", ".json", _json),
        Format("junit", "JUnit XML for CI test tabs", ".xml", _junit),
        Format("markdown", "a summary for pull requests and $GITHUB_STEP_SUMMARY", ".md", _markdown),
        Format("github", "GitHub Actions annotations (and the step summary)", ".github.txt", _github),
    )
}

__all__ = ["FORMATS", "Format", "RenderOptions", "Reporter", "render"]


def render(
    report: Report,
    fmt: str,
    options: RenderOptions | None = None,
    *,
    color: bool = False,
    verbose: bool = False,
    quiet: bool = False,
    timings: bool = True,
) -> str:
    """Render ``report`` as ``fmt``, with ``options`` or the keyword options."""
    found = FORMATS.get(fmt)
    if found is None:
        raise ValueError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    opts = options or RenderOptions(color=color, verbose=verbose, quiet=quiet, timings=timings)
    return found.render(report, opts)
