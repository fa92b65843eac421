"""Forward an item to another inbox or a named staff member, with an internal note."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList, Static, TextArea

from ..actions import with_ids
from ..client.errors import NotFound, NotSupported
from ..client.models import InboxItem, Target, order_targets
from ..host import ReportsFailures
from ..i18n import t
from ..safetext import safe_text
from ..widgets.footer import Footer
from .dialogs import Dialog
from .targets import fill_targets, filter_targets, target_kind


async def targets_for(client: object, item: InboxItem) -> list[Target]:
    """The forward targets for an item, the routing table's suggestions first (without them, if the
    portal has none to give), then shared inboxes, then personal ones."""
    targets = await client.forward_targets()  # type: ignore[attr-defined]
    try:
        suggestions = await client.route_suggestions(item)  # type: ignore[attr-defined]
    except (NotFound, NotSupported):  # a portal without suggestions still routes
        suggestions = []
    return order_targets(targets, suggestions)


if TYPE_CHECKING:
    from ..host import AppHost


class ForwardScreen(ReportsFailures, Dialog[None]):
    CSS = """
    #targets { height: 1fr; }
    #note { height: 6; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f5", "send", t("action.forward"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    )

    def __init__(self, item: InboxItem) -> None:
        super().__init__()
        self.item = item
        self.targets: list[Target] = []
        self.shown: list[Target] = []
        self.chosen: Target | None = None

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                Text.assemble(
                    Text(t("forward.title") + ": ", style="bold"), safe_text(self.item.subject, multiline=False)
                )
            )
            yield Input(placeholder=t("forward.filter"), id="filter")
            yield OptionList(id="targets")
            yield Static(t("forward.note_label"))
            yield TextArea(id="note", soft_wrap=True, tab_behavior="focus")
            yield Static("", id="chosen")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        self.targets = await targets_for(self.happ.client, self.item)
        if self.is_attached:
            try:
                self.show(self.query_one("#filter", Input).value)  # what was typed while loading counts
            except NoMatches:
                pass  # closed meanwhile

    def show(self, text: str) -> None:
        self.shown = filter_targets(self.targets, text, self.item.owner_ref)
        fill_targets(self.query_one("#targets", OptionList), self.shown)

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.show(event.value)

    @on(Input.Submitted, "#filter")
    def _to_list(self) -> None:
        box = self.query_one("#targets", OptionList)
        if box.option_count and box.highlighted is None:
            box.highlighted = 0  # Enter again chooses the first match
        box.focus()

    @on(OptionList.OptionSelected, "#targets")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.chosen = self.shown[event.option_index]
        self.query_one("#chosen", Static).update(
            Text.assemble(Text(t("forward.to") + ": ", style="bold"), safe_text(self.chosen.name, multiline=False))
        )
        self.query_one("#note", TextArea).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_send(self) -> None:
        if self.chosen is None:
            self.notify(t("forward.choose"), severity="warning")
            return
        note = self.query_one("#note", TextArea).text
        ref = self.chosen.ref
        self.happ.item_action(self, "forward", self.item, lambda i: self.happ.client.forward(i, ref, note))
        self.dismiss(None)


# The target list's helpers live in targets.py; these are still importable from here.
__all__ = ["ForwardScreen", "fill_targets", "filter_targets", "target_kind", "targets_for"]
