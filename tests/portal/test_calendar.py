"""Free appointment times per service (GET /fhir/Slot): opening hours minus the service's booked
and proposed appointments, in Europe/Oslo; bounded; staff who work in inboxes only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.fhir import timeutil
from helsami_portal.store.schema import resource

OSLO = ZoneInfo("Europe/Oslo")


def slots(api: Any, **params: str) -> list[dict[str, Any]]:
    r = api.get("/fhir/Slot", params=params)
    assert r.status_code == 200, r.text
    return [e["resource"] for e in r.json()["entry"]]


def booked_of(portal: EmbeddedPortal, service: str) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    with portal.store.read() as tx:
        for (content,) in tx.conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "Appointment")):
            a = json.loads(content)
            if (
                a.get("status") in ("booked", "proposed")
                and a.get("start")
                and any((p.get("actor") or {}).get("reference") == service for p in a.get("participant") or [])
            ):
                s = timeutil.parse(a["start"])
                out.append((s, timeutil.parse(a["end"]) if a.get("end") else s + dt.timedelta(minutes=30)))
    return out


def test_free_times_are_opening_hours_minus_booked_appointments(portal: EmbeddedPortal, sign_in: Any) -> None:
    lege = sign_in("lege")
    service = "HealthcareService/hs-fjordvik-legesenter"
    busy = booked_of(portal, service)
    assert busy, "the seed books appointments in this service"
    first = min(b[0] for b in busy if b[0] > timeutil.utcnow())
    day = first.astimezone(OSLO).date()
    got = slots(lege, service=service, start=f"ge{day.isoformat()}", **{"_count": "200"})
    assert got
    for s in got:
        start, end = timeutil.parse(s["start"]), timeutil.parse(s["end"])
        local = start.astimezone(OSLO)
        assert s["status"] == "free" and s["schedule"]["reference"] == service
        assert local.weekday() < 5 and dt.time(8, 0) <= local.time() and end.astimezone(OSLO).time() <= dt.time(15, 30)
        assert end - start == dt.timedelta(minutes=30) and start > timeutil.utcnow()
        assert not any(b0 < end and start < b1 for b0, b1 in busy)  # never over a booked time
    # The booked time itself is not offered, the times around it on that day are.
    starts = {timeutil.parse(s["start"]) for s in got}
    assert first not in starts
    assert any(x.astimezone(OSLO).date() == day for x in starts) or day.weekday() >= 5


def test_window_count_and_refusals(sign_in: Any) -> None:
    lege, it = sign_in("lege"), sign_in("it")
    service = "HealthcareService/hs-fjordvik-legesenter"
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    got = slots(lege, service=service, start=f"ge{monday.isoformat()}", **{"_count": "5"})
    assert len(got) == 5
    assert timeutil.parse(got[0]["start"]).astimezone(OSLO).date() == monday  # a date is a day in Oslo
    r = lege.get(
        "/fhir/Slot",
        params=[("service", service), ("start", f"ge{monday}"), ("start", f"lt{monday + dt.timedelta(days=1)}")],
    )
    day = [e["resource"] for e in r.json()["entry"]]
    assert all(timeutil.parse(s["start"]).astimezone(OSLO).date() == monday for s in day) and len(day) <= 15
    for params, status in (
        ([("start", "ge2026-01-01")], 400),  # no service
        ([("service", service), ("start", "geyesterday")], 400),
        ([("service", service), ("start", f"ge{monday}"), ("start", f"lt{monday + dt.timedelta(days=90)}")], 400),
        ([("service", service), ("color", "red")], 400),
        ([("service", "HealthcareService/hs-finnes-ikke")], 404),
    ):
        r = lege.get("/fhir/Slot", params=params)
        assert r.status_code == status, (params, r.text)
        assert r.json()["issue"][0]["details"]["coding"][0]["code"]
    assert it.get("/fhir/Slot", params={"service": service}).status_code == 403
