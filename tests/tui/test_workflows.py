"""The terminal app's main workflows, driven from the keyboard against a real portal (SQLite)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal, free_port
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.client.models import InboxItem
from helsami_tui.config import Settings
from helsami_tui.i18n import set_language
from helsami_tui.screens.forward import ForwardScreen
from helsami_tui.screens.help import HelpScreen
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.item import ItemScreen
from helsami_tui.screens.library import LibraryPicker
from helsami_tui.screens.lock import LockScreen
from helsami_tui.screens.pools import PoolPicker
from helsami_tui.screens.reply import ReplyScreen
from helsami_tui.screens.support import SupportScreen
from helsami_tui.sources import text_matches
from helsami_tui.theme import HIGH_CONTRAST_THEME
from helsami_tui.widgets.attachments import AttachmentsArea
from helsami_tui.widgets.virtual_list import VirtualList
from tests.waiting import wait_for, wait_for_answer

SIZE = (120, 36)


# -- helpers ----------------------------------------------------------------------------------------


async def make_app(
    portal: EmbeddedPortal,
    user: str = "lege",
    *,
    now: Callable[[], dt.datetime] | None = None,
    tz: dt.tzinfo | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> HelsamiApp:
    """The app as `helsami-tui demo` makes it, including the relogin that unlocks the idle lock
    (`transport`: the client's HTTP transport, for a test that holds the portal's answers)."""
    set_language("nb")
    tokens = await demo_login(portal.base_url, user)
    session = TokenSession(portal.base_url, tokens)

    async def relogin(show: Any) -> Any:
        return await demo_login(portal.base_url, user)

    client = PortalClient(portal.base_url, session, retries=0, transport=transport)
    return HelsamiApp(
        client, Settings(portal=portal.base_url, **settings), demo_user=user, relogin=relogin, now=now, tz=tz
    )


async def inbox_ready(app: HelsamiApp, pilot: Any) -> InboxScreen:
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, InboxScreen)
            and app.screen.source is not None
            and app.screen.source.started
            and app.screen.pools
        ),
        what="inbox loaded",
    )
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    # The rows and the footer are painted in the frame after the first page: wait for that frame too,
    # so a test that reads the terminal sees what a user would.
    assert screen.source is not None
    first = screen.source.items[0].patient_name[:8] if screen.source.items else ""
    await wait_for(
        pilot, lambda: "f1" in screen_text(app) and first in screen_text(app), what="inbox drawn on the terminal"
    )
    return screen


async def list_settled(screen: InboxScreen, pilot: Any) -> None:
    """The current query's first page is in (after a filter, sort, search or pool switch)."""
    gen = screen.generation
    await wait_for(
        pilot,
        lambda: screen.generation == gen and screen.source is not None and screen.source.started,
        what="page loaded",
    )
    await pilot.pause()


def screen_text(app: HelsamiApp) -> str:
    """What is on the terminal now, as plain text."""
    lines = []
    for y in range(app.size.height):
        lines.append("".join(seg.text for seg in app.screen._compositor.render_strips()[y]))  # noqa: SLF001
    return "\n".join(lines)


def widget_text(w: Any) -> str:
    content = w.content if hasattr(w, "content") else w.render()
    return str(getattr(content, "plain", content))


def thread_text(screen: ItemScreen) -> str:
    """The thread column's text, block after block (not interleaved with the side panel)."""
    return "\n".join(widget_text(w) for w in screen.query("#thread Static"))


def notes_of(app: HelsamiApp) -> list[str]:
    return [n.message for n in app._notifications]  # noqa: SLF001


def token(portal: EmbeddedPortal, user: str) -> str:
    r = httpx.post(f"{portal.base_url}/auth/demo-login", data={"username": user})
    r.raise_for_status()
    return str(r.json()["access_token"])


def whoami(portal: EmbeddedPortal, user: str) -> dict[str, Any]:
    return dict(
        httpx.get(f"{portal.base_url}/fhir/$whoami", headers={"Authorization": f"Bearer {token(portal, user)}"}).json()
    )


