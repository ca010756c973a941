"""gate.waivers: what a waiver applies to, and when it ends. Every date is relative to an
injected "today", so nothing here rots when the calendar moves on."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from gate import waivers
from gate.model import SourceRef, Status, Waiver, WaiverState

TODAY = date(2031, 3, 14)  # any date: every assertion is relative to it


def waiver(expires: date = TODAY, match: str | None = None) -> Waiver:
    return Waiver("sql", "OPS-1", "data", expires, match, SourceRef("p.yaml", 20, 5))


def test_a_matching_fail_becomes_waived() -> None:
    w = waiver(match=r"tier db-\S+ is below")
    status, use = waivers.judge(w, Status.FAIL, "tier db-g1-small is below the minimum")
    assert status is Status.WAIVED and use is not None
    assert (use.waiver, use.state) == (w, WaiverState.APPLIED)


def test_a_waiver_without_match_waives_any_fail() -> None:
    assert waivers.judge(waiver(), Status.FAIL, "anything at all")[0] is Status.WAIVED


def test_match_is_searched_not_anchored_and_case_sensitive() -> None:
    w = waiver(match="below the minimum")
    assert waivers.judge(w, Status.FAIL, "x: below the minimum (not retried)")[0] is Status.WAIVED
    status, use = waivers.judge(w, Status.FAIL, "BELOW THE MINIMUM")
    assert status is Status.FAIL and use is not None and use.state is WaiverState.NOT_MATCHED
    assert waivers.judge(waiver(match="(?i)below"), Status.FAIL, "BELOW")[0] is Status.WAIVED


def test_a_fail_the_match_does_not_find_stays_a_fail() -> None:
    status, use = waivers.judge(waiver(match="tier"), Status.FAIL, "instance is STOPPED")
    assert status is Status.FAIL and use is not None and use.state is WaiverState.NOT_MATCHED


@pytest.mark.parametrize("status", [Status.ERROR, Status.SKIP, Status.CANCELLED])
def test_only_a_fail_is_ever_waived(status: Status) -> None:
    # Even with a match that finds the summary: an unknown answer is never accepted.
    got, use = waivers.judge(waiver(match="tier"), status, "tier unknown: HTTP 403")
    assert got is status and use is not None and use.state is WaiverState.NOT_APPLICABLE


def test_a_pass_with_a_waiver_says_the_waiver_is_not_needed() -> None:
    status, use = waivers.judge(waiver(), Status.PASS, "ok")
    assert status is Status.PASS and use is not None and use.state is WaiverState.NOT_NEEDED


def test_no_waiver_changes_nothing() -> None:
    for status in Status:
        assert waivers.judge(None, status, "x") == (status, None)


def test_a_waiver_holds_through_its_last_day_in_utc() -> None:
    w = waiver(expires=TODAY)
    assert not waivers.is_expired(w, TODAY) and waivers.days_left(w, TODAY) == 0
    assert waivers.is_expired(w, TODAY + timedelta(days=1))
    assert waivers.days_left(w, TODAY - timedelta(days=3)) == 3


def test_today_is_the_utc_date_whatever_the_local_offset() -> None:
    # 23:30 on the 14th in New York is already the 15th in UTC; 00:30 in Tokyo on the 15th is the 14th.
    ny = datetime(2031, 3, 14, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    tokyo = datetime(2031, 3, 15, 0, 30, tzinfo=timezone(timedelta(hours=9)))
    assert waivers.today(ny) == date(2031, 3, 15)
    assert waivers.today(tokyo) == date(2031, 3, 14)
    with pytest.raises(ValueError, match="time zone"):
        waivers.today(datetime(2031, 3, 14, 12, 0))
    assert isinstance(waivers.today(), date)


def test_expired_names_the_waiver_where_it_is_written() -> None:
    live, gone = waiver(expires=TODAY), waiver(expires=TODAY - timedelta(days=2))
    found = waivers.expired([live, gone], TODAY)
    assert len(found) == 1
    d = found[0]
    assert d.source == SourceRef("p.yaml", 20, 5)
    assert 'waiver for check "sql" (owner data) expired at the end of' in d.message
    assert f"{gone.expires.isoformat()} UTC (2 days ago)" in d.message


def test_expiring_warns_from_ten_days_ahead_until_the_last_day() -> None:
    def warned(days: int) -> bool:
        return bool(waivers.expiring([waiver(expires=TODAY + timedelta(days=days))], TODAY))

    assert waivers.WARN_DAYS == 10
    assert [warned(n) for n in (-1, 0, 1, 9, 10, 11, 30)] == [False, True, True, True, True, False, False]
    (d,) = waivers.expiring([waiver(expires=TODAY + timedelta(days=4))], TODAY)
    assert "(in 4 days)" in d.message and d.source == SourceRef("p.yaml", 20, 5)
    (d,) = waivers.expiring([waiver(expires=TODAY)], TODAY)
    assert "(today)" in d.message
    (d,) = waivers.expiring([waiver(expires=TODAY + timedelta(days=1))], TODAY)
    assert "(tomorrow)" in d.message
