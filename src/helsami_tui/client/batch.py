"""Batch triage: one action on many marked items, as one FHIR `batch` Bundle (docs/api.md, "Batch").

`plan` says, before anything runs, what will happen to each item and what the portal will refuse
and why (the same reason codes the portal sends, so the user reads them through the refusal
catalog); `bundle` builds the Bundle of the entries that will run, each with its own `ifMatch`;
`outcomes` reads the portal's `batch-response`, one outcome per item. The portal decides each entry
on its own: a prediction here is advice, the answer is the portal's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Final

from ..templates import PATIENT
from .errors import ClientError, Conflict, PortalError, Ref, error_from
from .models import InboxItem, OperationOutcome
from .reviews import RenewalReview, ResultReview

Json = dict[str, Any]

# The actions of batch triage and the Task operation each one is.
ACTIONS: Final[dict[str, str]] = {
    "release": "release",
    "mark-reviewed": "mark-reviewed",
    "approve": "approve",
    "complete": "complete",
    "claim": "claim",
    "forward": "forward",
}
MAX_BATCH: Final[int] = 100  # the portal's limit of entries per batch (batch-too-large beyond it)
OPEN: Final[tuple[str, ...]] = ("requested", "in-progress")
# The business status each decision leaves the item in.
SETTLED: Final[dict[str, str]] = {"release": "released", "mark-reviewed": "reviewed", "approve": "approved"}


@dataclass(frozen=True, slots=True)
class Step:
    """What will happen to one item: the action, or the refusal (a reason code and its arguments)."""

    item: InboxItem
    action: str
    reason: str = ""
    args: Mapping[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> bool:
        return not self.reason


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one item: done (with the item's new version) or refused (the typed error)."""

    item: InboxItem
    action: str
    new: InboxItem | None = None
    error: ClientError | None = None

    @property
    def done(self) -> bool:
        return self.new is not None


def _closed(item: InboxItem) -> tuple[str, dict[str, Any]] | None:
    if item.status == "cancelled":
        return "cancelled", {"item": Ref(f"Task/{item.id}")}
    if item.status not in OPEN:
        return "already-completed", {
            "item": Ref(f"Task/{item.id}"),
            "who": Ref(item.owner_ref, item.owner_display),
            "when": item.last_modified,
        }
    return None


def _held_by_other(item: InboxItem, me: str) -> tuple[str, dict[str, Any]] | None:
    """A decision needs an item waiting in a pool or held by the caller (the portal's rule)."""
    if item.owner_ref == me:
        return None
    who = Ref(item.owner_ref, item.owner_display)
    if item.status == "in-progress":
        return "claimed-by-other", {"item": Ref(f"Task/{item.id}"), "who": who, "when": item.last_modified}
    if item.owner_ref.startswith("Practitioner/"):
        return "forwarded-to-other", {"item": Ref(f"Task/{item.id}"), "who": who}
    return None


def _wrong_type(item: InboxItem, *expected: str) -> tuple[str, dict[str, Any]] | None:
    if item.type in expected:
        return None
    return "wrong-item-type", {"item": Ref(f"Task/{item.id}"), "type": item.type, "expected": expected[0]}


def predict(
    item: InboxItem,
    action: str,
    me: str,
    roles: AbstractSet[str],
    *,
    target: str = "",
    review: RenewalReview | ResultReview | None = None,
) -> Step:
    """The step for one item: the refusal the portal will give, if one can be told in advance."""
    found = _closed(item)
    if found is None and action == "claim":
        if item.owner_ref == me:
            found = "already-claimed-by-you", {"item": Ref(f"Task/{item.id}")}
        else:
            found = _held_by_other(item, me)
    elif found is None and action == "complete":
        if item.status != "in-progress" or item.owner_ref != me:
            found = "claim-first", {"item": Ref(f"Task/{item.id}"), "action": "complete"}
    elif found is None and action == "forward":
        if target and item.owner_ref == target:
            found = "already-there", {"item": Ref(f"Task/{item.id}"), "target": Ref(target)}
    elif found is None and action in ("release", "approve", "mark-reviewed"):
        found = (
            _wrong_type(item, "result", "questionnaire")
            if action == "mark-reviewed"
            else _wrong_type(item, "result")
            if action == "release"
            else _wrong_type(item, "renewal")
        )
        if found is None and action == "release" and "physician" not in roles:
            found = "physician-only", {}
        if found is None and action == "approve" and "physician" not in roles:
            found = "prescriber-only", {}
        if found is None:
            found = _held_by_other(item, me)
        if found is None and isinstance(review, ResultReview) and action == "release":
            if review.category == "never-online":
                found = "never-online", {"item": Ref(f"Task/{item.id}")}
            elif review.status not in ("final", "amended", "corrected", "appended"):
                found = "report-not-final", {"item": Ref(f"Task/{item.id}"), "status": review.status}
            elif review.released and review.released_by:
                found = "already-released", {"item": Ref(f"Task/{item.id}")}
            elif not review.observations or any(o.flag != "N" for o in review.observations):
                found = (
                    "not-normal",
                    {"item": Ref(f"Task/{item.id}"), "count": sum(1 for o in review.observations if o.flag != "N")},
                )
        if found is None and isinstance(review, RenewalReview) and review.verdict != "routine":
            found = "not-routine", {"item": Ref(f"Task/{item.id}"), "reasons": ",".join(r.code for r in review.reasons)}
    if found is None:
        return Step(item, action)
    return Step(item, action, found[0], found[1])


