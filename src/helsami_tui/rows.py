"""What a list shows, without Textual: rows, columns, the row source and the priority markers.

The data side of the inbox list (:mod:`helsami_tui.sources`) builds :class:`Row` values for the
:class:`~helsami_tui.widgets.virtual_list.VirtualList` widget to draw. These types live here, in
the Textual-free core, so the data side can be built and tested without the widget toolkit (the
import contract ``tui-core-without-textual`` in pyproject.toml checks it).

Meaning is never carried by colour alone: priorities carry a text marker (:func:`priority_marker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol, runtime_checkable

from rich.text import Text

__all__ = [
    "PRIORITY_MARKERS",
    "Column",
    "EmptySource",
    "Justify",
    "Row",
    "RowSource",
    "layout_columns",
    "priority_marker",
]

Justify = Literal["left", "center", "right"]

PRIORITY_MARKERS: Final[dict[str, str]] = {
    "routine": "",
    "urgent": "!",
    "asap": "!!",
    "stat": "!!!",
}
"""Text markers for FHIR ``Task.priority``, so priority is never shown by colour alone."""


def priority_marker(priority: str | None) -> str:
    """``"!"``, ``"!!"``, ``"!!!"`` for urgent/asap/stat, ``""`` for routine or unknown."""
    if not priority:
        return ""
    return PRIORITY_MARKERS.get(priority.lower(), "")


@dataclass(frozen=True, slots=True)
class Row:
    """One row: already-safe cells (one per column), a stable key and an optional marker.

    The marker is shown in a narrow column before the cells, e.g. ``"!!"`` for priority or
    ``"●"`` for unread; it must be text (never colour alone).
    """

    cells: tuple[Text, ...]
    key: str
    marker: Text | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """A column: fixed ``width`` in cells, or a share (``ratio``) of what is left.

    A column with neither gets ``ratio=1``.  ``min_width`` is the least a ratio column shrinks to.
    """

    key: str
    label: str
    width: int | None = None
    ratio: int | None = None
    min_width: int = 1
    justify: Justify = "left"
    hide_below: int = 0  # left out (cells and header) when the list is narrower than this


@runtime_checkable
class RowSource(Protocol):
    """Where the rows come from (a paged cache in the app, a list in tests)."""

    def __len__(self) -> int:
        """Known row count (may grow)."""
        ...

    def row(self, index: int) -> Row | None:
        """The row at ``index``, or ``None`` if it is not loaded yet (a placeholder is drawn)."""
        ...

    def want(self, start: int, stop: int) -> None:
        """Hint: rows ``start:stop`` are about to be shown.

        Must return at once; the source loads them asynchronously and the app then calls
        ``VirtualList.refresh_rows()``.
        """
        ...


class EmptySource:
    """A source with no rows (the list before it is given one)."""

    def __len__(self) -> int:
        return 0

    def row(self, index: int) -> Row | None:
        return None

    def want(self, start: int, stop: int) -> None:
        return None


def layout_columns(columns: list[Column], width: int) -> list[int]:
    """Cell widths of ``columns`` sharing ``width`` cells with one space between columns.

    Fixed columns get their width; ratio columns share the rest (at least ``min_width``).  If
    there is not enough room the line is longer than ``width`` and is cropped at the right.
    """
    if not columns:
        return []
    available = max(0, width - (len(columns) - 1))
    fixed = sum(c.width for c in columns if c.width is not None)
    ratios = [(c.ratio or 1) if c.width is None else 0 for c in columns]
    total_ratio = sum(ratios)
    remaining = max(0, available - fixed)
    widths: list[int] = []
    given = 0
    ratio_seen = 0
    for column, ratio in zip(columns, ratios, strict=True):
        if column.width is not None:
            widths.append(column.width)
            continue
        ratio_seen += ratio
        # cumulative rounding so the shares add up exactly to `remaining`
        share = (remaining * ratio_seen) // total_ratio - given
        given += share
        widths.append(max(column.min_width, share))
    return widths
