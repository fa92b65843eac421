"""Absence: a staff member marks themself away, with a delegate or without.

While away, their personal open items (owner = them) go to the delegate, or back to the item's
inbox when there is no delegate, each as a normal versioned update with an internal note and a
change event (action `absence`). Items forwarded to them while they are away, and direct
messages from patients, go to the delegate too (see `redirect`).

The absence is stored on the Practitioner as an extension (a versioned update of the resource):

    {"url": EXT_ABSENCE, "extension": [
        {"url": "away", "valueBoolean": true},
        {"url": "delegate", "valueReference": {"reference": "Practitioner/x", "display": "..."}},
        {"url": "since", "valueInstant": "..."}]}
"""

from __future__ import annotations

import copy
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import human_name, ref_id, ref_of
from ..store import tasks
from ..store.store import Store, Tx
from . import access

Resource = dict[str, Any]
EXT_ABSENCE = f"{c.BASE}/StructureDefinition/absence"
MAX_HOPS = 5


def absence_of(prac: Resource | None) -> tuple[bool, str]:
    """(away, delegate reference or "") as stated on a Practitioner."""
    for e in (prac or {}).get("extension") or []:
        if isinstance(e, dict) and e.get("url") == EXT_ABSENCE:
            parts = {x.get("url"): x for x in e.get("extension") or [] if isinstance(x, dict)}
            away = (parts.get("away") or {}).get("valueBoolean") is True
            return away, ref_of((parts.get("delegate") or {}).get("valueReference")) if away else ""
    return False, ""


def redirect(tx: Tx, target: str) -> tuple[str, list[str]]:
    """Where an item for `target` (Practitioner/x) goes, following absences: the target itself,
    a delegate (or the delegate's delegate), or "" when the person is away without one.
    Returns (reference or "", the names of those who are away, for the note)."""
    away_names: list[str] = []
    seen: set[str] = set()
    ref = target
    for _ in range(MAX_HOPS):
        if not ref.startswith("Practitioner/") or ref in seen:
            return "", away_names
        seen.add(ref)
        prac = tx.get("Practitioner", ref.split("/", 1)[1])
        away, delegate = absence_of(prac)
        if not away:
            return ref, away_names
        away_names.append(human_name(prac or {}) or ref)
        if not delegate:
            return "", away_names
        ref = delegate
    return "", away_names


def _pool_of(t: Resource) -> str:
    return access.task_pool(t)


def set_absence(store: Store, p: Principal, practitioner_id: str, away: Any, delegate: Any) -> dict[str, Any]:
    """Mark the caller away (or back). Returns {"practitioner", "moved": [task ids]}."""
    access.require_staff(p)
    if p.id != practitioner_id:
        raise access.forbidden("Only the staff member themself can mark themself away.", reason="self-only")
    if not isinstance(away, bool):
        raise FhirError(
            400,
            "Say whether you are away: the parameter 'away' is true or false.",
            expression="away",
            reason="parameter-required",
            args={"name": "away"},
        )
    delegate_ref = ""
    if delegate not in (None, "", {}):
        delegate_ref = ref_of(delegate) if isinstance(delegate, dict) else str(delegate)
        if not delegate_ref.startswith("Practitioner/") or delegate_ref.count("/") != 1:
            raise FhirError(
                400,
                "The delegate must be a staff member: Practitioner/<id>.",
                expression="delegate",
                reason="parameter-needs-reference",
                args={"name": "delegate", "type": "Practitioner"},
            )
        if delegate_ref == p.ref:
            raise FhirError(422, "You cannot be your own delegate.", expression="delegate", reason="self-delegate")
        if not away:
            raise FhirError(
                422,
                "A delegate is only needed while you are away.",
                expression="delegate",
                reason="delegate-not-needed",
            )
    with store.write() as tx:
        prac = tx.require("Practitioner", practitioner_id, for_update=True)
        deleg: Resource | None = None
        if delegate_ref:
            deleg = tx.get("Practitioner", delegate_ref.split("/", 1)[1])
            if deleg is None or deleg.get("active") is False:
                raise FhirError(
                    422,
                    "That delegate does not exist or is not active.",
                    expression="delegate",
                    reason="target-inactive",
                    args={"name": "delegate", "target": {"reference": delegate_ref}},
                )
            if absence_of(deleg)[0]:
                raise FhirError(
                    422,
                    f"{human_name(deleg)} is away too; choose another delegate.",
                    expression="delegate",
                    reason="delegate-away",
                    args={"who": {"reference": delegate_ref, "display": human_name(deleg)}},
                )
        new = copy.deepcopy(prac)
        exts = [e for e in new.get("extension") or [] if e.get("url") != EXT_ABSENCE]
        if away:
            parts: list[dict[str, Any]] = [{"url": "away", "valueBoolean": True}]
            if deleg is not None:
                parts.append(
                    {"url": "delegate", "valueReference": {"reference": delegate_ref, "display": human_name(deleg)}}
                )
            parts.append({"url": "since", "valueInstant": tx.now})
            exts.append({"url": EXT_ABSENCE, "extension": parts})
        if exts:
            new["extension"] = exts
        else:
            new.pop("extension", None)
        saved = tx.update(new, expected_version=int(prac["meta"]["versionId"]))
        moved: list[str] = []
        if away:
            moved = _hand_over(tx, p, deleg)
        return {"practitioner": saved, "moved": moved}


def _hand_over(tx: Tx, p: Principal, deleg: Resource | None) -> list[str]:
    moved = []
    for tid in tasks.held_by(tx, p.ref, c.OPEN_STATUSES):
        t = tx.require("Task", tid)
        new = copy.deepcopy(t)
        if deleg is not None:
            new["owner"] = {"reference": f"Practitioner/{deleg['id']}", "display": human_name(deleg)}
            text = f"{p.display} is away; handed over to {human_name(deleg)}."
        else:
            pool = _pool_of(t)
            svc = tx.get("HealthcareService", pool) if pool else None
            if svc is None:
                continue  # nowhere to go: it stays with them
            new["owner"] = {"reference": f"HealthcareService/{pool}", "display": svc.get("name", "")}
            text = f"{p.display} is away; back to the inbox {svc.get('name') or pool}."
        new["status"] = c.STATUS_WAITING
        new["businessStatus"] = {
            "coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "forwarded"}],
            "text": "forwarded",
        }
        new.setdefault("note", []).append({"authorReference": p.reference(), "time": tx.now, "text": text})
        new["lastModified"] = tx.now
        saved = tx.update(new, expected_version=int(t["meta"]["versionId"]))
        tx.emit(
            {
                "type": "Task",
                "id": saved["id"],
                "versionId": saved["meta"]["versionId"],
                "owner": ref_of(saved.get("owner")),
                "pool": _pool_of(saved),
                "status": saved["status"],
                "code": ((saved.get("code") or {}).get("coding") or [{}])[0].get("code", ""),
                "action": "absence",
            }
        )
        moved.append(str(tid))
    return moved


def pool_ref(t: Resource) -> str:
    pool = _pool_of(t)
    return f"HealthcareService/{pool}" if pool else ""


__all__ = ["EXT_ABSENCE", "absence_of", "redirect", "ref_id", "set_absence"]
