"""When a digest goes out, and which digest a change belongs to.

Teams read digests at a fixed local time, so periods are computed in Shanghai time. A digest holds the
changes detected since the previous one up to (not including) its own send time: nothing waits longer
than one period, and a change detected exactly at the send time goes out with the next digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
"""A fixed offset: China has no daylight saving time, so no tz database is needed."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_LABELS = ("一", "二", "三", "四", "五", "六", "日")


@dataclass(frozen=True)
class Digest:
    """``daily`` or ``weekly`` at a local time (weekly on ``weekday``, Monday = 0)."""

    every: str
    at: time
    weekday: int = 0

    @property
    def length(self) -> timedelta:
        return timedelta(days=1 if self.every == "daily" else 7)

    def period(self, detected_at: datetime) -> tuple[str, datetime]:
        """The key (``daily:2026-03-02``, ``weekly:2026-W10``) and UTC send time of the digest that
        carries a change detected at ``detected_at``; keys are named after the send date."""
        local = detected_at.astimezone(SHANGHAI)
        send = datetime.combine(local.date(), self.at, SHANGHAI)
        if self.every == "weekly":
            send += timedelta(days=(self.weekday - send.weekday()) % 7)
        if send <= local:
            send += self.length
        if self.every == "daily":
            key = f"daily:{send.date().isoformat()}"
        else:
            year, week, _ = send.isocalendar()
            key = f"weekly:{year}-W{week:02d}"
        return key, send.astimezone(UTC)

    def describe(self) -> str:
        """How a reader says it: ``每日 09:00`` or ``每周一 09:00`` (Beijing time)."""
        day = "每日" if self.every == "daily" else f"每周{_WEEKDAY_LABELS[self.weekday]}"
        return f"{day} {self.at:%H:%M}"

    def window(self, key: str) -> tuple[datetime, datetime] | None:
        """The detection times (from, to) the digest ``key`` covers; None if ``key`` is not of this
        schedule (the subscription's mode changed since its rows were routed)."""
        every, _, label = key.partition(":")
        if every != self.every:
            return None
        if every == "daily":
            day = date.fromisoformat(label)
        else:
            year, _, week = label.partition("-W")
            day = date.fromisocalendar(int(year), int(week), self.weekday + 1)
        end = datetime.combine(day, self.at, SHANGHAI)
        return end - self.length, end
