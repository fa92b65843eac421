"""What a patient's request writes: their message (`Communication`) and the inbox item (`Task`)
it puts in a service's inbox, with its response deadline.
"""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import human_name
from ..store.store import Tx

Resource = dict[str, Any]
MAX_TEXT = 10_000


def _sender(p: Principal, patient_id: str, tx: Tx) -> dict[str, Any]:
    if p.ref.startswith("RelatedPerson/"):
        patient = tx.get("Patient", patient_id) or {}
        return {"reference": p.ref, "display": f"{p.display} på vegne av {human_name(patient)}"}
    return {"reference": p.ref, "display": p.display}


def _message(
    p: Principal, tx: Tx, header_ref: str, patient_id: str, text: str, message_id: str, recipient: str
) -> Resource:
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
        raise FhirError(400, "The message is empty.", expression="text", reason="text-empty", args={"name": "text"})
    if len(text) > MAX_TEXT:
        raise FhirError(
            400,
            f"The message is too long (at most {MAX_TEXT} characters).",
            expression="text",
            reason="text-too-long",
            args={"name": "text", "limit": MAX_TEXT},
        )
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 100:
        raise FhirError(
            400,
            "messageId (a client-made unique id) is required.",
            expression="messageId",
            reason="message-id-required",
        )
    return text, message_id.strip()


def _new_task(
    tx: Tx,
    patient_id: str,
    focus: str,
    service: Resource,
    description: str,
    code: str = "message",
    priority: str = "routine",
    *,
    requester: Principal | None = None,
) -> Resource:
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
        "extension": [
            {
                "url": c.EXT_TASK_POOL,
                "valueReference": {
                    "reference": f"HealthcareService/{service['id']}",
                    "display": service.get("name", ""),
                },
            }
        ],
    }
    if requester is not None:  # the patient (or proxy) who asked: the item is a care relation for the inbox
        t["requester"] = requester.reference()
    if deadline:
        t["restriction"] = {"period": {"end": deadline}}
    t = tx.create(t)
    tx.emit(
        {
            "type": "Task",
            "id": t["id"],
            "versionId": "1",
            "owner": f"HealthcareService/{service['id']}",
            "pool": service["id"],
            "status": t["status"],
            "code": code,
            "action": "new",
        }
    )
    return t


def _deadline(service: Resource, now: str) -> str:
    """Response deadline from the inbox's stated response time, in working days from the
    working calendar (Europe/Oslo office hours, Norwegian holidays) when the inbox counts working time."""
    from .safety_net import response_deadline

    return response_deadline(service, now)
