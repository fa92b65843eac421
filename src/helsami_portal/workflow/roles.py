"""Roles and inbox membership: who may work in which inbox, and the break-the-glass grant.

Part of the access rules (`workflow.access`, which re-exports these names): routes and other
workflow modules ask these functions and never decide access themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..auth.principal import Principal
from ..fhir import conventions as c, timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_id, ref_of
from ..store import relations
from ..store.schema import task
from ..store.store import Tx, new_id
from .audit import audit, log_denied

Resource = dict[str, Any]

INBOX_ROLES = ("physician", "nurse", "switchboard")
CLINICAL_ROLES = ("physician", "nurse")
BREAK_GLASS_TTL = dt.timedelta(hours=4)


def forbidden(diagnostics: str, *, reason: str | None = None, args: dict[str, Any] | None = None) -> FhirError:
    return FhirError(403, diagnostics, code="forbidden", reason=reason, args=args)


def require_staff(p: Principal) -> None:
    if not p.is_staff:
        raise forbidden("This part of the API is for staff.", reason="staff-only")


def require_role(p: Principal, *roles: str, what: str, reason: str | None = None) -> None:
    require_staff(p)
    if not p.has_role(*roles):
        raise forbidden(
            f"Your role does not allow you to {what}.",
            reason=reason or "role-not-allowed",
            args={"roles": ",".join(roles)},
        )


# -- inbox membership -------------------------------------------------------------------------


def task_pool(t: Resource) -> str:
    for ext in t.get("extension") or []:
        if ext.get("url") == c.EXT_TASK_POOL:
            return ref_id(ext.get("valueReference"), "HealthcareService")
    return ref_id(t.get("owner"), "HealthcareService")


def can_see_task(p: Principal, t: Resource) -> bool:
    if not p.is_staff or not p.has_role(*INBOX_ROLES):
        return False
    return in_own_inboxes(p, t)


def in_own_inboxes(p: Principal, t: Resource) -> bool:
    """The membership part of `can_see_task`, for a caller already known to be staff with an inbox role."""
    return task_pool(t) in p.pools or ref_of(t.get("owner")) == p.ref


def require_task_access(tx: Tx, p: Principal, t: Resource) -> None:
    if not p.is_staff or not p.has_role(*INBOX_ROLES):
        log_denied(tx, p, ref_id(t.get("for"), "Patient"), f"Task/{t.get('id')}", "role without inbox access")
        require_role(p, *INBOX_ROLES, what="work in inboxes")
    if not can_see_task(p, t):
        log_denied(
            tx,
            p,
            ref_id(t.get("for"), "Patient"),
            f"Task/{t.get('id')}",
            "item in an inbox the user is not a member of",
        )
        raise forbidden(
            "This item belongs to an inbox you are not a member of.",
            reason="not-inbox-member",
            args={"item": {"reference": f"Task/{t.get('id')}"}},
        )


def task_scope(p: Principal, refs: dict[str, list[str]]) -> list[sa.ColumnElement[bool]]:
    """Conditions limiting a Task search to what the caller may see; 403 for a foreign pool."""
    require_role(p, *INBOX_ROLES, what="see inbox items")
    for pool_ref in refs.get("pool", []) + [r for r in refs.get("owner", []) if r.startswith("HealthcareService/")]:
        if pool_ref.split("/", 1)[1] not in p.pools:
            raise forbidden(
                "You are not a member of that inbox.",
                reason="not-inbox-member",
                args={"inbox": {"reference": pool_ref}},
            )
    for owner in refs.get("owner", []):
        if owner.startswith("Practitioner/") and owner != p.ref:
            raise forbidden("You can only list your own personal items.", reason="own-items-only")
    return [sa.or_(task.c.pool.in_(sorted(p.pools)), task.c.owner == p.ref)]


def break_the_glass(tx: Tx, p: Principal, patient_id: str, reason: str) -> Resource:
    if not p.is_staff or not p.has_role(*CLINICAL_ROLES):
        if tx.get("Patient", patient_id) is not None:
            log_denied(tx, p, patient_id, "break the glass", "role may not break the glass")
        require_role(p, *CLINICAL_ROLES, what="break the glass")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise FhirError(
            400,
            "Give a reason of at least 10 characters for breaking the glass.",
            expression="reason",
            reason="reason-too-short",
            args={"min": 10},
        )
    if tx.get("Patient", patient_id) is None:
        raise FhirError(
            404,
            f"Patient/{patient_id} does not exist.",
            reason="not-found",
            args={"item": {"reference": f"Patient/{patient_id}"}},
        )
    now = timeutil.utcnow()
    expires = timeutil.instant(now + BREAK_GLASS_TTL)
    relations.add_break_glass(
        tx,
        grant_id=new_id(),
        practitioner_id=p.id,
        patient_id=patient_id,
        reason=reason[:2000],
        granted=timeutil.instant(now),
        expires=expires,
    )
    audit(
        tx,
        p,
        patient_id,
        f"break the glass granted until {expires[:16]} UTC",
        f"break the glass: {reason}",
        interaction="operation",
    )
    return {"patient": patient_id, "expires": expires}
