"""The store: FHIR resources in SQL, with versions, history, keyset search and change events.

Nothing here knows inbox rules; the workflow layer decides what may change, the store makes
each change atomic and versioned. `Store.write()` opens one transaction; everything done
through the `Tx` it yields commits or rolls back together. The reads of a transaction are
`store.tx_reads`; what it refuses are the domain errors of `store.errors`.
"""

from __future__ import annotations

import functools
import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..fhir import narrative, timeutil
from ..fhir.registry import DEFS
from . import access_log as alog, sqltext
from .codec import Resource, Stored, dumps, loads, new_id
from .columns import (
    AUTH_TYPES,
    BARE_ID_COLUMNS,
    DEFAULT_COUNT,
    IMMUTABLE,
    MAX_COUNT,
    RESOURCE_COLS,
    TALLY_COLS,
    resource_cols,
    row_columns,
    table_of,
    task_cols,
)
from .cursor import decode_cursor, encode_cursor
from .db import is_sqlite
from .errors import NotFound, VersionConflict
from .schema import auth_epoch, history, resource, task
from .tally import Tally
from .tx_reads import Page, TxReads

__all__ = [  # what the rest of the portal imports from here
    "BARE_ID_COLUMNS",
    "DEFAULT_COUNT",
    "MAX_COUNT",
    "AccessLogUnavailable",
    "Page",
    "Resource",
    "Store",
    "Stored",
    "Tx",
    "decode_cursor",
    "encode_cursor",
    "loads",
    "new_id",
    "once_per_ident",
    "row_columns",
    "table_of",
]


