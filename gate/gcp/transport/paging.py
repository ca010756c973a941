"""List calls page by page, each page one bounded, retried call.

A client pager fetches later pages lazily with the first call's timeout and
outside our retry loop, so only its first page is taken (``.pages``: the
items iterator of some pagers yields warnings, not items) and the page token
is followed here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from gate.errors import ApiError

MAX_PAGES = 50


class _Caller(Protocol):
    def call(
        self,
        api: str,
        method: str,
        fn: Callable[[float], Any],
        *,
        deadline: float,
        resource: str,
        permission: str,
    ) -> Any: ...


def first_page(pager: Any) -> Any:
    """The response the pager already holds (no further request)."""
    return next(iter(pager.pages))


def pages(
    transport: _Caller,
    api: str,
    method: str,
    fetch: Callable[[str, float], Any],
    *,
    deadline: float,
    resource: str,
    permission: str,
    max_pages: int = MAX_PAGES,
) -> Iterator[Any]:
    """Yield each page response; ``fetch(page_token, timeout_s)`` returns one page."""
    token = ""
    seen: set[str] = set()
    for _ in range(max_pages):
        current = token
        page = transport.call(
            api,
            method,
            functools.partial(fetch, current),
            deadline=deadline,
            resource=resource,
            permission=permission,
        )
        yield page
        token = getattr(page, "next_page_token", "") or ""
        if not token:
            return
        if token in seen:
            raise ApiError(api, f"{method}: the API repeated a page token", resource=resource)
        seen.add(token)
    raise ApiError(
        api, f"{method}: more than {max_pages} pages; refusing to read a partial list", resource=resource
    )
