"""Prescription renewals (reseptfornyelse): the checks a prescriber sees, and the decisions.

A renewal item is a Task with code `renewal` whose focus is a MedicationRequest proposal
(`intent` proposal, `status` draft) pointing at the order it renews by `priorPrescription`.

The review (`GET /fhir/Task/{id}/$renewal-review`) gathers the medicine, the prescription it renews,
the time since then, the patient's allergies and other active medicines, and warnings from the
knowledge table (`helsami_portal.knowledge.medicines`): allergy to the substance or its class,
known interactions with the active medicines, controlled substances (reseptgruppe A and B), and
medicines the table does not know (then nothing could be checked). Each warning has a stable code;
approving requires every current warning code in `acknowledge`, and the acknowledgement (code, who,
when) is recorded on the new order.

The renewal protocol says `routine` when all of these hold, else `exception` with the reasons:
  1. it renews an earlier prescription of the same medicine for the same patient (renewed before),
     and that prescription is still active;
  2. the earlier prescription is no older than the medicine's usual renewal interval;
  3. the dosage is unchanged;
  4. there are no warnings, and none of the patient's records were hidden from the check
     (restriction / skjerming).
"""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal, load_staff
from ..fhir import conventions as c, reasons as rs, timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import human_name, ref_of
from ..store.store import Store
from . import access, decisions as d
from .renewal_review import CODE, EXT_ACK, VALIDITY, _med_text, _proposal_and_prior, assess, describe, review

__all__ = ["EXT_ACK", "describe", "review"]  # the review is a module of its own; callers find it here too

Resource = dict[str, Any]


# -- decisions --------------------------------------------------------------------------------


def _acks(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part[:200])
    return out


