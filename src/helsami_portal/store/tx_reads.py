"""The reads of a store transaction (`Tx`): one resource, many, versions and history, keyset
search, the next Task of a queue, counts, the change events. `store.Tx` is this and its writes."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..fhir.registry import DEFS
from . import access_log as alog, sqltext
from .codec import Resource, loads, stored
from .columns import DEFAULT_COUNT, LOG_COLS, TALLY_COLS, table_of
from .cursor import after, bad_cursor, decode_cursor, encode_cursor
from .db import RAW_TEXT_TYPE
from .errors import NotFound, VersionNotFound
from .schema import access_log, event, history, resource, task


@dataclass
class Page:
    rows: list[Resource]
    next_cursor: str | None
    total: int | None = None


@functools.lru_cache(maxsize=256)
def _get_many_sql(mark: str, is_task: bool, n: int) -> str:
    """`get_many`'s look-up of `n` ids (of one type in `resource`, or of Tasks) in the driver's
    parameter style: the statement SQLAlchemy compiles from the select of `content` by id IN, the
    content as its bytes (see `TxReads.content_of`). On PostgreSQL the ids are one array parameter
    (`= ANY(%s::text[])`, see `sqltext.in_list`)."""
    table = "task" if is_task else "resource"
    in_ids, content = sqltext.in_list_for(mark, n), _content_as_bytes(table, sqlite=mark != "%s")
    if is_task:
        return f"SELECT {content} FROM task WHERE task.id {in_ids}"
    return f"SELECT {content} FROM resource WHERE resource.rtype = {mark} AND resource.id {in_ids}"


def _content_as_bytes(table: str, *, sqlite: bool) -> str:
    """The SQL of `table`'s stored JSON read as its bytes (see `TxReads.content_of`)."""
    return f"CAST({table}.content AS {'BLOB' if sqlite else RAW_TEXT_TYPE})"


@functools.lru_cache(maxsize=4)
def _locked_task_sql(mark: str, sqlite: bool) -> str:
    """One Task by id with its version and counted columns, locked on PostgreSQL (FOR UPDATE)."""
    cols = ", ".join(f"task.{k}" for k in ("content", "id", "version_id", *TALLY_COLS))
    return f"SELECT {cols} FROM task WHERE task.id = {mark}" + ("" if sqlite else " FOR UPDATE")


MERGE_PARAMS = 900  # `get_many` merges its look-ups of several types into one statement up to this many parameters (under SQLite's old bind limit, 999)


class _Dialect(Protocol):
    sqlite: bool


