"""Live progress for the text format, written to stderr so stdout stays clean.

On a terminal it redraws one line per check in place (ANSI cursor movement).
Elsewhere (CI logs, pipes) it prints one plain line per finished check, with no
escape codes. The engine calls `update` from worker threads, so every method
takes one lock around both the state change and the write.

Contract for `update`: ``status=None`` means the check is still running
(``attempt`` is the attempt in progress or just made); a status means it is
finished. A finished check is printed once, in non-TTY mode, the first time
its final status arrives.
"""

from __future__ import annotations

import shutil
import sys
import threading
from typing import TextIO

from gate.report._common import one_line, status_text, visible
from gate.report.text import paint

_UP = "\x1b[{n}F"  # cursor to the start of the line n lines up
_CLEAR = "\x1b[2K"  # erase the whole line
_RUNNING = "running"
_PENDING = "pending"
_WIDTH = len("CANCELLED")


class Progress:
    def __init__(
        self, stream: TextIO | None = None, *, tty: bool | None = None, color: bool | None = None
    ) -> None:
        """``color=None`` colours on a terminal; the CLI passes False for NO_COLOR."""
        self._stream = stream if stream is not None else sys.stderr
        if tty is None:
            isatty = getattr(self._stream, "isatty", None)
            tty = bool(isatty and isatty())
        self._tty = tty
        self._color = tty if color is None else (color and tty)
        self._lock = threading.Lock()
        self._order: list[str] = []
        self._lines: dict[str, tuple[str, str]] = {}  # id -> (status word, plain text)
        self._done: set[str] = set()
        self._drawn = 0  # lines of the block currently on screen (TTY)
        self._finished = False

    @property
    def tty(self) -> bool:
        return self._tty

    def start(self, check_ids: list[str]) -> None:
        with self._lock:
            for check_id in check_ids:
                self._add(check_id)
            if self._tty:
                self._redraw()

    def update(
        self, check_id: str, status: str | None, attempt: int, summary: str, *, note: str | None = None
    ) -> None:
        """``note`` replaces the default "(attempt N)" / "(N attempts)" after the summary."""
        with self._lock:
            if self._finished:
                return
            self._add(check_id)
            word = _RUNNING if status is None else status_text(status)
            if note is None:
                note = f"attempt {attempt}" if status is None else _attempts(attempt)
            tail = f" ({note})" if note else ""
            text = visible(f"{check_id}  {summary}".rstrip() + tail)
            if self._tty:
                self._lines[check_id] = (word, text)
                self._redraw()
            elif status is not None and check_id not in self._done:
                self._done.add(check_id)
                self._write(f"{word.ljust(_WIDTH)}  {text}\n")

    def finish(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if self._tty:
                self._redraw()

    def _add(self, check_id: str) -> None:
        if check_id not in self._lines:
            self._order.append(check_id)
            self._lines[check_id] = (_PENDING, visible(check_id))

    def _redraw(self) -> None:
        width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        # Long lines would wrap and break the cursor arithmetic: cut them to the
        # terminal width (escape codes do not count, so cut the plain tail only).
        parts = [_UP.format(n=self._drawn)] if self._drawn else []
        for check_id in self._order:
            word, text = self._lines[check_id]
            # Only the plain text is cut, so an escape code is never split and the
            # colour of the status word is always reset before the newline.
            text = one_line(text, max(8, width - _WIDTH - 2))
            parts.append(f"{_CLEAR}{paint(word, self._color, pad=_WIDTH)}  {text}\n")
        self._drawn = len(self._order)
        self._write("".join(parts))

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"
