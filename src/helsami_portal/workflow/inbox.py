"""Inbox operations on Task: claim, unclaim, forward, reply, complete.

Each operation is one transaction: it reads the Task (locked on PostgreSQL), checks that the
transition is valid for this caller in the Task's *current* state (409 with a plain-words reason
if not), then checks the caller's If-Match version (412 if stale), then writes the new version,
its history row and a change event together.
"""

from __future__ import annotations

import copy
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_id, ref_of
from ..store.store import Store, Tx
from . import access

Resource = dict[str, Any]
MAX_TEXT = 20_000


def parse_if_match(value: str | None) -> int:
    if value is None or not value.strip():
        raise FhirError(428, "This change needs an If-Match header with the version you read "
                             '(for example If-Match: W/"3"), so that no one overwrites a newer change.')
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    v = v.strip('"')
    if not v.isdigit():
        raise FhirError(400, f"If-Match must be a version such as W/\"3\", not {value[:40]!r}.")
    return int(v)


def _version(r: Resource) -> int:
    return int(r["meta"]["versionId"])


def _check_version(t: Resource, expected: int) -> None:
    if _version(t) != expected:
        raise FhirError(412, f"The item has changed since you opened it (you had version {expected}, "
                             f"it is now version {_version(t)}). Reload it to see what changed.",
                        current=t)


