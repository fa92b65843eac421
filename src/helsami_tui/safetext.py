"""The one place where untrusted text is made safe to show.

Everything a patient, proxy or server sends is untrusted.  Every widget that shows such text
must go through :func:`safe_text` (or :func:`safe_cell`, or its Textual ``Content`` form
:func:`helsami_tui.widgets.safe.safe_content`), or, where a
plain ``str`` is unavoidable (an ``Input`` value, a screen title), :func:`safe_str`.

What is done, in order (see ``docs/architecture.md``, "Safe text"):

* **Input coercion.** ``None`` -> ``""``; ``bytes``/``bytearray``/``memoryview`` are decoded as
  UTF-8 with U+FFFD for bad bytes; a ``rich.text.Text`` is reduced to its ``plain`` string (its
  own styles, which could carry links or ``@click`` actions, are dropped); anything else goes
  through ``str()`` (if that raises, ``"<TypeName>"`` is shown).
* **Length cap.** More than :data:`MAX_CHARS` characters (input or output) are cut and end in a
  visible ``"…"``.
* **Line endings.** ``"\\r\\n"`` -> ``"\\n"``; U+2028/U+2029 (line/paragraph separator) -> ``"\\n"``;
  a lone ``"\\r"`` is shown as ``"␍"``.  With ``multiline=False`` every newline becomes
  ``"⏎ "`` so the result is exactly one line.
* **Tabs.** Each ``"\\t"`` becomes :data:`TAB_SPACES` (4) spaces.
* **C0 controls and DEL.** U+0000–U+001F (other than ``"\\n"``/``"\\t"``) become their Unicode
  *control picture* U+2400+n (``ESC`` -> ``"␛"``, ``BEL`` -> ``"␇"``, ``NUL`` -> ``"␀"``);
  DEL (U+007F) -> ``"␡"``.  So ``"\\x1b[2J"`` is shown as ``"␛[2J"`` and reaches the terminal as
  harmless printable characters.
* **C1 controls.** U+0080–U+009F (including the 8-bit CSI U+009B, OSC U+009D, NEL U+0085) become
  ``"⟨U+009B⟩"``.
* **Bidirectional controls.** U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C become
  ``"⟨U+202E⟩"`` etc., so a right-to-left override can neither reorder what follows nor hide.
* **Invisible format characters.** Every other Unicode format character (category ``Cf``:
  zero-width space U+200B, ZWNJ U+200C, word joiner and invisible operators U+2060–U+2064,
  deprecated format controls U+206A–U+206F, U+180E, prepended concatenation marks such as
  U+0600–U+0605, interlinear annotation U+FFF9–U+FFFB, shorthand and musical format controls,
  and all tag characters U+E0000–U+E007F, which can smuggle invisible ASCII) and the Hangul
  fillers U+3164/U+FFA0 are shown as ``"⟨U+200B⟩"``.
  Exceptions, deterministic: a byte-order mark U+FEFF at the very start of the value is
  stripped (an encoding artefact), elsewhere it is shown; the soft hyphen U+00AD is stripped
  (it only hints where a word may break); ZWJ U+200D is kept *only* between two pictographs
  (emoji sequences such as "👩‍⚕️"), elsewhere it is shown.  Variation selectors
  (U+FE00–U+FE0F, U+E0100–U+E01EF) are kept.
* **Lone surrogates** (U+D800–U+DFFF, possible in a Python ``str`` but not encodable) become
  U+FFFD ``"�"`` so that writing to the terminal can never raise.
* **Combining-mark floods** ("Zalgo"): a run of more than :data:`MAX_COMBINING` marks from the
  common combining blocks is cut to :data:`MAX_COMBINING`.

Every placeholder is given the :data:`PLACEHOLDER_STYLE` (dim) on top of the caller's style, so it
stands apart from typed text even without colour; the brackets carry the meaning anyway.

Markup is **never parsed**: the result is built as a ``rich.text.Text`` from the plain string.
``Static``/``Label``/``Content.from_rich_text`` in Textual 8.2.8 take a ``Text`` as literal text
(``Content(text.plain, spans)``), so ``"[link=http://x]y"`` is shown as exactly that.  The
``style`` argument is checked: a style carrying a link or ``meta`` (``@click`` actions) is refused
with ``ValueError``.  Note that :func:`safe_str` returns a ``str``: never hand that to a widget that
parses markup (``Static("…")``, ``Label("…")`` with default ``markup=True``); hand it
:func:`safe_text` or :func:`~helsami_tui.widgets.safe.safe_content` instead.

This module does not import Textual (it is part of the terminal app's Textual-free core).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, Literal

from rich.style import Style
from rich.text import Span, Text

__all__ = [
    "MAX_CHARS",
    "MAX_COMBINING",
    "NEWLINE_MARK",
    "PLACEHOLDER_STYLE",
    "TAB_SPACES",
    "is_safe",
    "safe_cell",
    "safe_str",
    "safe_text",
]

MAX_CHARS: Final[int] = 100_000
"""Longest text shown; longer values are cut and end in ``"…"``."""

MAX_COMBINING: Final[int] = 8
"""Longest run of combining marks kept on one base character."""

TAB_SPACES: Final[str] = "    "
"""What a tab becomes."""

NEWLINE_MARK: Final[str] = "⏎ "
"""What a newline becomes when ``multiline=False``."""

ELLIPSIS: Final[str] = "…"

PLACEHOLDER_STYLE: Final[Style] = Style(dim=True)
"""Style added to every visible placeholder (``␛``, ``⟨U+202E⟩`` …)."""

# Characters that must never reach the terminal as they are (or that we normalise).
# Kept as explicit ranges: building the class from ``unicodedata`` at import would cost ~0.2 s.
_UNSAFE_CLASS: Final[str] = (
    "\x00-\x1f\x7f-\x9f"  # C0 (incl. \t \n \r, handled in the callback), DEL, C1
    # Every format character (Unicode category Cf, as of Unicode 15):
    "\u00ad"  # soft hyphen (stripped)
    "\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2"  # prepended concatenation marks
    "\u061c"  # Arabic letter mark (bidi)
    "\u180e"  # Mongolian vowel separator
    "\u200b-\u200f"  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u2064"  # word joiner, invisible operators
    "\u2066-\u206f"  # bidi isolates, deprecated format controls
    "\ufeff"  # BOM / zero-width no-break space
    "\ufff9-\ufffb"  # interlinear annotation
    "\U000110bd\U000110cd"  # Kaithi number signs
    "\U00013430-\U0001343f"  # Egyptian hieroglyph format controls
    "\U0001bca0-\U0001bca3"  # shorthand format controls
    "\U0001d173-\U0001d17a"  # musical format controls
    "\U000e0000-\U000e007f"  # tag characters
    # Not Cf, but invisible or unsafe:
    "\u2028\u2029"  # line / paragraph separator (-> newline)
    "\u3164\uffa0"  # Hangul fillers (blank "letters" used for spoofing)
    "\ud800-\udfff"  # lone surrogates (-> U+FFFD)
)
_UNSAFE_RE: Final[re.Pattern[str]] = re.compile(f"[{_UNSAFE_CLASS}]")
_COMBINING_CLASS: Final[str] = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_COMBINING_FLOOD_RE: Final[re.Pattern[str]] = re.compile(
    f"([{_COMBINING_CLASS}]{{{MAX_COMBINING}}})[{_COMBINING_CLASS}]+"
)
_NEEDS_WORK_RE: Final[re.Pattern[str]] = re.compile(f"[{_UNSAFE_CLASS}]|[{_COMBINING_CLASS}]{{{MAX_COMBINING + 1}}}")

_BIDI: Final[frozenset[int]] = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ZWJ: Final[int] = 0x200D


def _visible(cp: int) -> str:
    return f"⟨U+{cp:04X}⟩"


def _is_pictograph(ch: str) -> bool:
    """Rough test for an emoji-ish neighbour of a ZWJ (no unicodedata call needed)."""
    cp = ord(ch)
    return (
        0x1F000 <= cp <= 0x1FAFF  # emoji, pictographs, skin tones
        or 0x2600 <= cp <= 0x27BF  # misc symbols, dingbats (⚕ ❤ …)
        or 0x2300 <= cp <= 0x23FF
        or 0x2B00 <= cp <= 0x2BFF
        or cp in (0xFE0F, 0x20E3, 0x2640, 0x2642)
    )


def _replacement(ch: str, text: str, pos: int, multiline: bool) -> str:
    """What one unsafe character becomes (``""`` = stripped)."""
    cp = ord(ch)
    if cp == 0x0A:  # "\n"
        return "\n" if multiline else NEWLINE_MARK
    if cp == 0x09:
        return TAB_SPACES
    if cp == 0x0D:
        if pos + 1 < len(text) and text[pos + 1] == "\n":
            return ""  # "\r\n": the "\n" that follows carries the line break
        return "\u240d"  # ␍
    if cp < 0x20:
        return chr(0x2400 + cp)  # control pictures ␀ … ␟ (␛ for ESC)
    if cp == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= cp <= 0x9F:
        return _visible(cp)
    if cp == 0x00AD:
        return ""
    if cp in (0x2028, 0x2029):
        return "\n" if multiline else NEWLINE_MARK
    if 0xD800 <= cp <= 0xDFFF:
        return "\ufffd"
    if cp == 0xFEFF and pos == 0:
        return ""
    if cp == _ZWJ:
        if 0 < pos < len(text) - 1 and _is_pictograph(text[pos - 1]) and _is_pictograph(text[pos + 1]):
            return ch
        return _visible(cp)
    return _visible(cp)


def _coerce(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Text):
        return value.plain
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    try:
        return str(value)
    except Exception:  # deliberate: a hostile __str__ (any error) must not take the app down
        return f"<{type(value).__name__}>"


def _cap(text: str) -> tuple[str, bool]:
    if len(text) > MAX_CHARS:
        return text[: MAX_CHARS - 1], True
    return text, False


def _neutralise(value: object, multiline: bool) -> tuple[str, list[tuple[int, int]]]:
    """Return the safe plain string and the (start, end) ranges of visible placeholders."""
    text, truncated = _cap(_coerce(value))
    placeholders: list[tuple[int, int]] = []
    if _NEEDS_WORK_RE.search(text) is not None:  # fast path: nothing to do (the common case)
        if _COMBINING_FLOOD_RE.search(text) is not None:
            text = _COMBINING_FLOOD_RE.sub(r"\1", text)
        pieces: list[str] = []
        out_len = 0
        last = 0
        for match in _UNSAFE_RE.finditer(text):
            start = match.start()
            if start > last:
                chunk = text[last:start]
                pieces.append(chunk)
                out_len += len(chunk)
            ch = match.group()
            repl = _replacement(ch, text, start, multiline)
            if repl:
                pieces.append(repl)
                if repl != ch and repl not in ("\n", TAB_SPACES, NEWLINE_MARK):
                    placeholders.append((out_len, out_len + len(repl)))
                out_len += len(repl)
            last = match.end()
            if out_len > MAX_CHARS:
                truncated = True
                last = len(text)
                break
        if last < len(text):
            pieces.append(text[last:])
        text = "".join(pieces)
        if len(text) > MAX_CHARS:
            text = text[: MAX_CHARS - 1]
            truncated = True
            placeholders = [(s, min(e, len(text))) for s, e in placeholders if s < len(text)]
    if truncated:
        text += ELLIPSIS
    return text, placeholders


@lru_cache(maxsize=256)
def _checked_style_from_str(style: str) -> Style:
    return _checked_style(Style.parse(style))


def _checked_style(style: Style) -> Style:
    if style.link or style.meta:
        raise ValueError("safe_text: a style must not carry a link or actions (@click/meta)")
    return style


def _resolve_style(style: str | Style) -> Style | None:
    if isinstance(style, Style):
        return _checked_style(style)
    if not style:
        return None
    return _checked_style_from_str(style)


def is_safe(text: str) -> bool:
    """True if ``text`` contains nothing :func:`safe_str` would change (ignoring the length cap)."""
    return _NEEDS_WORK_RE.search(text) is None


def safe_str(value: object, *, multiline: bool = True) -> str:
    """The neutralised plain string (same rules as :func:`safe_text`).

    For places that need a ``str`` and do *not* parse markup: ``Input.value``, a title shown via
    ``Content(...)``.  Never pass the result to a markup-parsing widget.
    """
    return _neutralise(value, multiline)[0]


def safe_text(value: object, *, style: str | Style = "", multiline: bool = True) -> Text:
    """Untrusted ``value`` as a literal, terminal-safe ``rich.text.Text``.

    Args:
        value: Anything (str, bytes, None, Text, numbers …).
        style: A style for the whole text (``"bold"``, a ``rich.style.Style``); must not carry a
            link or meta/``@click`` (``ValueError``).  Textual theme variables (``$accent``) are not
            accepted here; style the widget with CSS instead.
        multiline: ``False`` turns every newline into ``"⏎ "`` so the text stays on one line.
    """
    resolved = _resolve_style(style)
    plain, placeholders = _neutralise(value, multiline)
    spans = [Span(start, end, PLACEHOLDER_STYLE) for start, end in placeholders]
    return Text(
        plain,
        style=resolved if resolved is not None else "",
        no_wrap=not multiline,
        end="",
        spans=spans,
    )


def safe_cell(
    value: object,
    width: int,
    *,
    style: str | Style = "",
    justify: Literal["left", "center", "right"] = "left",
) -> Text:
    """A one-line :func:`safe_text` cut to ``width`` terminal cells (``"…"`` when cut), padded."""
    text = safe_text(value, style=style, multiline=False)
    if width <= 0:
        return Text("", end="")
    text.truncate(width, overflow="ellipsis")
    text.align(justify, width)
    return text