def patient_post(
    portal: EmbeddedPortal, subject: str, text: str, service: str, user: str = "pasient"
) -> dict[str, Any]:
    """A patient (or a proxy: user "fullmakt") starts a thread through the patient API."""
    h = {"Authorization": f"Bearer {token(portal, user)}"}
    me = httpx.get(f"{portal.base_url}/patient/me", headers=h).json()
    r = httpx.post(
        f"{portal.base_url}/patient/threads",
        headers=h,
        json={
            "patient": me["actsFor"][0]["patient"].split("/")[1],
            "service": service.removeprefix("HealthcareService/"),
            "subject": subject,
            "text": text,
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def patient_add(portal: EmbeddedPortal, thread_id: str, text: str, user: str = "pasient") -> None:
    h = {"Authorization": f"Bearer {token(portal, user)}"}
    r = httpx.post(
        f"{portal.base_url}/patient/threads/{thread_id}/messages",
        headers=h,
        json={"text": text, "messageId": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text


def patient_thread(portal: EmbeddedPortal, thread_id: str, user: str = "pasient") -> dict[str, Any]:
    h = {"Authorization": f"Bearer {token(portal, user)}"}
    r = httpx.get(f"{portal.base_url}/patient/threads/{thread_id}", headers=h)
    r.raise_for_status()
    return dict(r.json())


def thread_id_of(created: dict[str, Any]) -> str:
    return str(created["thread"]["id"])


async def search_for(screen: InboxScreen, pilot: Any, words: str) -> None:
    await pilot.press("slash")
    await pilot.press(*words)
    await pilot.press("enter")
    await list_settled(screen, pilot)


async def cursor_to(screen: InboxScreen, pilot: Any, pred: Callable[[InboxItem], bool]) -> InboxItem:
    await wait_for(
        pilot, lambda: screen.source is not None and any(pred(i) for i in screen.source.items), what="item in the list"
    )
    assert screen.source is not None
    idx = next(i for i, it in enumerate(screen.source.items) if pred(it))
    screen.query_one(VirtualList).move_cursor(idx)
    await pilot.pause()
    item = screen.current_item()
    assert item is not None
    return item


async def open_new_thread(
    app: HelsamiApp,
    pilot: Any,
    portal: EmbeddedPortal,
    subject: str,
    text: str = "Hei, jeg lurer på noe.",
    user: str = "pasient",
) -> tuple[ItemScreen, str]:
    """A patient writes to the current pool; the user finds it by search and opens it."""
    screen = await inbox_ready(app, pilot)
    assert screen.query_state.pool_id
    created = patient_post(portal, subject, text, screen.query_state.pool_id, user=user)
    await search_for(screen, pilot, subject.split()[-1])
    await cursor_to(screen, pilot, lambda i: i.subject == subject)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item screen")
    item_screen = app.screen
    assert isinstance(item_screen, ItemScreen)
    await wait_for(pilot, lambda: item_screen.thread is not None, what="thread loaded")
    return item_screen, thread_id_of(created)


def row_texts(screen: InboxScreen, index: int) -> list[str]:
    assert screen.source is not None
    row = screen.source.row(index)
    assert row is not None
    return [c.plain for c in row.cells]


# -- the inbox ----------------------------------------------------------------------------------------


async def test_inbox_shows_pools_with_counts_and_rows_with_every_column(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        pools = await app.client.pools()
        assert [p.id for p in screen.pools] == [p.id for p in pools]
        pools_line = screen.query_one("#pools").render().plain  # type: ignore[attr-defined]
        for p in pools:
            if p.id:
                assert p.name[:20] in pools_line
                assert f" {p.waiting}" in pools_line
                if p.urgent:
                    assert f"!{p.urgent}" in pools_line
                if p.overdue:
                    assert f"⏰{p.overdue}" in pools_line
        cur = screen.current_pool()
        assert cur is not None and cur.waiting > 0
        text = screen_text(app)
        assert f"{cur.waiting} nye" in text and f"{cur.urgent} haster" in text and f"{cur.overdue} over frist" in text
        for header in ("Alder", "Type", "Pasient", "Emne", "Status", "Ansvarlig"):
            assert header in text
        assert screen.source is not None
        items = screen.source.items
        urgent = next(i for i, it in enumerate(items) if it.priority in ("urgent", "asap", "stat"))
        row = screen.source.row(urgent)
        assert row is not None and row.marker is not None and row.marker.plain.startswith("!")
        age, typ, patient, subject, status, _owner = row_texts(screen, urgent)
        it = items[urgent]
        assert age.endswith((" d", " t", " min")) or age == "<1 min"
        assert typ in ("Melding", "Reseptfornyelse", "Prøvesvar", "Spørreskjema", "Timeforespørsel", "Telefonnotat")
        assert patient == it.patient_name and it.subject in subject
        assert status in ("Venter", "Tatt", "Tatt av meg")
        claimed = next(i for i, it in enumerate(items) if it.claimed)
        assert row_texts(screen, claimed)[5] == items[claimed].owner_display != ""
        overdue = next(i for i, it in enumerate(items) if it.overdue)
        assert row_texts(screen, overdue)[3].startswith("[OVER FRIST]")
        # What the screen shows is what the portal returns, in its order.
        # The first page is in, the read-ahead page may or may not be: compare what is loaded.
        page = await app.client.inbox_page(cur.id, status="requested,in-progress", whole_pool=True, count=100)
        loaded = [i.id for i in items][:100]
        assert len(loaded) >= 20
        assert loaded == [i.id for i in page.items[: len(loaded)]]
    await app.client.aclose()


async def test_switch_pool_with_tab_and_with_the_picker(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        start = screen.pool_index
        await pilot.press("tab")
        await list_settled(screen, pilot)
        assert screen.pool_index == (start + 1) % len(screen.pools)
        pool = screen.current_pool()
        assert pool is not None
        assert screen.query_state.pool_id == (pool.id or None)
        assert screen.source is not None
        for it in screen.source.items:
            assert it.pool_id == pool.id if pool.id else it.owner_ref == app.me.resource  # type: ignore[union-attr]
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PoolPicker), what="picker")
        picker_text = screen_text(app)
        assert "nye" in picker_text and "haster" in picker_text
        for p in screen.pools:
            if p.id:
                assert p.name[:20] in picker_text
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), what="picker closed")
        await list_settled(screen, pilot)
        assert screen.pool_index == (screen.pool_index if False else (start + 2) % len(screen.pools))
        await pilot.press("p", "escape")
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen) and screen.pool_index == (start + 2) % len(screen.pools)
    await app.client.aclose()


async def test_filters_sort_and_search_show_what_the_portal_returns(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        pool = screen.query_state.pool_id
        client = app.client

        async def portal_ids(**kw: Any) -> list[str]:
            q = screen.query_state
            args: dict[str, Any] = {
                "status": q.status,
                "code": q.code,
                "sort": q.sort,
                "text": q.text,
                "owner": {"mine": "mine", "unclaimed": "pool"}.get(q.owner or ""),
            }
            args.update(kw)
            page = await client.inbox_page(pool, whole_pool=True, count=100, **args)
            return [i.id for i in page.items]

        def shown() -> list[str]:
            assert screen.source is not None
            return [i.id for i in screen.source.items][:100]

        await pilot.press("t")  # type: messages
        await list_settled(screen, pilot)
        assert screen.query_state.code == "message"
        assert shown() == await portal_ids() and shown()
        assert all(i.type == "message" for i in screen.source.items)  # type: ignore[union-attr]
        assert "Type: Melding" in screen_text(app)
        await pilot.press("t")  # renewals
        await list_settled(screen, pilot)
        assert all(i.type == "renewal" for i in screen.source.items)  # type: ignore[union-attr]
        assert shown() == await portal_ids()
        for _ in range(5):  # result, questionnaire, appointment, phone message, all types again
            await pilot.press("t")
            await list_settled(screen, pilot)
        assert screen.query_state.code is None

        await pilot.press("s")  # status: waiting only
        await list_settled(screen, pilot)
        assert screen.query_state.status == "requested"
        assert {i.status for i in screen.source.items} == {"requested"}  # type: ignore[union-attr]
        assert shown() == await portal_ids()
        await pilot.press("s")  # claimed only
        await list_settled(screen, pilot)
        assert {i.status for i in screen.source.items} == {"in-progress"}  # type: ignore[union-attr]
        await pilot.press("s", "s")  # completed, then open again
        await list_settled(screen, pilot)
        assert screen.query_state.status == "requested,in-progress"

        await pilot.press("o")  # unclaimed
        await list_settled(screen, pilot)
        assert all(i.owner_ref.startswith("HealthcareService/") for i in screen.source.items)  # type: ignore[union-attr]
        assert shown() == await portal_ids()
        await pilot.press("o")  # mine
        await list_settled(screen, pilot)
        me = app.me.resource  # type: ignore[union-attr]
        assert screen.source.items and all(i.owner_ref == me for i in screen.source.items)  # type: ignore[union-attr]
        assert shown() == await portal_ids()
        await pilot.press("o")
        await list_settled(screen, pilot)

        await pilot.press("f6")  # oldest first
        await list_settled(screen, pilot)
        items = screen.source.items  # type: ignore[union-attr]
        assert [i.authored_on for i in items] == sorted(i.authored_on for i in items)  # type: ignore[type-var]
        assert shown() == await portal_ids()
        await pilot.press("f6")  # newest first
        await list_settled(screen, pilot)
        items = screen.source.items  # type: ignore[union-attr]
        assert [i.authored_on for i in items] == sorted((i.authored_on for i in items), reverse=True)  # type: ignore[type-var]
        assert shown() == await portal_ids()
        await pilot.press("f6")
        await list_settled(screen, pilot)

        word = screen.source.items[0].subject.split()[0]  # type: ignore[union-attr]
        await search_for(screen, pilot, word.lower())
        assert screen.query_state.text == word.lower()
        # A search spans all the user's inboxes and finds by subject or patient (issue 12).
        q = screen.query_state
        found = await client.inbox_page(
            None, everywhere=True, match=q.text, status=q.status, code=q.code, sort=q.sort, count=100
        )
        assert shown() == [i.id for i in found.items] and shown()
        assert all(text_matches(i, word) for i in screen.source.items)  # type: ignore[union-attr]
        await pilot.press("escape")  # clears the search
        await list_settled(screen, pilot)
        assert screen.query_state.text is None
    await app.client.aclose()


async def test_new_message_arrives_live_without_moving_the_cursor(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        await pilot.press("f6", "f6")  # newest first: a new item comes in at the top, above the cursor
        await list_settled(screen, pilot)
        await pilot.press("down", "down", "down")
        lst = screen.query_one(VirtualList)
        key, index = lst.cursor_key, lst.cursor_index
        assert index == 3 and key is not None
        assert screen.source is not None
        before, before_total = [i.id for i in screen.source.items], screen.source.total
        subject = f"Direkte inn {uuid.uuid4().hex[:6]}"
        patient_post(demo_portal, subject, "Ny melding mens listen er åpen.", screen.query_state.pool_id or "")
        await wait_for(
            pilot,
            lambda: screen.source is not None and screen.source.items[0].subject == subject,
            what="new item at the top",
        )
        assert lst.cursor_key == key and lst.cursor_index == index + 1
        # It is in the list once, above the items loaded before (a read-ahead page may add more below).
        after = [i.id for i in screen.source.items]
        assert after.count(after[0]) == 1 and after[1 : len(before) + 1] == before
        if before_total is not None:  # the portal counted the list: the count grew by this item
            assert screen.source.total == before_total + 1
        await wait_for(pilot, lambda: subject in screen_text(app), what="new item drawn")
        # The pool's count follows.
        await wait_for(pilot, lambda: "Direkte" in screen_text(app) and lst.cursor_key == key)
    await app.client.aclose()


# -- one item -------------------------------------------------------------------------------------------


async def test_thread_in_order_with_proxy_and_an_internal_note_after_forwarding(demo_portal: EmbeddedPortal) -> None:
    subject = f"Fullmakt spør {uuid.uuid4().hex[:6]}"
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        created = patient_post(
            demo_portal, subject, "Første melding fra fullmektig.", screen.query_state.pool_id or "", user="fullmakt"
        )
        patient_add(demo_portal, thread_id_of(created), "Andre melding, litt senere.", user="fullmakt")
        await search_for(screen, pilot, subject.split()[-1])
        await cursor_to(screen, pilot, lambda i: i.subject == subject)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ItemScreen)
                and app.screen.thread is not None
                and len(app.screen.thread.messages) == 2
            ),
            what="thread",
        )
        item_screen = app.screen
        assert isinstance(item_screen, ItemScreen)
        await wait_for(pilot, lambda: "Andre melding" in screen_text(app), what="thread drawn")
        text = screen_text(app)
        assert text.index("Første melding") < text.index("Andre melding")
        thread = thread_text(item_screen)
        assert thread.index("Første melding") < thread.index("Andre melding")
        assert "Fra: Lars Fjellheim" in thread and "på vegne av Sara Fjellheim  ·" in thread
        sent = item_screen.thread.messages[0].sent  # type: ignore[union-attr]
        oslo = sent.astimezone(ZoneInfo("Europe/Oslo")) if sent is not None else None  # clinical time, not the host's
        assert oslo is not None and f"{oslo:%d.%m.%Y %H:%M}  ·  HelsaMi" in thread
        # Banner: name, age, national id (as the portal has them).
        # (The banner comes from its own request, beside the thread's: wait for it, not for the thread.)
        patient = await app.client.patient(item_screen.item.patient_ref)
        await wait_for(pilot, lambda: f"f.nr. {patient.national_id}" in screen_text(app), what="banner")
        text = screen_text(app)
        assert patient.name in text and f"{patient.age} år" in text and f"f.nr. {patient.national_id}" in text

        # Forward with an internal note to another inbox the user works in.
        pools = [p for p in screen.pools if p.id and p.id != screen.query_state.pool_id]
        target = pools[0]
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ForwardScreen) and app.screen.targets, what="targets")
        fwd = app.screen
        assert isinstance(fwd, ForwardScreen)
        await pilot.press(*target.name.split(" – ")[-1][:12])
        await wait_for(pilot, lambda: any(x.ref == f"HealthcareService/{target.id}" for x in fwd.shown))
        assert fwd.shown[0].ref == f"HealthcareService/{target.id}", [x.name for x in fwd.shown]
        await pilot.press("enter", "enter")  # to the list, choose the first
        await wait_for(pilot, lambda: fwd.chosen is not None, what="target chosen")
        await pilot.press(*"Sjekk fullmakten")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen) and item_screen.item.notes, what="note")
        await wait_for(pilot, lambda: "INTERNT NOTAT" in thread_text(item_screen), what="note shown")
        thread = thread_text(item_screen)
        note = thread[thread.index("INTERNT NOTAT") :]
        assert "vises ikke for pasienten" in note and "Marte Lien" in note and "Sjekk fullmakten" in note
        assert thread.index("Andre melding") < thread.index("INTERNT NOTAT")  # in time order
        assert "INTERNT NOTAT" in screen_text(app)
        assert item_screen.item.pool_id == target.id
        # The patient never sees the note.
        seen = patient_thread(demo_portal, thread_id_of(created), user="fullmakt")
        assert "Sjekk fullmakten" not in str(seen)
    await app.client.aclose()


