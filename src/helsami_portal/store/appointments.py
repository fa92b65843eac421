"""Appointments by time (the `date` index column: the start) and status, for the booking calendar
(workflow/calendar.py)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from .schema import resource
from .store import Tx


def starting_between(tx: Tx, statuses: Sequence[str], lo: str, hi: str) -> list[str]:
    """The stored JSON of the appointments in one of `statuses` that start in [lo, hi)."""
    rows = tx.conn.execute(
        sa.select(resource.c.content).where(
            resource.c.rtype == "Appointment",
            resource.c.status.in_(statuses),
            resource.c.date >= lo,
            resource.c.date < hi,
        )
    ).all()
    return [content for (content,) in rows]
