"""Import a run's client modules in the background, in the order the checks will need them.

A cold ``gate check`` spends most of its CPU importing Google client libraries, and
its checks spend most of their time waiting for API answers. One background thread
imports the modules the policy's checks declare (``CheckType.apis_for``) while the
first requests are in flight: the Cloud Run client first (every check's first
read), Compute last among the networking reads (the fourth hop of a reachability
chain). A check never waits for this thread: it imports what it needs itself on first
use (``Transport.client``), and the import system's per-module locks make the two
share the work rather than repeat it.

One thread, not one per library: imports are CPU-bound and hold the GIL, so parallel
import threads only slow each other down and take turns away from the checks' own
threads. The thread is a daemon; it stops between modules when the run ends, and the run
waits for the module in progress so that nothing is importing at exit.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable

from gate.narrow_import import narrow_import


class Preload:
    def __init__(self, modules: Iterable[str]) -> None:
        # Modules already imported (a warm process, a second run) cost nothing.
        self.modules = [m for m in dict.fromkeys(modules) if m not in sys.modules]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Preload:
        if self.modules:
            self._thread = threading.Thread(target=self._run, name="gate-preload", daemon=True)
            self._thread.start()
        return self

    def stop(self, wait: float = 10.0) -> None:
        """Import nothing more, and wait (bounded) for the module being imported.

        Waiting matters at exit: an import still running on a daemon thread while
        the interpreter shuts down can create ``weakref.finalize`` objects while
        ``weakref``'s exit hook walks them, which prints "Exception ignored ...
        dictionary changed size during iteration" with a traceback on stderr."""
        self._stop.set()
        self.join(wait)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        for module in self.modules:
            if self._stop.is_set():
                return
            try:
                narrow_import(module)
            except Exception:  # the check that needs it imports it again and reports why
                continue
