"""The idle lock: no patient data on screen until the user signs in again."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..i18n import t
from ..safetext import safe_text
from ..widgets.bigcode import big

if TYPE_CHECKING:
    from ..app import HelsamiApp


class LockScreen(Screen[None]):
    """A full screen (not a modal): nothing of the screens below shows through."""

    CSS = """
    LockScreen { align: center middle; background: $background; }
    #box { width: 76; height: auto; border: thick $primary; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "unlock", t("lock.unlock")),
        Binding("ctrl+q", "app.quit", t("action.quit")),
    ]

    def compose(self) -> ComposeResult:
        app: HelsamiApp = self.app  # type: ignore[assignment]
        who = app.me.display if app.me else ""
        with Vertical(id="box"):
            yield Static(Text(t("lock.title"), style="bold"))
            yield Static(Text(t("lock.message", minutes=int(app.settings.idle_lock_minutes))))
            yield Static(Text.assemble(Text(t("lock.signed_in_as") + " "), safe_text(who, multiline=False)))
            yield Static(Text(t("lock.press_enter")), id="prompt")
            yield Static("", id="code")
        yield Footer()

    def action_unlock(self) -> None:
        self.unlock()

    @work(exclusive=True)
    async def unlock(self) -> None:
        app: HelsamiApp = self.app  # type: ignore[assignment]
        if app.relogin is None:
            self.dismiss(None)
            return

        def show(code: str, uri: str) -> None:
            art = big(code) or Text(code, style="bold")
            self.query_one("#code", Static).update(Text.assemble(art, "\n\n", t("login.go_to"), " ",
                                                                 safe_text(uri, multiline=False)))

        self.query_one("#prompt", Static).update(Text(t("login.waiting")))
        try:
            ok = await app.relogin(show)
        except Exception as e:  # noqa: BLE001
            app.report(e)
            self.query_one("#prompt", Static).update(Text(t("lock.press_enter")))
            return
        if ok:
            self.dismiss(None)
        else:
            self.query_one("#prompt", Static).update(Text(t("lock.press_enter")))
