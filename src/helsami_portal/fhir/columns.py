"""The index columns each stored resource fills (patient, ref1, ref2, code, status, date, text1; and the Task
table's own), read out of its JSON: the `extract` functions of the registry's resource types."""

from __future__ import annotations

from typing import Any

from . import conventions as c
from .values import Resource, _date, _patient_of, first_code, human_name, identifier_value, ref_id, ref_of


def release_state(report: Resource) -> str:
    """A DiagnosticReport's release state for its `text1` column: "<category>|released" or
    "<category>|pending", so that the 14-day release job (workflow.results) finds due reports by index."""
    cat, released = "clinician-only", False
    for e in report.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == c.EXT_RELEASE_CATEGORY and isinstance(e.get("valueCode"), str):
            cat = e["valueCode"]
        if isinstance(e, dict) and e.get("url") == c.EXT_RELEASED_AT and e.get("valueDateTime"):
            released = True
    return f"{cat}|{'released' if released else 'pending'}"


def _extract_patient(r: Resource) -> dict[str, str]:
    return {
        "patient": str(r.get("id") or ""),
        "code": identifier_value(r, c.FNR_SYSTEM),
        "text1": human_name(r).lower()[:200],
        "date": _date(r.get("birthDate")),
    }


def _extract_practitioner(r: Resource) -> dict[str, str]:
    return {
        "code": identifier_value(r, c.HPR_SYSTEM),
        "text1": human_name(r).lower()[:200],
        "ref1": identifier_value(r, c.USERNAME_SYSTEM),
    }


def _extract_role(r: Resource) -> dict[str, str]:
    return {
        "ref1": ref_of(r.get("practitioner")),
        "ref2": ref_of(r.get("organization")),
        "code": first_code(r.get("code"), c.STAFF_ROLE),
    }


def _extract_service(r: Resource) -> dict[str, str]:
    return {
        "ref1": ref_of(r.get("providedBy")),
        "text1": str(r.get("name") or "").lower()[:200],
        "code": first_code(r.get("type"), c.INBOX_KIND),
    }


def _extract_org(r: Resource) -> dict[str, str]:
    return {
        "code": identifier_value(r, c.ORGNR_SYSTEM),
        "text1": str(r.get("name") or "").lower()[:200],
        "ref1": ref_of(r.get("partOf")),
    }


def _extract_communication(r: Resource) -> dict[str, str]:
    part_of = r.get("partOf") or []
    return {
        "patient": _patient_of(r, "subject"),
        "ref1": ref_of(part_of[0]) if part_of else "",
        "ref2": ref_of(r.get("sender")),
        "code": first_code(r.get("category"), c.COMM_CATEGORY),
        "status": str(r.get("status") or ""),
        "date": _date(r.get("sent")),
    }


def _extract_related(r: Resource) -> dict[str, str]:
    return {
        "patient": _patient_of(r, "patient"),
        "text1": human_name(r).lower()[:200],
        "code": identifier_value(r, c.FNR_SYSTEM),
    }


def _extract_consent(r: Resource) -> dict[str, str]:
    actors = (r.get("provision") or {}).get("actor") or []
    return {
        "patient": _patient_of(r, "patient"),
        "ref1": ref_of(actors[0].get("reference")) if actors else "",
        "status": str(r.get("status") or ""),
        "date": _date(r.get("dateTime")),
    }


def _extract_audit(r: Resource) -> dict[str, str]:
    patient = ""
    for ent in r.get("entity") or []:
        pid = ref_id(ent.get("what"), "Patient")
        if pid:
            patient = pid
            break
    who = ""
    for ag in r.get("agent") or []:
        who = ref_of(ag.get("who"))
        if who:
            break
    flagged = any(first_code(p) == "BTG" for ag in r.get("agent") or [] for p in ag.get("purposeOfUse") or [])
    return {
        "patient": patient,
        "ref1": who,
        "date": _date(r.get("recorded")),
        "code": first_code(r.get("subtype")) or str(r.get("action") or ""),
        "status": "break-glass" if flagged else "",
    }


