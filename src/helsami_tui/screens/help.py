"""Every key of the screen below, with what it does."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from ..i18n import t

KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter", "tab": "Tab"}


def key_label(key: str) -> str:
    return ", ".join(KEY_NAMES.get(k, k.upper() if k.startswith("f") and k[1:].isdigit() else k)
                     for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    CSS = """
    HelpScreen { align: center middle; }
    #help { width: 80%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", t("action.close"))]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        out = Text(t("help.title") + "\n\n", style="bold")
        seen: set[str] = set()
        for source in (self.under, self.app):
            for b in getattr(source, "BINDINGS", []):
                if not isinstance(b, Binding) or b.action in seen:
                    continue
                seen.add(b.action)
                out.append(f"{key_label(b.key):>14}  ", style="bold")
                out.append(f"{b.description}\n")
        out.append("\n" + t("help.more"))
        with VerticalScroll(id="help"):
            yield Static(out)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
