"""What the decision operations (renewals, results, questionnaires, appointments) share: loading
the Task of the right type, who may act on it now, a plain-language message to the patient in a
thread the patient reads, and saving the Task with its change event.

Each decision runs in one transaction, in the order the inbox operations use: the Task is read
(locked on PostgreSQL) and the caller's inbox access checked; then the role; then whether the
transition is valid in the Task's current state (409 with plain words and the current Task);
then the caller's If-Match (412 if stale); then the changes, all committed together.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, reasons as rs
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, ref_id, ref_of
from ..store.store import Tx
from . import access
from .items import (
    business as _business,
    check_version as _check_version,
    closed_code as _closed_code,
    closed_reason as _closed_reason,
    conflict as _conflict,
    load as _load,
    owner_display as _owner_display,
    pool_of as _pool_of,
    save as _save,
    set_pool as _set_pool,
)

Resource = dict[str, Any]
MAX_TEXT = 10_000

# The thread a decision's messages to the patient go to (Task.extension, valueReference), so that
# several messages about one item (a question, then the answer) stay in one conversation.
EXT_PATIENT_THREAD = f"{c.BASE}/StructureDefinition/patient-thread"

__all__ = [
    "MAX_TEXT",
    "business",
    "check_version",
    "conflict",
    "load_open",
    "patient_message",
    "require_available",
    "save",
    "take",
    "text_param",
]


def business(code: str) -> dict[str, Any]:
    assert code in c.BUSINESS_STATUSES + c.DECISION_STATUSES, code
    return _business(code)


check_version = _check_version
conflict = _conflict
save = _save


def load_for_review(tx: Tx, p: Principal, task_id: str, code: str, noun: str) -> Resource:
    """The Task a review read is about, if the caller may see it and it is an item of type `code`
    (`noun` names that type in the refusal: "a renewal")."""
    t = tx.require("Task", task_id)
    access.require_task_access(tx, p, t)
    kind = first_code(t.get("code"), c.TASK_TYPE)
    if kind != code:
        raise FhirError(
            409,
            f"This item is a {kind or 'different'} item, not {noun}.",
            code="business-rule",
            reason="wrong-item-type",
            args={"item": rs.task_ref(t), "type": kind or "", "expected": code},
        )
    return t


def load_open(tx: Tx, p: Principal, task_id: str, code: str, what: str) -> Resource:
    """The Task, locked, if the caller works in its inbox and it is an open item of type `code`."""
    t = _load(tx, p, task_id)
    kind = first_code(t.get("code"), c.TASK_TYPE) or first_code(t.get("code"))
    if kind != code:
        raise conflict(
            f"This item is a {kind or 'different'} item; {what} applies to {code} items only.",
            t,
            reason="wrong-item-type",
            args={"item": rs.task_ref(t), "type": kind or "", "expected": code},
        )
    if reason := _closed_reason(t):
        raise conflict(reason, t, **_closed_code(t))
    return t


def require_available(p: Principal, t: Resource) -> None:
    """The caller may act on an item waiting in a pool, or one they hold; not one a colleague holds."""
    owner = ref_of(t.get("owner"))
    if owner == p.ref:
        return
    if t.get("status") == c.STATUS_CLAIMED:
        raise conflict(
            f"{_owner_display(t)} has claimed this item; only they can act on it now.",
            t,
            reason="claimed-by-other",
            args={"item": rs.task_ref(t), "who": rs.ref(t.get("owner") or {}), "when": rs.when_of(t)},
        )
    if owner.startswith("Practitioner/"):
        raise conflict(
            f"This item was sent to {_owner_display(t)}; only they can act on it now.",
            t,
            reason="forwarded-to-other",
            args={"item": rs.task_ref(t), "who": rs.ref(t.get("owner") or {})},
        )


def take(new: Resource, t: Resource, p: Principal) -> None:
    """Make the caller the owner (the one who decided), keeping the inbox the item belongs to."""
    pool = _pool_of(t)
    if pool:
        owner = t.get("owner") or {}
        _set_pool(new, pool, owner.get("display") if ref_of(owner).startswith("HealthcareService/") else None)
    new["owner"] = p.reference()


def copy_task(t: Resource) -> Resource:
    return copy.deepcopy(t)


def note(new: Resource, p: Principal, tx: Tx, text: str, kind: str = "") -> None:
    """An internal note on the Task; `kind` (pend, ...) marks a note that the item screen shows first."""
    if text.strip():
        n: Resource = {"authorReference": p.reference(), "time": tx.now, "text": text.strip()[:MAX_TEXT]}
        if kind:
            from ..fhir import conventions

            n["extension"] = [{"url": conventions.EXT_NOTE_KIND, "valueCode": kind}]
        new.setdefault("note", []).append(n)


def text_param(value: Any, name: str, *, required: bool, what: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FhirError(
                400,
                f"{what} is required (parameter {name}).",
                expression=name,
                reason="parameter-required",
                args={"name": name},
            )
        return ""
    if not isinstance(value, str):
        raise FhirError(400, f"{name} must be text.", expression=name, reason="parameter-not-text", args={"name": name})
    if len(value) > MAX_TEXT:
        raise FhirError(
            400,
            f"{name} is too long (at most {MAX_TEXT} characters).",
            expression=name,
            reason="text-too-long",
            args={"name": name, "limit": MAX_TEXT},
        )
    return value.strip()


def _thread_of(t: Resource) -> str:
    for e in t.get("extension") or []:
        if e.get("url") == EXT_PATIENT_THREAD:
            return ref_of(e.get("valueReference"))
    return ""


def patient_message(
    tx: Tx,
    p: Principal,
    t: Resource,
    new: Resource,
    subject: str,
    text: str,
    *,
    message_id: str | None = None,
    ident: str | None = None,
    documents: Sequence[Resource] = (),
) -> Resource:
    """A staff message the patient reads (GET /patient/threads), in the item's own thread: made on
    first use (header with the subject, addressed from the item's inbox) and remembered on `new`."""
    patient = ref_of(t.get("for"))
    pool = _pool_of(t)
    header_ref = _thread_of(t)
    header = tx.get_ref(header_ref) if header_ref else None
    if header is None:
        svc = tx.get("HealthcareService", pool) if pool else None
        header = tx.create(
            {
                "resourceType": "Communication",
                "status": "in-progress",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
                "subject": {"reference": patient},
                "topic": {"text": subject[:200]},
                "recipient": (
                    [{"reference": f"HealthcareService/{pool}", "display": (svc or {}).get("name", "")}] if pool else []
                ),
                "about": [{"reference": ref_of(t.get("focus"))}],
                "sent": tx.now,
            }
        )
        header_ref = f"Communication/{header['id']}"
        exts = [e for e in new.get("extension") or [] if e.get("url") != EXT_PATIENT_THREAD]
        exts.append({"url": EXT_PATIENT_THREAD, "valueReference": {"reference": header_ref}})
        new["extension"] = exts
    from .messages import staff_message

    return staff_message(tx, p, header_ref, patient, text, message_id=message_id, ident=ident, documents=documents)


def patient_id(t: Resource) -> str:
    return ref_id(t.get("for"), "Patient")


def when_text(instant: str) -> str:
    """A time in plain Norwegian for patients, e.g. "tirsdag 3. desember 2026 kl. 10.15" (Oslo time)."""
    from ..fhir import timeutil

    try:
        d = timeutil.clinical(timeutil.parse(instant))
    except (ValueError, KeyError):
        return instant
    days = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
    months = (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    )
    return f"{days[d.weekday()]} {d.day}. {months[d.month - 1]} {d.year} kl. {d.hour:02d}.{d.minute:02d}"


def audit_operation(tx: Tx, p: Principal, t: Resource, what: str, reason: str = "inbox item in own pool") -> None:
    access.audit(tx, p, patient_id(t), what, reason, interaction="operation")
