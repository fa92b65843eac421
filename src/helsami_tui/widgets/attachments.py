"""The attachments of a reply being written: library documents listed by name and size, removable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..actions import with_ids
from ..attachments import attachment_line
from ..client.models import LibraryDocument
from ..i18n import t, tn

MAX_ATTACHMENTS = 10  # the portal's limit for one message (docs/api.md, too-many-attachments)


class AttachmentsArea(OptionList):
    """Chosen documents, one line each ("📎 title (size)"); hidden while there are none.
    Del or Backspace removes the highlighted one."""

    DEFAULT_CSS = """
    AttachmentsArea { height: auto; max-height: 7; display: none; border: round $primary-muted; }
    AttachmentsArea.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("delete,backspace", "remove_attachment", t("action.remove_attachment")),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.documents: list[LibraryDocument] = []

    @property
    def refs(self) -> list[str]:
        return [d.ref for d in self.documents]

    def add(self, doc: LibraryDocument) -> str:
        """Add a document: "" when added, else the catalog key saying why not."""
        if any(d.id == doc.id for d in self.documents):
            return "library.already"
        if len(self.documents) >= MAX_ATTACHMENTS:
            return "library.too_many"
        self.documents.append(doc)
        self._redraw()
        return ""

    def restore(self, docs: Sequence[LibraryDocument]) -> None:
        """Show the documents a kept draft had attached (when none are chosen yet)."""
        if not self.documents:
            self.documents = list(docs)[:MAX_ATTACHMENTS]
            self._redraw()

    def action_remove_attachment(self) -> None:
        i = self.highlighted
        if i is None or not 0 <= i < len(self.documents):
            return
        del self.documents[i]
        self._redraw()
        if self.documents:
            self.highlighted = min(i, len(self.documents) - 1)

    def _redraw(self) -> None:
        self.clear_options()
        self.add_options([Option(attachment_line(d)) for d in self.documents])
        self.border_title = Text(tn("attach.heading", len(self.documents))).plain
        self.set_class(bool(self.documents), "shown")
