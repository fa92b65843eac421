"""Staff messages on an inbox item: a reply in the item's thread (`$reply`), and a message that starts
a thread of its own (`$message`). Each is one transaction, as every inbox operation (workflow/inbox.py)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, reasons as rs
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_of
from ..store.store import Store, once_per_ident
from . import access, decisions
from .drafts import close_drafts
from .items import (
    business as _business,
    check_version as _check_version,
    closed_code as _closed_code,
    closed_reason as _closed_reason,
    conflict as _conflict,
    load as _load,
    parse_if_match,
    save as _save,
)
from .library import for_message
from .messages import staff_message

Resource = dict[str, Any]
MAX_TEXT = 20_000


@once_per_ident
def message(
    store: Store,
    p: Principal,
    task_id: str,
    if_match: str | None,
    text: str,
    message_id: str,
    attachments: Sequence[str] = (),
) -> tuple[Resource, Resource]:
    """A new message to the patient from any item (a decision, a result, a completed item): in the
    item's own thread, or the thread about the item (made on first use). Exactly once per
    `message_id`, like a reply. An open item must be the caller's or waiting in its inbox."""
    text = (text or "").strip()
    if not text:
        raise FhirError(400, "The message is empty.", expression="text", reason="message-empty")
    if len(text) > MAX_TEXT:
        raise FhirError(
            400,
            f"The message is too long (at most {MAX_TEXT} characters).",
            expression="text",
            reason="text-too-long",
            args={"limit": MAX_TEXT},
        )
    message_id = (message_id or "").strip()
    if not message_id or len(message_id) > 100:
        raise FhirError(
            400,
            "A message needs a messageId made by the client (a UUID), so that a retry is recognised.",
            expression="messageId",
            reason="message-id-missing",
        )
    ident = f"{p.ref}|{message_id}"
    with store.write() as tx:
        t = _load(tx, p, task_id)
        done = tx.find_by_ident("Communication", ident)
        if done is not None:
            return t, done
        expected = parse_if_match(if_match)
        access.require_role(p, "physician", "nurse", "switchboard", what="write to patients")
        if t.get("status") == c.STATUS_CANCELLED:
            raise FhirError(
                409,
                "This item was cancelled.",
                code="business-rule",
                current=t,
                reason="cancelled",
                args={"item": str(t["id"])},
            )
        if t.get("status") in c.OPEN_STATUSES:
            decisions.require_available(p, t)
        _check_version(t, expected)
        documents = for_message(tx, attachments)
        new = copy.deepcopy(t)
        focus = ref_of(t.get("focus"))
        header = tx.get_ref(focus) if focus.startswith("Communication/") else None
        if header is not None:
            msg = staff_message(
                tx, p, focus, ref_of(t.get("for")), text, message_id=message_id, ident=ident, documents=documents
            )
            close_drafts(tx, p, focus)
            if t.get("status") in c.OPEN_STATUSES:
                new["businessStatus"] = _business("replied")
        else:
            msg = decisions.patient_message(
                tx,
                p,
                t,
                new,
                str(t.get("description") or "Melding")[:200],
                text,
                message_id=message_id,
                ident=ident,
                documents=documents,
            )
        return _save(tx, t, new, "message"), msg


@once_per_ident
def reply(
    store: Store,
    p: Principal,
    task_id: str,
    if_match: str | None,
    text: str,
    message_id: str,
    attachments: Sequence[str] = (),
) -> tuple[Resource, Resource]:
    """Add a staff reply to the item's thread. Returns (task, message).

    Retrying with the same `message_id` returns the first result and changes nothing, so a
    client that lost the answer can safely send again: the patient gets the reply exactly once.
    """
    text = (text or "").strip()
    if not text:
        raise FhirError(400, "The reply is empty.", expression="text", reason="text-empty", args={"name": "text"})
    if len(text) > MAX_TEXT:
        raise FhirError(
            400,
            f"The reply is too long (at most {MAX_TEXT} characters).",
            expression="text",
            reason="text-too-long",
            args={"name": "text", "limit": MAX_TEXT},
        )
    message_id = (message_id or "").strip()
    if not message_id or len(message_id) > 100:
        raise FhirError(
            400,
            "A reply needs a messageId made by the client (a UUID), so that a retry is recognised.",
            expression="messageId",
            reason="message-id-required",
        )
    ident = f"{p.ref}|{message_id}"
    with store.write() as tx:
        t = _load(tx, p, task_id)
        done = tx.find_by_ident("Communication", ident)
        if done is not None:
            if ref_of((done.get("partOf") or [{}])[0]) != ref_of(t.get("focus")):
                raise FhirError(
                    409,
                    "This messageId was already used for another reply; make a new one.",
                    reason="message-id-reused",
                )
            return t, done
        expected = parse_if_match(if_match)
        access.require_role(p, "physician", "nurse", "switchboard", what="reply to patients")
        if reason := _closed_reason(t):
            raise _conflict(reason, t, **_closed_code(t))
        if t.get("status") != c.STATUS_CLAIMED or ref_of(t.get("owner")) != p.ref:
            raise _conflict(
                "Claim this item before you reply, so that the patient does not get two answers from two colleagues.",
                t,
                reason="claim-first",
                args={"item": rs.task_ref(t), "action": "reply"},
            )
        focus = ref_of(t.get("focus"))
        header = tx.get_ref(focus) if focus.startswith("Communication/") else None
        if header is None:
            raise _conflict(
                "This item has no message thread to reply in.",
                t,
                reason="item-incomplete",
                args={"item": rs.task_ref(t), "missing": "thread"},
            )
        _check_version(t, expected)
        patient = ref_of(t.get("for"))
        msg = staff_message(
            tx, p, focus, patient, text, message_id=message_id, ident=ident, documents=for_message(tx, attachments)
        )
        close_drafts(tx, p, focus)
        new = copy.deepcopy(t)
        new["businessStatus"] = _business("replied")
        saved = _save(tx, t, new, "reply")
        return saved, msg
