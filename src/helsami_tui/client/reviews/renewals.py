"""The renewal review: the request, the medicine checks' warnings, the patient's allergies and active
medicines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from ..models.base import (
    Json,
    _d,
    _l,
    _Model,
    _s,
    display_of,
    parse_date,
    parse_instant,
    ref_of,
)
from .common import ReviewTask, _i

# -- renewals ------------------------------------------------------------------------------------


def _args(value: Any) -> dict[str, str | int]:
    """Structured arguments of a warning or reason: text and whole numbers only, others dropped."""
    out: dict[str, str | int] = {}
    for k, v in _d(value).items():
        if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)):
            out[str(k)] = v
    return out


class RenewalWarning(_Model):
    code: str  # stable: allergy:<id>, interaction:<rule>:<id>, controlled:A|B, unknown-medicine:<ATC>
    kind: str  # allergy | interaction | controlled | unknown-medicine
    severity: str
    text: str  # the portal's Norwegian sentence, for other clients; the screen says it from kind + args
    with_ref: str = ""
    args: dict[str, str | int] = Field(default_factory=dict)  # docs/api.md: allergy {match, allergen, ...}

    @classmethod
    def from_json(cls, r: Any) -> RenewalWarning:
        r = _d(r)
        return cls(
            code=_s(r.get("code")),
            kind=_s(r.get("kind")),
            severity=_s(r.get("severity")),
            text=_s(r.get("text")),
            with_ref=_s(r.get("with")),
            args=_args(r.get("args")),
        )


class Reason(_Model):
    code: str  # not-renewed-before, prior-not-active, no-prior-date, interval-exceeded, dosage-changed, ...
    text: str  # the portal's Norwegian sentence, for other clients
    args: dict[str, str | int] = Field(default_factory=dict)

    @classmethod
    def from_json(cls, r: Any) -> Reason:
        r = _d(r)
        return cls(code=_s(r.get("code")), text=_s(r.get("text")), args=_args(r.get("args")))


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
        return cls(
            ref=_s(r.get("reference")),
            text=_s(r.get("text")),
            atc=_s(r.get("atc")),
            criticality=_s(r.get("criticality")),
            type=_s(r.get("type")),
            reaction=_s(r.get("reaction")),
        )


class ActiveMedicine(_Model):
    ref: str
    text: str
    atc: str
    authored_on: dt.datetime | None
    dosage: str

    @classmethod
    def from_json(cls, r: Any) -> ActiveMedicine:
        r = _d(r)
        return cls(
            ref=_s(r.get("reference")),
            text=_s(r.get("text")),
            atc=_s(r.get("atc")),
            authored_on=parse_instant(r.get("authoredOn")),
            dosage=_s(r.get("dosage")),
        )


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
    # What approving makes (the one-line confirmation): dose, amount and validity of the new order.
    order_dosage: str = ""
    order_quantity: str = ""
    order_valid_until: dt.date | None = None

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
            medicine=_s(med.get("text")),
            name=_s(med.get("name")) or _s(med.get("text")),
            strength=_s(med.get("strength")),
            form=_s(med.get("form")),
            dosage=_s(med.get("dosage")),
            atc=_s(med.get("atc")),
            atc_display=_s(med.get("atcDisplay")),
            substance=_s(med.get("substance")),
            classes=tuple(_s(x) for x in _l(med.get("classes"))),
            reseptgruppe=_s(med.get("reseptgruppe")),
            request_ref=_s(req.get("reference")),
            requested_on=parse_instant(req.get("authoredOn")),
            requester=display_of(requester) or ref_of(requester) or _s(requester if isinstance(requester, str) else ""),
            request_notes=tuple(_s(x) for x in _l(req.get("note")) if _s(x)),
            prior_ref=_s(prior.get("reference")),
            prior_date=parse_instant(prior.get("authoredOn")),
            prior_prescriber=_s(prescriber.get("display")) or _s(prescriber.get("reference")),
            prior_status=_s(prior.get("status")),
            prior_dosage=_s(prior.get("dosage")),
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
            order_dosage=_s(_d(r.get("order")).get("dosage")) or _s(med.get("dosage")),
            order_quantity=_s(_d(r.get("order")).get("quantity")),
            order_valid_until=parse_date(_d(r.get("order")).get("validUntil")),
        )

    @property
    def routine(self) -> bool:
        return self.verdict == "routine"

    @property
    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]
