"""Choose a document of the service's library (brosjyre, opplæringsmateriell) to attach to a reply.

Searched on the portal by words of the title and by topic (client.search_library); the item's
own service by default, every service's library with one key. Returns the chosen document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..actions import with_ids
from ..attachments import document_line, topic_name
from ..client.models import EDU_TOPICS, InboxItem, LibraryDocument
from ..host import ReportsFailures
from ..i18n import t
from ..safetext import safe_text
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from ..host import AppHost


class LibraryPicker(ReportsFailures, ModalScreen[LibraryDocument | None]):
    CSS = """
    LibraryPicker { align: center middle; }
    #library-dialog { width: 80%; height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    #library-results { height: 1fr; }
    #library-scope, #library-hint { height: auto; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f2", "scope", t("action.library_scope"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    )

    def __init__(self, item: InboxItem) -> None:
        super().__init__()
        self.item = item
        self.all_services = not item.pool_id
        self.shown: list[LibraryDocument] = []

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="library-dialog"):
            yield Static(Text(t("library.title"), style="bold"))
            yield Input(placeholder=t("library.search"), id="library-search", max_length=100)
            yield Select(
                [(topic_name(code), code) for code in EDU_TOPICS], prompt=t("library.topic_all"), id="library-topic"
            )
            yield Static("", id="library-scope")
            yield OptionList(id="library-results")
            yield Static(t("library.hint"), id="library-hint")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#library-search", Input).focus()
        self.search()

    def _topic(self) -> str:
        value: Any = self.query_one("#library-topic", Select).value
        return value if isinstance(value, str) else ""

    @work(exclusive=True, group="library-search", exit_on_error=False)
    async def search(self) -> None:
        try:
            words = self.query_one("#library-search", Input).value
            topic = self._topic()
            self.query_one("#library-scope", Static).update(
                t("library.scope_all")
                if self.all_services
                else safe_text(
                    t("library.scope_service", service=self.item.pool_display or self.item.pool_id), multiline=False
                )
            )
            box = self.query_one("#library-results", OptionList)
        except NoMatches:
            return
        service = "" if self.all_services else f"HealthcareService/{self.item.pool_id}"
        docs = await self.happ.client.search_library(words, topic, service)
        self.shown = docs
        box.clear_options()
        if docs:
            box.add_options([Option(document_line(d)) for d in docs])
            box.highlighted = 0
        else:
            box.add_option(Option(Text(t("library.none")), disabled=True))

    @on(Input.Changed, "#library-search")
    def _typed(self) -> None:
        self.search()

    @on(Select.Changed, "#library-topic")
    def _topic_changed(self) -> None:
        self.search()

    @on(Input.Submitted, "#library-search")
    def _to_list(self) -> None:
        if self.shown:
            self.query_one("#library-results", OptionList).focus()

    @on(OptionList.OptionSelected, "#library-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self.shown):
            self.dismiss(self.shown[event.option_index])

    def action_scope(self) -> None:
        self.all_services = not self.all_services or not self.item.pool_id
        self.search()

    def action_cancel(self) -> None:
        self.dismiss(None)
