"""Marking items in the inbox (space, *, -) and the batch action on the marked ones (b): the marks
are kept in marks.py, the action is screens/batch.py. A part of InboxScreen (screens/inbox.py)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from ..client.errors import ClientError
from ..client.models import InboxItem, Page
from ..i18n import t, tn
from ..marks import MAX_MARKS, Marks
from ..opening import PAGE
from ..sources import InboxSource, Query
from ..widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from ..host import AppHost

    _Screen = Screen[None]  # a mixin of InboxScreen: typed as the screen it is mixed into
else:
    _Screen = object


class InboxMarking(_Screen):
    """The inbox's marking keys (the screen holds the marks, the source and the list)."""

    marks: Marks
    source: InboxSource | None
    query_state: Query
    generation: int

    if TYPE_CHECKING:

        @property
        def happ(self) -> AppHost: ...

        def current_item(self) -> InboxItem | None: ...

        def render_filters(self) -> None: ...

    def marks_changed(self) -> None:
        self.query_one(VirtualList).refresh_rows()
        self.render_filters()
        self.refresh_bindings()

    def action_toggle_mark(self) -> None:
        item = self.current_item()
        if item is None:
            return
        if not self.marks.toggle(item) and self.marks.full() and item.id not in self.marks:
            self.notify(tn("batch.full", len(self.marks)), timeout=4)
        self.marks_changed()
        self.query_one(VirtualList).action_cursor_down()  # as a mail client: on to the next

    def action_mark_all(self) -> None:
        """Mark every item the current filter matches, up to one batch (MAX_MARKS): the rows the
        list has loaded and, when they leave room, the filter's pages beyond them (in a worker)."""
        source = self.source
        if source is None:
            return
        if self.marks.full():
            self.notify(tn("batch.full", len(self.marks)), timeout=4)
            return
        if source.next_url and self.marks.room_after(it.id for it in source.items):
            self.mark_all_matching(self.generation, source)
        else:  # all loaded, or the loaded rows fill the batch: nothing to fetch
            self._mark_found(source, list(source.items), beyond=source.next_url is not None)

    @work(exclusive=True, group="mark-all", exit_on_error=False)
    async def mark_all_matching(self, generation: int, source: InboxSource) -> None:
        client, pool_id = self.happ.client, self.query_state.pool_id

        def fetch(url: str) -> Awaitable[Page[InboxItem]]:
            return client.inbox_page(pool_id, cursor_url=url, next_count=PAGE, now=self.happ.now())

        try:
            found, beyond = await self.marks.matching(list(source.items), source.next_url, fetch)
        except ClientError as e:
            self.happ.report(e)  # nothing more is marked: the key may be pressed again
            return
        if generation != self.generation:
            return  # the filter changed meanwhile: these are another filter's items
        self.happ.mark_online(True)
        self._mark_found(source, found, beyond=beyond)

    def _mark_found(self, source: InboxSource, found: list[InboxItem], *, beyond: bool) -> None:
        """Mark what the filter matched; say how many, or that the filter matches more than a batch."""
        added = self.marks.mark_all(found)
        if beyond or any(it.id not in self.marks for it in found):
            if source.total is None:  # not counted: the limit alone
                self.notify(tn("batch.full", MAX_MARKS), timeout=8)
            else:
                self.notify(tn("batch.limited", max(source.total, len(found)), limit=MAX_MARKS), timeout=8)
        else:
            self.notify(tn("batch.marked_all", added), timeout=3)
        self.marks_changed()

    def action_clear_marks(self) -> None:
        if self.marks.clear():
            self.notify(t("batch.cleared"), timeout=3)
        self.marks_changed()

    def action_batch(self) -> None:
        from .batch import start_batch

        if not len(self.marks):
            self.notify(t("batch.none_marked"), timeout=4)
            return
        start_batch(self, self.marks, lambda _result: self.marks_changed())
