"""Inbox queues across pools: the named queries of the safety net (workflow/safety_net.py) and of IT
support's view of the inboxes (workflow/support.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .schema import task
from .store import Tx


def unopened(owner: str, status: str, business_statuses: Sequence[str], cutoff: str) -> sa.Select[Any]:
    """(id, last_updated) of the Tasks `owner` holds in `status` with one of `business_statuses`,
    last changed at or before `cutoff`. Backed by ix_task_safety_net (owner, status,
    business_status, last_updated)."""
    return sa.select(task.c.id, task.c.last_updated).where(
        task.c.owner == owner,
        task.c.status == status,
        task.c.business_status.in_(business_statuses),
        task.c.last_updated <= cutoff,
    )


def lock(tx: Tx, q: sa.Select[Any]) -> Sequence[Any]:
    """The rows of `q`, locked for this transaction (on PostgreSQL the rows another transaction holds
    are skipped)."""
    if not tx.store.sqlite:
        q = q.with_for_update(skip_locked=True)
    return tx.conn.execute(q).all()


def tasks_per_pool(tx: Tx, status: str) -> dict[str, int]:
    """How many Tasks in `status` each pool has."""
    rows = tx.conn.execute(
        sa.select(task.c.pool, sa.func.count()).where(task.c.status == status).group_by(task.c.pool)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def oldest_per_pool(tx: Tx, status: str, business_status: str) -> dict[str, Any]:
    """The `authored` of each pool's oldest Task in `status` and `business_status`."""
    return {
        r[0]: r[1]
        for r in tx.conn.execute(
            sa.select(task.c.pool, sa.func.min(task.c.authored))
            .where(task.c.status == status, task.c.business_status == business_status)
            .group_by(task.c.pool)
        ).all()
    }


def changed_with_text(tx: Tx, since: str, text: str) -> Sequence[Any]:
    """(pool, content) of the Tasks changed at or after `since` whose stored JSON holds `text`."""
    return tx.conn.execute(
        sa.select(task.c.pool, task.c.content).where(task.c.last_updated >= since, task.c.content.like(f"%{text}%"))
    ).all()
