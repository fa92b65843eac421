"""Messages (Communication) by thread, status and author: the named queries of workflow/drafts.py."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import resource
from .store import Tx


def drafts_in_thread(tx: Tx, thread_ref: str, author: str) -> list[str]:
    """Ids of `author`'s drafts (status preparation) in the thread `thread_ref`."""
    rows = tx.conn.execute(
        sa.select(resource.c.id).where(
            resource.c.rtype == "Communication",
            resource.c.ref1 == thread_ref,
            resource.c.status == "preparation",
            resource.c.ref2 == author,
        )
    ).all()
    return [did for (did,) in rows]
