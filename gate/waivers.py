"""Waivers: which FAIL a policy's ``waivers:`` entry accepts, and until when.

A waiver is in force through the whole of its ``expires:`` day in UTC and
expired from 00:00:00Z the next day: one rule for every runner, whatever its
time zone, and a date written "2025-07-01" still holds on that day everywhere.

Only a FAIL is ever waived. ERROR (could not be evaluated), SKIP and CANCELLED
(not proven) stay what they are: a waiver accepts a known failure, never an
unknown answer. The engine applies :func:`judge` once, when a check finishes;
the loader refuses an expired waiver (:func:`expired`), and ``gate validate``
and ``gate check`` warn about one that ends soon (:func:`expiring`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timezone

from gate.errors import Diagnostic
from gate.model import Status, Waiver, WaiverState, WaiverUse

WARN_DAYS = 10  # `gate validate` warns this many days ahead


def today(now: datetime | None = None) -> date:
    """The UTC date of ``now`` (default: the current time): the clock every expiry uses."""
    moment = now if now is not None else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone; give an aware one")
    return moment.astimezone(timezone.utc).date()


def days_left(waiver: Waiver, on: date) -> int:
    """Whole days from ``on`` to the waiver's last day: 0 on that day, negative once expired."""
    return (waiver.expires - on).days


def is_expired(waiver: Waiver, on: date) -> bool:
    return days_left(waiver, on) < 0


def judge(waiver: Waiver | None, status: Status, summary: str) -> tuple[Status, WaiverUse | None]:
    """The status a finished check reports, and what its waiver did.

    A FAIL whose summary the waiver's ``match`` finds (any FAIL without a match)
    becomes WAIVED; every other status is kept.
    """
    if waiver is None:
        return status, None
    if status is Status.FAIL:
        if waiver.match is None or re.search(waiver.match, summary):
            return Status.WAIVED, WaiverUse(waiver, WaiverState.APPLIED)
        return status, WaiverUse(waiver, WaiverState.NOT_MATCHED)
    if status is Status.PASS:
        return status, WaiverUse(waiver, WaiverState.NOT_NEEDED)
    return status, WaiverUse(waiver, WaiverState.NOT_APPLICABLE)


def when(waiver: Waiver, on: date) -> str:
    """``today``, ``tomorrow`` or ``in 5 days`` (``5 days ago`` once expired)."""
    n = days_left(waiver, on)
    if n == 0:
        return "today"
    if n == 1:
        return "tomorrow"
    if n == -1:
        return "yesterday"
    return f"in {n} days" if n > 0 else f"{-n} days ago"


def expired(waivers: Iterable[Waiver], on: date) -> list[Diagnostic]:
    """An input error per waiver whose last day is before ``on``."""
    out = []
    for w in waivers:
        if is_expired(w, on):
            msg = (
                f"waiver for check {_quoted(w.check)} (owner {w.owner}) expired at the end of "
                f"{w.expires.isoformat()} UTC ({when(w, on)}): fix the check, or renew the waiver "
                "with a later expires: date if the failure is still accepted"
            )
            out.append(Diagnostic(w.source, "", msg))
    return out


def expiring(waivers: Iterable[Waiver], on: date, days: int = WARN_DAYS) -> list[Diagnostic]:
    """A warning per waiver still in force that ends within ``days`` days of ``on``."""
    out = []
    for w in waivers:
        n = days_left(w, on)
        if 0 <= n <= days:
            msg = (
                f"waiver for check {_quoted(w.check)} (owner {w.owner}) expires at the end of "
                f"{w.expires.isoformat()} UTC ({when(w, on)}); after that a failure of the check "
                "blocks again: fix it, or renew the waiver"
            )
            out.append(Diagnostic(w.source, "", msg))
    return out


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
