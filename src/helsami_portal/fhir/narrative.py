"""What every stored resource gets on the way in: a generated narrative (dom-6) and the HL7 Norway
no-basis profile where the resource type has one and the resource keeps to it.

`finish` runs in one place for every write (the store's create and update, and the bulk seed), so
a narrative never lags behind the data it describes. The narrative is a short summary of the
resource's own elements (never of what it references, so it says no more than the resource itself
and the same access decision covers it), escaped as XHTML.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

Resource = dict[str, Any]

XHTML = "http://www.w3.org/1999/xhtml"
NO_BASIS = "http://hl7.no/fhir/StructureDefinition/no-basis-"
# Resource types whose no-basis profile is open and that the portal's resources keep to (no-basis
# Patient, Practitioner, PractitionerRole, Organization, HealthcareService, RelatedPerson: identifiers
# with the Norwegian systems, addresses per no-basis-Address).
PROFILED = ("Patient", "Practitioner", "PractitionerRole", "Organization", "HealthcareService", "RelatedPerson")
# Not DomainResources, or carrying their own text: no generated narrative.
WITHOUT_NARRATIVE = ("Bundle", "Parameters", "Binary", "OperationOutcome")
MAX_PART = 200  # characters of one element in a narrative


def _concept(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    text = value.get("text")
    if isinstance(text, str) and text:
        return text
    for coding in value.get("coding") or []:
        if isinstance(coding, dict):
            shown = coding.get("display") or coding.get("code")
            if isinstance(shown, str) and shown:
                return shown
    return ""


def _name(value: Any) -> str:
    for n in value if isinstance(value, list) else []:
        if isinstance(n, dict):
            if isinstance(n.get("text"), str) and n["text"]:
                return str(n["text"])
            given = " ".join(g for g in n.get("given") or [] if isinstance(g, str))
            return " ".join(x for x in (given, n.get("family") if isinstance(n.get("family"), str) else "") if x)
    return ""


def _quantity(value: Any) -> str:
    if not isinstance(value, dict) or "value" not in value:
        return ""
    return f"{value['value']} {value.get('unit') or value.get('code') or ''}".strip()


def _display(value: Any) -> str:
    return str(value.get("display") or "") if isinstance(value, dict) else ""


def _first(values: Any, fn: Callable[[Any], str]) -> str:
    for v in values if isinstance(values, list) else []:
        if text := fn(v):
            return text
    return ""


# The elements a narrative names, by resource type: (label, how to read it). Others: status only.
_PARTS: dict[str, tuple[tuple[str, Callable[[Resource], str]], ...]] = {
    "Patient": (("Name", lambda r: _name(r.get("name"))), ("Born", lambda r: str(r.get("birthDate") or ""))),
    "Practitioner": (("Name", lambda r: _name(r.get("name"))),),
    "RelatedPerson": (
        ("Name", lambda r: _name(r.get("name"))),
        ("Relationship", lambda r: _first(r.get("relationship"), _concept)),
    ),
    "Organization": (("Name", lambda r: str(r.get("name") or "")),),
    "HealthcareService": (("Name", lambda r: str(r.get("name") or "")),),
    "PractitionerRole": (
        ("Practitioner", lambda r: _display(r.get("practitioner"))),
        ("Role", lambda r: _first(r.get("code"), _concept)),
    ),
    "Task": (
        ("Type", lambda r: _concept(r.get("code"))),
        ("Priority", lambda r: str(r.get("priority") or "")),
        ("State", lambda r: _concept(r.get("businessStatus"))),
        ("About", lambda r: str(r.get("description") or "")),
    ),
    "Communication": (
        ("Sent", lambda r: str(r.get("sent") or "")),
        ("Category", lambda r: _first(r.get("category"), _concept)),
    ),
    "Observation": (
        ("Test", lambda r: _concept(r.get("code"))),
        ("Value", lambda r: _quantity(r.get("valueQuantity")) or str(r.get("valueString") or "")),
        ("When", lambda r: str(r.get("effectiveDateTime") or "")),
    ),
    "DiagnosticReport": (
        ("Report", lambda r: _concept(r.get("code"))),
        ("Issued", lambda r: str(r.get("issued") or "")),
    ),
    "MedicationRequest": (
        ("Medicine", lambda r: _concept(r.get("medicationCodeableConcept"))),
        (
            "Dosage",
            lambda r: _first(
                r.get("dosageInstruction"), lambda d: str(d.get("text") or "") if isinstance(d, dict) else ""
            ),
        ),
    ),
    "AllergyIntolerance": (("Substance", lambda r: _concept(r.get("code"))),),
    "Condition": (("Condition", lambda r: _concept(r.get("code"))),),
    "Immunization": (
        ("Vaccine", lambda r: _concept(r.get("vaccineCode"))),
        ("Given", lambda r: str(r.get("occurrenceDateTime") or "")),
    ),
    "Appointment": (("Start", lambda r: str(r.get("start") or "")), ("End", lambda r: str(r.get("end") or ""))),
    "Slot": (("Start", lambda r: str(r.get("start") or "")), ("End", lambda r: str(r.get("end") or ""))),
    "Questionnaire": (("Title", lambda r: str(r.get("title") or r.get("name") or "")),),
    "QuestionnaireResponse": (("Authored", lambda r: str(r.get("authored") or "")),),
    "Consent": (("Scope", lambda r: _concept(r.get("scope"))),),
    "AuditEvent": (
        (
            "Event",
            lambda r: (
                _first(r.get("subtype"), lambda c: str(c.get("code") or "") if isinstance(c, dict) else "")
                or _display(r.get("type"))
            ),
        ),
        ("Recorded", lambda r: str(r.get("recorded") or "")),
    ),
    "OperationDefinition": (("Operation", lambda r: str(r.get("title") or r.get("name") or "")),),
}


def narrative(r: Resource) -> dict[str, str]:
    """A generated narrative: the resource type and id, its status, and the elements _PARTS names."""
    rtype = str(r.get("resourceType", ""))
    rows = [("Status", str(r.get("status") or ""))] if isinstance(r.get("status"), str) else []
    rows += [(label, fn(r)) for label, fn in _PARTS.get(rtype, ())]
    cells = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value[:MAX_PART])}</td></tr>" for label, value in rows if value
    )
    head = escape(f"{rtype} {r.get('id', '')}".strip())
    body = f"<p><b>{head}</b></p>" + (f"<table>{cells}</table>" if cells else "")
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{body}</div>'}


def finish(r: Resource) -> Resource:
    """The resource as stored: with a generated narrative (unless it brings its own, or its type has
    none) and, for the profiled types, the no-basis profile claimed in meta.profile."""
    rtype = r.get("resourceType")
    if rtype not in WITHOUT_NARRATIVE and (r.get("text") or {}).get("status", "generated") == "generated":
        r["text"] = narrative(r)
    if rtype in PROFILED:
        meta = dict(r.get("meta") or {})
        profile = NO_BASIS + str(rtype)
        if profile not in (meta.get("profile") or []):
            meta["profile"] = [*(meta.get("profile") or []), profile]
        r["meta"] = meta
    return r
