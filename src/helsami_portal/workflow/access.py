"""Who may see and do what (roles, inbox membership, need-to-know), and the access log.

The role rules (docs/architecture.md, docs/auth.md) live here and nowhere else. Routes ask these functions;
they never decide access themselves. `decide` is the one decision every outgoing resource passes
(reads, history, search matches and includes, operation results, error bodies, events); skjerming
(`Restriction`) covers a record and what hangs from it by reference. Every staff read of patient
data is written to the access log (AuditEvent) in the same transaction as the read.

This module holds the decision (`decide`, `decide_patient`, `screen`, `event_view`); its parts live
beside it and are importable from here: `roles` (roles, inbox membership, break the glass),
`skjerming` (restrictions), `disclosure` (the verdict, redaction and masking), `audit` (the access log).
"""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import CLINICAL, ref_of
from ..store.store import Tx

# The parts of the access rules in modules of their own (audit, roles, skjerming, disclosure),
# importable from here as before.
from .audit import (
    ACT_REASON as ACT_REASON,
    AUDIT_TYPE as AUDIT_TYPE,
    REQUEST_ID as REQUEST_ID,
    REST_INTERACTION as REST_INTERACTION,
    audit as audit,
    audit_event as audit_event,
    audit_many as audit_many,
    log_denied as log_denied,
    log_row as log_row,
)
from .care import ACTED_ON, basis
from .disclosure import (
    MASKED_TEXT as MASKED_TEXT,
    Verdict as Verdict,
    redact as redact,
    release as release,
    trimmed as trimmed,
    withheld_note as withheld_note,
)
from .memo import Memo as Memo, patient_of as patient_of
from .roles import (
    BREAK_GLASS_TTL as BREAK_GLASS_TTL,
    CLINICAL_ROLES as CLINICAL_ROLES,
    INBOX_ROLES as INBOX_ROLES,
    break_the_glass as break_the_glass,
    can_see_task as can_see_task,
    forbidden as forbidden,
    in_own_inboxes,
    require_role as require_role,
    require_staff as require_staff,
    require_task_access as require_task_access,
    task_pool as task_pool,
    task_scope as task_scope,
)
from .skjerming import (
    CONSENT_KIND as CONSENT_KIND,
    EXT_PATIENT_THREAD as EXT_PATIENT_THREAD,
    HANGS_FROM as HANGS_FROM,
    RESTRICTABLE as RESTRICTABLE,
    Restriction as Restriction,
    hangs_from as hangs_from,
    hidden_from as hidden_from,
    is_restriction as is_restriction,
    parse_restriction as parse_restriction,
    restricted as restricted,
    restrictions as restrictions,
    restrictions_of as restrictions_of,
)

RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"

Resource = dict[str, Any]


# -- need-to-know -----------------------------------------------------------------------------


def care_relation(tx: Tx, p: Principal, patient_id: str, *, focus: str = "", thread_only: bool = False) -> str | None:
    """Why this staff member may see this patient's data (the basis the access log names), or None.

    The bases, and why none of them can be made by the caller themself, are in `workflow.care`.
    """
    return basis(tx, p, patient_id, focus=focus, thread_only=thread_only)


def check_restriction(
    tx: Tx,
    p: Principal,
    patient_id: str,
    r: Resource | None,
    rtype: str,
    what: str,
    reason: str,
    memo: Memo | None = None,
) -> str:
    """403 (logged) if the record, or a search of `rtype` as a whole, is restricted for this staff
    member, unless they broke the glass; returns the reason to log. A thin wrapper over the one
    rule (`decide_patient`, skjerming part); `reason` is the basis already found. `memo`: the
    request's look-ups so far (the patient's restrictions are then read once per request)."""
    memo = memo or Memo(tx, p)
    blocked = restricted_for(memo, patient_id, rtype, r)
    if not blocked:
        return reason
    bg = memo.glass(patient_id)
    if bg is not None:
        return bg
    log_denied(tx, p, patient_id, what, REFUSALS["restricted-record"][1])
    raise FhirError(
        403,
        REFUSALS["restricted-record"][0],
        code="forbidden",
        reason="restricted",
        args={"patient": {"reference": f"Patient/{patient_id}"}},
    )


