"""What patients (and their proxies) do: start threads, write messages, read their own threads.

Patients never see Tasks, internal notes, routing, who claimed their message, or drafts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, human_name, ref_id, ref_of
from ..store.query import parse_query
from ..store.schema import task
from ..store.store import Store, Tx
from . import access

Resource = dict[str, Any]
MAX_TEXT = 10_000
MAX_SUBJECT = 200
PATIENT_VISIBLE = ("patient-message", "staff-reply", "phone-message")
PROXY_LEVEL = f"{c.BASE}/CodeSystem/proxy-level"
LEVELS = ("standard", "read", "messages", "full")
CAN_WRITE = frozenset({"messages", "full", "standard", "self"})
CAN_READ_CLINICAL = frozenset({"read", "full", "standard", "self"})


def _age(birth: str, today: dt.date) -> int:
    try:
        b = dt.date.fromisoformat(birth[:10])
    except ValueError:
        return 0
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


def subjects(tx: Tx, p: Principal) -> dict[str, str]:
    """The patients this principal may act for, with the level of access: {patient_id: level}.

    A patient acts for themself ("self"). A proxy (RelatedPerson) acts within active Consent
    grants. Parents of a child act by parental responsibility: fully under 12, reduced
    ("messages") from 12, and not at all from 16.
    """
    if not p.is_patient_side:
        raise access.forbidden("This part of the API is for patients and their proxies.")
    typ, pid = p.ref.split("/", 1)
    if typ == "Patient":
        return {pid: "self"}
    rp = tx.get("RelatedPerson", pid)
    if rp is None:
        return {}
    patient_id, level = related_level(tx, rp)
    return {patient_id: level} if level else {}


def related_level(tx: Tx, rp: Resource) -> tuple[str, str]:
    """(patient id, level) a RelatedPerson may act with today; level "" if none."""
    pid = str(rp.get("id"))
    if rp.get("active") is False:
        return "", ""
    patient_id = ref_id(rp.get("patient"), "Patient")
    patient = tx.get("Patient", patient_id)
    if patient is None:
        return "", ""
    today = timeutil.utcnow().date()
    age = _age(str(patient.get("birthDate") or ""), today)
    rels = {first_code(r) for r in rp.get("relationship") or []}
    is_parent = bool(rels & {"PRN", "MTH", "FTH", "PRNFOST", "GUARD", "parent"})
    if is_parent and age < 16:
        return patient_id, "full" if age < 12 else "messages"
    if age < 16:
        return patient_id, ""
    # Grants by consent: giver 16 or older, proxy 18 or older.
    proxy_age = _age(str(rp.get("birthDate") or "1900-01-01"), today)
    if proxy_age < 18:
        return patient_id, ""
    q = parse_query("Consent", [("patient", f"Patient/{patient_id}"), ("actor", f"RelatedPerson/{pid}"),
                                ("status", "active")])
    page = tx.search("Consent", q.where, count=20)
    best = ""
    for consent in page.rows:
        period = (consent.get("provision") or {}).get("period") or {}
        if period.get("end") and timeutil.norm(period["end"]) < tx.now:
            continue
        concepts = list((consent.get("provision") or {}).get("code") or []) + list(consent.get("category") or [])
        for cat in concepts:
            for coding in cat.get("coding") or []:
                if coding.get("system") == PROXY_LEVEL and coding.get("code") in LEVELS:
                    best = max(best, coding["code"], key=lambda lv: LEVELS.index(lv) if lv else -1)
    return patient_id, best


def _acting_for(tx: Tx, p: Principal, patient_id: str | None, *, write: bool) -> str:
    allowed = subjects(tx, p)
    if not patient_id:
        if len(allowed) != 1:
            raise FhirError(400, "Say which patient this is for (patient).", expression="patient")
        patient_id = next(iter(allowed))
    level = allowed.get(patient_id)
    if level is None:
        if isinstance(patient_id, str) and tx.get("Patient", patient_id[:64]) is not None:
            access.log_denied(tx, p, patient_id, "patient API", "not allowed to act for this patient")
        raise access.forbidden("You cannot act for this patient.")
    if write and level not in CAN_WRITE:
        access.log_denied(tx, p, patient_id, "patient API: send", f"proxy level {level} does not allow sending")
        raise access.forbidden("Your access for this patient does not include sending messages.")
    return patient_id


def _sender(p: Principal, patient_id: str, tx: Tx) -> dict[str, Any]:
    if p.ref.startswith("RelatedPerson/"):
        patient = tx.get("Patient", patient_id) or {}
        return {"reference": p.ref, "display": f"{p.display} på vegne av {human_name(patient)}"}
    return {"reference": p.ref, "display": p.display}


def _message(p: Principal, tx: Tx, header_ref: str, patient_id: str, text: str, message_id: str,
             recipient: str) -> Resource:
    return {
        "resourceType": "Communication",
        "identifier": [{"system": c.CLIENT_MESSAGE_ID, "value": message_id}],
        "status": "completed",
        "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "patient-message"}]}],
        "partOf": [{"reference": header_ref}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "sender": _sender(p, patient_id, tx),
        "recipient": [{"reference": recipient}],
        "sent": tx.now,
        "medium": [{"coding": [{"system": c.MEDIUM_SYSTEM, "code": c.MEDIUM_PORTAL}]}],
        "payload": [{"contentString": text}],
    }


def _check_text(text: Any, message_id: Any) -> tuple[str, str]:
    if not isinstance(text, str) or not text.strip():
        raise FhirError(400, "The message is empty.", expression="text")
    if len(text) > MAX_TEXT:
        raise FhirError(400, f"The message is too long (at most {MAX_TEXT} characters).", expression="text")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 100:
        raise FhirError(400, "messageId (a client-made unique id) is required.", expression="messageId")
    return text, message_id.strip()


def _new_task(tx: Tx, patient_id: str, focus: str, service: Resource, description: str,
              code: str = "message", priority: str = "routine") -> Resource:
    deadline = _deadline(service, tx.now)
    t: Resource = {
        "resourceType": "Task",
        "status": c.STATUS_WAITING,
        "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}], "text": "new"},
        "intent": "order",
        "priority": priority,
        "code": {"coding": [{"system": c.TASK_TYPE, "code": code}]},
        "description": description[:200],
        "focus": {"reference": focus},
        "for": {"reference": f"Patient/{patient_id}"},
        "authoredOn": tx.now,
        "lastModified": tx.now,
        "owner": {"reference": f"HealthcareService/{service['id']}", "display": service.get("name", "")},
        "extension": [{"url": c.EXT_TASK_POOL, "valueReference": {
            "reference": f"HealthcareService/{service['id']}", "display": service.get("name", "")}}],
    }
    if deadline:
        t["restriction"] = {"period": {"end": deadline}}
    t = tx.create(t)
    tx.emit({"type": "Task", "id": t["id"], "versionId": "1", "owner": f"HealthcareService/{service['id']}",
             "pool": service["id"], "status": t["status"], "code": code, "action": "new"})
    return t


def _deadline(service: Resource, now: str) -> str:
    """Response deadline from the inbox's stated response time, in working days from the
    working calendar (Europe/Oslo office hours, Norwegian holidays) when the inbox counts working time."""
    from .safety_net import response_deadline
    return response_deadline(service, now)


def start_thread(store: Store, p: Principal, body: dict[str, Any]) -> dict[str, Any]:
    subject = body.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise FhirError(400, "The message needs a subject.", expression="subject")
    if len(subject) > MAX_SUBJECT:
        raise FhirError(400, f"The subject is too long (at most {MAX_SUBJECT} characters).", expression="subject")
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
        header = tx.create({
            "resourceType": "Communication",
            "status": "in-progress",
            "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
            "subject": {"reference": f"Patient/{patient_id}"},
            "topic": {"text": subject.strip()},
            "recipient": [{"reference": f"HealthcareService/{service['id']}", "display": service.get("name", "")}],
            "sent": tx.now,
        })
        header_ref = f"Communication/{header['id']}"
        msg = tx.create(_message(p, tx, header_ref, patient_id, text, message_id,
                                 f"HealthcareService/{service['id']}"), ident=ident)
        _new_task(tx, patient_id, header_ref, service, subject.strip())
        return {"thread": header, "message": msg, "replayed": False}


def add_message(store: Store, p: Principal, thread_id: str, body: dict[str, Any]) -> dict[str, Any]:
    text, message_id = _check_text(body.get("text"), body.get("messageId"))
    with store.write() as tx:
        header = tx.get("Communication", thread_id)
        if header is None or first_code(header.get("category"), c.COMM_CATEGORY) != "thread":
            raise FhirError(404, "There is no such conversation.")
        patient_id = ref_id(header.get("subject"), "Patient")
        _acting_for(tx, p, patient_id, write=True)
        ident = f"{p.ref}|{message_id}"
        existing = tx.find_by_ident("Communication", ident)
        if existing is not None:
            return {"message": existing, "replayed": True}
        header_ref = f"Communication/{thread_id}"
        recipient = ref_of((header.get("recipient") or [{}])[0]) or "HealthcareService/"
        msg = tx.create(_message(p, tx, header_ref, patient_id, text, message_id, recipient), ident=ident)
        row = tx.conn.execute(sa.select(task.c.id).where(task.c.focus == header_ref,
                                                          task.c.status.in_(c.OPEN_STATUSES))
                              .order_by(task.c.authored.desc()).limit(1)).first()
        if row is not None:
            t = tx.require("Task", row.id, for_update=True)
            new = dict(t)
            new["businessStatus"] = {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}], "text": "new"}
            new["lastModified"] = tx.now
            saved = tx.update(new, expected_version=int(t["meta"]["versionId"]))
            tx.emit({"type": "Task", "id": saved["id"], "versionId": saved["meta"]["versionId"],
                     "owner": ref_of(saved.get("owner")), "pool": access.task_pool(saved),
                     "status": saved["status"], "code": "message", "action": "patient-message"})
        else:
            pool = _last_pool(tx, header_ref) or ref_id((header.get("recipient") or [{}])[0], "HealthcareService")
            service = tx.get("HealthcareService", pool) if pool else None
            if service is None:
                raise FhirError(409, "This conversation has no inbox to reopen in; start a new one.")
            _new_task(tx, patient_id, header_ref, service, str((header.get("topic") or {}).get("text") or ""))
        return {"message": msg, "replayed": False}


def _last_pool(tx: Tx, focus: str) -> str:
    row = tx.conn.execute(sa.select(task.c.pool).where(task.c.focus == focus)
                          .order_by(task.c.authored.desc()).limit(1)).first()
    return row.pool if row else ""


def _patient_view(m: Resource) -> Resource:
    """A message as the patient sees it: who wrote it and what, nothing internal."""
    keep = ("resourceType", "id", "meta", "status", "category", "partOf", "subject", "sender", "sent",
            "medium", "payload", "topic", "recipient")
    out = {k: m[k] for k in keep if k in m}
    if "recipient" in out:  # internal routing is not the patient's business; show the first inbox only
        out["recipient"] = out["recipient"][:1]
    return out


def list_threads(store: Store, p: Principal, patient_id: str | None, cursor: str | None, count: int) -> tuple[list[Resource], str | None]:
    with store.read() as tx:
        pid = _acting_for(tx, p, patient_id, write=False)
        q = parse_query("Communication", [("patient", f"Patient/{pid}"), ("category", "thread"),
                                          ("_sort", "-sent"), ("_count", str(count))]
                        + ([("_cursor", cursor)] if cursor else []))
        page = tx.search("Communication", q.where, sort=q.sort, count=q.count, cursor=q.cursor)
        return [_patient_view(r) for r in page.rows], page.next_cursor


def read_thread(store: Store, p: Principal, thread_id: str) -> dict[str, Any]:
    with store.read() as tx:
        header = tx.get("Communication", thread_id)
        if header is None or first_code(header.get("category"), c.COMM_CATEGORY) != "thread":
            raise FhirError(404, "There is no such conversation.")
        _acting_for(tx, p, ref_id(header.get("subject"), "Patient"), write=False)
        q = parse_query("Communication", [("part-of", f"Communication/{thread_id}"),
                                          ("category", ",".join(PATIENT_VISIBLE)), ("status", "completed"),
                                          ("_sort", "sent"), ("_count", "500")])
        page = tx.search("Communication", q.where, sort=q.sort, count=q.count)
        return {"thread": _patient_view(header), "messages": [_patient_view(m) for m in page.rows]}


def staff_create(store: Store, p: Principal, body: Resource, if_none_exist: str | None) -> Resource:
    """Resources staff create directly. Today: reply drafts (Communication, status preparation)."""
    if body.get("resourceType") != "Communication":
        raise FhirError(405, f"{str(body.get('resourceType'))[:40]} cannot be created through the API"
                             + (" (the access log is written by the server only)."
                                if body.get("resourceType") == "AuditEvent" else "."), code="not-supported")
    access.require_role(p, *access.INBOX_ROLES, what="create resources")
    if body.get("status") != "preparation":
        raise FhirError(422, "Staff create drafts (Communication with status 'preparation'); other changes go "
                             "through the Task operations.", code="business-rule")
    with store.write() as tx:
        part_of = ref_of((body.get("partOf") or [{}])[0])
        header = tx.get_ref(part_of) if part_of.startswith("Communication/") else None
        if header is None:
            raise FhirError(422, "A draft must belong to a thread (partOf a Communication that exists).",
                            expression="partOf")
        patient_id = ref_id(header.get("subject"), "Patient")
        access.require_patient_access(tx, p, patient_id, "Communication", f"draft in {part_of}")
        text = ((body.get("payload") or [{}])[0] or {}).get("contentString", "")
        if not isinstance(text, str) or len(text) > MAX_TEXT * 2:
            raise FhirError(400, "The draft text is missing or too long.", expression="payload")
        draft = {
            "resourceType": "Communication", "status": "preparation",
            "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "staff-reply"}]}],
            "partOf": [{"reference": part_of}], "subject": {"reference": f"Patient/{patient_id}"},
            "sender": p.reference(), "payload": [{"contentString": text}],
        }
        return tx.create(draft)


def list_medications(store: Store, p: Principal, patient_id: str | None) -> list[Resource]:
    """The patient's active prescriptions (what they may ask to renew)."""
    with store.read() as tx:
        allowed = subjects(tx, p)
        pid = _acting_for(tx, p, patient_id, write=False)
        if allowed.get(pid) not in CAN_READ_CLINICAL and allowed.get(pid) != "messages":
            raise access.forbidden("Your access for this patient does not include medicines.")
        q = parse_query("MedicationRequest", [("patient", f"Patient/{pid}"), ("status", "active")])
        page = tx.search("MedicationRequest", q.where, count=100)
        keep = ("resourceType", "id", "status", "intent", "medicationCodeableConcept", "authoredOn",
                "dosageInstruction", "dispenseRequest", "requester")
        return [{k: r[k] for k in keep if k in r} for r in page.rows if r.get("intent") != "proposal"]


