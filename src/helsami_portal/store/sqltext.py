"""Statements as text, in the driver's own parameter style, for the hot path of a page.

Building a SQLAlchemy Core select, finding it in the compiled cache and expanding its IN lists
costs several times what running it costs on a page's small look-ups (0.22 against 0.03 ms for
a look-up of 50 patients' grants); these look-ups are written once as text and run through
`Connection.exec_driver_sql`, so the engine's events (statement time-out, the bench's capture)
still see them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

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


def in_list(conn: Connection, n: int) -> str:
    """The condition that a column is one of `n` values (text), to follow the column: `IN (?, ?,
    ...)` on SQLite, `= ANY(%s::text[])` on PostgreSQL, its values one array parameter
    (`in_values`). psycopg caches its parse of a statement's placeholders only up to 50
    parameters: a page's look-ups of 50 patients or 100 included resources were parsed anew each
    time (0.1–0.2 ms each), and their text changed with the number of values, so the server never
    kept a prepared plan of them. PostgreSQL plans `= ANY(array)` as it plans `IN (...)` (the same
    index conditions)."""
    return in_list_for(mark(conn), n)


def in_list_for(m: str, n: int) -> str:
    """`in_list` for the driver whose placeholder is `m` (`mark`), for statements made once per shape."""
    return "= ANY(%s::text[])" if m == "%s" else f"IN ({_marks(m, n)})"


def in_values(conn: Connection, values: Sequence[str]) -> tuple[Any, ...]:
    """The parameters of an `in_list` of `values`: on PostgreSQL one array, as its text (psycopg
    adapts a list element by element in Python, five times slower than this)."""
    return (array_text(values),) if mark(conn) == "%s" else tuple(values)


def array_text(values: Sequence[str]) -> str:
    """A PostgreSQL array literal of text values: each quoted, its backslashes and quotes escaped
    (so that no value is read as NULL, a separator or a nested array)."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
