"""The organisation as stored: inboxes (HealthcareService), staff (Practitioner) and their roles
(PractitionerRole), for the routing table's checks and the safety net's rules."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import resource
from .store import Tx


def services(tx: Tx) -> list[str]:
    """The stored JSON of every HealthcareService (the inboxes)."""
    return [
        content
        for (content,) in tx.conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "HealthcareService"))
    ]


def practitioner_ids(tx: Tx) -> set[str]:
    """The ids of every Practitioner."""
    return {r[0] for r in tx.conn.execute(sa.select(resource.c.id).where(resource.c.rtype == "Practitioner"))}


def roles_with_code(tx: Tx, code: str) -> list[str]:
    """The stored JSON of every PractitionerRole with the role `code` (its index column)."""
    return [
        content
        for (content,) in tx.conn.execute(
            sa.select(resource.c.content).where(resource.c.rtype == "PractitionerRole", resource.c.code == code)
        )
    ]
