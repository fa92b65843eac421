"""Clinical safety in the terminal (issue 12): times in the clinical zone whatever the host's zone,
and a locked screen that only its own user unlocks. Pilot tests against the real embedded portal."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.config import Settings, load
from helsami_tui.i18n import set_language
from helsami_tui.screens import item_screen as open_as_item
from helsami_tui.screens.appointment import AppointmentScreen, parse_when
from helsami_tui.screens.break_glass import BreakGlassScreen
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.item import ItemScreen, when
from helsami_tui.screens.lock import LockScreen
from helsami_tui.screens.reply import ReplyScreen
from helsami_tui.screens.time_picker import TimePicker

from .test_context import text_of
from .test_decisions import USED, decided, open_item, readable_appointments, review_text
from .test_switchboard_it import type_text
from .test_workflows import inbox_ready, make_app, notes_of, screen_text, token, wait_for

OSLO = ZoneInfo("Europe/Oslo")
SIZE = (140, 44)


@pytest.fixture(params=["UTC", "Europe/Oslo"])
def host_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The host's own zone (TZ) for the test: a UTC SSH server, or a machine set to Oslo time."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


# -- the clinical time zone ----------------------------------------------------------------------


def test_times_are_shown_and_read_in_oslo_time_whatever_the_host(host_zone: str) -> None:
    winter = dt.datetime(2026, 12, 3, 9, 15, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)
    assert when(winter) == "03.12.2026 10:15"
    assert when(summer) == "01.07.2026 10:00"
    assert parse_when("03.12.2026 10:15", None) == winter
    assert parse_when("01.07.2026 10:00", None) == summer
    assert parse_when("2026-07-01T10:00", None) == summer
    assert Settings().clinical_zone() == OSLO


def test_the_clinical_zone_is_a_setting(tmp_path: Any) -> None:
    s = load(tmp_path / "none.toml", environ={"HELSAMI_TIME_ZONE": "Europe/Helsinki"})
    assert s.clinical_zone() == ZoneInfo("Europe/Helsinki") and s.sources["time_zone"] == "env"
    bad = load(tmp_path / "none.toml", environ={"HELSAMI_TIME_ZONE": "Mars/Olympus"})
    assert bad.clinical_zone() == OSLO and any("time_zone" in p for p in bad.problems)


def test_portal_texts_for_patients_are_in_oslo_time(host_zone: str) -> None:
    from helsami_portal.workflow.decisions import when_text
    from helsami_portal.workflow.working_time import office_hours

    assert when_text("2026-12-03T09:15:00.000000Z") == "torsdag 3. desember 2026 kl. 10.15"
    assert when_text("2026-07-01T08:00:00.000000Z") == "onsdag 1. juli 2026 kl. 10.00"
    start, _ = office_hours(dt.date(2026, 7, 1))
    assert start == dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)  # 08:00 Oslo summer time


async def test_confirming_an_appointment_at_10_tells_the_patient_10(
    demo_portal: EmbeddedPortal, host_zone: str
) -> None:
    """The defect: on a UTC host a time typed as 10:00 was read as 10:00 UTC, and the patient was
    told "kl. 11.00". The app is made as the command line makes it (no time zone given)."""
    h = {"Authorization": f"Bearer {token(demo_portal, 'lege')}"}
    tasks = [
        t
        for t in readable_appointments(demo_portal, "lege")
        if t["id"] not in USED
        and httpx.get(f"{demo_portal.base_url}/fhir/{t['for']['reference']}", headers=h).status_code == 200
    ]
    assert tasks, "the seed has an appointment request for lege in this module's portal"
    tid = tasks[0]["id"]
    USED.add(tid)
    day = (dt.datetime.now(OSLO) + dt.timedelta(days=9)).date()
    app = await make_app(demo_portal, "lege")
    assert app.tz == OSLO
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, AppointmentScreen)
        assert "Tider i Europe/Oslo" in review_text(s)  # the zone is said where a time is read or typed
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, TimePicker), what="time picker")
        picker = app.screen
        await wait_for(pilot, lambda: "Europe/Oslo" in screen_text(app), what="the zone said in the picker")
        picker.query_one("#typed").focus()
        await type_text(pilot, f"{day:%d.%m.%Y} 10:00")
        await pilot.press("enter", "enter")  # choose, then send
        await decided(app, pilot, s, "confirmed")
    await app.client.aclose()
    # What the patient was told, and the time booked, as the portal stored them.
    pid = tasks[0]["for"]["reference"].removeprefix("Patient/")
    told = [m for m in stored(demo_portal, "Communication", pid) if "Timen din er bekreftet" in json.dumps(m)]
    assert told and "kl. 10.00" in told[-1]["payload"][0]["contentString"], told
    appt = next(
        a
        for a in stored(demo_portal, "Appointment", pid)
        if a["id"] == tasks[0]["focus"]["reference"].removeprefix("Appointment/")
    )
    assert dt.datetime.fromisoformat(appt["start"].replace("Z", "+00:00")) == dt.datetime.combine(
        day, dt.time(10, 0), tzinfo=OSLO
    )


def stored(portal: EmbeddedPortal, rtype: str, patient_id: str) -> list[dict[str, Any]]:
    """Resources of a patient as the portal stored them (after the item is done the physician's
    access to them ends, so they are read here, not through the API)."""
    import sqlalchemy as sa

    from helsami_portal.store.schema import resource

    with portal.store.engine.connect() as conn:
        rows = conn.execute(sa.select(resource.c.content, resource.c.patient).where(resource.c.rtype == rtype)).all()
    return [json.loads(c) for c, p in rows if p.removeprefix("Patient/") == patient_id]


# -- the lock ----------------------------------------------------------------------------------


async def lock_app(portal: EmbeddedPortal, user: str, then_user: str) -> HelsamiApp:
    """The app signed in as `user`; at the lock, the next sign-in (a device code approved by
    someone) turns out to be `then_user`'s."""
    set_language("nb")
    session = TokenSession(portal.base_url, await demo_login(portal.base_url, user))

    async def relogin(show: Any) -> Any:
        show("ABCD-EFGH", f"{portal.base_url}/device")
        return await demo_login(portal.base_url, then_user)

    client = PortalClient(portal.base_url, session, retries=0)
    return HelsamiApp(client, Settings(portal=portal.base_url, idle_lock_minutes=0), demo_user=user, relogin=relogin)


