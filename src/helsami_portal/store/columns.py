"""Which table holds a resource type, and the index columns a resource fills."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..fhir import timeutil
from ..fhir.registry import DEFS, ResourceDef, task_columns
from . import access_log as alog
from .codec import Resource
from .schema import access_log, resource, task

BARE_ID_COLUMNS = frozenset({"patient", "pool"})
# Written once, never changed: their only version is the current one (no history rows needed).
IMMUTABLE = frozenset({"AuditEvent"})
# Changes to these move the principal cache's counter (schema.auth_epoch).
AUTH_TYPES = frozenset({"Practitioner", "PractitionerRole"})
TALLY_COLS = ("pool", "owner", "status", "priority_rank", "deadline")
RESOURCE_COLS = ("patient", "ref1", "ref2", "code", "status", "date", "text1")
MAX_COUNT = 500
DEFAULT_COUNT = 50
LOG_COLS = [access_log.c[name] for name in alog.COLUMNS]


def table_of(rtype: str) -> sa.Table:
    """The table a resource type is stored in: Task and the access log have their own."""
    if rtype == "Task":
        return task
    if rtype == "AuditEvent":
        return access_log
    return resource


def task_cols(r: Resource) -> dict[str, Any]:
    cols = task_columns(r)
    cols["authored"] = timeutil.norm(cols["authored"])
    cols["deadline"] = timeutil.norm(cols["deadline"])
    return cols


def resource_cols(rdef: ResourceDef, r: Resource) -> dict[str, Any]:
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
        return task_cols(r)
    return resource_cols(DEFS[r["resourceType"]], r)
