"""Write only what changed on the terminal: a copy of the screen, a cell diff, and hardware scroll.

Textual writes every line a widget repaints, whole, whether or not it changed: a cursor move in the
inbox rewrote the status line (120 columns for one changed digit), and a one-line scroll rewrote
all 36 lines of the list (about 8.5 KB) where one new line appeared.  :class:`FrameEncoder` sits
where Textual turns a frame into bytes (``App._display``) and keeps what the terminal shows:

* a partial update (``ChopsUpdate``) is compared cell by cell with that copy and only the cells
  that differ are written (with their styles);
* when a block of whole lines moved up or down by one line (the list scrolled), the block is
  scrolled on the terminal itself (a scroll region, ``ESC [ top ; bottom r``, and a line feed or
  reverse index at its edge, as curses and neomutt do) and only what is then still different is
  written: the new line, the two cursor rows, a scrollbar cell or two;
* a full update (``LayoutUpdate``: first paint, resize, another screen) is written as Textual
  writes it, and the copy starts again from it.

The terminal's state never depends on a guess: whatever the diff leaves out is, cell for cell,
what the copy says the terminal shows, and a full update resets the copy.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.strip import Strip

UNKNOWN = "\0"
"""The character of a cell whose content on the terminal is not known (always written)."""
SCROLL_MIN_LINES = 4
"""Blocks shorter than this are not worth a scroll region."""
SHORT_GAP = 6
"""Unchanged cells between two changed ones are written too when there are fewer than this."""


class EncodedUpdate(CompositorUpdate):
    """An update already turned into terminal sequences."""

    def __init__(self, text: str) -> None:
        self.text = text

    def render_segments(self, console: Console) -> str:
        return self.text


class Line:
    """One line of cells: a character per cell ("" for the right half of a wide character) and
    a style per cell, in two lists so that whole lines compare at C speed."""

    __slots__ = ("chars", "styles")

    def __init__(self, chars: list[str], styles: list[Style | None]) -> None:
        self.chars = chars
        self.styles = styles

    @classmethod
    def unknown(cls, width: int) -> Line:
        return cls([UNKNOWN] * width, [None] * width)

    def copy(self) -> Line:
        return Line(list(self.chars), list(self.styles))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Line) and self.chars == other.chars and self.styles == other.styles

    __hash__ = None  # type: ignore[assignment]

    def put(self, x: int, strip: Strip, x1: int, x2: int) -> None:
        """Write `strip`'s cells from column `x`, keeping only columns x1 <= column < x2."""
        chars: list[str] = []
        styles: list[Style | None] = []
        for text, style, control in strip:
            if control:
                continue
            if cell_len(text) == len(text):
                chars.extend(text)
                styles.extend([style] * len(text))
                continue
            for ch in text:
                width = cell_len(ch)
                if width <= 0:
                    if chars:  # a combining mark: part of the cell before it
                        chars[-1] += ch
                    continue
                chars.append(ch)
                styles.append(style)
                if width == 2:
                    chars.append("")
                    styles.append(style)
        lo, hi = max(x1, x), min(x2, x + len(chars), len(self.chars))
        if hi > lo:
            self.chars[lo:hi] = chars[lo - x : hi - x]
            self.styles[lo:hi] = styles[lo - x : hi - x]


