"""Who may see and do what (roles, inbox membership, need-to-know), and the access log.

The rules of DESIGN.md's role table live here and nowhere else. Routes ask these functions;
they never decide access themselves. Every staff read of patient data is written to the access
log (AuditEvent) in the same transaction as the read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import CLINICAL, first_code, ref_id, ref_of
from ..store.schema import break_glass, task
from ..store.store import Tx, new_id

INBOX_ROLES = ("physician", "nurse", "switchboard")
CLINICAL_ROLES = ("physician", "nurse")
BREAK_GLASS_TTL = dt.timedelta(hours=4)

AUDIT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
REST_INTERACTION = "http://hl7.org/fhir/restful-interaction"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
# Restriction (skjerming): a Consent of the patient with this category code (see docs/auth.md).
CONSENT_KIND = f"{c.BASE}/CodeSystem/consent-kind"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"

Resource = dict[str, Any]


def forbidden(reason: str) -> FhirError:
    return FhirError(403, reason, code="forbidden")


def require_staff(p: Principal) -> None:
    if not p.is_staff:
        raise forbidden("This part of the API is for staff.")


def require_role(p: Principal, *roles: str, what: str) -> None:
    require_staff(p)
    if not p.has_role(*roles):
        raise forbidden(f"Your role does not allow you to {what}.")


# -- inbox membership -------------------------------------------------------------------------

def task_pool(t: Resource) -> str:
    for ext in t.get("extension") or []:
        if ext.get("url") == c.EXT_TASK_POOL:
            return ref_id(ext.get("valueReference"), "HealthcareService")
    return ref_id(t.get("owner"), "HealthcareService")


def can_see_task(p: Principal, t: Resource) -> bool:
    if not p.is_staff or not p.has_role(*INBOX_ROLES):
        return False
    return task_pool(t) in p.pools or ref_of(t.get("owner")) == p.ref


def require_task_access(tx: Tx, p: Principal, t: Resource) -> None:
    if not p.is_staff or not p.has_role(*INBOX_ROLES):
        log_denied(tx, p, ref_id(t.get("for"), "Patient"), f"Task/{t.get('id')}", "role without inbox access")
        require_role(p, *INBOX_ROLES, what="work in inboxes")
    if not can_see_task(p, t):
        log_denied(tx, p, ref_id(t.get("for"), "Patient"), f"Task/{t.get('id')}",
                   "item in an inbox the user is not a member of")
        raise forbidden("This item belongs to an inbox you are not a member of.")


def task_scope(p: Principal, refs: dict[str, list[str]]) -> list[sa.ColumnElement[bool]]:
    """Conditions limiting a Task search to what the caller may see; 403 for a foreign pool."""
    require_role(p, *INBOX_ROLES, what="see inbox items")
    for pool_ref in refs.get("pool", []) + [r for r in refs.get("owner", []) if r.startswith("HealthcareService/")]:
        if pool_ref.split("/", 1)[1] not in p.pools:
            raise forbidden("You are not a member of that inbox.")
    for owner in refs.get("owner", []):
        if owner.startswith("Practitioner/") and owner != p.ref:
            raise forbidden("You can only list your own personal items.")
    return [sa.or_(task.c.pool.in_(sorted(p.pools)), task.c.owner == p.ref)]


# -- need-to-know -----------------------------------------------------------------------------

def care_relation(tx: Tx, p: Principal, patient_id: str) -> str | None:
    """Why this staff member may see this patient's data, or None if they have no reason."""
    if not p.is_staff or not patient_id:
        return None
    row = tx.conn.execute(
        sa.select(task.c.id).where(
            task.c.patient == patient_id,
            task.c.status.in_(c.OPEN_STATUSES),
            sa.or_(task.c.pool.in_(sorted(p.pools)), task.c.owner == p.ref),
        ).limit(1)).first()
    if row is not None:
        return "care relation: open inbox item"
    patient = tx.get("Patient", patient_id)
    if patient and any(ref_of(g) == p.ref for g in patient.get("generalPractitioner") or []):
        return "care relation: regular GP (fastlege)"
    return break_glass_reason(tx, p, patient_id)


def break_glass_reason(tx: Tx, p: Principal, patient_id: str) -> str | None:
    """The reason of this staff member's unexpired break-the-glass access to the patient, if any."""
    if not p.is_staff or not patient_id:
        return None
    bg = tx.conn.execute(
        sa.select(break_glass.c.reason).where(
            break_glass.c.practitioner == p.id, break_glass.c.patient == patient_id,
            break_glass.c.expires > tx.now).order_by(break_glass.c.granted.desc()).limit(1)).first()
    if bg is not None:
        return f"break the glass: {bg.reason}"
    return None


