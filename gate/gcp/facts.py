"""Helpers shared by the providers for turning client messages into facts.

The clients turn a missing field into its zero value ("" / 0 / *_UNSPECIFIED),
so a needed fact that is empty is reported as :class:`MissingFactError`, never
passed on as a value a check could mistake for OK.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from gate.errors import MissingFactError

T = TypeVar("T")


class Sensitive:
    """A value that may be a credential: hidden from str/repr/format; ``reveal()`` to use it.

    JSON encoders refuse it (not a str), so it cannot leak into evidence by accident.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Sensitive('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sensitive) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Sensitive", self._value))


def need(value: T, what: str, resource: str) -> T:
    """``value`` unless it is empty/zero: then the API answered without a needed field."""
    if value in (None, "", 0) or (isinstance(value, str) and value.endswith("_UNSPECIFIED")):
        raise MissingFactError(f"{resource}: the API response has no {what}")
    return value


def enum_name(value: Any) -> str:
    """The enum's name (``READY``); an unknown/unset value becomes ``*_UNSPECIFIED``."""
    name = getattr(value, "name", None)
    return str(name) if name is not None else str(value)


def need_enum(value: Any, what: str, resource: str) -> str:
    return need(enum_name(value), what, resource)


def opt(value: str) -> str | None:
    """An optional string fact: None when absent (never "")."""
    return value or None


def timestamp(value: Any) -> dt.datetime | None:
    """A proto-plus timestamp (DatetimeWithNanoseconds) as an aware UTC datetime, or None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.year <= 1970 and value.timestamp() == 0:
            return None
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return None


def parse_rfc3339(text: str) -> dt.datetime:
    """RFC 3339 with up to nanoseconds ("2024-05-01T10:00:00.123456789Z") to an aware datetime."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    if "." in s:
        head, _, rest = s.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        s = f"{head}.{(digits + '000000')[:6]}{rest}"
    parsed = dt.datetime.fromisoformat(s)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    return parsed


def rfc3339(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware (UTC) datetime")
    return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
