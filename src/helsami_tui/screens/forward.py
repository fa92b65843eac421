"""Forward an item to another inbox or a named staff member, with an internal note."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..client.models import InboxItem, Target
from ..i18n import t
from ..safetext import safe_text

def filter_targets(targets: list[Target], text: str, exclude: str = "") -> list[Target]:
    """The targets whose name contains every typed word (and that are not `exclude`)."""
    words = text.lower().split()
    return [x for x in targets if x.ref != exclude and all(w in x.name.lower() for w in words)]


def fill_targets(box: OptionList, shown: list[Target], *, highlight_first: bool = False) -> None:
    """Show targets in a list as "Innboks: name" / "Person: name" (names are untrusted text)."""
    box.clear_options()
    box.add_options([Option(Text.assemble(Text(t("forward.kind." + x.kind) + ": ", style="bold"),
                                          safe_text(x.name, multiline=False))) for x in shown])
    if highlight_first and shown:
        box.highlighted = 0


if TYPE_CHECKING:
    from ..app import HelsamiApp


class ForwardScreen(ModalScreen[None]):
    CSS = """
    ForwardScreen { align: center middle; }
    #dialog { width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    #targets { height: 1fr; }
    #note { height: 6; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "send", t("action.forward"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    ]

    def __init__(self, item: InboxItem) -> None:
        super().__init__()
        self.item = item
        self.targets: list[Target] = []
        self.shown: list[Target] = []
        self.chosen: Target | None = None

    @property
    def happ(self) -> HelsamiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text.assemble(Text(t("forward.title") + ": ", style="bold"),
                                       safe_text(self.item.subject, multiline=False)))
            yield Input(placeholder=t("forward.filter"), id="filter")
            yield OptionList(id="targets")
            yield Static(t("forward.note_label"))
            yield TextArea(id="note", soft_wrap=True, tab_behavior="focus")
            yield Static("", id="chosen")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        try:
            self.targets = await self.happ.client.forward_targets()
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
            return
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
        self.query_one("#chosen", Static).update(Text.assemble(Text(t("forward.to") + ": ", style="bold"),
                                                               safe_text(self.chosen.name, multiline=False)))
        self.query_one("#note", TextArea).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_send(self) -> None:
        if self.chosen is None:
            self.notify(t("forward.choose"), severity="warning")
            return
        note = self.query_one("#note", TextArea).text
        self.happ.item_action(self, "forward", self.item, target_ref=self.chosen.ref, note=note)
        self.dismiss(None)
