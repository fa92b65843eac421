"""What the decision reviews share: readers of numbers and the task a review is about."""

from __future__ import annotations

from typing import Any

from ..models.base import (
    _d,
    _Model,
    _s,
)


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
        return cls(
            id=_s(r.get("id")), version=version, status=_s(r.get("status")), business_status=_s(r.get("businessStatus"))
        )
