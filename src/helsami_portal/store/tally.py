"""Inbox counters kept in the same transaction as the changes they count.

`$pools` answers from these rows instead of a pass over the pool. Each Task counts in at most a
few rows of `task_tally`, keyed by (scope, kind, day):

| scope            | kind      | day            | counts                                              |
| ---------------- | --------- | -------------- | --------------------------------------------------- |
| `pool:<id>`      | `open`    | ""             | open (requested, in-progress), whoever holds it     |
| `pool:<id>`      | `waiting` | ""             | status requested, still owned by the pool itself    |
| `pool:<id>`      | `urgent`  | ""             | open (requested, in-progress), stat, asap or urgent |
| `pool:<id>`      | `due`     | deadline's day | open, with a deadline on that (UTC) day             |
| `owner:<ref>`    | `open`    | ""             | open, held by that person (not an inbox)            |
| `owner:<ref>`    | `urgent`  | ""             | as above, stat, asap or urgent                      |
| `owner:<ref>`    | `due`     | deadline's day | as above, with a deadline on that day               |

Overdue depends on the clock, so it is not a counter of its own: it is the sum of the `due` rows of
the days before today (UTC) plus an index count of today's open items with a deadline before now
(`ix_task_pool_due`, `ix_task_owner_due`). That is bounded by the number of days with open
deadlines and by one day's items, never by the pool's history.

The store adds a change's deltas to the transaction (`Tally.add`) and writes them, in key order so
that two transactions never wait for each other in a ring, just before the commit (`flush`): the
rows every claim of a pool touches are locked only for the commit itself. Bulk loading writes the
tasks without the store and then calls `recount`, which is also what the tests compare against.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import sqltext
from .schema import task, task_tally

OPEN = ("requested", "in-progress")
WAITING = "requested"
URGENT_RANK = 2  # priority_rank of urgent (1) and asap (2)

Key = tuple[str, str, str]


def keys_of(cols: Mapping[str, Any]) -> list[Key]:
    """The counter rows one Task row (its index columns) counts in."""
    status = cols["status"]
    if status not in OPEN:
        return []
    pool, owner, deadline = cols["pool"] or "", cols["owner"] or "", cols["deadline"] or ""
    urgent = int(cols["priority_rank"]) <= URGENT_RANK
    out: list[Key] = []
    if pool:
        scope = f"pool:{pool}"
        out.append((scope, "open", ""))
        if status == WAITING and owner == f"HealthcareService/{pool}":
            out.append((scope, "waiting", ""))
        if urgent:
            out.append((scope, "urgent", ""))
        if deadline:
            out.append((scope, "due", deadline[:10]))
    if owner and not owner.startswith("HealthcareService/"):
        scope = f"owner:{owner}"
        out.append((scope, "open", ""))
        if urgent:
            out.append((scope, "urgent", ""))
        if deadline:
            out.append((scope, "due", deadline[:10]))
    return out


class Tally:
    """The counter deltas of one transaction."""

    def __init__(self) -> None:
        self.deltas: dict[Key, int] = {}

    def add(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        for k in keys_of(old) if old is not None else []:
            self.deltas[k] = self.deltas.get(k, 0) - 1
        for k in keys_of(new) if new is not None else []:
            self.deltas[k] = self.deltas.get(k, 0) + 1

    def flush(self, conn: Connection) -> None:
        rows = [(s, k, d, n) for (s, k, d), n in sorted(self.deltas.items()) if n]
        self.deltas = {}
        if rows:  # one statement, the rows in key order (each key once: `deltas` is keyed by it)
            conn.exec_driver_sql(_upsert_sql(sqltext.mark(conn), len(rows)), tuple(chain.from_iterable(rows)))


@functools.lru_cache(maxsize=32)
def _upsert_sql(mark: str, n: int) -> str:
    """Add `n` deltas to their counter rows (made when missing), as text in the driver's style:
    building the dialect's INSERT ... ON CONFLICT DO UPDATE cost more than running it."""
    row = f"({mark}, {mark}, {mark}, {mark})"
    return (
        "INSERT INTO task_tally (scope, kind, day, n) VALUES "
        + ", ".join([row] * n)
        + " ON CONFLICT (scope, kind, day) DO UPDATE SET n = task_tally.n + excluded.n"
    )


