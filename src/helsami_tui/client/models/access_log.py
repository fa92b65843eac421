"""The access log as the privacy officer reads it."""

from __future__ import annotations

import datetime as dt

from .base import Json, _d, _l, _Model, _s, display_of, first_code, parse_instant, ref_of

# -- the access log (privacy officer) ---------------------------------------------------------


class AccessEntry(_Model):
    """One access-log entry (AuditEvent): when, who, whose data, what, on which basis; a
    break-the-glass entry is flagged and its stated reason is the basis."""

    id: str
    recorded: dt.datetime | None
    who_ref: str
    who_display: str
    patient_ref: str
    what: str
    reason: str
    break_glass: bool
    denied: bool
    action: str

    @classmethod
    def from_fhir(cls, r: Json) -> AccessEntry:
        agent = _d(next((a for a in _l(r.get("agent")) if isinstance(a, dict)), {}))
        purpose = _d(next((p for p in _l(agent.get("purposeOfUse")) if isinstance(p, dict)), {}))
        entity = _d(next((e for e in _l(r.get("entity")) if isinstance(e, dict)), {}))
        return cls.model_construct(
            id=_s(r.get("id")),
            recorded=parse_instant(r.get("recorded")),
            who_ref=ref_of(agent.get("who")),
            who_display=display_of(agent.get("who")),
            patient_ref=ref_of(entity.get("what")),
            what=_s(entity.get("description")),
            reason=_s(purpose.get("text")),
            break_glass=first_code(purpose) == "BTG",
            denied=_s(r.get("outcome")) not in ("", "0"),
            action=first_code(r.get("subtype")) or _s(r.get("action")),
        )
