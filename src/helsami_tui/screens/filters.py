"""Choose a filter or the sort order from a list (F4), rather than cycling through them with
t / s / o / F6: every choice of type, status, owner and sort is shown, the ones in force marked."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import t
from ..sources import Query
from ..widgets.footer import Footer
from .dialogs import Dialog

# The choices of filter and sort, in the order t / s / o / F6 cycle through them (the first is the default).
TYPE_FILTERS: list[str | None] = [None, "message", "renewal", "result", "questionnaire", "appointment", "phone-message"]
STATUS_FILTERS: list[str | None] = ["requested,in-progress", "requested", "in-progress", "completed"]
OWNER_FILTERS: list[str | None] = [None, "unclaimed", "mine"]
SORTS = ["priority,authored-on", "authored-on", "-authored-on"]


def _type_label(code: str | None) -> str:
    return t("filter.type.all") if code is None else t("type." + code.replace("-", "_"))


def _status_label(status: str | None) -> str:
    return t("filter.status." + (status or "all").replace(",", "_"))


def _owner_label(owner: str | None) -> str:
    return t("filter.owner.all") if owner is None else t("filter.owner." + owner)


def _sort_label(sort: str) -> str:
    return t("sort." + sort.split(",")[0].lstrip("-") + (".desc" if sort.startswith("-") else ""))


def choices(q: Query) -> list[tuple[str, Any, str, bool]]:
    """(field, value, label, in force) for every choice, grouped by field."""
    out: list[tuple[str, Any, str, bool]] = []
    out += [("code", v, _type_label(v), q.code == v) for v in TYPE_FILTERS]
    out += [("status", v, _status_label(v), q.status == v) for v in STATUS_FILTERS]
    out += [("owner", v, _owner_label(v), q.owner == v) for v in OWNER_FILTERS]
    out += [("sort", v, _sort_label(v), q.sort == v) for v in SORTS]
    return out


HEADINGS = {"code": "filter.type", "status": "filter.status", "owner": "filter.owner", "sort": "action.sort"}


class FilterPicker(Dialog["dict[str, Any] | None"]):
    """↑/↓ move, Enter applies the highlighted choice (dismissed with {field: value}), Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", t("action.cancel"))]

    def __init__(self, query: Query) -> None:
        super().__init__()
        self.rows = choices(query)
        self.index: list[int | None] = []  # option index -> row index (None for a heading)

    def compose(self) -> ComposeResult:
        opts: list[Option] = []
        field = ""
        for i, (f, _value, label, on_) in enumerate(self.rows):
            if f != field:
                field = f
                opts.append(Option(Text(t(HEADINGS[f]), style="bold underline"), disabled=True))
                self.index.append(None)
            opts.append(Option(Text.assemble(Text("✓ " if on_ else "  ", style="bold"), label)))
            self.index.append(i)
        with Vertical(id="dialog"):
            yield Static(Text(t("filter.title"), style="bold"))
            yield OptionList(*opts, id="filter-list")
            yield Footer()

    def on_mount(self) -> None:
        box = self.query_one(OptionList)
        box.highlighted = next(i for i, r in enumerate(self.index) if r is not None)
        box.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        row = self.index[event.option_index]
        if row is not None:
            field, value, _label, _on = self.rows[row]
            self.dismiss({field: value})

    def action_cancel(self) -> None:
        self.dismiss(None)