def require_patient_access(
    tx: Tx, p: Principal, patient_id: str, rtype: str, what: str, *, focus: str = "", memo: Memo | None = None
) -> str:
    """Check need-to-know for reading `rtype` of a patient; returns the reason to log. A thin
    wrapper over the one rule (`decide_patient`), without skjerming (see `check_restriction`).

    `focus` is the thread (or record) the read is about, when it is about one (see `care_relation`);
    `memo`, the request's look-ups so far (kept for the decisions on what the search returns)."""
    require_staff(p)
    v = decide_patient(tx, p, patient_id, rtype, memo, thread=focus, skjerming=False)
    if v.allowed:
        return v.basis
    raise refusal(tx, p, v, what)


# -- the one decision: may this principal see this resource? ----------------------------------
#
# Every resource the portal returns passes `decide`: direct reads, history and vread, search
# matches and `_include`s, operation results, the resource in an error body, event payloads.
# Routes and workflow functions call it (through `screen` and `release`); none decides itself.

DIRECTORY = frozenset({"Organization", "HealthcareService", "Practitioner", "PractitionerRole", "Questionnaire"})
# Library documents (DocumentReference without a subject) and their bytes (workflow.library).
LIBRARY = frozenset({"DocumentReference", "Binary"})
DRAFT_STATUSES = ("preparation", "stopped")  # a reply draft being written, or discarded / sent

# refusal code -> (diagnostics for the client, why for the access log)
REFUSALS: dict[str, tuple[str, str]] = {
    "staff-only": ("This part of the API is for staff.", "patient token on the staff API"),
    "privacy-officer-only": (
        "Your role does not allow you to review the access log.",
        "only privacy officers read the log",
    ),
    "role-no-patient-data": ("Your role has no access to patient data.", "role without access to patient data"),
    "not-inbox-member": (
        "This item belongs to an inbox you are not a member of.",
        "item in an inbox the user is not a member of",
    ),
    "draft-author-only": ("Drafts are visible only to their author.", "draft of another staff member"),
    "role-no-clinical-data": (
        "Your role does not give access to clinical information (medicines, results, allergies, diagnoses).",
        "role without access to clinical data",
    ),
    "no-care-relation": (
        "You have no care relation with this patient. If you need access, break the glass "
        "with a reason; it is logged and reviewed.",
        "no care relation",
    ),
    "restricted-record": (
        "The patient has restricted (skjermet) these records to a named care team. If you "
        "need access, break the glass with a reason; it is logged and reviewed.",
        "restricted record (skjerming)",
    ),
}


def thread_of(r: Resource) -> str:
    """The thread header a message belongs to (a header is its own thread); "" for other resources."""
    if r.get("resourceType") != "Communication":
        return ""
    parent = ref_of((r.get("partOf") or [{}])[0])
    return parent if parent.startswith("Communication/") else f"Communication/{r.get('id')}"


def is_draft(r: Resource) -> bool:
    return r.get("resourceType") == "Communication" and r.get("status") in DRAFT_STATUSES


