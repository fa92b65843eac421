"""Choose an inbox (pool) from the user's list, with counts."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..actions import with_ids
from ..client.models import Pool
from ..i18n import t, tn
from ..safetext import safe_text
from ..widgets.footer import Footer
from .dialogs import Dialog


class PoolPicker(Dialog[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = with_ids(Binding("escape", "cancel", t("action.cancel")))

    def __init__(self, pools: list[Pool], current: int) -> None:
        super().__init__()
        self.pools = pools
        self.current = current

    def compose(self) -> ComposeResult:
        opts = []
        for p in self.pools:
            name = safe_text(t("inbox.mine") if not p.id else p.name, multiline=False, style="bold")
            counts = ", ".join(
                [tn("count.new", p.waiting), tn("count.urgent", p.urgent), tn("count.overdue", p.overdue)]
            )
            opts.append(Option(Text.assemble(name, "  ", counts)))
        with Vertical(id="dialog"):
            yield Static(Text(t("inbox.pools"), style="bold"))
            yield OptionList(*opts, id="pool-list")
            yield Footer()

    def on_mount(self) -> None:
        box = self.query_one(OptionList)
        box.highlighted = self.current if self.pools else None
        box.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)
