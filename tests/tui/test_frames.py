"""What the inbox writes to the terminal per key: one frame, only what changed, and a terminal that
shows exactly what the app drew.

The app runs headless against the real demo portal; every frame it hands to Textual's writer is
captured as the bytes a terminal would get, and fed to a terminal emulator (pyte). Checked, with
no timing: each cursor key makes one frame; a cursor move writes under 700 bytes and a one-line
scroll under 3,000 (the list scrolls on the terminal, ESC [ r + line feed, instead of being
rewritten); a cursor move changes no cell outside the two rows and the status line (no scrollbar,
no header); and after moves, scrolls both ways, Page Down, End and Home the emulated terminal
shows, character for character, what the app's compositor says is on the screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pyte
import pytest
from textual._compositor import CompositorUpdate
from textual.app import App

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.config import Settings
from helsami_tui.i18n import set_language
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.widgets.virtual_list import VirtualList
from tests.waiting import wait_for

W, H = 120, 36


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every frame's bytes as Textual's Linux driver would write them (App._display)."""
    frames: list[str] = []
    original = App._display

    def display(self: App[Any], screen: Any, renderable: Any) -> None:
        if isinstance(renderable, CompositorUpdate) and not self._batch_count:
            frames.append(renderable.render_segments(self.console))
        original(self, screen, renderable)

    monkeypatch.setattr(App, "_display", display)
    yield frames


def terminal_lines(term: pyte.Screen) -> list[str]:
    return [line.rstrip() for line in term.display]


def app_lines(app: HelsamiApp) -> list[str]:
    strips = app.screen._compositor.render_strips()  # noqa: SLF001
    return ["".join(seg.text for seg in strips[y]).rstrip() for y in range(H)]


async def settled(app: HelsamiApp, pilot: Any) -> None:
    """Until the screen has nothing left to paint (every frame of the last key is out)."""
    screen = app.screen

    def clean() -> bool:
        return not (
            screen._dirty_widgets
            or screen._layout_required
            or screen._repaint_required  # noqa: SLF001
            or screen._scroll_required
        )  # noqa: SLF001

    for _ in range(2):
        await pilot.pause()
        await wait_for(pilot, clean, what="screen painted")


async def test_a_cursor_key_writes_one_small_frame_and_the_terminal_matches(
    demo_portal: EmbeddedPortal, captured: list[str], reference: dt.datetime
) -> None:
    set_language("en")
    tokens = await demo_login(demo_portal.base_url, "lege")
    client = PortalClient(demo_portal.base_url, TokenSession(demo_portal.base_url, tokens), retries=0)
    app = HelsamiApp(client, Settings(portal=demo_portal.base_url, idle_lock_minutes=0), demo_user="lege")
    term = pyte.Screen(W, H)
    stream = pyte.Stream(term)
    fed = 0

    def feed() -> list[str]:
        nonlocal fed
        new = captured[fed:]
        fed = len(captured)
        for chunk in new:
            stream.feed(chunk)
        return new

    async with app.run_test(size=(W, H)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, InboxScreen)
                and app.screen.source is not None
                and app.screen.source.started
                and len(app.screen.source) > 60
            ),
            what="a long inbox",
        )
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        lst = screen.query_one(VirtualList)
        await settled(app, pilot)
        feed()
        assert terminal_lines(term) == app_lines(app)
        page = lst._page_rows  # noqa: SLF001
        list_top = lst.region.y + 1  # the first row under the column header

        async def key(name: str) -> tuple[list[str], set[int]]:
            before = [list(line) for line in term.display]
            await pilot.press(name)
            await settled(app, pilot)
            frames = feed()
            changed = {y for y, line in enumerate(term.display) if list(line) != before[y]}
            return frames, changed

        # Cursor moves within the screen: one frame each, a few hundred bytes, nothing else touched.
        status_y = screen.query_one("#filters").region.y
        for i in range(page - 2):
            frames, changed = await key("down")
            assert len(frames) == 1, f"move {i}: {len(frames)} frames"
            assert len(frames[0].encode()) <= 700, f"move {i}: {len(frames[0].encode())} bytes"
            assert changed <= {status_y, list_top + i, list_top + i + 1}, f"move {i} changed lines {changed}"
        assert terminal_lines(term) == app_lines(app)

        # One-line scrolls, down and back up.
        await key("down")
        for direction in ("down", "up"):
            if direction == "up":
                for _ in range(page - 1):
                    await key("up")  # the cursor to the top row, then every press scrolls up
            for i in range(10):
                top = lst.scroll_offset.y
                frames, _ = await key(direction)
                assert abs(lst.scroll_offset.y - top) == 1, f"{direction} {i} did not scroll"
                assert len(frames) == 1, f"{direction} {i}: {len(frames)} frames"
                assert len(frames[0].encode()) <= 3000, f"{direction} {i}: {len(frames[0].encode())} bytes"
                assert terminal_lines(term) == app_lines(app), f"after scroll {direction} {i}"

        # Bigger jumps are written too, and the terminal still shows what the app drew.
        for name in ("pagedown", "pagedown", "end", "home"):
            await key(name)
            assert terminal_lines(term) == app_lines(app), f"after {name}"
