"""The access log as the privacy officer reads it."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ..reasons import ReasonArg, parse_args
from .base import Json, _d, _l, _Model, _s, display_of, first_code, parse_instant, ref_of

# The portal's codes of an entry's basis and of what was read, and their arguments (docs/api.md).
BASIS_SYSTEM = "https://helsami.example/fhir/CodeSystem/access-basis"
WHAT_SYSTEM = "https://helsami.example/fhir/CodeSystem/access-what"
EXT_ACCESS_WHAT = "https://helsami.example/fhir/StructureDefinition/access-what"
EXT_ACCESS_ARG = "https://helsami.example/fhir/StructureDefinition/access-argument"

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
    what_code: str = ""
    what_args: dict[str, ReasonArg] = Field(default_factory=dict)
    basis_code: str = ""
    basis_args: dict[str, ReasonArg] = Field(default_factory=dict)

    @classmethod
    def from_fhir(cls, r: Json) -> AccessEntry:
        agent = _d(next((a for a in _l(r.get("agent")) if isinstance(a, dict)), {}))
        purpose = _d(next((p for p in _l(agent.get("purposeOfUse")) if isinstance(p, dict)), {}))
        entity = _d(next((e for e in _l(r.get("entity")) if isinstance(e, dict)), {}))
        what_code = next(
            (
                _s(_d(x.get("valueCoding")).get("code"))[:80]
                for x in _l(entity.get("extension"))
                if isinstance(x, dict)
                and x.get("url") == EXT_ACCESS_WHAT
                and _d(x.get("valueCoding")).get("system") == WHAT_SYSTEM
            ),
            "",
        )
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
            what_code=what_code,
            what_args=parse_args(entity.get("extension"), EXT_ACCESS_ARG) if what_code else {},
            basis_code=first_code(purpose, BASIS_SYSTEM)[:80],
            basis_args=parse_args(purpose.get("extension"), EXT_ACCESS_ARG),
        )
