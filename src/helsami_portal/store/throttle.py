"""Sign-in throttling's SQL: the attempt rows (`login_attempt`) and the locks of their keys.

Named queries for `auth.throttle`, which holds the rules (the limits, the progressive delay, which
addresses are known); this module only locks, reads and writes the rows, in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from .schema import login_attempt
from .store import Tx


def lock_keys(tx: Tx, keys: list[str]) -> None:
    """Serialise every transaction that counts one of these keys, until this one ends."""
    if tx.store.sqlite:
        return  # a write transaction on SQLite already holds the one write lock (BEGIN IMMEDIATE)
    for k in sorted(set(keys)):
        tx.conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 727002))"), {"k": k})


def attempt_times(tx: Tx, key: str, since: str) -> list[str]:
    """The instants of the attempts on `key` after `since`, oldest first."""
    return [
        r[0]
        for r in tx.conn.execute(
            sa.select(login_attempt.c.at)
            .where(login_attempt.c.key == key, login_attempt.c.at > since)
            .order_by(login_attempt.c.at)
        )
    ]


def has_attempt_since(tx: Tx, key: str, since: str) -> bool:
    """True if there is a row of `key` after `since`."""
    return (
        tx.conn.execute(
            sa.select(login_attempt.c.id).where(login_attempt.c.key == key, login_attempt.c.at > since).limit(1)
        ).first()
        is not None
    )


def reserve_attempt(tx: Tx, key: str, at: str) -> int:
    """A new attempt row of `key` at `at`; its id."""
    return int(
        tx.conn.execute(login_attempt.insert().values(key=key, at=at).returning(login_attempt.c.id)).scalar_one()
    )


def add_attempt(tx: Tx, key: str, at: str) -> None:
    """A new attempt row of `key` at `at`."""
    tx.conn.execute(login_attempt.insert().values(key=key, at=at))


def remove_attempts(tx: Tx, ids: Iterable[int]) -> None:
    """Remove the attempt rows of `ids`."""
    tx.conn.execute(login_attempt.delete().where(login_attempt.c.id.in_(ids)))


def remove_keys(tx: Tx, keys: list[str]) -> None:
    """Remove every attempt row of `keys`."""
    tx.conn.execute(login_attempt.delete().where(login_attempt.c.key.in_(keys)))


def remove_before(tx: Tx, old: str, known_old: str) -> int:
    """Remove the rows older than `old`, and those of known addresses (keys `known:…`) older than
    `known_old`; the number removed."""
    n = tx.conn.execute(
        login_attempt.delete().where(login_attempt.c.at < old, ~login_attempt.c.key.like("known:%"))
    ).rowcount
    n += tx.conn.execute(
        login_attempt.delete().where(login_attempt.c.at < known_old, login_attempt.c.key.like("known:%"))
    ).rowcount
    return int(n)
