"""The bytes of a library document: decoded from base64, within the size limit, of an accepted type,
and, for a PDF, without active content (scripts, actions, embedded files)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ..fhir.outcome import FhirError

Resource = dict[str, Any]
MAX_DOCUMENT_BYTES = 5_000_000
# The JSON body of a create or update carries the bytes in base64 (4/3 of them) and a little more.
MAX_BODY_BYTES = MAX_DOCUMENT_BYTES * 4 // 3 + 65_536
CONTENT_TYPES = ("application/pdf", "text/plain")


def _decode(data: Any) -> bytes:
    if not isinstance(data, str) or not data:
        raise FhirError(
            400,
            "The document's bytes are missing (content.attachment.data, base64).",
            expression="content.attachment.data",
            reason="document-data-invalid",
        )
    if len(data) > MAX_BODY_BYTES:
        raise FhirError(
            413,
            f"The document is too large (at most {MAX_DOCUMENT_BYTES} bytes).",
            code="too-costly",
            reason="document-too-large",
            args={"limit": MAX_DOCUMENT_BYTES},
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise FhirError(
            400,
            "content.attachment.data is not valid base64.",
            expression="content.attachment.data",
            reason="document-data-invalid",
        ) from None
    return raw


def check_bytes(content_type: str, raw: bytes) -> None:
    """The server's limits on a document's bytes: size, type, and that they are what the type says."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise FhirError(
            413,
            f"The document is too large (at most {MAX_DOCUMENT_BYTES} bytes).",
            code="too-costly",
            reason="document-too-large",
            args={"limit": MAX_DOCUMENT_BYTES},
        )
    if not raw:
        raise FhirError(
            400, "The document is empty.", expression="content.attachment.data", reason="document-data-invalid"
        )
    if content_type not in CONTENT_TYPES:
        raise FhirError(
            415,
            "Library documents are PDF (application/pdf) or plain text (text/plain).",
            expression="content.attachment.contentType",
            reason="document-type-not-allowed",
            args={"allowed": ", ".join(CONTENT_TYPES)},
        )
    if content_type == "application/pdf" and not raw.startswith(b"%PDF-"):
        raise FhirError(
            422,
            "The bytes are not a PDF (they do not begin with %PDF-).",
            expression="content.attachment.data",
            reason="document-content-mismatch",
            args={"type": content_type},
        )
    if content_type == "application/pdf":
        found = active_content(raw)
        if found:
            raise FhirError(
                422,
                f"The PDF has active content ({found}); patient material is read, not run.",
                expression="content.attachment.data",
                reason="document-active-content",
                args={"name": found},
            )
    if content_type == "text/plain":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FhirError(
                422,
                "Plain-text documents must be UTF-8.",
                expression="content.attachment.data",
                reason="document-content-mismatch",
                args={"type": content_type},
            ) from None
        if "\x00" in text:
            raise FhirError(
                422,
                "Plain-text documents hold no NUL characters.",
                expression="content.attachment.data",
                reason="document-content-mismatch",
                args={"type": content_type},
            )


# What a PDF for patients never holds: scripts, actions that start programs, embedded files (and
# actions that open them), forms that send or run something, rich media. (An /OpenAction that only
# shows a page is common and harmless; one that runs a script names /JavaScript.)
ACTIVE_PDF_NAMES = (
    b"JavaScript",
    b"JS",
    b"Launch",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"RichMedia",
    b"XFA",
    b"SubmitForm",
    b"ImportData",
    b"GoToE",
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
MAX_INFLATED = 20_000_000  # the most the check inflates of a PDF's compressed streams together


def _names(data: bytes) -> set[bytes]:
    def plain(name: bytes) -> bytes:  # "#4A" in a name is "J"
        return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)

    return {plain(m.group(1)) for m in _PDF_NAME.finditer(data)}


def active_content(raw: bytes) -> str:
    """The first active-content name in a PDF (in the clear or in a Flate-compressed stream, such as
    an object stream), or "" if none."""
    import zlib

    names = _names(raw)
    budget = MAX_INFLATED
    for m in _PDF_STREAM.finditer(raw):
        if budget <= 0:
            return "too much compressed content"
        try:
            d = zlib.decompressobj()
            inflated = d.decompress(m.group(1), budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        names |= _names(inflated)
    for name in ACTIVE_PDF_NAMES:
        if name in names:
            return name.decode()
    return ""


def _content_type(value: Any) -> str:
    if not isinstance(value, str):
        raise FhirError(
            415,
            "Library documents are PDF (application/pdf) or plain text (text/plain).",
            expression="content.attachment.contentType",
            reason="document-type-not-allowed",
            args={"allowed": ", ".join(CONTENT_TYPES)},
        )
    base, _, params = value.partition(";")
    base = base.strip().lower()
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params.strip() else ""
    if base == "text/plain" and charset and charset not in ("utf-8", "utf8"):
        raise FhirError(
            415,
            "Plain-text documents must be UTF-8.",
            expression="content.attachment.contentType",
            reason="document-type-not-allowed",
            args={"allowed": ", ".join(CONTENT_TYPES)},
        )
    if base not in CONTENT_TYPES:
        raise FhirError(
            415,
            "Library documents are PDF (application/pdf) or plain text (text/plain).",
            expression="content.attachment.contentType",
            reason="document-type-not-allowed",
            args={"allowed": ", ".join(CONTENT_TYPES)},
        )
    return base