def request_renewal(store: Store, p: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Ask for a renewal of one of the patient's prescriptions: a proposal + an inbox item."""
    message_id = body.get("messageId")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 100:
        raise FhirError(400, "messageId (a client-made unique id) is required.", expression="messageId")
    note = body.get("text") or ""
    if not isinstance(note, str) or len(note) > MAX_TEXT:
        raise FhirError(400, "The note is too long.", expression="text")
    med_id = str(body.get("medication") or "").removeprefix("MedicationRequest/")
    with store.write() as tx:
        ident = f"{p.ref}|{message_id.strip()}"
        existing = tx.find_by_ident("MedicationRequest", ident)
        if existing is not None:
            return {"request": existing, "replayed": True}
        original = tx.get("MedicationRequest", med_id) if med_id else None
        if original is None:
            raise FhirError(422, "Choose one of your prescriptions to renew (medication).", expression="medication")
        patient_id = ref_id(original.get("subject"), "Patient")
        _acting_for(tx, p, patient_id, write=True)
        if original.get("status") != "active":
            raise FhirError(409, "That prescription is no longer active; write a message to your doctor instead.")
        service = _renewal_inbox(tx, patient_id, original, body.get("service"))
        proposal = {
            "resourceType": "MedicationRequest",
            "identifier": [{"system": c.CLIENT_MESSAGE_ID, "value": message_id.strip()}],
            "status": "draft", "intent": "proposal",
            "medicationCodeableConcept": original.get("medicationCodeableConcept"),
            "subject": {"reference": f"Patient/{patient_id}"},
            "authoredOn": tx.now,
            "requester": _sender(p, patient_id, tx),
            "priorPrescription": {"reference": f"MedicationRequest/{original['id']}"},
            "dosageInstruction": original.get("dosageInstruction"),
        }
        if note.strip():
            proposal["note"] = [{"text": note.strip(), "time": tx.now}]
        proposal = {k: v for k, v in proposal.items() if v is not None}
        proposal = tx.create(proposal, ident=ident)
        med_text = str((original.get("medicationCodeableConcept") or {}).get("text") or "legemiddel")
        _new_task(tx, patient_id, f"MedicationRequest/{proposal['id']}", service,
                  f"Reseptfornyelse: {med_text}", code="renewal")
        return {"request": proposal, "replayed": False}


def _renewal_inbox(tx: Tx, patient_id: str, original: Resource, chosen: Any) -> Resource:
    if isinstance(chosen, str) and chosen:
        svc = tx.get("HealthcareService", chosen.removeprefix("HealthcareService/"))
        if svc is None:
            raise FhirError(422, "That service does not exist.", expression="service")
        return svc
    # The prescriber's inbox, else the regular GP's, else the inbox where the patient last wrote.
    from ..auth.principal import load_staff
    patient = tx.get("Patient", patient_id) or {}
    candidates = [ref_of(original.get("requester"))] + [ref_of(g) for g in patient.get("generalPractitioner") or []]
    for ref in candidates:
        if ref.startswith("Practitioner/"):
            staff = load_staff(tx, ref.split("/", 1)[1], username="", session_id=None)
            for pool in sorted(staff.pools):
                svc = tx.get("HealthcareService", pool)
                if svc is not None and first_code(svc.get("type"), c.INBOX_KIND) != "intake":
                    return svc
    row = tx.conn.execute(sa.select(task.c.pool).where(task.c.patient == patient_id)
                          .order_by(task.c.authored.desc()).limit(1)).first()
    if row is not None and (svc := tx.get("HealthcareService", row.pool)) is not None:
        return svc
    raise FhirError(422, "No inbox could be found for this renewal; choose a service.", expression="service")
