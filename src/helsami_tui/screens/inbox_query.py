"""What the inbox list shows: filters by type, status and owner, the sort order and the search
(keys t / s / o / F6 / F4 / "/"), the line above the list that says which are in force, and how
many rows the first page asks for (opening.py). A part of InboxScreen (screens/inbox.py), kept apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input

from ..client.models import Pool
from ..i18n import t, tn
from ..marks import Marks
from ..opening import CHROME_LINES, first_page_rows
from ..safetext import safe_text
from ..sources import InboxSource, Query
from ..widgets.status_line import StatusLine
from ..widgets.virtual_list import VirtualList
from .filters import OWNER_FILTERS, SORTS, STATUS_FILTERS, TYPE_FILTERS

if TYPE_CHECKING:
    _Screen = Screen[None]  # a mixin of InboxScreen: typed as the screen it is mixed into
else:
    _Screen = object


def pools_text(pools: list[Pool], current: Pool | None) -> Text:
    """The line of the user's inboxes with their counts (waiting, !urgent, ⏰overdue), the current one marked."""
    parts: list[Text | str] = []
    for p in pools:
        name = t("inbox.mine") if not p.id else p.name
        label = safe_text(name, multiline=False)
        counts = f" {p.waiting}"
        if p.urgent:
            counts += f" !{p.urgent}"
        if p.overdue:
            counts += f" ⏰{p.overdue}"
        style = "reverse bold" if p is current else ""
        mark = "▶" if p is current else " "
        parts.append(Text.assemble(Text(mark), Text.assemble(label, counts, style=style), "  "))
    return Text.assemble(*parts) if parts else Text(t("inbox.no_pools"))


def pool_summary(pool: Pool) -> str:
    """An inbox's counts in words ("3 nye, 1 haster, 0 over fristen")."""
    return ", ".join(
        x
        for x in (
            tn("count.new", pool.waiting),
            tn("count.urgent", pool.urgent),
            tn("count.overdue", pool.overdue),
        )
    )


class InboxQuery(_Screen):
    """The inbox's filters, sort and search (the screen holds the query and the list)."""

    query_state: Query
    source: InboxSource | None
    marks: Marks

    if TYPE_CHECKING:

        def reload(self, keep_cursor: bool = False) -> None: ...

    def _first_page_rows(self) -> int:
        try:
            height = self.query_one(VirtualList).size.height
        except NoMatches:
            height = 0
        # Asked for before the list's first layout: the terminal's height less the screen's other lines.
        return first_page_rows(height or self.app.size.height - CHROME_LINES)

    def render_filters(self) -> None:
        q = self.query_state
        # The position first (it must never be cut off: "0 av 0" says a search found nothing);
        # while searching all inboxes, the current inbox's counts are beside the point.
        position = ""
        if self.source is not None:
            total = len(self.source)
            index = self.query_one(VirtualList).cursor_index + 1 if total else 0
            position = t("inbox.position", index=index, total=total)
        bits = [
            position,
            tn("batch.marked", len(self.marks)) if len(self.marks) else "",
            "" if q.text else getattr(self, "_summary", ""),
        ]
        if q.code:
            bits.append(f"{t('filter.type')}: {t('type.' + q.code.replace('-', '_'))}")
        if q.status != STATUS_FILTERS[0]:
            bits.append(f"{t('filter.status')}: {t('filter.status.' + (q.status or 'all').replace(',', '_'))}")
        if q.owner:
            bits.append(f"{t('filter.owner')}: {t('filter.owner.' + q.owner)}")
        if q.sort != SORTS[0]:
            bits.append(
                f"{t('action.sort')}: {t('sort.' + q.sort.lstrip('-') + ('.desc' if q.sort.startswith('-') else ''))}"
            )
        if q.text:
            bits.append(f"{t('search.everywhere')}: ")
        line = Text(" · ".join(b for b in bits if b))
        if q.text:
            line.append_text(safe_text(q.text, multiline=False))
        self.query_one("#filters", StatusLine).show(line)  # repainted only when it changed

    def _cycle(self, options: list[Any], current: Any) -> Any:
        i = options.index(current) if current in options else -1
        return options[(i + 1) % len(options)]

    def _requery(self, **changes: Any) -> None:
        q = self.query_state
        data = {
            "pool_id": q.pool_id,
            "status": q.status,
            "code": q.code,
            "owner": q.owner,
            "sort": q.sort,
            "text": q.text,
            **changes,
        }
        self.query_state = Query(**data)
        self.reload()

    def action_filter_type(self) -> None:
        self._requery(code=self._cycle(TYPE_FILTERS, self.query_state.code))

    def action_filter_status(self) -> None:
        self._requery(status=self._cycle(STATUS_FILTERS, self.query_state.status))

    def action_filter_owner(self) -> None:
        self._requery(owner=self._cycle(OWNER_FILTERS, self.query_state.owner))

    def action_filters(self) -> None:
        """Type, status, owner and sort chosen from one list (the keys above cycle through them)."""
        from .filters import FilterPicker

        def chosen(change: dict[str, Any] | None) -> None:
            if change:
                self._requery(**change)

        self.app.push_screen(FilterPicker(self.query_state), chosen)

    def action_sort(self) -> None:
        self._requery(sort=self._cycle(SORTS, self.query_state.sort))

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.add_class("shown")
        box.value = self.query_state.text or ""
        box.focus()

    def action_cancel_search(self) -> None:
        box = self.query_one("#search", Input)
        if box.has_class("shown"):
            box.remove_class("shown")
            self.query_one(VirtualList).focus()
        elif self.query_state.text:
            self._requery(text=None)
