"""Safe text as Textual ``Content``: the widget-side adapter of :mod:`helsami_tui.safetext`.

:mod:`helsami_tui.safetext` is the one place that makes untrusted text safe, and it is part of
the Textual-free core. This adapter only converts its result for Textual APIs that take a
``Content``; it adds no rule of its own.
"""

from __future__ import annotations

from rich.style import Style
from textual.content import Content

from helsami_tui.safetext import safe_text

__all__ = ["safe_content"]


def safe_content(value: object, *, style: str | Style = "", multiline: bool = True) -> Content:
    """:func:`~helsami_tui.safetext.safe_text` as a Textual ``Content`` (for APIs that take ``Content``)."""
    return Content.from_rich_text(safe_text(value, style=style, multiline=multiline))
