"""A plain message to the user (e.g. the portal could not be reached at start)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from ..actions import with_ids
from ..i18n import t
from ..safetext import safe_text
from ..widgets.footer import Footer


class MessageScreen(Screen[None]):
    CSS = """
    MessageScreen { align: center middle; }
    #box { width: 70; height: auto; border: thick $warning; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(Binding("enter,escape,q", "close", t("action.close")))

    def __init__(self, title: str, text: str, *, quit_on_close: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.quit_on_close = quit_on_close

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(safe_text(self.text))
        yield Footer()

    def action_close(self) -> None:
        if self.quit_on_close:
            self.app.exit()
        else:
            self.app.pop_screen()
