"""Sign-in as the app's first screen (issue 16): the device code shown large with the address,
approved on the portal's own approval page over HTTP, then the inbox; a denied or expired code
and an unreachable portal said in the user's language; quitting ends the polling."""

from __future__ import annotations

from typing import Any

import httpx

from helsami_portal.embedded import EmbeddedPortal, free_port
from helsami_portal.store.schema import device_code
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import Tokens, TokenSession, TokenStore
from helsami_tui.config import Settings
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.sign_in import SignInScreen

from ..waiting import wait_for
from .test_workflows import screen_text


def signing_in_app(portal_url: str, store: TokenStore, lang: str) -> HelsamiApp:
    """The app as `helsami-tui --portal URL` makes it without a saved session."""
    session = TokenSession(portal_url, None, store=store)
    return HelsamiApp(
        PortalClient(portal_url, session, retries=0), Settings(portal=portal_url, language=lang), sign_in=True
    )


def user_code(app: HelsamiApp) -> str:
    screen = app.screen
    assert isinstance(screen, SignInScreen) and screen.flow is not None
    return screen.flow.user_code


def decide(portal: EmbeddedPortal, code: str, decision: str) -> None:
    """What the user does on another device: the portal's approval page."""
    r = httpx.post(
        f"{portal.base_url}/device",
        data={"user_code": code, "username": "lege", "password": "demo", "decision": decision},
        timeout=30,
    )
    assert r.status_code == 200, r.text


async def test_the_app_signs_in_on_its_first_screen(demo_portal: EmbeddedPortal) -> None:
    lang = "nb"
    store = TokenStore.in_memory()
    app = signing_in_app(demo_portal.base_url, store, lang)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.flow is not None, what="the sign-in code"
        )
        code = user_code(app)
        text = screen_text(app)
        assert code in text and f"{demo_portal.base_url}/device" in text
        assert ("Gå til denne adressen" in text) if lang == "nb" else ("go to this address" in text)
        assert "█" in text  # the code in large block letters too
        decide(demo_portal, code, "approve")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.pools, what="the inbox")
        assert app.me is not None and app.me.username == "lege"
    kept = store.load(demo_portal.base_url)
    assert kept is not None and kept.refresh_token  # kept as every sign-in is (here: memory only)


async def test_denied_then_expired(demo_portal: EmbeddedPortal) -> None:
    app = signing_in_app(demo_portal.base_url, TokenStore.in_memory(), "en")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.flow is not None, what="the sign-in code"
        )
        decide(demo_portal, user_code(app), "deny")
        await wait_for(pilot, lambda: "denied on the approval page" in screen_text(app), what="the denial")
        assert "Press Enter to try again" in screen_text(app)
        screen = app.screen
        assert isinstance(screen, SignInScreen) and screen.failed
        await pilot.press("enter")  # a new code
        await wait_for(pilot, lambda: screen.flow is not None, what="a new code")
        with demo_portal.store.write() as tx:
            tx.conn.execute(
                device_code.update()
                .where(device_code.c.user_code == screen.flow.user_code)
                .values(expires="2000-01-01T00:00:00.000000Z")
            )
        await wait_for(pilot, lambda: "The code expired before it was approved." in screen_text(app), what="the expiry")
        assert "Trykk" not in screen_text(app)  # the app's own language (English here) throughout


async def test_a_saved_session_that_has_ended_opens_the_sign_in(demo_portal: EmbeddedPortal) -> None:
    """Tokens in the keyring from a session the portal has since ended (signed out, too old): the app
    opens on the sign-in screen instead of an error, and forgets the dead tokens."""
    store = TokenStore.in_memory()
    store.save(demo_portal.base_url, Tokens(access_token="ended", refresh_token="ended-too"))
    session = TokenSession(demo_portal.base_url, store.load(demo_portal.base_url), store=store)
    app = HelsamiApp(
        PortalClient(demo_portal.base_url, session, retries=0),
        Settings(portal=demo_portal.base_url, language="en"),
    )
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.flow is not None, what="the sign-in code"
        )
        # The code's screen may be painted a frame after the flow is known (seen once in CI).
        await wait_for(pilot, lambda: "enter the code" in screen_text(app), what="the code's instructions")
    assert store.load(demo_portal.base_url) is None


async def test_an_unreachable_portal_is_said_in_bokmal() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = signing_in_app(url, TokenStore.in_memory(), "nb")
    async with app.run_test(size=(100, 32)) as pilot:
        # The message and what to do about it are two lines, which may be painted in two frames.
        await wait_for(
            pilot,
            lambda: (
                "Får ikke kontakt med portalen" in screen_text(app)
                and "Trykk Enter for å prøve igjen" in screen_text(app)
            ),
            what="the message and what to do",
        )


async def test_quitting_while_waiting_stops_the_polling(demo_portal: EmbeddedPortal) -> None:
    app = signing_in_app(demo_portal.base_url, TokenStore.in_memory(), "en")
    workers: list[Any] = []
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.flow is not None, what="the sign-in code"
        )
        workers = [w for w in app.screen.workers if w.group == "sign-in"]
        assert workers and all(w.is_running for w in workers)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert all(w.is_finished for w in workers)  # cancelled with the app: nothing polls on


async def test_f9_switches_the_sign_in_screens_language(demo_portal: EmbeddedPortal) -> None:
    """Review: on the sign-in screen F9 switched the footer only; the title, the instructions and the
    status stayed in the language the screen opened in (and a refusal's words too)."""
    app = signing_in_app(demo_portal.base_url, TokenStore.in_memory(), "nb")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.flow is not None, what="the sign-in code"
        )
        code = user_code(app)
        await wait_for(pilot, lambda: "Venter på godkjenning" in screen_text(app), what="waiting in bokmål")
        assert "Logg inn i HelsaMi Innboks" in screen_text(app)
        await pilot.press("f9")
        # The instructions and the status line are switched in their own frames: wait for both.
        await wait_for(
            pilot,
            lambda: "go to this address" in screen_text(app) and "Waiting for approval" in screen_text(app),
            what="English instructions and status",
        )
        text = screen_text(app)
        assert "Sign in to HelsaMi Inbox" in text and "Waiting for approval" in text and code in text
        assert "Gå til" not in text and "Venter" not in text and "Logg inn i" not in text
        decide(demo_portal, code, "deny")
        await wait_for(pilot, lambda: app.screen.failed, what="denied")  # type: ignore[attr-defined]
        english = screen_text(app)
        await pilot.press("f9")
        await wait_for(
            pilot,
            lambda: (
                "Logg inn i" in screen_text(app) and "Sign in" not in screen_text(app) and "Enter" in screen_text(app)
            ),
            what="title and status in bokmål",
        )
        assert screen_text(app) != english
