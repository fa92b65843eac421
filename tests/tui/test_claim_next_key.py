"""One key in the inbox takes the next waiting item of the inbox (the portal picks it) and opens it."""

from __future__ import annotations

import httpx

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.i18n import t
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.item import ItemScreen
from tests.tui.test_app import make_app
from tests.waiting import wait_for


def _first_waiting(portal: EmbeddedPortal, pool: str) -> str:
    with httpx.Client(base_url=portal.base_url) as http:
        tok = http.post("/auth/demo-login", data={"username": "lege"}).json()["access_token"]
        r = http.get(
            "/fhir/Task",
            headers={"Authorization": f"Bearer {tok}"},
            params={
                "owner": f"HealthcareService/{pool}",
                "status": "requested",
                "_sort": "priority,authored-on",
                "_count": "1",
            },
        )
        return str(r.json()["entry"][0]["resource"]["id"])


async def test_shift_c_claims_the_next_waiting_item_and_opens_it(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, InboxScreen) and app.screen.source is not None and app.screen.source.started,
        )
        screen = app.screen
        assert isinstance(screen, InboxScreen) and screen.query_state.pool_id
        assert t("action.claim_next") in {b.description for b in screen.BINDINGS if hasattr(b, "description")}
        first = _first_waiting(demo_portal, screen.query_state.pool_id)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="the item opened")
        item = app.screen.item
        assert item.id == first and item.claimed
    await app.client.aclose()