def document_title(r: Resource) -> str:
    """The title of a library document or a copy sent to a patient (the attachment's, else the description)."""
    content = r.get("content") or []
    att = (content[0] or {}).get("attachment") if content and isinstance(content[0], dict) else None
    title = (att or {}).get("title") if isinstance(att, dict) else None
    return str(title or r.get("description") or "")


def document_service(r: Resource) -> str:
    extensions = r.get("extension")
    for e in extensions if isinstance(extensions, list) else []:
        if isinstance(e, dict) and e.get("url") == c.EXT_LIBRARY_SERVICE:
            return ref_of(e.get("valueReference"))
    return ""


def _extract_document(r: Resource) -> dict[str, str]:
    topic = ""
    for concept in r.get("category") or []:
        topic = topic or first_code(concept, c.EDU_TOPIC)
    related = (r.get("context") or {}).get("related") or []
    return {
        "patient": _patient_of(r, "subject"),
        "ref1": document_service(r),
        "ref2": ref_of(related[0]) if related else "",
        "code": topic,
        "status": str(r.get("status") or ""),
        "date": _date(r.get("date")),
        "text1": document_title(r).lower()[:200],
    }


def _appointment_patient(r: Resource) -> str:
    for p in r.get("participant") or []:
        pid = ref_id((p or {}).get("actor"), "Patient")
        if pid:
            return pid
    return ""


# Item types a patient starts (a message, a renewal request, a questionnaire, an appointment request,
# a call the patient made); other types (results) are made by the portal.
PATIENT_STARTED = frozenset({"message", "renewal", "questionnaire", "appointment", "phone-message"})


def placed_by(t: Resource) -> str:
    """Who put the item in its current inbox: the staff member who registered or forwarded it,
    else its requester (the patient); "" when the portal's routing made it."""
    for ext in t.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == c.EXT_PLACED_BY:
            return ref_of(ext.get("valueReference"))
    return ref_of(t.get("requester"))


def task_origin(t: Resource, by: str) -> str:
    """Where an inbox item placed by `by` (`placed_by`) came from, for the care relation it gives
    (workflow.care): "colleague", "patient" or "portal"."""
    if by.startswith("Practitioner/"):
        return "colleague"
    if by.startswith(("Patient/", "RelatedPerson/")):
        return "patient"
    return "patient" if first_code(t.get("code"), c.TASK_TYPE) in PATIENT_STARTED else "portal"


def task_care_columns(t: Resource) -> dict[str, str]:
    """The Task columns the care relation is read from (ix_task_patient_care): who placed the item
    (cut to the column's 100 characters: no caller's reference is that long) and where it came from."""
    by = placed_by(t)
    return {"placed_by": by[:100], "origin": task_origin(t, by)}


def task_columns(r: Resource) -> dict[str, Any]:
    owner = ref_of(r.get("owner"))
    pool = ""
    for ext in r.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == c.EXT_TASK_POOL:
            pool = ref_id(ext.get("valueReference"), "HealthcareService")
    if not pool and owner.startswith("HealthcareService/"):
        pool = owner.split("/", 1)[1]
    restriction = r.get("restriction") or {}
    deadline = ((restriction.get("period") or {}).get("end")) or ""
    return {
        "owner": owner,
        "pool": pool,
        "status": str(r.get("status") or ""),
        "code": first_code(r.get("code"), c.TASK_TYPE) or first_code(r.get("code")),
        "priority_rank": c.PRIORITY_RANK.get(str(r.get("priority") or "routine"), 3),
        "patient": ref_id(r.get("for"), "Patient"),
        "focus": ref_of(r.get("focus")),
        "authored": str(r.get("authoredOn") or ""),
        "business_status": first_code(r.get("businessStatus")),
        "deadline": str(deadline),
        "text1": str(r.get("description") or "").lower()[:200],
        **task_care_columns(r),
    }
