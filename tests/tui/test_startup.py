"""Start-up: the requests the first screen needs go out at once, not one after another."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.config import Settings
from helsami_tui.screens.inbox import InboxScreen
from tests.conftest import SEED, SHARED_PORTAL_SETTINGS
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory: pytest.TempPathFactory, reference: dt.datetime) -> Iterator[EmbeddedPortal]:
    """The terminal app's demo portal without its background jobs: an item a job changes while the
    app starts is announced, and the inbox would rightly ask for its pools' counts again (a second
    ask that is not the start-up's)."""
    db = tmp_path_factory.mktemp("startup") / "portal.sqlite3"
    with EmbeddedPortal(
        f"sqlite:///{db}",
        demo=True,
        seed=True,
        seed_value=SEED,
        reference=reference,
        settings=SHARED_PORTAL_SETTINGS,
        run_jobs=False,
    ) as p:
        yield p


async def test_whoami_and_pools_are_asked_together_and_pools_only_once(demo_portal: EmbeddedPortal) -> None:
    tokens = await demo_login(demo_portal.base_url, "lege")
    client = PortalClient(demo_portal.base_url, TokenSession(demo_portal.base_url, tokens), retries=0)
    log: list[str] = []
    get = client.get

    async def logged_get(path_or_url: str, params: Any = None) -> Any:
        name = path_or_url.split("?")[0].rsplit("/", 1)[-1]
        log.append(f"ask {name}")
        try:
            return await get(path_or_url, params)
        finally:
            log.append(f"answer {name}")

    client.get = logged_get  # type: ignore[method-assign]
    app = HelsamiApp(client, Settings(portal=demo_portal.base_url, idle_lock_minutes=0), demo_user="lege")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, InboxScreen) and app.screen.source is not None and app.screen.source.started,
            what="the first page",
        )
        assert log.index("ask $pools") < log.index("answer $whoami"), log
        assert log.count("ask $pools") == 1, log  # the inbox took the answer asked for at start-up
        assert log.index("answer $pools") < log.index("ask Task"), log  # the page of the fullest pool


async def test_the_first_page_fills_the_screen_and_comes_before_the_absence_read(demo_portal: EmbeddedPortal) -> None:
    """The first page asks for what fills the screen, not a full page, and the portal answers it
    alone: the absence state (a read of the user's Practitioner) is asked once it is in; the pages
    after it are full ones."""
    tokens = await demo_login(demo_portal.base_url, "lege")
    client = PortalClient(demo_portal.base_url, TokenSession(demo_portal.base_url, tokens), retries=0)
    log: list[tuple[str, str]] = []
    get = client.get

    async def logged_get(path_or_url: str, params: Any = None) -> Any:
        name = path_or_url.split("?")[0].rsplit("/", 1)[-1]
        query = path_or_url.partition("?")[2] + "&" + "&".join(f"{k}={v}" for k, v in (params or []))
        count = next((p.split("=", 1)[1] for p in query.split("&") if p.startswith("_count=")), "")
        kind = "Task" if name == "Task" else ("Practitioner" if path_or_url.startswith("Practitioner/") else name)
        log.append(("ask", f"{kind} {count}".strip()))
        try:
            return await get(path_or_url, params)
        finally:
            log.append(("answer", f"{kind} {count}".strip()))

    client.get = logged_get  # type: ignore[method-assign]
    app = HelsamiApp(client, Settings(portal=demo_portal.base_url, idle_lock_minutes=0), demo_user="lege")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, InboxScreen) and app.screen.absence is not None,
            what="the first page and the absence state",
        )
        pages = [what for how, what in log if how == "ask" and what.startswith("Task ")]
        assert pages[0] == "Task 40", log  # the screen's 30-odd rows, at least FIRST_PAGE
        assert all(p == "Task 100" for p in pages[1:]), log
        assert log.index(("answer", "Task 40")) < log.index(("ask", "Practitioner")), log


async def test_the_first_page_is_asked_once_as_the_screen_would_ask_it(demo_portal: EmbeddedPortal) -> None:
    """The first page goes out as soon as the inboxes answer, before the inbox screen is laid out
    (opening.opening_page): the screen takes it rather than asking again, and it is the request
    the screen itself makes for that inbox (a Tab to the next inbox and back asks the same)."""
    tokens = await demo_login(demo_portal.base_url, "lege")
    client = PortalClient(demo_portal.base_url, TokenSession(demo_portal.base_url, tokens), retries=0)
    firsts: list[list[tuple[str, str]]] = []
    get = client.get

    async def logged_get(path_or_url: str, params: Any = None) -> Any:
        if path_or_url == "Task":  # a first page (the next ones follow the portal's links)
            firsts.append(sorted((str(k), str(v)) for k, v in params or []))
        return await get(path_or_url, params)

    client.get = logged_get  # type: ignore[method-assign]
    app = HelsamiApp(client, Settings(portal=demo_portal.base_url, idle_lock_minutes=0), demo_user="lege")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, InboxScreen) and app.screen.absence is not None,
            what="the first page and the absence state",
        )
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert len(firsts) == 1, firsts  # taken by the screen, not asked again
        opened = screen.pool_index
        assert screen.pools[opened].waiting == max(p.waiting for p in screen.pools if p.id)  # the fullest
        assert len(screen.pools) > 1
        for _ in screen.pools:  # Tab through every inbox back to the first
            await pilot.press("tab")
        await wait_for(
            pilot, lambda: screen.pool_index == opened and len(firsts) == len(screen.pools) + 1, what="pages"
        )
        await wait_for(pilot, lambda: screen.source is not None and screen.source.started, what="the page")
        assert firsts[-1] == firsts[0], (firsts[0], firsts[-1])
