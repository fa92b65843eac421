"""Phone messages: staff (often the switchboard) register what a citizen said on the phone.

One transaction makes the thread header, the message (medium PHONE, category phone-message,
sender the staff member who took the call) and an inbox item (Task code phone-message) in the
chosen inbox or with the chosen person. Retrying with the same messageId returns the first result.
The patient sees the message in their thread, marked as taken by phone and by whom; the staff
member's look-up of the patient (Patient?name=&birthdate=) and this registration are in the
patient's access log.
"""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, human_name, ref_of
from ..store import tasks
from ..store.store import Store, Tx, once_per_ident
from . import access
from .absence import redirect
from .care import OWN_ITEM, set_placed_by
from .safety_net import response_deadline

Resource = dict[str, Any]
ROLES = ("physician", "nurse", "switchboard")
MAX_TEXT = 10_000
MAX_SUBJECT = 200


def _ref(v: Any, typ: str, name: str) -> str:
    if v in (None, "", {}):
        return ""
    ref = ref_of(v) if isinstance(v, dict) else v
    if not isinstance(ref, str):
        raise FhirError(
            400,
            f"'{name}' must be a reference such as {typ}/<id>.",
            expression=name,
            reason="parameter-needs-reference",
            args={"name": name, "type": typ},
        )
    ref = ref.strip()
    if "/" not in ref:
        ref = f"{typ}/{ref}"
    if not ref.startswith(f"{typ}/") or ref.count("/") != 1 or len(ref) > 100:
        raise FhirError(
            400,
            f"'{name}' must be a reference such as {typ}/<id>.",
            expression=name,
            reason="parameter-needs-reference",
            args={"name": name, "type": typ},
        )
    return ref


def _text(v: Any, name: str, limit: int, what: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise FhirError(400, f"Write {what}.", expression=name, reason="parameter-required", args={"name": name})
    if len(v) > limit:
        raise FhirError(
            400,
            f"The {name} is too long (at most {limit} characters).",
            expression=name,
            reason="text-too-long",
            args={"name": name, "limit": limit},
        )
    return v.strip()


@once_per_ident
def register(store: Store, p: Principal, params: dict[str, Any]) -> dict[str, Any]:
    """Create thread + phone message + inbox item. Returns {"thread", "message", "task", "replayed"}."""
    access.require_role(p, *ROLES, what="register phone messages")
    patient_ref = _ref(params.get("patient"), "Patient", "patient")
    if not patient_ref:
        raise FhirError(
            400,
            "Say whose message this is (patient): find the patient by name and birth date.",
            expression="patient",
            reason="parameter-required",
            args={"name": "patient"},
        )
    inbox_ref = _ref(params.get("inbox"), "HealthcareService", "inbox")
    person_ref = _ref(params.get("practitioner"), "Practitioner", "practitioner")
    if not inbox_ref and not person_ref:
        raise FhirError(
            400,
            "Choose where the message goes: an inbox, or a named staff member.",
            expression="inbox",
            reason="target-required",
            args={"name": "inbox"},
        )
    subject = _text(params.get("subject"), "subject", MAX_SUBJECT, "a subject")
    text = _text(params.get("text"), "text", MAX_TEXT, "what the caller said")
    message_id = params.get("messageId")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 100:
        raise FhirError(
            400,
            "messageId (a client-made UUID) is required, so that a retry is recognised.",
            expression="messageId",
            reason="message-id-required",
        )
    ident = f"{p.ref}|{message_id.strip()}"
    patient_id = patient_ref.split("/", 1)[1]
    with store.write() as tx:
        done = tx.find_by_ident("Communication", ident)
        if done is not None:
            header_ref = ref_of((done.get("partOf") or [{}])[0])
            first_id = tasks.first_about(tx, header_ref)
            return {
                "thread": tx.get_ref(header_ref),
                "message": done,
                "task": tx.get("Task", first_id) if first_id else None,
                "replayed": True,
            }
        patient = tx.get("Patient", patient_id)
        if patient is None:
            raise FhirError(
                422,
                "There is no such patient; find the patient by name and birth date first.",
                expression="patient",
                reason="not-found",
                args={"item": {"reference": "Patient"}},
            )
        pool, owner = _destination(tx, inbox_ref, person_ref)
        # The registration is the caller's own item: it gives them no care relation (workflow.care).
        access.audit(tx, p, patient_id, "phone message registered", OWN_ITEM, interaction="create")
        taken_by = f"Tatt imot på telefon av {p.display}"
        header = tx.create(
            {
                "resourceType": "Communication",
                "status": "in-progress",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
                "subject": {"reference": patient_ref},
                "topic": {"text": subject},
                "recipient": [{"reference": f"HealthcareService/{pool['id']}", "display": pool.get("name", "")}],
                "sent": tx.now,
            }
        )
        header_ref = f"Communication/{header['id']}"
        msg = tx.create(
            {
                "resourceType": "Communication",
                "identifier": [{"system": c.CLIENT_MESSAGE_ID, "value": message_id.strip()}],
                "status": "completed",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "phone-message"}]}],
                "partOf": [{"reference": header_ref}],
                "subject": {"reference": patient_ref},
                "sender": {"reference": p.ref, "display": f"{p.display} (tatt imot på telefon)"},
                "recipient": [owner],
                "sent": tx.now,
                "medium": [{"coding": [{"system": c.MEDIUM_SYSTEM, "code": c.MEDIUM_PHONE}], "text": "Telefon"}],
                "payload": [{"contentString": text}],
                "note": [{"authorReference": p.reference(), "time": tx.now, "text": taken_by}],
            },
            ident=ident,
        )
        t = _task(tx, p, patient_id, header_ref, subject, pool, owner, taken_by)
        return {"thread": header, "message": msg, "task": t, "replayed": False}


