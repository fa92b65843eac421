"""Working time: weekdays 08:00–16:00 in Europe/Oslo, Norwegian public holidays excluded.

Inboxes that say so (`counts-working-time`) count their safety-net delay and response time in
working time. Holidays come from the maintained `holidays` package (`country_holidays("NO")`),
never from a hand-written list. Instants in and out are timezone-aware datetimes; naive ones are
taken as UTC. Office hours are local wall-clock hours, so daylight saving changes are handled
by `zoneinfo` (08:00 and 16:00 never fall in a DST gap).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from ..fhir.timeutil import CLINICAL_ZONE

OSLO = CLINICAL_ZONE  # the one clinical zone (fhir/timeutil.py)
UTC = dt.UTC
OPENS = dt.time(8, 0)
CLOSES = dt.time(16, 0)
DAY_MINUTES = 8 * 60  # one working day
_MAX_DAYS = 366 * 20  # a guard: no delay or deadline reaches further than this


@lru_cache(maxsize=128)
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("NO", years=year).keys())


def is_holiday(day: dt.date) -> bool:
    return day in _holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def _aware(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


def office_hours(day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The working window of a local calendar day (in UTC), or None on a day off."""
    if not is_working_day(day):
        return None
    start = dt.datetime.combine(day, OPENS, tzinfo=OSLO).astimezone(UTC)
    end = dt.datetime.combine(day, CLOSES, tzinfo=OSLO).astimezone(UTC)
    return start, end


def is_working_time(t: dt.datetime) -> bool:
    t = _aware(t)
    window = office_hours(t.astimezone(OSLO).date())
    return window is not None and window[0] <= t < window[1]


def add_working_minutes(start: dt.datetime, minutes: float) -> dt.datetime:
    """The instant `minutes` of working time after `start` (before it, if negative).

    Forwards, the answer is the earliest instant with that much working time since `start`
    (so 8 hours from Friday 08:00 is Friday 16:00, not Monday 08:00). Backwards, it is the
    latest instant with that much working time until `start`: an item that arrived at or before
    it has waited at least `minutes` of working time.
    """
    start = _aware(start).astimezone(UTC)
    if minutes == 0:
        return start
    remaining = dt.timedelta(minutes=abs(minutes))
    day = start.astimezone(OSLO).date()
    step = dt.timedelta(days=1 if minutes > 0 else -1)
    for _ in range(_MAX_DAYS):
        window = office_hours(day)
        if window is not None:
            lo, hi = window
            if minutes > 0:
                lo = max(lo, start)
                if lo < hi:
                    if remaining <= hi - lo:
                        return lo + remaining
                    remaining -= hi - lo
            else:
                hi = min(hi, start)
                if lo < hi:
                    if remaining <= hi - lo:
                        return hi - remaining
                    remaining -= hi - lo
        day += step
    raise ValueError("working time out of range")


def working_minutes_between(a: dt.datetime, b: dt.datetime) -> float:
    """Minutes of working time from `a` to `b` (negative if `b` is before `a`)."""
    a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
    if b < a:
        return -working_minutes_between(b, a)
    total = dt.timedelta()
    day, last = a.astimezone(OSLO).date(), b.astimezone(OSLO).date()
    if (last - day).days > _MAX_DAYS:
        raise ValueError("working time out of range")
    while day <= last:
        window = office_hours(day)
        if window is not None:
            lo, hi = max(window[0], a), min(window[1], b)
            if lo < hi:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total.total_seconds() / 60


def add_working_days(start: dt.datetime, days: float) -> dt.datetime:
    """`days` working days (of 8 hours) after `start`: a message on Monday 10:00 with five
    working days is due the next Monday 10:00; one sent on Saturday is due Friday 16:00."""
    return add_working_minutes(start, days * DAY_MINUTES)


def add_time(start: dt.datetime, minutes: float, *, working: bool) -> dt.datetime:
    """Add minutes of working time, or of calendar time when the inbox does not count working time."""
    if working:
        return add_working_minutes(start, minutes)
    return _aware(start).astimezone(UTC) + dt.timedelta(minutes=minutes)
