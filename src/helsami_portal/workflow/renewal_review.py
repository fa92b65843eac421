"""The review of a prescription renewal (`GET /fhir/Task/{id}/$renewal-review`): the medicine, the
prescription it renews, the patient's allergies and other medicines, the knowledge table's warnings,
and the renewal protocol's verdict (workflow/renewals.py describes them; the decisions are there)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, reasons as rs, timeutil
from ..fhir.registry import first_code, human_name, ref_id, ref_of
from ..knowledge import medicines as kb
from ..store.query import parse_query
from ..store.store import Store, Tx
from . import access, decisions as d

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
    return " ".join(
        str(x.get("text") or "") for x in (med or {}).get("dosageInstruction") or [] if isinstance(x, dict)
    ).strip()


def describe(text: str) -> dict[str, str]:
    """Name, strength and form from a product text such as "Metformin 500 mg tablett"."""
    m = _STRENGTH.search(text)
    if not m:
        return {"name": text, "strength": "", "form": ""}
    return {"name": text[: m.start()].strip(), "strength": m.group(1).strip(), "form": text[m.end() :].strip()}


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


def _patient_records(tx: Tx, p: Principal, pid: str, memo: access.Memo) -> tuple[list[Resource], list[Resource], int]:
    """Active allergies and active orders of the patient that this staff member may see (each
    passes the access decision), and how many were withheld."""
    q = parse_query("AllergyIntolerance", [("patient", f"Patient/{pid}")])
    allergies = [a for a in tx.search("AllergyIntolerance", q.where, count=200).rows if _active(a)]
    q = parse_query("MedicationRequest", [("patient", f"Patient/{pid}"), ("status", "active")])
    meds = [m for m in tx.search("MedicationRequest", q.where, count=200).rows if m.get("intent") != "proposal"]
    kept_a, hidden_a = access.screen(tx, p, allergies, memo)
    kept_m, hidden_m = access.screen(tx, p, meds, memo)
    return [a for a, _ in kept_a], [m for m, _ in kept_m], hidden_a + hidden_m


def _proposal_and_prior(tx: Tx, t: Resource) -> tuple[Resource, Resource | None]:
    focus = ref_of(t.get("focus"))
    proposal = tx.get_ref(focus) if focus.startswith("MedicationRequest/") else None
    if proposal is None:
        raise d.conflict(
            "This renewal item has no prescription request to decide on.",
            t,
            reason="item-incomplete",
            args={"item": rs.task_ref(t), "missing": "MedicationRequest"},
        )
    prior_ref = ref_of(proposal.get("priorPrescription"))
    prior = tx.get_ref(prior_ref) if prior_ref.startswith("MedicationRequest/") else None
    return proposal, prior


def assess(tx: Tx, p: Principal, t: Resource, memo: access.Memo | None = None) -> dict[str, Any]:
    """Everything the renewal screen shows, computed from the current records (no access log).
    Every record it shows passes the access decision; a withheld one is counted, not shown."""
    memo = memo or access.Memo(tx, p)
    pid = d.patient_id(t)
    proposal, prior = _proposal_and_prior(tx, t)
    atc, atc_display = _atc(proposal)
    text = _med_text(proposal)
    sub = kb.substance(atc)
    allergies, meds, n_hidden = _patient_records(tx, p, pid, memo)
    prior_ref = f"MedicationRequest/{prior['id']}" if prior else ""
    # The earlier prescription still judges the protocol, but is shown only if the caller may see it.
    prior_shown = prior is not None and access.decide(tx, p, prior, memo).allowed
    if prior is not None and not prior_shown:
        n_hidden += 1
    others = [m for m in meds if f"MedicationRequest/{m['id']}" != prior_ref]
    warnings: list[dict[str, Any]] = []
    for a in allergies:
        a_atc, a_text = _allergy_atc(a)
        hit = kb.allergy_match(a_atc, a_text, atc)
        if hit:
            kind, name = hit  # the substance's name, or the class's key
            class_name = kb.CLASSES[name].name if kind == "class" else ""
            what = "dette virkestoffet" if kind == "substance" else f"samme legemiddelgruppe ({class_name})"
            warnings.append(
                {
                    "code": f"allergy:{a['id']}",
                    "kind": "allergy",
                    "severity": "high",
                    "text": f"Registrert allergi/intoleranse: {a_text or a_atc} – gjelder {what}.",
                    "with": f"AllergyIntolerance/{a['id']}",
                    "args": {
                        "match": kind,
                        "allergen": a_text or a_atc,
                        "medicine": text,
                        **({"class": name, "group": class_name} if kind == "class" else {}),
                    },
                }
            )
    if sub is not None or kb.classes_of(atc):
        for m in others:
            m_atc, _ = _atc(m)
            if not m_atc or m_atc == atc:
                continue
            for rule in kb.interactions_between(atc, m_atc):
                warnings.append(
                    {
                        "code": f"interaction:{rule.code}:{m['id']}",
                        "kind": "interaction",
                        "severity": rule.severity,
                        "text": f"{rule.text} Aktiv resept: {_med_text(m)}.",
                        "with": f"MedicationRequest/{m['id']}",
                        "args": {"rule": rule.code, "medicine": text, "other": _med_text(m)},
                    }
                )
    group = kb.reseptgruppe(atc)
    if group:
        warnings.append(
            {
                "code": f"controlled:{group}",
                "kind": "controlled",
                "severity": "high",
                "text": kb.GROUP_TEXT[group],
                "args": {"group": group},
            }
        )
    if sub is None:
        warnings.append(
            {
                "code": f"unknown-medicine:{atc or 'none'}",
                "kind": "unknown-medicine",
                "severity": "moderate",
                "text": "Legemidlet finnes ikke i kunnskapstabellen; allergier og interaksjoner er ikke kontrollert.",
                "args": {"medicine": text, "atc": atc},
            }
        )
    since = _days_between(str((prior or {}).get("authoredOn") or ""), tx.now) if prior else None
    interval = kb.interval_days(atc)
    reasons: list[dict[str, Any]] = []
    if prior is None:
        reasons.append(
            {
                "code": "not-renewed-before",
                "text": "Forespørselen viser ikke til en tidligere resept på legemidlet.",
                "args": {"case": "no-prior"},
            }
        )
    else:
        if ref_id(prior.get("subject"), "Patient") != pid or (_atc(prior)[0] or atc) != atc:
            reasons.append(
                {
                    "code": "not-renewed-before",
                    "text": "Den tidligere resepten gjelder et annet legemiddel eller en annen pasient.",
                    "args": {"case": "other-medicine-or-patient"},
                }
            )
        if prior.get("status") != "active":
            reasons.append(
                {
                    "code": "prior-not-active",
                    "text": f"Den tidligere resepten er ikke aktiv (status {prior.get('status')}).",
                    "args": {"status": str(prior.get("status") or "")},
                }
            )
        if since is None:
            reasons.append({"code": "no-prior-date", "text": "Datoen for forrige resept er ukjent.", "args": {}})
        elif interval is not None and since > interval:
            reasons.append(
                {
                    "code": "interval-exceeded",
                    "text": f"Det er {since} dager siden forrige resept; vanlig intervall er {interval} dager.",
                    "args": {"days": since, "interval": interval},
                }
            )
        if _dosage(prior) and _dosage(proposal) and _dosage(prior) != _dosage(proposal):
            reasons.append({"code": "dosage-changed", "text": "Doseringen er endret fra forrige resept.", "args": {}})
    if warnings:
        reasons.append(
            {"code": "warnings", "text": f"{len(warnings)} advarsel(er) må vurderes.", "args": {"count": len(warnings)}}
        )
    if n_hidden:
        reasons.append(
            {
                "code": "restricted-records",
                "text": f"{n_hidden} journalopplysning(er) er skjermet og ikke kontrollert.",
                "args": {"count": n_hidden},
            }
        )
    prescriber = (prior or {}).get("requester") or {}
    validity = ((prior or {}).get("dispenseRequest") or {}).get("validityPeriod") or {}
    patient = tx.get("Patient", pid) or {}
    return {
        "task": {
            "id": t["id"],
            "versionId": t["meta"]["versionId"],
            "status": t.get("status"),
            "businessStatus": first_code(t.get("businessStatus")),
        },
        "patient": {"reference": f"Patient/{pid}", "display": human_name(patient)},
        "medication": {
            "text": text,
            **describe(text),
            "atc": atc,
            "atcDisplay": atc_display,
            "substance": sub.name if sub else "",
            "dosage": _dosage(proposal),
            "classes": [kb.CLASSES[k].name for k in kb.classes_of(atc)],
            "reseptgruppe": group or (sub.reseptgruppe if sub else ""),
        },
        "request": {
            "reference": f"MedicationRequest/{proposal['id']}",
            "authoredOn": proposal.get("authoredOn"),
            "requester": proposal.get("requester"),
            "note": [str(n.get("text") or "") for n in proposal.get("note") or []],
        },
        "priorPrescription": None
        if prior is None or not prior_shown
        else {
            "reference": prior_ref,
            "authoredOn": prior.get("authoredOn"),
            "prescriber": {"reference": ref_of(prescriber), "display": str(prescriber.get("display") or "")},
            "status": prior.get("status"),
            "dosage": _dosage(prior),
            "validUntil": validity.get("end"),
        },
        "daysSinceLastPrescription": since,
        "usualIntervalDays": interval,
        "allergies": [
            {
                "reference": f"AllergyIntolerance/{a['id']}",
                "text": _allergy_atc(a)[1],
                "atc": _allergy_atc(a)[0],
                "criticality": a.get("criticality"),
                "type": a.get("type"),
                "reaction": "; ".join(
                    str(mf.get("text") or "") for r in a.get("reaction") or [] for mf in r.get("manifestation") or []
                ),
            }
            for a in allergies
        ],
        "activeMedications": [
            {
                "reference": f"MedicationRequest/{m['id']}",
                "text": _med_text(m),
                "atc": _atc(m)[0],
                "authoredOn": m.get("authoredOn"),
                "dosage": _dosage(m),
            }
            for m in others
        ],
        "restrictedRecords": n_hidden,
        "warnings": warnings,
        "protocol": {"verdict": "exception" if reasons else "routine", "reasons": reasons},
        "order": _order_summary(proposal, prior),
        "knowledge": {
            "sources": list(kb.SOURCES),
            "note": "Et lite, dokumentert utvalg; ikke en fullstendig interaksjonsdatabase.",
        },
    }


def _quantity(med: Resource | None) -> str:
    q = ((med or {}).get("dispenseRequest") or {}).get("quantity") or {}
    value, unit = q.get("value"), str(q.get("unit") or q.get("code") or "")
    return f"{value} {unit}".strip() if value is not None else ""


def _order_summary(proposal: Resource, prior: Resource | None) -> dict[str, Any]:
    """What approving makes: the medicine, dose, amount and validity of the new order (as `approve`
    writes it), for the one-line confirmation before approval."""
    today = timeutil.clinical_today()
    return {
        "medicine": _med_text(proposal),
        "dosage": _dosage(proposal) or _dosage(prior),
        "quantity": _quantity(proposal) or _quantity(prior),
        "validFrom": today.isoformat(),
        "validUntil": (today + VALIDITY).isoformat(),
    }


def review(store: Store, p: Principal, task_id: str) -> dict[str, Any]:
    """GET $renewal-review: clinical staff with a care relation; the read is logged."""
    with store.write() as tx:
        t = d.load_for_review(tx, p, task_id, CODE, "a renewal")
        pid = d.patient_id(t)
        what = f"renewal review of Task/{t['id']}: MedicationRequest, AllergyIntolerance"
        memo = access.Memo(tx, p)
        proposal, _ = _proposal_and_prior(tx, t)
        v = access.decide(tx, p, proposal, memo)
        if not v.allowed:
            raise access.refusal(tx, p, v, what)
        out = assess(tx, p, t, memo)
        access.audit(tx, p, v.patient or pid, what, v.basis)
        return out
