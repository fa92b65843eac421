"""`PortalClient`: the terminal app's only way to the portal (docs/api.md), over httpx.

Async, so Textual workers can await it without blocking the UI. It retries what is safe to retry
and interprets what a retry means:

* GETs are retried with backoff on network errors and 502/503/504.
* Task operations carry `If-Match`; they are retried after a network error even when the request
  may have reached the portal. A retry after a lost answer then meets 409/412, which is read
  against the item's current state: if the item is already where the operation would have put it
  (e.g. claimed by me after a lost claim answer), that is the success it looks like.
* `$reply` is made exactly-once by its client-made `messageId`: a resend returns the first result.
* Anything else that is not idempotent (creating a draft) is retried only when the connection was
  never made, so it cannot have happened twice.

Every failure is one of the typed exceptions in `errors`; the messages are the portal's own plain
words (untrusted text: show them through the UI's safe-text function).
"""

from __future__ import annotations

from .decisions import Decisions
from .errors import Conflict, NotFound
from .outbox import Outbox, OutboxEntry
from .results import BreakGlass, Clinical, ReplyResult


class PortalClient(Decisions):
    """An async client of one portal for one signed-in user.

    `base_url` is the portal's address (`https://portal.example`; a trailing `/fhir` is
    accepted). `auth` gives the access token: a `TokenSession` (renewed ahead of expiry and
    after a 401, single flight), a plain token string, or a callable returning the current
    token (sync or async); with a callable, pass `refresh` (async, takes the stale token, returns
    a new one) to renew after a 401.
    """


__all__ = ["BreakGlass", "Clinical", "Conflict", "NotFound", "Outbox", "OutboxEntry", "PortalClient", "ReplyResult"]
