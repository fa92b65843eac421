"""Every key of the screen below, with what it does."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..actions import with_ids
from ..i18n import t, translate_description
from ..widgets.footer import Footer

KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "ctrl+q": "Ctrl+Q",
    "up": "↑",
    "down": "↓",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "asterisk": "*",
    "minus": "-",
}


def key_label(key: str) -> str:
    return ", ".join(
        t("key.space") if k == "space" else KEY_NAMES.get(k, k.upper() if k.startswith("f") and k[1:].isdigit() else k)
        for k in key.split(",")
    )


def key_lines(*nodes: Any) -> list[tuple[str, str]]:
    """(keys, what they do) for every binding of `nodes`, first node first, one line per action
    (an action with several keys lists them all: "F1, ?")."""
    order: list[str] = []
    keys: dict[str, list[str]] = {}
    text: dict[str, str] = {}
    for node in nodes:
        bindings_map = getattr(node, "_bindings", None)
        if bindings_map is None:
            continue
        keymap = getattr(getattr(node, "app", None), "_keymap", None)
        if keymap:  # show the keys in effect, with the user's overrides from the settings
            bindings_map = bindings_map.copy()
            bindings_map.apply_keymap(keymap)
        for key, bindings in bindings_map.key_to_bindings.items():
            for b in bindings:
                if not isinstance(b, Binding) or not b.description:
                    continue
                action = b.action.removeprefix("app.")
                if action not in keys:
                    order.append(action)
                    keys[action] = []
                    text[action] = translate_description(b.description)
                label = key_label(key)
                if label not in keys[action]:
                    keys[action].append(label)
    return [(", ".join(keys[a]), text[a]) for a in order]


class HelpScreen(ModalScreen[None]):
    CSS = """
    HelpScreen { align: center middle; }
    #help { width: 80%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(Binding("escape,f1,q", "close", t("action.close")))

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        out = Text(t("help.title") + "\n\n", style="bold")
        for keys, what in key_lines(self.under, self.app):
            out.append(f"{keys:>14}  ", style="bold")
            out.append(f"{what}\n")
        for keys, key in getattr(self.under, "HELP_EXTRA", ()):
            out.append(f"{keys:>14}  ", style="bold")
            out.append(f"{t(key)}\n")
        out.append("\n" + t("help.more"))
        with VerticalScroll(id="help"):
            yield Static(out)
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
