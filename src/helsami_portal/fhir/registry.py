"""The resource types the server supports, their search parameters and index columns.

One table drives storage (which columns a resource fills), search (which parameters exist and
which column answers them) and the CapabilityStatement (what the server says it supports).
The table (`DEFS`) is data; the columns each type fills are read by `fhir.columns`, with the value
readers of `fhir.values` (both re-exported here, where the rest of the portal imports them from).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import conventions as c
from .columns import (
    _appointment_patient,
    _extract_audit,
    _extract_communication,
    _extract_consent,
    _extract_document,
    _extract_org,
    _extract_patient,
    _extract_practitioner,
    _extract_related,
    _extract_role,
    _extract_service,
    document_service,
    document_title,
    release_state,
    task_columns,
)
from .values import Resource, _patient_of, first_code, human_name, identifier_value, ref_id, ref_of

__all__ = [
    "CLINICAL",
    "COMMON_CONTROL_PARAMS",
    "DEFS",
    "PATIENT_DATA",
    "TASK",
    "Include",
    "Resource",
    "ResourceDef",
    "SearchParam",
    "document_service",
    "document_title",
    "first_code",
    "human_name",
    "identifier_value",
    "ref_id",
    "ref_of",
    "release_state",
    "task_columns",
]


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # token | reference | date | string
    column: str
    doc: str
    target: str | None = None  # for references: the default resource type of a bare id
    # for tokens: the one system the column holds (system|value with another system matches nothing)
    system: str | None = None
    # for codes of any system: where the first coding's system is in the stored JSON ("code.coding.0.system")
    system_path: str | None = None


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


# --- common parameters -------------------------------------------------------------------------

P_ID = SearchParam("_id", "token", "id", "Logical id")
P_LAST = SearchParam("_lastUpdated", "date", "last_updated", "When the resource last changed")


def _params(*ps: SearchParam) -> dict[str, SearchParam]:
    return {p.name: p for p in (P_ID, P_LAST, *ps)}


def _pat(doc: str = "The patient") -> SearchParam:
    return SearchParam("patient", "reference", "patient", doc, target="Patient")


def _coding_system_path(code_path: str) -> str:
    """Where first_code found its code: the first coding (of the first concept, for a list)."""
    lists = {"serviceType"}
    return f"{code_path}{'.0' if code_path in lists else ''}.coding.0.system"


def _clinical(
    name: str,
    date_fields: tuple[str, ...],
    code_path: str | None,
    status: bool = True,
    patient_fields: tuple[str, ...] = ("patient", "subject"),
    extra: tuple[SearchParam, ...] = (),
    includes: dict[str, Include] | None = None,
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
        ps.append(
            SearchParam(
                "code", "token", "code", "Code (code or system|code)", system_path=_coding_system_path(code_path)
            )
        )
    if status:
        ps.append(SearchParam("status", "token", "status", "Status"))
    return ResourceDef(
        name=name,
        extract=extract,
        params=_params(*ps, *extra),
        sorts={"date": "date", "_lastUpdated": "last_updated"},
        default_sort=[("date", True)],
        includes=includes or {},
        doc=f"{name} of a patient",
    )


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
        SearchParam(
            "pool", "reference", "pool", "The inbox the item belongs to, whoever holds it", target="HealthcareService"
        ),
        SearchParam("status", "token", "status", "requested | in-progress | completed | cancelled"),
        SearchParam("code", "token", "code", "Item type: " + " | ".join(c.TASK_TYPES), system=c.TASK_TYPE),
        SearchParam("priority", "token", "priority_rank", "routine | urgent | asap | stat"),
        SearchParam("patient", "reference", "patient", "The patient the item is for", target="Patient"),
        SearchParam("focus", "reference", "focus", "The thread, request or report the item is about"),
        SearchParam("business-status", "token", "business_status", "Inbox state"),
        SearchParam("authored-on", "date", "authored", "When the item arrived"),
        SearchParam(
            "description", "string", "text1", "Words in the item's subject (starts a word; :contains anywhere)"
        ),
    ),
    sorts={"priority": "priority_rank", "authored-on": "authored", "_lastUpdated": "last_updated"},
    default_sort=[("priority_rank", False), ("authored", False)],
    includes=_task_includes(),
    doc="An inbox item",
)

DEFS: dict[str, ResourceDef] = {
    "Patient": ResourceDef(
        "Patient",
        _extract_patient,
        _params(
            SearchParam(
                "identifier", "token", "code", "National id, fødselsnummer (system|value or value)", system=c.FNR_SYSTEM
            ),
            SearchParam("name", "string", "text1", "Name, starts with any word"),
            SearchParam("birthdate", "date", "date", "Birth date"),
        ),
        {"name": "text1", "birthdate": "date", "_lastUpdated": "last_updated"},
        [("text1", False)],
    ),
    "Practitioner": ResourceDef(
        "Practitioner",
        _extract_practitioner,
        _params(
            SearchParam("identifier", "token", "code", "HPR number", system=c.HPR_SYSTEM),
            SearchParam("name", "string", "text1", "Name"),
        ),
        {"name": "text1", "_lastUpdated": "last_updated"},
        [("text1", False)],
    ),
    "PractitionerRole": ResourceDef(
        "PractitionerRole",
        _extract_role,
        _params(
            SearchParam("practitioner", "reference", "ref1", "The staff member", target="Practitioner"),
            SearchParam("organization", "reference", "ref2", "Organisation", target="Organization"),
            SearchParam("role", "token", "code", "Staff role", system=c.STAFF_ROLE),
        ),
        {"_lastUpdated": "last_updated"},
        [("last_updated", False)],
    ),
    "Organization": ResourceDef(
        "Organization",
        _extract_org,
        _params(
            SearchParam("identifier", "token", "code", "Organisation number", system=c.ORGNR_SYSTEM),
            SearchParam("name", "string", "text1", "Name"),
            SearchParam("partof", "reference", "ref1", "Parent organisation", target="Organization"),
        ),
        {"name": "text1", "_lastUpdated": "last_updated"},
        [("text1", False)],
    ),
    "HealthcareService": ResourceDef(
        "HealthcareService",
        _extract_service,
        _params(
            SearchParam("organization", "reference", "ref1", "Providing organisation", target="Organization"),
            SearchParam("name", "string", "text1", "Name"),
            SearchParam("service-type", "token", "code", "Inbox kind", system=c.INBOX_KIND),
        ),
        {"name": "text1", "_lastUpdated": "last_updated"},
        [("text1", False)],
    ),
    "Questionnaire": ResourceDef(
        "Questionnaire",
        lambda r: {
            "code": str(r.get("url") or "")[:100],
            "text1": str(r.get("title") or r.get("name") or "").lower()[:200],
            "status": str(r.get("status") or ""),
        },
        _params(SearchParam("url", "token", "code", "Canonical URL"), SearchParam("title", "string", "text1", "Title")),
        {"title": "text1", "_lastUpdated": "last_updated"},
        [("text1", False)],
        doc="Pre-visit forms",
    ),
    "Communication": ResourceDef(
        "Communication",
        _extract_communication,
        _params(
            SearchParam("part-of", "reference", "ref1", "The thread header", target="Communication"),
            SearchParam("patient", "reference", "patient", "The patient", target="Patient"),
            SearchParam("sender", "reference", "ref2", "Who sent it"),
            SearchParam(
                "category", "token", "code", "thread | patient-message | staff-reply | ...", system=c.COMM_CATEGORY
            ),
            SearchParam("status", "token", "status", "Status"),
            SearchParam("sent", "date", "date", "When sent"),
        ),
        {"sent": "date", "_lastUpdated": "last_updated"},
        [("date", False)],
        # A message's thread header (`partOf`): a thread's messages and its header in one search.
        includes={"part-of": Include("part-of", lambda r: [ref_of(x) for x in r.get("partOf") or []])},
        doc="Thread headers and messages",
    ),
    "MedicationRequest": _clinical("MedicationRequest", ("authoredOn",), "medicationCodeableConcept"),
    "AllergyIntolerance": _clinical("AllergyIntolerance", ("recordedDate", "onsetDateTime"), "code", status=False),
    "Condition": _clinical(
        "Condition",
        ("recordedDate", "onsetDateTime"),
        "code",
        status=False,
        extra=(
            SearchParam("onset-date", "date", "content:onsetDateTime", "When the condition began (R4 onset-date)"),
            SearchParam("recorded-date", "date", "content:recordedDate", "When it was recorded (R4)"),
        ),
    ),
    "Immunization": _clinical(
        "Immunization",
        ("occurrenceDateTime",),
        "vaccineCode",
        extra=(
            SearchParam(
                "vaccine-code",
                "token",
                "code",
                "Vaccine code (R4 vaccine-code)",
                system_path=_coding_system_path("vaccineCode"),
            ),
        ),
    ),
    "DiagnosticReport": _clinical(
        "DiagnosticReport",
        ("effectiveDateTime", "issued"),
        "code",
        includes={"result": Include("result", lambda r: [ref_of(x) for x in r.get("result") or []])},
    ),
    "Observation": _clinical("Observation", ("effectiveDateTime", "issued"), "code"),
    "QuestionnaireResponse": _clinical("QuestionnaireResponse", ("authored",), None),
    "Appointment": _clinical(
        "Appointment",
        ("start", "requestedPeriod"),
        "serviceType",
        patient_fields=(),
        extra=(
            SearchParam(
                "service-type",
                "token",
                "code",
                "Service type (R4 service-type)",
                system_path=_coding_system_path("serviceType"),
            ),
        ),
    ),
    "RelatedPerson": ResourceDef(
        "RelatedPerson",
        _extract_related,
        _params(_pat("The patient they are related to")),
        {"_lastUpdated": "last_updated"},
        [("last_updated", False)],
    ),
    "Consent": ResourceDef(
        "Consent",
        _extract_consent,
        _params(
            _pat("The patient who gave the grant"),
            SearchParam("actor", "reference", "ref1", "Who the grant is for"),
            SearchParam("status", "token", "status", "Status"),
        ),
        {"_lastUpdated": "last_updated"},
        [("last_updated", False)],
        # Whom a grant is for (`provision.actor`): a patient's proxy grants and their holders in one search.
        includes={
            "actor": Include(
                "actor",
                lambda r: [
                    ref_of(a.get("reference"))
                    for a in (r.get("provision") or {}).get("actor") or []
                    if isinstance(a, dict)
                ],
            )
        },
    ),
    "AuditEvent": ResourceDef(
        # Stored narrow, one row per patient per request (store.access_log): the columns are its own.
        "AuditEvent",
        _extract_audit,
        {
            p.name: p
            for p in (
                P_ID,
                SearchParam("_lastUpdated", "date", "recorded", "When the entry was written"),
                _pat("Whose data was read"),
                SearchParam("agent", "reference", "agent", "Who read it"),
                SearchParam("date", "date", "recorded", "When"),
                SearchParam("break-glass", "token", "purpose", "break-glass to find emergency access"),
            )
        },
        {"date": "recorded", "_lastUpdated": "recorded"},
        [("recorded", True)],
        interactions=("read", "search-type"),
        doc="The access log (innsynslogg)",
    ),
    "DocumentReference": ResourceDef(
        "DocumentReference",
        _extract_document,
        _params(
            SearchParam(
                "description",
                "string",
                "text1",
                "Words of the title (R4 description; starts a word, :contains anywhere)",
            ),
            SearchParam("title", "string", "text1", "The same as description: words of the title"),
            SearchParam("category", "token", "code", "Topic (education-topic code)", system=c.EDU_TOPIC),
            SearchParam("status", "token", "status", "current | superseded (retired)"),
            SearchParam(
                "service", "reference", "ref1", "The service whose library holds it", target="HealthcareService"
            ),
            _pat("The patient it was sent to (copies only)"),
            SearchParam("related", "reference", "ref2", "The message it was sent with", target="Communication"),
            SearchParam("date", "date", "date", "When it was made or sent"),
        ),
        {"title": "text1", "date": "date", "_lastUpdated": "last_updated"},
        [("text1", False)],
        doc="Patient-education documents: a service's library, and the copies sent to patients",
    ),
    "Binary": ResourceDef(
        "Binary",
        lambda r: {"ref1": ref_of(r.get("securityContext"))},
        _params(),
        {"_lastUpdated": "last_updated"},
        [("last_updated", False)],
        interactions=("read",),
        doc="The bytes of a library document (read only)",
    ),
    "Task": TASK,
}


# MedicationRequest in R4: `authoredon` is when it was written; `date` is the dosage's timing, which is
# not indexed here, so it is not offered (rather than meaning something else than in R4).
_mr = DEFS["MedicationRequest"]
_mr.params = {
    ("authoredon" if k == "date" else k): (
        SearchParam("authoredon", "date", "date", "When the request was written (R4 authoredon)") if k == "date" else v
    )
    for k, v in _mr.params.items()
}
_mr.sorts = {"authoredon": "date", "_lastUpdated": "last_updated"}

_appt_extract = DEFS["Appointment"].extract
DEFS["Appointment"].extract = lambda r: {**_appt_extract(r), "patient": _appointment_patient(r)}

COMMON_CONTROL_PARAMS = ("_count", "_sort", "_include", "_total", "_cursor", "_format", "_summary", "_elements")

# Resource types that hold data about one patient (need-to-know applies to all of them).
PATIENT_DATA = frozenset(
    {
        "Patient",
        "Communication",
        "Task",
        "MedicationRequest",
        "AllergyIntolerance",
        "Condition",
        "Immunization",
        "DiagnosticReport",
        "Observation",
        "QuestionnaireResponse",
        "Appointment",
        "RelatedPerson",
        "Consent",
        "AuditEvent",
    }
)
CLINICAL = frozenset(
    {
        "MedicationRequest",
        "AllergyIntolerance",
        "Condition",
        "Immunization",
        "DiagnosticReport",
        "Observation",
        "QuestionnaireResponse",
    }
)
