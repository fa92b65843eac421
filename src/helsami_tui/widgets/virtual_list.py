"""A line-API list for 100,000+ rows (the inbox list).

Toolong-style: a :class:`~textual.scroll_view.ScrollView` whose ``virtual_size`` is
``(width, row_count + 1)`` and whose :meth:`VirtualList.render_line` draws only the lines on
screen.  Nothing per frame iterates over all rows: a frame asks the :class:`RowSource` for the
visible rows only (one :meth:`RowSource.want` hint per frame plus one :meth:`RowSource.row` per
visible line that is not cached), and rendered lines are kept in an LRU cache keyed by
``(row index, width, highlighted, data version)``.

Line 0 of the widget is a sticky header with the column labels; rows follow.  The cursor row
is drawn in reverse video with a leading "▶", so it never relies on colour.  Rows not loaded yet
(``source.row(i) is None``) are drawn as a dim "…" line; when the source has loaded them the app
calls :meth:`VirtualList.refresh_rows`.

Live updates: call :meth:`VirtualList.rows_inserted` / :meth:`VirtualList.rows_removed` after the
source changed; the cursor stays on the same item (by key) and, when rows arrive above the
viewport, the viewport stays on the same items too.

Cells must already be safe (``safetext.safe_cell`` / ``safe_text(..., multiline=False)``); as a
defence in depth, a cell that still contains a control, bidi or invisible character, or a newline,
is passed through ``safe_text`` again when its line is rendered.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from helsami_tui.rows import Column, EmptySource as _EmptySource, Row, RowSource, layout_columns

from .list_lines import ListLines
from .list_updates import LiveUpdates

__all__ = ["Column", "Row", "RowSource", "VirtualList", "layout_columns"]


class VirtualList(ListLines, LiveUpdates, ScrollView, can_focus=True):
    """A fast list over a :class:`RowSource`; see the module docstring."""

    DEFAULT_CSS = """
    VirtualList {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
    }
    VirtualList > .virtual-list--header {
        text-style: bold underline;
    }
    VirtualList > .virtual-list--cursor {
        text-style: reverse bold;
    }
    VirtualList > .virtual-list--placeholder {
        text-style: dim;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-list--header",
        "virtual-list--cursor",
        "virtual-list--placeholder",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home", "cursor_first", "First", show=False),
        Binding("end", "cursor_last", "Last", show=False),
        Binding("enter", "select_cursor", "Open", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another row (``key`` is ``None`` if that row is not loaded)."""

        def __init__(self, virtual_list: VirtualList, index: int, key: str | None) -> None:
            super().__init__()
            self.virtual_list = virtual_list
            self.index = index
            self.key = key

        @property
        def control(self) -> VirtualList:
            return self.virtual_list

    class Selected(Message):
        """A row was chosen (enter or double-click)."""

        def __init__(self, virtual_list: VirtualList, index: int, key: str | None) -> None:
            super().__init__()
            self.virtual_list = virtual_list
            self.index = index
            self.key = key

        @property
        def control(self) -> VirtualList:
            return self.virtual_list

    class HeaderClicked(Message):
        """A column header was clicked (e.g. to sort by it)."""

        def __init__(self, virtual_list: VirtualList, column_key: str) -> None:
            super().__init__()
            self.virtual_list = virtual_list
            self.column_key = column_key

        @property
        def control(self) -> VirtualList:
            return self.virtual_list

    def __init__(
        self,
        source: RowSource | None = None,
        columns: list[Column] | None = None,
        *,
        marker_width: int = 3,
        cache_size: int = 1024,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._source: RowSource = source if source is not None else _EmptySource()
        self._columns: list[Column] = list(columns or [])
        self._marker_width = max(0, marker_width)
        self._row_count = len(self._source)
        self.virtual_size = Size(0, self._row_count + 1)
        self._cursor = 0
        self._cursor_key: str | None = None
        self._version = 0
        self._line_cache: LRUCache[tuple[int, int, bool, int], Strip] = LRUCache(cache_size)
        self._header_cache: dict[int, Strip] = {}
        self._column_widths_cache: dict[int, list[int]] = {}

    # ------------------------------------------------------------------ public API

    @property
    def source(self) -> RowSource:
        return self._source

    @property
    def columns(self) -> list[Column]:
        return list(self._columns)

    @property
    def row_count(self) -> int:
        """The row count as last read from the source."""
        return self._row_count

    @property
    def cursor_index(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """Key of the row under the cursor (``None`` if the list is empty or it is not loaded)."""
        if self._cursor_key is None and self._row_count:
            row = self._source.row(self._cursor)
            if row is not None:
                self._cursor_key = row.key
        return self._cursor_key

    @property
    def data_version(self) -> int:
        return self._version

    def set_source(self, source: RowSource) -> None:
        """Show another source (e.g. another pool); the cursor goes to the top."""
        self._source = source
        self._cursor = 0
        self._cursor_key = None
        self._bump()
        self.scroll_to(y=0, animate=False)

    def set_columns(self, columns: list[Column]) -> None:
        """Change the columns (e.g. after a language switch)."""
        self._columns = list(columns)
        self._column_widths_cache.clear()
        self._header_cache.clear()
        self._bump()

    def refresh_rows(self) -> None:
        """The source has new data (rows loaded, count grown): redraw what is visible."""
        self._bump()
        if self._cursor_key is None and self._row_count:
            row = self._source.row(self._cursor)
            if row is not None:
                self._cursor_key = row.key

    def move_cursor(self, index: int, *, scroll: bool = True) -> None:
        """Put the cursor on row ``index`` (clamped), scroll it into view, post ``Highlighted``."""
        if self._row_count == 0:
            index = 0
        else:
            index = max(0, min(index, self._row_count - 1))
        old = self._cursor
        self._cursor = index
        if scroll:
            self._scroll_cursor_into_view()
        if old != index or self._cursor_key is None:
            self._cursor_key = None
            self._refresh_row(old)
            self._refresh_row(index)
            if old != index:
                self._post_highlighted()

    def move_cursor_to_key(self, key: str) -> bool:
        """Put the cursor on the row with ``key`` if it can be found; ``True`` if it was."""
        index = self._find_key(key, self._cursor)
        if index is None:
            return False
        self.move_cursor(index)
        return True

    # ------------------------------------------------------------------ actions

    @property
    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page_rows)

    def action_cursor_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page_rows)

    def action_cursor_first(self) -> None:
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.move_cursor(self._row_count - 1)

    def action_select_cursor(self) -> None:
        if self._row_count:
            self.post_message(self.Selected(self, self._cursor, self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            column_key = self._column_at(offset.x)
            if column_key is not None:
                self.post_message(self.HeaderClicked(self, column_key))
            return
        index = self.scroll_offset.y + offset.y - 1
        if not 0 <= index < self._row_count:
            return
        self.move_cursor(index, scroll=False)
        if event.chain >= 2:
            self.post_message(self.Selected(self, index, self.cursor_key))

    # ------------------------------------------------------------------ rendering

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_cache.clear()
        self._header_cache.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._column_widths_cache.clear()
        self._header_cache.clear()
        self._update_virtual_size()
        self._scroll_cursor_into_view()  # a cursor set before the first layout

    def render_lines(self, crop: Region) -> list[Strip]:
        # One hint per frame for exactly the visible rows.
        start = self.scroll_offset.y
        stop = min(self._row_count, start + self._page_rows)
        if stop > start:
            self._source.want(start, stop)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._render_header(width)
        index = self.scroll_offset.y + y - 1
        if not 0 <= index < self._row_count:
            return Strip.blank(width, self.rich_style)
        highlighted = index == self._cursor
        cache_key = (index, width, highlighted, self._version)
        strip = self._line_cache.get(cache_key)
        if strip is None:
            row = self._source.row(index)
            if highlighted and row is not None and self._cursor_key is None:
                self._cursor_key = row.key
            strip = self._render_row(row, width, highlighted)
            self._line_cache[cache_key] = strip
        return strip

    # ------------------------------------------------------------------ internals

    def _bump(self) -> None:
        """The data changed: new version (old cached lines are no longer hit), re-read the size."""
        self._version += 1
        self._row_count = len(self._source)
        self._clamp_cursor()
        self._update_virtual_size()
        self.refresh()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self._row_count + 1)

    def _clamp_cursor(self) -> None:
        if self._row_count == 0:
            self._cursor = 0
        elif self._cursor >= self._row_count:
            self._cursor = self._row_count - 1

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        page = self._page_rows
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False)

    def _post_highlighted(self) -> None:
        self.post_message(self.Highlighted(self, self._cursor, self.cursor_key))
