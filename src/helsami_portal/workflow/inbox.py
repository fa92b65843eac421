"""Inbox operations on Task: claim, unclaim, forward, reply, complete, note, reopen, message (the
staff messages, reply and message, are workflow/replies.py).

Each operation is one transaction: it reads the Task (locked on PostgreSQL), checks that the
transition is valid for this caller in the Task's *current* state (409 with a plain-words reason
if not), then checks the caller's If-Match version (412 if stale), then writes the new version,
its history row and a change event together.
"""

from __future__ import annotations

import copy
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, reasons as rs
from ..fhir.outcome import FhirError
from ..fhir.registry import human_name, ref_id, ref_of
from ..store.store import Store
from . import access
from .absence import redirect
from .care import set_placed_by
from .items import (
    business as _business,
    check_version as _check_version,
    closed_code as _closed_code,
    closed_reason as _closed_reason,
    conflict as _conflict,
    load as _load,
    owner_display as _owner_display,
    parse_if_match,
    pool_of as _pool_of,
    save as _save,
    set_pool as _set_pool,
    when as _when,
)
from .replies import MAX_TEXT, message, reply

__all__ = ["MAX_TEXT", "message", "reply"]  # the staff messages are a module of their own; callers find them here too

Resource = dict[str, Any]


def claim(store: Store, p: Principal, task_id: str, if_match: str | None) -> Resource:
    expected = parse_if_match(if_match)
    with store.write() as tx:
        t = _load(tx, p, task_id)
        access.require_role(p, "physician", "nurse", "switchboard", what="claim inbox items")
        if reason := _closed_reason(t):
            raise _conflict(reason, t, **_closed_code(t))
        owner = ref_of(t.get("owner"))
        if t.get("status") == c.STATUS_CLAIMED:
            if owner == p.ref:
                raise _conflict(
                    "You have already claimed this item.",
                    t,
                    reason="already-claimed-by-you",
                    args={"item": rs.task_ref(t)},
                )
            raise _conflict(
                f"{_owner_display(t)} claimed this item at {_when(t)} UTC. It is no longer waiting in the pool.",
                t,
                reason="claimed-by-other",
                args={"item": rs.task_ref(t), "who": rs.ref(t.get("owner") or {}), "when": rs.when_of(t)},
            )
        if owner.startswith("Practitioner/") and owner != p.ref:
            raise _conflict(
                f"This item was forwarded to {_owner_display(t)}; only they can claim it.",
                t,
                reason="forwarded-to-other",
                args={"item": rs.task_ref(t), "who": rs.ref(t.get("owner") or {})},
            )
        _check_version(t, expected)
        return _save(tx, t, _claimed(t, p), "claim")


def _claimed(t: Resource, p: Principal) -> Resource:
    """The new version of a waiting item `t` once `p` has claimed it."""
    owner = ref_of(t.get("owner"))
    new = copy.deepcopy(t)
    pool = _pool_of(t)
    if pool:
        _set_pool(new, pool, (t.get("owner") or {}).get("display") if owner.startswith("Healthcare") else None)
    new["owner"] = p.reference()
    new["status"] = c.STATUS_CLAIMED
    new["businessStatus"] = _business("claimed")
    return new


MAX_SKIPPED = 50  # items of the pool the caller may not take (e.g. restricted), passed over in one call


def claim_next(store: Store, p: Principal, pool_ref: str | None) -> Resource:
    """Claim the next item waiting in a pool, in the pool's order (priority, then arrival): the
    server picks it, so callers taking from one pool at once never ask for the same item. Access as
    for `$claim`; since the caller had not listed the item, one access-log entry for its patient.
    No If-Match (the caller has not read the item)."""
    from ..store.schema import task

    typ, _, pool_id = (pool_ref or "").partition("/")
    if typ != "HealthcareService" or not pool_id or len(pool_id) > 64:
        raise FhirError(
            400,
            "$claim-next needs the inbox: pool (valueReference HealthcareService/<id>).",
            expression="pool",
            reason="parameter-required",
            args={"name": "pool"},
        )
    access.require_role(p, "physician", "nurse", "switchboard", what="claim inbox items")
    if pool_id not in p.pools:
        raise access.forbidden(
            "You are not a member of that inbox.",
            reason="not-inbox-member",
            args={"inbox": {"reference": f"HealthcareService/{pool_id}"}},
        )
    owner = f"HealthcareService/{pool_id}"
    with store.write() as tx:
        passed: list[str] = []
        while len(passed) <= MAX_SKIPPED:
            t = tx.next_task([task.c.owner == owner, task.c.status == c.STATUS_WAITING], exclude=passed)
            if t is None:
                break
            try:
                access.require_task_access(tx, p, t)
            except FhirError:
                passed.append(t["id"])
                continue
            # The caller had not listed this item: what leaves with it is logged, in this transaction.
            access.audit(
                tx,
                p,
                ref_id(t.get("for"), "Patient"),
                f"Task/{t['id']} ($claim-next)",
                "inbox item in own pool",
                interaction="operation",
            )
            return _save(tx, t, _claimed(t, p), "claim")
        raise FhirError(
            409,
            "Nothing is waiting unclaimed in this inbox.",
            code="business-rule",
            reason="nothing-waiting",
            args={"inbox": {"reference": owner}},
        )


