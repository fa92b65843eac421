"""Error answers (OperationOutcome), with the current state of what the caller tried to change."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..reasons import ReasonArg, parse_reason
from .base import Json, _d, _l, _Model, _s, concept_text
from .inbox import InboxItem

# -- errors ----------------------------------------------------------------------------------


def _current_state(r: Json) -> Json | None:
    """The resource a 409/412 OperationOutcome contains as the current state, with the version the
    portal's current-state extension gives put back into meta (a contained resource carries none)."""
    contained = [c for c in _l(r.get("contained")) if isinstance(c, dict)]
    for ext in _l(r.get("extension")):
        if not (isinstance(ext, dict) and _s(ext.get("url")).endswith("/current-state")):
            continue
        parts = {_s(e.get("url")): e for e in _l(ext.get("extension")) if isinstance(e, dict)}
        ref = _s(_d(_d(parts.get("resource")).get("valueReference")).get("reference"))
        for c in contained:
            if f"#{_s(c.get('id'))}" == ref:
                meta = dict(_d(c.get("meta")))
                if "versionId" in parts:
                    meta["versionId"] = _s(parts["versionId"].get("valueId"))
                if "lastUpdated" in parts:
                    meta["lastUpdated"] = _s(parts["lastUpdated"].get("valueInstant"))
                return {**c, "meta": meta}
    return contained[0] if contained else None


class OperationOutcome(_Model):
    """An error answer: the plain-words diagnostics, the issue code, and the current version of
    the thing the caller tried to change (the Task after a conflict), when the portal sent it."""

    severity: str
    code: str
    diagnostics: str
    expression: tuple[str, ...]
    current: dict[str, Any] | None
    reason: str = ""
    reason_args: dict[str, ReasonArg] = Field(default_factory=dict)

    @classmethod
    def from_fhir(cls, r: Json) -> OperationOutcome:
        issues = [i for i in _l(r.get("issue")) if isinstance(i, dict)]
        first = issues[0] if issues else {}
        texts = [_s(i.get("diagnostics")) or concept_text(i.get("details")) for i in issues]
        reason, reason_args = parse_reason(first)
        current = _current_state(r)
        return cls.model_construct(
            severity=_s(first.get("severity")) or "error",
            code=_s(first.get("code")),
            diagnostics=" ".join(t for t in texts if t),
            expression=tuple(_s(x) for x in _l(first.get("expression"))),
            current=current,
            reason=reason,
            reason_args=reason_args,
        )

    @property
    def current_task(self) -> InboxItem | None:
        if self.current and self.current.get("resourceType") == "Task":
            return InboxItem.from_fhir(self.current)
        return None
