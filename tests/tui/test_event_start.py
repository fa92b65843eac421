"""The inbox follows the event stream from where it read its inboxes, before its first page: a change
a colleague (or the user elsewhere) makes after the first page was read and before the stream opened
still reaches the screen. Seen as a stale item screen: a note added in that moment never showed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui import app as app_module

from .test_workflows import inbox_ready, make_app, wait_for


@pytest.fixture
def late_stream(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The app's event stream opens only when the returned event is set (a slow connection)."""
    gate = asyncio.Event()
    real = app_module.follow_events

    async def late(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(app_module, "follow_events", late)
    return gate


async def test_a_change_made_before_the_stream_opens_reaches_the_inbox(
    demo_portal: EmbeddedPortal, late_stream: asyncio.Event
) -> None:
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await inbox_ready(app, pilot)
        assert screen.source is not None
        item = screen.source.items[0]
        text = f"Notat mens strømmen ikke var åpen ({item.id})."
        await app.client.add_note(await app.client.task(item.id), text=text)
        late_stream.set()

        def shown() -> bool:
            assert screen.source is not None
            now = next((i for i in screen.source.items if i.id == item.id), None)
            return now is not None and any(text in (n.text or "") for n in now.notes)

        await wait_for(pilot, shown, what="the note in the inbox's item")


async def test_pools_say_where_the_event_stream_stood_before_they_were_read(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "lege")
    try:
        before = await app.client.pools()
        assert before.events_from is not None and int(before.events_from) >= 0
        item = (await app.client.inbox_page(None, status="in-progress")).items or (
            await app.client.inbox_page(before[1].id)
        ).items
        await app.client.add_note(await app.client.task(item[0].id), text="Et notat.")
        after = await app.client.pools()
        assert after.events_from is not None and int(after.events_from) > int(before.events_from)
    finally:
        await app.client.aclose()
