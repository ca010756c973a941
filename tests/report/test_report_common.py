"""Properties every format shares: determinism, nothing beyond the Report, no printing."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.model import Report
from gate.report import FORMATS, render

CANARY = "canary-7f3a9c-not-in-report"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("opts", [{}, {"color": True, "verbose": True}, {"timings": False}])
def test_deterministic(fmt: str, opts: dict[str, Any], build: Callable[..., Report]) -> None:
    assert render(build(), fmt, **opts) == render(build(), fmt, **opts)


def test_unknown_format(mixed: Report) -> None:
    with pytest.raises(ValueError, match="choose one of: text, json, junit, markdown, github"):
        render(mixed, "yaml")


class _Watched(dict[str, str]):
    """os.environ stand-in that records reads."""

    reads: list[str]

    def __getitem__(self, key: str) -> str:
        self.reads.append(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.append(key)
        return super().get(key, default)

    def __iter__(self) -> Iterator[str]:
        self.reads.append("<iter>")
        return super().__iter__()


@pytest.mark.parametrize("fmt", FORMATS)
def test_nothing_beyond_the_report(
    fmt: str,
    mixed: Report,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    env = _Watched({k: CANARY for k in ("HOME", "USER", "GITHUB_TOKEN", "JWT_SECRET_KEY", "PATH")})
    env.reads = []
    monkeypatch.setattr(os, "environ", env)
    monkeypatch.setattr(socket, "gethostname", lambda: CANARY)
    workdir = tmp_path / CANARY
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    out = render(mixed, fmt, color=True, verbose=True)
    assert CANARY not in out  # no environment, host name or working directory
    assert env.reads == []  # reporters never consult the environment
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # only the CLI prints


@pytest.mark.parametrize("fmt", FORMATS)
def test_verdict_comes_from_the_report(fmt: str, reports: dict[str, Callable[[], Report]]) -> None:
    for build in reports.values():
        report = build()
        out = render(report, fmt)
        assert report.verdict.value in out
        assert str(report.exit_code) in out
