"""A patient's prescriptions and their requests to renew one: a proposal and an inbox item in the
inbox that handles renewals.
"""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_id, ref_of
from ..store import tasks
from ..store.query import parse_query
from ..store.store import Store, Tx, once_per_ident
from . import access
from .patient_items import MAX_TEXT, _new_task, _sender
from .proxies import CAN_READ_CLINICAL, _acting_for, subjects

Resource = dict[str, Any]


def list_medications(store: Store, p: Principal, patient_id: str | None) -> list[Resource]:
    """The patient's active prescriptions (what they may ask to renew)."""
    with store.read() as tx:
        allowed = subjects(tx, p)
        pid = _acting_for(tx, p, patient_id, write=False)
        if allowed.get(pid) not in CAN_READ_CLINICAL and allowed.get(pid) != "messages":
            raise access.forbidden(
                "Your access for this patient does not include medicines.",
                reason="proxy-scope",
                args={"scope": "medicines"},
            )
        q = parse_query("MedicationRequest", [("patient", f"Patient/{pid}"), ("status", "active")])
        page = tx.search("MedicationRequest", q.where, count=100)
        keep = (
            "resourceType",
            "id",
            "status",
            "intent",
            "medicationCodeableConcept",
            "subject",
            "authoredOn",
            "dosageInstruction",
            "dispenseRequest",
            "requester",
        )
        return [access.trimmed(r, keep) for r in page.rows if r.get("intent") != "proposal"]


@once_per_ident
def request_renewal(store: Store, p: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Ask for a renewal of one of the patient's prescriptions: a proposal + an inbox item."""
    message_id = body.get("messageId")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 100:
        raise FhirError(
            400,
            "messageId (a client-made unique id) is required.",
            expression="messageId",
            reason="message-id-required",
        )
    note = body.get("text") or ""
    if not isinstance(note, str) or len(note) > MAX_TEXT:
        raise FhirError(400, "The note is too long.", expression="text", reason="text-too-long", args={"name": "text"})
    med_id = str(body.get("medication") or "").removeprefix("MedicationRequest/")
    with store.write() as tx:
        ident = f"{p.ref}|{message_id.strip()}"
        existing = tx.find_by_ident("MedicationRequest", ident)
        if existing is not None:
            return {"request": existing, "replayed": True}
        original = tx.get("MedicationRequest", med_id[:64]) if med_id else None
        patient_id = ref_id((original or {}).get("subject"), "Patient")
        if original is None or original.get("intent") == "proposal" or patient_id not in subjects(tx, p):
            if original is not None and patient_id:  # someone else's: answered as if it did not exist
                access.log_denied(tx, p, patient_id, "patient API: renewal", "not allowed to act for this patient")
            raise FhirError(
                422,
                "Choose one of your prescriptions to renew (medication).",
                expression="medication",
                reason="not-found",
            )
        _acting_for(tx, p, patient_id, write=True)
        if original.get("status") != "active":
            raise FhirError(
                409,
                "That prescription is no longer active; write a message to your doctor instead.",
                reason="prescription-inactive",
            )
        service = _renewal_inbox(tx, patient_id, original, body.get("service"))
        proposal = {
            "resourceType": "MedicationRequest",
            "identifier": [{"system": c.CLIENT_MESSAGE_ID, "value": message_id.strip()}],
            "status": "draft",
            "intent": "proposal",
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
        _new_task(
            tx,
            patient_id,
            f"MedicationRequest/{proposal['id']}",
            service,
            f"Reseptfornyelse: {med_text}",
            code="renewal",
            requester=p,
        )
        return {"request": proposal, "replayed": False}


def _renewal_inbox(tx: Tx, patient_id: str, original: Resource, chosen: Any) -> Resource:
    """The inbox of a renewal request: the chosen service if it handles renewals (422 otherwise),
    else the prescriber's, else the regular GP's, else the one the patient last wrote to, among the
    services that handle renewals (routing.patient_services)."""
    from . import routing

    if isinstance(chosen, str) and chosen:
        return routing.addressable(tx, chosen.strip().removeprefix("HealthcareService/")[:64], renewal=True)
    from ..auth.principal import load_staff

    handles = {e["inbox"]["id"]: e["inbox"] for e in routing.patient_services(tx) if e["renewals"]}
    patient = tx.get("Patient", patient_id) or {}
    candidates = [ref_of(original.get("requester"))] + [ref_of(g) for g in patient.get("generalPractitioner") or []]
    for ref in candidates:
        if ref.startswith("Practitioner/"):
            staff = load_staff(tx, ref.split("/", 1)[1], username="", session_id=None)
            for pool in sorted(staff.pools):
                if pool in handles:
                    return dict(handles[pool])
    for pool in tasks.latest_pools_of_patient(tx, patient_id, 50):
        if pool in handles:
            return dict(handles[pool])
    raise FhirError(
        422,
        "No inbox could be found for this renewal; choose a service that handles renewals.",
        expression="service",
        reason="service-not-for-renewals",
    )
