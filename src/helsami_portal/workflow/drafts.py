"""Reply drafts: kept on the portal so they survive a crash or a closed laptop.

A draft is a Communication with status "preparation", visible only to its author. The author
updates it (PUT with If-Match) as they type; when the reply is sent, the author's drafts in
that thread are closed (status "stopped"), so they neither linger nor come back.
"""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_of
from ..store.schema import resource
from ..store.store import Store, Tx
from . import access

Resource = dict[str, Any]
MAX_DRAFT = 40_000


def update(store: Store, p: Principal, draft_id: str, body: Resource, if_match: str | None) -> Resource:
    from .inbox import parse_if_match

    expected = parse_if_match(if_match)
    access.require_role(p, *access.INBOX_ROLES, what="write drafts")
    if body.get("resourceType") != "Communication" or body.get("id") not in (None, draft_id):
        raise FhirError(400, "The body must be the Communication named in the address.")
    status = body.get("status", "preparation")
    if status not in ("preparation", "stopped"):
        raise FhirError(422, "A draft can only be changed (status preparation) or discarded (status stopped); "
                             "send it with the Task's $reply.", code="business-rule")
    text = ((body.get("payload") or [{}])[0] or {}).get("contentString", "")
    if not isinstance(text, str) or len(text) > MAX_DRAFT:
        raise FhirError(400, "The draft text is missing or too long.", expression="payload")
    with store.write() as tx:
        current = tx.require("Communication", draft_id, for_update=True)
        if current.get("status") != "preparation":
            raise FhirError(409, "Only drafts can be changed; this message was already sent or discarded.",
                            code="business-rule")
        if ref_of(current.get("sender")) != p.ref:
            raise access.forbidden("Drafts are visible only to their author.")
        if int(current["meta"]["versionId"]) != expected:
            raise FhirError(412, "The draft was changed elsewhere (another window?); reload it.", current=current)
        new = copy.deepcopy(current)
        new["payload"] = [{"contentString": text}]
        new["status"] = status
        return tx.update(new, expected_version=expected)


def close_drafts(tx: Tx, p: Principal, thread_ref: str) -> None:
    """Close the author's open drafts in a thread (after their reply was sent)."""
    rows = tx.conn.execute(sa.select(resource.c.id).where(
        resource.c.rtype == "Communication", resource.c.ref1 == thread_ref,
        resource.c.status == "preparation", resource.c.ref2 == p.ref)).all()
    for (did,) in rows:
        d = tx.require("Communication", did)
        d = copy.deepcopy(d)
        d["status"] = "stopped"
        tx.update(d, expected_version=int(d["meta"]["versionId"]))