def unclaim(store: Store, p: Principal, task_id: str, if_match: str | None) -> Resource:
    expected = parse_if_match(if_match)
    with store.write() as tx:
        t = _load(tx, p, task_id)
        if reason := _closed_reason(t):
            raise _conflict(reason, t, **_closed_code(t))
        if t.get("status") != c.STATUS_CLAIMED or ref_of(t.get("owner")) != p.ref:
            raise _conflict(
                "Only the person who claimed this item can put it back in the pool.",
                t,
                reason="not-claimed-by-you",
                args={"item": rs.task_ref(t), "who": rs.ref(t.get("owner") or {})},
            )
        pool = _pool_of(t)
        if not pool:
            raise _conflict(
                "This item has no pool to go back to; forward it instead.",
                t,
                reason="no-pool",
                args={"item": rs.task_ref(t)},
            )
        _check_version(t, expected)
        new = copy.deepcopy(t)
        svc = tx.get("HealthcareService", pool)
        new["owner"] = {"reference": f"HealthcareService/{pool}", "display": (svc or {}).get("name", "")}
        new["status"] = c.STATUS_WAITING
        new["businessStatus"] = _business("opened")
        return _save(tx, t, new, "unclaim")


def forward(store: Store, p: Principal, task_id: str, if_match: str | None, target: str, note: str | None) -> Resource:
    expected = parse_if_match(if_match)
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise FhirError(
            400,
            f"The internal note is too long (at most {MAX_TEXT} characters).",
            reason="text-too-long",
            args={"name": "note", "limit": MAX_TEXT},
        )
    typ, _, target_id = (target or "").partition("/")
    if typ not in ("HealthcareService", "Practitioner") or not target_id:
        raise FhirError(
            400,
            "Forward needs a target: HealthcareService/<id> (an inbox) or Practitioner/<id> (a named staff member).",
            expression="target",
            reason="target-required",
            args={"name": "target"},
        )
    with store.write() as tx:
        t = _load(tx, p, task_id)
        access.require_role(p, "physician", "nurse", "switchboard", what="forward inbox items")
        if reason := _closed_reason(t):
            raise _conflict(reason, t, **_closed_code(t))
        owner = ref_of(t.get("owner"))
        if t.get("status") == c.STATUS_CLAIMED and owner != p.ref:
            raise _conflict(
                f"{_owner_display(t)} has claimed this item; only they can forward it now.",
                t,
                reason="claimed-by-other",
                args={"item": rs.task_ref(t), "who": rs.ref(t.get("owner") or {}), "when": rs.when_of(t)},
            )
        if owner == target:
            raise _conflict(
                "The item is already there.",
                t,
                reason="already-there",
                args={"item": rs.task_ref(t), "target": rs.ref(t.get("owner") or {})},
            )
        dest = tx.get(typ, target_id)
        if dest is None:
            raise FhirError(
                422,
                f"There is no {typ} with id {target_id} to forward to.",
                expression="target",
                reason="target-not-found",
                args={"name": "target", "target": {"reference": f"{typ}/{target_id}"}},
            )
        if dest.get("active") is False:
            raise FhirError(
                422,
                "That inbox or person is not active and cannot receive items.",
                expression="target",
                reason="target-inactive",
                args={"name": "target", "target": rs.ref({"reference": target, "display": dest.get("name") or ""})},
            )
        _check_version(t, expected)
        new = copy.deepcopy(t)
        if typ == "HealthcareService":
            new["owner"] = {"reference": target, "display": dest.get("name", "")}
            _set_pool(new, target_id, dest.get("name"))
        else:
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
                raise FhirError(
                    422,
                    f"{away[0]} is away and has no delegate; forward to an inbox instead.",
                    expression="target",
                    reason="away-no-delegate",
                    args={"who": {"reference": target, "display": str(away[0])}},
                )
        new["status"] = c.STATUS_WAITING
        new["businessStatus"] = _business("forwarded")
        set_placed_by(new, p.ref)  # an item one forwards gives oneself no care relation (workflow.care)
        if note:
            new.setdefault("note", []).append({"authorReference": p.reference(), "time": tx.now, "text": note})
        return _save(tx, t, new, "forward")


