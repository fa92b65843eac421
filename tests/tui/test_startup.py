"""Start-up: the requests the first screen needs go out at once, not one after another, and from the
command before the app's modules load (startup.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import Tokens, TokenSession, demo_login
from helsami_tui.config import Settings
from helsami_tui.opening import opening_pool
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.startup import EarlyStart, send_early
from tests.conftest import SEED, SHARED_PORTAL_SETTINGS
from tests.waiting import WAIT, wait_for


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


# -- the start-up requests sent by the command before the app's modules load (startup.py) -------------


def _logged(client: PortalClient) -> list[str]:
    """What `client` asks for, by name ($whoami, $pools, Task, ...), in order."""
    log: list[str] = []
    get = client.get

    async def logged_get(path_or_url: str, params: Any = None) -> Any:
        log.append(path_or_url.split("?")[0].rsplit("/", 1)[-1])
        return await get(path_or_url, params)

    client.get = logged_get  # type: ignore[method-assign]
    return log


def _nothing_listens() -> str:
    """The address of a port on this machine nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _first_row(app: HelsamiApp) -> bool:
    screen = app.screen
    return isinstance(screen, InboxScreen) and screen.source is not None and screen.source.item(0) is not None


async def test_the_command_sends_the_start_up_requests_before_the_app_exists(demo_portal: EmbeddedPortal) -> None:
    """$whoami, $pools and the opening inbox's first page all leave before the app is built
    (cli.run_portal sends them before it imports the app): they are answered with no app at all,
    and the app shows the first row without asking for any of them again."""
    tokens = await demo_login(demo_portal.base_url, "lege")
    early = send_early(demo_portal.base_url, tokens, 36)
    assert early is not None and early.first_page is not None
    asked, first_page = early.first_page.result(timeout=WAIT)  # answered without an app
    assert early.whoami.result().username == "lege"
    assert first_page.items and asked.pool_id == early.pools.result()[opening_pool(early.pools.result())].id

    client = PortalClient(demo_portal.base_url, TokenSession(demo_portal.base_url, tokens), retries=0)
    log = _logged(client)
    app = HelsamiApp(client, Settings(portal=demo_portal.base_url, idle_lock_minutes=0), demo_user="lege", early=early)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: _first_row(app), what="the first row")
        assert "$whoami" not in log and "$pools" not in log, log
        assert log[:1] != ["Task"], log  # the first page was the early one (later pages read ahead)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert screen.source is not None and screen.source.item(0) == first_page.items[0]
        assert app.me is not None and client.me == app.me  # the early answer is the client's user


async def test_an_early_request_with_a_refused_token_is_asked_again_after_renewing(
    demo_portal: EmbeddedPortal,
) -> None:
    """The portal refuses the saved access token (the thread has only that): the app's own client
    renews the session with its refresh token and asks again, and the inbox opens."""
    good = await demo_login(demo_portal.base_url, "lege")
    stale = dataclasses.replace(good, access_token="not-a-valid-token")
    early = send_early(demo_portal.base_url, stale, 36)
    assert early is not None
    client = PortalClient(demo_portal.base_url, TokenSession(demo_portal.base_url, stale), retries=0)
    log = _logged(client)
    app = HelsamiApp(client, Settings(portal=demo_portal.base_url, idle_lock_minutes=0), early=early)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: _first_row(app), what="the first row")
        assert log[:2] in (["$whoami", "$pools"], ["$pools", "$whoami"]), log  # asked again, at once
        assert log.count("$pools") == 1 and "Task" in log, log
        assert app.me is not None and app.me.username == "lege"


async def test_an_ended_session_sent_early_opens_the_sign_in_screen(demo_portal: EmbeddedPortal) -> None:
    """A saved session the portal no longer knows (no refresh possible): as without the early
    requests, the sign-in screen comes first."""
    from helsami_tui.screens.sign_in import SignInScreen

    ended = Tokens(access_token="ended", expires_at=time.time() + 3600)
    early = send_early(demo_portal.base_url, ended, 36)
    client = PortalClient(demo_portal.base_url, TokenSession(demo_portal.base_url, ended), retries=0)
    app = HelsamiApp(client, Settings(portal=demo_portal.base_url, idle_lock_minutes=0), early=early)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen), what="the sign-in screen")


async def test_an_unreachable_portal_at_start_is_said_in_the_users_language() -> None:
    """The early requests meet no portal: the app says so in the user's language, as it does when
    it asks itself (the same client, the same retries)."""
    from helsami_tui.i18n import t
    from helsami_tui.screens.message import MessageScreen

    url = _nothing_listens()
    tokens = Tokens(access_token="any", expires_at=time.time() + 3600)
    early = send_early(url, tokens, 36)
    client = PortalClient(url, TokenSession(url, tokens), retries=0)
    app = HelsamiApp(client, Settings(portal=url, idle_lock_minutes=0, language="nb"), early=early)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), what="the message")
        screen = app.screen
        assert isinstance(screen, MessageScreen)
        assert (screen.title_text, screen.text) == (t("error.start"), t("app.offline"))
        assert screen.title_text == "Innboksen kunne ikke åpnes"


def test_no_early_requests_without_a_session_or_with_a_token_about_to_expire() -> None:
    """Nothing to send them with (the app signs in first), or a token the app renews first."""
    assert send_early("http://127.0.0.1:9", None, 36) is None
    assert send_early("http://127.0.0.1:9", Tokens(access_token="x", expires_at=time.time() + 5), 36) is None


def test_the_command_hands_the_early_requests_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """`helsami-tui` with a saved session sends them and hands them to the app; without one it
    sends nothing and the app opens on its sign-in screen."""
    from helsami_tui import cli
    from helsami_tui.client import auth

    url = _nothing_listens()
    saved = Tokens(access_token="a", expires_at=time.time() + 3600)
    handed: list[tuple[bool, EarlyStart | None]] = []
    monkeypatch.setattr(HelsamiApp, "run", lambda self: handed.append((self.sign_in_first, self._early_sent)))
    memory_only = auth.TokenStore.in_memory
    for tokens in (saved, None):
        store = memory_only()
        if tokens is not None:
            store.save(url, tokens)
        monkeypatch.setattr(auth, "TokenStore", lambda store=store: store)
        assert cli.run_portal(Settings(portal=url)) == 0
    (signs_in_first, sent), (signs_in, none) = handed
    assert not signs_in_first and sent is not None and sent.first_page is not None
    assert signs_in and none is None
    sent.drop()