def once_per_ident(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For a write that is made once per client-given id (`ident`): when two requests with the same
    id race, the loser's insert hits the unique index; run it again, and it finds and answers with
    the one stored resource, as any later retry would."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except sa.exc.IntegrityError:
            return fn(*args, **kwargs)

    return wrapper


class AccessLogUnavailable(RuntimeError):
    """The access log could not be written: what was read must not leave (the API answers 503)."""


# The access-log insert on PostgreSQL: the rows as one JSON parameter (an array of rows, each the
# values in the insert's column order), made rows by the server. A multi-row VALUES of 50 rows has 700
# parameters, which psycopg parses anew at each request (it caches statements of up to 50) and adapts
# one by one, and the server parses and plans a 3 KB statement each time (about 1.5 against 0.1 ms of
# the portal's CPU for 50 rows). The same rows and columns; too long a value is refused as before
# (text assigned to a varchar(n)), a missing one too (NOT NULL).
_PG_LOG_INSERT = (
    f"INSERT INTO access_log ({', '.join(alog.COLUMNS)}) SELECT "
    + ", ".join(f"r->>{i}" for i in range(len(alog.COLUMNS)))
    + " FROM jsonb_array_elements(%s::jsonb) AS r"
)


_LOG_ROW = operator.itemgetter(*alog.COLUMNS)  # one row's values in the insert's column order


@functools.lru_cache(maxsize=64)
def _log_insert(mark: str, n: int) -> str:
    """One multi-row INSERT of `n` access-log rows, in the driver's own parameter style (made once
    per size: SQLAlchemy compiles a multi-row VALUES anew each time)."""
    row = "(" + ", ".join([mark] * len(alog.COLUMNS)) + ")"
    return f"INSERT INTO access_log ({', '.join(alog.COLUMNS)}) VALUES " + ", ".join([row] * n)


@functools.lru_cache(maxsize=64)
def _update_sql(mark: str, table: str, names: tuple[str, ...], keys: tuple[str, ...]) -> str:
    """The UPDATE of a new version's content and index columns, where the stored one is the
    version expected (parameters: version_id, last_updated, content, the columns, then the keys)."""
    sets = ", ".join(f"{n} = {mark}" for n in ("version_id", "last_updated", "content", *names))
    where = " AND ".join(f"{table}.{k} = {mark}" for k in keys)
    return f"UPDATE {table} SET {sets} WHERE {where}"


_HISTORY_COLUMNS = ("rtype", "id", "version_id", "last_updated", "content")


@functools.lru_cache(maxsize=64)
def _insert_sql(mark: str, table: str, names: tuple[str, ...]) -> str:
    """One row into `table` (its `names` columns), in the driver's parameter style."""
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"


@functools.lru_cache(maxsize=4)
def _keep_first_sql(mark: str, is_task: bool) -> str:
    """Version 1 as stored (Task: `task`, else `resource` of its type) into history, unless there."""
    source = (
        f"FROM task WHERE task.id = {mark} AND task.version_id = 1"
        if is_task
        else f"FROM resource WHERE resource.rtype = {mark} AND resource.id = {mark} AND resource.version_id = 1"
    )
    table = "task" if is_task else "resource"
    return (
        "INSERT INTO history (rtype, id, version_id, last_updated, content) "
        f"SELECT {mark}, {table}.id, 1, {table}.last_updated, {table}.content {source} "
        "AND NOT EXISTS (SELECT 1 FROM history WHERE history.rtype = "
        f"{mark} AND history.id = {mark} AND history.version_id = 1)"
    )


@functools.lru_cache(maxsize=4)
def _event_insert(mark: str, notify: bool) -> str:
    insert = f"INSERT INTO event (at, payload) VALUES ({mark}, {mark})"
    if not notify:
        return insert
    return f"WITH e AS ({insert} RETURNING seq) SELECT pg_notify('helsami_events', '') FROM e"


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        # SQLite has one writer: this process's writers queue here, handed the lock at once, instead
        # of polling the database's lock with the busy handler's growing sleeps (up to 100 ms each).
        self._writer = threading.RLock() if self.sqlite else None

    # -- lifecycle ----------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Make the schema, or bring it up to date, through the migrations (see store.migrate)."""
        from . import migrate

        migrate.upgrade(self.engine)

    def drop_schema(self) -> None:
        from . import migrate

        migrate.drop_all(self.engine)

    def add_listener(self, fn: Callable[[], None]) -> None:
        """Called (in-process) after each commit that emitted events."""
        with self._lock:
            self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[], None]) -> None:
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def _notify_local(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn()
            except Exception:  # a listener must never break a commit
                pass

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Tx]:
        tx: Tx | None = None
        try:
            with self.engine.connect() as conn, conn.begin():
                tx = Tx(self, conn, writable=False)
                yield tx
        finally:
            if tx is not None:
                tx.run_deferred()

    @contextmanager
    def read_logged(self) -> Iterator[Tx]:
        """A read whose access-log rows (`Tx.log_access`) are written before its data leaves.

        On PostgreSQL, one write transaction: the rows commit with the read. On SQLite, whose one
        writer would otherwise wait for the whole read, the read runs in a read transaction and the
        rows are written right after it in a short write transaction of their own; if that fails,
        the error propagates (the API answers 503) and nothing read leaves."""
        if not self.sqlite:
            with self.write() as tx:
                yield tx
            return
        pending: list[dict[str, Any]] = []
        with self.read() as tx:
            tx.pending_log = pending
            yield tx
        if pending:
            with self.write() as wtx:
                wtx.log_access(pending)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        if self._writer is None:
            with self._write() as tx:
                yield tx
            return
        with self._writer, self._write() as tx:
            yield tx

    @contextmanager
    def _write(self) -> Iterator[Tx]:
        tx: Tx | None = None
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(write=True)
                tx = Tx(self, conn, writable=True)
                with conn.begin():
                    yield tx
                    tx.tally.flush(conn)  # last, so that the counter rows are locked only for the commit
                if tx.emitted:
                    self._notify_local()
        finally:
            if tx is not None:
                tx.run_deferred()


