"""Appointment requests (issue 12): free times offered from the service's calendar, a warning
outside the requested window or against the patient's stated exceptions, a dialog that keeps its
input on error, and cancellation requests confirmed as cancellations."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.fhir import timeutil
from helsami_tui.client.models import stated_exceptions
from helsami_tui.i18n import t
from helsami_tui.screens import item_screen
from helsami_tui.screens.appointment import AppointmentScreen
from helsami_tui.screens.time_picker import Confirm, TimePicker

from ..portal.decision_helpers import POOL, make_patient, new_task
from .test_switchboard_it import type_text
from .test_workflows import inbox_ready, make_app, screen_text, wait_for, widget_text

SIZE = (140, 44)
OSLO = ZoneInfo("Europe/Oslo")


def request(
    portal: EmbeddedPortal, *, wish_days: int = 3, comment: str = "Helst ikke mandager.", booked: bool = False
) -> tuple[str, str]:
    """A patient of the physician asks for a time (from `wish_days` on, for a week) or to cancel."""
    pid, _user, _ = make_patient(portal)
    start = timeutil.utcnow() + dt.timedelta(days=wish_days)
    with portal.store.write() as tx:
        appt: dict[str, Any] = {
            "resourceType": "Appointment",
            "serviceType": [{"text": "Time hos fastlege"}],
            "participant": [
                {"actor": {"reference": f"Patient/{pid}"}, "status": "accepted"},
                {"actor": {"reference": f"HealthcareService/{POOL}"}, "status": "needs-action"},
            ],
        }
        if booked:
            appt.update(
                {
                    "status": "booked",
                    "start": timeutil.instant(start),
                    "end": timeutil.instant(start + dt.timedelta(minutes=30)),
                    "minutesDuration": 30,
                    "comment": "Ønsker å avbestille timen.",
                }
            )
        else:
            appt.update(
                {
                    "status": "proposed",
                    "comment": comment,
                    "requestedPeriod": [
                        {"start": timeutil.instant(start), "end": timeutil.instant(start + dt.timedelta(days=7))}
                    ],
                }
            )
        a = tx.create(appt)
    tid = new_task(
        portal, pid, "appointment", f"Appointment/{a['id']}", "Ønsker å avbestille time" if booked else "Ønsker time"
    )
    return tid, str(a["id"])


def stored_appointment(portal: EmbeddedPortal, aid: str) -> dict[str, Any]:
    with portal.store.read() as tx:
        a = tx.get("Appointment", aid)
    assert a is not None
    return dict(a)


async def open_request(app: Any, pilot: Any, tid: str) -> AppointmentScreen:
    await inbox_ready(app, pilot)
    app.push_screen(item_screen(await app.client.task(tid, now=app.now())))
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, AppointmentScreen) and app.screen.review is not None,
        what="appointment request",
    )
    s = app.screen
    assert isinstance(s, AppointmentScreen)
    return s


def test_stated_exceptions_are_read_from_the_comment() -> None:
    e = stated_exceptions("Helst ikke mandager, og etter kl. 14.")
    assert e.not_days == {0} and e.after == dt.time(14, 0) and e.before is None
    monday = dt.datetime(2026, 12, 7, 15, 0, tzinfo=OSLO)
    assert e.breaks(monday) == ["day"] and e.breaks(monday + dt.timedelta(days=1, hours=-5)) == ["after"]
    assert stated_exceptions("Kan komme når som helst.").breaks(monday) == []
    assert stated_exceptions("ikke på fredag, før kl 10.30").before == dt.time(10, 30)


async def test_free_times_from_the_calendar_enter_chooses_then_sends(demo_portal: EmbeddedPortal) -> None:
    tid, aid = request(demo_portal)
    app = await make_app(demo_portal, "lege", tz=OSLO)
    async with app.run_test(size=SIZE) as pilot:
        s = await open_request(app, pilot, tid)
        wish = s.review.requested_from
        assert wish is not None
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, TimePicker) and bool(app.screen.slots), what="free times")
        picker = app.screen
        assert isinstance(picker, TimePicker)
        # The free times of the service's calendar, from the wished start on, in Oslo time.
        truth = await app.client.free_slots(f"HealthcareService/{POOL}", wish, wish + dt.timedelta(days=14))
        assert [x.start for x in picker.slots] == [x.start for x in truth]
        assert all(x.start >= wish for x in picker.slots)
        first = picker.slots[0].start.astimezone(OSLO)
        assert f"{first:%d.%m.%Y %H:%M}" in screen_text(app)
        # A Monday is marked: the patient said Mondays do not suit.
        box = picker.query_one("#slots")
        for i, x in enumerate(picker.slots):
            prompt = str(box.get_option_at_index(i).prompt)
            monday = x.start.astimezone(OSLO).weekday() == 0
            assert ("denne dagen ikke passer" in prompt) == monday, prompt
        assert any(x.start.astimezone(OSLO).weekday() == 0 for x in picker.slots)
        slot = next(x for x in picker.slots if x.start.astimezone(OSLO).weekday() != 0)
        box.highlighted = picker.slots.index(slot)
        await pilot.press("enter")
        assert app.screen is picker and picker.chosen == slot.start
        assert "Valgt:" in widget_text(picker.query_one("#picked"))
        assert stored_appointment(demo_portal, aid)["status"] == "proposed"  # nothing sent yet
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.item.business_status == "confirmed", what="confirmed")
        await wait_for(pilot, lambda: app.screen is s, what="dialog closed")
        a = stored_appointment(demo_portal, aid)
        assert a["status"] == "booked" and timeutil.parse(a["start"]) == slot.start
    await app.client.aclose()


async def test_outside_the_window_is_warned_and_a_bad_time_keeps_the_input(demo_portal: EmbeddedPortal) -> None:
    tid, aid = request(demo_portal, wish_days=10, comment="Passer best etter kl. 14.")
    app = await make_app(demo_portal, "lege", tz=OSLO)
    async with app.run_test(size=SIZE) as pilot:
        s = await open_request(app, pilot, tid)
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, TimePicker), what="time picker")
        picker = app.screen
        assert isinstance(picker, TimePicker)
        picker.query_one("#typed").focus()
        await type_text(pilot, "i morgen")
        await pilot.press("enter")
        assert app.screen is picker
        assert widget_text(picker.query_one("#error")) == t("appt.bad_time")
        assert picker.query_one("#typed").value == "i morgen"  # kept
        # A time before the wished window, early in the day: both warnings, and a second Enter to send.
        early = (dt.datetime.now(OSLO) + dt.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
        typed = picker.query_one("#typed")
        typed.value = early.strftime("%d.%m.%Y %H:%M")
        await pilot.press("enter")
        picked = widget_text(picker.query_one("#picked"))
        assert "utenfor tidsrommet pasienten ønsket" in picked and "senere tid på dagen" in picked
        assert stored_appointment(demo_portal, aid)["status"] == "proposed"
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.item.business_status == "confirmed", what="confirmed")
        assert timeutil.parse(stored_appointment(demo_portal, aid)["start"]) == early
    await app.client.aclose()


async def test_a_refusal_is_shown_in_the_dialog_which_keeps_the_choice(demo_portal: EmbeddedPortal) -> None:
    tid, aid = request(demo_portal)
    app = await make_app(demo_portal, "lege", tz=OSLO)
    async with app.run_test(size=SIZE) as pilot:
        await open_request(app, pilot, tid)
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, TimePicker), what="time picker")
        picker = app.screen
        assert isinstance(picker, TimePicker)
        past = (dt.datetime.now(OSLO) - dt.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
        picker.query_one("#typed").focus()
        await type_text(pilot, past.strftime("%d.%m.%Y %H:%M"))
        await pilot.press("enter", "enter")  # choose, send: the portal refuses a time in the past
        await wait_for(pilot, lambda: widget_text(picker.query_one("#error")) != "", what="refusal shown")
        assert app.screen is picker and picker.chosen == past
        assert picker.query_one("#typed").value == past.strftime("%d.%m.%Y %H:%M")
        assert stored_appointment(demo_portal, aid)["status"] == "proposed"
    await app.client.aclose()


async def test_a_cancellation_request_is_confirmed_as_a_cancellation(demo_portal: EmbeddedPortal) -> None:
    tid, aid = request(demo_portal, booked=True)
    app = await make_app(demo_portal, "lege", tz=OSLO)
    async with app.run_test(size=SIZE) as pilot:
        s = await open_request(app, pilot, tid)
        assert "Pasienten vil avbestille timen" in widget_text(s.query_one("#review-text"))
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), what="confirm the cancellation")
        when = timeutil.parse(stored_appointment(demo_portal, aid)["start"]).astimezone(OSLO)
        assert f"{when:%d.%m.%Y %H:%M}" in screen_text(app) and "avbestille" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.item.business_status == "cancelled", what="cancelled")
        assert stored_appointment(demo_portal, aid)["status"] == "cancelled"
        await wait_for(pilot, lambda: "avbestilt" in widget_text(s.query_one("#review-text")), what="shown")
    await app.client.aclose()