def decide(
    tx: Tx,
    p: Principal,
    r: Resource,
    memo: Memo | None = None,
    *,
    lookup: bool = False,
    now: Resource | None = None,
    acted_on: Resource | None = None,
    pid: str | None = None,
) -> Verdict:
    """Whether `p` may see `r`: role, inbox membership, drafts, care relation, skjerming (of the
    record and of what it hangs from) and break-the-glass. The one place this is decided.

    `lookup`: `r` is a match of a patient look-up (`Patient?identifier=`), which staff who work in
    inboxes may make without a care relation, to find whom a call or a message is about.
    `now`: the current version when `r` is an earlier one (history, vread): an inbox item's
    versions are seen by those who may see the item where it is now.
    `acted_on`: the item an operation of `p` has just changed (the workflow checked the caller's
    membership and care relation on the version they changed): its new version is returned to them
    even when it has left their inboxes (forwarded, pended, completed), and what the operation made
    for its patient (the order signed, the appointment booked) is judged with that item as the
    care relation. Skjerming still applies.
    `pid`: `patient_of(r)`, when the caller has found it already (`screen`)."""
    memo = memo or Memo(tx, p)
    rtype = r.get("resourceType")
    if pid is None:
        pid = patient_of(r)

    def no(code: str) -> Verdict:
        return Verdict(False, pid, refusal=code)

    # The caller's kind and roles come from the request's memo (asked once per request).
    if not memo.staff:
        return Verdict(False, "" if rtype in DIRECTORY else pid, refusal="staff-only")
    if rtype in DIRECTORY:
        return Verdict(True)
    if rtype in LIBRARY and not pid:  # a service's patient-education library: no patient's data
        return Verdict(True)
    if rtype == "AuditEvent":  # the privacy officer's review is not itself a read of the patient's data
        return Verdict(True, "", "access log review") if p.has_role("privacy-officer") else no("privacy-officer-only")
    if not memo.inbox:
        return no("role-no-patient-data")
    if lookup and rtype == "Patient":
        return Verdict(True, pid, "patient look-up")
    if rtype == "Task":
        acted = acted_on is not None and r.get("id") == acted_on.get("id")
        # The caller is staff with an inbox role (checked above): `can_see_task`'s membership part.
        if not acted and not in_own_inboxes(p, now if now is not None and now.get("id") == r.get("id") else r):
            return no("not-inbox-member")
        masked = restricted(memo.hidden(pid), r) and memo.glass(pid) is None
        return Verdict(True, pid, "inbox item in own pool", masked=masked)
    thread = ""
    if rtype == "Communication":  # drafts and threads are messages' only
        if is_draft(r) and ref_of(r.get("sender")) != p.ref:
            return no("draft-author-only")
        thread = thread_of(r)
    return _decide_patient(
        tx,
        p,
        pid,
        str(rtype),
        memo,
        thread=thread,
        record=r,
        acted_on=acted_on is not None and bool(pid) and patient_of(acted_on) == pid,
        skjerming=True,
    )


def restricted_for(memo: Memo, pid: str, rtype: str, record: Resource | None) -> bool:
    """Whether skjerming hides `record` (or, without one, `rtype` of the patient as a whole) from
    the caller of `memo`, before break-the-glass."""
    hidden = memo.hidden(pid)
    if record is not None:
        return restricted(hidden, record)
    return any(rtype in x.classes for x in hidden)


def decide_patient(
    tx: Tx,
    p: Principal,
    pid: str,
    rtype: str,
    memo: Memo | None = None,
    *,
    thread: str = "",
    record: Resource | None = None,
    acted_on: bool = False,
    skjerming: bool = True,
) -> Verdict:
    """The patient-data part of `decide`: role, care relation, skjerming and break-the-glass, for
    `record` of `rtype` of patient `pid`, or (without `record`) for reading `rtype` of the patient
    as a whole (a search). `thread`: the thread a message read is about. `acted_on`: the caller has
    just acted on an item of this patient (see `decide`)."""
    memo = memo or Memo(tx, p)
    if not memo.staff:
        return Verdict(False, pid, refusal="staff-only")
    if not memo.inbox:
        return Verdict(False, pid, refusal="role-no-patient-data")
    return _decide_patient(
        tx, p, pid, rtype, memo, thread=thread, record=record, acted_on=acted_on, skjerming=skjerming
    )


