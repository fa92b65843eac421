"""The result review: the observations with their earlier values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models.base import (
    Json,
    _d,
    _l,
    _Model,
    _s,
    parse_instant,
)
from .common import ReviewTask, _i, _n, number_text

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
        return cls(
            date=parse_instant(r.get("date")),
            value=_n(v),
            value_text=number_text(v),
            unit=_s(r.get("unit")),
            flag=_s(r.get("flag")),
        )


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
        return cls(
            ref=_s(r.get("reference")),
            name=_s(r.get("name")),
            code=_s(r.get("code")),
            value=_n(v),
            value_text=number_text(v),
            unit=_s(r.get("unit")),
            low=_n(rr.get("low")),
            high=_n(rr.get("high")),
            range_text=_s(rr.get("text")),
            flag=_s(r.get("flag")),
            flag_text=_s(r.get("flagText")),
            critical=r.get("critical") is True,
            history=tuple(EarlierValue.from_json(h) for h in _l(r.get("history"))),
        )

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
            task=ReviewTask.from_json(r.get("task")),
            report_ref=_s(rep.get("reference")),
            name=_s(rep.get("name")),
            status=_s(rep.get("status")),
            effective=parse_instant(rep.get("effective")),
            issued=parse_instant(rep.get("issued")),
            conclusion=_s(rep.get("conclusion")),
            category=_s(rep.get("category")),
            category_text=_s(rep.get("categoryText")),
            released=rep.get("released") is True,
            released_at=parse_instant(rep.get("releasedAt")),
            released_by=_s(rep.get("releasedBy")),
            auto_release_at=parse_instant(rep.get("autoReleaseAt")),
            observations=tuple(ReviewObservation.from_json(o) for o in _l(r.get("observations"))),
            abnormal=_i(r.get("abnormal")) or 0,
            critical=_i(r.get("critical")) or 0,
            restricted_records=_i(r.get("restrictedRecords")) or 0,
        )
