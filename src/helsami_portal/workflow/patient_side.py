"""What patients (and their proxies) do: start threads, write messages, read their own threads.

Patients never see Tasks, internal notes, routing, who claimed their message, or drafts.
"""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, ref_id, ref_of
from ..store import tasks
from ..store.query import parse_query
from ..store.store import Store, Tx, once_per_ident
from . import access, drafts
from .patient_items import MAX_TEXT, _check_text, _message, _new_task
from .patient_renewals import list_medications, request_renewal
from .proxies import (
    NO_THREAD,
    _acting_for,
    not_found,
    subjects,
)

__all__ = ["list_medications", "request_renewal", "subjects"]  # modules of their own; callers find them here too

Resource = dict[str, Any]
MAX_SUBJECT = 200
PATIENT_VISIBLE = ("patient-message", "staff-reply", "phone-message")


@once_per_ident
def start_thread(store: Store, p: Principal, body: dict[str, Any]) -> dict[str, Any]:
    subject = body.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise FhirError(
            400,
            "The message needs a subject.",
            expression="subject",
            reason="parameter-required",
            args={"name": "subject"},
        )
    if len(subject) > MAX_SUBJECT:
        raise FhirError(
            400,
            f"The subject is too long (at most {MAX_SUBJECT} characters).",
            expression="subject",
            reason="text-too-long",
            args={"name": "subject", "limit": MAX_SUBJECT},
        )
    text, message_id = _check_text(body.get("text"), body.get("messageId"))
    from . import routing

    choice = routing.choice_from(body)  # a service, a topic, or a named staff member (routing table)
    with store.write() as tx:
        patient_id = _acting_for(tx, p, body.get("patient"), write=True)
        ident = f"{p.ref}|{message_id}"
        existing = tx.find_by_ident("Communication", ident)
        if existing is not None:
            header_ref = ref_of((existing.get("partOf") or [{}])[0])
            return {"thread": tx.get_ref(header_ref), "message": existing, "replayed": True}
        service = routing.resolve(tx, choice)
        header = tx.create(
            {
                "resourceType": "Communication",
                "status": "in-progress",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
                "subject": {"reference": f"Patient/{patient_id}"},
                "topic": {"text": subject.strip()},
                "recipient": [{"reference": f"HealthcareService/{service['id']}", "display": service.get("name", "")}],
                "sent": tx.now,
            }
        )
        header_ref = f"Communication/{header['id']}"
        msg = tx.create(
            _message(p, tx, header_ref, patient_id, text, message_id, f"HealthcareService/{service['id']}"), ident=ident
        )
        _new_task(tx, patient_id, header_ref, service, subject.strip(), requester=p)
        return {"thread": header, "message": msg, "replayed": False}


@once_per_ident
def add_message(store: Store, p: Principal, thread_id: str, body: dict[str, Any]) -> dict[str, Any]:
    text, message_id = _check_text(body.get("text"), body.get("messageId"))
    with store.write() as tx:
        header = tx.get("Communication", thread_id)
        if header is None or first_code(header.get("category"), c.COMM_CATEGORY) != "thread":
            raise not_found(NO_THREAD)
        patient_id = ref_id(header.get("subject"), "Patient")
        _acting_for(tx, p, patient_id, write=True, missing=NO_THREAD)
        ident = f"{p.ref}|{message_id}"
        existing = tx.find_by_ident("Communication", ident)
        if existing is not None:
            return {"message": existing, "replayed": True}
        header_ref = f"Communication/{thread_id}"
        recipient = ref_of((header.get("recipient") or [{}])[0]) or "HealthcareService/"
        msg = tx.create(_message(p, tx, header_ref, patient_id, text, message_id, recipient), ident=ident)
        open_id = tasks.latest_open_about(tx, header_ref, c.OPEN_STATUSES)
        if open_id is not None:
            t = tx.require("Task", open_id, for_update=True)
            new = dict(t)
            new["businessStatus"] = {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}], "text": "new"}
            new["lastModified"] = tx.now
            saved = tx.update(new, expected_version=int(t["meta"]["versionId"]))
            tx.emit(
                {
                    "type": "Task",
                    "id": saved["id"],
                    "versionId": saved["meta"]["versionId"],
                    "owner": ref_of(saved.get("owner")),
                    "pool": access.task_pool(saved),
                    "status": saved["status"],
                    "code": "message",
                    "action": "patient-message",
                }
            )
        else:
            pool = _last_pool(tx, header_ref) or ref_id((header.get("recipient") or [{}])[0], "HealthcareService")
            service = tx.get("HealthcareService", pool) if pool else None
            if service is None:
                raise FhirError(
                    409, "This conversation has no inbox to reopen in; start a new one.", reason="thread-no-inbox"
                )
            _new_task(
                tx, patient_id, header_ref, service, str((header.get("topic") or {}).get("text") or ""), requester=p
            )
        return {"message": msg, "replayed": False}


