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

import datetime as dt
import re
from typing import Any

from ..auth.principal import Principal, load_staff
from ..fhir import conventions as c
from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, human_name, ref_id, ref_of
from ..knowledge import medicines as kb
from ..store.query import parse_query
from ..store.store import Store, Tx
from . import access
from . import decisions as d

Resource = dict[str, Any]
ATC_SYSTEM = "http://www.whocc.no/atc"
EXT_ACK = f"{c.BASE}/StructureDefinition/acknowledged-warning"
CODE = "renewal"
VALIDITY = dt.timedelta(days=365)

_STRENGTH = re.compile(r"(\d[\d,.\s]*(?:mg|mikrog|µg|g|ml|IE|%)(?:/(?:ml|dose|g|time|døgn))?)", re.I)


def _atc(med: Resource | None) -> tuple[str, str]:
    concept = (med or {}).get("medicationCodeableConcept") or {}
    for coding in concept.get("coding") or []:
        sys = str(coding.get("system") or "")
        if "atc" in sys.lower():
            return str(coding.get("code") or ""), str(coding.get("display") or "")
    return "", ""


def _med_text(med: Resource | None) -> str:
    concept = (med or {}).get("medicationCodeableConcept") or {}
    return str(concept.get("text") or _atc(med)[1] or "legemiddel")


def _dosage(med: Resource | None) -> str:
    return " ".join(str(x.get("text") or "") for x in (med or {}).get("dosageInstruction") or []
                    if isinstance(x, dict)).strip()


def describe(text: str) -> dict[str, str]:
    """Name, strength and form from a product text such as "Metformin 500 mg tablett"."""
    m = _STRENGTH.search(text)
    if not m:
        return {"name": text, "strength": "", "form": ""}
    return {"name": text[:m.start()].strip(), "strength": m.group(1).strip(),
            "form": text[m.end():].strip()}


def _days_between(a: str, b: str) -> int | None:
    try:
        return (timeutil.parse(b) - timeutil.parse(a)).days
    except (ValueError, TypeError):
        return None


def _allergy_atc(a: Resource) -> tuple[str, str]:
    code = a.get("code") or {}
    atc = ""
    for coding in code.get("coding") or []:
        if "atc" in str(coding.get("system") or "").lower():
            atc = str(coding.get("code") or "")
    return atc, str(code.get("text") or "")


def _active(a: Resource) -> bool:
    status = first_code(a.get("clinicalStatus"))
    return status in ("", "active")


def _patient_records(tx: Tx, p: Principal, pid: str) -> tuple[list[Resource], list[Resource], int]:
    """Active allergies and active orders of the patient that this staff member may see, and how
    many records a restriction (skjerming) hid."""
    hidden = [] if access.break_glass_reason(tx, p, pid) else access.hidden_from(tx, p, pid)
    q = parse_query("AllergyIntolerance", [("patient", f"Patient/{pid}")])
    allergies = [a for a in tx.search("AllergyIntolerance", q.where, count=200).rows if _active(a)]
    q = parse_query("MedicationRequest", [("patient", f"Patient/{pid}"), ("status", "active")])
    meds = [m for m in tx.search("MedicationRequest", q.where, count=200).rows if m.get("intent") != "proposal"]
    n_hidden = 0
    if hidden:
        kept_a = [a for a in allergies if not access.restricted(hidden, a)]
        kept_m = [m for m in meds if not access.restricted(hidden, m)]
        n_hidden = len(allergies) - len(kept_a) + len(meds) - len(kept_m)
        allergies, meds = kept_a, kept_m
    return allergies, meds, n_hidden


def _proposal_and_prior(tx: Tx, t: Resource) -> tuple[Resource, Resource | None]:
    focus = ref_of(t.get("focus"))
    proposal = tx.get_ref(focus) if focus.startswith("MedicationRequest/") else None
    if proposal is None:
        raise d.conflict("This renewal item has no prescription request to decide on.", t)
    prior_ref = ref_of(proposal.get("priorPrescription"))
    prior = tx.get_ref(prior_ref) if prior_ref.startswith("MedicationRequest/") else None
    return proposal, prior


