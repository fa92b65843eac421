"""Keyset paging: the opaque cursor a search hands out, and the condition "after these values"."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .errors import InvalidQuery


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bad_cursor() -> InvalidQuery:
    return InvalidQuery(
        "invalid-cursor",
        "The paging cursor does not belong to this search; start the search again.",
        expression="_cursor",
    )


def _cursor_value_ok(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return -(2**63) <= v < 2**63
    return isinstance(v, str) and len(v) <= 300 and "\x00" not in v and v.isprintable()


def decode_cursor(token: str, n: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeError, RecursionError):
        raise InvalidQuery(
            "invalid-cursor",
            "The paging cursor is not valid; start the search again.",
            expression="_cursor",
        ) from None
    if not isinstance(values, list) or len(values) != n or not all(_cursor_value_ok(v) for v in values):
        raise bad_cursor()
    return values


def after(cols: Sequence[sa.ColumnElement[Any]], descs: list[bool], values: list[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after `values` in the order given by cols/descs (keyset paging). One way
    throughout: a row-value comparison, which an index in that order reads as one range."""
    if len(set(descs)) == 1:
        row, at = sa.tuple_(*cols), sa.tuple_(*[sa.literal(v, c.type) for c, v in zip(cols, values, strict=True)])
        return row < at if descs[0] else row > at
    ors = []
    for i in range(len(cols)):
        ands = [cols[j] == values[j] for j in range(i)]
        ands.append(cols[i] < values[i] if descs[i] else cols[i] > values[i])
        ors.append(sa.and_(*ands))
    return sa.or_(*ors)
