"""The patient's own requests: questionnaire answers and appointment requests, and the thread a
decision's messages to the patient go to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models.base import (
    EXT_PATIENT_THREAD,
    Json,
    _d,
    _l,
    _Model,
    _s,
    concept_text,
    parse_instant,
    ref_of,
)
from .common import ReviewTask, _i

# -- questionnaires ------------------------------------------------------------------------------


class Answer(_Model):
    link_id: str
    question: str
    answer: str
    attention: bool
    info: bool
    reason: str
    rule: str = ""  # the portal's code of the rule that flagged the answer
    values: tuple[bool | int | float | str, ...] = ()  # the answers as values (booleans, numbers, text)

    @classmethod
    def from_json(cls, r: Any) -> Answer:
        r = _d(r)
        values = tuple(v for v in _l(r.get("values")) if isinstance(v, (bool, int, float, str)))
        return cls(
            link_id=_s(r.get("linkId")),
            question=_s(r.get("question")),
            answer=_s(r.get("answer")),
            attention=r.get("attention") is True,
            info=r.get("info") is True,
            reason=_s(r.get("reason")),
            rule=_s(r.get("rule")),
            values=values,
        )


class QuestionnaireReview(_Model):
    """GET Task/{id}/$questionnaire-review."""

    task: ReviewTask
    title: str
    url: str
    authored: dt.datetime | None
    items: tuple[Answer, ...]
    attention: int

    @classmethod
    def from_json(cls, r: Json) -> QuestionnaireReview:
        q = _d(r.get("questionnaire"))
        items = tuple(Answer.from_json(x) for x in _l(r.get("items")))
        att = _i(r.get("attention"))
        return cls(
            task=ReviewTask.from_json(r.get("task")),
            title=_s(q.get("title")),
            url=_s(q.get("url")),
            authored=parse_instant(r.get("authored")),
            items=items,
            attention=att if att is not None else sum(1 for i in items if i.attention),
        )


# -- appointment requests ------------------------------------------------------------------------


class AppointmentRequest(_Model):
    """The Appointment an appointment-request item is about, and what the patient asked."""

    ref: str
    status: str  # proposed (a wish for a time) | booked | cancelled ...
    kind: str  # book | change | cancel
    service: str
    description: str
    comment: str
    start: dt.datetime | None
    end: dt.datetime | None
    minutes: int | None
    requested_from: dt.datetime | None
    requested_to: dt.datetime | None

    @classmethod
    def from_fhir(cls, r: Json, task_description: str = "") -> AppointmentRequest:
        st = _l(r.get("serviceType"))
        service = concept_text(st[0]) if st else ""
        periods = _l(r.get("requestedPeriod"))
        p0 = _d(periods[0]) if periods else {}
        a, b = parse_instant(p0.get("start")), parse_instant(p0.get("end"))
        if a and b and b < a:
            a, b = b, a
        status = _s(r.get("status"))
        comment = _s(r.get("comment"))
        description = _s(r.get("description"))
        words = f"{task_description} {description} {comment}".lower()
        if status in ("proposed", "pending", "waitlist") and not r.get("start"):
            kind = "book"
        elif "avbestill" in words or "cancel" in words:
            kind = "cancel"
        elif status in ("booked", "arrived", "pending", "proposed"):
            kind = "change"
        else:
            kind = "book"
        return cls(
            ref=f"Appointment/{_s(r.get('id'))}",
            status=status,
            kind=kind,
            service=service,
            description=description,
            comment=comment,
            start=parse_instant(r.get("start")),
            end=parse_instant(r.get("end")),
            minutes=_i(r.get("minutesDuration")),
            requested_from=a,
            requested_to=b,
        )


def patient_thread_ref(task: Json) -> str:
    """The thread a decision's messages to the patient go to (Task extension), or ""."""
    for e in _l(task.get("extension")):
        if isinstance(e, dict) and e.get("url") == EXT_PATIENT_THREAD:
            return ref_of(e.get("valueReference"))
    return ""
