"""Instants as fixed-width UTC strings, so that text order is time order on every database."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"


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
