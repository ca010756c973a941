from __future__ import annotations

import io
import re
import threading
import time

from gate.model import Status
from gate.report.progress import Progress


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class SlowStream(io.StringIO):
    """Writes char by char, yielding between them, so unlocked writers interleave."""

    def write(self, s: str) -> int:
        for ch in s:
            super().write(ch)
            time.sleep(0)
        return len(s)


class SlowTTY(SlowStream):
    def isatty(self) -> bool:
        return True


def test_non_tty_one_plain_line_per_finished_check() -> None:
    out = io.StringIO()
    p = Progress(out)
    assert not p.tty
    p.start(["a", "b"])
    p.update("a", None, 1, "probing")
    p.update("b", "FAIL", 2, "boom \x1b[2J")
    p.update("a", Status.PASS, 1, "ok")
    p.update("a", "PASS", 1, "ok again")  # a second final update is not printed twice
    p.finish()
    assert out.getvalue() == "FAIL       b  boom \\x1b[2J (2 attempts)\nPASS       a  ok (1 attempt)\n"


def test_non_tty_many_threads() -> None:
    out = SlowStream()
    p = Progress(out)
    ids = [f"check-{i:03d}" for i in range(100)]
    p.start(ids)

    def work(check_id: str) -> None:
        for attempt in range(1, 4):
            p.update(check_id, None, attempt, "trying")
        p.update(check_id, "PASS", 3, "done")

    threads = [threading.Thread(target=work, args=(c,)) for c in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.finish()
    text = out.getvalue()
    assert "\x1b" not in text
    lines = text.splitlines()
    assert sorted(lines) == sorted(f"PASS       {c}  done (3 attempts)" for c in ids)  # none torn or lost


def test_tty_redraws_in_place() -> None:
    out = FakeTTY()
    p = Progress(out)
    assert p.tty
    p.start(["a", "b"])
    p.update("a", None, 1, "probing")
    p.update("a", "PASS", 1, "ok")
    p.finish()
    text = out.getvalue()
    assert text.count("\x1b[2F") == 3  # one redraw per update/finish after the first draw
    final = text.rsplit("\x1b[2F", 1)[1]
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", final)
    assert plain == "PASS       a  ok (1 attempt)\npending    b\n"
    p.update("b", "FAIL", 1, "late")  # after finish: nothing more is drawn
    assert out.getvalue() == text


def test_tty_many_threads_keeps_one_line_per_check() -> None:
    out = SlowTTY()
    p = Progress(out, color=False)
    ids = [f"c{i:02d}" for i in range(12)]
    p.start(ids)
    threads = [threading.Thread(target=p.update, args=(c, "PASS", 1, "ok")) for c in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.finish()
    frames = out.getvalue().split("\x1b[12F")
    assert len(frames) == 1 + len(ids) + 1  # first draw, one redraw per update, one on finish
    for frame in frames:  # every frame is whole: one cleared line per check, in order
        lines = frame.split("\n")
        assert lines[-1] == "" and len(lines) == 13
        assert [line[len("\x1b[2K") :].split()[-1 if "pending" in line else 1] for line in lines[:-1]] == ids
    assert frames[-1].count("PASS") == 12
