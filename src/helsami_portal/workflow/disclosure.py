"""What may leave the portal once the access decision allowed it: the verdict, redaction of what
never leaves (a confidential address), masking of what skjerming covers, and the note that some
resources were withheld.

Part of the access rules (`workflow.access`, which re-exports these names).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from ..fhir import narrative
from ..fhir.outcome import REASON_SYSTEM

Resource = dict[str, Any]
MASKED_TEXT = "Skjermet innhold"


class Verdict(NamedTuple):
    """The decision on one resource for one principal (immutable; a named tuple, made about four
    times faster than a frozen dataclass, once per resource a page returns)."""

    allowed: bool
    patient: str = ""  # whose data it is: the access log entry goes to this patient
    basis: str = ""  # allowed: the basis of access to log (care relation, break the glass, own pool)
    refusal: str = ""  # refused: the reason code (REFUSALS)
    masked: bool = False  # allowed, with what skjerming hides masked (an inbox item's description)


def redact(r: Resource) -> Resource:
    """Remove what must never leave the server: a confidential address, for anyone."""
    if r.get("resourceType") in ("Patient", "RelatedPerson"):
        sec = (r.get("meta") or {}).get("security") or []
        if any(s.get("code") == "R" for s in sec) and r.get("address"):
            r = dict(r)
            r["address"] = [
                {
                    "extension": [
                        {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}
                    ],
                    "text": "Skjermet adresse",
                }
            ]
            r["text"] = narrative.narrative(r)  # the narrative says no more than what is left
    return r


def trimmed(r: Resource, keep: Iterable[str]) -> Resource:
    """A resource cut down to the elements `keep` names (what the patient API shows), elements without
    a value left out (FHIR JSON has no empty arrays) and its narrative made again from what is left, so
    it tells no more than they do (dom-6)."""
    out = {k: r[k] for k in keep if k in r and r[k] not in (None, "", [], {})}
    if out.get("resourceType") not in narrative.WITHOUT_NARRATIVE:
        out["text"] = narrative.narrative(out)
    return out


def release(r: Resource, v: Verdict) -> Resource:
    """The resource as it may leave the portal under verdict `v` (allowed): redacted, and with an
    inbox item's description and notes masked where skjerming covers what it is about."""
    r = redact(r)
    if v.masked:
        r = dict(r)
        absent = [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}]
        if "description" in r:
            r["description"] = MASKED_TEXT
            r["_description"] = {"extension": absent}
        if r.get("note"):
            r["note"] = [{"text": MASKED_TEXT}]
        r["text"] = narrative.narrative(r)  # made again from what is left, so it tells nothing masked
    return r


def withheld_note() -> Resource:
    """The OperationOutcome entry (search mode `outcome`) saying that some resources were left out,
    without naming them or saying how many."""
    text = (
        "Some resources are left out because you may not see them (restricted (skjermet), "
        "or outside your care relation or inboxes)."
    )
    return {
        "resourceType": "OperationOutcome",
        "id": uuid.uuid4().hex,
        "issue": [
            {
                "severity": "information",
                "code": "suppressed",
                "diagnostics": text,
                "details": {"coding": [{"system": REASON_SYSTEM, "code": "withheld"}], "text": text},
            }
        ],
    }
