"""A yes/no question before a step that cannot be taken back with one key (completing an item the
patient got no answer on, approving a renewal): Enter or y confirms, Esc or n cancels."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from ..actions import with_ids
from ..client.models import InboxItem, Thread
from ..i18n import t
from ..widgets.footer import Footer
from .dialogs import Dialog


class ConfirmScreen(Dialog[bool]):
    CSS = """
    #question { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("enter", "confirm", t("action.confirm"), priority=True),
        Binding("y", "confirm", t("action.confirm"), show=False, priority=True),
        Binding("j", "confirm", t("action.confirm"), show=False, priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
        Binding("n", "cancel", t("action.cancel"), show=False, priority=True),
    )

    def __init__(self, title: str, body: Text | str, question: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else Text(body)
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"), id="title")
            yield Static(self.body, id="body")
            yield Static(Text(self.question), id="question")
            yield Footer()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def patient_answered(item: InboxItem, thread: Thread | None = None) -> bool:
    """Whether the patient has had an answer: a reply was sent on the item, or the thread's last
    message is from staff. Items with nothing from the patient (no thread) need no answer."""
    if item.business_status == "replied":
        return True
    if thread is not None:
        last = thread.messages[-1] if thread.messages else None
        return last is None or not last.from_patient_side
    return not item.has_thread


def complete_with_care(screen: Screen[Any], item: InboxItem, thread: Thread | None = None) -> None:
    """Complete `item`; when the patient got no answer, only after the user confirms it."""
    app = screen.app

    def go(ok: bool | None) -> None:
        if ok:
            app.item_action(screen, "complete", item, app.client.complete)  # type: ignore[attr-defined]

    if patient_answered(item, thread):
        go(True)
        return
    app.push_screen(
        ConfirmScreen(t("confirm.unanswered.title"), t("confirm.unanswered.body"), t("confirm.unanswered.question")), go
    )


__all__ = ["ConfirmScreen", "complete_with_care", "patient_answered"]