def _business(code: str) -> dict[str, Any]:
    return {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": code}], "text": code}


def _pool_of(t: Resource) -> str:
    for ext in t.get("extension") or []:
        if ext.get("url") == c.EXT_TASK_POOL:
            return ref_id(ext.get("valueReference"), "HealthcareService")
    return ref_id(t.get("owner"), "HealthcareService")


def _set_pool(t: Resource, pool_id: str, display: str | None = None) -> None:
    exts = [e for e in t.get("extension") or [] if e.get("url") != c.EXT_TASK_POOL]
    ref: dict[str, Any] = {"reference": f"HealthcareService/{pool_id}"}
    if display:
        ref["display"] = display
    exts.append({"url": c.EXT_TASK_POOL, "valueReference": ref})
    t["extension"] = exts


def _owner_display(t: Resource) -> str:
    owner = t.get("owner") or {}
    return str(owner.get("display") or "another staff member")


def _when(t: Resource) -> str:
    return str(t.get("lastModified") or t["meta"].get("lastUpdated") or "")[:16].replace("T", " ")


def _closed_reason(t: Resource) -> str | None:
    if t.get("status") == c.STATUS_DONE:
        return f"This item was already completed by {_owner_display(t)} ({_when(t)} UTC)."
    if t.get("status") == c.STATUS_CANCELLED:
        return "This item was cancelled."
    return None


def _conflict(reason: str, t: Resource) -> FhirError:
    return FhirError(409, reason, code="business-rule", current=t)


def _emit(tx: Tx, t: Resource, action: str) -> None:
    tx.emit({"type": "Task", "id": t["id"], "versionId": t["meta"]["versionId"],
             "owner": ref_of(t.get("owner")), "pool": _pool_of(t), "status": t.get("status"),
             "code": t.get("code", {}).get("coding", [{}])[0].get("code", ""), "action": action})


def _load(tx: Tx, p: Principal, task_id: str) -> Resource:
    t = tx.require("Task", task_id, for_update=True)
    access.require_task_access(tx, p, t)
    return t


def _save(tx: Tx, t_old: Resource, t_new: Resource, action: str) -> Resource:
    t_new["lastModified"] = tx.now
    saved = tx.update(t_new, expected_version=_version(t_old))
    _emit(tx, saved, action)
    return saved


def claim(store: Store, p: Principal, task_id: str, if_match: str | None) -> Resource:
    expected = parse_if_match(if_match)
    with store.write() as tx:
        t = _load(tx, p, task_id)
        access.require_role(p, "physician", "nurse", "switchboard", what="claim inbox items")
        if reason := _closed_reason(t):
            raise _conflict(reason, t)
        owner = ref_of(t.get("owner"))
        if t.get("status") == c.STATUS_CLAIMED:
            if owner == p.ref:
                raise _conflict("You have already claimed this item.", t)
            raise _conflict(f"{_owner_display(t)} claimed this item at {_when(t)} UTC. "
                            "It is no longer waiting in the pool.", t)
        if owner.startswith("Practitioner/") and owner != p.ref:
            raise _conflict(f"This item was forwarded to {_owner_display(t)}; only they can claim it.", t)
        _check_version(t, expected)
        new = copy.deepcopy(t)
        pool = _pool_of(t)
        if pool:
            _set_pool(new, pool, (t.get("owner") or {}).get("display") if owner.startswith("Healthcare") else None)
        new["owner"] = p.reference()
        new["status"] = c.STATUS_CLAIMED
        new["businessStatus"] = _business("claimed")
        return _save(tx, t, new, "claim")


def unclaim(store: Store, p: Principal, task_id: str, if_match: str | None) -> Resource:
    expected = parse_if_match(if_match)
    with store.write() as tx:
        t = _load(tx, p, task_id)
        if reason := _closed_reason(t):
            raise _conflict(reason, t)
        if t.get("status") != c.STATUS_CLAIMED or ref_of(t.get("owner")) != p.ref:
            raise _conflict("Only the person who claimed this item can put it back in the pool.", t)
        pool = _pool_of(t)
        if not pool:
            raise _conflict("This item has no pool to go back to; forward it instead.", t)
        _check_version(t, expected)
        new = copy.deepcopy(t)
        svc = tx.get("HealthcareService", pool)
        new["owner"] = {"reference": f"HealthcareService/{pool}", "display": (svc or {}).get("name", "")}
        new["status"] = c.STATUS_WAITING
        new["businessStatus"] = _business("opened")
        return _save(tx, t, new, "unclaim")


def forward(store: Store, p: Principal, task_id: str, if_match: str | None, target: str,
            note: str | None) -> Resource:
    expected = parse_if_match(if_match)
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise FhirError(400, f"The internal note is too long (at most {MAX_TEXT} characters).")
    typ, _, target_id = (target or "").partition("/")
    if typ not in ("HealthcareService", "Practitioner") or not target_id:
        raise FhirError(400, "Forward needs a target: HealthcareService/<id> (an inbox) or "
                             "Practitioner/<id> (a named staff member).", expression="target")
    with store.write() as tx:
        t = _load(tx, p, task_id)
        access.require_role(p, "physician", "nurse", "switchboard", what="forward inbox items")
        if reason := _closed_reason(t):
            raise _conflict(reason, t)
        owner = ref_of(t.get("owner"))
        if t.get("status") == c.STATUS_CLAIMED and owner != p.ref:
            raise _conflict(f"{_owner_display(t)} has claimed this item; only they can forward it now.", t)
        if owner == target:
            raise _conflict("The item is already there.", t)
        dest = tx.get(typ, target_id)
        if dest is None:
            raise FhirError(422, f"There is no {typ} with id {target_id} to forward to.", expression="target")
        if dest.get("active") is False:
            raise FhirError(422, "That inbox or person is not active and cannot receive items.",
                            expression="target")
        _check_version(t, expected)
        new = copy.deepcopy(t)
        if typ == "HealthcareService":
            new["owner"] = {"reference": target, "display": dest.get("name", "")}
            _set_pool(new, target_id, dest.get("name"))
        else:
            from ..fhir.registry import human_name
            from .absence import redirect
            to, away = redirect(tx, target)  # someone away: their delegate, or back to the inbox
            pool = _pool_of(t)
            if away:
                then = "sent on to their delegate" if to else "sent back to the inbox"
                note = (note + "\n" if note else "") + f"{away[0]} is away; {then}."
            if to:
                if to != target:
                    dest = tx.get("Practitioner", to.split("/", 1)[1]) or dest
                new["owner"] = {"reference": to, "display": human_name(dest)}
                if pool:
                    _set_pool(new, pool)
            elif pool:
                svc = tx.get("HealthcareService", pool)
                new["owner"] = {"reference": f"HealthcareService/{pool}", "display": (svc or {}).get("name", "")}
            else:
                raise FhirError(422, f"{away[0]} is away and has no delegate; forward to an inbox instead.",
                                expression="target")
        new["status"] = c.STATUS_WAITING
        new["businessStatus"] = _business("forwarded")
        if note:
            new.setdefault("note", []).append(
                {"authorReference": p.reference(), "time": tx.now, "text": note})
        return _save(tx, t, new, "forward")


def complete(store: Store, p: Principal, task_id: str, if_match: str | None, note: str | None) -> Resource:
    expected = parse_if_match(if_match)
    with store.write() as tx:
        t = _load(tx, p, task_id)
        if reason := _closed_reason(t):
            raise _conflict(reason, t)
        if t.get("status") != c.STATUS_CLAIMED or ref_of(t.get("owner")) != p.ref:
            raise _conflict("Claim this item before you mark it done, so that no colleague works on it "
                            "at the same time.", t)
        _check_version(t, expected)
        new = copy.deepcopy(t)
        new["status"] = c.STATUS_DONE
        new["businessStatus"] = _business("done")
        if note and note.strip():
            new.setdefault("note", []).append(
                {"authorReference": p.reference(), "time": tx.now, "text": note.strip()[:MAX_TEXT]})
        return _save(tx, t, new, "complete")


def reply(store: Store, p: Principal, task_id: str, if_match: str | None, text: str,
          message_id: str) -> tuple[Resource, Resource]:
    """Add a staff reply to the item's thread. Returns (task, message).

    Retrying with the same `message_id` returns the first result and changes nothing, so a
    client that lost the answer can safely send again: the patient gets the reply exactly once.
    """
    text = (text or "").strip()
    if not text:
        raise FhirError(400, "The reply is empty.", expression="text")
    if len(text) > MAX_TEXT:
        raise FhirError(400, f"The reply is too long (at most {MAX_TEXT} characters).", expression="text")
    message_id = (message_id or "").strip()
    if not message_id or len(message_id) > 100:
        raise FhirError(400, "A reply needs a messageId made by the client (a UUID), so that a retry "
                             "is recognised.", expression="messageId")
    ident = f"{p.ref}|{message_id}"
    with store.write() as tx:
        t = _load(tx, p, task_id)
        done = tx.find_by_ident("Communication", ident)
        if done is not None:
            if ref_of((done.get("partOf") or [{}])[0]) != ref_of(t.get("focus")):
                raise FhirError(409, "This messageId was already used for another reply; make a new one.")
            return t, done
        expected = parse_if_match(if_match)
        access.require_role(p, "physician", "nurse", "switchboard", what="reply to patients")
        if reason := _closed_reason(t):
            raise _conflict(reason, t)
        if t.get("status") != c.STATUS_CLAIMED or ref_of(t.get("owner")) != p.ref:
            raise _conflict("Claim this item before you reply, so that the patient does not get two "
                            "answers from two colleagues.", t)
        focus = ref_of(t.get("focus"))
        header = tx.get_ref(focus) if focus.startswith("Communication/") else None
        if header is None:
            raise _conflict("This item has no message thread to reply in.", t)
        _check_version(t, expected)
        patient = ref_of(t.get("for"))
        from .messages import staff_message
        msg = staff_message(tx, p, focus, patient, text, message_id=message_id, ident=ident)
        from .drafts import close_drafts
        close_drafts(tx, p, focus)
        new = copy.deepcopy(t)
        new["businessStatus"] = _business("replied")
        saved = _save(tx, t, new, "reply")
        return saved, msg
