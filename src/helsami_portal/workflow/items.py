"""What every operation on an inbox item (a Task) shares: the If-Match version check, the item's
pool, owner and business status, the 409 for a step that does not apply, and the load, save and
change event of one operation's transaction. Below the operations (inbox, decisions, renewals,
results, visits, drafts), so that none of them imports another for these."""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, reasons as rs
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_id, ref_of
from ..store.store import Tx
from . import access

Resource = dict[str, Any]


def parse_if_match(value: str | None) -> int:
    if value is None or not value.strip():
        raise FhirError(
            428,
            "This change needs an If-Match header with the version you read "
            '(for example If-Match: W/"3"), so that no one overwrites a newer change.',
            reason="if-match-required",
        )
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    v = v.strip('"')
    if not (v.isascii() and v.isdigit() and len(v) <= 18):
        raise FhirError(
            400, f'If-Match must be a version such as W/"3", not {value[:40]!r}.', reason="invalid-if-match"
        )
    return int(v)


def version(r: Resource) -> int:
    return int(r["meta"]["versionId"])


def check_version(t: Resource, expected: int) -> None:
    if version(t) != expected:
        raise FhirError(
            412,
            f"The item has changed since you opened it (you had version {expected}, "
            f"it is now version {version(t)}). Reload it to see what changed.",
            current=t,
            reason="stale-version",
            args={"item": {"reference": f"Task/{t['id']}"}, "version": version(t), "expected": expected},
        )


def business(code: str) -> dict[str, Any]:
    return {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": code}], "text": code}


def pool_of(t: Resource) -> str:
    for ext in t.get("extension") or []:
        if ext.get("url") == c.EXT_TASK_POOL:
            return ref_id(ext.get("valueReference"), "HealthcareService")
    return ref_id(t.get("owner"), "HealthcareService")


def set_pool(t: Resource, pool_id: str, display: str | None = None) -> None:
    exts = [e for e in t.get("extension") or [] if e.get("url") != c.EXT_TASK_POOL]
    ref: dict[str, Any] = {"reference": f"HealthcareService/{pool_id}"}
    if display:
        ref["display"] = display
    exts.append({"url": c.EXT_TASK_POOL, "valueReference": ref})
    t["extension"] = exts


def owner_display(t: Resource) -> str:
    owner = t.get("owner") or {}
    return str(owner.get("display") or "another staff member")


def when(t: Resource) -> str:
    return str(t.get("lastModified") or t["meta"].get("lastUpdated") or "")[:16].replace("T", " ")


def closed_reason(t: Resource) -> str | None:
    if t.get("status") == c.STATUS_DONE:
        return f"This item was already completed by {owner_display(t)} ({when(t)} UTC)."
    if t.get("status") == c.STATUS_CANCELLED:
        return "This item was cancelled."
    return None


def closed_code(t: Resource) -> dict[str, Any]:
    """The reason code and arguments of `closed_reason(t)`."""
    if t.get("status") == c.STATUS_DONE:
        return {
            "reason": "already-completed",
            "args": {"item": rs.task_ref(t), "who": rs.ref(t.get("owner") or {}), "when": rs.when_of(t)},
        }
    return {"reason": "cancelled", "args": {"item": rs.task_ref(t)}}


def conflict(
    diagnostics: str, t: Resource, *, reason: str | None = None, args: dict[str, Any] | None = None
) -> FhirError:
    return FhirError(409, diagnostics, code="business-rule", current=t, reason=reason, args=args)


def emit(tx: Tx, t: Resource, action: str) -> None:
    tx.emit(
        {
            "type": "Task",
            "id": t["id"],
            "versionId": t["meta"]["versionId"],
            "owner": ref_of(t.get("owner")),
            "pool": pool_of(t),
            "status": t.get("status"),
            "code": t.get("code", {}).get("coding", [{}])[0].get("code", ""),
            "action": action,
        }
    )


def load(tx: Tx, p: Principal, task_id: str) -> Resource:
    t = tx.require("Task", task_id, for_update=True)
    access.require_task_access(tx, p, t)
    return t


def save(tx: Tx, t_old: Resource, t_new: Resource, action: str) -> Resource:
    t_new["lastModified"] = tx.now
    saved = tx.update(t_new, expected_version=version(t_old))
    emit(tx, saved, action)
    return saved
