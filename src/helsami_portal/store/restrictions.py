"""The rows a restriction (skjerming) is read from: the patients' active Consents
(workflow/skjerming.py decides what they restrict)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import sqltext
from .store import Tx


def active_consents_of(tx: Tx, patient_ids: Sequence[str]) -> Sequence[Any]:
    """(patient, content) of the active Consents of `patient_ids`, in one query for all of them
    (the statement as text: store.sqltext)."""
    if not patient_ids:
        return []
    m = sqltext.mark(tx.conn)
    sql = (
        "SELECT resource.patient, resource.content FROM resource "
        f"WHERE resource.rtype = {m} AND resource.patient {sqltext.in_list(tx.conn, len(patient_ids))} "
        f"AND resource.status = {m}"
    )
    return tx.conn.exec_driver_sql(sql, ("Consent", *sqltext.in_values(tx.conn, patient_ids), "active")).all()