def assess(tx: Tx, p: Principal, t: Resource) -> dict[str, Any]:
    """Everything the renewal screen shows, computed from the current records (no access log)."""
    pid = d.patient_id(t)
    proposal, prior = _proposal_and_prior(tx, t)
    atc, atc_display = _atc(proposal)
    text = _med_text(proposal)
    sub = kb.substance(atc)
    allergies, meds, n_hidden = _patient_records(tx, p, pid)
    prior_ref = f"MedicationRequest/{prior['id']}" if prior else ""
    others = [m for m in meds if f"MedicationRequest/{m['id']}" != prior_ref]
    warnings: list[dict[str, Any]] = []
    for a in allergies:
        a_atc, a_text = _allergy_atc(a)
        hit = kb.allergy_match(a_atc, a_text, atc)
        if hit:
            kind, name = hit
            what = "dette virkestoffet" if kind == "substance" else f"samme legemiddelgruppe ({name})"
            warnings.append({
                "code": f"allergy:{a['id']}", "kind": "allergy", "severity": "high",
                "text": f"Registrert allergi/intoleranse: {a_text or a_atc} – gjelder {what}.",
                "with": f"AllergyIntolerance/{a['id']}",
            })
    if sub is not None or kb.classes_of(atc):
        for m in others:
            m_atc, _ = _atc(m)
            if not m_atc or m_atc == atc:
                continue
            for rule in kb.interactions_between(atc, m_atc):
                warnings.append({
                    "code": f"interaction:{rule.code}:{m['id']}", "kind": "interaction",
                    "severity": rule.severity, "text": f"{rule.text} Aktiv resept: {_med_text(m)}.",
                    "with": f"MedicationRequest/{m['id']}",
                })
    group = kb.reseptgruppe(atc)
    if group:
        warnings.append({"code": f"controlled:{group}", "kind": "controlled", "severity": "high",
                         "text": kb.GROUP_TEXT[group]})
    if sub is None:
        warnings.append({"code": f"unknown-medicine:{atc or 'none'}", "kind": "unknown-medicine",
                         "severity": "moderate",
                         "text": "Legemidlet finnes ikke i kunnskapstabellen; allergier og interaksjoner er "
                                 "ikke kontrollert."})
    since = _days_between(str((prior or {}).get("authoredOn") or ""), tx.now) if prior else None
    interval = kb.interval_days(atc)
    reasons: list[dict[str, str]] = []
    if prior is None:
        reasons.append({"code": "not-renewed-before",
                        "text": "Forespørselen viser ikke til en tidligere resept på legemidlet."})
    else:
        if ref_id(prior.get("subject"), "Patient") != pid or (_atc(prior)[0] or atc) != atc:
            reasons.append({"code": "not-renewed-before",
                            "text": "Den tidligere resepten gjelder et annet legemiddel eller en annen pasient."})
        if prior.get("status") != "active":
            reasons.append({"code": "prior-not-active",
                            "text": f"Den tidligere resepten er ikke aktiv (status {prior.get('status')})."})
        if since is None:
            reasons.append({"code": "no-prior-date", "text": "Datoen for forrige resept er ukjent."})
        elif interval is not None and since > interval:
            reasons.append({"code": "interval-exceeded",
                            "text": f"Det er {since} dager siden forrige resept; vanlig intervall er {interval} dager."})
        if _dosage(prior) and _dosage(proposal) and _dosage(prior) != _dosage(proposal):
            reasons.append({"code": "dosage-changed", "text": "Doseringen er endret fra forrige resept."})
    if warnings:
        reasons.append({"code": "warnings", "text": f"{len(warnings)} advarsel(er) må vurderes."})
    if n_hidden:
        reasons.append({"code": "restricted-records",
                        "text": f"{n_hidden} journalopplysning(er) er skjermet og ikke kontrollert."})
    prescriber = (prior or {}).get("requester") or {}
    validity = ((prior or {}).get("dispenseRequest") or {}).get("validityPeriod") or {}
    patient = tx.get("Patient", pid) or {}
    return {
        "task": {"id": t["id"], "versionId": t["meta"]["versionId"], "status": t.get("status"),
                 "businessStatus": first_code(t.get("businessStatus"))},
        "patient": {"reference": f"Patient/{pid}", "display": human_name(patient)},
        "medication": {"text": text, **describe(text), "atc": atc, "atcDisplay": atc_display,
                       "substance": sub.name if sub else "", "dosage": _dosage(proposal),
                       "classes": [kb.CLASSES[k].name for k in kb.classes_of(atc)],
                       "reseptgruppe": group or (sub.reseptgruppe if sub else "")},
        "request": {"reference": f"MedicationRequest/{proposal['id']}", "authoredOn": proposal.get("authoredOn"),
                    "requester": proposal.get("requester"),
                    "note": [str(n.get("text") or "") for n in proposal.get("note") or []]},
        "priorPrescription": None if prior is None else {
            "reference": prior_ref, "authoredOn": prior.get("authoredOn"),
            "prescriber": {"reference": ref_of(prescriber), "display": str(prescriber.get("display") or "")},
            "status": prior.get("status"), "dosage": _dosage(prior), "validUntil": validity.get("end")},
        "daysSinceLastPrescription": since,
        "usualIntervalDays": interval,
        "allergies": [{"reference": f"AllergyIntolerance/{a['id']}", "text": _allergy_atc(a)[1],
                       "atc": _allergy_atc(a)[0], "criticality": a.get("criticality"),
                       "type": a.get("type"),
                       "reaction": "; ".join(str(mf.get("text") or "") for r in a.get("reaction") or []
                                             for mf in r.get("manifestation") or [])} for a in allergies],
        "activeMedications": [{"reference": f"MedicationRequest/{m['id']}", "text": _med_text(m),
                               "atc": _atc(m)[0], "authoredOn": m.get("authoredOn"), "dosage": _dosage(m)}
                              for m in others],
        "restrictedRecords": n_hidden,
        "warnings": warnings,
        "protocol": {"verdict": "exception" if reasons else "routine", "reasons": reasons},
        "knowledge": {"sources": list(kb.SOURCES),
                      "note": "Et lite, dokumentert utvalg; ikke en fullstendig interaksjonsdatabase."},
    }


