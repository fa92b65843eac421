"""The key footer, rebuilt only when the keys it shows change.

Textual's :class:`~textual.widgets.Footer` throws its keys away and mounts new ones every time the
screen's bindings *may* have changed: on every focus change, screen push and pop and
``refresh_bindings`` call, whether or not a key, its label or its enabled state changed. Each new
key also restyles itself twice while it mounts (its ``compact`` starts true and is bound to the
footer's false), so a rebuild of a dozen keys costs dozens of stylesheet passes. Opening an item
rebuilt the same footer several times while the portal's answers were being drawn: a third of the
app's CPU for the open.

:class:`Footer` looks first: it rebuilds when what it would show (each active binding's key,
action, label, key display, enabled state and tooltip) differs from what it showed last, and
otherwise leaves the keys on screen as they are.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """:class:`textual.widgets.Footer` that is recomposed only when its keys change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None  # what the keys on screen were made from

    def _keys(self, screen: Screen[Any]) -> tuple[Any, ...]:
        """Everything of the screen's active bindings that `compose` draws: the bindings shown, and
        the command palette's key (a binding with `show` off, such as a scroll key of the widget
        that has focus, draws nothing and is left out)."""
        app = self.app
        palette = self.show_command_palette and app.ENABLE_COMMAND_PALETTE
        return (
            palette,
            tuple(
                (
                    binding.key,
                    binding.action,
                    binding.description,
                    binding.group,
                    binding.tooltip,
                    app.get_key_display(binding),
                    enabled,
                    tooltip,
                )
                for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
                if binding.show or (palette and key == app.COMMAND_PALETTE_BINDING)
            ),
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        keys = self._keys(self.screen)
        if keys == self._shown:
            return  # the same keys, labels and states: the footer on screen is right
        self._shown = keys
        await self.recompose()
