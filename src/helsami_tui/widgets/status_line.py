"""A one-line status widget that repaints only when its text changed, in the same frame as the list.

The inbox's status line ("3 av 129 · 12 nye, ...") changes with every cursor move.  Two things made
a cursor move cost three frames and the whole scrollbar:

* ``Static.update`` asks for a layout pass by default; a layout on this screen repaints the list's
  scrollbar.  The line is one row high whatever it says, so :meth:`StatusLine.show` updates it
  without a layout, and not at all when the text is the same.
* Textual hands a widget's repaint to its screen from the widget's *own* idle handler, a moment
  after the screen has already painted the list's rows: the status line came one or two frames
  (17-35 ms) after the rows.  :meth:`StatusLine.show` hands the repaint over at once, from the
  message handler that called it, so the screen paints the rows and the status line together.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    """A :class:`~textual.widgets.Static` of one line; call :meth:`show` to change it."""

    def __init__(self, content: Text | str = "", *, id: str | None = None) -> None:
        super().__init__(content, id=id)
        self._shown: Text | str | None = None

    def show(self, content: Text | str) -> bool:
        """Show ``content``; ``False`` (and no repaint) when it is what is shown already."""
        if content == self._shown:
            return False
        self._shown = content
        self.update(content, layout=False)
        if self.is_mounted:
            # Textual's own step, taken now rather than on this widget's next idle: it posts the
            # repaint to the screen, which then paints it in the frame it is about to paint.
            self._check_refresh()
        return True