async def test_physician_sees_allergies_first_then_medicines_results_diagnoses(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await inbox_ready(app, pilot)
        assert screen.source is not None
        # A patient of the pool with every kind of clinical context.
        chosen = None
        for it in screen.source.items:  # the loaded pages, in whatever order the day gives
            if it.type not in ("message", "phone-message"):
                continue  # decisions (renewals, results, ...) open in their own screens (test_decisions)
            c = await app.client.clinical(it.patient_ref)
            if c.denied is None and all([c.allergies, c.medications, c.observations, c.conditions]):
                chosen = it
                break
        assert chosen is not None, "the seed has no patient with allergies, medicines, results and diagnoses"
        await cursor_to(screen, pilot, lambda i: i.id == chosen.id)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and app.screen.clinical is not None,
            what="clinical loaded",
        )
        await wait_for(pilot, lambda: "Diagnoser" in screen_text(app), what="clinical drawn")
        text = screen_text(app)
        positions = [text.index(h) for h in ("Allergier", "Aktive legemidler", "Siste prøvesvar", "Diagnoser")]
        assert positions == sorted(positions)
        c = app.screen.clinical  # type: ignore[attr-defined]
        assert c.allergies[0].text[:15] in text
    await app.client.aclose()


async def test_switchboard_is_told_the_role_does_not_allow_clinical_context(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "sentralbord")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        assert screen.source is not None and screen.source.items
        await cursor_to(screen, pilot, lambda i: i.type in ("message", "phone-message"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item")
        await wait_for(
            pilot,
            lambda: (
                "Rollen din gir ikke tilgang til klinisk informasjon"
                in widget_text(app.screen.query_one("#context-text"))
            ),
            what="context refusal",
        )
        assert "Allergier" not in screen_text(app)
        assert "Nødtilgang" not in screen_text(app)  # the role cannot break the glass: the key is not offered
    await app.client.aclose()


# -- actions ------------------------------------------------------------------------------------------------


async def test_claim_unclaim_complete_and_forward_from_the_inbox(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        me = app.me.resource  # type: ignore[union-attr]
        subject = f"Handlinger {uuid.uuid4().hex[:6]}"
        patient_post(demo_portal, subject, "Kan dere hjelpe?", screen.query_state.pool_id or "")
        await search_for(screen, pilot, subject.split()[-1])
        item = await cursor_to(screen, pilot, lambda i: i.subject == subject)
        assert not item.claimed

        def current() -> InboxItem:
            got = screen.source.get(item.id)  # type: ignore[union-attr]
            assert got is not None
            return got

        await pilot.press("c")
        await wait_for(pilot, lambda: current().claimed and current().owner_ref == me, what="claimed")
        assert "Tatt av meg" in screen_text(app)
        assert (await app.client.task(item.id)).owner_ref == me
        await pilot.press("u")
        await wait_for(pilot, lambda: not current().claimed, what="unclaimed")
        assert (await app.client.task(item.id)).owner_ref.startswith("HealthcareService/")
        await pilot.press("c")
        await wait_for(pilot, lambda: current().claimed, what="claimed again")
        await pilot.press("d")
        # Nobody answered the patient: completing asks first (Esc keeps it, Enter completes).
        from helsami_tui.screens.confirm import ConfirmScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="asked before completing")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back in the inbox")
        assert (await app.client.task(item.id)).status == "in-progress"
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="asked again")
        await pilot.press("enter")
        # Completed items leave the open list.
        await wait_for(pilot, lambda: screen.source.get(item.id) is None, what="completed item gone")  # type: ignore[union-attr]
        assert (await app.client.task(item.id)).status == "completed"
        assert "Oppgaven er fullført." in notes_of(app)

        # Forward another one to a colleague, with a note, from the inbox.
        subject2 = f"Videre {uuid.uuid4().hex[:6]}"
        patient_post(demo_portal, subject2, "Til en kollega.", screen.query_state.pool_id or "")
        await search_for(screen, pilot, subject2.split()[-1])
        item2 = await cursor_to(screen, pilot, lambda i: i.subject == subject2)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ForwardScreen) and app.screen.targets, what="targets")
        await pilot.press(*"Henrik Strand", "enter", "enter")
        await pilot.press(*"Kan du ta denne?", "f5")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), what="dialog closed")
        nurse = whoami(demo_portal, "sykepleier")["resource"]
        now = await wait_for_answer(
            pilot, lambda: app.client.task(item2.id), lambda t: t.owner_ref == nurse, what="forwarded to the nurse"
        )
        assert now.owner_ref == nurse and now.notes and now.notes[-1].text == "Kan du ta denne?"
        await wait_for(pilot, lambda: "Oppgaven er videresendt." in notes_of(app), what="told")
    await app.client.aclose()


