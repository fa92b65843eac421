"""Patient context on the item screens (issue 12): results per analyte with dates, newest first, and
a trend; warnings above the fold on renewals; proxies with level and relation; a banner while
break-the-glass is active, with its end time; the response deadline and time left on every item."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from textual.css.query import NoMatches

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.store.schema import break_glass
from helsami_tui.client.models import InboxItem, Observation
from helsami_tui.screens import item_screen
from helsami_tui.screens.break_glass import BreakGlassScreen
from helsami_tui.screens.item import ItemScreen, grouped_results
from helsami_tui.screens.renewal import RenewalScreen

from .test_decisions import find, open_item
from .test_switchboard_it import type_text
from .test_workflows import inbox_ready, make_app, patient_post, screen_text, token, wait_for, widget_text

SIZE = (140, 44)
OSLO = ZoneInfo("Europe/Oslo")


def text_of(screen: Any, selector: str) -> str:
    """A widget's text, "" while the screen is still being put together."""
    try:
        return widget_text(screen.query_one(selector))
    except NoMatches:
        return ""


def obs(code: str, text: str, value: float, day: str, flag: str = "") -> Observation:
    r: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{code}-{day}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}], "text": text},
        "valueQuantity": {"value": value, "unit": "mmol/mol"},
        "effectiveDateTime": f"{day}T08:00:00Z",
    }
    if flag:
        r["interpretation"] = [{"coding": [{"code": flag}]}]
    return Observation.from_fhir(r)


def test_results_are_grouped_per_analyte_newest_first_with_a_trend() -> None:
    rows = [
        obs("4548-4", "HbA1c", 52, "2026-06-03"),
        obs("2093-3", "Kolesterol", 5.1, "2026-10-01"),
        obs("4548-4", "HbA1c", 58, "2026-11-24", "H"),
        obs("4548-4", "HbA1c", 49, "2025-12-01"),
    ]
    groups = grouped_results(rows)
    assert [g[0] for g in groups] == ["HbA1c", "Kolesterol"]  # the analyte with the newest result first
    _name, values, trend = groups[0]
    assert [o.value for o in values] == [58, 52, 49]  # newest first
    assert trend == "▁▃█ ↑"  # oldest to newest, and up since the last one
    assert groups[1][2] == ""  # one value: no trend


async def first_item(app: Any, pilot: Any) -> InboxItem:
    screen = await inbox_ready(app, pilot)
    await wait_for(pilot, lambda: screen.source is not None and len(screen.source.items) > 0, what="items")
    assert screen.source is not None
    return next(i for i in screen.source.items if i.deadline is not None and i.type == "message")


async def test_deadline_and_time_left_on_the_item_screen(demo_portal: EmbeddedPortal) -> None:
    probe = await make_app(demo_portal, "lege", tz=OSLO)
    async with probe.run_test(size=SIZE) as pilot:
        item = await first_item(probe, pilot)
    await probe.client.aclose()
    assert item.deadline is not None
    local = item.deadline.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")
    for now, words in (
        (item.deadline - dt.timedelta(days=2, hours=1), f"Svarfrist {local} (2 d igjen)"),
        (item.deadline + dt.timedelta(hours=5, minutes=3), f"Svarfrist {local} – overskredet med 5 t"),
    ):
        app = await make_app(demo_portal, "lege", tz=OSLO, now=lambda now=now: now)
        async with app.run_test(size=SIZE) as pilot:
            await inbox_ready(app, pilot)
            app.push_screen(item_screen(await app.client.task(item.id, now=now)))
            await wait_for(pilot, lambda app=app: isinstance(app.screen, ItemScreen), what="item screen")
            s = app.screen
            await wait_for(pilot, lambda s=s, words=words: words in text_of(s, "#state"), what=words)
            assert words in screen_text(app)
        await app.client.aclose()


