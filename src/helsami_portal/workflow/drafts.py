"""Reply drafts: kept on the portal so they survive a crash or a closed laptop.

A draft is a Communication with status "preparation", visible only to its author. The author
updates it (PUT with If-Match) as they type; when the reply is sent, the author's drafts in
that thread are closed (status "stopped"), so they neither linger nor come back.

A draft keeps what the reply will carry: its text (the first payload entry, contentString) and the
library documents attached to it, each as the sent reply carries one (a payload contentAttachment)
whose extension from-library names the library DocumentReference. They pass the checks a sent
reply's do (`library.for_message`): the client sends them again with `$reply`, which attaches each once.
"""

from __future__ import annotations

import copy
from typing import Any

from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_of
from ..store import communications
from ..store.store import Store, Tx
from . import access, library
from .items import parse_if_match

Resource = dict[str, Any]
MAX_DRAFT = 40_000


def update(store: Store, p: Principal, draft_id: str, body: Resource, if_match: str | None) -> Resource:
    expected = parse_if_match(if_match)
    access.require_role(p, *access.INBOX_ROLES, what="write drafts")
    if body.get("resourceType") != "Communication" or body.get("id") not in (None, draft_id):
        raise FhirError(
            400,
            "The body must be the Communication named in the address.",
            reason="resource-type-mismatch",
            args={"expected": "Communication"},
        )
    status = body.get("status", "preparation")
    if status not in ("preparation", "stopped"):
        raise FhirError(
            422,
            "A draft can only be changed (status preparation) or discarded (status stopped); "
            "send it with the Task's $reply.",
            code="business-rule",
            reason="draft-status-invalid",
        )
    with store.write() as tx:
        current = tx.require("Communication", draft_id, for_update=True)
        if current.get("status") != "preparation":
            raise FhirError(
                409,
                "Only drafts can be changed; this message was already sent or discarded.",
                code="business-rule",
                reason="not-a-draft",
            )
        if ref_of(current.get("sender")) != p.ref:
            raise access.forbidden("Drafts are visible only to their author.", reason="draft-author-only")
        if int(current["meta"]["versionId"]) != expected:
            raise FhirError(
                412,
                "The draft was changed elsewhere (another window?); reload it.",
                current=current,
                reason="stale-version",
            )
        new = copy.deepcopy(current)
        if status == "preparation":  # a discarded draft keeps what it held (even a document retired since)
            new["payload"] = payload_of(tx, body)
        new["status"] = status
        return tx.update(new, expected_version=expected)


def payload_of(tx: Tx, body: Resource, limit: int = MAX_DRAFT) -> list[Resource]:
    """A draft's payload as kept: its text, then its library documents, checked as a sent reply's
    (at most 10, each a current library document; what the body says about a document is replaced
    by the library's own title, type and size)."""
    payload = body.get("payload")
    if payload is None:
        payload = [{}]
    first = (payload[0] or {}) if isinstance(payload, list) and payload else {}
    text = first.get("contentString", "") if isinstance(first, dict) else None
    if not isinstance(payload, list) or not isinstance(text, str) or len(text) > limit:
        raise FhirError(
            400,
            "The draft text is missing or too long.",
            expression="payload",
            reason="text-invalid",
            args={"name": "payload"},
        )
    docs = library.for_message(tx, library.draft_refs(payload[1:]))
    return [{"contentString": text}, *library.draft_entries(docs)]


def close_drafts(tx: Tx, p: Principal, thread_ref: str) -> None:
    """Close the author's open drafts in a thread (after their reply was sent)."""
    for did in communications.drafts_in_thread(tx, thread_ref, p.ref):
        d = tx.require("Communication", did)
        d = copy.deepcopy(d)
        d["status"] = "stopped"
        tx.update(d, expected_version=int(d["meta"]["versionId"]))
