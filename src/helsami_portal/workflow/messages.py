"""The one place a staff message to a patient is made (replies, and the messages that tell the
patient about a decision)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..store.store import Tx
from . import library, notify


def staff_message(
    tx: Tx,
    p: Principal,
    thread_ref: str,
    patient_ref: str,
    text: str,
    *,
    message_id: str | None = None,
    ident: str | None = None,
    documents: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Create a staff reply in a thread, visible to the patient; `message_id` is the client's id
    (kept on the message) and `ident` the key that makes a retry return this message. `documents`
    (library documents, checked by `library.for_message`) go with it as attachments, each copied
    for the patient."""
    extra, copy_ids = library.payload_for(documents)
    msg: dict[str, Any] = {
        "resourceType": "Communication",
        "status": "completed",
        "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "staff-reply"}]}],
        "partOf": [{"reference": thread_ref}],
        "subject": {"reference": patient_ref},
        "sender": p.reference(),
        "recipient": [{"reference": patient_ref}],
        "sent": tx.now,
        "medium": [{"coding": [{"system": c.MEDIUM_SYSTEM, "code": c.MEDIUM_PORTAL}]}],
        "payload": [{"contentString": text}, *extra],
    }
    if message_id:
        msg["identifier"] = [{"system": c.CLIENT_MESSAGE_ID, "value": message_id}]
    made = tx.create(msg, ident=ident)
    if documents:
        library.send_copies(tx, p, patient_ref, made, documents, copy_ids)
    notify.enqueue(tx, patient_ref, "message", f"Communication/{made['id']}")  # the patient is told
    return made
