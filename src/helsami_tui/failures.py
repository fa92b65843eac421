"""What to tell the user about a failure, in their language (the reason codes of refusals.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from .client.errors import Conflict, Offline
from .i18n import t
from .refusals import error_text


def describe_error(e: Exception) -> str:
    """What to tell the user about a failure: a sentence in their language for its reason code
    (refusals.py), never the portal's English diagnostics, never a traceback."""
    if isinstance(e, Offline):
        return t("app.offline")
    return error_text(e)


def drop_request(future: asyncio.Future[Any]) -> None:
    """Cancel a request not needed after all; its failure, if it failed already, is not reported."""
    future.cancel()
    unreported(future)


def unreported(future: asyncio.Future[Any]) -> None:
    """Retrieve the request's failure when it ends, so that asyncio does not log it: whoever awaits
    the request reports it (or it was dropped)."""
    future.add_done_callback(lambda f: f.cancelled() or f.exception())


def conflict_text(c: Conflict, me_ref: str | None) -> str:
    """A conflict in plain words in the user's language: the sentence for the portal's reason code
    (who holds the item, since when); for a portal that sends no code, the item's current state."""
    if c.reason and c.reason != "uncoded":
        return error_text(c)
    cur = c.current
    if cur is not None:
        if cur.status == "completed":
            return t("conflict.completed")
        if cur.claimed and cur.owner_ref != me_ref:
            return t("conflict.claimed_by", name=cur.owner_display or cur.owner_ref)
        if cur.owner_ref.startswith("Practitioner/") and cur.owner_ref != me_ref:
            return t("conflict.forwarded_to", name=cur.owner_display or cur.owner_ref)
    if c.stale:
        return t("conflict.changed")
    return error_text(c)
