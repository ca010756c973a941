"""gate.gcp.transport.paging: list calls page by page, each page its own bounded call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from gate.errors import ApiError
from gate.gcp.transport import paging


@dataclass
class Page:
    items: list[int]
    next_page_token: str = ""


@dataclass
class Transport:
    """Records each call as the real Transport.call receives it, and makes it with a 5 s timeout."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def call(
        self,
        api: str,
        method: str,
        fn: Callable[[float], Any],
        *,
        deadline: float,
        resource: str,
        permission: str,
    ) -> Any:
        self.calls.append(
            {
                "api": api,
                "method": method,
                "deadline": deadline,
                "resource": resource,
                "permission": permission,
            }
        )
        return fn(5.0)


def fetcher(pages: dict[str, Page]) -> tuple[Callable[[str, float], Page], list[tuple[str, float]]]:
    asked: list[tuple[str, float]] = []

    def fetch(token: str, timeout: float) -> Page:
        asked.append((token, timeout))
        return pages[token]

    return fetch, asked


def read(transport: Transport, fetch: Callable[[str, float], Page], **kw: Any) -> list[Page]:
    return list(
        paging.pages(
            transport,
            "compute",
            "firewalls.list",
            fetch,
            deadline=99.0,
            resource="projects/p",
            permission="compute.firewalls.list",
            **kw,
        )
    )


def test_the_page_token_is_followed_to_the_last_page() -> None:
    fetch, asked = fetcher({"": Page([1, 2], "t2"), "t2": Page([3], "t3"), "t3": Page([4])})
    t = Transport()
    assert [p.items for p in read(t, fetch)] == [[1, 2], [3], [4]]
    assert asked == [("", 5.0), ("t2", 5.0), ("t3", 5.0)]
    assert (
        t.calls
        == [
            {
                "api": "compute",
                "method": "firewalls.list",
                "deadline": 99.0,
                "resource": "projects/p",
                "permission": "compute.firewalls.list",
            }
        ]
        * 3
    )


def test_one_page_is_one_call() -> None:
    fetch, asked = fetcher({"": Page([1])})
    assert len(read(Transport(), fetch)) == 1 and asked == [("", 5.0)]


def test_a_page_without_a_token_attribute_is_the_last() -> None:
    t = Transport()
    pages = list(
        paging.pages(t, "a", "m", lambda token, timeout: object(), deadline=1.0, resource="r", permission="p")
    )
    assert len(pages) == 1


def test_a_repeated_page_token_is_an_error_not_a_loop() -> None:
    fetch, asked = fetcher({"": Page([1], "t2"), "t2": Page([2], "t3"), "t3": Page([3], "t2")})
    with pytest.raises(ApiError) as e:
        read(Transport(), fetch)
    assert str(e.value) == "compute: firewalls.list: the API repeated a page token; resource projects/p"
    assert [token for token, _ in asked] == ["", "t2", "t3"]


def test_more_pages_than_allowed_is_an_error_not_a_partial_list() -> None:
    fetch, asked = fetcher({"": Page([0], "t1"), **{f"t{i}": Page([i], f"t{i + 1}") for i in range(1, 5)}})
    got: list[Page] = []
    with pytest.raises(ApiError) as e:
        for page in paging.pages(
            Transport(),
            "compute",
            "routes.list",
            fetch,
            deadline=1.0,
            resource="projects/p",
            permission="p",
            max_pages=3,
        ):
            got.append(page)
    assert (
        str(e.value)
        == "compute: routes.list: more than 3 pages; refusing to read a partial list; resource projects/p"
    )
    assert len(got) == 3 and len(asked) == 3


def test_exactly_the_allowed_number_of_pages_is_fine() -> None:
    fetch, _ = fetcher({"": Page([0], "t1"), "t1": Page([1], "t2"), "t2": Page([2])})
    assert len(read(Transport(), fetch, max_pages=3)) == 3
    assert paging.MAX_PAGES == 50


def test_first_page_takes_the_page_the_pager_holds() -> None:
    class Pager:
        def __init__(self) -> None:
            self.pages = iter([Page([1], "more"), Page([2])])

    pager = Pager()
    assert paging.first_page(pager) == Page([1], "more")
    assert next(pager.pages) == Page([2])  # nothing else was read
