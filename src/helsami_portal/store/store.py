"""The store: FHIR resources in SQL, with versions, history, keyset search and change events.

Nothing here knows inbox rules; the workflow layer decides what may change, the store makes
each change atomic and versioned. `Store.write()` opens one transaction; everything done
through the `Tx` it yields commits or rolls back together.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import DEFS, ResourceDef, task_columns
from .db import is_sqlite
from .schema import event, history, metadata, resource, task

Resource = dict[str, Any]
BARE_ID_COLUMNS = frozenset({"patient", "pool"})
# Written once, never changed: their only version is the current one (no history rows needed).
IMMUTABLE = frozenset({"AuditEvent"})
_RESOURCE_COLS = ("patient", "ref1", "ref2", "code", "status", "date", "text1")
MAX_COUNT = 500
DEFAULT_COUNT = 50


def _dumps(r: Resource) -> str:
    return json.dumps(r, ensure_ascii=False, separators=(",", ":"))


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Page:
    rows: list[Resource]
    next_cursor: str | None
    total: int | None = None


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------
    def create_schema(self) -> None:
        if self.sqlite:
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                _add_new_indexes(conn)
            return
        # Several processes may start at once; one creates the tables, the others wait.
        with self.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(727001)"))
            metadata.create_all(conn)
            _add_new_indexes(conn)

    def drop_schema(self) -> None:
        metadata.drop_all(self.engine)

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
            with self.engine.connect() as conn:
                with conn.begin():
                    tx = Tx(self, conn, writable=False)
                    yield tx
        finally:
            if tx is not None:
                tx.run_deferred()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        tx: Tx | None = None
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(write=True)
                tx = Tx(self, conn, writable=True)
                with conn.begin():
                    yield tx
                if tx.emitted:
                    self._notify_local()
        finally:
            if tx is not None:
                tx.run_deferred()


class Tx:
    def __init__(self, store: Store, conn: Connection, *, writable: bool) -> None:
        self.store = store
        self.conn = conn
        self.writable = writable
        self.emitted = 0
        self.now = timeutil.instant()
        self._deferred: list[Callable[[], None]] = []

    def defer(self, fn: Callable[[], None]) -> None:
        """Run `fn` after this transaction has ended, whether it committed or rolled back."""
        self._deferred.append(fn)

    def run_deferred(self) -> None:
        todo, self._deferred = self._deferred, []
        for fn in todo:
            fn()

    # -- reads --------------------------------------------------------------------------------
    def get(self, rtype: str, rid: str, *, for_update: bool = False) -> Resource | None:
        if rtype == "Task":
            q = sa.select(task.c.content).where(task.c.id == rid)
        else:
            q = sa.select(resource.c.content).where(resource.c.rtype == rtype, resource.c.id == rid)
        if for_update and not self.store.sqlite:
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return json.loads(row[0]) if row else None

    def require(self, rtype: str, rid: str, *, for_update: bool = False) -> Resource:
        r = self.get(rtype, rid, for_update=for_update)
        if r is None:
            raise FhirError(404, f"{rtype}/{rid} does not exist.")
        return r

    def get_ref(self, ref: str) -> Resource | None:
        typ, _, rid = ref.partition("/")
        if typ not in DEFS or not rid:
            return None
        return self.get(typ, rid)

    def get_many(self, refs: Iterable[str]) -> list[Resource]:
        by_type: dict[str, set[str]] = {}
        for ref in refs:
            typ, _, rid = ref.partition("/")
            if typ in DEFS and rid:
                by_type.setdefault(typ, set()).add(rid)
        out: list[Resource] = []
        for typ, ids in by_type.items():
            if typ == "Task":
                q = sa.select(task.c.content).where(task.c.id.in_(sorted(ids)))
            else:
                q = sa.select(resource.c.content).where(resource.c.rtype == typ,
                                                        resource.c.id.in_(sorted(ids)))
            out.extend(json.loads(r[0]) for r in self.conn.execute(q))
        return out

    def exists(self, ref: str) -> bool:
        typ, _, rid = ref.partition("/")
        if typ not in DEFS or not rid:
            return False
        if typ == "Task":
            q = sa.select(task.c.id).where(task.c.id == rid)
        else:
            q = sa.select(resource.c.id).where(resource.c.rtype == typ, resource.c.id == rid)
        return self.conn.execute(q).first() is not None

    def vread(self, rtype: str, rid: str, vid: int) -> Resource:
        row = self.conn.execute(
            sa.select(history.c.content).where(history.c.rtype == rtype, history.c.id == rid,
                                               history.c.version_id == vid)).first()
        if row is None:
            current = self.get(rtype, rid)
            if current is None:
                raise FhirError(404, f"{rtype}/{rid} does not exist.")
            if current["meta"]["versionId"] == str(vid):  # bulk-loaded, never changed
                return current
            raise FhirError(404, f"{rtype}/{rid} has no version {vid}.")
        return json.loads(row[0])

    def history(self, rtype: str, rid: str, count: int = 100) -> list[Resource]:
        rows = self.conn.execute(
            sa.select(history.c.content).where(history.c.rtype == rtype, history.c.id == rid)
            .order_by(history.c.version_id.desc()).limit(count)).all()
        if not rows:
            current = self.get(rtype, rid)
            if current is None:
                raise FhirError(404, f"{rtype}/{rid} does not exist.")
            return [current]  # bulk-loaded, never changed
        return [json.loads(r[0]) for r in rows]

    def find_by_ident(self, rtype: str, ident: str) -> Resource | None:
        row = self.conn.execute(sa.select(resource.c.content).where(
            resource.c.rtype == rtype, resource.c.ident == ident)).first()
        return json.loads(row[0]) if row else None

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
    ) -> Page:
        rdef = DEFS[rtype]
        table = task if rtype == "Task" else resource
        conds: list[sa.ColumnElement[bool]] = list(where)
        if rtype != "Task":
            conds.insert(0, resource.c.rtype == rtype)
        keys = list(sort or rdef.default_sort) + [("id", False)]
        cols = [table.c[name] for name, _ in keys]
        base_conds = list(conds)
        if cursor:
            values = decode_cursor(cursor, len(keys))
            conds.append(_after(cols, [d for _, d in keys], values))
        q = sa.select(*cols, table.c.content).where(*conds).order_by(
            *[(col.desc() if desc else col.asc()) for col, (_, desc) in zip(cols, keys)]
        ).limit(count + 1)
        rows = self.conn.execute(q).all()
        more = len(rows) > count
        rows = rows[:count]
        next_cursor = encode_cursor(list(rows[-1][: len(keys)])) if more and rows else None
        n: int | None = None
        if total:
            n = self.conn.execute(sa.select(sa.func.count()).select_from(table).where(*base_conds)).scalar_one()
        return Page([json.loads(r[-1]) for r in rows], next_cursor, n)

    def count(self, rtype: str, where: Sequence[sa.ColumnElement[bool]]) -> int:
        table = task if rtype == "Task" else resource
        conds = list(where)
        if rtype != "Task":
            conds.insert(0, resource.c.rtype == rtype)
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(table).where(*conds)).scalar_one())

    # -- writes -------------------------------------------------------------------------------
    def _check_writable(self) -> None:
        if not self.writable:
            raise RuntimeError("write in a read transaction")

    def create(self, r: Resource, *, ident: str | None = None, keep_id: bool = False) -> Resource:
        return self.create_many([r], idents=[ident], keep_id=keep_id)[0]

    def create_many(self, resources: Sequence[Resource], *, idents: Sequence[str | None] | None = None,
                    keep_id: bool = False) -> list[Resource]:
        """Insert new resources as version 1 in one round trip per table."""
        self._check_writable()
        out: list[Resource] = []
        task_rows: list[dict[str, Any]] = []
        res_rows: list[dict[str, Any]] = []
        hist_rows: list[dict[str, Any]] = []
        meta = {"versionId": "1", "lastUpdated": self.now}
        for i, r in enumerate(resources):
            rtype = r["resourceType"]
            r = dict(r)
            if not keep_id or not r.get("id"):
                r["id"] = new_id()
            r["meta"] = {**(r.get("meta") or {}), **meta}
            content = _dumps(r)
            if rtype == "Task":
                task_rows.append({"id": r["id"], "version_id": 1, "last_updated": self.now, "content": content,
                                  **_task_cols(r)})
            else:
                cols = _resource_cols(DEFS[rtype], r)
                res_rows.append({"rtype": rtype, "id": r["id"], "version_id": 1, "last_updated": self.now,
                                 "content": content, "ident": idents[i] if idents else None,
                                 **{k: cols.get(k, "") for k in _RESOURCE_COLS}})
            if rtype not in IMMUTABLE:
                hist_rows.append({"rtype": rtype, "id": r["id"], "version_id": 1, "last_updated": self.now,
                                  "content": content})
            out.append(r)
        if task_rows:
            self.conn.execute(task.insert(), task_rows)
        if res_rows:
            self.conn.execute(resource.insert(), res_rows)
        if hist_rows:
            self.conn.execute(history.insert(), hist_rows)
        return out

    def update(self, r: Resource, *, expected_version: int) -> Resource:
        """Write a new version if, and only if, the stored one is still `expected_version`."""
        self._check_writable()
        rtype, rid = r["resourceType"], r["id"]
        new_version = expected_version + 1
        if expected_version == 1:
            self._keep_first_version(rtype, rid)
        r = dict(r)
        r["meta"] = {**(r.get("meta") or {}), "versionId": str(new_version),
                     "lastUpdated": self.now}
        content = _dumps(r)
        if rtype == "Task":
            stmt = task.update().where(task.c.id == rid, task.c.version_id == expected_version).values(
                version_id=new_version, last_updated=self.now, content=content, **_task_cols(r))
        else:
            stmt = resource.update().where(
                resource.c.rtype == rtype, resource.c.id == rid,
                resource.c.version_id == expected_version,
            ).values(version_id=new_version, last_updated=self.now, content=content,
                     **_resource_cols(DEFS[rtype], r))
        if self.conn.execute(stmt).rowcount != 1:
            current = self.get(rtype, rid)
            if current is None:
                raise FhirError(404, f"{rtype}/{rid} does not exist.")
            raise FhirError(412, f"{rtype}/{rid} has changed since you read it (now version "
                                 f"{current['meta']['versionId']}); reload and try again.",
                            current=current)
        self.conn.execute(history.insert().values(rtype=rtype, id=rid, version_id=new_version,
                                                  last_updated=self.now, content=content))
        return r

    def _keep_first_version(self, rtype: str, rid: str) -> None:
        """Bulk-loaded resources have no history row for version 1; write it before the first
        change, so that history and vread stay complete."""
        exists = self.conn.execute(sa.select(history.c.version_id).where(
            history.c.rtype == rtype, history.c.id == rid, history.c.version_id == 1)).first()
        if exists is not None:
            return
        table = task if rtype == "Task" else resource
        conds = [table.c.id == rid, table.c.version_id == 1]
        if rtype != "Task":
            conds.append(resource.c.rtype == rtype)
        row = self.conn.execute(sa.select(table.c.content, table.c.last_updated).where(*conds)).first()
        if row is not None:
            self.conn.execute(history.insert().values(rtype=rtype, id=rid, version_id=1,
                                                      last_updated=row.last_updated, content=row.content))

    def emit(self, payload: dict[str, Any]) -> None:
        """Record a change event; it becomes visible to the event stream when this commits."""
        self._check_writable()
        self.conn.execute(event.insert().values(at=self.now, payload=_dumps(payload)))
        if not self.store.sqlite:
            self.conn.execute(sa.text("SELECT pg_notify('helsami_events', '')"))
        self.emitted += 1

    def events_after(self, seq: int, limit: int = 500) -> list[tuple[int, str, dict[str, Any]]]:
        rows = self.conn.execute(sa.select(event.c.seq, event.c.at, event.c.payload)
                                 .where(event.c.seq > seq).order_by(event.c.seq).limit(limit)).all()
        return [(int(s), at, json.loads(p)) for s, at, p in rows]

    def last_event_seq(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(event.c.seq), 0))).scalar_one())


def _add_new_indexes(conn: Connection) -> None:
    """Indexes added after a database was first made (create_all only makes missing tables)."""
    for ix in task.indexes:
        if ix.name in ("ix_task_safety_net", "ix_task_pool_tally"):
            ix.create(conn, checkfirst=True)


def _task_cols(r: Resource) -> dict[str, Any]:
    cols = task_columns(r)
    cols["authored"] = timeutil.norm(cols["authored"])
    cols["deadline"] = timeutil.norm(cols["deadline"])
    return cols


def _resource_cols(rdef: ResourceDef, r: Resource) -> dict[str, Any]:
    cols = {k: (v or "") for k, v in rdef.extract(r).items()}
    if "date" in cols:
        cols["date"] = timeutil.norm(cols["date"])
    for k in ("ref1", "ref2", "code", "status"):
        if k in cols:
            cols[k] = cols[k][:100]
    return cols


def row_columns(r: Resource) -> dict[str, Any]:
    """The index columns a resource fills (used by bulk loading)."""
    if r["resourceType"] == "Task":
        return _task_cols(r)
    return _resource_cols(DEFS[r["resourceType"]], r)


# -- keyset cursors ---------------------------------------------------------------------------

def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, n: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, json.JSONDecodeError):
        raise FhirError(400, "The paging cursor is not valid; start the search again.") from None
    if not isinstance(values, list) or len(values) != n or not all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        raise FhirError(400, "The paging cursor does not belong to this search; start the search again.")
    return values


def _after(cols: list[sa.ColumnElement[Any]], descs: list[bool], values: list[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after `values` in the order given by cols/descs (keyset paging)."""
    ors = []
    for i in range(len(cols)):
        ands = [cols[j] == values[j] for j in range(i)]
        ands.append(cols[i] < values[i] if descs[i] else cols[i] > values[i])
        ors.append(sa.and_(*ands))
    return sa.or_(*ors)

