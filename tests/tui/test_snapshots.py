"""Snapshots of the main screens at 100x30, made deterministic.

What varies with time is frozen: the portal is seeded with a fixed `now` (the synthetic data is
deterministic for a given seed and `now`), its background jobs are off, and the app gets the same
fixed `now` and shows times in UTC. Update with `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.seed import seed
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.config import Settings
from helsami_tui.i18n import set_language
from helsami_tui.screens.help import HelpScreen
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.item import ItemScreen
from helsami_tui.screens.lock import LockScreen
from helsami_tui.screens.reply import ReplyScreen
from tests.waiting import settled, wait_for

FROZEN = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
SIZE = (100, 30)


@pytest.fixture(scope="module")
def frozen_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPortal]:
    url = f"sqlite:///{tmp_path_factory.mktemp('snap') / 'portal.sqlite3'}"
    store = Store(make_engine(url))
    store.create_schema()
    seed(store, patients=200, tasks=600, now=FROZEN)
    # The portal runs on the same frozen morning as the data and the app (not on the suite's clock).
    with time_machine.travel(FROZEN, tick=True), EmbeddedPortal(url, demo=True, seed=False, run_jobs=False) as p:
        yield p


def make_app(portal: EmbeddedPortal, user: str = "lege", lang: str = "nb") -> HelsamiApp:
    set_language(lang)
    tokens = asyncio.run(demo_login(portal.base_url, user))
    client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens), retries=0)
    return HelsamiApp(
        client,
        Settings(portal=portal.base_url, idle_lock_minutes=0, language=lang),
        demo_user=user,
        now=lambda: FROZEN,
        tz=dt.UTC,
    )


async def until(pilot: Any, cond: Any) -> None:
    await wait_for(pilot, cond, what="the screen did not get ready")


async def inbox_loaded(pilot: Any) -> None:
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, InboxScreen)
            and app.screen.source is not None
            and app.screen.source.started
            and app.screen.pools
        ),
    )
    app.clear_notifications()
    await settled(pilot)


async def item_loaded(pilot: Any) -> None:
    await inbox_loaded(pilot)
    app = pilot.app
    await pilot.press("enter")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, ItemScreen) and app.screen.thread is not None and app.screen.clinical is not None
        ),
    )
    app.clear_notifications()
    await settled(pilot)


def test_inbox_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    assert snap_compare(make_app(frozen_portal), terminal_size=SIZE, run_before=inbox_loaded)


def test_item_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    assert snap_compare(make_app(frozen_portal), terminal_size=SIZE, run_before=item_loaded)


def test_reply_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    async def reply_open(pilot: Any) -> None:
        await item_loaded(pilot)
        app = pilot.app
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReplyScreen))
        from textual.widgets import TextArea

        app.screen.query_one(TextArea).cursor_blink = False  # a blinking cursor is not a difference
        await until(pilot, lambda: not [w for w in app.workers if w.group == "draft-load" and not w.is_finished])
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        app.clear_notifications()
        await settled(pilot)

    assert snap_compare(make_app(frozen_portal), terminal_size=SIZE, run_before=reply_open)


def test_help_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    async def help_open(pilot: Any) -> None:
        await inbox_loaded(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await settled(pilot)

    assert snap_compare(make_app(frozen_portal), terminal_size=SIZE, run_before=help_open)


def test_lock_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    async def locked(pilot: Any) -> None:
        await inbox_loaded(pilot)
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(pilot.app.screen, LockScreen))
        await settled(pilot)

    assert snap_compare(make_app(frozen_portal), terminal_size=SIZE, run_before=locked)


# -- the main screens in English (issue 13): one language on screen, dates and numbers for it ------


def test_inbox_snapshot_en(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    assert snap_compare(make_app(frozen_portal, lang="en"), terminal_size=SIZE, run_before=inbox_loaded)


def test_item_snapshot_en(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    assert snap_compare(make_app(frozen_portal, lang="en"), terminal_size=SIZE, run_before=item_loaded)


def test_reply_snapshot_en(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    async def reply_open(pilot: Any) -> None:
        await item_loaded(pilot)
        app = pilot.app
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReplyScreen))
        from textual.widgets import TextArea

        app.screen.query_one(TextArea).cursor_blink = False  # a blinking cursor is not a difference
        # The draft is read from the portal and the editor takes the focus (its cursor shown): wait
        # for both, not for a fixed time.
        await until(pilot, lambda: not [w for w in app.workers if w.group == "draft-load" and not w.is_finished])
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        app.clear_notifications()
        await settled(pilot)

    assert snap_compare(make_app(frozen_portal, lang="en"), terminal_size=SIZE, run_before=reply_open)


def test_help_snapshot_en(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    async def help_open(pilot: Any) -> None:
        await inbox_loaded(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await settled(pilot)

    assert snap_compare(make_app(frozen_portal, lang="en"), terminal_size=SIZE, run_before=help_open)


def test_lock_snapshot_en(frozen_portal: EmbeddedPortal, snap_compare: Any) -> None:
    async def locked(pilot: Any) -> None:
        await inbox_loaded(pilot)
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(pilot.app.screen, LockScreen))
        await settled(pilot)

    assert snap_compare(make_app(frozen_portal, lang="en"), terminal_size=SIZE, run_before=locked)
