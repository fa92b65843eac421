"""Load test: many staff triage one pool at once through the HTTP API, while patients write.

`prepare` adds a load-test inbox with its own staff members and items to a seeded database;
`run` signs the staff in (device flow, as people would) and lets each claim, reply to and
complete items until the pool is empty; `verify` reads the database afterwards and counts double
claims, lost or duplicated replies and items not in exactly one final state. Used by the test
suite with small numbers and by `bench/` with 50 staff and 10,000 items.
"""

from __future__ import annotations

from .pool import PASSWORD, POOL_ID, prepare, staff_username
from .results import Result, verify
from .staff import Session, _sign_in, run, run_async

__all__ = [
    "PASSWORD",
    "POOL_ID",
    "Result",
    "Session",
    "_sign_in",
    "prepare",
    "run",
    "run_async",
    "staff_username",
    "verify",
]
