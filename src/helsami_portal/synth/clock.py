"""Instants around the reference time for the synthetic data: minute offsets, working hours, deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container

from .common import (
    FMT,
    FUTURE_DAYS,
    PAST_DAYS,
    UTC,
)


class _Clock:
    """Instants at minute resolution around `now`: at(k) is k minutes before now (k < 0: after)."""

    def __init__(self, now: dt.datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.now = now.astimezone(UTC)
        self.base = self.now.replace(second=0, microsecond=0)
        try:
            from zoneinfo import ZoneInfo

            local = self.base.astimezone(ZoneInfo("Europe/Oslo"))
        except Exception:  # no tz database: Norwegian standard time
            local = self.base.astimezone(dt.timezone(dt.timedelta(hours=1)))
        self.local_offset = local.utcoffset() or dt.timedelta(0)
        self.today = local.date()
        self.m0 = local.hour * 60 + local.minute  # local minute of day of `base`
        self.fut = FUTURE_DAYS * 1440
        self.past = PAST_DAYS * 1440
        start = self.base + dt.timedelta(minutes=self.fut)
        one = dt.timedelta(minutes=1)
        table = []
        t = start
        for _ in range(self.fut + self.past + 1):
            table.append(t.strftime(FMT))
            t -= one
        self.table = table  # table[k + fut] = instant k minutes before base

    def at(self, k: int) -> str:
        return self.table[k + self.fut]

    def dayback(self, k: int) -> int:
        """Local calendar days between the instant k minutes ago and today."""
        return (k - self.m0 + 1439) // 1440

    def instant(self, d: dt.datetime) -> str:
        return d.astimezone(UTC).strftime(FMT)

    def days_ago(self, days: float) -> str:
        return self.instant(self.base - dt.timedelta(days=days))

    def date_ago(self, days: int) -> str:
        return (self.today - dt.timedelta(days=days)).isoformat()

    def working_hours(self, k: int, after: int, before: int, jitter: float) -> int:
        """Move the instant k minutes ago into 08:00–15:30 local time on the same day, if that
        keeps it between `before` and `after` (minutes ago, exclusive); else leave it."""
        mod = (self.m0 - k) % 1440
        if 480 <= mod <= 930:
            return k
        if mod > 930:
            cand = k + (mod - 930) + int(jitter * 90)
        else:
            cand = k - (480 - mod) - int(jitter * 90)
        return cand if before < cand < after else k

    def future_slot(self, day: int, minute_of_day: int) -> int:
        """k for a local time `minute_of_day` on the day `day` days from today."""
        return self.m0 - minute_of_day - day * 1440

    def deadline_deltas(self, days: int, working: bool) -> list[int]:
        """Per local day (index dayback + FUTURE_DAYS): calendar days to the deadline."""
        import holidays as _holidays

        years = range(self.today.year - 1, self.today.year + 2)
        try:
            hol: Container[dt.date] = _holidays.country_holidays("NO", years=years)
        except Exception:
            hol = {}
        out = []
        for back in range(-FUTURE_DAYS, PAST_DAYS + 2):
            day = self.today - dt.timedelta(days=back)
            if not working:
                out.append(days)
                continue
            d, left = day, days
            while left:
                d += dt.timedelta(days=1)
                if d.weekday() < 5 and d not in hol:
                    left -= 1
            out.append((d - day).days)
        return out
