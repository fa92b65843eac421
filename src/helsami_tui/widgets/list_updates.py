"""Live updates of the VirtualList: rows inserted or removed while the user reads, the cursor kept
on its item (found again by key, never by a scan of all rows) and the viewport on what was read.
A part of VirtualList (widgets/virtual_list.py), kept apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.scroll_view import ScrollView

from helsami_tui.rows import RowSource

KEY_SEARCH_WINDOW = 256
"""How far (in rows, each way) the list looks for the cursor's key after a live update."""

if TYPE_CHECKING:
    _Base = ScrollView  # a mixin of VirtualList: typed as the widget it is mixed into
else:
    _Base = object


class LiveUpdates(_Base):
    """Rows inserted and removed (the widget holds the source, the cursor and the row count)."""

    _source: RowSource
    _row_count: int
    _cursor: int
    _cursor_key: str | None

    if TYPE_CHECKING:

        @property
        def cursor_key(self) -> str | None: ...

        def _bump(self) -> None: ...

        def _clamp_cursor(self) -> None: ...

        def _scroll_cursor_into_view(self) -> None: ...

        def _post_highlighted(self) -> None: ...

    def rows_inserted(self, at_index: int, count: int) -> None:
        """``count`` rows were inserted at ``at_index`` in the source.

        The cursor stays on the same item (its index moves by ``count`` when the rows came in at
        or above it; if the source's row at the new index has another key, the item is looked up
        by key nearby).  When rows came in above the viewport the viewport moves with them, so
        what the user reads does not jump; at the very top (scroll 0) new rows appear on screen.
        No ``Highlighted`` message is posted: the highlighted item is unchanged.
        """
        if count <= 0:
            return
        was_empty = self._row_count == 0
        old_key = None if was_empty else self.cursor_key
        scroll_y = self.scroll_offset.y
        if not was_empty and at_index <= self._cursor:
            self._cursor += count
        self._bump()
        if scroll_y > 0 and at_index <= scroll_y:
            self.scroll_to(y=scroll_y + count, animate=False)
        if was_empty:
            self._cursor_key = None
        else:
            self._relocate_cursor(old_key)
        self._clamp_cursor()
        self._scroll_cursor_into_view()

    def rows_removed(self, at_index: int, count: int) -> None:
        """``count`` rows starting at ``at_index`` were removed from the source.

        A cursor below the removed rows stays on its item; a cursor inside them moves to the row
        that now takes their place (and a ``Highlighted`` message is posted).
        """
        if count <= 0:
            return
        old_key = self.cursor_key
        scroll_y = self.scroll_offset.y
        removed_cursor = at_index <= self._cursor < at_index + count
        if self._cursor >= at_index + count:
            self._cursor -= count
        elif removed_cursor:
            self._cursor = at_index
        self._bump()
        if scroll_y > 0 and at_index < scroll_y:
            self.scroll_to(y=max(0, scroll_y - min(count, scroll_y - at_index)), animate=False)
        self._clamp_cursor()
        if removed_cursor:
            self._cursor_key = None
            self._post_highlighted()
        else:
            self._relocate_cursor(old_key)
        self._scroll_cursor_into_view()

    def _find_key(self, key: str, around: int) -> int | None:
        """Index of the row with ``key``: the source's ``index_of`` if it has one, else a bounded
        search among loaded rows near ``around`` (never a scan of all rows)."""
        index_of = getattr(self._source, "index_of", None)
        if callable(index_of):
            found = index_of(key)
            return found if isinstance(found, int) else None
        for distance in range(KEY_SEARCH_WINDOW + 1):
            for index in (around - distance, around + distance) if distance else (around,):
                if 0 <= index < self._row_count:
                    row = self._source.row(index)
                    if row is not None and row.key == key:
                        return index
        return None

    def _relocate_cursor(self, old_key: str | None) -> None:
        """After a live update, keep the cursor on ``old_key`` if the row at the cursor differs."""
        if old_key is None or self._row_count == 0:
            self._cursor_key = None
            return
        row = self._source.row(self._cursor)
        if row is None:
            self._cursor_key = old_key  # not loaded: trust the arithmetic
            return
        if row.key != old_key:
            found = self._find_key(old_key, self._cursor)
            if found is not None:
                self._cursor = found
                row = self._source.row(found)
        self._cursor_key = row.key if row is not None else old_key
