"""Instants as fixed-width UTC strings, so that text order is time order on every database; and
the one clinical time zone (Europe/Oslo unless HELSAMI_CLINICAL_TZ says otherwise) in which the
portal reads wall-clock times and writes them for people, whatever the host's zone."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"
DEFAULT_CLINICAL_ZONE = "Europe/Oslo"


def _clinical_zone() -> ZoneInfo:
    name = os.environ.get("HELSAMI_CLINICAL_TZ", "").strip() or DEFAULT_CLINICAL_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_CLINICAL_ZONE)


CLINICAL_ZONE = _clinical_zone()


def clinical(value: dt.datetime) -> dt.datetime:
    """`value` (naive: UTC) as wall-clock time in the clinical zone, never the host's."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CLINICAL_ZONE)


def clinical_today() -> dt.date:
    """Today's date in the clinical zone (the UTC date is yesterday's until 01:00 or 02:00)."""
    return clinical(utcnow()).date()


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def instant(value: dt.datetime | None = None) -> str:
    value = value or utcnow()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(FMT)


def parse(value: str) -> dt.datetime:
    """Parse a FHIR date, dateTime or instant (partial dates allowed) into an aware datetime."""
    v = value.strip()
    if len(v) == 4:
        v += "-01-01"
    elif len(v) == 7:
        v += "-01"
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(v)
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d


def norm(value: object) -> str:
    """A sortable column value for a FHIR date/dateTime; "" when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        if len(value) <= 10:  # a plain date keeps its own precision
            dt.date.fromisoformat(value if len(value) == 10 else parse(value).date().isoformat())
            return value
        return instant(parse(value))
    except ValueError:
        return ""