def counted(conn: Connection) -> dict[Key, int]:
    """What the counter rows say (zero rows left out)."""
    rows = conn.execute(
        sa.select(task_tally.c.scope, task_tally.c.kind, task_tally.c.day, task_tally.c.n).where(task_tally.c.n != 0)
    ).all()
    return {(r.scope, r.kind, r.day): int(r.n) for r in rows}


def fresh(conn: Connection) -> dict[Key, int]:
    """The counters recounted from the open tasks (one pass; for loading and for checking)."""
    out: dict[Key, int] = {}
    q = sa.select(task.c.pool, task.c.owner, task.c.status, task.c.priority_rank, task.c.deadline).where(
        task.c.status.in_(OPEN)
    )
    for row in conn.execute(q).mappings():
        for k in keys_of(dict(row)):
            out[k] = out.get(k, 0) + 1
    return out


def recount(conn: Connection) -> None:
    """Replace every counter row by a fresh count (after a bulk load, which bypasses the store)."""
    conn.execute(task_tally.delete())
    rows = [{"scope": s, "kind": k, "day": d, "n": n} for (s, k, d), n in sorted(fresh(conn).items())]
    for i in range(0, len(rows), 5000):
        conn.execute(task_tally.insert(), rows[i : i + 5000])


def pool_counts(conn: Connection, pools: Iterable[str], now: str) -> dict[str, tuple[int, int, int]]:
    """(waiting, urgent, overdue) per pool id."""
    ids = sorted(set(pools))
    out = {pid: [0, 0, 0] for pid in ids}
    scopes = {f"pool:{pid}": pid for pid in ids}
    for scope, kind, n in _sums(conn, list(scopes), now):
        if kind != "open":
            out[scopes[scope]][("waiting", "urgent", "overdue").index(kind)] += n
    if ids:
        today = _today_overdue(conn, task.c.pool.in_(ids), task.c.pool, now)
        for pid, n in today.items():
            out[pid][2] += n
    return {pid: (v[0], v[1], v[2]) for pid, v in out.items()}


def owner_counts(conn: Connection, owner: str, now: str) -> tuple[int, int, int]:
    """(open, urgent, overdue) of the items one person holds."""
    v = [0, 0, 0]
    for _, kind, n in _sums(conn, [f"owner:{owner}"], now):
        v[("open", "urgent", "overdue").index(kind)] += n
    v[2] += sum(_today_overdue(conn, task.c.owner == owner, task.c.owner, now).values())
    return v[0], v[1], v[2]


def _sums(conn: Connection, scopes: list[str], now: str) -> list[tuple[str, str, int]]:
    """Per scope: the plain counters, and as "overdue" the due rows of the days before today."""
    if not scopes:
        return []
    today = now[:10]
    kind = sa.case((task_tally.c.kind == "due", sa.literal("overdue")), else_=task_tally.c.kind)
    q = (
        sa.select(task_tally.c.scope, kind.label("k"), sa.func.sum(task_tally.c.n))
        .where(task_tally.c.scope.in_(scopes), sa.or_(task_tally.c.kind != "due", task_tally.c.day < today))
        .group_by(task_tally.c.scope, kind)
    )
    return [(r[0], r[1], int(r[2] or 0)) for r in conn.execute(q)]


def _today_overdue(conn: Connection, scope: sa.ColumnElement[bool], by: Any, now: str) -> dict[str, int]:
    """Open items with a deadline earlier today (UTC) than now: an index range of one day."""
    q = (
        sa.select(by, sa.func.count())
        .where(scope, task.c.status.in_(OPEN), task.c.deadline >= now[:10], task.c.deadline < now)
        .group_by(by)
    )
    return {r[0]: int(r[1]) for r in conn.execute(q)}


def counter(conn: Connection, scope: str, kind: str) -> int:
    """One plain counter (`open` or `waiting` of a `pool:<id>`, `open` of an `owner:<ref>`)."""
    n = conn.execute(
        sa.select(task_tally.c.n).where(task_tally.c.scope == scope, task_tally.c.kind == kind, task_tally.c.day == "")
    ).scalar()
    return int(n or 0)
