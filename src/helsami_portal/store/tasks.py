"""Inbox items (Tasks) by what they are about: the named queries of the patient's side
(workflow/patient_side.py)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from .schema import resource, task
from .store import Tx


def latest_open_about(tx: Tx, focus: str, statuses: Sequence[str]) -> str | None:
    """The id of the latest-authored Task about `focus` in one of `statuses`."""
    row = tx.conn.execute(
        sa.select(task.c.id)
        .where(task.c.focus == focus, task.c.status.in_(statuses))
        .order_by(task.c.authored.desc())
        .limit(1)
    ).first()
    return None if row is None else str(row.id)


def latest_pool_about(tx: Tx, focus: str) -> str:
    """The pool of the latest-authored Task about `focus` ("" if none)."""
    row = tx.conn.execute(
        sa.select(task.c.pool).where(task.c.focus == focus).order_by(task.c.authored.desc()).limit(1)
    ).first()
    return str(row.pool) if row else ""


def latest_pools_of_patient(tx: Tx, patient_id: str, limit: int) -> list[str]:
    """The pools of the patient's `limit` latest-authored Tasks, latest first (repeats kept)."""
    rows = tx.conn.execute(
        sa.select(task.c.pool).where(task.c.patient == patient_id).order_by(task.c.authored.desc()).limit(limit)
    ).all()
    return [row.pool for row in rows]


def held_by(tx: Tx, owner: str, statuses: Sequence[str]) -> list[str]:
    """Ids of the Tasks `owner` holds in one of `statuses`, locked for this transaction on PostgreSQL."""
    q = sa.select(task.c.id).where(task.c.owner == owner, task.c.status.in_(statuses))
    if not tx.store.sqlite:
        q = q.with_for_update()
    return [tid for (tid,) in tx.conn.execute(q).all()]


def first_about(tx: Tx, focus: str) -> str | None:
    """The id of the first-authored Task about `focus`."""
    row = tx.conn.execute(sa.select(task.c.id).where(task.c.focus == focus).order_by(task.c.authored).limit(1)).first()
    return None if row is None else str(row.id)


def patients_with_consents(tx: Tx, where: Sequence[sa.ColumnElement[bool]]) -> list[str]:
    """The patients of the Tasks matching `where` who have an active Consent (the only patients a
    restriction can be of), each once."""
    consents = sa.select(resource.c.patient).where(resource.c.rtype == "Consent", resource.c.status == "active")
    q = sa.select(task.c.patient).where(*where, task.c.patient.in_(consents)).distinct()
    return [pid for (pid,) in tx.conn.execute(q).all()]


def ids_among(tx: Tx, ids: Sequence[str], where: Sequence[sa.ColumnElement[bool]]) -> list[str]:
    """Those of the Tasks `ids` that match `where`."""
    return [tid for (tid,) in tx.conn.execute(sa.select(task.c.id).where(task.c.id.in_(ids), *where)).all()]
