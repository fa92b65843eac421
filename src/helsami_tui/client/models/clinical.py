"""Clinical rows for the banner and results: allergies, medications, conditions, observations."""

from __future__ import annotations

import datetime as dt

from .base import (
    INTERPRETATION_SYSTEM,
    Json,
    _d,
    _l,
    _Model,
    _s,
    concept_text,
    display_of,
    first_code,
    parse_date,
    parse_instant,
)
from .codes import CRITICALITIES, Criticality, Unknown, coded

# -- clinical rows for the banner ---------------------------------------------------------------


class Allergy(_Model):
    id: str
    text: str
    criticality: Criticality | Unknown
    clinical_status: str
    category: str
    reaction: str
    recorded: dt.datetime | None

    @classmethod
    def from_fhir(cls, r: Json) -> Allergy:
        reactions = []
        for rx in _l(r.get("reaction")):
            for m in _l(_d(rx).get("manifestation")):
                t = concept_text(m)
                if t:
                    reactions.append(t)
        cats = _l(r.get("category"))
        return cls.model_construct(
            id=_s(r.get("id")),
            text=concept_text(r.get("code")),
            criticality=coded(r.get("criticality"), CRITICALITIES),
            clinical_status=first_code(r.get("clinicalStatus")),
            category=_s(cats[0]) if cats else "",
            reaction=", ".join(reactions),
            recorded=parse_instant(r.get("recordedDate") or r.get("onsetDateTime")),
        )


class Medication(_Model):
    id: str
    text: str
    status: str
    intent: str
    dosage: str
    authored_on: dt.datetime | None
    valid_until: dt.date | None

    @classmethod
    def from_fhir(cls, r: Json) -> Medication:
        dosage = ""
        for d in _l(r.get("dosageInstruction")):
            if isinstance(d, dict) and isinstance(d.get("text"), str):
                dosage = d["text"]
                break
        text = concept_text(r.get("medicationCodeableConcept")) or display_of(r.get("medicationReference"))
        validity = _d(_d(r.get("dispenseRequest")).get("validityPeriod"))
        return cls.model_construct(
            id=_s(r.get("id")),
            text=text,
            status=_s(r.get("status")),
            intent=_s(r.get("intent")),
            dosage=dosage,
            authored_on=parse_instant(r.get("authoredOn")),
            valid_until=parse_date(validity.get("end")),
        )


class Condition(_Model):
    id: str
    text: str
    code: str
    clinical_status: str
    onset: dt.datetime | None

    @classmethod
    def from_fhir(cls, r: Json) -> Condition:
        return cls.model_construct(
            id=_s(r.get("id")),
            text=concept_text(r.get("code")),
            code=first_code(r.get("code")),
            clinical_status=first_code(r.get("clinicalStatus")),
            onset=parse_instant(r.get("onsetDateTime") or r.get("recordedDate")),
        )

    @property
    def active(self) -> bool:
        return self.clinical_status in ("active", "recurrence", "relapse", "")


_FLAGS = ("HH", "LL", "H", "L", "N", "A", "AA", "HU", "LU", "<", ">")


class Observation(_Model):
    """A result row: value, unit, reference range and the interpretation flag (H, L, HH, LL, N)."""

    id: str
    code: str
    text: str
    status: str
    value: float | None
    value_text: str  # the value as the portal wrote it (a string value, or the number as given)
    comparator: str
    unit: str
    low: float | None
    high: float | None
    range_text: str
    flag: str
    effective: dt.datetime | None
    value_bool: bool | None = None  # a yes/no value (the UI says it in the user's language)

    @classmethod
    def from_fhir(cls, r: Json) -> Observation:
        value: float | None = None
        value_text = ""
        value_bool: bool | None = None
        unit = comparator = ""
        q = r.get("valueQuantity")
        if isinstance(q, dict):
            v = q.get("value")
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                value = float(v)
                value_text = _fmt_number(v)
            unit = _s(q.get("unit")) or _s(q.get("code"))
            comparator = _s(q.get("comparator"))
        elif isinstance(r.get("valueString"), str):
            value_text = r["valueString"]
        elif isinstance(r.get("valueCodeableConcept"), dict):
            value_text = concept_text(r["valueCodeableConcept"])
        elif isinstance(r.get("valueInteger"), int):
            value = float(r["valueInteger"])
            value_text = str(r["valueInteger"])
        elif isinstance(r.get("valueBoolean"), bool):
            value_bool = r["valueBoolean"]
        low = high = None
        range_text = ""
        ranges = _l(r.get("referenceRange"))
        if ranges and isinstance(ranges[0], dict):
            rr = ranges[0]
            lo, hi = _d(rr.get("low")).get("value"), _d(rr.get("high")).get("value")
            low = float(lo) if isinstance(lo, (int, float)) and not isinstance(lo, bool) else None
            high = float(hi) if isinstance(hi, (int, float)) and not isinstance(hi, bool) else None
            range_text = _s(rr.get("text"))
        flag = ""
        for concept in _l(r.get("interpretation")):
            code = first_code(concept, INTERPRETATION_SYSTEM) or first_code(concept)
            if code:
                flag = code
                break
        return cls.model_construct(
            id=_s(r.get("id")),
            code=first_code(r.get("code")),
            text=concept_text(r.get("code")),
            status=_s(r.get("status")),
            value=value,
            value_text=value_text,
            comparator=comparator,
            unit=unit,
            low=low,
            high=high,
            range_text=range_text,
            flag=flag,
            effective=parse_instant(r.get("effectiveDateTime") or r.get("issued")),
            value_bool=value_bool,
        )

    @property
    def abnormal(self) -> bool:
        return self.flag not in ("", "N")

    @property
    def reference_range(self) -> str:
        """The range as plain text: "13.4–17", "< 5", "> 60", or the portal's own text."""
        if self.low is not None and self.high is not None:
            return f"{_fmt_number(self.low)}–{_fmt_number(self.high)}"
        if self.high is not None:
            return f"< {_fmt_number(self.high)}"
        if self.low is not None:
            return f"> {_fmt_number(self.low)}"
        return self.range_text


def _fmt_number(v: float | int) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