def approve(
    store: Store,
    p: Principal,
    task_id: str,
    if_match: str | None,
    acknowledge: list[str],
    comment: str,
    *,
    routine_only: bool = False,
) -> tuple[Resource, list[Resource]]:
    """Approve (prescribers only): a new active order replaces the one renewed; the patient is told.
    `routine_only` (batch triage): refuse (409 not-routine) unless the protocol says routine."""
    expected = d_parse(if_match)
    acks = _acks(acknowledge)
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "approving a renewal")
        access.require_role(
            p,
            "physician",
            what="approve a prescription renewal: only prescribers (physicians) "
            "sign. Prepare it and pend it to a physician instead ($pend)",
            reason="prescriber-only",
        )
        d.require_available(p, t)
        proposal, prior = _proposal_and_prior(tx, t)
        if proposal.get("status") != "draft":
            raise d.conflict(
                f"The request was already decided (status {proposal.get('status')}).",
                t,
                reason="already-decided",
                args={"item": rs.task_ref(t), "status": str(proposal.get("status"))},
            )
        d.check_version(t, expected)
        result = assess(tx, p, t)
        if routine_only and result["protocol"]["verdict"] != "routine":
            codes = ",".join(str(r["code"]) for r in result["protocol"]["reasons"])
            raise FhirError(
                409,
                f"Not a routine renewal by the protocol ({codes}); decide it on its own.",
                code="business-rule",
                current=t,
                reason="not-routine",
                args={"item": rs.task_ref(t), "reasons": codes},
            )
        missing = [w for w in result["warnings"] if w["code"] not in acks]
        if missing:
            names = "; ".join(f"{w['code']} ({w['text']})" for w in missing)
            raise FhirError(
                409,
                f"Acknowledge every warning before approving. Not acknowledged: {names}",
                code="business-rule",
                current=t,
                reason="warnings-not-acknowledged",
                args={"item": rs.task_ref(t), "warnings": ",".join(w["code"] for w in missing)},
            )
        today = timeutil.clinical_today()
        text = _med_text(proposal)
        order: Resource = {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": proposal.get("medicationCodeableConcept"),
            "subject": proposal.get("subject"),
            "authoredOn": tx.now,
            "requester": p.reference(),
            "basedOn": [{"reference": f"MedicationRequest/{proposal['id']}"}],
            "dosageInstruction": proposal.get("dosageInstruction") or (prior or {}).get("dosageInstruction"),
            "dispenseRequest": {
                "validityPeriod": {"start": today.isoformat(), "end": (today + VALIDITY).isoformat()},
                **(
                    {"quantity": q}
                    if (
                        q := (
                            (proposal.get("dispenseRequest") or {}).get("quantity")
                            or ((prior or {}).get("dispenseRequest") or {}).get("quantity")
                        )
                    )
                    else {}
                ),
            },
        }
        if prior is not None:
            order["priorPrescription"] = {"reference": f"MedicationRequest/{prior['id']}"}
            if prior.get("reasonReference"):
                order["reasonReference"] = prior["reasonReference"]
        warned = {w["code"]: w for w in result["warnings"]}
        if warned:
            order["extension"] = [
                {
                    "url": EXT_ACK,
                    "extension": [
                        {"url": "code", "valueCode": code},
                        {"url": "text", "valueString": warned[code]["text"]},
                        {"url": "by", "valueReference": p.reference()},
                        {"url": "at", "valueDateTime": tx.now},
                    ],
                }
                for code in warned
            ]
            order["note"] = [
                {
                    "authorReference": p.reference(),
                    "time": tx.now,
                    "text": "Advarsler vurdert og kvittert ved fornyelse: "
                    + "; ".join(w["text"] for w in warned.values()),
                }
            ]
        order = tx.create({k: v for k, v in order.items() if v is not None})
        changed = [order]
        new_prop = dict(proposal)
        new_prop["status"] = "completed"
        changed.append(tx.update(new_prop, expected_version=int(proposal["meta"]["versionId"])))
        if prior is not None and prior.get("status") == "active":
            new_prior = dict(prior)
            new_prior["status"] = "completed"  # replaced by the new order
            changed.append(tx.update(new_prior, expected_version=int(prior["meta"]["versionId"])))
        new = d.copy_task(t)
        d.take(new, t, p)
        new["status"] = c.STATUS_DONE
        new["businessStatus"] = d.business("approved")
        new["output"] = [
            {"type": {"text": "new-order"}, "valueReference": {"reference": f"MedicationRequest/{order['id']}"}}
        ]
        msg = (
            f"Resepten din på {text} er fornyet. Den nye resepten er gyldig i ett år, og du kan hente "
            "legemidlet på apoteket som vanlig."
        )
        if comment:
            msg += f"\n\n{comment}"
        message = d.patient_message(tx, p, t, new, f"Reseptfornyelse: {text}", msg)
        d.audit_operation(tx, p, t, f"renewal approved, Task/{t['id']}: MedicationRequest, AllergyIntolerance")
        saved = d.save(tx, t, new, "approve")
        return saved, changed + [message]


def deny(
    store: Store, p: Principal, task_id: str, if_match: str | None, reason: str
) -> tuple[Resource, list[Resource]]:
    expected = d_parse(if_match)
    reason = d.text_param(reason, "reason", required=True, what="A reason the patient can read")
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "denying a renewal")
        access.require_role(
            p,
            "physician",
            what="deny a prescription renewal: only prescribers (physicians) "
            "decide. Pend it to a physician instead ($pend)",
            reason="prescriber-only",
        )
        d.require_available(p, t)
        proposal, _prior = _proposal_and_prior(tx, t)
        if proposal.get("status") != "draft":
            raise d.conflict(
                f"The request was already decided (status {proposal.get('status')}).",
                t,
                reason="already-decided",
                args={"item": rs.task_ref(t), "status": str(proposal.get("status"))},
            )
        d.check_version(t, expected)
        text = _med_text(proposal)
        new_prop = dict(proposal)
        new_prop["status"] = "cancelled"
        new_prop["statusReason"] = {"text": reason}
        prop = tx.update(new_prop, expected_version=int(proposal["meta"]["versionId"]))
        new = d.copy_task(t)
        d.take(new, t, p)
        new["status"] = c.STATUS_DONE
        new["businessStatus"] = d.business("denied")
        message = d.patient_message(
            tx,
            p,
            t,
            new,
            f"Reseptfornyelse: {text}",
            f"Vi har ikke fornyet resepten din på {text}.\n\nBegrunnelse: {reason}\n\nTa kontakt hvis du har spørsmål.",
        )
        d.audit_operation(tx, p, t, f"renewal denied, Task/{t['id']}: MedicationRequest")
        return d.save(tx, t, new, "deny"), [prop, message]


