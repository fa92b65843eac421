"""Whom a patient-side user acts for: the patient themself, a proxy (RelatedPerson) within its
Consent grants, a parent by parental responsibility; and the one 404 for everyone else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, ref_id, ref_of
from ..store.query import parse_query
from ..store.store import Tx
from . import access

Resource = dict[str, Any]
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
        raise access.forbidden("This part of the API is for patients and their proxies.", reason="patients-only")
    typ, pid = p.ref.split("/", 1)
    if typ == "Patient":
        return {pid: "self"}
    rp = tx.get("RelatedPerson", pid)
    if rp is None:
        return {}
    patient_id, level = related_level(tx, rp)
    return {patient_id: level} if level else {}


GRANTER_AGE = 16  # a patient of 16 or older with capacity to consent may give a grant
PROXY_AGE = 18  # ... to an adult
CHILD_NARROWS = 12  # parental responsibility: full under 12, messages only from 12, nothing from 16
PARENT = frozenset({"PRN", "MTH", "FTH", "PRNFOST", "STPPRN", "GUARD", "parent"})


def _birthday(birth: str, years: int) -> str:
    """The date (ISO) a person born on `birth` turns `years`; "" if the birth date is unknown."""
    try:
        b = dt.date.fromisoformat(birth[:10])
    except ValueError:
        return ""
    try:
        return b.replace(year=b.year + years).isoformat()
    except ValueError:  # born 29 February
        return dt.date(b.year + years, 3, 1).isoformat()


def has_capacity(patient: Resource) -> bool:
    """False when the patient is recorded as lacking capacity to consent (conventions.EXT_CONSENT_CAPACITY)."""
    for ext in patient.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == c.EXT_CONSENT_CAPACITY:
            return ext.get("valueBoolean") is not False
    return True


def _grant_level(consent: Resource, patient: Resource, now: str) -> str:
    """The level an active proxy grant gives now, or "" if it does not count.

    It counts only if the patient gave it themself (`performer` is the patient, or absent), on or
    after their 16th birthday and with capacity to consent, and its period has begun and not ended.
    A parent's consent for a child is no grant by the patient: it ends at 16 whatever its period says.
    """
    prov = consent.get("provision") or {}
    period = prov.get("period") or {}
    if period.get("start") and timeutil.norm(period["start"]) > now:
        return ""
    if period.get("end") and timeutil.norm(period["end"]) < now:
        return ""
    performers = {ref_of(x) for x in consent.get("performer") or [] if isinstance(x, dict)}
    if performers and performers != {f"Patient/{patient.get('id')}"}:
        return ""
    of_age = _birthday(str(patient.get("birthDate") or ""), GRANTER_AGE)
    given = str(consent.get("dateTime") or period.get("start") or "")[:10]
    if not of_age or (given and given < of_age) or not has_capacity(patient):
        return ""
    best = ""
    for cat in list(prov.get("code") or []) + list(consent.get("category") or []):
        for coding in cat.get("coding") or [] if isinstance(cat, dict) else []:
            if coding.get("system") == PROXY_LEVEL and coding.get("code") in LEVELS:
                best = max(best, coding["code"], key=lambda lv: LEVELS.index(lv) if lv else -1)
    return best


def related_level(tx: Tx, rp: Resource) -> tuple[str, str]:
    """(patient id, level) a RelatedPerson may act with now; level "" if none. Checked at every request.

    Under 16: parents (and guardians) act by parental responsibility, fully under 12 and for
    messages only from 12; nobody else may act for the child. From 16: only grants the patient
    gave themself (16 or older, with capacity to consent) to a proxy who is 18 or older now;
    a parent's access ends at 16 whatever a consent's period says.
    """
    pid = str(rp.get("id"))
    if rp.get("active") is False:
        return "", ""
    patient_id = ref_id(rp.get("patient"), "Patient")
    patient = tx.get("Patient", patient_id)
    if patient is None:
        return "", ""
    today = timeutil.clinical_today()
    age = _age(str(patient.get("birthDate") or ""), today)
    if not patient.get("birthDate"):
        return patient_id, ""
    rels = {first_code(r) for r in rp.get("relationship") or []}
    if age < GRANTER_AGE:
        if rels & PARENT:
            return patient_id, "full" if age < CHILD_NARROWS else "messages"
        return patient_id, ""
    proxy_birth = str(rp.get("birthDate") or "")
    if not proxy_birth or _age(proxy_birth, today) < PROXY_AGE:
        return patient_id, ""
    q = parse_query(
        "Consent", [("patient", f"Patient/{patient_id}"), ("actor", f"RelatedPerson/{pid}"), ("status", "active")]
    )
    best = ""
    for consent in tx.search("Consent", q.where, count=20).rows:
        level = _grant_level(consent, patient, tx.now)
        best = max(best, level, key=lambda lv: LEVELS.index(lv) if lv else -1)
    return patient_id, best


NO_PATIENT = "There is no such patient among those you can act for."
NO_THREAD = "There is no such conversation."


def not_found(diagnostics: str) -> FhirError:
    """The one answer for an id that does not exist and an id of someone the caller does not act
    for: the patient API must not tell which ids exist."""
    return FhirError(404, diagnostics, code="not-found", reason="not-found")


def _acting_for(tx: Tx, p: Principal, patient_id: str | None, *, write: bool, missing: str = NO_PATIENT) -> str:
    """The patient this request acts for (the caller may act for them now), else 404 `missing`
    (the same as for an id that does not exist; the attempt is logged for the patient)."""
    allowed = subjects(tx, p)
    if not patient_id:
        if len(allowed) != 1:
            raise FhirError(
                400,
                "Say which patient this is for (patient).",
                expression="patient",
                reason="parameter-required",
                args={"name": "patient"},
            )
        patient_id = next(iter(allowed))
    level = allowed.get(patient_id)
    if level is None:
        if isinstance(patient_id, str) and tx.get("Patient", patient_id[:64]) is not None:
            access.log_denied(tx, p, patient_id, "patient API", "not allowed to act for this patient")
        raise not_found(missing)
    if write and level not in CAN_WRITE:
        access.log_denied(tx, p, patient_id, "patient API: send", f"proxy level {level} does not allow sending")
        raise FhirError(
            403,
            "Your access for this patient does not include sending messages.",
            code="forbidden",
            reason="proxy-scope",
            args={"scope": "messages"},
        )
    return patient_id
