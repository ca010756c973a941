"""Servers that never print a Python traceback.

A client that goes away mid-answer (a gate run that timed out, Ctrl-C on a
curl) is ordinary for an emulator: it is ignored. Anything else a handler
raises is one line on stderr, never a traceback (GATE_DEBUG=1 shows it).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from http.server import ThreadingHTTPServer
from typing import Any

# The peer closed or reset the connection while we read or wrote.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def report(where: str, exc: BaseException | None) -> None:
    if exc is None or isinstance(exc, CLIENT_GONE):
        return
    if os.environ.get("GATE_DEBUG") == "1":
        traceback.print_exception(exc)
    sys.stderr.write(f"gate emulator: {where}: {type(exc).__name__}: {exc}\n")


class QuietHTTPServer(ThreadingHTTPServer):
    """``socketserver`` prints a traceback for any handler exception; this does not."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        host, port = (client_address or ("?", "?"))[:2]
        report(f"a request from {host}:{port} failed", sys.exc_info()[1])


class _OneLine(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            report(record.getMessage(), exc)
        elif record.levelno >= logging.ERROR:
            sys.stderr.write(f"gate emulator: {record.getMessage()}\n")


def quiet_logger(name: str) -> logging.Logger:
    """A logger for a library server (websockets) that writes one line per real error."""
    logger = logging.getLogger(name)
    if not any(isinstance(h, _OneLine) for h in logger.handlers):
        logger.addHandler(_OneLine(logging.WARNING))
    logger.propagate = False
    return logger
