"""The notification outbox and the notification settings in SQL (`schema.notification`,
`schema.notify_setting`): the named queries of workflow/notify.py, which holds the rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .schema import notification, notify_setting
from .store import Tx

# -- settings --------------------------------------------------------------------------------


def settings_of(tx: Tx, owners: Iterable[str]) -> dict[str, Any]:
    """The stored notification settings of `owners`, by owner (those without a choice are absent)."""
    return {
        r.owner: r
        for r in tx.conn.execute(sa.select(notify_setting).where(notify_setting.c.owner.in_(sorted(set(owners)))))
    }


def save_settings(tx: Tx, owner: str, values: dict[str, Any]) -> None:
    """Store the owner's settings (`email`, `sms`, `language`, `updated`), replacing any."""
    done = tx.conn.execute(notify_setting.update().where(notify_setting.c.owner == owner).values(**values))
    if done.rowcount != 1:
        tx.conn.execute(notify_setting.insert().values(owner=owner, **values))


# -- writing and claiming rows ---------------------------------------------------------------


def written_for(tx: Tx, event: str) -> set[tuple[str, str]]:
    """(recipient, channel) of the rows already written for `event`."""
    return {
        (r.recipient, r.channel)
        for r in tx.conn.execute(
            sa.select(notification.c.recipient, notification.c.channel).where(notification.c.event == event)
        )
    }


def insert(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    tx.conn.execute(notification.insert(), rows)


def _due(now_s: str, channels: frozenset[str]) -> sa.ColumnElement[bool]:
    return sa.and_(
        notification.c.channel.in_(sorted(channels)),
        sa.or_(
            sa.and_(notification.c.state == "pending", notification.c.next_attempt <= now_s),
            sa.and_(notification.c.state == "sending", notification.c.lease_until < now_s),
        ),
    )


def claim_due(
    tx: Tx, now_s: str, lease: str, worker: str, channels: frozenset[str], limit: int
) -> tuple[list[str], list[Any]]:
    """Take up to `limit` rows of `channels` due at `now_s` for `worker` until `lease`: the ids taken
    in queue order, and their rows (id, channel, address, language, attempts, recipient, kind). On
    PostgreSQL the candidates are locked and those another worker holds are skipped; on SQLite each
    is taken by an UPDATE that matches only while the row is still due."""
    q = (
        sa.select(notification.c.id)
        .where(_due(now_s, channels))
        .order_by(notification.c.next_attempt, notification.c.id)
        .limit(limit)
    )
    if not tx.store.sqlite:
        q = q.with_for_update(skip_locked=True)
    ids = [r[0] for r in tx.conn.execute(q)]
    taken: list[str] = []
    for rid in ids:
        done = tx.conn.execute(
            notification.update()
            .where(notification.c.id == rid, _due(now_s, channels))
            .values(state="sending", worker=worker, lease_until=lease, attempts=notification.c.attempts + 1)
        )
        if done.rowcount == 1:
            taken.append(rid)
    if not taken:
        return [], []
    rows = tx.conn.execute(
        sa.select(
            notification.c.id,
            notification.c.channel,
            notification.c.address,
            notification.c.language,
            notification.c.attempts,
            notification.c.recipient,
            notification.c.kind,
        ).where(notification.c.id.in_(taken))
    ).all()
    return taken, list(rows)


def update_claimed(tx: Tx, rid: str, worker: str, values: dict[str, Any]) -> bool:
    """Change a row `worker` still holds (sending, claimed by it); False if another took it over."""
    done = tx.conn.execute(
        notification.update()
        .where(notification.c.id == rid, notification.c.state == "sending", notification.c.worker == worker)
        .values(**values)
    )
    return bool(done.rowcount == 1)


def expire_pending(tx: Tx, cutoff: str, finished: str) -> int:
    """Fail the pending rows created before `cutoff` ("expired"); how many."""
    done = tx.conn.execute(
        notification.update()
        .where(notification.c.state == "pending", notification.c.created < cutoff)
        .values(state="failed", finished=finished, error="expired")
    )
    return int(done.rowcount or 0)


# -- what IT support sees --------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    counts: dict[str, dict[str, int]]  # state -> channel -> rows
    oldest_open: Any  # the `created` of the oldest pending or sending row (None if none)
    failed_since: int
    retrying: int
    failures: list[Any]  # id, channel, kind, attempts, error, created, finished


def health(tx: Tx, since: str, limit: int) -> Health:
    """Counts by state and channel, the oldest open row's age, the failures since `since`, the rows
    being retried, and the latest `limit` failures: never a recipient or an address."""
    counts: dict[str, dict[str, int]] = {}
    for state, channel, n in tx.conn.execute(
        sa.select(notification.c.state, notification.c.channel, sa.func.count()).group_by(
            notification.c.state, notification.c.channel
        )
    ):
        counts.setdefault(str(state), {})[str(channel)] = int(n)
    oldest = tx.conn.execute(
        sa.select(sa.func.min(notification.c.created)).where(notification.c.state.in_(("pending", "sending")))
    ).scalar_one()
    failed_since = int(
        tx.conn.execute(
            sa.select(sa.func.count())
            .select_from(notification)
            .where(notification.c.state == "failed", notification.c.finished >= since)
        ).scalar_one()
    )
    retrying = int(
        tx.conn.execute(
            sa.select(sa.func.count())
            .select_from(notification)
            .where(notification.c.state == "pending", notification.c.attempts > 0)
        ).scalar_one()
    )
    rows = tx.conn.execute(
        sa.select(
            notification.c.id,
            notification.c.channel,
            notification.c.kind,
            notification.c.attempts,
            notification.c.error,
            notification.c.created,
            notification.c.finished,
        )
        .where(notification.c.state == "failed")
        .order_by(notification.c.finished.desc(), notification.c.id)
        .limit(limit)
    ).all()
    return Health(counts, oldest, failed_since, retrying, list(rows))