def _destination(tx: Tx, inbox_ref: str, person_ref: str) -> tuple[Resource, dict[str, str]]:
    """(the item's inbox, its owner reference): an inbox, or a person (their inbox, or the one given)."""
    pool: Resource | None = None
    if inbox_ref:
        pool = tx.get("HealthcareService", inbox_ref.split("/", 1)[1])
        if pool is None or pool.get("active") is False:
            raise FhirError(
                422,
                "That inbox does not exist or is not active.",
                expression="inbox",
                reason="target-inactive",
                args={"name": "inbox", "target": {"reference": inbox_ref}},
            )
    if not person_ref:
        assert pool is not None
        return pool, {"reference": f"HealthcareService/{pool['id']}", "display": pool.get("name", "")}
    person = tx.get("Practitioner", person_ref.split("/", 1)[1])
    if person is None or person.get("active") is False:
        raise FhirError(
            422,
            "That staff member does not exist or is not active.",
            expression="practitioner",
            reason="target-inactive",
            args={"name": "practitioner", "target": {"reference": person_ref}},
        )
    to, _away = redirect(tx, person_ref)  # away: their delegate, or the inbox
    if pool is None:
        pool = _home_inbox(tx, person_ref)
        if pool is None:
            raise FhirError(
                422,
                "That staff member works in no inbox; choose the inbox too.",
                expression="inbox",
                reason="practitioner-no-inbox",
            )
    if not to:
        return pool, {"reference": f"HealthcareService/{pool['id']}", "display": pool.get("name", "")}
    if to != person_ref:
        person = tx.get("Practitioner", to.split("/", 1)[1]) or person
    return pool, {"reference": to, "display": human_name(person)}


def _home_inbox(tx: Tx, person_ref: str) -> Resource | None:
    from ..auth.principal import load_staff

    staff = load_staff(tx, person_ref.split("/", 1)[1], username="", session_id=None)
    services = [
        s
        for s in tx.get_many(f"HealthcareService/{sid}" for sid in sorted(staff.pools))
        if s.get("active") is not False
    ]
    services.sort(key=lambda s: (first_code(s.get("type"), c.INBOX_KIND) == "intake", str(s["id"])))
    return services[0] if services else None


def _task(
    tx: Tx,
    p: Principal,
    patient_id: str,
    focus: str,
    subject: str,
    pool: Resource,
    owner: dict[str, str],
    taken_by: str,
) -> Resource:
    pool_ref = {"reference": f"HealthcareService/{pool['id']}", "display": pool.get("name", "")}
    t: Resource = {
        "resourceType": "Task",
        "status": c.STATUS_WAITING,
        "intent": "order",
        "priority": "routine",
        "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}], "text": "new"},
        "code": {"coding": [{"system": c.TASK_TYPE, "code": "phone-message"}]},
        "description": subject[:200],
        "focus": {"reference": focus},
        "for": {"reference": f"Patient/{patient_id}"},
        "authoredOn": tx.now,
        "lastModified": tx.now,
        "owner": owner,
        "extension": [{"url": c.EXT_TASK_POOL, "valueReference": pool_ref}],
        "note": [{"authorString": taken_by, "time": tx.now, "text": taken_by}],
        "requester": p.reference(),
    }
    set_placed_by(t, p.ref)  # placed by its author: no care relation for them, only for the target inbox
    deadline = response_deadline(pool, tx.now)
    if deadline:
        t["restriction"] = {"period": {"end": deadline}}
    t = tx.create(t)
    tx.emit(
        {
            "type": "Task",
            "id": t["id"],
            "versionId": "1",
            "owner": owner["reference"],
            "pool": pool["id"],
            "status": t["status"],
            "code": "phone-message",
            "action": "new",
        }
    )
    return t