def _last_pool(tx: Tx, focus: str) -> str:
    return tasks.latest_pool_about(tx, focus)


def _patient_view(m: Resource) -> Resource:
    """A message as the patient sees it: who wrote it and what, nothing internal."""
    keep = (
        "resourceType",
        "id",
        "meta",
        "status",
        "category",
        "partOf",
        "subject",
        "sender",
        "sent",
        "medium",
        "payload",
        "topic",
        "recipient",
    )
    out = access.trimmed(m, keep)
    if any(isinstance(x, dict) and "contentAttachment" in x for x in out.get("payload") or []):
        out["payload"] = [_patient_payload(x) for x in out["payload"]]
    if "recipient" in out:  # internal routing is not the patient's business; show the first inbox only
        out["recipient"] = out["recipient"][:1]
    return out


def _patient_payload(x: Any) -> Any:
    """An attachment as the patient sees it: where to download their copy (workflow.library)."""
    if not isinstance(x, dict) or "contentAttachment" not in x:
        return x
    att = dict(x["contentAttachment"])
    copy = next(
        (
            ref_id(e.get("valueReference"), "DocumentReference")
            for e in x.get("extension") or []
            if isinstance(e, dict) and e.get("url") == c.EXT_SENT_DOCUMENT
        ),
        "",
    )
    att.pop("url", None)
    if copy:
        att["url"] = f"/patient/documents/{copy}"
    return {"contentAttachment": att}


def list_threads(
    store: Store, p: Principal, patient_id: str | None, cursor: str | None, count: int
) -> tuple[list[Resource], str | None]:
    with store.read() as tx:
        pid = _acting_for(tx, p, patient_id, write=False)
        q = parse_query(
            "Communication",
            [("patient", f"Patient/{pid}"), ("category", "thread"), ("_sort", "-sent"), ("_count", str(count))]
            + ([("_cursor", cursor)] if cursor else []),
        )
        page = tx.search("Communication", q.where, sort=q.sort, count=q.count, cursor=q.cursor)
        return [_patient_view(r) for r in page.rows], page.next_cursor


def read_thread(store: Store, p: Principal, thread_id: str) -> dict[str, Any]:
    with store.read() as tx:
        header = tx.get("Communication", thread_id)
        if header is None or first_code(header.get("category"), c.COMM_CATEGORY) != "thread":
            raise not_found(NO_THREAD)
        _acting_for(tx, p, ref_id(header.get("subject"), "Patient"), write=False, missing=NO_THREAD)
        q = parse_query(
            "Communication",
            [
                ("part-of", f"Communication/{thread_id}"),
                ("category", ",".join(PATIENT_VISIBLE)),
                ("status", "completed"),
                ("_sort", "sent"),
                ("_count", "500"),
            ],
        )
        page = tx.search("Communication", q.where, sort=q.sort, count=q.count)
        return {"thread": _patient_view(header), "messages": [_patient_view(m) for m in page.rows]}


