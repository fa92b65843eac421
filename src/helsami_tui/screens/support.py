"""For roles without an inbox (IT support, privacy officer): no patient data is shown here."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..i18n import t
from ..safetext import safe_text

if TYPE_CHECKING:
    from ..app import HelsamiApp


class SupportScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "reload", t("action.refresh")),
        Binding("q", "app.quit", t("action.quit")),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(t("support.title"), style="bold"))
            yield Static(Text(t("app.loading")), id="queues")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        app: HelsamiApp = self.app  # type: ignore[assignment]
        me = app.me
        out = Text()
        if me is not None:
            out.append(t("support.signed_in_as") + " ")
            out.append_text(safe_text(me.display, multiline=False))
            out.append(f" ({', '.join(me.roles)})\n\n")
        try:
            queues = await app.client.queues()
        except Exception as e:  # noqa: BLE001
            out.append_text(safe_text(str(e)))
            self.query_one("#queues", Static).update(out)
            return
        out.append(f"{t('support.inbox'):<36} {t('support.waiting'):>8} {t('support.claimed'):>8} "
                   f"{t('support.oldest'):>10}\n", style="bold")
        for q in queues:
            from ..i18n import format_age
            oldest = format_age(q.oldest_unopened_seconds) if q.oldest_unopened_seconds is not None else "–"
            out.append_text(safe_text(q.name[:36].ljust(36), multiline=False))
            out.append(f" {q.waiting:>8} {q.claimed:>8} {oldest:>10}\n")
        self.query_one("#queues", Static).update(out)
