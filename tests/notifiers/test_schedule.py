from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from notifiers.schedule import SHANGHAI, Digest

DAILY = Digest("daily", time(9, 0))
WEEKLY_FRIDAY = Digest("weekly", time(17, 0), weekday=4)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("detected", "key", "send"),
    [
        (local(2026, 3, 1, 9, 0), "daily:2026-03-02", local(2026, 3, 2, 9, 0)),
        (local(2026, 3, 2, 8, 59), "daily:2026-03-02", local(2026, 3, 2, 9, 0)),
        (local(2026, 3, 2, 9, 0), "daily:2026-03-03", local(2026, 3, 3, 9, 0)),
        (local(2026, 3, 1, 23, 30), "daily:2026-03-02", local(2026, 3, 2, 9, 0)),
    ],
    ids=["at-send-time", "just-before", "exactly-at-next", "late-evening"],
)
def test_daily_digest_holds_the_24_hours_before_its_send_time(
    detected: datetime, key: str, send: datetime
) -> None:
    assert DAILY.period(detected) == (key, send.astimezone(UTC))


def test_send_time_is_local_shanghai_time_in_utc() -> None:
    assert DAILY.period(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))[1] == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("detected", "key", "send"),
    [
        (local(2026, 3, 2, 10, 0), "weekly:2026-W10", local(2026, 3, 6, 17, 0)),
        (local(2026, 3, 6, 16, 59), "weekly:2026-W10", local(2026, 3, 6, 17, 0)),
        (local(2026, 3, 6, 17, 0), "weekly:2026-W11", local(2026, 3, 13, 17, 0)),
    ],
    ids=["monday", "just-before", "at-send-time"],
)
def test_weekly_digest_goes_out_on_its_day(detected: datetime, key: str, send: datetime) -> None:
    assert WEEKLY_FRIDAY.period(detected) == (key, send.astimezone(UTC))


def test_window_of_a_key_ends_at_its_send_time() -> None:
    assert DAILY.window("daily:2026-03-02") == (local(2026, 3, 1, 9, 0), local(2026, 3, 2, 9, 0))


def test_weekly_window_spans_the_week_before() -> None:
    assert WEEKLY_FRIDAY.window("weekly:2026-W10") == (local(2026, 2, 27, 17, 0), local(2026, 3, 6, 17, 0))


def test_window_of_another_schedule_is_unknown() -> None:
    assert DAILY.window("weekly:2026-W10") is None


def test_describe_in_chinese() -> None:
    assert (DAILY.describe(), WEEKLY_FRIDAY.describe()) == ("每日 09:00", "每周五 17:00")