def parameters(action: str, *, comment: str = "", target: str = "", note: str = "") -> Json | None:
    """The Parameters of one entry (the same for every item of the batch)."""
    prm: list[Json] = []
    if action == "release":
        prm.append({"name": "normalOnly", "valueBoolean": True})  # one comment for many: normal results only
        if comment.strip():
            prm.append({"name": "comment", "valueString": comment.strip()})
    elif action == "approve":
        prm.append({"name": "routineOnly", "valueBoolean": True})  # exceptions are refused by the portal
    elif action == "forward":
        prm.append({"name": "target", "valueReference": {"reference": target}})
    if note.strip() and action in ("forward", "complete", "mark-reviewed"):
        prm.append({"name": "note", "valueString": note.strip()})
    return {"resourceType": "Parameters", "parameter": prm} if prm else None


def bundle(steps: Sequence[Step], *, comment: str = "", target: str = "", note: str = "") -> Json:
    """The batch Bundle of the steps that run: each an operation on its Task with its own If-Match."""
    entries: list[Json] = []
    for s in steps:
        if not s.runs:
            continue
        entry: Json = {
            "request": {"method": "POST", "url": f"Task/{s.item.id}/${ACTIONS[s.action]}", "ifMatch": s.item.etag}
        }
        # One comment for many: the template's patient placeholder becomes this entry's patient.
        body = parameters(s.action, comment=comment.replace(PATIENT, s.item.patient_name), target=target, note=note)
        if body is not None:
            entry["resource"] = body
        entries.append(entry)
    if len(entries) > MAX_BATCH:
        raise PortalError(413, "Too many items for one batch.", reason="batch-too-large", args={"limit": MAX_BATCH})
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}


def _status(text: Any) -> int:
    head = str(text or "").split(" ", 1)[0]
    return int(head) if head.isdigit() else 500


def _task_of(resource: Any) -> Json | None:
    if not isinstance(resource, dict):
        return None
    if resource.get("resourceType") == "Task":
        return resource
    for prm in resource.get("parameter") or []:
        if isinstance(prm, dict) and prm.get("name") == "task" and isinstance(prm.get("resource"), dict):
            return dict(prm["resource"])
    return None


def outcomes(steps: Sequence[Step], response: Json) -> list[Outcome]:
    """One outcome per step, in order: the runs read from the batch-response, the refusals as planned."""
    entries = [e for e in response.get("entry") or [] if isinstance(e, dict)]
    out: list[Outcome] = []
    it = iter(entries)
    for s in steps:
        if not s.runs:
            out.append(Outcome(s.item, s.action, error=PortalError(409, "", reason=s.reason, args=dict(s.args))))
            continue
        e = next(it, None)
        if e is None:
            out.append(Outcome(s.item, s.action, error=PortalError(500, "", reason="incomplete-answer")))
            continue
        got = e.get("response")
        resp: Json = got if isinstance(got, dict) else {}
        status = _status(resp.get("status"))
        task = _task_of(e.get("resource"))
        if 200 <= status < 300 and task is not None:
            out.append(Outcome(s.item, s.action, new=s.item.with_task(task)))
            continue
        oo = resp.get("outcome")
        err = error_from(OperationOutcome.from_fhir(oo if isinstance(oo, dict) else {}), status)
        if isinstance(err, Conflict) and err.current_raw and err.current_raw.get("resourceType") == "Task":
            err.current = s.item.with_task(err.current_raw)  # the patient and subject as read before
        out.append(Outcome(s.item, s.action, error=err))
    return out


__all__ = ["ACTIONS", "MAX_BATCH", "Outcome", "Step", "bundle", "outcomes", "parameters", "predict"]
