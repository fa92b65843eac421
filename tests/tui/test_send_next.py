"""One key for "send, complete and go to the next item" (issue 12): F6 in the reply."""

from __future__ import annotations

import uuid

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.screens.item import ItemScreen
from helsami_tui.screens.reply import ReplyScreen

from .test_switchboard_it import stored_task, type_text
from .test_workflows import (
    SIZE,
    cursor_to,
    inbox_ready,
    make_app,
    patient_post,
    patient_thread,
    screen_text,
    search_for,
    thread_id_of,
    wait_for,
)


async def test_f6_sends_completes_and_opens_the_next_item(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        inbox = await inbox_ready(app, pilot)
        word = f"kjede{uuid.uuid4().hex[:6]}"
        pool = inbox.query_state.pool_id
        assert pool
        first = patient_post(demo_portal, f"Første spørsmål {word}", "Hei, et spørsmål.", pool)
        patient_post(demo_portal, f"Andre spørsmål {word}", "Hei igjen.", pool)
        await search_for(inbox, pilot, word)
        await wait_for(pilot, lambda: inbox.source is not None and len(inbox.source.items) == 2, what="both found")
        item = await cursor_to(inbox, pilot, lambda i: i.subject.startswith("Første"))
        following = inbox.item_after(item.id)
        assert following is not None and following.subject.startswith("Andre")
        thread_id = thread_id_of(first)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ItemScreen) and app.screen.thread is not None, what="item open"
        )
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply")
        assert "Send, fullfør, neste" in screen_text(app)  # the key is in the footer
        await type_text(pilot, "Takk, vi ringer deg i morgen.")
        await pilot.press("f6")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and app.screen.item.id == following.id,
            what="the next item open",
        )
        t = stored_task(demo_portal, item.id)
        assert t["status"] == "completed"
        msgs = [m["payload"][0]["contentString"] for m in patient_thread(demo_portal, thread_id)["messages"]]
        assert msgs.count("Takk, vi ringer deg i morgen.") == 1  # sent once
        assert inbox.current_item() is not None and inbox.current_item().id == following.id
    await app.client.aclose()


async def test_f6_opens_the_next_item_when_the_list_shows_unclaimed_items_only(demo_portal: EmbeddedPortal) -> None:
    """The shift's view (unclaimed messages): replying claims the item, which leaves the list; F6
    still opens the item that followed it, not the inbox."""
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        inbox = await inbox_ready(app, pilot)
        word = f"uklar{uuid.uuid4().hex[:6]}"
        pool = inbox.query_state.pool_id
        assert pool
        patient_post(demo_portal, f"Første {word}", "Hei, et spørsmål.", pool)
        patient_post(demo_portal, f"Andre {word}", "Hei igjen.", pool)
        await pilot.press("o")  # owner: unclaimed
        await wait_for(pilot, lambda: inbox.query_state.owner == "unclaimed", what="unclaimed filter")
        await search_for(inbox, pilot, word)
        await wait_for(pilot, lambda: inbox.source is not None and len(inbox.source.items) == 2, what="both found")
        item = await cursor_to(inbox, pilot, lambda i: i.subject.startswith("Første"))
        following = inbox.item_after(item.id)
        assert following is not None
        await pilot.press("r")  # straight into the editor from the list
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply")
        await type_text(pilot, "Vi ringer deg.")
        await pilot.press("f6")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ItemScreen)
                and not isinstance(app.screen, ReplyScreen)
                and app.screen.item.id == following.id
            ),
            what="the next item open",
        )
        assert stored_task(demo_portal, item.id)["status"] == "completed"
    await app.client.aclose()
