"""Statements as text, in the driver's own parameter style, for the hot path of a page.

Building a SQLAlchemy Core select, finding it in the compiled cache and expanding its IN lists
costs several times what running it costs on a page's small look-ups (0.22 against 0.03 ms for
a look-up of 50 patients' grants); these look-ups are written once as text and run through
`Connection.exec_driver_sql`, so the engine's events (statement time-out, the bench's capture)
still see them."""

from __future__ import annotations

import functools

from sqlalchemy.engine import Connection


def mark(conn: Connection) -> str:
    """The driver's placeholder: `?` for sqlite3, `%s` for psycopg."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


@functools.lru_cache(maxsize=512)
def _marks(m: str, n: int) -> str:
    return ", ".join([m] * n)


def marks(conn: Connection, n: int) -> str:
    """`n` placeholders, comma-separated (an IN list of `n` values)."""
    return _marks(mark(conn), n)
