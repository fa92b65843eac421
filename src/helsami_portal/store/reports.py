"""DiagnosticReports by release state (the `text1` index column, fhir.registry.release_state): the
named queries of the 14-day automatic release (workflow/results.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .schema import resource
from .store import Tx


def due_for_release(tx: Tx, state: str, cutoff: str) -> list[str]:
    """Ids of the reports in release state `state` dated at or before `cutoff`, oldest first."""
    return [
        r.id
        for r in tx.conn.execute(
            sa.select(resource.c.id)
            .where(
                resource.c.rtype == "DiagnosticReport",
                resource.c.text1 == state,
                resource.c.date != "",
                resource.c.date <= cutoff,
            )
            .order_by(resource.c.date, resource.c.id)
        )
    ]


def lock_in_state(tx: Tx, ids: Sequence[str], state: str) -> list[str]:
    """Those of `ids` still in release state `state`, locked for this transaction (on PostgreSQL the
    rows another transaction holds are skipped)."""
    q = sa.select(resource.c.id).where(
        resource.c.rtype == "DiagnosticReport", resource.c.id.in_(ids), resource.c.text1 == state
    )
    if not tx.store.sqlite:
        q = q.with_for_update(skip_locked=True)
    return [rid for (rid,) in tx.conn.execute(q).all()]


def without_release_state(tx: Tx, limit: int) -> Sequence[Any]:
    """(id, content) of up to `limit` reports stored before the release state had its column, in id
    order (one order everywhere: no deadlock between processes)."""
    return tx.conn.execute(
        sa.select(resource.c.id, resource.c.content)
        .where(resource.c.rtype == "DiagnosticReport", resource.c.text1 == "")
        .order_by(resource.c.id)
        .limit(limit)
    ).all()


def set_release_state(tx: Tx, rid: str, state: str) -> None:
    """Fill the release-state column of a report that has none (the resource and its version stay)."""
    tx.conn.execute(
        resource.update()
        .where(resource.c.rtype == "DiagnosticReport", resource.c.id == rid, resource.c.text1 == "")
        .values(text1=state)
    )