class FrameEncoder:
    """See the module docstring. One per app (one terminal)."""

    def __init__(self) -> None:
        self._lines: list[Line] = []
        self._width = 0

    def reset(self) -> None:
        """Forget what the terminal shows (the next partial update is written in full)."""
        self._lines = []
        self._width = 0

    # -- the copy of the screen ------------------------------------------------------------------
    def _ensure(self, width: int, height: int) -> None:
        if width != self._width or len(self._lines) != height:
            self._width = width
            self._lines = [Line.unknown(width) for _ in range(height)]

    def full(self, update: LayoutUpdate, width: int, height: int) -> None:
        """A full update is about to be written as Textual writes it: remember what it shows."""
        self._ensure(width, height)
        region = update.region
        for y, strips in enumerate(update.strips, region.y):
            if 0 <= y < height:
                x = region.x
                for strip in strips:
                    self._lines[y].put(x, strip, 0, width)
                    x += strip.cell_length

    # -- a partial update --------------------------------------------------------------------------
    def encode(self, update: ChopsUpdate, console: Console, width: int, height: int) -> str:
        self._ensure(width, height)
        new: dict[int, Line] = {}  # line -> its cells after this update
        whole: set[int] = set()  # lines repainted from edge to edge
        for y, x1, x2 in update.spans:
            if not 0 <= y < height:
                continue
            x1, x2 = max(0, x1), min(width, x2)
            if x2 <= x1:
                continue
            if x1 == 0 and x2 >= width:
                whole.add(y)
            row = new.get(y)
            if row is None:
                row = new[y] = self._lines[y].copy()
            for (x, strip), end in zip(update.chops[y].items(), update.chop_ends[y], strict=False):
                if strip is None or end <= x1 or x >= x2:
                    continue
                row.put(x, strip, x1, min(x2, end))  # cropped to its chop, as Textual does
        out: list[str] = []
        self._scroll(new, whole, width, out)
        for y in sorted(new):
            if new[y] != self._lines[y]:
                self._write_line(y, new[y], console, out)
        return "".join(out)

    def _scroll(self, new: dict[int, Line], whole: set[int], width: int, out: list[str]) -> None:
        """Scroll the terminal for the longest run of whole dirty lines that moved by one line."""
        runs: list[tuple[int, int]] = []
        for y in sorted(whole):
            if runs and runs[-1][1] == y - 1:
                runs[-1] = (runs[-1][0], y)
            else:
                runs.append((y, y))
        old = self._lines
        best: tuple[int, int, int, int] | None = None  # (moved lines, top, bottom, shift)
        for top, bottom in runs:
            if bottom - top + 1 < SCROLL_MIN_LINES:
                continue
            # The longest stretch inside the run that moved up (+1) or down (-1) by one line; the
            # run may include lines that did not move (a header on top of the rows).
            for shift in (1, -1):
                length = best_len = 0
                span_top = span_bottom = -1
                for y in range(top, bottom + 1):
                    src = y + shift
                    moved = top <= src <= bottom and new[y] == old[src] and new[y] != old[y]
                    length = length + 1 if moved else 0
                    if length > best_len:
                        best_len, span_bottom, span_top = length, y, y - length + 1
                if best_len >= SCROLL_MIN_LINES - 1 and (best is None or best_len > best[0]):
                    # The scroll region: the moved lines and the one line that comes in.
                    if shift == 1:
                        best = (best_len, span_top, min(bottom, span_bottom + 1), 1)
                    else:
                        best = (best_len, max(top, span_top - 1), span_bottom, -1)
        if best is None:
            return
        _, top, bottom, shift = best
        if shift == 1:  # content moves up: a line feed at the bottom of the region
            out.append(f"\x1b[0m\x1b[{top + 1};{bottom + 1}r\x1b[{bottom + 1};1H\n\x1b[r")
            old[top : bottom + 1] = [*old[top + 1 : bottom + 1], Line.unknown(width)]
        else:  # content moves down: a reverse index at the top of the region
            out.append(f"\x1b[0m\x1b[{top + 1};{bottom + 1}r\x1b[{top + 1};1H\x1bM\x1b[r")
            old[top : bottom + 1] = [Line.unknown(width), *old[top:bottom]]

    def _write_line(self, y: int, line: Line, console: Console, out: list[str]) -> None:
        old = self._lines[y]
        chars, styles, old_chars, old_styles = line.chars, line.styles, old.chars, old.styles
        width = len(chars)
        x = 0
        while x < width:
            if chars[x] == old_chars[x] and styles[x] == old_styles[x]:
                x += 1
                continue
            start = end = x
            # A run of changed cells; short stretches of equal (known) cells inside it are
            # written too (cheaper than a cursor move).
            while x < width:
                if chars[x] != old_chars[x] or styles[x] != old_styles[x]:
                    x += 1
                    end = x
                elif x - end < SHORT_GAP and chars[x] != UNKNOWN:
                    x += 1
                else:
                    break
            if start > 0 and chars[start] == "":
                start -= 1  # never start in the right half of a wide character
            if end < width and chars[end] == "":
                end += 1
            out.append(f"\x1b[{y + 1};{start + 1}H")
            out.append(_render(chars[start:end], styles[start:end], console))
            old_chars[start:end] = chars[start:end]
            old_styles[start:end] = styles[start:end]
            x = max(x, end)


def _render(chars: list[str], styles: list[Style | None], console: Console) -> str:
    segments: list[Segment] = []
    run: list[str] = []
    style: Style | None = None
    for ch, cell_style in zip(chars, styles, strict=True):
        if cell_style != style and run:
            segments.append(Segment("".join(run), style))
            run = []
        style = cell_style
        run.append(ch)
    if run:
        segments.append(Segment("".join(run), style))
    return Strip(segments).render(console)


def encode_frame(encoder: FrameEncoder, update: object, console: Console, width: int, height: int) -> object:
    """What to hand to Textual's writer for `update`: an :class:`EncodedUpdate` for a partial
    update (``None`` when it changes nothing on the terminal), the update itself (remembered) for
    a full one."""
    if isinstance(update, ChopsUpdate):
        text = encoder.encode(update, console, width, height)
        return EncodedUpdate(text) if text else None
    if isinstance(update, LayoutUpdate):
        encoder.full(update, width, height)
    else:
        encoder.reset()
    return update
