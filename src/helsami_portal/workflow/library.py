"""The patient-education library (brosjyrer og opplæringsmateriell) of each service, and the copies
of its documents sent to patients.

A library document is a `DocumentReference` (no subject; `extension` library-service names the
HealthcareService, `custodian` its Organization; `category` patient-education and a topic) whose one
`content.attachment` points at a `Binary` with the bytes (`url` "Binary/<id>", with contentType,
language, size, SHA-1 hash and title). IT support manages every service's library; a staff member with
the `library-editor` duty manages those of the services they work in. Retiring a document sets its
status to `superseded`: it can no longer be attached, and what was sent stays with the patient.

A document attached to a staff message is copied for the patient: a `DocumentReference` with
`subject` the patient, `context.related` the message, `extension` from-library, and the same
attachment (the same Binary). The message carries it as a `payload.contentAttachment` whose
`extension` sent-document names the copy. Patients (and proxies, at any level that reads messages)
list the copies and download their bytes; every download is written to the patient's access log.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import document_service, first_code, ref_id, ref_of
from ..store.store import Store, Tx, new_id
from . import access
from .library_files import (
    CONTENT_TYPES,
    MAX_BODY_BYTES,
    MAX_DOCUMENT_BYTES,
    _content_type,
    _decode,
    active_content,
    check_bytes,
)
from .library_patient import NO_DOCUMENT, download, file_name, list_for_patient, patient_view
from .library_sending import (
    MAX_ATTACHMENTS,
    draft_entries,
    draft_refs,
    for_message,
    is_library,
    payload_for,
    send_copies,
)

__all__ = [  # the byte checks, the sending and the patient side are modules of their own; callers find them here too
    "CONTENT_TYPES",
    "MAX_ATTACHMENTS",
    "MAX_BODY_BYTES",
    "MAX_DOCUMENT_BYTES",
    "NO_DOCUMENT",
    "active_content",
    "check_bytes",
    "download",
    "draft_entries",
    "draft_refs",
    "file_name",
    "for_message",
    "is_library",
    "list_for_patient",
    "patient_view",
    "payload_for",
    "send_copies",
]

Resource = dict[str, Any]

MAX_TITLE = 200
EDITOR_ROLES = ("it-support", "library-editor")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
STATUSES = ("current", "superseded")


def _can_manage(p: Principal, service_id: str) -> bool:
    return p.has_role("it-support") or (p.has_role("library-editor") and service_id in p.pools)


def _require_manager(p: Principal, service_id: str) -> None:
    access.require_role(p, *EDITOR_ROLES, what="manage the document library")
    if not _can_manage(p, service_id):
        raise FhirError(
            403,
            "You manage the document library only of the services you work in.",
            code="forbidden",
            reason="not-inbox-member",
            args={"inbox": {"reference": f"HealthcareService/{service_id}"}},
        )


def _attachment_in(body: Resource) -> Resource:
    content = body.get("content")
    if (
        not isinstance(content, list)
        or len(content) != 1
        or not isinstance(content[0], dict)
        or not isinstance(content[0].get("attachment"), dict)
    ):
        raise FhirError(
            400,
            "A library document has exactly one content.attachment.",
            expression="content",
            reason="document-invalid",
            args={"name": "content"},
        )
    att: Resource = content[0]["attachment"]
    return att


def _title(att: Resource, body: Resource) -> str:
    title = att.get("title") if att.get("title") is not None else body.get("description")
    if (
        not isinstance(title, str)
        or not title.strip()
        or len(title) > MAX_TITLE
        or any(unicodedata.category(ch) == "Cc" for ch in title)
    ):  # no line breaks, tabs, escapes
        raise FhirError(
            400,
            f"A library document needs a title of one line, at most {MAX_TITLE} characters (content.attachment.title).",
            expression="content.attachment.title",
            reason="document-invalid",
            args={"name": "title"},
        )
    return title.strip()


def _language(att: Resource) -> str:
    lang = att.get("language")
    if not isinstance(lang, str) or not _LANGUAGE.match(lang):
        raise FhirError(
            400,
            "A library document needs its language (content.attachment.language, e.g. nb, nn, en, se).",
            expression="content.attachment.language",
            reason="document-invalid",
            args={"name": "language"},
        )
    return lang


def _topic(body: Resource) -> str:
    categories = body.get("category")
    for concept in categories if isinstance(categories, list) else []:
        code = first_code(concept, c.EDU_TOPIC)
        if code:
            if code not in c.EDU_TOPICS:
                raise FhirError(
                    400,
                    "Unknown topic; topics: " + ", ".join(c.EDU_TOPICS) + ".",
                    expression="category",
                    reason="document-topic-unknown",
                    args={"topic": code[:40]},
                )
            return code
    raise FhirError(
        400,
        "A library document needs a topic (category, system " + c.EDU_TOPIC + ").",
        expression="category",
        reason="document-topic-unknown",
        args={"topic": ""},
    )


def _service_of(tx: Tx, body: Resource) -> Resource:
    sid = ref_id({"reference": document_service(body)}, "HealthcareService")
    service = tx.get("HealthcareService", sid) if sid else None
    if service is None:
        raise FhirError(
            422,
            "Name the service whose library this is (extension "
            + c.EXT_LIBRARY_SERVICE
            + ", valueReference HealthcareService/<id>).",
            expression="extension",
            reason="document-invalid",
            args={"name": "service"},
        )
    return service


def _binary(tx: Tx, content_type: str, raw: bytes, doc_id: str) -> Resource:
    return tx.create(
        {
            "resourceType": "Binary",
            "contentType": content_type,
            "securityContext": {"reference": f"DocumentReference/{doc_id}"},
            "data": base64.b64encode(raw).decode("ascii"),
        }
    )


def _attachment(
    binary: Resource, raw: bytes, *, content_type: str, language: str, title: str, created: str
) -> Resource:
    return {
        "contentType": content_type,
        "language": language,
        "url": f"Binary/{binary['id']}",
        "size": len(raw),
        "hash": base64.b64encode(hashlib.sha1(raw).digest()).decode("ascii"),  # FHIR: Attachment.hash is SHA-1
        "title": title,
        "creation": created,
    }


def _document(
    doc_id: str, service: Resource, topic: str, title: str, attachment: Resource, status: str, date: str
) -> Resource:
    org = ref_of(service.get("providedBy"))
    return {
        "resourceType": "DocumentReference",
        "id": doc_id,
        "status": status,
        "extension": [
            {
                "url": c.EXT_LIBRARY_SERVICE,
                "valueReference": {
                    "reference": f"HealthcareService/{service['id']}",
                    "display": str(service.get("name") or ""),
                },
            }
        ],
        "type": {"coding": [{"system": c.DOC_CATEGORY, "code": "patient-education", "display": "Pasientinformasjon"}]},
        "category": [
            {"coding": [{"system": c.DOC_CATEGORY, "code": "patient-education"}]},
            {"coding": [{"system": c.EDU_TOPIC, "code": topic}]},
        ],
        "date": date,
        "description": title,
        **({"custodian": {"reference": org}} if org else {}),
        "content": [{"attachment": attachment}],
    }


def create(store: Store, p: Principal, body: Resource) -> Resource:
    """A new library document from a DocumentReference whose attachment carries the bytes (`data`)."""
    access.require_role(p, *EDITOR_ROLES, what="manage the document library")
    att = _attachment_in(body)
    ctype = _content_type(att.get("contentType"))
    title, language, topic = _title(att, body), _language(att), _topic(body)
    raw = _decode(att.get("data"))
    check_bytes(ctype, raw)
    status = body.get("status", "current")
    if status not in STATUSES:
        raise FhirError(
            400,
            "status is current or superseded (retired).",
            expression="status",
            reason="document-invalid",
            args={"name": "status"},
        )
    with store.write() as tx:
        service = _service_of(tx, body)
        _require_manager(p, str(service["id"]))
        doc_id = new_id()
        binary = _binary(tx, ctype, raw, doc_id)
        doc = _document(
            doc_id,
            service,
            topic,
            title,
            _attachment(binary, raw, content_type=ctype, language=language, title=title, created=tx.now),
            str(status),
            tx.now,
        )
        return tx.create(doc, keep_id=True)


def update(store: Store, p: Principal, doc_id: str, body: Resource, if_match: str | None) -> Resource:
    """Change a library document's title, language, topic, status (retire: superseded) or bytes (a
    new Binary; copies already sent keep theirs). Requires If-Match."""
    from .items import parse_if_match

    access.require_role(p, *EDITOR_ROLES, what="manage the document library")
    expected = parse_if_match(if_match)
    att = _attachment_in(body)
    title, language, topic = _title(att, body), _language(att), _topic(body)
    status = body.get("status")
    if status not in STATUSES:
        raise FhirError(
            400,
            "status is current or superseded (retired).",
            expression="status",
            reason="document-invalid",
            args={"name": "status"},
        )
    with store.write() as tx:
        old = tx.get("DocumentReference", doc_id, for_update=True)
        if old is None or old.get("subject"):
            raise FhirError(
                404,
                f"DocumentReference/{doc_id} is not in a library.",
                code="not-found",
                reason="not-found",
                args={"item": {"reference": f"DocumentReference/{doc_id}"}},
            )
        service_id = ref_id({"reference": document_service(old)}, "HealthcareService")
        _require_manager(p, service_id)
        if str(expected) != str(old["meta"]["versionId"]):
            raise FhirError(
                412,
                f"DocumentReference/{doc_id} has changed since you read it.",
                reason="stale-version",
                args={
                    "item": {"reference": f"DocumentReference/{doc_id}"},
                    "version": int(old["meta"]["versionId"]),
                    "expected": expected,
                },
                current=None,
            )
        service = tx.get("HealthcareService", service_id) or {"id": service_id}
        old_att = dict(old["content"][0]["attachment"])
        if att.get("data") is not None:
            ctype = _content_type(att.get("contentType"))
            raw = _decode(att.get("data"))
            check_bytes(ctype, raw)
            binary = _binary(tx, ctype, raw, doc_id)
            new_att = _attachment(binary, raw, content_type=ctype, language=language, title=title, created=tx.now)
        else:
            new_att = {**old_att, "language": language, "title": title}
        new = _document(doc_id, service, topic, title, new_att, str(status), str(old.get("date") or tx.now))
        new["meta"] = old["meta"]
        return tx.update(new, expected_version=int(old["meta"]["versionId"]))
