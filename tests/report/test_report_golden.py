"""Golden files per format. Regenerate with GATE_UPDATE_GOLDEN=1, then review the diff."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gate.model import Report
from gate.report import FORMATS, render

EXT = {"text": "txt", "json": "json", "junit": "xml", "markdown": "md", "github": "github.txt"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["mixed", "passing", "interrupted", "waived", "waiver-not-applied"])
def test_golden(
    fmt: str, name: str, reports: dict[str, Callable[[], Report]], golden: Callable[[str, str], None]
) -> None:
    golden(f"{name}.{EXT[fmt]}", render(reports[name](), fmt))


def test_golden_text_verbose_color(mixed: Report, golden: Callable[[str, str], None]) -> None:
    golden("mixed.verbose-color.txt", render(mixed, "text", color=True, verbose=True))


def test_golden_markdown_verbose(mixed: Report, golden: Callable[[str, str], None]) -> None:
    golden("mixed.verbose.md", render(mixed, "markdown", verbose=True))


def test_golden_json_without_timings(mixed: Report, golden: Callable[[str, str], None]) -> None:
    golden("mixed.no-timings.json", render(mixed, "json", timings=False))


def test_golden_text_waived_verbose_and_quiet(waived: Report, golden: Callable[[str, str], None]) -> None:
    golden("waived.verbose.txt", render(waived, "text", verbose=True))
    golden("waived.quiet.txt", render(waived, "text", quiet=True))
