"""The terminal app against a real portal: Pilot tests of the main workflows."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.config import Settings
from helsami_tui.i18n import set_language
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.item import ItemScreen
from helsami_tui.widgets.virtual_list import VirtualList
from tests.waiting import wait_for


async def make_app(portal: EmbeddedPortal, user: str = "lege", **settings: Any) -> HelsamiApp:
    set_language("nb")
    tokens = await demo_login(portal.base_url, user)
    client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens))
    return HelsamiApp(client, Settings(portal=portal.base_url, **settings), demo_user=user)


def patient_post(portal: EmbeddedPortal, subject: str, text: str, service: str | None = None) -> dict[str, Any]:
    with httpx.Client(base_url=portal.base_url) as http:
        tok = http.post("/auth/demo-login", data={"username": "pasient"}).json()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        me = http.get("/patient/me", headers=h).json()
        if service is None:
            lege = http.post("/auth/demo-login", data={"username": "lege"}).json()["access_token"]
            service = http.get("/fhir/$whoami", headers={"Authorization": f"Bearer {lege}"}).json()["pools"][0]
        r = http.post(
            "/patient/threads",
            headers=h,
            json={
                "patient": me["actsFor"][0]["patient"].split("/")[1],
                "service": service,
                "subject": subject,
                "text": text,
                "messageId": str(uuid.uuid4()),
            },
        )
        assert r.status_code == 201, r.text
        return dict(r.json())


async def test_inbox_opens_with_rows_and_counts(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, InboxScreen)
                and app.screen.source is not None
                and len(app.screen.source.items) > 0
            ),
        )
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        lst = screen.query_one(VirtualList)
        assert lst.row_count > 0
        text = app.export_screenshot()
        assert "Pasient" in text and "Emne" in text  # headers in bokmål


async def test_open_claim_and_reply_from_the_keyboard(demo_portal: EmbeddedPortal) -> None:
    subject = f"Pilot-test {uuid.uuid4().hex[:6]}"
    app = await make_app(demo_portal)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, InboxScreen) and app.screen.source is not None and app.screen.source.started,
        )
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        patient_post(demo_portal, subject, "Hei, jeg trenger hjelp.", service=screen.query_state.pool_id)
        # The new item arrives by the event stream; search for it to put it under the cursor.
        await pilot.press("slash")
        await pilot.press(*subject.lower().split(" ")[0])
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: screen.source is not None and any(i.subject == subject for i in screen.source.items)
        )
        idx = next(i for i, it in enumerate(screen.source.items) if it.subject == subject)
        screen.query_one(VirtualList).move_cursor(idx)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen))
        item_screen = app.screen
        await pilot.press("c")
        await wait_for(pilot, lambda: item_screen.item.claimed)
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "ReplyScreen" and type(app.focused).__name__ == "TextArea",
            what="reply editor ready",
        )
        await pilot.press(*"Vi ringer deg i dag.")
        await pilot.press("f5")
        await wait_for(pilot, lambda: item_screen.item.business_status == "replied", tries=200)
    await app.client.aclose()