# -- restriction (skjerming) ------------------------------------------------------------------

@dataclass(frozen=True)
class Restriction:
    """One active restriction of a patient: records hidden from everyone outside `team`."""

    consent: str
    classes: frozenset[str]  # resource types restricted as a whole
    records: frozenset[str]  # single records ("Condition/x")
    team: frozenset[str]  # the named care team ("Practitioner/x")

    def covers(self, r: Resource) -> bool:
        rtype = r.get("resourceType")
        return rtype in self.classes or f"{rtype}/{r.get('id')}" in self.records


def is_restriction(consent: Resource) -> bool:
    return any(first_code(cat, CONSENT_KIND) == "skjerming" for cat in consent.get("category") or [])


def parse_restriction(consent: Resource) -> Restriction | None:
    """The restriction a Consent states, or None if it is not an active one.

    Representation (docs/auth.md): `category` has code `skjerming`; `provision.type` is `deny`;
    `provision.class` lists resource types and/or `provision.data` (meaning `instance`) single
    records; a nested `provision.provision` of type `permit` names the care team in `actor`.
    Without class and data, all clinical records are restricted.
    """
    if consent.get("status") != "active" or not is_restriction(consent):
        return None
    prov = consent.get("provision") or {}
    if prov.get("type") not in (None, "deny"):
        return None
    period = prov.get("period") or {}
    now = timeutil.instant()
    if period.get("start") and timeutil.norm(period["start"]) > now:
        return None
    if period.get("end") and timeutil.norm(period["end"]) < now:
        return None
    classes = {str(k.get("code")) for k in prov.get("class") or [] if isinstance(k, dict)
               and k.get("code") in CLINICAL}
    records = {ref_of(d.get("reference")) for d in prov.get("data") or [] if isinstance(d, dict)}
    records = {r for r in records if r.split("/", 1)[0] in CLINICAL}
    if not classes and not records:
        classes = set(CLINICAL)
    team: set[str] = set()
    for sub in prov.get("provision") or []:
        if isinstance(sub, dict) and sub.get("type") == "permit":
            team.update(ref_of(a.get("reference")) for a in sub.get("actor") or [] if isinstance(a, dict))
    return Restriction(str(consent.get("id")), frozenset(classes), frozenset(records),
                       frozenset(t for t in team if t.startswith("Practitioner/")))


def restrictions(tx: Tx, patient_id: str) -> list[Restriction]:
    """The patient's active restrictions."""
    from ..store.query import parse_query

    if not patient_id:
        return []
    q = parse_query("Consent", [("patient", f"Patient/{patient_id}"), ("status", "active")])
    out = []
    for consent in tx.search("Consent", q.where, count=200).rows:
        r = parse_restriction(consent)
        if r is not None:
            out.append(r)
    return out


def hidden_from(tx: Tx, p: Principal, patient_id: str) -> list[Restriction]:
    """The restrictions that apply to this staff member (outside the named care team)."""
    return [r for r in restrictions(tx, patient_id) if p.ref not in r.team]


def restricted(hidden: list[Restriction], r: Resource) -> bool:
    return any(x.covers(r) for x in hidden)


def check_restriction(tx: Tx, p: Principal, patient_id: str, r: Resource | None, rtype: str, what: str,
                      reason: str) -> str:
    """403 (logged) if the record, or a search of `rtype` as a whole, is restricted for this staff
    member, unless they broke the glass; returns the reason to log."""
    hidden = hidden_from(tx, p, patient_id)
    if not hidden:
        return reason
    blocked = restricted(hidden, r) if r is not None else any(rtype in x.classes for x in hidden)
    if not blocked:
        return reason
    bg = break_glass_reason(tx, p, patient_id)
    if bg is not None:
        return bg
    log_denied(tx, p, patient_id, what, "restricted record (skjerming)")
    raise FhirError(403, "The patient has restricted (skjermet) these records to a named care team. If you "
                         "need access, break the glass with a reason; it is logged and reviewed.",
                    code="forbidden")


