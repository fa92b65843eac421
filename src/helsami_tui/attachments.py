"""How an attachment is named on screen: "📎 title (size)", the title as untrusted text (Textual-free)."""

from __future__ import annotations

from rich.text import Text

from .client.models import Attachment, LibraryDocument
from .i18n import format_number, t, tn
from .safetext import safe_text

CLIP = "\N{PAPERCLIP}"


def format_size(size: int | None) -> str:
    """A size for the locale: "830 byte", "12,4 kB", "1,2 MB" in bokmål (1 kB = 1000 bytes)."""
    if size is None:
        return t("attach.unknown_size")
    if size < 1000:
        return tn("size.bytes", size)
    if size < 1_000_000:
        return t("size.kb", n=format_number(round(size / 1000, 1)))
    return t("size.mb", n=format_number(round(size / 1_000_000, 1)))


def attachment_line(att: Attachment | LibraryDocument) -> Text:
    """One line for an attachment: the paperclip, its title (safe text) and its size."""
    return Text.assemble(f"{CLIP} ", safe_text(att.title or "?", multiline=False), f" ({format_size(att.size)})")


def topic_name(code: str) -> str:
    return t(f"topic.{code}") if code else ""


def language_name(code: str) -> str:
    key = f"doclang.{code}"
    name = t(key)
    return code if name == key else name


def document_line(doc: LibraryDocument) -> Text:
    """A library document in the picker: title, then topic, language, type and size."""
    kind = t("doctype.pdf") if doc.content_type == "application/pdf" else t("doctype.text")
    details = " · ".join(
        x for x in (topic_name(doc.topic), language_name(doc.language), kind, format_size(doc.size)) if x
    )
    return Text.assemble(
        safe_text(doc.title or "?", multiline=False, style="bold"), "\n  ", safe_text(details, multiline=False)
    )
