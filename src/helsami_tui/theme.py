"""Themes of the terminal app and the rule that meaning is never carried by colour alone.

* ``"helsami"`` (default): calm dark blue-grey, body text contrast about 13:1.
* ``"helsami-high-contrast"``: pure black, white and yellow only (text 21:1, yellow on black
  19.6:1), no dimmed or translucent text, so WCAG AAA contrast holds everywhere.

``NO_COLOR``: Textual 8.2.8 itself reads ``NO_COLOR`` in ``App.__init__`` (``app.no_color``) and
adds a monochrome/no-colour line filter; the themes need nothing special for it.  What matters is
that no meaning depends on colour: priorities and flags always carry text (:func:`priority_marker`,
``i18n`` "flag.*" keys), the list cursor carries "▶" and reverse video.

Usage in the app::

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = choose_theme(settings.theme)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from textual.theme import Theme

from .rows import PRIORITY_MARKERS, priority_marker

if TYPE_CHECKING:
    from textual.app import App

__all__ = [
    "DEFAULT_THEME",
    "HIGH_CONTRAST_THEME",
    "PRIORITY_MARKERS",
    "THEMES",
    "choose_theme",
    "no_color_requested",
    "priority_marker",
    "register_themes",
]

DEFAULT_THEME: Final[str] = "helsami"
HIGH_CONTRAST_THEME: Final[str] = "helsami-high-contrast"

_BLACK: Final[str] = "#000000"
_WHITE: Final[str] = "#FFFFFF"
_YELLOW: Final[str] = "#FFFF00"

HELSAMI: Final[Theme] = Theme(
    name=DEFAULT_THEME,
    primary="#4FA3D1",  # calm blue
    secondary="#7FB8A4",  # sage
    accent="#E8C468",  # soft amber (footer keys, highlights)
    warning="#E8C468",
    error="#F08A8A",
    success="#8CCB9B",
    foreground="#E6EDF3",
    background="#141B22",
    surface="#1B242D",
    panel="#24313C",
    dark=True,
    variables={
        "block-cursor-background": "#4FA3D1",
        "block-cursor-foreground": "#0B1015",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-background": "#2C4A5E",
        "block-cursor-blurred-foreground": "#E6EDF3",
        "footer-key-foreground": "#E8C468",
        "text-muted": "#A9B6C2",  # still ~8:1 on the background
    },
)

HIGH_CONTRAST: Final[Theme] = Theme(
    name=HIGH_CONTRAST_THEME,
    primary=_YELLOW,
    secondary=_WHITE,
    accent=_YELLOW,
    warning=_YELLOW,
    error=_YELLOW,
    success=_WHITE,
    foreground=_WHITE,
    background=_BLACK,
    surface=_BLACK,
    panel=_BLACK,
    boost=_BLACK,
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "text": _WHITE,
        "text-muted": _WHITE,
        "text-disabled": _WHITE,
        "foreground-muted": _WHITE,
        "foreground-disabled": _WHITE,
        "border": _YELLOW,
        "border-blurred": _WHITE,
        "block-cursor-background": _YELLOW,
        "block-cursor-foreground": _BLACK,
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-background": _WHITE,
        "block-cursor-blurred-foreground": _BLACK,
        "block-cursor-blurred-text-style": "bold",
        "block-hover-background": _BLACK,
        "footer-background": _BLACK,
        "footer-foreground": _WHITE,
        "footer-key-foreground": _YELLOW,
        "footer-key-background": _BLACK,
        "footer-description-foreground": _WHITE,
        "footer-description-background": _BLACK,
        "footer-item-background": _BLACK,
        "input-cursor-background": _YELLOW,
        "input-cursor-foreground": _BLACK,
        "input-selection-background": _YELLOW,
        "input-selection-foreground": _BLACK,
        "scrollbar": _WHITE,
        "scrollbar-hover": _YELLOW,
        "scrollbar-active": _YELLOW,
        "scrollbar-background": _BLACK,
        "scrollbar-background-hover": _BLACK,
        "scrollbar-background-active": _BLACK,
        "scrollbar-corner-color": _BLACK,
        "link-color": _YELLOW,
        "link-background": _BLACK,
        "link-color-hover": _BLACK,
        "link-background-hover": _YELLOW,
    },
)

THEMES: Final[dict[str, Theme]] = {DEFAULT_THEME: HELSAMI, HIGH_CONTRAST_THEME: HIGH_CONTRAST}

_ALIASES: Final[dict[str, str]] = {
    "default": DEFAULT_THEME,
    "high-contrast": HIGH_CONTRAST_THEME,
    "hc": HIGH_CONTRAST_THEME,
    "kontrast": HIGH_CONTRAST_THEME,
    "hoykontrast": HIGH_CONTRAST_THEME,
    "høykontrast": HIGH_CONTRAST_THEME,
}


def register_themes(app: App[Any]) -> None:
    """Register both HelsaMi themes with ``app`` (idempotent)."""
    for theme in THEMES.values():
        app.register_theme(theme)


def choose_theme(name: str | None) -> str:
    """The theme to use for a requested ``name``.

    ``None``/empty -> ``"helsami"``; known names and aliases (``"high-contrast"``, ``"hc"``,
    ``"høykontrast"``) map to a HelsaMi theme; any other name is returned unchanged only if it is
    one of Textual's built-in themes, otherwise the default is used.
    """
    if not name:
        return DEFAULT_THEME
    key = name.strip().lower()
    if key in THEMES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    from textual.theme import BUILTIN_THEMES

    if key in BUILTIN_THEMES:
        return key
    return DEFAULT_THEME


def no_color_requested(environ: Mapping[str, str] | None = None) -> bool:
    """True if ``NO_COLOR`` is set (any value, per no-color.org).

    Textual also exposes this as ``app.no_color`` once the app exists; this helper is for code that
    runs before the app is created (e.g. to prefer the high-contrast theme).
    """
    env = os.environ if environ is None else environ
    return "NO_COLOR" in env
