"""The inbox counters of `store.tally`, asked in a store transaction (the named queries of
workflow/reads.py)."""

from __future__ import annotations

from collections.abc import Iterable

from . import tally
from .store import Tx


def open_in_pool(tx: Tx, pool_id: str) -> int:
    """The open items of the pool, whoever holds them."""
    return tally.counter(tx.conn, f"pool:{pool_id}", "open")


def open_held_by(tx: Tx, owner: str) -> int:
    """The open items `owner` holds."""
    return tally.counter(tx.conn, f"owner:{owner}", "open")


def pool_counts(tx: Tx, pools: Iterable[str]) -> dict[str, tuple[int, int, int]]:
    """(waiting, urgent, overdue) of each of `pools`, overdue as of the transaction's now."""
    return tally.pool_counts(tx.conn, pools, tx.now)


def owner_counts(tx: Tx, owner: str) -> tuple[int, int, int]:
    """(open, urgent, overdue) of the items `owner` holds, overdue as of the transaction's now."""
    return tally.owner_counts(tx.conn, owner, tx.now)