def staff_create(store: Store, p: Principal, body: Resource, if_none_exist: str | None) -> tuple[Resource, bool]:
    """Resources staff create directly. Today: reply drafts (Communication, status preparation).

    The client's `identifier`s are kept. `If-None-Exist: identifier=SYSTEM|VALUE` (one of them) makes
    the create conditional: when the caller already has a draft with it, that draft is returned and
    nothing is made (`created` False). Identifiers are the caller's own: another user's never match."""
    if body.get("resourceType") != "Communication":
        raise FhirError(
            405,
            f"{str(body.get('resourceType'))[:40]} cannot be created through the API"
            + (" (the access log is written by the server only)." if body.get("resourceType") == "AuditEvent" else "."),
            code="not-supported",
            reason="create-not-allowed",
            args={"type": str(body.get("resourceType"))[:40]},
        )
    access.require_role(p, *access.INBOX_ROLES, what="create resources")
    if body.get("status") != "preparation":
        raise FhirError(
            422,
            "Staff create drafts (Communication with status 'preparation'); other changes go "
            "through the Task operations.",
            code="business-rule",
            reason="create-not-allowed",
            args={"type": str(body.get("resourceType"))[:40]},
        )
    with store.write() as tx:
        part_of = ref_of((body.get("partOf") or [{}])[0])
        header = tx.get_ref(part_of) if part_of.startswith("Communication/") else None
        if header is None:
            raise FhirError(
                422,
                "A draft must belong to a thread (partOf a Communication that exists).",
                expression="partOf",
                reason="draft-needs-thread",
            )
        patient_id = ref_id(header.get("subject"), "Patient")
        access.require_patient_access(
            tx,
            p,
            patient_id,
            "Communication",
            f"draft in {part_of}",
            focus=ref_of((header.get("partOf") or [{}])[0]) or part_of,
        )
        payload = drafts.payload_of(tx, body, limit=MAX_TEXT * 2)
        identifiers = _client_identifiers(body.get("identifier"))
        key = _if_none_exist(if_none_exist, identifiers)
        ident = f"draft:{p.ref}:{key or _token(identifiers[0])}"[:200] if identifiers else None
        if ident:
            existing = tx.find_by_ident("Communication", ident)
            if existing is not None:
                if key:
                    return existing, False
                raise FhirError(
                    409,
                    "You already have a draft with this identifier.",
                    code="duplicate",
                    expression="identifier",
                    reason="duplicate-identifier",
                    args={"id": str(existing["id"])},
                )
        draft = {
            "resourceType": "Communication",
            "status": "preparation",
            **({"identifier": identifiers} if identifiers else {}),
            "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "staff-reply"}]}],
            "partOf": [{"reference": part_of}],
            "subject": {"reference": f"Patient/{patient_id}"},
            "sender": p.reference(),
            "payload": payload,
        }
        return tx.create(draft, ident=ident), True


def _token(identifier: dict[str, str]) -> str:
    return f"{identifier.get('system', '')}|{identifier['value']}"


def _client_identifiers(value: Any) -> list[dict[str, str]]:
    """The client's identifiers of a draft: at most 5, each a system (optional) and a value."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 5:
        raise FhirError(
            400,
            "identifier must be a list of at most 5 identifiers.",
            expression="identifier",
            reason="invalid-identifier",
            args={"max": 5},
        )
    out = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("value"), str)
            or not item["value"].strip()
            or len(item["value"]) > 100
            or not isinstance(item.get("system", ""), str)
            or len(item.get("system", "")) > 100
        ):
            raise FhirError(
                400,
                "Each identifier needs a value (at most 100 characters) and, optionally, a system (at most 100).",
                expression="identifier",
                reason="invalid-identifier",
                args={"max": 100},
            )
        out.append({k: item[k] for k in ("system", "value") if k in item})
    return out


def _if_none_exist(header: str | None, identifiers: list[dict[str, str]]) -> str | None:
    """`identifier=SYSTEM|VALUE` naming one of the body's identifiers; anything else is refused."""
    if not header:
        return None
    from urllib.parse import parse_qsl

    pairs = parse_qsl(header.lstrip("?"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "identifier":
        raise FhirError(
            400,
            "If-None-Exist takes one identifier=SYSTEM|VALUE here.",
            expression="If-None-Exist",
            reason="unsupported-condition",
            args={},
        )
    wanted = pairs[0][1]
    for ident in identifiers:
        if wanted in (_token(ident), ident["value"] if "system" not in ident else None):
            return _token(ident)
    raise FhirError(
        400,
        "If-None-Exist must name one of the draft's identifiers (identifier=SYSTEM|VALUE), so that a retry finds it.",
        expression="If-None-Exist",
        reason="unsupported-condition",
        args={},
    )
