"""The one worker-error handler (host.report_failed_worker): a failed worker declared
exit_on_error=False is reported by the app, whatever it raised, and the app goes on."""

from __future__ import annotations

import uuid
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static, TextArea

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.client.errors import Offline
from helsami_tui.host import ReportsFailures
from helsami_tui.screens.item import ItemScreen
from helsami_tui.screens.reply import ReplyScreen
from tests.tui.test_workflows import SIZE, make_app, open_new_thread, patient_thread
from tests.waiting import wait_for


class FailingScreen(ReportsFailures, Screen[None]):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        yield Static("up")

    def on_mount(self) -> None:
        self.fail()

    @work(exit_on_error=False)
    async def fail(self) -> None:
        raise self.error


class ReportingApp(App[None]):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.reported: list[Exception] = []

    def on_mount(self) -> None:
        self.push_screen(FailingScreen(self.error))

    def report(self, e: Exception) -> None:
        self.reported.append(e)


async def _reported(error: Exception) -> list[Exception]:
    app = ReportingApp(error)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: app.reported, what="the worker's error reported")
        assert app.is_running  # a failed worker does not end the app
        assert isinstance(app.screen, FailingScreen)
        return app.reported


async def test_a_client_error_of_a_worker_is_reported_once() -> None:
    error = Offline()
    assert await _reported(error) == [error]


async def test_an_unexpected_error_of_a_worker_reaches_the_same_handler() -> None:
    error = RuntimeError("not a client error")
    assert await _reported(error) == [error]


async def test_a_reply_whose_send_fails_unexpectedly_can_be_sent_again(demo_portal: EmbeddedPortal) -> None:
    """A defect in the send path (not a refusal, not the network) is reported by the one handler,
    and the reply screen puts back its "sending" state: the text stays, and F5 sends it."""
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        subject = f"Feil ved sending {uuid.uuid4().hex[:6]}"
        item_screen, thread_id = await open_new_thread(app, pilot, demo_portal, subject)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="editor")
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        await pilot.press(*"Svar etter en feil.")
        reported: list[Exception] = []
        real_report, real_send = app.report, app.outbox.send

        def report(e: Exception) -> None:
            reported.append(e)
            real_report(e)

        async def broken_send(*args: Any, **kw: Any) -> Any:
            raise RuntimeError("a defect in the outbox")

        app.report = report  # type: ignore[method-assign]
        app.outbox.send = broken_send  # type: ignore[method-assign]
        await pilot.press("f5")
        await wait_for(pilot, lambda: bool(reported) and not reply.sending, what="failure reported")
        assert isinstance(reported[0], RuntimeError)
        assert app.screen is reply and "Svar etter en feil." in reply.query_one(TextArea).text
        app.outbox.send = real_send  # type: ignore[method-assign]
        await pilot.press("f5")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and item_screen.item.business_status == "replied",
            what="sent on the second try",
        )
        staff = [m for m in patient_thread(demo_portal, thread_id)["messages"] if "Svar etter en feil." in str(m)]
        assert len(staff) == 1
