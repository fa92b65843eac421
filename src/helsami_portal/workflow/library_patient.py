"""The patient's side of the library (workflow/library.py): the copies sent to a patient, as the
patient lists and downloads them. Every download is written to the patient's access log."""

from __future__ import annotations

import base64
import unicodedata
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.registry import document_title, first_code, ref_id, ref_of
from ..store.query import parse_query
from ..store.store import Store
from . import access

Resource = dict[str, Any]


def _topic_of(doc: Resource) -> str:
    for concept in doc.get("category") or []:
        code = first_code(concept, c.EDU_TOPIC)
        if code:
            return code
    return ""


def patient_view(doc: Resource) -> Resource:
    """A copy as the patient sees it: what it is, who sent it when, and where to download it."""
    att = dict((doc.get("content") or [{}])[0].get("attachment") or {})
    att.pop("data", None)
    att["url"] = f"/patient/documents/{doc['id']}"
    related = (doc.get("context") or {}).get("related") or []
    author = (doc.get("author") or [{}])[0]
    threads = [r for r in related if ref_of(r).startswith("Communication/")]
    shown = {
        **doc,
        "description": document_title(doc),
        "author": [{"display": str(author["display"])}] if author.get("display") else [],
        "context": {"related": threads} if threads else {},
        "content": [{"attachment": att}],
    }
    return access.trimmed(
        shown,
        ("resourceType", "id", "status", "subject", "date", "description", "category", "author", "context", "content"),
    )


def list_for_patient(
    store: Store, p: Principal, patient_id: str | None, cursor: str | None, count: int
) -> tuple[list[Resource], str | None]:
    """Every document sent to the patient, newest first (any level that reads messages)."""
    from .proxies import _acting_for

    with store.read() as tx:
        pid = _acting_for(tx, p, patient_id, write=False)
        q = parse_query(
            "DocumentReference",
            [("patient", f"Patient/{pid}"), ("_sort", "-date")] + ([("_cursor", cursor)] if cursor else []),
        )
        page = tx.search("DocumentReference", q.where, sort=q.sort, count=count, cursor=q.cursor)
        return [patient_view(d) for d in page.rows], page.next_cursor


NO_DOCUMENT = "There is no such document."
# What a download's file name never holds: path separators, and characters that change how the rest
# is shown (controls, bidi overrides, zero-width and other format characters, line separators).
_NOT_IN_FILE_NAME = frozenset("/\\")


def file_name(title: str, content_type: str) -> tuple[str, str]:
    """(ASCII file name, UTF-8 file name) of a download of a document titled `title`; neither holds a
    path separator, a control or format character, or begins with a dot."""
    ext = ".pdf" if content_type == "application/pdf" else ".txt"
    name = "".join(
        "_" if ch in _NOT_IN_FILE_NAME or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") else ch
        for ch in title
    )
    name = name.strip().lstrip(".").strip()[:120] or "dokument"
    plain = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_ ") else "_" for ch in name).strip() or "dokument"
    return plain[:120] + ext, name + ext


def download(store: Store, p: Principal, doc_id: str) -> tuple[bytes, str, str]:
    """The bytes of a document sent to the patient: (bytes, content type, title). Logged."""
    from .proxies import _acting_for, not_found

    with store.write() as tx:
        doc = tx.get("DocumentReference", doc_id)
        pid = ref_id((doc or {}).get("subject"), "Patient")
        if doc is None or not pid:
            raise not_found(NO_DOCUMENT)
        _acting_for(tx, p, pid, write=False, missing=NO_DOCUMENT)
        att = (doc.get("content") or [{}])[0].get("attachment") or {}
        binary = tx.get("Binary", ref_id({"reference": att.get("url")}, "Binary"))
        if binary is None:
            raise not_found(NO_DOCUMENT)
        raw = base64.b64decode(str(binary.get("data") or ""))
        access.audit(tx, p, pid, f"DocumentReference/{doc_id} download", "patient API: document sent to the patient")
        return (
            raw,
            str(binary.get("contentType") or att.get("contentType") or "application/octet-stream"),
            document_title(doc),
        )
