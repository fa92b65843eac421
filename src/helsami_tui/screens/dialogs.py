"""Dialogs the screens share: the frame every dialog is drawn in (its CSS in dialogs.tcss), and a
one-line text prompt."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..i18n import t
from ..widgets.footer import Footer

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A dialog over the screen below: centred, in a frame (#dialog). The frame and each dialog's
    size are in dialogs.tcss, beside this module (a wheel ships it as package data)."""

    CSS_PATH = str(Path(__file__).with_name("dialogs.tcss"))


class TextPrompt(Dialog["str | None"]):
    """One line of text (Enter or F5 sends, Esc cancels)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Ids given here, as keys.py gives them only to classes of the modules it lists.
        Binding("f5", "send", t("action.send"), priority=True, id="send"),
        Binding("escape", "cancel", t("action.cancel"), priority=True, id="cancel"),
    ]

    def __init__(self, title: str, explain: str, *, required: bool = True, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.explain = explain
        self.required = required
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.explain))
            yield Input(value=self.value, id="text")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        value = self.query_one(Input).value.strip()
        if self.required and not value:
            self.notify(t("decision.empty"), severity="warning")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