def review(store: Store, p: Principal, task_id: str) -> dict[str, Any]:
    """GET $renewal-review: clinical staff with a care relation; the read is logged."""
    with store.write() as tx:
        t = tx.require("Task", task_id)
        access.require_task_access(tx, p, t)
        kind = first_code(t.get("code"), c.TASK_TYPE)
        if kind != CODE:
            raise FhirError(409, f"This item is a {kind or 'different'} item, not a renewal.", code="business-rule")
        pid = d.patient_id(t)
        what = f"renewal review of Task/{t['id']}: MedicationRequest, AllergyIntolerance"
        reason = access.require_patient_access(tx, p, pid, "MedicationRequest", what)
        out = assess(tx, p, t)
        access.audit(tx, p, pid, what, reason)
        return out


# -- decisions --------------------------------------------------------------------------------

def _acks(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part[:200])
    return out


def approve(store: Store, p: Principal, task_id: str, if_match: str | None, acknowledge: list[str],
            comment: str) -> tuple[Resource, list[Resource]]:
    """Approve (prescribers only): a new active order replaces the one renewed; the patient is told."""
    expected = d_parse(if_match)
    acks = _acks(acknowledge)
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "approving a renewal")
        access.require_role(p, "physician", what="approve a prescription renewal: only prescribers (physicians) "
                                                 "sign. Prepare it and pend it to a physician instead ($pend)")
        d.require_available(p, t)
        proposal, prior = _proposal_and_prior(tx, t)
        if proposal.get("status") != "draft":
            raise d.conflict(f"The request was already decided (status {proposal.get('status')}).", t)
        d.check_version(t, expected)
        result = assess(tx, p, t)
        missing = [w for w in result["warnings"] if w["code"] not in acks]
        if missing:
            names = "; ".join(f"{w['code']} ({w['text']})" for w in missing)
            raise FhirError(409, f"Acknowledge every warning before approving. Not acknowledged: {names}",
                            code="business-rule", current=t)
        today = timeutil.utcnow().date()
        text = _med_text(proposal)
        order: Resource = {
            "resourceType": "MedicationRequest", "status": "active", "intent": "order",
            "medicationCodeableConcept": proposal.get("medicationCodeableConcept"),
            "subject": proposal.get("subject"), "authoredOn": tx.now, "requester": p.reference(),
            "basedOn": [{"reference": f"MedicationRequest/{proposal['id']}"}],
            "dosageInstruction": proposal.get("dosageInstruction") or (prior or {}).get("dosageInstruction"),
            "dispenseRequest": {"validityPeriod": {"start": today.isoformat(),
                                                   "end": (today + VALIDITY).isoformat()}},
        }
        if prior is not None:
            order["priorPrescription"] = {"reference": f"MedicationRequest/{prior['id']}"}
            if prior.get("reasonReference"):
                order["reasonReference"] = prior["reasonReference"]
        warned = {w["code"]: w for w in result["warnings"]}
        if warned:
            order["extension"] = [{"url": EXT_ACK, "extension": [
                {"url": "code", "valueCode": code},
                {"url": "text", "valueString": warned[code]["text"]},
                {"url": "by", "valueReference": p.reference()},
                {"url": "at", "valueDateTime": tx.now}]} for code in warned]
            order["note"] = [{"authorReference": p.reference(), "time": tx.now,
                              "text": "Advarsler vurdert og kvittert ved fornyelse: "
                                      + "; ".join(w["text"] for w in warned.values())}]
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
        new["output"] = [{"type": {"text": "new-order"},
                          "valueReference": {"reference": f"MedicationRequest/{order['id']}"}}]
        msg = f"Resepten din på {text} er fornyet. Den nye resepten er gyldig i ett år, og du kan hente " \
              "legemidlet på apoteket som vanlig."
        if comment:
            msg += f"\n\n{comment}"
        message = d.patient_message(tx, p, t, new, f"Reseptfornyelse: {text}", msg)
        d.audit_operation(tx, p, t, f"renewal approved, Task/{t['id']}: MedicationRequest, AllergyIntolerance")
        saved = d.save(tx, t, new, "approve")
        return saved, changed + [message]


