"""The idle lock: no patient data on screen until the user signs in again."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from ..actions import with_ids
from ..client.errors import ClientError
from ..host import ReportsFailures
from ..i18n import t, tn
from ..safetext import safe_text
from ..widgets.bigcode import big
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from ..host import AppHost


class LockScreen(ReportsFailures, Screen[None]):
    """A full screen (not a modal): nothing of the screens below shows through."""

    CSS = """
    LockScreen { align: center middle; background: $background; }
    #box { width: 76; height: auto; border: thick $primary; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("enter", "unlock", t("lock.unlock")),
        Binding("ctrl+q", "app.quit", t("action.quit")),
    )

    def compose(self) -> ComposeResult:
        app: AppHost = self.app  # type: ignore[assignment]
        who = app.me.display if app.me else ""
        with Vertical(id="box"):
            yield Static(Text(t("lock.title"), style="bold"))
            yield Static(Text(tn("lock.message", int(app.settings.idle_lock_minutes))))
            yield Static(Text.assemble(Text(t("lock.signed_in_as") + " "), safe_text(who, multiline=False)))
            yield Static(Text(t("lock.press_enter")), id="prompt")
            yield Static("", id="code")
        yield Footer()

    def action_unlock(self) -> None:
        self.unlock()

    @work(exclusive=True, exit_on_error=False)
    async def unlock(self) -> None:
        app: AppHost = self.app  # type: ignore[assignment]
        if app.relogin is None:
            return  # no way to sign in again here: the lock stays (Ctrl+Q quits)

        def show(code: str, uri: str) -> None:
            art = big(code) or Text(code, style="bold")
            self.query_one("#code", Static).update(
                Text.assemble(art, "\n\n", t("login.go_to"), " ", safe_text(uri, multiline=False))
            )

        self.query_one("#prompt", Static).update(Text(t("login.waiting")))
        try:
            tokens = await app.relogin(show)
            # Only the same user unlocks; anyone else signs the previous user out completely.
            same = tokens is not None and await app.sign_in_again(tokens)
        except (ClientError, ValueError) as e:  # ValueError: a sign-in answer that is not JSON
            app.report(e)
            self.query_one("#prompt", Static).update(Text(t("lock.press_enter")))
            return
        if same:
            self.dismiss(None)
        elif tokens is None:
            self.query_one("#prompt", Static).update(Text(t("lock.press_enter")))
