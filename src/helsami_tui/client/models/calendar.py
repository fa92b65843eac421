"""The appointment calendar: free slots and the exceptions a patient states."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .base import Json, _Model, _s, parse_instant

# -- appointment calendar -----------------------------------------------------------------------


class FreeSlot(_Model):
    """A free time in a service's calendar (a FHIR Slot with status free)."""

    id: str
    start: dt.datetime
    end: dt.datetime | None

    @classmethod
    def from_fhir(cls, r: Json) -> FreeSlot | None:
        """The slot, or None for one without a start (no time anyone could book)."""
        start = parse_instant(r.get("start"))
        if start is None:
            return None
        return cls.model_construct(id=_s(r.get("id")), start=start, end=parse_instant(r.get("end")))


WEEKDAYS_NB = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


@dataclass(frozen=True)
class StatedExceptions:
    """What the patient said does not suit them, read from their comment: weekdays ("helst ikke
    mandager"), and a time of day ("etter kl. 14", "før kl. 10")."""

    not_days: frozenset[int] = frozenset()
    after: dt.time | None = None
    before: dt.time | None = None

    def breaks(self, local: dt.datetime) -> list[str]:
        """Which of them a time (in the clinic's zone) goes against: "day", "after", "before"."""
        out = []
        if local.weekday() in self.not_days:
            out.append("day")
        if self.after is not None and local.time() < self.after:
            out.append("after")
        if self.before is not None and local.time() >= self.before:
            out.append("before")
        return out


def stated_exceptions(comment: str) -> StatedExceptions:
    text = comment.lower()
    days = set()
    for found in re.finditer(r"\bikke\s+(?:på\s+)?(\w+)", text):
        word = found.group(1)
        for i, name in enumerate(WEEKDAYS_NB):
            if word.startswith(name[:4]):  # "mandag", "mandager", "mand."
                days.add(i)
    after = before = None
    m = re.search(r"\better\s+kl\.?\s*(\d{1,2})(?:[.:](\d{2}))?", text)
    if m and int(m.group(1)) < 24:
        after = dt.time(int(m.group(1)), int(m.group(2) or 0))
    m = re.search(r"\bfør\s+kl\.?\s*(\d{1,2})(?:[.:](\d{2}))?", text)
    if m and int(m.group(1)) < 24:
        before = dt.time(int(m.group(1)), int(m.group(2) or 0))
    return StatedExceptions(frozenset(days), after, before)