def deny(store: Store, p: Principal, task_id: str, if_match: str | None, reason: str) -> tuple[Resource, list[Resource]]:
    expected = d_parse(if_match)
    reason = d.text_param(reason, "reason", required=True, what="A reason the patient can read")
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "denying a renewal")
        access.require_role(p, "physician", what="deny a prescription renewal: only prescribers (physicians) "
                                                 "decide. Pend it to a physician instead ($pend)")
        d.require_available(p, t)
        proposal, _prior = _proposal_and_prior(tx, t)
        if proposal.get("status") != "draft":
            raise d.conflict(f"The request was already decided (status {proposal.get('status')}).", t)
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
        message = d.patient_message(tx, p, t, new, f"Reseptfornyelse: {text}",
                                    f"Vi har ikke fornyet resepten din på {text}.\n\nBegrunnelse: {reason}\n\n"
                                    "Ta kontakt hvis du har spørsmål.")
        d.audit_operation(tx, p, t, f"renewal denied, Task/{t['id']}: MedicationRequest")
        return d.save(tx, t, new, "deny"), [prop, message]


def pend(store: Store, p: Principal, task_id: str, if_match: str | None, target: str,
         note: str) -> tuple[Resource, list[Resource]]:
    """A nurse (or physician) prepares the renewal and pends it to a named prescriber."""
    expected = d_parse(if_match)
    note = d.text_param(note, "note", required=False, what="An internal note")
    typ, _, target_id = (target or "").partition("/")
    if typ != "Practitioner" or not target_id:
        raise FhirError(400, "Pend needs a target: Practitioner/<id>, a physician who can sign.", expression="target")
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "pending a renewal")
        access.require_role(p, "physician", "nurse", what="prepare and pend renewals")
        d.require_available(p, t)
        dest = tx.get("Practitioner", target_id)
        if dest is None or dest.get("active") is False:
            raise FhirError(422, "There is no active staff member with that id to pend to.", expression="target")
        staff = load_staff(tx, target_id, username="", session_id=None)
        if not staff.has_role("physician"):
            raise FhirError(422, f"{human_name(dest)} is not a prescriber; pend renewals to a physician.",
                            expression="target")
        if ref_of(t.get("owner")) == f"Practitioner/{target_id}":
            raise d.conflict("The item is already with that physician.", t)
        d.check_version(t, expected)
        new = d.copy_task(t)
        d.take(new, t, p)
        new["owner"] = {"reference": f"Practitioner/{target_id}", "display": human_name(dest)}
        new["status"] = c.STATUS_WAITING
        new["businessStatus"] = d.business("pended")
        d.note(new, p, tx, note or f"Klargjort og sendt til {human_name(dest)} for signering.")
        return d.save(tx, t, new, "pend"), []


def ask_info(store: Store, p: Principal, task_id: str, if_match: str | None,
             text: str) -> tuple[Resource, list[Resource]]:
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
        message = d.patient_message(tx, p, t, new, f"Reseptfornyelse: {med}",
                                    f"Vi trenger litt mer informasjon før vi kan behandle ønsket ditt om ny "
                                    f"resept på {med}:\n\n{text}\n\nSvar på denne meldingen.")
        return d.save(tx, t, new, "ask-info"), [message]


def d_parse(if_match: str | None) -> int:
    from .inbox import parse_if_match
    return parse_if_match(if_match)
