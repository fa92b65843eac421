"""Lean models of the decision reviews (docs/api.md, "Decisions"): what the renewal, result,
questionnaire and appointment screens show. Each owns its conversion from the portal's JSON.

Like `models`, every reader tolerates missing or wrongly typed values, and all server text stays
plain `str` (untrusted: the UI shows it through `safetext`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .models import Json, _d, _l, _Model, _s, concept_text, display_of, parse_date, parse_instant, ref_of

EXT_PATIENT_THREAD = "https://helsami.example/fhir/StructureDefinition/patient-thread"


def _n(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _i(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def number_text(value: Any) -> str:
    """A number as staff read it (no trailing .0); other values as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ReviewTask(_Model):
    id: str = ""
    version: int = 0
    status: str = ""
    business_status: str = ""

    @classmethod
    def from_json(cls, r: Any) -> ReviewTask:
        r = _d(r)
        v = r.get("versionId")
        try:
            version = int(v)
        except (TypeError, ValueError):
            version = 0
        return cls(id=_s(r.get("id")), version=version, status=_s(r.get("status")),
                   business_status=_s(r.get("businessStatus")))


# -- renewals ------------------------------------------------------------------------------------

class RenewalWarning(_Model):
    code: str  # stable: allergy:<id>, interaction:<rule>:<id>, controlled:A|B, unknown-medicine:<ATC>
    kind: str  # allergy | interaction | controlled | unknown-medicine
    severity: str
    text: str
    with_ref: str = ""

    @classmethod
    def from_json(cls, r: Any) -> RenewalWarning:
        r = _d(r)
        return cls(code=_s(r.get("code")), kind=_s(r.get("kind")), severity=_s(r.get("severity")),
                   text=_s(r.get("text")), with_ref=_s(r.get("with")))


class Reason(_Model):
    code: str
    text: str

    @classmethod
    def from_json(cls, r: Any) -> Reason:
        r = _d(r)
        return cls(code=_s(r.get("code")), text=_s(r.get("text")))


class ReviewAllergy(_Model):
    ref: str
    text: str
    atc: str
    criticality: str
    type: str
    reaction: str

    @classmethod
    def from_json(cls, r: Any) -> ReviewAllergy:
        r = _d(r)
        return cls(ref=_s(r.get("reference")), text=_s(r.get("text")), atc=_s(r.get("atc")),
                   criticality=_s(r.get("criticality")), type=_s(r.get("type")), reaction=_s(r.get("reaction")))


class ActiveMedicine(_Model):
    ref: str
    text: str
    atc: str
    authored_on: dt.datetime | None
    dosage: str

    @classmethod
    def from_json(cls, r: Any) -> ActiveMedicine:
        r = _d(r)
        return cls(ref=_s(r.get("reference")), text=_s(r.get("text")), atc=_s(r.get("atc")),
                   authored_on=parse_instant(r.get("authoredOn")), dosage=_s(r.get("dosage")))


class RenewalReview(_Model):
    """GET Task/{id}/$renewal-review."""

    task: ReviewTask
    patient_ref: str
    patient_display: str
    medicine: str  # the whole product text
    name: str
    strength: str
    form: str
    dosage: str
    atc: str
    atc_display: str
    substance: str
    classes: tuple[str, ...]
    reseptgruppe: str
    request_ref: str
    requested_on: dt.datetime | None
    requester: str
    request_notes: tuple[str, ...]
    prior_ref: str  # "" when the request renews no earlier prescription
    prior_date: dt.datetime | None
    prior_prescriber: str
    prior_status: str
    prior_dosage: str
    prior_valid_until: dt.date | None
    days_since: int | None
    usual_interval_days: int | None
    allergies: tuple[ReviewAllergy, ...]
    other_medicines: tuple[ActiveMedicine, ...]
    restricted_records: int
    warnings: tuple[RenewalWarning, ...]
    verdict: str  # routine | exception
    reasons: tuple[Reason, ...]
    sources: tuple[str, ...]

    @classmethod
    def from_json(cls, r: Json) -> RenewalReview:
        med = _d(r.get("medication"))
        req = _d(r.get("request"))
        prior = _d(r.get("priorPrescription"))
        prescriber = _d(prior.get("prescriber"))
        protocol = _d(r.get("protocol"))
        requester = req.get("requester")
        return cls(
            task=ReviewTask.from_json(r.get("task")),
            patient_ref=_s(_d(r.get("patient")).get("reference")),
            patient_display=_s(_d(r.get("patient")).get("display")),
            medicine=_s(med.get("text")), name=_s(med.get("name")) or _s(med.get("text")),
            strength=_s(med.get("strength")), form=_s(med.get("form")), dosage=_s(med.get("dosage")),
            atc=_s(med.get("atc")), atc_display=_s(med.get("atcDisplay")), substance=_s(med.get("substance")),
            classes=tuple(_s(x) for x in _l(med.get("classes"))), reseptgruppe=_s(med.get("reseptgruppe")),
            request_ref=_s(req.get("reference")), requested_on=parse_instant(req.get("authoredOn")),
            requester=display_of(requester) or ref_of(requester) or _s(requester if isinstance(requester, str) else ""),
            request_notes=tuple(_s(x) for x in _l(req.get("note")) if _s(x)),
            prior_ref=_s(prior.get("reference")), prior_date=parse_instant(prior.get("authoredOn")),
            prior_prescriber=_s(prescriber.get("display")) or _s(prescriber.get("reference")),
            prior_status=_s(prior.get("status")), prior_dosage=_s(prior.get("dosage")),
            prior_valid_until=parse_date(prior.get("validUntil")),
            days_since=_i(r.get("daysSinceLastPrescription")),
            usual_interval_days=_i(r.get("usualIntervalDays")),
            allergies=tuple(ReviewAllergy.from_json(a) for a in _l(r.get("allergies"))),
            other_medicines=tuple(ActiveMedicine.from_json(m) for m in _l(r.get("activeMedications"))),
            restricted_records=_i(r.get("restrictedRecords")) or 0,
            warnings=tuple(RenewalWarning.from_json(w) for w in _l(r.get("warnings"))),
            verdict=_s(protocol.get("verdict")),
            reasons=tuple(Reason.from_json(x) for x in _l(protocol.get("reasons"))),
            sources=tuple(_s(x) for x in _l(_d(r.get("knowledge")).get("sources"))),
        )

    @property
    def routine(self) -> bool:
        return self.verdict == "routine"

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]