def pend(
    store: Store, p: Principal, task_id: str, if_match: str | None, target: str, note: str
) -> tuple[Resource, list[Resource]]:
    """A nurse (or physician) prepares the renewal and pends it to a named prescriber."""
    expected = d_parse(if_match)
    note = d.text_param(note, "note", required=False, what="An internal note")
    typ, _, target_id = (target or "").partition("/")
    if typ != "Practitioner" or not target_id:
        raise FhirError(
            400,
            "Pend needs a target: Practitioner/<id>, a physician who can sign.",
            expression="target",
            reason="target-required",
            args={"name": "target"},
        )
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "pending a renewal")
        access.require_role(p, "physician", "nurse", what="prepare and pend renewals")
        d.require_available(p, t)
        dest = tx.get("Practitioner", target_id)
        if dest is None or dest.get("active") is False:
            raise FhirError(
                422,
                "There is no active staff member with that id to pend to.",
                expression="target",
                reason="target-inactive",
                args={"name": "target", "target": {"reference": f"Practitioner/{target_id}"}},
            )
        staff = load_staff(tx, target_id, username="", session_id=None)
        if not staff.has_role("physician"):
            raise FhirError(
                422,
                f"{human_name(dest)} is not a prescriber; pend renewals to a physician.",
                expression="target",
                reason="not-a-prescriber",
                args={"who": {"reference": f"Practitioner/{target_id}", "display": human_name(dest)}},
            )
        if ref_of(t.get("owner")) == f"Practitioner/{target_id}":
            raise d.conflict(
                "The item is already with that physician.",
                t,
                reason="already-there",
                args={"item": rs.task_ref(t), "target": rs.ref(t.get("owner") or {})},
            )
        d.check_version(t, expected)
        new = d.copy_task(t)
        d.take(new, t, p)
        new["owner"] = {"reference": f"Practitioner/{target_id}", "display": human_name(dest)}
        new["status"] = c.STATUS_WAITING
        new["businessStatus"] = d.business("pended")
        d.note(new, p, tx, note or f"Klargjort og sendt til {human_name(dest)} for signering.", kind="pend")
        return d.save(tx, t, new, "pend"), []


def ask_info(
    store: Store, p: Principal, task_id: str, if_match: str | None, text: str
) -> tuple[Resource, list[Resource]]:
    """Ask the patient for more information; the item waits (businessStatus waiting-for-patient)."""
    expected = d_parse(if_match)
    text = d.text_param(text, "text", required=True, what="The question for the patient")
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "asking for information")
        access.require_role(p, "physician", "nurse", what="ask patients about renewals")
        d.require_available(p, t)
        proposal, _prior = _proposal_and_prior(tx, t)
        d.check_version(t, expected)
        med = _med_text(proposal)
        new = d.copy_task(t)
        new["businessStatus"] = d.business("waiting-for-patient")
        message = d.patient_message(
            tx,
            p,
            t,
            new,
            f"Reseptfornyelse: {med}",
            f"Vi trenger litt mer informasjon før vi kan behandle ønsket ditt om ny "
            f"resept på {med}:\n\n{text}\n\nSvar på denne meldingen.",
        )
        return d.save(tx, t, new, "ask-info"), [message]


def d_parse(if_match: str | None) -> int:
    from .items import parse_if_match

    return parse_if_match(if_match)
