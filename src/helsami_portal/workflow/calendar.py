"""A simple calendar of free appointment times per service (inbox), read as FHIR Slots.

Each service is open on weekdays from 08:00 to 15:30 Europe/Oslo, in 30-minute slots, unless its
HealthcareService says otherwise in `availableTime` (daysOfWeek, availableStartTime,
availableEndTime). A slot is free when no booked or proposed Appointment of that service (the
service is one of its participants) overlaps it, and it starts after now. Slots are computed,
never stored: the calendar is the opening hours minus the appointments.

No patient data leaves here (a Slot names only the service and the time), so a read is not
written to the access log; only staff who work in inboxes may read it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ..auth.principal import Principal
from ..fhir import narrative, timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_of
from ..store import appointments
from ..store.store import Store
from . import access

OSLO = ZoneInfo("Europe/Oslo")
SLOT_MINUTES = 30
DEFAULT_HOURS = ((0, 1, 2, 3, 4), dt.time(8, 0), dt.time(15, 30))
MAX_DAYS = 62
MAX_COUNT = 200
DAY_CODES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
BUSY = ("booked", "proposed", "pending", "arrived", "checked-in")


@dataclass(frozen=True)
class Hours:
    days: tuple[int, ...]
    start: dt.time
    end: dt.time


def opening_hours(service: dict[str, Any]) -> list[Hours]:
    """The service's opening hours (availableTime), or the default weekdays 08:00–15:30."""
    out = []
    for a in service.get("availableTime") or []:
        if not isinstance(a, dict):
            continue
        days = tuple(DAY_CODES[d] for d in a.get("daysOfWeek") or [] if d in DAY_CODES)
        try:
            start = dt.time.fromisoformat(str(a.get("availableStartTime") or "08:00:00"))
            end = dt.time.fromisoformat(str(a.get("availableEndTime") or "15:30:00"))
        except ValueError:
            continue
        if days and start < end:
            out.append(Hours(days, start, end))
    return out or [Hours(*DEFAULT_HOURS)]


def _window(params: dict[str, list[str]], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    lo, hi = now, None
    for v in params.get("start", []):
        prefix, value = v[:2], v[2:]
        if prefix not in ("ge", "gt", "lt", "le"):
            prefix, value = "ge", v
        try:
            at = timeutil.parse(value)
        except ValueError:
            raise FhirError(
                400,
                "start must be a date or dateTime, with ge or lt.",
                expression="start",
                reason="invalid-parameter",
                args={"name": "start"},
            ) from None
        if at.tzinfo is None or len(value) <= 10:
            at = dt.datetime.combine(at.date(), dt.time(0), OSLO)  # a date is a day in Oslo
        if prefix in ("ge", "gt"):
            lo = max(lo, at)
        else:
            hi = at
    hi = hi or lo + dt.timedelta(days=14)
    if hi <= lo:
        raise FhirError(
            400,
            "The window is empty: start=lt must come after start=ge.",
            expression="start",
            reason="invalid-parameter",
            args={"name": "start"},
        )
    if hi - lo > dt.timedelta(days=MAX_DAYS):
        raise FhirError(
            400,
            f"Ask for at most {MAX_DAYS} days of free times at once.",
            expression="start",
            reason="parameter-out-of-range",
            args={"name": "start", "min": 1, "max": MAX_DAYS},
        )
    return lo, hi


def _busy(store: Store, service_ref: str, lo: dt.datetime, hi: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of the service's booked or proposed appointments that may overlap [lo, hi)."""
    out = []
    with store.read() as tx:
        rows = appointments.starting_between(
            tx, BUSY, timeutil.instant(lo - dt.timedelta(days=1)), timeutil.instant(hi)
        )
    for content in rows:
        a = json.loads(content)
        if not any(ref_of((p or {}).get("actor")) == service_ref for p in a.get("participant") or []):
            continue
        if not a.get("start"):
            continue
        start = timeutil.parse(a["start"])
        end = (
            timeutil.parse(a["end"])
            if a.get("end")
            else start + dt.timedelta(minutes=int(a.get("minutesDuration") or SLOT_MINUTES))
        )
        out.append((start, end))
    return out


def free_slots(store: Store, p: Principal, params: dict[str, list[str]]) -> dict[str, Any]:
    """GET /fhir/Slot?service=HealthcareService/x[&start=geDATE][&start=ltDATE][&_count=n]:
    a searchset Bundle of the service's free Slots in the window (default: the next 14 days)."""
    access.require_role(p, *access.INBOX_ROLES, what="see free appointment times")
    unknown = sorted(set(params) - {"service", "schedule", "start", "_count", "status"})
    if unknown:
        raise FhirError(
            400,
            f"Slot cannot be searched by {unknown[0][:40]}: use service, start and _count.",
            reason="unknown-search-parameter",
            args={"name": unknown[0][:40]},
        )
    service_ref = (params.get("service") or params.get("schedule") or [""])[0].strip()
    if not service_ref.startswith("HealthcareService/") or len(service_ref) > 100:
        raise FhirError(
            400,
            "Say whose calendar: service=HealthcareService/<id>.",
            expression="service",
            reason="parameter-required",
            args={"name": "service"},
        )
    try:
        count = int((params.get("_count") or ["50"])[0])
    except ValueError:
        raise FhirError(
            400,
            "_count must be a whole number.",
            expression="_count",
            reason="invalid-parameter",
            args={"name": "_count"},
        ) from None
    count = max(1, min(count, MAX_COUNT))
    with store.read() as tx:
        service = tx.get("HealthcareService", service_ref.split("/", 1)[1])
    if service is None:
        raise FhirError(404, "There is no such service.", reason="not-found", args={"item": service_ref})
    now = timeutil.utcnow()
    lo, hi = _window(params, now)
    busy = _busy(store, service_ref, lo, hi)
    hours = opening_hours(service)
    slots: list[dict[str, Any]] = []
    day = lo.astimezone(OSLO).date()
    while len(slots) < count and dt.datetime.combine(day, dt.time(0), OSLO) < hi:
        for h in hours:
            if day.weekday() not in h.days:
                continue
            at = dt.datetime.combine(day, h.start, OSLO)
            close = dt.datetime.combine(day, h.end, OSLO)
            while at + dt.timedelta(minutes=SLOT_MINUTES) <= close and len(slots) < count:
                end = at + dt.timedelta(minutes=SLOT_MINUTES)
                if at >= lo and end <= hi and not any(b0 < end and at < b1 for b0, b1 in busy):
                    slots.append(_slot(service, at, end))
                at = end
        day += dt.timedelta(days=1)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(slots),
        "entry": [{"resource": s, "search": {"mode": "match"}} for s in slots],
    }


def _slot(service: dict[str, Any], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """A free time, made on each read (never stored): finished as a stored resource is, with its
    generated narrative (dom-6)."""
    sid = str(service["id"])
    return narrative.finish(
        {
            "resourceType": "Slot",
            "id": f"{sid}.{start.astimezone(dt.UTC):%Y%m%dT%H%M}",
            "schedule": {"reference": f"HealthcareService/{sid}", "display": str(service.get("name") or "")},
            "serviceType": [{"text": str(service.get("name") or "")}],
            "status": "free",
            "start": timeutil.instant(start),
            "end": timeutil.instant(end),
        }
    )