async def test_results_on_the_item_screen_per_analyte_with_dates(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "lege", tz=OSLO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        await wait_for(pilot, lambda: screen.source is not None and len(screen.source.items) > 0, what="items")
        assert screen.source is not None
        chosen = None
        for it in screen.source.items[:40]:
            ctx = await app.client.clinical(it.patient_ref.removeprefix("Patient/"), observations=60)
            if isinstance(ctx.observations, list) and any(len(v) >= 2 for _, v, _ in grouped_results(ctx.observations)):
                chosen = (it, grouped_results(ctx.observations))
                break
        assert chosen is not None, "no patient with repeated results in the first items"
        it, groups = chosen
        app.push_screen(item_screen(it))
        await wait_for(
            pilot, lambda: isinstance(app.screen, ItemScreen) and app.screen.clinical is not None, what="context loaded"
        )
        await wait_for(pilot, lambda: "•" in text_of(app.screen, "#context-text"), what="context shown")
        text = text_of(app.screen, "#context-text")
        name, values, trend = next(g for g in groups if len(g[1]) >= 2)
        lines = text.splitlines()
        head = next(i for i, x in enumerate(lines) if x.startswith(f"• {name}"))
        assert trend and trend in lines[head]
        dates = [o.effective.astimezone(OSLO).strftime("%d.%m.%Y") for o in values]
        shown = [x.strip()[:10] for x in lines[head + 1 : head + 1 + len(values)]]
        assert shown == dates and dates == sorted(dates, key=lambda d: d[6:] + d[3:5] + d[:2], reverse=True)
    await app.client.aclose()


async def test_proxies_with_relation_and_level_in_the_banner(demo_portal: EmbeddedPortal) -> None:
    # The demo proxy writes for the patient they act for, to the physician's inbox.
    subject = "Spørsmål fra fullmektig om kontroll"
    lege_h = {"Authorization": f"Bearer {token(demo_portal, 'lege')}"}
    pool = httpx.get(f"{demo_portal.base_url}/fhir/$whoami", headers=lege_h).json()["pools"][0]
    created = patient_post(demo_portal, subject, "Hei, jeg skriver for datteren min.", pool, user="fullmakt")
    tid = httpx.get(
        f"{demo_portal.base_url}/fhir/Task",
        headers=lege_h,
        params={"focus": f"Communication/{created['thread']['id']}"},
    ).json()["entry"][0]["resource"]["id"]
    app = await make_app(demo_portal, "lege", tz=OSLO)
    async with app.run_test(size=SIZE) as pilot:
        await inbox_ready(app, pilot)
        item = await app.client.task(tid, now=app.now())
        proxies = await app.client.proxies(item.patient_ref.removeprefix("Patient/"))
        lars = next(p for p in proxies if p.ref == "RelatedPerson/rp-000001")
        app.push_screen(item_screen(item))
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and "Fullmakt:" in text_of(app.screen, "#banner"),
            what="proxies in the banner",
        )
        banner = widget_text(app.screen.query_one("#banner"))
        level = {"standard": "Standard", "read": "Lesetilgang", "messages": "Bare kommunisere", "full": "Full tilgang"}[
            lars.level
        ]
        relation = {"FTH": "far", "MTH": "mor", "DAU": "datter", "SON": "sønn"}[lars.relation_code]
        assert f"{lars.name} ({relation}, {level}" in banner
    await app.client.aclose()


async def test_break_the_glass_banner_with_its_end_time(demo_portal: EmbeddedPortal) -> None:
    clock = [dt.datetime.now(dt.UTC)]
    app = await make_app(demo_portal, "lege", tz=OSLO, now=lambda: clock[0])
    async with app.run_test(size=SIZE) as pilot:
        item = await first_item(app, pilot)
        app.push_screen(item_screen(item))
        await wait_for(
            pilot, lambda: isinstance(app.screen, ItemScreen) and app.screen.patient is not None, what="item screen"
        )
        s = app.screen
        assert "NØDTILGANG" not in screen_text(app)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakGlassScreen), what="break the glass")
        await type_text(pilot, "Akutt innlagt, trenger oversikt")
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.screen is s and "NØDTILGANG" in text_of(s, "#banner"), what="banner")
        pid = item.patient_ref.removeprefix("Patient/")
        with demo_portal.store.read() as tx:
            expires = (
                tx.conn.execute(
                    sa.select(break_glass.c.expires)
                    .where(break_glass.c.practitioner == "prac-0001", break_glass.c.patient == pid)
                    .order_by(break_glass.c.expires.desc())
                )
                .scalars()
                .first()
            )
        assert expires is not None
        end = dt.datetime.fromisoformat(expires.replace("Z", "+00:00")).astimezone(OSLO).strftime("%d.%m.%Y %H:%M")
        assert f"NØDTILGANG aktiv til {end}" in screen_text(app)
        # When the access has ended, the banner goes.
        clock[0] = dt.datetime.fromisoformat(expires.replace("Z", "+00:00")) + dt.timedelta(minutes=1)
        s.render_banner()
        await pilot.pause()
        assert "NØDTILGANG" not in text_of(s, "#banner")
    await app.client.aclose()


async def test_renewal_warnings_are_above_the_fold(demo_portal: EmbeddedPortal) -> None:
    tid, rv = find(demo_portal, "lege", "renewal", "renewal-review", lambda t, r: bool(r["warnings"]))
    app = await make_app(demo_portal, "lege", tz=OSLO)
    async with app.run_test(size=(80, 24)) as pilot:
        s = await open_item(app, pilot, tid, RenewalScreen)
        visible = screen_text(app)
        assert "Advarsler" in visible
        first = rv["warnings"][0]["text"]
        assert first[:30] in visible.replace("\n", " ") or first[:20] in visible
        del s
    await app.client.aclose()