async def test_same_user_unlocks_and_resumes_the_screens(demo_portal: EmbeddedPortal) -> None:
    app = await lock_app(demo_portal, "lege", "lege")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item open")
        item_screen = app.screen
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen), what="locked")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is item_screen, what="resumed")
        assert not app.locked and app.me is not None and app.me.username == "lege"
        assert screen in app.screen_stack
    await app.client.aclose()


async def test_another_user_at_the_lock_signs_the_first_out_completely(demo_portal: EmbeddedPortal) -> None:
    """The defect: a nurse approving the new code at Marte Lien's lock got Marte's screens (a
    patient's item with its clinical context) under the nurse's token, and Marte's emergency
    access (break the glass) to that patient followed the nurse into the item."""
    app = await lock_app(demo_portal, "lege", "sykepleier")
    async with app.run_test(size=SIZE) as pilot:
        first = await inbox_ready(app, pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item open")
        item_screen = app.screen
        assert isinstance(item_screen, ItemScreen)
        await wait_for(pilot, lambda: item_screen.clinical is not None, what="clinical context loaded")
        await wait_for(pilot, lambda: item_screen.patient is not None, what="patient in the banner")
        # Marte breaks the glass on the patient: the banner says so.
        pid = item_screen.item.patient_ref.removeprefix("Patient/")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakGlassScreen), what="break the glass")
        await type_text(pilot, "Akutt innlagt, trenger oversikt")
        await pilot.press("f5")
        await wait_for(
            pilot, lambda: app.screen is item_screen and "NØDTILGANG" in text_of(item_screen, "#banner"), what="banner"
        )
        old_token = app.client._auth.tokens.access_token  # type: ignore[union-attr]  # noqa: SLF001
        # A reply being written (a draft in memory) when the screen locks.
        unsent = "Et svar som ennå ikke er sendt."
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply open")
        reply = app.screen
        await pilot.press(*unsent)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen), what="locked")
        assert "Marte Lien" in screen_text(app)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: app.me is not None and app.me.username == "sykepleier" and isinstance(app.screen, InboxScreen),
            what="fresh start as the nurse",
        )
        fresh = await inbox_ready(app, pilot)
        assert fresh is not first
        assert item_screen not in app.screen_stack and first not in app.screen_stack
        assert not any(isinstance(s, (ItemScreen, LockScreen)) for s in app.screen_stack)
        assert reply not in app.screen_stack and not any(isinstance(s, ReplyScreen) for s in app.screen_stack)
        assert len(app.outbox) == 0 and not app.locked
        # The nurse's session holds nothing of Marte's reply.
        if item_screen.item.has_thread:
            draft = await app.client.load_draft(item_screen.item.focus_ref)
            assert draft is None or unsent not in draft.text
        assert any("Den forrige brukeren er logget helt ut" in n and app.me.display in n for n in notes_of(app))
        # The nurse opens the same patient's item: no emergency access of Marte's is shown, or held.
        app.push_screen(open_as_item(await app.client.task(item_screen.item.id, now=app.now())))
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and app.screen.patient is not None,
            what="the nurse's item screen with the patient",
        )
        assert app.screen.patient.id == pid  # type: ignore[attr-defined]
        assert "NØDTILGANG" not in screen_text(app)
        assert app.client.break_glass_until(pid, app.now()) is None
    # Marte's session is revoked on the portal, not left behind in the app.
    r = httpx.get(f"{demo_portal.base_url}/fhir/$whoami", headers={"Authorization": f"Bearer {old_token}"})
    assert r.status_code == 401
    await app.client.aclose()
