"""Key overrides from the settings file move an action to another key, everywhere it is offered."""

from __future__ import annotations

from typing import Any

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.screens.help import HelpScreen
from helsami_tui.screens.inbox import InboxScreen

from .test_workflows import make_app


async def wait_for(pilot: Any, cond: Any, tries: int = 200) -> None:
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


async def test_claim_moved_to_another_key_and_unknown_names_reported(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, keys={"claim": "k", "teleport": "z"})
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.source is not None
                       and len(app.screen.source.items) > 0)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        # Unknown action names are reported once, in plain words.
        assert any("teleport" in str(n.message) for n in app._notifications)
        # Find a waiting item, then claim it with the new key.
        idx = next(i for i, it in enumerate(screen.source.items) if it.status == "requested")
        from helsami_tui.widgets.virtual_list import VirtualList
        screen.query_one(VirtualList).move_cursor(idx)
        item = screen.source.items[idx]
        await pilot.press("c")  # the old key does nothing now
        await pilot.pause(0.5)
        assert screen.source.get(item.id).status == "requested"
        await pilot.press("k")
        await wait_for(pilot, lambda: screen.source.get(item.id) is not None
                       and screen.source.get(item.id).status == "in-progress")
        # The help screen lists the key in effect.
        from helsami_tui.screens.help import key_lines
        lines = dict((desc, keys) for keys, desc in key_lines(screen, app))
        assert lines["Ta oppgave"] == "k"
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
    await app.client.aclose()