def complete(store: Store, p: Principal, task_id: str, if_match: str | None, note: str | None) -> Resource:
    expected = parse_if_match(if_match)
    with store.write() as tx:
        t = _load(tx, p, task_id)
        if reason := _closed_reason(t):
            raise _conflict(reason, t, **_closed_code(t))
        if t.get("status") != c.STATUS_CLAIMED or ref_of(t.get("owner")) != p.ref:
            raise _conflict(
                "Claim this item before you mark it done, so that no colleague works on it at the same time.",
                t,
                reason="claim-first",
                args={"item": rs.task_ref(t), "action": "complete"},
            )
        _check_version(t, expected)
        new = copy.deepcopy(t)
        new["status"] = c.STATUS_DONE
        new["businessStatus"] = _business("done")
        if note and note.strip():
            new.setdefault("note", []).append(
                {"authorReference": p.reference(), "time": tx.now, "text": note.strip()[:MAX_TEXT]}
            )
        return _save(tx, t, new, "complete")


def add_note(store: Store, p: Principal, task_id: str, if_match: str | None, text: str | None) -> Resource:
    """An internal note on the item (staff only, never shown to the patient); owner and state stay."""
    expected = parse_if_match(if_match)
    text = (text or "").strip()
    if not text:
        raise FhirError(400, "Write the internal note (text).", expression="text", reason="note-empty")
    if len(text) > MAX_TEXT:
        raise FhirError(
            400,
            f"The internal note is too long (at most {MAX_TEXT} characters).",
            expression="text",
            reason="text-too-long",
            args={"limit": MAX_TEXT},
        )
    with store.write() as tx:
        t = _load(tx, p, task_id)
        access.require_role(p, "physician", "nurse", "switchboard", what="write internal notes")
        if t.get("status") == c.STATUS_CANCELLED:
            raise FhirError(
                409,
                "This item was cancelled.",
                code="business-rule",
                current=t,
                reason="cancelled",
                args={"item": str(t["id"])},
            )
        _check_version(t, expected)
        new = copy.deepcopy(t)
        new.setdefault("note", []).append({"authorReference": p.reference(), "time": tx.now, "text": text})
        return _save(tx, t, new, "note")


def reopen(store: Store, p: Principal, task_id: str, if_match: str | None, note: str | None) -> Resource:
    """A completed item back in work, claimed by the caller (with an optional internal note saying
    why). Decisions already taken stand: a renewal approved stays approved."""
    expected = parse_if_match(if_match)
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise FhirError(
            400,
            f"The internal note is too long (at most {MAX_TEXT} characters).",
            expression="note",
            reason="text-too-long",
            args={"limit": MAX_TEXT},
        )
    with store.write() as tx:
        t = _load(tx, p, task_id)
        access.require_role(p, "physician", "nurse", "switchboard", what="reopen inbox items")
        if t.get("status") != c.STATUS_DONE:
            raise FhirError(
                409,
                "Only a completed item can be reopened.",
                code="business-rule",
                current=t,
                reason="item-not-completed",
                args={"item": str(t["id"]), "status": str(t.get("status"))},
            )
        _check_version(t, expected)
        new = copy.deepcopy(t)
        pool = _pool_of(t)
        if pool:
            _set_pool(new, pool)
        new["owner"] = p.reference()
        new["status"] = c.STATUS_CLAIMED
        new["businessStatus"] = _business("reopened")
        new.setdefault("note", []).append(
            {
                "authorReference": p.reference(),
                "time": tx.now,
                "text": note or "Reopened.",
                "extension": [{"url": c.EXT_NOTE_KIND, "valueCode": "reopen"}],
            }
        )
        return _save(tx, t, new, "reopen")
