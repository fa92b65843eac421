"""The access log: every staff read of patient data writes an entry in the read's transaction.

Stored narrow (store.access_log): one row per patient per request, rendered as AuditEvent when
read. Refused attempts are logged too (`log_denied`), in a transaction of their own.
"""

from __future__ import annotations

import contextvars
from typing import Any

from ..auth.principal import Principal
from ..store import access_log as alog
from ..store.store import Tx

AUDIT_TYPE = alog.AUDIT_TYPE
REST_INTERACTION = alog.REST_INTERACTION
ACT_REASON = alog.ACT_REASON

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("helsami_request_id", default="")


def log_row(
    tx: Tx, p: Principal, patient_id: str, what: str, reason: str, *, interaction: str = "read", outcome: str = "0"
) -> dict[str, Any]:
    """The access-log row of one access by `p` to the patient's data (who, when, why, what)."""
    return _row(tx, _who(p), patient_id, what, reason, interaction, outcome)


def _who(p: Principal) -> dict[str, str]:
    """The columns of a row that name the agent (the same for every row of one request)."""
    staff = p.is_staff
    return {
        "agent": p.ref,
        "agent_display": p.display,
        "agent_kind": "staff" if staff else "patient",
        "role": p.main_role if staff else "",
        "role_text": (", ".join(sorted(p.organizations)) or p.main_role) if staff else "",
    }


def _row(
    tx: Tx, who: dict[str, str], patient_id: str, what: str, reason: str, interaction: str, outcome: str
) -> dict[str, Any]:
    return {
        "id": alog.new_id(),
        "recorded": tx.now,
        "patient": patient_id,
        **who,
        "purpose": alog.purpose_of(who["agent_kind"], reason),
        "reason": reason,
        "interaction": interaction,
        "outcome": outcome,
        "what": what[: alog.MAX_WHAT],
        "request_id": REQUEST_ID.get()[:64],
    }


def audit(
    tx: Tx, p: Principal, patient_id: str, what: str, reason: str, *, interaction: str = "read", outcome: str = "0"
) -> None:
    """Write one access-log entry, in the caller's transaction."""
    if patient_id:
        tx.log_access([log_row(tx, p, patient_id, what, reason, interaction=interaction, outcome=outcome)])


def audit_many(tx: Tx, p: Principal, entries: list[tuple[str, str, str]], *, interaction: str = "read") -> None:
    """Several access-log entries (patient id, what, reason) in one multi-row insert."""
    who = _who(p)
    tx.log_access([_row(tx, who, pid, what, reason, interaction, "0") for pid, what, reason in entries if pid])


def audit_event(
    tx: Tx, p: Principal, patient_id: str, what: str, reason: str, *, interaction: str = "read", outcome: str = "0"
) -> dict[str, Any]:
    """The AuditEvent an access-log entry is read as."""
    return alog.render(log_row(tx, p, patient_id, what, reason, interaction=interaction, outcome=outcome))


def log_denied(tx: Tx, p: Principal, patient_id: str, what: str, why: str) -> None:
    """Denied attempts are logged too, in their own transaction so the denial does not undo them."""
    if not patient_id:
        return
    store = tx.store

    def write() -> None:
        with store.write() as wtx:
            audit(wtx, p, patient_id, what, f"denied: {why}", outcome="4")

    tx.defer(write)