async def test_conflict_is_explained_with_the_current_owner(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        subject = f"Konflikt {uuid.uuid4().hex[:6]}"
        patient_post(demo_portal, subject, "Hvem tar denne?", screen.query_state.pool_id or "")
        await search_for(screen, pilot, subject.split()[-1])
        item = await cursor_to(screen, pilot, lambda i: i.subject == subject)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item")
        # A colleague claims it first, through the API.
        r = httpx.post(
            f"{demo_portal.base_url}/fhir/Task/{item.id}/$claim",
            headers={"Authorization": f"Bearer {token(demo_portal, 'sykepleier')}", "If-Match": item.etag},
        )
        assert r.status_code == 200, r.text
        app.locked = True  # keep the live event from refreshing the item first: the user acts on what they saw
        await pilot.press("c")
        await wait_for(pilot, lambda: any("Henrik Strand" in n for n in notes_of(app)), what="conflict told")
        told = next(n for n in notes_of(app) if "Henrik Strand" in n)
        # The portal's reason code in bokmål: who, when (local time), and what to do next.
        assert told.startswith("Henrik Strand tok oppgaven ") and " kl. " in told, told
        assert "snakk med Henrik Strand" in told
        assert not any("Traceback" in n or "Error" in n for n in notes_of(app))
        # The screen now shows who holds it.
        item_screen = app.screen
        assert isinstance(item_screen, ItemScreen)
        await wait_for(pilot, lambda: item_screen.item.owner_display == "Henrik Strand", what="state shown")
        assert "Ansvarlig: Henrik Strand" in widget_text(item_screen.query_one("#state"))
        app.locked = False
    await app.client.aclose()


async def test_reply_with_template_draft_kept_on_the_portal_and_sent_once(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        subject = f"Svar meg {uuid.uuid4().hex[:6]}"
        item_screen, thread_id = await open_new_thread(app, pilot, demo_portal, subject)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="editor")
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        await pilot.press("f3", "enter")
        editor = reply.query_one("#editor")
        await wait_for(pilot, lambda: "Takk for meldingen" in editor.text, what="template")  # type: ignore[attr-defined]
        await pilot.press(*" Mvh Marte")
        written = editor.text  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="editor closed")
        # The draft is on the portal (and shown under the thread).
        draft = await wait_for_answer(
            pilot,
            lambda: app.client.load_draft(item_screen.item.focus_ref),
            lambda d: d is not None,
            what="draft saved",
        )
        assert draft is not None and draft.text == written, notes_of(app)
        await wait_for(pilot, lambda: "Ditt utkast" in thread_text(item_screen), what="draft under thread")
        # Reopen: the draft text is back.
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="editor again")
        reply = app.screen
        editor = reply.query_one("#editor")
        await wait_for(pilot, lambda: editor.text == written, what="draft loaded")  # type: ignore[attr-defined]
        await pilot.press("f5")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and item_screen.item.business_status == "replied",
            what="sent",
        )
        await wait_for(pilot, lambda: "Svaret er sendt." in notes_of(app), what="told it was sent")
        seen = patient_thread(demo_portal, thread_id)
        staff = [m for m in seen["messages"] if "Takk for meldingen" in str(m)]
        assert len(staff) == 1
        assert "Svaret er sendt." in notes_of(app)
        # The draft is gone after sending; the reply shows in the thread.
        await wait_for(
            pilot,
            lambda: "Svar fra" in thread_text(item_screen) and "Ditt utkast" not in thread_text(item_screen),
            what="reply in thread",
        )
    await app.client.aclose()


