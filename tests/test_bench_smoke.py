"""The benchmark runs end to end in --quick mode and prints its one table with all its rows.

Structure only: no figure is compared with its target here (timings belong in
docs/PERFORMANCE.md, not in a test that must pass on any machine).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Row 7 is the rollout row; 8-11 measure the cold start (docs/PERFORMANCE.md).
ROWS = ["1", "2", "3", "4", "5", "6", "8", "9", "10", "11"]


def test_bench_quick_prints_all_rows() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # Exit 1 means "a target was missed", which is a figure, not a failure of the code.
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    out = proc.stdout
    assert "gate benchmark (quick" in out
    assert "machine:" in out
    header = next(line for line in out.splitlines() if line.startswith("row "))
    for col in ("figure (median)", "target", "ratio", "met"):
        assert col in header
    rows = [line for line in out.splitlines() if re.match(r"\d+\. ", line)]
    numbers = [r.split(".", 1)[0] for r in rows]
    assert [n for n in numbers if n in ROWS] == ROWS, out
    for r in rows:
        cells = [c.strip() for c in r.split(" | ")]
        assert len(cells) == 5, r
        assert cells[-1] in ("met", "NOT MET"), r
        assert cells[1], r  # a figure was measured
    assert any(line.startswith("1b.") for line in out.splitlines())
    assert any(line.startswith("7. rollout overhead") for line in out.splitlines()), out