def _decide_patient(
    tx: Tx,
    p: Principal,
    pid: str,
    rtype: str,
    memo: Memo,
    *,
    thread: str,
    record: Resource | None,
    acted_on: bool,
    skjerming: bool,
) -> Verdict:
    """`decide_patient` after its first two questions (staff, an inbox role), which `decide` has
    answered already for every resource it hands on."""

    def no(code: str) -> Verdict:
        return Verdict(False, pid, refusal=code)

    clinical = memo.clinical
    if rtype in CLINICAL and not clinical:
        return no("role-no-clinical-data")
    # The switchboard routes, it does not treat: its items open their own threads, not the patient's others.
    thread_only = rtype == "Communication" and not clinical
    basis = memo.care(pid, thread, thread_only=True) if thread_only else memo.care(pid)
    if basis is None and rtype == "Communication" and pid and thread and not thread_only:
        # An item the caller placed themself (a call they registered) opens its own thread, alone.
        basis = care_relation(tx, p, pid, focus=thread)
    if basis is None and acted_on:
        basis = ACTED_ON
    if basis is None:
        return no("no-care-relation")
    if skjerming and restricted_for(memo, pid, rtype, record):
        bg = memo.glass(pid)
        if bg is None:
            return no("restricted-record")
        basis = bg
    return Verdict(True, pid, basis)


def refusal(tx: Tx, p: Principal, v: Verdict, what: str) -> FhirError:
    """The 403 for a refused direct read; the attempt is written to the patient's access log."""
    diagnostics, why = REFUSALS[v.refusal]
    log_denied(tx, p, v.patient, what, why)
    # The refusal table's arguments (docs/api.md): no-care-relation names the patient (its id).
    args = {"patient": {"reference": f"Patient/{v.patient}"}} if v.refusal == "no-care-relation" and v.patient else None
    return FhirError(403, diagnostics, code="forbidden", reason=v.refusal, args=args)


def screen(
    tx: Tx,
    p: Principal,
    rows: list[Resource],
    memo: Memo | None = None,
    *,
    lookup: bool = False,
    now: Resource | None = None,
    acted_on: Resource | None = None,
) -> tuple[list[tuple[Resource, Verdict]], int]:
    """The rows `p` may see, released, each with its verdict; and how many were withheld."""
    memo = memo or Memo(tx, p)
    pids = [patient_of(r) for r in rows]  # once per row, for the prefetch and the decision
    memo.prefetch(rows, pids)
    kept: list[tuple[Resource, Verdict]] = []
    withheld = 0
    for r, pid in zip(rows, pids, strict=True):
        v = decide(tx, p, r, memo, lookup=lookup, now=now, acted_on=acted_on, pid=pid)
        if v.allowed:
            kept.append((release(r, v), v))
        else:
            withheld += 1
    return kept, withheld


# -- change events ------------------------------------------------------------------------------

EVENT_ROLES = (*INBOX_ROLES, "it-support")  # who may follow the inbox event stream


def event_task(payload: Resource) -> Resource:
    """The Task a change event is about, as far as the event tells (owner and pool)."""
    pool = str(payload.get("pool") or "")
    return {
        "resourceType": "Task",
        "id": str(payload.get("id") or ""),
        "owner": {"reference": str(payload.get("owner") or "")},
        "extension": [{"url": c.EXT_TASK_POOL, "valueReference": {"reference": f"HealthcareService/{pool}"}}]
        if pool
        else [],
    }


def event_view(tx: Tx, p: Principal, payload: Resource, memo: Memo | None = None) -> Resource | None:
    """A change event as `p` may see it, or None. Events carry ids and states only; each is judged
    as the Task it is about by `decide`, so a subscriber sees the events of the pools it is a member
    of and of its own items. IT support (without an inbox role) sees every event's pool, action and
    status, and no ids."""
    if p.has_role("it-support") and not p.has_role(*INBOX_ROLES):
        return {
            "type": "Task",
            "pool": payload.get("pool"),
            "action": payload.get("action"),
            "status": payload.get("status"),
        }
    return payload if decide(tx, p, event_task(payload), memo).allowed else None
