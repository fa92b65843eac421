"""Marking items in the inbox (space, *, -) and the batch action on the marked ones (b): the marks
are kept in marks.py, the action is screens/batch.py. A part of InboxScreen (screens/inbox.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from ..client.models import InboxItem
from ..i18n import t, tn
from ..marks import Marks
from ..sources import InboxSource
from ..widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    _Screen = Screen[None]  # a mixin of InboxScreen: typed as the screen it is mixed into
else:
    _Screen = object


class InboxMarking(_Screen):
    """The inbox's marking keys (the screen holds the marks, the source and the list)."""

    marks: Marks
    source: InboxSource | None

    if TYPE_CHECKING:

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
        """Mark every item the current filter shows (the loaded part, up to one batch)."""
        if self.source is None:
            return
        added = self.marks.mark_all(self.source.items)
        if self.marks.full():
            self.notify(tn("batch.full", len(self.marks)), timeout=4)
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