class TxReads:
    """What a transaction reads (`store.Tx` adds the writes)."""

    store: _Dialect
    conn: Connection

    def content_of(self, table: sa.Table) -> Any:
        """The column of a resource's stored JSON to read, as bytes (its UTF-8 as stored): decoding
        JSON from bytes and sending them on as they are costs half what the same from a str does
        (the driver decodes the text to a str, orjson encodes it to UTF-8 again; 0.20 against 0.44
        ms for an inbox page's 50 Tasks on SQLite). SQLite: `CAST(... AS BLOB)`; PostgreSQL:
        `content::bpchar`, which the engine's loader hands over as bytes (store.db.RAW_TEXT_TYPE)."""
        if self.store.sqlite:
            return sa.cast(table.c.content, sa.LargeBinary)
        return sa.literal_column(_content_as_bytes(table.name, sqlite=False), sa.LargeBinary)

    # -- reads --------------------------------------------------------------------------------
    def get(self, rtype: str, rid: str, *, for_update: bool = False) -> Resource | None:
        if rtype == "AuditEvent":
            log_row = self.conn.execute(sa.select(*LOG_COLS).where(access_log.c.id == rid)).first()
            return alog.render(log_row._mapping) if log_row is not None else None
        if rtype == "Task":
            if for_update:
                return self._locked_task(rid)
            q = sa.select(task.c.content).where(task.c.id == rid)
        else:
            q = sa.select(resource.c.content).where(resource.c.rtype == rtype, resource.c.id == rid)
        if for_update and not self.store.sqlite:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return loads(row[0]) if row else None

    def require(self, rtype: str, rid: str, *, for_update: bool = False) -> Resource:
        r = self.get(rtype, rid, for_update=for_update)
        if r is None:
            raise NotFound(rtype, rid)
        return r

    def _locked_task(self, rid: str) -> Resource | None:
        """A Task read to be changed in this transaction (locked on PostgreSQL), with the counted
        columns of its version kept for the change (`Tx.update` then need not read them again)."""
        sql = _locked_task_sql(sqltext.mark(self.conn), self.store.sqlite)
        row = self.conn.exec_driver_sql(sql, (rid,)).first()
        if row is None:
            return None
        self.keep_counted(row)
        return loads(row[0])  # type: ignore[no-any-return]

    def keep_counted(self, row: Any) -> None:
        """Remember the counted columns of a Task version read in this transaction (a row of
        content, id, version_id and then TALLY_COLS, as `_locked_task_sql` selects them)."""
        counted = getattr(self, "counted_of", None)
        if counted is not None:
            counted[(row[1], int(row[2]))] = dict(zip(TALLY_COLS, row[3:], strict=True))

    def get_ref(self, ref: str) -> Resource | None:
        typ, _, rid = ref.partition("/")
        if typ not in DEFS or not rid:
            return None
        return self.get(typ, rid)

    def get_many(self, refs: Iterable[str], *, raw: bool = False) -> list[Resource]:
        """The resources of `refs` that exist. `raw`: as `Stored`, keeping their JSON text (for a
        caller that sends them on unchanged)."""
        by_type: dict[str, set[str]] = {}
        for ref in refs:
            typ, _, rid = ref.partition("/")
            if typ in DEFS and rid:
                by_type.setdefault(typ, set()).add(rid)
        out: list[Resource] = []
        decode = stored if raw else loads
        mark = sqltext.mark(self.conn)
        n_params = len(by_type) + sum(len(ids) for ids in by_type.values())
        if len(by_type) > 1 and not by_type.keys() & {"Task", "AuditEvent"} and n_params <= MERGE_PARAMS:
            # Several types of `resource` (an inbox page's includes): one statement, each type's
            # look-up an arm of a UNION ALL in the same order (one round trip instead of one per type).
            sql = " UNION ALL ".join(_get_many_sql(mark, False, len(ids)) for ids in by_type.values())
            params = tuple(x for typ, ids in by_type.items() for x in (typ, *sqltext.in_values(self.conn, sorted(ids))))
            out.extend(decode(r[0]) for r in self.conn.exec_driver_sql(sql, params))
            return out
        for typ, ids in by_type.items():
            if typ == "AuditEvent":
                out.extend(
                    alog.render(r._mapping)
                    for r in self.conn.execute(sa.select(*LOG_COLS).where(access_log.c.id.in_(sorted(ids))))
                )
                continue
            # The statement as text, made once per size (building and compiling the expression with
            # its expanding IN cost more than running it, on an inbox page's includes).
            in_ids = sqltext.in_values(self.conn, sorted(ids))
            params = in_ids if typ == "Task" else (typ, *in_ids)
            sql = _get_many_sql(mark, typ == "Task", len(ids))
            out.extend(decode(r[0]) for r in self.conn.exec_driver_sql(sql, params))
        return out

    def exists(self, ref: str) -> bool:
        typ, _, rid = ref.partition("/")
        if typ not in DEFS or not rid:
            return False
        if typ == "Task":
            q = sa.select(task.c.id).where(task.c.id == rid)
        elif typ == "AuditEvent":
            q = sa.select(access_log.c.id).where(access_log.c.id == rid)
        else:
            q = sa.select(resource.c.id).where(resource.c.rtype == typ, resource.c.id == rid)
        return self.conn.execute(q).first() is not None

    def vread(self, rtype: str, rid: str, vid: int) -> Resource:
        row = self.conn.execute(
            sa.select(history.c.content).where(
                history.c.rtype == rtype, history.c.id == rid, history.c.version_id == vid
            )
        ).first()
        if row is None:
            current = self.get(rtype, rid)
            if current is None:
                raise NotFound(rtype, rid)
            if current["meta"]["versionId"] == str(vid):  # bulk-loaded, never changed
                return current
            raise VersionNotFound(rtype, rid, vid)
        version: Resource = loads(row[0])
        return version

    def history(self, rtype: str, rid: str, count: int = 100) -> list[Resource]:
        rows = self.conn.execute(
            sa.select(history.c.content)
            .where(history.c.rtype == rtype, history.c.id == rid)
            .order_by(history.c.version_id.desc())
            .limit(count)
        ).all()
        if not rows:
            current = self.get(rtype, rid)
            if current is None:
                raise NotFound(rtype, rid)
            return [current]  # bulk-loaded, never changed
        return [loads(r[0]) for r in rows]

    def find_by_ident(self, rtype: str, ident: str) -> Resource | None:
        row = self.conn.execute(
            sa.select(resource.c.content).where(resource.c.rtype == rtype, resource.c.ident == ident)
        ).first()
        return loads(row[0]) if row else None

    # -- search -------------------------------------------------------------------------------
    def search(
        self,
        rtype: str,
        where: Sequence[sa.ColumnElement[bool]],
        *,
        sort: Sequence[tuple[str, bool]] | None = None,
        count: int = DEFAULT_COUNT,
        cursor: str | None = None,
        total: bool = False,
        raw: bool = False,
        split: tuple[str, Sequence[str]] | None = None,
    ) -> Page:
        """One page in the order `sort` (then id), after `cursor`. `raw`: the rows as `Stored` (see
        `get_many`). `split` = (column, values): the search has `column IN values` among its
        conditions; it is read as one index-ordered query per value, merged (UNION ALL, which both
        databases merge in order without a sort), so an index (..., column, sort keys) serves it."""
        rdef = DEFS[rtype]
        table = table_of(rtype)
        conds: list[sa.ColumnElement[bool]] = list(where)
        if table is resource:
            conds.insert(0, resource.c.rtype == rtype)
        keys = list(sort or rdef.default_sort)
        # For the inbox (Task) the tie-breaker runs the way the last key does, so that one index read
        # forwards or backwards gives the whole order; other types keep id ascending (their lists
        # are one patient's or one thread's, and clients show ties in that order).
        keys.append(("id", keys[-1][1] if keys and rtype == "Task" else False))
        cols = [table.c[name] for name, _ in keys]
        descs = [d for _, d in keys]
        base_conds = list(conds)
        if cursor:
            values = decode_cursor(cursor, len(keys))
            for col, v in zip(cols, values, strict=True):
                if not isinstance(v, col.type.python_type):
                    raise bad_cursor()
            conds.append(after(cols, descs, values))
        body = LOG_COLS if table is access_log else [self.content_of(table)]
        order = [(col.desc() if desc else col.asc()) for col, desc in zip(cols, descs, strict=True)]
        if split is not None and len(split[1]) > 1 and table is not access_log:
            q: Any = self._merged(table, cols, descs, conds, split, count + 1)
        else:
            q = sa.select(*cols, *body).where(*conds).order_by(*order).limit(count + 1)
        rows = self.conn.execute(q).all()
        more = len(rows) > count
        rows = rows[:count]
        next_cursor = encode_cursor(list(rows[-1][: len(keys)])) if more and rows else None
        n: int | None = None
        if total:
            n = self.conn.execute(sa.select(sa.func.count()).select_from(table).where(*base_conds)).scalar_one()
        if table is access_log:
            return Page(
                [alog.render(dict(zip(alog.COLUMNS, r[len(keys) :], strict=True))) for r in rows], next_cursor, n
            )
        decode = stored if raw else loads
        return Page([decode(r[-1]) for r in rows], next_cursor, n)

    def _merged(
        self,
        table: sa.Table,
        cols: list[Any],
        descs: list[bool],
        conds: list[sa.ColumnElement[bool]],
        split: tuple[str, Sequence[str]],
        limit: int,
    ) -> Any:
        order = [(col.desc() if desc else col.asc()) for col, desc in zip(cols, descs, strict=True)]
        arms = []
        for v in sorted(set(split[1])):
            arm = sa.select(*cols, self.content_of(table)).where(*conds, table.c[split[0]] == v)
            if not self.store.sqlite:  # PostgreSQL merges limited, ordered arms (Merge Append)
                arm = arm.order_by(*order).limit(limit)
            arms.append(arm)
        outer: list[sa.UnaryExpression[Any]] = [
            (sa.literal_column(c.name).desc() if d else sa.literal_column(c.name).asc())
            for c, d in zip(cols, descs, strict=True)
        ]
        return sa.union_all(*arms).order_by(*outer).limit(limit)

    def next_task(self, where: Sequence[sa.ColumnElement[bool]], *, exclude: Sequence[str] = ()) -> Resource | None:
        """The first Task matching `where` in queue order (priority, authored, id), locked for this
        transaction. On PostgreSQL rows another transaction holds are skipped (FOR UPDATE SKIP
        LOCKED), so callers taking from one queue at once each get a different row; on SQLite a
        write transaction holds the database's write lock from its start (BEGIN IMMEDIATE), so the
        row read is still unclaimed when it is written."""
        conds = list(where)
        if exclude:
            conds.append(task.c.id.notin_(sorted(exclude)))
        q = (
            sa.select(task.c.content, task.c.id, task.c.version_id, *[task.c[k] for k in TALLY_COLS])
            .where(*conds)
            .order_by(task.c.priority_rank, task.c.authored, task.c.id)
            .limit(1)
        )
        if not self.store.sqlite:
            q = q.with_for_update(skip_locked=True)
        row = self.conn.execute(q).first()
        if row is None:
            return None
        self.keep_counted(row)
        return json.loads(row[0])  # type: ignore[no-any-return]

    def count(self, rtype: str, where: Sequence[sa.ColumnElement[bool]]) -> int:
        table = table_of(rtype)
        conds = list(where)
        if table is resource:
            conds.insert(0, resource.c.rtype == rtype)
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(table).where(*conds)).scalar_one())

    def auth_epoch(self) -> int:
        """The counter of changes to signed-in users' principals (schema.auth_epoch)."""
        v = self.conn.exec_driver_sql(
            f"SELECT auth_epoch.value FROM auth_epoch WHERE auth_epoch.name = {sqltext.mark(self.conn)}", ("auth",)
        ).scalar()
        return int(v or 0)

    def events_after(self, seq: int, limit: int = 500) -> list[tuple[int, str, dict[str, Any]]]:
        rows = self.conn.execute(
            sa.select(event.c.seq, event.c.at, event.c.payload)
            .where(event.c.seq > seq)
            .order_by(event.c.seq)
            .limit(limit)
        ).all()
        return [(int(s), at, loads(p)) for s, at, p in rows]

    def last_event_seq(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(event.c.seq), 0))).scalar_one())
