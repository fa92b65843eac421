"""The rows a care relation is found in (workflow/care.py decides what they mean): a patient's inbox
items in a staff member's inboxes or recently held by them, their appointments, and unexpired
break-the-glass grants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from ..fhir import conventions as c
from . import sqltext
from .schema import break_glass, resource, task
from .store import Tx


def items_of_patient(tx: Tx, patient_id: str, pools: Iterable[str], ref: str, recent: str, limit: int) -> Sequence[Any]:
    """(placed_by, origin, focus) of the patient's open items in `pools` or held by `ref`, and of
    items `ref` held when they were closed since `recent`: open first, oldest first, at most `limit`."""
    return tx.conn.execute(
        sa.select(task.c.placed_by, task.c.origin, task.c.focus)
        .where(
            task.c.patient == patient_id,
            sa.or_(
                sa.and_(
                    task.c.status.in_(c.OPEN_STATUSES), sa.or_(task.c.pool.in_(sorted(pools)), task.c.owner == ref)
                ),
                sa.and_(task.c.owner == ref, task.c.last_updated >= recent),
            ),
        )
        .order_by(task.c.status.in_(c.OPEN_STATUSES).desc(), task.c.authored, task.c.id)
        .limit(limit)
    ).all()


def items_of_patients(
    tx: Tx, patient_ids: Sequence[str], pools: Iterable[str], ref: str, recent: str, limit: int
) -> Sequence[Any]:
    """(patient, status, authored, id, placed_by, origin) of the items `items_of_patient` finds, for several patients in
    one query, unordered (the caller sorts: a sort in SQL is no cheaper), at most `limit`, read from
    the index alone (ix_task_patient_care). The pool and owner as expressions (`pool || ''`), so
    that no index on them is used: SQLite would rather walk the caller's whole pools (the OR of pool
    and owner) than these few patients' items. The statement as text: building and compiling it
    took longer than running it."""
    mark = sqltext.mark(tx.conn)

    def in_list(n: int) -> str:
        return sqltext.in_list(tx.conn, n)

    in_pools = sorted(pools)
    pool_part = f"(task.pool || '') {in_list(len(in_pools))} OR " if in_pools else ""
    sql = (
        f"SELECT task.patient, task.status, task.authored, task.id, task.placed_by, task.origin FROM task "
        f"WHERE task.patient {in_list(len(patient_ids))} AND ("
        f"(task.status {in_list(len(c.OPEN_STATUSES))} AND ({pool_part}(task.owner || '') = {mark})) "
        f"OR ((task.owner || '') = {mark} AND task.last_updated >= {mark})) LIMIT {mark}"
    )
    params = (
        *sqltext.in_values(tx.conn, patient_ids),
        *sqltext.in_values(tx.conn, c.OPEN_STATUSES),
        *(sqltext.in_values(tx.conn, in_pools) if in_pools else ()),
        ref,
        ref,
        recent,
        limit,
    )
    return list(tx.conn.exec_driver_sql(sql, params).all())


def appointments_of(tx: Tx, patient_id: str, limit: int) -> Sequence[Any]:
    """(content,) of up to `limit` of the patient's appointments."""
    return tx.conn.execute(
        sa.select(resource.c.content)
        .where(resource.c.rtype == "Appointment", resource.c.patient == patient_id)
        .limit(limit)
    ).all()


def break_glass_reason(tx: Tx, practitioner_id: str, patient_id: str, now: str) -> str | None:
    """The reason given for the latest break-the-glass grant of the practitioner to the patient that
    is unexpired at `now`."""
    bg = tx.conn.execute(
        sa.select(break_glass.c.reason)
        .where(
            break_glass.c.practitioner == practitioner_id,
            break_glass.c.patient == patient_id,
            break_glass.c.expires > now,
        )
        .order_by(break_glass.c.granted.desc())
        .limit(1)
    ).first()
    return None if bg is None else str(bg.reason)


def break_glass_reasons(tx: Tx, practitioner_id: str, patient_ids: Sequence[str], now: str) -> Sequence[Any]:
    """(patient, reason) of the practitioner's break-the-glass grants to `patient_ids` that are
    unexpired at `now`, oldest grant first. The statement as text (store.sqltext)."""
    if not patient_ids:
        return []
    m = sqltext.mark(tx.conn)
    sql = (
        "SELECT break_glass.patient, break_glass.reason FROM break_glass "
        f"WHERE break_glass.practitioner = {m} AND break_glass.patient {sqltext.in_list(tx.conn, len(patient_ids))} "
        f"AND break_glass.expires > {m} ORDER BY break_glass.granted"
    )
    return tx.conn.exec_driver_sql(sql, (practitioner_id, *sqltext.in_values(tx.conn, patient_ids), now)).all()


def add_break_glass(
    tx: Tx, *, grant_id: str, practitioner_id: str, patient_id: str, reason: str, granted: str, expires: str
) -> None:
    """A new break-the-glass grant of the practitioner to the patient, from `granted` to `expires`."""
    tx.conn.execute(
        break_glass.insert().values(
            id=grant_id,
            practitioner=practitioner_id,
            patient=patient_id,
            reason=reason,
            granted=granted,
            expires=expires,
        )
    )
