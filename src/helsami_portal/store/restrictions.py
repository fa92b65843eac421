"""The rows a restriction (skjerming) is read from: the patients' active Consents
(workflow/skjerming.py decides what they restrict)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .schema import resource
from .store import Tx


def active_consents_of(tx: Tx, patient_ids: Sequence[str]) -> Sequence[Any]:
    """(patient, content) of the active Consents of `patient_ids`, in one query for all of them."""
    return tx.conn.execute(
        sa.select(resource.c.patient, resource.c.content).where(
            resource.c.rtype == "Consent", resource.c.patient.in_(patient_ids), resource.c.status == "active"
        )
    ).all()
