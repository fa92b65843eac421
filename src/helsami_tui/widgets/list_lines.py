"""How the VirtualList draws one line: the column widths at a width, the cells fitted into them,
the gutter and the marker, the header and the placeholder of a row not loaded yet. A part of
VirtualList (widgets/virtual_list.py), kept apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.scroll_view import ScrollView
from textual.strip import Strip

from helsami_tui.rows import Column, Justify, Row, layout_columns
from helsami_tui.safetext import is_safe, safe_text

CURSOR_GUTTER = "▶ "
PLAIN_GUTTER = "  "
GUTTER_WIDTH = 2
PLACEHOLDER = "…"

if TYPE_CHECKING:
    _Base = ScrollView  # a mixin of VirtualList: typed as the widget it is mixed into
else:
    _Base = object


class ListLines(_Base):
    """Drawing the lines of the list (the widget holds the columns, the marker width and the caches)."""

    _columns: list[Column]
    _marker_width: int
    _header_cache: dict[int, Strip]
    _column_widths_cache: dict[int, list[int]]

    def _widths(self, width: int) -> list[int]:
        """Each column's cell width at this list width; -1 for a column left out (hide_below)."""
        widths = self._column_widths_cache.get(width)
        if widths is None:
            marker = self._marker_width + 1 if self._marker_width else 0
            shown = [c for c in self._columns if width >= c.hide_below]
            laid = iter(layout_columns(shown, width - GUTTER_WIDTH - marker))
            widths = [next(laid) if width >= c.hide_below else -1 for c in self._columns]
            self._column_widths_cache[width] = widths
        return widths

    def _column_at(self, x: int) -> str | None:
        position = GUTTER_WIDTH + (self._marker_width + 1 if self._marker_width else 0)
        for column, cell_width in zip(self._columns, self._widths(self.scrollable_content_region.width), strict=True):
            if cell_width < 0:
                continue
            if position <= x < position + cell_width:
                return column.key
            position += cell_width + 1
        return None

    def _line_text(self, cells: list[Text], marker: Text | None, gutter: str, style: Style, width: int) -> Text:
        line = Text(gutter, style=style, no_wrap=True, end="")
        if self._marker_width:
            marker_cell = self._fit(marker, self._marker_width, "left") if marker is not None else None
            line.append_text(marker_cell if marker_cell is not None else Text(" " * self._marker_width))
            line.append(" ")
        widths = self._widths(width)
        first = True
        for position, (column, cell_width) in enumerate(zip(self._columns, widths, strict=True)):
            if cell_width < 0:
                continue  # left out at this width
            if not first:
                line.append(" ")
            first = False
            cell = cells[position] if position < len(cells) else Text("")
            line.append_text(self._fit(cell, cell_width, column.justify))
        return line

    @staticmethod
    def _fit(cell: Text, width: int, justify: Justify) -> Text:
        if not is_safe(cell.plain):
            cell = safe_text(cell.plain, style=cell.style if isinstance(cell.style, Style) else "", multiline=False)
        else:
            cell = cell.copy()
        cell.truncate(width, overflow="ellipsis")
        cell.align(justify, width)
        return cell

    def _to_strip(self, line: Text, width: int, style: Style) -> Strip:
        # Text.render() drops the Text's own base style when it has no spans: apply it here.
        segments = list(line.render(self.app.console))
        return Strip(segments).apply_style(style).crop_extend(0, width, style)

    def _render_header(self, width: int) -> Strip:
        strip = self._header_cache.get(width)
        if strip is None:
            style = self.get_component_rich_style("virtual-list--header")
            labels = [safe_text(column.label, multiline=False) for column in self._columns]
            strip = self._to_strip(self._line_text(labels, None, PLAIN_GUTTER, style, width), width, style)
            self._header_cache[width] = strip
        return strip

    def _render_row(self, row: Row | None, width: int, highlighted: bool) -> Strip:
        gutter = CURSOR_GUTTER if highlighted else PLAIN_GUTTER
        if highlighted:
            style = self.get_component_rich_style("virtual-list--cursor")
        else:
            style = self.rich_style
        if row is None:
            placeholder_style = style + self.get_component_rich_style("virtual-list--placeholder", partial=True)
            line = Text(gutter, style=placeholder_style, no_wrap=True, end="")
            if self._marker_width:
                line.append(" " * (self._marker_width + 1))
            line.append(PLACEHOLDER)
            return self._to_strip(line, width, placeholder_style)
        line = self._line_text(list(row.cells), row.marker, gutter, style, width)
        return self._to_strip(line, width, style)
