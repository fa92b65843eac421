"""Library documents attached to a staff message: which may be sent, the message's payload entries,
and the patient's copies written with it."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_of
from ..store.store import Tx, new_id

Resource = dict[str, Any]
MAX_ATTACHMENTS = 10


def is_library(r: Resource) -> bool:
    """A library document or its bytes (no patient's data: any staff member may read them)."""
    if r.get("resourceType") == "DocumentReference":
        return not r.get("subject")
    return r.get("resourceType") == "Binary"


# -- attaching to a staff message ---------------------------------------------------------------


def for_message(tx: Tx, refs: Sequence[str]) -> list[Resource]:
    """The library documents named by `refs` ("DocumentReference/<id>"), checked: at most 10, no
    repeats, each a current library document."""
    if len(refs) > MAX_ATTACHMENTS:
        raise FhirError(
            400,
            f"A message carries at most {MAX_ATTACHMENTS} documents.",
            expression="attachment",
            reason="too-many-attachments",
            args={"limit": MAX_ATTACHMENTS},
        )
    out: list[Resource] = []
    seen: set[str] = set()
    for ref in refs:
        rid = ref.removeprefix("DocumentReference/") if isinstance(ref, str) else ""
        if not (1 <= len(rid) <= 64) or not all(ch.isalnum() or ch in "-." for ch in rid):
            raise FhirError(
                422,
                "An attachment names a library document (DocumentReference/<id>).",
                expression="attachment",
                reason="document-not-in-library",
                args={"item": {"reference": str(ref)[:80]}},
            )
        if rid in seen:
            continue
        seen.add(rid)
        doc = tx.get("DocumentReference", rid)
        if doc is None or not is_library(doc):
            raise FhirError(
                422,
                f"DocumentReference/{rid} is not a library document.",
                expression="attachment",
                reason="document-not-in-library",
                args={"item": {"reference": f"DocumentReference/{rid}"}},
            )
        if doc.get("status") != "current":
            raise FhirError(
                409,
                f"DocumentReference/{rid} is retired and can no longer be sent.",
                code="business-rule",
                reason="document-retired",
                args={"item": {"reference": f"DocumentReference/{rid}"}},
            )
        out.append(doc)
    return out


def payload_for(docs: Sequence[Resource]) -> tuple[list[Resource], list[str]]:
    """The message's payload entries for `docs` and the ids their patient copies will have."""
    entries: list[Resource] = []
    ids: list[str] = []
    for doc in docs:
        copy_id = new_id()
        ids.append(copy_id)
        att = dict(doc["content"][0]["attachment"])
        entries.append(
            {
                "extension": [
                    {"url": c.EXT_SENT_DOCUMENT, "valueReference": {"reference": f"DocumentReference/{copy_id}"}}
                ],
                "contentAttachment": att,
            }
        )
    return entries, ids


def draft_entries(docs: Sequence[Resource]) -> list[Resource]:
    """A draft's payload entries for `docs`: the form a sent reply carries them in (a contentAttachment
    with an extension), the extension from-library naming the library document itself (a draft has
    no patient's copy yet; the copies are made when the reply is sent)."""
    return [
        {
            "extension": [
                {"url": c.EXT_FROM_LIBRARY, "valueReference": {"reference": f"DocumentReference/{doc['id']}"}}
            ],
            "contentAttachment": dict(doc["content"][0]["attachment"]),
        }
        for doc in docs
    ]


def draft_refs(entries: Sequence[Any]) -> list[str]:
    """The library documents a draft's attachment entries name ("" for an entry that names none,
    which `for_message` refuses: a draft carries library documents only, never bytes of its own)."""
    refs = []
    for x in entries:
        ext = x.get("extension") if isinstance(x, dict) else None
        ref = next(
            (
                ref_of(e.get("valueReference"))
                for e in (ext if isinstance(ext, list) else [])
                if isinstance(e, dict) and e.get("url") == c.EXT_FROM_LIBRARY
            ),
            "",
        )
        refs.append(ref if ref.startswith("DocumentReference/") else "")
    return refs


def send_copies(
    tx: Tx, p: Principal, patient_ref: str, message: Resource, docs: Sequence[Resource], ids: Sequence[str]
) -> list[Resource]:
    """The patient's copies of `docs`, sent with `message` (same transaction)."""
    copies = []
    for doc, copy_id in zip(docs, ids, strict=True):
        cp = copy.deepcopy({k: v for k, v in doc.items() if k not in ("id", "meta")})
        cp["id"] = copy_id
        cp["status"] = "current"
        cp["subject"] = {"reference": patient_ref}
        cp["date"] = tx.now
        cp["author"] = [p.reference()]
        cp["extension"] = list(cp.get("extension") or []) + [
            {"url": c.EXT_FROM_LIBRARY, "valueReference": {"reference": f"DocumentReference/{doc['id']}"}}
        ]
        cp["context"] = {
            "related": [{"reference": f"Communication/{message['id']}"}]
            + ([{"reference": ref_of((message.get("partOf") or [{}])[0])}] if message.get("partOf") else [])
        }
        copies.append(cp)
    return tx.create_many(copies, keep_id=True) if copies else []