# -- offline -------------------------------------------------------------------------------------------------


BROCHURE = "Kosthold ved diabetes type 2"  # a document of the seed's library


@pytest.fixture()
def own_portal(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A SQLite file and a fixed port for a portal that the test stops and starts again."""
    db = f"sqlite:///{tmp_path / 'offline.sqlite3'}"
    port = free_port()
    yield db, port


async def test_offline_reply_is_queued_and_arrives_once_after_the_portal_returns(own_portal: tuple[str, int]) -> None:
    db, port = own_portal
    portal = EmbeddedPortal(db, port=port, demo=True, seed=True, patients=30, tasks=60, run_jobs=False).start()
    second: EmbeddedPortal | None = None
    app = await make_app(portal)
    try:
        async with app.run_test(size=SIZE) as pilot:
            subject = f"Uten nett {uuid.uuid4().hex[:6]}"
            item_screen, thread_id = await open_new_thread(app, pilot, portal, subject)
            await pilot.press("c")
            await wait_for(pilot, lambda: item_screen.item.claimed, what="claimed")
            # A brochure is attached while the portal answers; the reply is sent once it is gone.
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="editor")
            reply = app.screen
            await pilot.press("f4")
            await wait_for(pilot, lambda: isinstance(app.screen, LibraryPicker), what="library picker")
            picker = app.screen
            assert isinstance(picker, LibraryPicker)
            await pilot.press(*"kosthold")
            await wait_for(pilot, lambda: [d.title for d in picker.shown] == [BROCHURE], what="found")
            await pilot.press("enter", "enter")
            await wait_for(
                pilot, lambda: app.screen is reply and bool(reply.query_one(AttachmentsArea).documents), what="attached"
            )
            await asyncio.to_thread(portal.stop)
            await wait_for(pilot, lambda: not app.online, tries=100, what="offline noticed")
            await pilot.press(*"Svar skrevet uten nett.", "f5")
            await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), tries=200, what="queued")
            await wait_for(pilot, lambda: "Frakoblet" in screen_text(app), what="banner")
            assert len(app.outbox) == 1
            assert any("sendes automatisk" in n for n in notes_of(app))
            second = await asyncio.to_thread(EmbeddedPortal(db, port=port, demo=True, seed=False, run_jobs=False).start)
            await wait_for(pilot, lambda: len(app.outbox) == 0, tries=200, what="outbox sent")
            await wait_for(
                pilot, lambda: app.online and "Frakoblet" not in screen_text(app), tries=200, what="banner gone"
            )
            seen = patient_thread(second, thread_id)
            sent = [m for m in seen["messages"] if "Svar skrevet uten nett." in str(m)]
            assert len(sent) == 1
            # The queued reply kept its attachment: the patient gets it once.
            assert [x["contentAttachment"]["title"] for x in sent[0]["payload"] if "contentAttachment" in x] == [
                BROCHURE
            ]
            await wait_for(pilot, lambda: item_screen.item.business_status == "replied", what="state")
    finally:
        await app.client.aclose()
        portal.stop()
        if second is not None:
            second.stop()


# -- idle lock, language, theme, help, sizes ------------------------------------------------------------


async def test_idle_lock_hides_patient_data_and_enter_unlocks(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, idle_lock_minutes=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen), tries=100, what="locked")
        page = await app.client.inbox_page(app.me.pools[0], whole_pool=True, count=100)  # type: ignore[union-attr]
        names = {i.patient_name for i in page.items}
        await wait_for(pilot, lambda: "Låst" in screen_text(app), what="lock drawn")
        text = screen_text(app)
        assert "Låst" in text and "Marte Lien" in text
        assert not any(n in text for n in names)
        app.settings.idle_lock_minutes = 0  # do not lock again at once after unlocking
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), what="unlocked")
        screen = await inbox_ready(app, pilot)
        assert not app.locked
        await wait_for(
            pilot,
            lambda: any(i.patient_name in screen_text(app) for i in screen.source.items),  # type: ignore[union-attr]
            what="inbox drawn again",
        )
    await app.client.aclose()


async def test_language_switch_and_high_contrast_theme(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        await inbox_ready(app, pilot)
        # The list and the footer are painted after the first page is in: wait for the frame.
        await wait_for(pilot, lambda: "Ta oppgave" in screen_text(app) and "Emne" in screen_text(app), what="drawn")
        text = screen_text(app)
        assert "Pasient" in text and "Emne" in text and "Ta oppgave" in text
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Subject" in screen_text(app), what="English")
        text = screen_text(app)
        for english in ("Age", "Patient", "Subject", "Owner", "Claim", "Reply", "Help"):
            assert english in text, english
        assert "Pasient" not in text and "Ta oppgave" not in text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item")
        await wait_for(
            pilot, lambda: "Back" in screen_text(app) and "Subject:" in screen_text(app), what="item in English"
        )
        await pilot.press("escape", "f9")
        await wait_for(pilot, lambda: "Ta oppgave" in screen_text(app), what="bokmål again")
        text = screen_text(app)
        assert "Pasient" in text and "Ta oppgave" in text and "Patient" not in text
        assert app.theme == "helsami"
        await pilot.press("f8")
        assert app.theme == HIGH_CONTRAST_THEME
        await pilot.press("f8")
        assert app.theme == "helsami"
    await app.client.aclose()


async def test_language_from_settings_applies_to_keys_too(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await inbox_ready(app, pilot)
        await wait_for(pilot, lambda: "Claim" in screen_text(app), what="footer drawn")
        text = screen_text(app)
        assert "Patient" in text and "Claim" in text and "Ta oppgave" not in text
    set_language("nb")
    await app.client.aclose()


async def test_help_lists_every_action_key(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await inbox_ready(app, pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_text = widget_text(app.screen.query_one("#help Static"))
        lines = help_text.splitlines()
        from helsami_tui.screens.help import key_label

        for node in (screen, app):
            for b in node._bindings.key_to_bindings.values():  # noqa: SLF001
                for binding in b:
                    assert any(key_label(binding.key) in ln and binding.description in ln for ln in lines), (
                        binding.key,
                        binding.description,
                    )
        for key, what in (
            ("c", "Ta oppgave"),
            ("u", "Legg tilbake"),
            ("f", "Videresend"),
            ("r", "Svar"),
            ("d", "Fullfør"),
            ("/", "Søk"),
            ("t", "Filter type"),
            ("s", "Filter status"),
            ("o", "Filter ansvarlig"),
            ("F6", "Sorter"),
            ("Tab", "Neste innboks"),
            ("p", "Innbokser"),
            ("F9", "Språk"),
            ("F8", "Tema"),
            ("F12", "Lås nå"),
            ("F1, ?", "Hjelp"),
        ):
            assert any(ln.strip().startswith(key) and what in ln for ln in lines), (key, what)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), what="help closed")
        # The item screen's help lists its own keys.
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_text = widget_text(app.screen.query_one("#help Static"))
        for what in ("Tilbake", "Ta oppgave", "Svar", "Nødtilgang", "Oppdater"):
            assert what in help_text
    await app.client.aclose()


async def test_usable_at_80x24_and_polite_when_smaller(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=(80, 24)) as pilot:
        await inbox_ready(app, pilot)
        await wait_for(pilot, lambda: "Status" in screen_text(app), what="columns drawn")
        text = screen_text(app)
        for header in ("Alder", "Type", "Pasient", "Emne", "Status"):  # the owner column only from 96 cells
            assert header in text, header
        assert not any("for liten" in n for n in notes_of(app))
        await pilot.resize_terminal(70, 20)
        await wait_for(pilot, lambda: any("for liten" in n for n in notes_of(app)), what="told too small")
        told = [n for n in notes_of(app) if "for liten" in n]
        assert told == ["Terminalen er for liten. Gjør vinduet minst 80×24 tegn."]
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: not any("for liten" in n for n in notes_of(app)), what="notice gone")
    await app.client.aclose()


async def test_it_support_sees_queues_and_no_patient_names(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "it")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SupportScreen), what="support screen")
        queues = await app.client.queues()
        # The queues themselves (the notification outbox above them says "Venter" too, before the
        # queues have arrived: seen as a failure under load).
        await wait_for(pilot, lambda: any(q.name[:30] in screen_text(app) for q in queues), what="queues")
        text = screen_text(app)
        assert queues and "Venter" in text
        # Names of the seeded patients, read from the store (no API lists patients).
        import json

        from helsami_portal.store.schema import resource

        with demo_portal.store.read() as tx:

            def of(rtype: str) -> list[dict[str, Any]]:
                return [
                    json.loads(row[0])
                    for row in tx.conn.execute(
                        resource.select().with_only_columns(resource.c.content).where(resource.c.rtype == rtype)
                    )
                ]

            patients, staff = of("Patient"), of("Practitioner")
        # The IT view names staff (inbox members); a patient who shares a staff member's name is no leak.
        staff_names = {
            " ".join([*n.get("given", []), n.get("family", "")]).strip() for res in staff for n in res.get("name", [])
        }
        names = set()
        for res in patients:
            for n in res.get("name", []):
                names.add(" ".join([*n.get("given", []), n.get("family", "")]).strip())
        names -= staff_names
        assert len(names) > 20
        assert not [n for n in names if n in text]
        assert app._event_task is None  # noqa: SLF001 - no event stream: it would only be refused
    await app.client.aclose()


async def test_closing_screens_while_the_portal_answers_does_not_end_the_app(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        for _ in range(2):
            await pilot.press("enter", "escape")  # the item's loads are still running when it closes
            await pilot.press("f", "escape")  # the forward dialog's targets too
            await pilot.press("r", "escape")  # the item with the reply editor over it
            await wait_for(pilot, lambda: isinstance(app.screen, (ItemScreen, ReplyScreen, InboxScreen)))
            while not isinstance(app.screen, InboxScreen):
                await pilot.press("escape")
        # Every load started by the closed screens has ended (answered or cancelled) without a crash.
        await wait_for(
            pilot,
            lambda: all(w.is_finished for w in app.workers if w.node is not screen and w.node is not app),
            what="loads ended",
        )
        assert app.is_running and app.screen is screen
        assert app.return_code is None
    await app.client.aclose()
