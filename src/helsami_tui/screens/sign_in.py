"""Sign-in as the app's first screen: the OAuth device flow (RFC 8628) with the code shown large.

The same screen serves the terminal (`helsami-tui --portal URL` without a saved session) and the
browser (`helsami-tui serve-web`): nothing runs before the app, so a browser page never stays blank
and leaving it (or Ctrl+Q / Ctrl+C) ends the app and with it the polling worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from ..client.auth import DeviceFlow, Tokens, poll_device_flow, start_device_flow
from ..client.errors import ClientError, Offline, SignInError
from ..host import ReportsFailures
from ..i18n import t, tn
from ..refusals import error_text
from ..safetext import safe_text
from ..widgets.bigcode import big
from ..widgets.footer import Footer


class SignInScreen(ReportsFailures, Screen[Tokens]):
    """Shows the user code and the verification address, polls the portal in a worker, and
    dismisses itself with the tokens once the sign-in is approved."""

    CSS = """
    SignInScreen { align: center middle; background: $background; }
    #box { width: 76; max-width: 100%; height: auto; border: thick $primary; padding: 1 2; }
    #code { padding: 1 0 0 0; }
    #status { padding: 1 0 0 0; }
    #status.error { color: $error; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "again", t("signin.retry")),
        Binding("ctrl+c", "app.quit", t("action.quit"), show=False, priority=True),
        Binding("ctrl+q", "app.quit", t("action.quit")),
    ]

    def __init__(self, portal: str) -> None:
        super().__init__()
        self.portal = portal
        self.flow: DeviceFlow | None = None
        self.failed = False
        # What the status line says, made again on F9 (retranslate) in the new language.
        self._said: Callable[[], str] = lambda: t("signin.starting")
        self._said_error = False

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(Text(t("login.title"), style="bold"), id="heading")
            yield Static("", id="where")
            yield Static("", id="code")
            yield Static(Text(t("signin.starting")), id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sign_in()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.failed if action == "again" else True  # "Try again" only once there is something to retry

    def action_again(self) -> None:
        if self.failed:
            self.sign_in()

    # -- what the screen shows ----------------------------------------------------------------
    def retranslate(self) -> None:
        """F9: the title, the instructions and the status line in the new language."""
        self.query_one("#heading", Static).update(Text(t("login.title"), style="bold"))
        if self.flow is not None:
            self._show_where(self.flow)
        self._status(self._said, error=self._said_error)

    def _show_where(self, flow: DeviceFlow) -> None:
        where = Text.assemble(
            Text(t("login.go_to") + "\n"),
            safe_text(flow.verification_uri, multiline=False, style="bold underline"),
            Text("\n\n" + t("login.enter_code")),
        )
        self.query_one("#where", Static).update(where)

    def _show_flow(self, flow: DeviceFlow) -> None:
        self.flow = flow
        self._show_where(flow)
        art = big(flow.user_code)
        plain = safe_text(flow.user_code, multiline=False, style="bold")
        self.query_one("#code", Static).update(Text.assemble(art, "\n\n", plain) if art else plain)
        self._status(lambda: t("login.waiting"))

    def _status(self, text: Callable[[], str], *, error: bool = False) -> None:
        self._said, self._said_error = text, error
        status = self.query_one("#status", Static)
        status.update(safe_text(text()))
        status.set_class(error, "error")

    def _pending(self, seconds_left: float) -> None:
        minutes = max(1, int(seconds_left + 59) // 60)
        self._status(lambda: t("login.waiting") + "\n" + tn("signin.valid_for", minutes))

    def _network(self, reachable: bool) -> None:
        self._status(lambda: t("login.waiting") if reachable else t("signin.reconnecting"), error=not reachable)

    def _failed(self, text: Callable[[], str]) -> None:
        self.failed = True
        self.refresh_bindings()
        self.flow = None
        self.query_one("#code", Static).update("")
        self.query_one("#where", Static).update("")
        self._status(lambda: text() + "\n" + t("signin.press_enter"), error=True)

    # -- the sign-in itself (a worker: cancelled when the app ends) -------------------------------
    @work(exclusive=True, group="sign-in", exit_on_error=False)
    async def sign_in(self) -> None:
        self.failed = False
        self.refresh_bindings()
        self._status(lambda: t("signin.starting"))
        try:
            flow = await start_device_flow(self.portal)
            self._show_flow(flow)
            tokens = await poll_device_flow(flow, on_pending=self._pending, on_state=self._network)
        except SignInError as e:
            err = e
            self._failed(
                lambda: (
                    t("signin.denied")
                    if err.error == "access_denied"
                    else t("signin.expired")
                    if err.error == "expired_token"
                    else error_text(err)
                )
            )
            return
        except Offline:
            self._failed(lambda: t("signin.unreachable"))
            return
        except (ClientError, ValueError) as e:  # ValueError: an answer that is not JSON
            failure: Exception = e
            self._failed(lambda: error_text(failure))
            return
        self.dismiss(tokens)
