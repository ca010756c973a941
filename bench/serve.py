"""Serve a generated world in its own process (so the emulator's CPU never competes
with gate's for one GIL): ``python bench/serve.py N DELAY`` prints ``127.0.0.1:PORT``
once ready and serves until its stdin closes."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    sys.path.insert(0, str(HERE))
    import fixtures as fx

    from gate.emulator import Emulator
    from gate.emulator.faults import Fault

    n, delay = int(sys.argv[1]), float(sys.argv[2])
    with Emulator(fx.world(n)) as emu:
        if delay:
            emu.add_fault(Fault(delay=delay))  # every API route
        print(emu.api_host, flush=True)
        # Until the parent closes our stdin: each "count" line is answered with the
        # number of API requests served since the last one.
        # "times": the arrival times of those requests instead, as a JSON list.
        for line in sys.stdin:
            if line.strip() in ("count", "times"):
                seen = emu.requests
                emu.clear_requests()
                answer = len(seen) if line.strip() == "count" else json.dumps([r.time for r in seen])
                print(answer, flush=True)
    if len(sys.argv) > 3:  # report this process's CPU seconds (emulator cost) to a file
        import resource

        ru = resource.getrusage(resource.RUSAGE_SELF)
        Path(sys.argv[3]).write_text(f"{ru.ru_utime + ru.ru_stime:.3f}\n", encoding="utf-8")


class EmulatorProcess:
    def __init__(self, proc: subprocess.Popen[str], host: str) -> None:
        self.proc = proc
        self.api_host = host

    def count(self) -> int:
        """API requests served since the last count."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def times(self) -> list[float]:
        """Arrival times (time.time()) of the API requests served since the last count."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("times\n")
        self.proc.stdin.flush()
        return [float(t) for t in json.loads(self.proc.stdout.readline())]


@contextlib.contextmanager
def emulator_process(n: int, delay: float, cpu_file: str | None = None) -> Iterator[EmulatorProcess]:
    """Start ``serve.py`` (world of ``n`` services, ``delay`` s per API call); stopped on exit."""
    p = subprocess.Popen(
        [sys.executable, str(HERE / "serve.py"), str(n), str(delay), *([cpu_file] if cpu_file else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout is not None
        host = p.stdout.readline().strip()
        if not host:
            raise RuntimeError("bench emulator did not start")
        yield EmulatorProcess(p, host)
    finally:
        assert p.stdin is not None
        p.stdin.close()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