# -- results -------------------------------------------------------------------------------------

class EarlierValue(_Model):
    date: dt.datetime | None
    value: float | None
    value_text: str
    unit: str
    flag: str

    @classmethod
    def from_json(cls, r: Any) -> EarlierValue:
        r = _d(r)
        v = r.get("value")
        return cls(date=parse_instant(r.get("date")), value=_n(v), value_text=number_text(v),
                   unit=_s(r.get("unit")), flag=_s(r.get("flag")))


class ReviewObservation(_Model):
    ref: str
    name: str
    code: str
    value: float | None
    value_text: str
    unit: str
    low: float | None
    high: float | None
    range_text: str
    flag: str  # N | H | L | HH | LL (| A | AA) | ""
    flag_text: str
    critical: bool
    history: tuple[EarlierValue, ...]  # oldest first

    @classmethod
    def from_json(cls, r: Any) -> ReviewObservation:
        r = _d(r)
        rr = _d(r.get("referenceRange"))
        v = r.get("value")
        return cls(ref=_s(r.get("reference")), name=_s(r.get("name")), code=_s(r.get("code")),
                   value=_n(v), value_text=number_text(v), unit=_s(r.get("unit")),
                   low=_n(rr.get("low")), high=_n(rr.get("high")), range_text=_s(rr.get("text")),
                   flag=_s(r.get("flag")), flag_text=_s(r.get("flagText")), critical=r.get("critical") is True,
                   history=tuple(EarlierValue.from_json(h) for h in _l(r.get("history"))))

    @property
    def reference_range(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{number_text(self.low)}–{number_text(self.high)}"
        return self.range_text


class ResultReview(_Model):
    """GET Task/{id}/$result-review."""

    task: ReviewTask
    report_ref: str
    name: str
    status: str
    effective: dt.datetime | None
    issued: dt.datetime | None
    conclusion: str
    category: str  # auto | clinician-or-14d | clinician-only | never-online
    category_text: str
    released: bool
    released_at: dt.datetime | None
    released_by: str
    auto_release_at: dt.datetime | None
    observations: tuple[ReviewObservation, ...]
    abnormal: int
    critical: int
    restricted_records: int

    @classmethod
    def from_json(cls, r: Json) -> ResultReview:
        rep = _d(r.get("report"))
        return cls(
            task=ReviewTask.from_json(r.get("task")), report_ref=_s(rep.get("reference")), name=_s(rep.get("name")),
            status=_s(rep.get("status")), effective=parse_instant(rep.get("effective")),
            issued=parse_instant(rep.get("issued")), conclusion=_s(rep.get("conclusion")),
            category=_s(rep.get("category")), category_text=_s(rep.get("categoryText")),
            released=rep.get("released") is True, released_at=parse_instant(rep.get("releasedAt")),
            released_by=_s(rep.get("releasedBy")), auto_release_at=parse_instant(rep.get("autoReleaseAt")),
            observations=tuple(ReviewObservation.from_json(o) for o in _l(r.get("observations"))),
            abnormal=_i(r.get("abnormal")) or 0, critical=_i(r.get("critical")) or 0,
            restricted_records=_i(r.get("restrictedRecords")) or 0,
        )


# -- questionnaires ------------------------------------------------------------------------------

class Answer(_Model):
    link_id: str
    question: str
    answer: str
    attention: bool
    info: bool
    reason: str

    @classmethod
    def from_json(cls, r: Any) -> Answer:
        r = _d(r)
        return cls(link_id=_s(r.get("linkId")), question=_s(r.get("question")), answer=_s(r.get("answer")),
                   attention=r.get("attention") is True, info=r.get("info") is True, reason=_s(r.get("reason")))


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
        return cls(task=ReviewTask.from_json(r.get("task")), title=_s(q.get("title")), url=_s(q.get("url")),
                   authored=parse_instant(r.get("authored")), items=items,
                   attention=att if att is not None else sum(1 for i in items if i.attention))


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
        return cls(ref=f"Appointment/{_s(r.get('id'))}", status=status, kind=kind, service=service,
                   description=description, comment=comment, start=parse_instant(r.get("start")),
                   end=parse_instant(r.get("end")), minutes=_i(r.get("minutesDuration")),
                   requested_from=a, requested_to=b)


def patient_thread_ref(task: Json) -> str:
    """The thread a decision's messages to the patient go to (Task extension), or ""."""
    for e in _l(task.get("extension")):
        if isinstance(e, dict) and e.get("url") == EXT_PATIENT_THREAD:
            return ref_of(e.get("valueReference"))
    return ""


__all__ = ["ActiveMedicine", "Answer", "AppointmentRequest", "EarlierValue", "QuestionnaireReview", "Reason",
           "RenewalReview", "RenewalWarning", "ResultReview", "ReviewAllergy", "ReviewObservation", "ReviewTask",
           "number_text", "patient_thread_ref"]
