"""Database engines: SQLite by default, PostgreSQL for real deployments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

APP_NAME = "helsami-portal"
SQLITE_MMAP_BYTES = 256 * 1024 * 1024  # SQLite reads the first 256 MiB of its file from a memory map


def default_db_url() -> str:
    data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    data.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data / 'portal.sqlite3'}"


def normalise_url(url: str) -> str:
    """Accept the URLs people type (postgresql://, postgres://) and pick the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "sqlite://"):
        if url.startswith(prefix):
            return url
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(
        f"unsupported database URL scheme: {url.split(':', 1)[0]!r} "
        "(use sqlite:///PATH or postgresql://USER@HOST:PORT/DB)"
    )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, *, pool_size: int = 10, statement_timeout_ms: int | None = None) -> Engine:
    """An engine that never logs SQL parameters (they hold patient data). With
    `statement_timeout_ms`, no statement runs longer: PostgreSQL's statement_timeout, and on
    SQLite an interrupt from a progress handler, so a slow read cannot hold the database."""
    url = normalise_url(url or default_db_url())
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=20,
            hide_parameters=True,
        )
        if statement_timeout_ms:
            _sqlite_deadline(engine, statement_timeout_ms / 1000)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Pages read from a memory map instead of a read() each: every write elsewhere empties
            # this connection's page cache, so each request would read its pages again (CPU per
            # inbox page about 9 % lower in paired runs, bench/README.md). Address space, not memory.
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            # Writers take the lock up front so two writers never deadlock upgrading a read lock.
            if conn.get_execution_options().get("write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    connect_args = {"options": f"-c statement_timeout={int(statement_timeout_ms)}"} if statement_timeout_ms else {}
    engine = sa.create_engine(
        url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args
    )
    event.listen(engine, "connect", _pg_raw_text)
    return engine


RAW_TEXT_TYPE = "bpchar"
"""The type stored JSON is read as on PostgreSQL to come back as its bytes (`TxReads.content_of`):
`content::bpchar` is a cast without work on the server (text and bpchar are binary-coercible), and
the loader below hands a bpchar value over as the bytes that came, without decoding them to a str
(which orjson would encode to UTF-8 again to parse it and again to send it). No column of the
schema is of this type (tests/portal/test_read_path.py checks it)."""


def _pg_raw_text(dbapi_conn, _record):  # type: ignore[no-untyped-def]
    from psycopg.adapt import Loader

    class RawText(Loader):
        def load(self, data: Any) -> bytes:
            return bytes(data)

    dbapi_conn.adapters.register_loader(RAW_TEXT_TYPE, RawText)


def _sqlite_deadline(engine: Engine, seconds: float) -> None:
    """Interrupt any SQLite statement that runs longer than `seconds` (it fails with
    OperationalError 'interrupted'; the transaction rolls back and frees the lock)."""
    import time

    @event.listens_for(engine, "connect")
    def _arm(dbapi_conn, record):  # type: ignore[no-untyped-def]
        box = record.info.setdefault("deadline", [float("inf")])
        dbapi_conn.set_progress_handler(lambda: 1 if time.monotonic() > box[0] else 0, 10_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        box = conn.connection.info.get("deadline")
        if box is not None:
            box[0] = time.monotonic() + seconds

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        box = conn.connection.info.get("deadline")
        if box is not None:
            box[0] = float("inf")
