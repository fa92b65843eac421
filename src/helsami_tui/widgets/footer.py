"""The footer of key bindings, rebuilt only when what it shows changed.

Textual's `Footer` rebuilds all its keys (a dozen widgets, each styled again) every time the
screen's bindings are refreshed: when the screen is pushed, when the focus moves, when an action's
availability may have changed. At start-up the inbox's bindings are refreshed three times while
they show the same keys, and each rebuild (20-35 ms) held up the first row behind it. This footer
asks Textual's for the same keys, descriptions and states, and rebuilds only when they differ from
what it shows (several refreshes before a rebuild are one rebuild): it looks the same, it is only
not rebuilt for nothing. Its keys get their final compact look before they are mounted, so a
rebuild styles each key once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


class Footer(TextualFooter):
    """Textual's footer (same look, same CSS type), recomposed only when its keys changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None  # what the last compose showed
        self._rebuild_asked = False

    def _showing(self) -> tuple[Any, ...]:
        """What compose would show now: every shown binding with its key, text and state, the
        command palette's key, and the footer's own settings."""
        app = self.app
        active = self.screen.active_bindings
        shown = tuple(
            (b.key, app.get_key_display(b), b.description, b.action, enabled, tooltip, b.group)
            for _node, b, enabled, tooltip in active.values()
            if b.show
        )
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = active.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, b, enabled, _tooltip = found
                palette = (b.key, app.get_key_display(b), b.description, b.action, enabled, b.tooltip)
        return (self._bindings_ready, self.compact, self.show_command_palette, shown, palette)

    def compose(self) -> ComposeResult:
        self._shown = self._showing()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                self._settle_compact(widget)
            yield widget

    def _settle_compact(self, key: FooterKey) -> None:
        """Give a new key its final compact look before it is mounted. Textual's key starts compact
        (its class added at mount) and, bound to the footer's setting, is made not compact just after:
        every key was styled three times at each rebuild instead of once (44 stylings instead of
        15 when a mark changes the footer's keys). The same end state: a key bound to the footer's
        `compact` takes the footer's; the command palette's key (not bound) keeps the key's default."""
        bound = "compact" in (key._reactive_connect or {})  # noqa: SLF001 - what data_bind left to do at mount
        compact = self.compact if bound else True  # else what a key starts with (`FooterKey.compact`)
        key.set_reactive(FooterKey.compact, compact)
        key.set_class(compact, "-compact", update=False)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_asked:
            self._rebuild_asked = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_asked = False
        if self.is_attached and self._showing() != self._shown:
            await self.recompose()
