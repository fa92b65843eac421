"""What every model of the package shares: the code systems and extensions of the portal contract,
small defensive readers of FHIR JSON, and the model base class.

They are pydantic v2 models, built in their own conversions with `model_construct` (the
conversion code already produces values of the declared types, which mypy checks through the
pydantic plugin's typed `model_construct`), so the hot paths (an inbox page of 50 items with
includes, thread messages) pay for no validation. `Model.model_validate(...)` still works for
callers that want checking.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

Json = dict[str, Any]
UTC = dt.UTC

# -- code systems and extensions of the portal contract (docs/api.md) -------------------------

BASE = "https://helsami.example/fhir"
TASK_TYPE = f"{BASE}/CodeSystem/task-type"
TASK_BUSINESS_STATUS = f"{BASE}/CodeSystem/task-business-status"
COMM_CATEGORY = f"{BASE}/CodeSystem/communication-category"
MEDIUM_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
CLIENT_MESSAGE_ID = f"{BASE}/NamingSystem/client-message-id"
EXT_TASK_POOL = f"{BASE}/StructureDefinition/task-pool"
EXT_ESCALATED = f"{BASE}/StructureDefinition/escalated"
EXT_NOTE_KIND = f"{BASE}/StructureDefinition/note-kind"
EDU_TOPIC = f"{BASE}/CodeSystem/education-topic"
EXT_LIBRARY_SERVICE = f"{BASE}/StructureDefinition/library-service"
# On a draft's payload contentAttachment (valueReference DocumentReference): the library document attached.
EXT_FROM_LIBRARY = f"{BASE}/StructureDefinition/from-library"
# Education topics of the library (docs/api.md); the catalogs name each one ("topic.<code>").
EDU_TOPICS = (
    "diabetes",
    "blood-pressure",
    "heart",
    "lungs",
    "nutrition",
    "physical-activity",
    "medicines",
    "mental-health",
    "pregnancy-child",
    "vaccination",
    "pain",
    "general",
)
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

OPEN_STATUSES = ("requested", "in-progress")
PRIORITY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}


# -- small, defensive readers of FHIR JSON -------------------------------------------------------
# The server is trusted to speak FHIR, not to be well-formed: every reader tolerates a missing or
# wrongly typed element and yields an empty value instead of raising.


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _d(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def ref_of(value: Any) -> str:
    """The "Type/id" of a FHIR Reference, or ""."""
    if isinstance(value, dict):
        r = value.get("reference")
        if isinstance(r, str):
            return r
    return ""


def ref_id(ref: str) -> str:
    return ref.partition("/")[2]


def display_of(value: Any) -> str:
    if isinstance(value, dict):
        d = value.get("display")
        if isinstance(d, str):
            return d
    return ""


def first_code(concept: Any, system: str | None = None) -> str:
    """The first code of a CodeableConcept (or a list of them), optionally of one system."""
    if isinstance(concept, list):
        for c in concept:
            code = first_code(c, system)
            if code:
                return code
        return ""
    if not isinstance(concept, dict):
        return ""
    for coding in _l(concept.get("coding")):
        if isinstance(coding, dict) and (system is None or coding.get("system") == system):
            value = coding.get("code")
            if isinstance(value, str):
                return value
    return ""


def concept_text(concept: Any) -> str:
    """What a person reads for a CodeableConcept: its text, else the first display, else the code."""
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if not isinstance(concept, dict):
        return ""
    text = concept.get("text")
    if isinstance(text, str) and text:
        return text
    for coding in _l(concept.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("display"), str) and coding["display"]:
            return str(coding["display"])
    for coding in _l(concept.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            return str(coding["code"])
    return ""


def identifier_value(resource: Json, system: str) -> str:
    for ident in _l(resource.get("identifier")):
        if isinstance(ident, dict) and ident.get("system") == system:
            return _s(ident.get("value"))
    return ""


def human_name(resource: Json) -> str:
    names = resource.get("name")
    if isinstance(names, list):
        chosen = None
        for n in names:
            if isinstance(n, dict) and n.get("use") == "official":
                chosen = n
                break
        if chosen is None:
            chosen = next((n for n in names if isinstance(n, dict)), None)
        if chosen is None:
            return ""
        if isinstance(chosen.get("text"), str) and chosen["text"]:
            return str(chosen["text"])
        given = " ".join(_s(g) for g in _l(chosen.get("given")))
        return f"{given} {_s(chosen.get('family'))}".strip()
    return names if isinstance(names, str) else ""


def parse_instant(value: Any) -> dt.datetime | None:
    """A FHIR instant/dateTime/date as an aware datetime (UTC when no offset); None if absent or
    not a full date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return d if d.tzinfo is not None else d.replace(tzinfo=UTC)


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def age_on(birth: dt.date | None, today: dt.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _ext(resource: Json, url: str) -> Json | None:
    for e in _l(resource.get("extension")):
        if isinstance(e, dict) and e.get("url") == url:
            return e
    return None


def _version(resource: Json) -> int:
    v: Any = _d(resource.get("meta")).get("versionId")
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class _Model(BaseModel):
    # defer_build: a model's validator and serializer are built the first time one is used, not
    # at import (the hot path builds instances without validating): start-up pays for no schema it
    # does not use.
    model_config = ConfigDict(frozen=True, extra="ignore", arbitrary_types_allowed=True, defer_build=True)


EXT_PATIENT_THREAD = "https://helsami.example/fhir/StructureDefinition/patient-thread"
