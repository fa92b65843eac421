"""The access log (innsynslogg) in its narrow form: one row per patient per request.

A row holds who (the agent's reference, display, kind and role), when, why (purposeOfUse: the
basis of access, break-the-glass with its reason), what (the interaction and a compact description
of the resource types or ids read), the outcome and the request id. Rows are written with one
multi-row insert in the transaction of the read (or right after it, before the data leaves: see
`Store.read_logged`), and are rendered as FHIR AuditEvent resources when read, with the same
content the log had when it stored whole resources.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from ..fhir import access_codes as codes, narrative
from ..fhir.conventions import STAFF_ROLE

AUDIT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
REST_INTERACTION = "http://hl7.org/fhir/restful-interaction"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
READ_INTERACTIONS = frozenset({"read", "vread", "search-type", "history-instance"})
MAX_WHAT = 500

# The columns of one row (store.schema.access_log), in the order `render` reads them.
COLUMNS = (
    "id",
    "recorded",
    "patient",
    "agent",
    "agent_display",
    "agent_kind",
    "role",
    "role_text",
    "purpose",
    "reason",
    "interaction",
    "outcome",
    "what",
    "request_id",
)


def new_id() -> str:
    """A row id that grows with time (microseconds, then 72 random bits), so that new rows are
    added at the end of the primary key's index instead of at random places in it."""
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(9)}"


def purpose_of(kind: str, reason: str) -> str:
    """The purposeOfUse code (v3-ActReason) of an access: BTG for break-the-glass, TREAT for
    other staff access, PATADMIN for the patient's own (or a proxy's) side."""
    if kind != "staff":
        return "PATADMIN"
    return "BTG" if reason.startswith("break the glass") else "TREAT"


def render(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The FHIR AuditEvent of one stored row."""
    interaction = str(row["interaction"])
    agent: dict[str, Any]
    who = {"reference": row["agent"], "display": row["agent_display"]}
    reason = str(row["reason"])
    concept: dict[str, Any] = {"coding": [{"system": ACT_REASON, "code": row["purpose"]}], "text": reason}
    basis, basis_args = codes.basis_of(reason)
    if basis:  # the basis as a code of the portal's, with its arguments (docs/api.md)
        concept["coding"].append({"system": codes.BASIS_SYSTEM, "code": basis})
        if basis_args:
            concept["extension"] = codes.arg_extensions(basis_args)
    purpose = [concept]
    if row["agent_kind"] != "staff":
        agent = {"who": who, "requestor": True, "role": [{"text": "innbygger"}], "purposeOfUse": purpose}
    else:
        agent = {
            "who": who,
            "requestor": True,
            "role": [{"coding": [{"system": STAFF_ROLE, "code": row["role"]}], "text": row["role_text"]}],
            "purposeOfUse": purpose,
        }
    ev: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": {"system": AUDIT_TYPE, "code": "rest", "display": "RESTful Operation"},
        "subtype": [{"system": REST_INTERACTION, "code": interaction}],
        "action": "R" if interaction in READ_INTERACTIONS else "E",
        "recorded": row["recorded"],
        "outcome": row["outcome"],
        "agent": [agent],
        "source": {"observer": {"display": "helsami-portal"}},
        "entity": [_entity(str(row["patient"]), str(row["what"]))],
    }
    if row["outcome"] != "0":
        ev["outcomeDesc"] = "access denied"
    ev["id"] = row["id"]
    ev["meta"] = {"versionId": "1", "lastUpdated": row["recorded"]}
    return narrative.finish(ev)


def _entity(patient: str, what: str) -> dict[str, Any]:
    """The entity of an entry: the patient, what was read (the English text) and its code."""
    entity: dict[str, Any] = {"what": {"reference": f"Patient/{patient}"}, "description": what}
    code, args = codes.what_of(what)
    if code:
        entity["extension"] = [
            {"url": codes.EXT_ACCESS_WHAT, "valueCoding": {"system": codes.WHAT_SYSTEM, "code": code}},
            *codes.arg_extensions(args),
        ]
    return entity


def row_of(event: Mapping[str, Any], *, request_id: str = "") -> dict[str, Any] | None:
    """The row of an AuditEvent in the shape `render` makes (for moving old whole-resource entries
    into the narrow table); None if it does not name a patient."""
    patient = ""
    for ent in event.get("entity") or []:
        ref = str(((ent or {}).get("what") or {}).get("reference") or "")
        if ref.startswith("Patient/"):
            patient = ref.split("/", 1)[1]
            what = str((ent or {}).get("description") or "")
            break
    if not patient:
        return None
    agent = ((event.get("agent") or [{}])[0]) or {}
    who = agent.get("who") or {}
    role = (agent.get("role") or [{}])[0] or {}
    coding = (role.get("coding") or [{}])[0] or {}
    pou = (agent.get("purposeOfUse") or [{}])[0] or {}
    pou_code = str(((pou.get("coding") or [{}])[0] or {}).get("code") or "")
    kind = "staff" if coding else "patient"
    return {
        "id": str(event.get("id")),
        "recorded": str(event.get("recorded") or ""),
        "patient": patient[:64],
        "agent": str(who.get("reference") or "")[:100],
        "agent_display": str(who.get("display") or "")[:200],
        "agent_kind": kind,
        "role": str(coding.get("code") or "")[:40],
        "role_text": str(role.get("text") or "")[:300],
        "purpose": pou_code[:10],
        "reason": str(pou.get("text") or ""),
        "interaction": str(((event.get("subtype") or [{}])[0] or {}).get("code") or "read")[:20],
        "outcome": str(event.get("outcome") or "0")[:2],
        "what": what[:MAX_WHAT],
        "request_id": request_id,
    }
