"""The one clinical time zone of the terminal app: times are shown in it and typed times are read
in it, whatever the zone of the host (an SSH server usually runs in UTC). Europe/Oslo unless the
`time_zone` setting names another IANA zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Oslo"


def zone(name: str | None = None) -> ZoneInfo:
    """The clinical zone named `name` (an IANA name), or Europe/Oslo; ValueError if unknown."""
    try:
        return ZoneInfo((name or "").strip() or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {name!r}") from e


CLINICAL_ZONE = zone()
_current: dt.tzinfo = CLINICAL_ZONE


def use(tz: dt.tzinfo) -> None:
    """Make `tz` the zone of this process's clinical times (the app does, from its `time_zone`
    setting, before it shows anything)."""
    global _current
    _current = tz


def current() -> dt.tzinfo:
    """The clinical zone in use (Europe/Oslo unless the setting named another)."""
    return _current


def local(value: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """`value` as wall-clock time in `tz` (None: the clinical zone, never the host's)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz or _current)


def zone_label(tz: dt.tzinfo | None = None) -> str:
    """The zone as staff should read it where a time could be taken for another zone."""
    tz = tz or _current
    return str(getattr(tz, "key", None) or tz.tzname(None) or "UTC")


def read_local(naive: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """A wall-clock time typed by staff, read in `tz` (None: the clinical zone)."""
    return naive.replace(tzinfo=tz or _current) if naive.tzinfo is None else naive
