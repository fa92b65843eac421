"""Textual's command palette (Ctrl+P) in the user's language: the placeholder, the "no matches"
line and the commands (the app's own actions and the keys of the screen below), all from the
catalogs; none of Textual's English system commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.align import Align
from rich.text import Text
from textual.app import SystemCommand
from textual.command import CommandList, CommandPalette
from textual.screen import Screen
from textual.widgets.option_list import Option

from .i18n import t, translate_description


class HelsamiPalette(CommandPalette):
    """The command palette with its texts from the catalogs."""

    def __init__(self) -> None:
        super().__init__(placeholder=t("palette.placeholder"), id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual adds its own English "No matches found" line; ours says it in the user's language.
        self._stop_no_matches_countdown()

        def show() -> None:
            if not search_value:
                self._list_visible = False
                return
            self.query_one(CommandList).add_option(
                Option(
                    Align.center(Text(t("palette.no_matches"), style="not bold")), disabled=True, id=self._NO_MATCHES
                )
            )
            self._list_visible = True

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)


def system_commands(app: Any, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The palette's commands: what the keys of `screen` and of the app do, in the user's language."""
    from .screens.help import key_label

    seen: set[str] = set()
    for node in (screen, app):
        bindings = getattr(node, "_bindings", None)
        if bindings is None:
            continue
        for key, entries in bindings.key_to_bindings.items():
            for b in entries:
                action = b.action
                if not b.description or action in seen or action in ("command_palette", "app.command_palette"):
                    continue
                seen.add(action)

                async def run(action: str = action, node: Any = node) -> None:
                    await app.run_action(action, node)

                yield SystemCommand(
                    translate_description(b.description), t("palette.key").replace("{key}", key_label(key)), run
                )