def require_patient_access(tx: Tx, p: Principal, patient_id: str, rtype: str, what: str) -> str:
    """Check need-to-know for reading `rtype` of a patient; returns the reason to log."""
    require_staff(p)
    if p.has_role("it-support", "privacy-officer") and not p.has_role(*INBOX_ROLES):
        log_denied(tx, p, patient_id, what, "role without access to patient data")
        raise forbidden("Your role has no access to patient data.")
    if rtype in CLINICAL and not p.has_role(*CLINICAL_ROLES):
        log_denied(tx, p, patient_id, what, "role without access to clinical data")
        raise forbidden("Your role does not give access to clinical information (medicines, results, "
                        "allergies, diagnoses).")
    reason = care_relation(tx, p, patient_id)
    if reason is None:
        log_denied(tx, p, patient_id, what, "no care relation")
        raise FhirError(403, "You have no care relation with this patient. If you need access, break "
                             "the glass with a reason; it is logged and reviewed.", code="forbidden")
    return reason


def break_the_glass(tx: Tx, p: Principal, patient_id: str, reason: str) -> Resource:
    if not p.is_staff or not p.has_role(*CLINICAL_ROLES):
        if tx.get("Patient", patient_id) is not None:
            log_denied(tx, p, patient_id, "break the glass", "role may not break the glass")
        require_role(p, *CLINICAL_ROLES, what="break the glass")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise FhirError(400, "Give a reason of at least 10 characters for breaking the glass.",
                        expression="reason")
    if tx.get("Patient", patient_id) is None:
        raise FhirError(404, f"Patient/{patient_id} does not exist.")
    now = timeutil.utcnow()
    expires = timeutil.instant(now + BREAK_GLASS_TTL)
    tx.conn.execute(break_glass.insert().values(
        id=new_id(), practitioner=p.id, patient=patient_id, reason=reason[:2000],
        granted=timeutil.instant(now), expires=expires))
    audit(tx, p, patient_id, f"break the glass granted until {expires[:16]} UTC", f"break the glass: {reason}",
          interaction="operation")
    return {"patient": patient_id, "expires": expires}


# -- the access log ---------------------------------------------------------------------------

def _agent(p: Principal, reason: str) -> dict[str, Any]:
    btg = reason.startswith("break the glass")
    if not p.is_staff:
        return {"who": p.reference(), "requestor": True, "role": [{"text": "innbygger"}],
                "purposeOfUse": [{"coding": [{"system": ACT_REASON, "code": "PATADMIN"}], "text": reason}]}
    return {
        "who": p.reference(),
        "requestor": True,
        "role": [{"coding": [{"system": c.STAFF_ROLE, "code": p.main_role}],
                  "text": ", ".join(sorted(p.organizations)) or p.main_role}],
        "purposeOfUse": [{"coding": [{"system": ACT_REASON, "code": "BTG" if btg else "TREAT"}],
                          "text": reason}],
    }


def audit(tx: Tx, p: Principal, patient_id: str, what: str, reason: str, *,
          interaction: str = "read", outcome: str = "0") -> None:
    """Write one access-log entry, in the caller's transaction."""
    if patient_id:
        tx.create(audit_event(tx, p, patient_id, what, reason, interaction=interaction, outcome=outcome))


def audit_many(tx: Tx, p: Principal, entries: list[tuple[str, str, str]], *, interaction: str = "read") -> None:
    """Several access-log entries (patient id, what, reason) in one round trip."""
    events = [audit_event(tx, p, pid, what, reason, interaction=interaction) for pid, what, reason in entries if pid]
    if events:
        tx.create_many(events)


def audit_event(tx: Tx, p: Principal, patient_id: str, what: str, reason: str, *,
                interaction: str = "read", outcome: str = "0") -> dict[str, Any]:
    ev = {
        "resourceType": "AuditEvent",
        "type": {"system": AUDIT_TYPE, "code": "rest", "display": "RESTful Operation"},
        "subtype": [{"system": REST_INTERACTION, "code": interaction}],
        "action": "R" if interaction in ("read", "vread", "search-type", "history-instance") else "E",
        "recorded": tx.now,
        "outcome": outcome,
        "agent": [_agent(p, reason)],
        "source": {"observer": {"display": "helsami-portal"}},
        "entity": [{"what": {"reference": f"Patient/{patient_id}"}, "description": what[:500]}],
    }
    if outcome != "0":
        ev["outcomeDesc"] = "access denied"
    return ev


def log_denied(tx: Tx, p: Principal, patient_id: str, what: str, why: str) -> None:
    """Denied attempts are logged too, in their own transaction so the denial does not undo them."""
    if not patient_id:
        return
    store = tx.store

    def write() -> None:
        with store.write() as wtx:
            audit(wtx, p, patient_id, what, f"denied: {why}", outcome="4")

    tx.defer(write)
