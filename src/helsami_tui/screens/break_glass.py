"""Break the glass: emergency access to a patient without a care relation, with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from ..actions import with_ids
from ..host import ReportsFailures
from ..i18n import t
from ..widgets.footer import Footer
from .dialogs import Dialog

if TYPE_CHECKING:
    from ..host import AppHost


class BreakGlassScreen(ReportsFailures, Dialog[bool]):
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f5", "confirm", t("action.confirm"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    )

    def __init__(self, patient_ref: str) -> None:
        super().__init__()
        self.patient_ref = patient_ref

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(t("btg.title"), style="bold"))
            yield Static(t("btg.explain"))
            yield Input(placeholder=t("btg.reason"), id="reason")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        reason = self.query_one(Input).value.strip()
        if len(reason) < 10:
            self.notify(t("btg.too_short"), severity="warning")
            return
        self.go(reason)

    @work(exclusive=True, exit_on_error=False)
    async def go(self, reason: str) -> None:
        app: AppHost = self.app  # type: ignore[assignment]
        res = await app.client.break_glass(self.patient_ref, reason)
        if not res.supported:
            self.notify(t("btg.unsupported"), severity="warning")
            self.dismiss(False)
            return
        self.notify(t("btg.granted"), severity="warning", timeout=8)
        self.dismiss(True)