class Tx(TxReads):
    """One transaction: its reads (`TxReads`) and writes."""

    store: Store

    def __init__(self, store: Store, conn: Connection, *, writable: bool) -> None:
        self.store = store
        self.conn = conn
        self.writable = writable
        self.emitted = 0
        self.now = timeutil.instant()
        self._deferred: list[Callable[[], None]] = []
        # In a `Store.read_logged` read on SQLite: access-log rows to write when the read is over.
        self.pending_log: list[dict[str, Any]] | None = None
        self.tally = Tally()  # the inbox counters' deltas of this transaction (store.tally)
        # The counted columns of the Task versions this transaction read to change (TxReads.keep_counted).
        self.counted_of: dict[tuple[str, int], dict[str, Any]] = {}

    def defer(self, fn: Callable[[], None]) -> None:
        """Run `fn` after this transaction has ended, whether it committed or rolled back."""
        self._deferred.append(fn)

    def run_deferred(self) -> None:
        todo, self._deferred = self._deferred, []
        for fn in todo:
            fn()

    # -- the principal cache's counter ----------------------------------------------------------
    def bump_auth_epoch(self) -> None:
        """Move the counter, in this transaction: every process rebuilds its principals."""
        self._check_writable()
        done = self.conn.execute(
            auth_epoch.update().where(auth_epoch.c.name == "auth").values(value=auth_epoch.c.value + 1)
        ).rowcount
        if not done:
            self.conn.execute(auth_epoch.insert().values(name="auth", value=1))

    # -- writes -------------------------------------------------------------------------------
    def _check_writable(self) -> None:
        if not self.writable:
            raise RuntimeError("write in a read transaction")

    def log_access(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write access-log rows (store.access_log.COLUMNS) in one multi-row insert; in a
        `Store.read_logged` read on SQLite, when the read is over."""
        if not rows:
            return
        if self.pending_log is not None:
            self.pending_log.extend(rows)
            return
        self._check_writable()
        mark = sqltext.mark(self.conn)
        try:
            if not self.store.sqlite:
                self.conn.exec_driver_sql(_PG_LOG_INSERT, (orjson.dumps(list(map(_LOG_ROW, rows))).decode(),))
                return
            for i in range(0, len(rows), 500):  # one statement per 500 rows keeps under SQLite's bind limit
                chunk = rows[i : i + 500]
                self.conn.exec_driver_sql(
                    _log_insert(mark, len(chunk)), tuple(chain.from_iterable(map(_LOG_ROW, chunk)))
                )
        except sa.exc.DBAPIError as e:
            raise AccessLogUnavailable(type(e.orig).__name__) from None  # never the parameters
        except orjson.JSONEncodeError:  # a value no database text can hold (a lone surrogate)
            raise AccessLogUnavailable("JSONEncodeError") from None

    def create(self, r: Resource, *, ident: str | None = None, keep_id: bool = False) -> Resource:
        return self.create_many([r], idents=[ident], keep_id=keep_id)[0]

    def create_many(
        self, resources: Sequence[Resource], *, idents: Sequence[str | None] | None = None, keep_id: bool = False
    ) -> list[Resource]:
        """Insert new resources as version 1 in one round trip per table."""
        self._check_writable()
        out: list[Resource] = []
        task_rows: list[dict[str, Any]] = []
        res_rows: list[dict[str, Any]] = []
        hist_rows: list[dict[str, Any]] = []
        meta = {"versionId": "1", "lastUpdated": self.now}
        for i, r in enumerate(resources):
            rtype = r["resourceType"]
            if rtype == "AuditEvent":
                raise ValueError("access-log entries are rows of access_log: write them with Tx.log_access")
            r = dict(r)
            if not keep_id or not r.get("id"):
                r["id"] = new_id()
            r["meta"] = {**(r.get("meta") or {}), **meta}
            r = narrative.finish(r)
            content = dumps(r)
            if rtype == "Task":
                cols = task_cols(r)
                task_rows.append({"id": r["id"], "version_id": 1, "last_updated": self.now, "content": content, **cols})
                self.tally.add(None, cols)
            else:
                cols = resource_cols(DEFS[rtype], r)
                res_rows.append(
                    {
                        "rtype": rtype,
                        "id": r["id"],
                        "version_id": 1,
                        "last_updated": self.now,
                        "content": content,
                        "ident": idents[i] if idents else None,
                        **{k: cols.get(k, "") for k in RESOURCE_COLS},
                    }
                )
            if rtype not in IMMUTABLE:
                hist_rows.append(
                    {"rtype": rtype, "id": r["id"], "version_id": 1, "last_updated": self.now, "content": content}
                )
            out.append(r)
        for table, rows in ((task, task_rows), (resource, res_rows), (history, hist_rows)):
            if len(rows) == 1:  # one resource (a reply, a note): as text, made once per shape
                names = tuple(rows[0])
                self.conn.exec_driver_sql(
                    _insert_sql(sqltext.mark(self.conn), table.name, names), tuple(rows[0].values())
                )
            elif rows:
                self.conn.execute(table.insert(), rows)
        if any(r["resourceType"] in AUTH_TYPES for r in out):
            self.bump_auth_epoch()
        return out

    def update(self, r: Resource, *, expected_version: int) -> Resource:
        """Write a new version if, and only if, the stored one is still `expected_version`."""
        self._check_writable()
        rtype, rid = r["resourceType"], r["id"]
        new_version = expected_version + 1
        if expected_version == 1:
            self._keep_first_version(rtype, rid)
        r = dict(r)
        r["meta"] = {**(r.get("meta") or {}), "versionId": str(new_version), "lastUpdated": self.now}
        r = narrative.finish(r)
        content = dumps(r)
        old_cols: Any = None
        mark = sqltext.mark(self.conn)
        if rtype == "Task":
            # The counted columns of the version replaced (fixed by that version, so read at any time):
            # as this transaction read them with the version, else read now.
            old_cols = self.counted_of.pop((rid, expected_version), None)
            if old_cols is None:
                old_cols = (
                    self.conn.execute(
                        sa.select(*[task.c[k] for k in TALLY_COLS]).where(
                            task.c.id == rid, task.c.version_id == expected_version
                        )
                    )
                    .mappings()
                    .first()
                )
            cols = task_cols(r)
            keys: tuple[str, ...] = ("id", "version_id")
        else:
            cols = resource_cols(DEFS[rtype], r)
            keys = ("rtype", "id", "version_id")
        names = tuple(cols)
        params = (new_version, self.now, content, *cols.values(), *(rtype, rid, expected_version)[-len(keys) :])
        # As text, made once per shape: building the UPDATE of 17 columns costs more than running it.
        if self.conn.exec_driver_sql(_update_sql(mark, table_of(rtype).name, names, keys), params).rowcount != 1:
            current = self.get(rtype, rid)
            if current is None:
                raise NotFound(rtype, rid)
            raise VersionConflict(rtype, rid, current)
        if rtype == "Task":
            self.tally.add(old_cols, cols)
        self.conn.exec_driver_sql(
            _insert_sql(mark, "history", _HISTORY_COLUMNS), (rtype, rid, new_version, self.now, content)
        )
        if rtype in AUTH_TYPES:
            self.bump_auth_epoch()
        return r

    def _keep_first_version(self, rtype: str, rid: str) -> None:
        """Bulk-loaded resources have no history row for version 1; write it before the first
        change, so that history and vread stay complete."""
        # One statement: the stored version 1 copied to history unless history has it already.
        is_task = rtype == "Task"
        params = (rtype, rid) if is_task else (rtype, rtype, rid)
        self.conn.exec_driver_sql(_keep_first_sql(sqltext.mark(self.conn), is_task), (*params, rtype, rid))

    def emit(self, payload: dict[str, Any]) -> None:
        """Record a change event; it becomes visible to the event stream when this commits."""
        self._check_writable()
        mark = sqltext.mark(self.conn)
        # On PostgreSQL the event stream's listeners in other processes are woken (NOTIFY, delivered
        # at commit, once per transaction however often it is sent): with the first event's insert.
        first_notify = not self.store.sqlite and not self.emitted
        self.conn.exec_driver_sql(_event_insert(mark, first_notify), (self.now, dumps(payload)))
        self.emitted += 1
