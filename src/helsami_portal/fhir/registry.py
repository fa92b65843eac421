"""The resource types the server supports, their search parameters and index columns.

One table drives storage (which columns a resource fills), search (which parameters exist and
which column answers them) and the CapabilityStatement (what the server says it supports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import conventions as c

Resource = dict[str, Any]


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # token | reference | date | string
    column: str
    doc: str
    target: str | None = None  # for references: the default resource type of a bare id


@dataclass(frozen=True)
class Include:
    name: str  # e.g. "focus" in Task:focus
    paths: Callable[[Resource], list[str]]  # references ("Type/id") it follows


@dataclass
class ResourceDef:
    name: str
    extract: Callable[[Resource], dict[str, str]]
    params: dict[str, SearchParam]
    sorts: dict[str, str]  # sort name -> column
    default_sort: list[tuple[str, bool]]  # (column, descending)
    includes: dict[str, Include] = field(default_factory=dict)
    interactions: tuple[str, ...] = ("read", "vread", "history-instance", "search-type")
    doc: str = ""


def ref_of(value: Any) -> str:
    """The "Type/id" of a FHIR Reference, or "" if none."""
    if isinstance(value, dict):
        r = value.get("reference")
        if isinstance(r, str):
            return r
    return ""


def ref_id(value: Any, expected: str | None = None) -> str:
    r = ref_of(value)
    if not r or "/" not in r:
        return ""
    typ, _, rid = r.partition("/")
    if expected and typ != expected:
        return ""
    return rid


def first_code(concept: Any, system: str | None = None) -> str:
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if not isinstance(concept, dict):
        return ""
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and (system is None or coding.get("system") == system):
            code = coding.get("code")
            if isinstance(code, str):
                return code
    return ""


def identifier_value(resource: Resource, system: str) -> str:
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == system:
            return str(ident.get("value") or "")
    return ""


def human_name(resource: Resource) -> str:
    names = resource.get("name") or []
    if isinstance(names, list) and names and isinstance(names[0], dict):
        n = names[0]
        if n.get("text"):
            return str(n["text"])
        given = " ".join(str(g) for g in n.get("given") or [])
        return f"{given} {n.get('family') or ''}".strip()
    if isinstance(names, str):
        return names
    return ""


def _date(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _patient_of(resource: Resource, *fields: str) -> str:
    for f in fields:
        pid = ref_id(resource.get(f), "Patient")
        if pid:
            return pid
    return ""


# --- common parameters -------------------------------------------------------------------------

P_ID = SearchParam("_id", "token", "id", "Logical id")
P_LAST = SearchParam("_lastUpdated", "date", "last_updated", "When the resource last changed")


def _params(*ps: SearchParam) -> dict[str, SearchParam]:
    return {p.name: p for p in (P_ID, P_LAST, *ps)}


def _pat(doc: str = "The patient") -> SearchParam:
    return SearchParam("patient", "reference", "patient", doc, target="Patient")


def _clinical(name: str, date_fields: tuple[str, ...], code_path: str | None,
              status: bool = True, patient_fields: tuple[str, ...] = ("patient", "subject"),
              extra: tuple[SearchParam, ...] = (), includes: dict[str, Include] | None = None,
              ) -> ResourceDef:
    def extract(r: Resource) -> dict[str, str]:
        out = {"patient": _patient_of(r, *patient_fields)}
        for f in date_fields:
            v = r.get(f)
            if isinstance(v, dict):
                v = v.get("start")
            if isinstance(v, str):
                out["date"] = v
                break
        if code_path:
            out["code"] = first_code(r.get(code_path))
        if status and isinstance(r.get("status"), str):
            out["status"] = r["status"]
        if name == "DiagnosticReport":
            out["ref1"] = ",".join(ref_of(x) for x in r.get("result") or [])[:100]
            out["text1"] = release_state(r)
        return out

    ps = [_pat(), SearchParam("date", "date", "date", "Clinically relevant date")]
    if code_path:
        ps.append(SearchParam("code", "token", "code", "Code (code or system|code)"))
    if status:
        ps.append(SearchParam("status", "token", "status", "Status"))
    return ResourceDef(
        name=name, extract=extract, params=_params(*ps, *extra),
        sorts={"date": "date", "_lastUpdated": "last_updated"},
        default_sort=[("date", True)], includes=includes or {},
        doc=f"{name} of a patient",
    )


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
    return {"code": identifier_value(r, c.HPR_SYSTEM), "text1": human_name(r).lower()[:200],
            "ref1": identifier_value(r, c.USERNAME_SYSTEM)}


def _extract_role(r: Resource) -> dict[str, str]:
    return {"ref1": ref_of(r.get("practitioner")), "ref2": ref_of(r.get("organization")),
            "code": first_code(r.get("code"), c.STAFF_ROLE)}


def _extract_service(r: Resource) -> dict[str, str]:
    return {"ref1": ref_of(r.get("providedBy")), "text1": str(r.get("name") or "").lower()[:200],
            "code": first_code(r.get("type"), c.INBOX_KIND)}


def _extract_org(r: Resource) -> dict[str, str]:
    return {"code": identifier_value(r, c.ORGNR_SYSTEM), "text1": str(r.get("name") or "").lower()[:200],
            "ref1": ref_of(r.get("partOf"))}


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
    return {"patient": _patient_of(r, "patient"), "text1": human_name(r).lower()[:200],
            "code": identifier_value(r, c.FNR_SYSTEM)}


def _extract_consent(r: Resource) -> dict[str, str]:
    actors = ((r.get("provision") or {}).get("actor") or [])
    return {"patient": _patient_of(r, "patient"),
            "ref1": ref_of(actors[0].get("reference")) if actors else "",
            "status": str(r.get("status") or ""),
            "date": _date(r.get("dateTime"))}


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
    return {"patient": patient, "ref1": who, "date": _date(r.get("recorded")),
            "code": first_code(r.get("subtype")) or str(r.get("action") or ""),
            "status": "break-glass" if flagged else ""}


def _task_includes() -> dict[str, Include]:
    return {
        "focus": Include("focus", lambda r: [ref_of(r.get("focus"))]),
        "patient": Include("patient", lambda r: [ref_of(r.get("for"))]),
        "owner": Include("owner", lambda r: [ref_of(r.get("owner"))]),
    }


TASK = ResourceDef(
    name="Task",
    extract=lambda r: {},  # Task has its own table; see store.task_columns
    params=_params(
        SearchParam("owner", "reference", "owner", "Current owner: a pool (HealthcareService) or a Practitioner"),
        SearchParam("pool", "reference", "pool", "The inbox the item belongs to, whoever holds it",
                    target="HealthcareService"),
        SearchParam("status", "token", "status", "requested | in-progress | completed | cancelled"),
        SearchParam("code", "token", "code", "Item type: " + " | ".join(c.TASK_TYPES)),
        SearchParam("priority", "token", "priority_rank", "routine | urgent | asap | stat"),
        SearchParam("patient", "reference", "patient", "The patient the item is for", target="Patient"),
        SearchParam("focus", "reference", "focus", "The thread, request or report the item is about"),
        SearchParam("business-status", "token", "business_status", "Inbox state"),
        SearchParam("authored-on", "date", "authored", "When the item arrived"),
        SearchParam("description", "string", "text1", "Words in the item's subject (starts a word; :contains anywhere)"),
    ),
    sorts={"priority": "priority_rank", "authored-on": "authored", "_lastUpdated": "last_updated"},
    default_sort=[("priority_rank", False), ("authored", False)],
    includes=_task_includes(),
    doc="An inbox item",
)

DEFS: dict[str, ResourceDef] = {
    "Patient": ResourceDef(
        "Patient", _extract_patient,
        _params(SearchParam("identifier", "token", "code", "National id (system|value or value)"),
                SearchParam("name", "string", "text1", "Name, starts with any word"),
                SearchParam("birthdate", "date", "date", "Birth date")),
        {"name": "text1", "birthdate": "date", "_lastUpdated": "last_updated"}, [("text1", False)]),
    "Practitioner": ResourceDef(
        "Practitioner", _extract_practitioner,
        _params(SearchParam("identifier", "token", "code", "HPR number"),
                SearchParam("name", "string", "text1", "Name")),
        {"name": "text1", "_lastUpdated": "last_updated"}, [("text1", False)]),
    "PractitionerRole": ResourceDef(
        "PractitionerRole", _extract_role,
        _params(SearchParam("practitioner", "reference", "ref1", "The staff member", target="Practitioner"),
                SearchParam("organization", "reference", "ref2", "Organisation", target="Organization"),
                SearchParam("role", "token", "code", "Staff role")),
        {"_lastUpdated": "last_updated"}, [("last_updated", False)]),
    "Organization": ResourceDef(
        "Organization", _extract_org,
        _params(SearchParam("identifier", "token", "code", "Organisation number"),
                SearchParam("name", "string", "text1", "Name"),
                SearchParam("partof", "reference", "ref1", "Parent organisation", target="Organization")),
        {"name": "text1", "_lastUpdated": "last_updated"}, [("text1", False)]),
    "HealthcareService": ResourceDef(
        "HealthcareService", _extract_service,
        _params(SearchParam("organization", "reference", "ref1", "Providing organisation", target="Organization"),
                SearchParam("name", "string", "text1", "Name"),
                SearchParam("service-type", "token", "code", "Inbox kind")),
        {"name": "text1", "_lastUpdated": "last_updated"}, [("text1", False)]),
    "Questionnaire": ResourceDef(
        "Questionnaire", lambda r: {"code": str(r.get("url") or "")[:100], "text1": str(r.get("title") or r.get("name") or "").lower()[:200],
                                    "status": str(r.get("status") or "")},
        _params(SearchParam("url", "token", "code", "Canonical URL"),
                SearchParam("title", "string", "text1", "Title")),
        {"title": "text1", "_lastUpdated": "last_updated"}, [("text1", False)], doc="Pre-visit forms"),
    "Communication": ResourceDef(
        "Communication", _extract_communication,
        _params(SearchParam("part-of", "reference", "ref1", "The thread header", target="Communication"),
                SearchParam("patient", "reference", "patient", "The patient", target="Patient"),
                SearchParam("sender", "reference", "ref2", "Who sent it"),
                SearchParam("category", "token", "code", "thread | patient-message | staff-reply | ..."),
                SearchParam("status", "token", "status", "Status"),
                SearchParam("sent", "date", "date", "When sent")),
        {"sent": "date", "_lastUpdated": "last_updated"}, [("date", False)],
        doc="Thread headers and messages"),
    "MedicationRequest": _clinical("MedicationRequest", ("authoredOn",), "medicationCodeableConcept"),
    "AllergyIntolerance": _clinical("AllergyIntolerance", ("recordedDate", "onsetDateTime"), "code", status=False),
    "Condition": _clinical("Condition", ("recordedDate", "onsetDateTime"), "code", status=False),
    "Immunization": _clinical("Immunization", ("occurrenceDateTime",), "vaccineCode"),
    "DiagnosticReport": _clinical(
        "DiagnosticReport", ("effectiveDateTime", "issued"), "code",
        includes={"result": Include("result", lambda r: [ref_of(x) for x in r.get("result") or []])}),
    "Observation": _clinical("Observation", ("effectiveDateTime", "issued"), "code"),
    "QuestionnaireResponse": _clinical("QuestionnaireResponse", ("authored",), None),
    "Appointment": _clinical(
        "Appointment", ("start", "requestedPeriod"), "serviceType",
        patient_fields=()),
    "RelatedPerson": ResourceDef(
        "RelatedPerson", _extract_related,
        _params(_pat("The patient they are related to")),
        {"_lastUpdated": "last_updated"}, [("last_updated", False)]),
    "Consent": ResourceDef(
        "Consent", _extract_consent,
        _params(_pat("The patient who gave the grant"),
                SearchParam("actor", "reference", "ref1", "Who the grant is for"),
                SearchParam("status", "token", "status", "Status")),
        {"_lastUpdated": "last_updated"}, [("last_updated", False)]),
    "AuditEvent": ResourceDef(
        "AuditEvent", _extract_audit,
        _params(_pat("Whose data was read"),
                SearchParam("agent", "reference", "ref1", "Who read it"),
                SearchParam("date", "date", "date", "When"),
                SearchParam("break-glass", "token", "status", "break-glass to find emergency access")),
        {"date": "date", "_lastUpdated": "last_updated"}, [("date", True)],
        interactions=("read", "search-type"), doc="The access log (innsynslogg)"),
    "Task": TASK,
}


def _appointment_patient(r: Resource) -> str:
    for p in r.get("participant") or []:
        pid = ref_id((p or {}).get("actor"), "Patient")
        if pid:
            return pid
    return ""


_appt_extract = DEFS["Appointment"].extract
DEFS["Appointment"].extract = lambda r: {**_appt_extract(r), "patient": _appointment_patient(r)}

COMMON_CONTROL_PARAMS = ("_count", "_sort", "_include", "_total", "_cursor", "_format", "_summary")

# Resource types that hold data about one patient (need-to-know applies to all of them).
PATIENT_DATA = frozenset({
    "Patient", "Communication", "Task", "MedicationRequest", "AllergyIntolerance", "Condition",
    "Immunization", "DiagnosticReport", "Observation", "QuestionnaireResponse", "Appointment",
    "RelatedPerson", "Consent", "AuditEvent",
})
CLINICAL = frozenset({"MedicationRequest", "AllergyIntolerance", "Condition", "Immunization",
                      "DiagnosticReport", "Observation", "QuestionnaireResponse"})


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
    }
