"""Keep secrets out of every output.

Two defences: values registered during the run (header values, tokens, env
values a check read) are replaced wherever they appear, longest first, and
shapes that look like credentials (bearer tokens, JWTs, credential query
parameters and ``user:password@`` in URLs, ``password=...`` pairs, the
``jwt.<token>`` subprotocol) are masked even if nobody registered them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

MASK = "***"

CREDENTIAL_PARAMS = re.compile(
    r"(?i)^(.*token.*|.*secret.*|.*passw(or)?d.*|.*api[-_]?key.*|key|sig|signature|auth|authorization|"
    r"code|credential.*|session.*|x-amz-.*|access[-_]?key.*)$"
)
_PATTERNS = [
    # Authorization: Bearer xxx / Basic xxx
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}"), r"\1 " + MASK),
    # JWTs
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # the jwt.<token> WebSocket subprotocol
    (re.compile(r"\bjwt\.[A-Za-z0-9._~+/=-]{4,}"), "jwt." + MASK),
    # user:password@ in a URL quoted in free text (an exception message, a redirect)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@\"'<>?#]+@"), r"\1" + MASK + "@"),
    # key=value pairs whose key looks like a credential, in free text or query strings
    (
        re.compile(
            # the key must END in the credential word: "client_secret=x" is masked,
            # "secretmanager: HTTP 401" (an API name) is not
            r"(?i)\b([\w-]*(?:token|secret|passw(?:or)?d|api[-_]?key|access[-_]?key|private[-_]?key|secret[-_]?key))"
            r"(\"?\s*[=:]\s*)(\"?)([^\s\"&,;]{3,})"
        ),
        r"\1\2\3" + MASK,
    ),
]
# A query or fragment parameter in free text: masked when its name is a CREDENTIAL_PARAMS name.
_URL_PARAM = re.compile(r"([?&#])([^=&#\s\"'<>]+)=([^&#\s\"'<>]+)")
MIN_LENGTH = 4  # shorter registered values would mask ordinary words; they are not credentials anyway


def _mask_url_param(m: re.Match[str]) -> str:
    if not CREDENTIAL_PARAMS.match(unquote_plus(m.group(2))):
        return m.group(0)
    return f"{m.group(1)}{m.group(2)}={MASK}"


class Redactor:
    def __init__(self, values: list[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        for v in values or []:
            self.add(v)

    def add(self, value: str | None) -> None:
        if value and len(value) >= MIN_LENGTH:
            with self._lock:
                self._values.add(value)

    def text(self, s: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for v in values:
            if v in s:
                s = s.replace(v, MASK)
        for pattern, repl in _PATTERNS:
            s = pattern.sub(repl, s)
        return _URL_PARAM.sub(_mask_url_param, s)

    def deep(self, value: Any) -> Any:
        """Redact every string inside JSON-like data (keys are left alone)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.deep(v) for v in value]
        return value


def redact_url(url: str) -> str:
    """Mask credential-looking query parameters and userinfo in a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    query = _mask_params(parts.query)
    # OAuth's implicit flow returns access_token=... in the fragment.
    fragment = _mask_params(parts.fragment) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _mask_params(qs: str) -> str:
    pairs = parse_qsl(qs, keep_blank_values=True)
    return urlencode([(k, MASK if CREDENTIAL_PARAMS.match(k) else v) for k, v in pairs], safe="*")
