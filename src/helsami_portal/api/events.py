"""Server-sent events of inbox changes.

The `event` table is the source of truth: every change writes a row in its own transaction.
Subscribers read rows by sequence number. Wake-ups come from PostgreSQL LISTEN/NOTIFY (so all
processes on one database see each other's changes at once), from commits in this process
(SQLite), and from a periodic poll as a safety net (several processes on one SQLite file).
Events carry ids and states only, never patient data, and each event passes the same access
decision as every other resource the portal returns (`access.decide`): a subscriber sees events of
the pools it is a member of and its own items. The stream lives no longer than its session: it
checks the token again before each batch (sign-out, revocation, changed roles and inboxes) and
ends at the token's expiry; the client reconnects with a fresh token.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from .. import metrics
from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..store.store import Store
from ..workflow import access
from .deps import portal_of, principal
from .event_hub import Cursor, EventHub

log = logging.getLogger("helsami_portal.events")
POLL_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0
SESSION_CHECK_SECONDS = 1.0  # how often a stream checks that its session still stands


def shown(store: Store, p: Principal, payloads: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Each event as `p` may see it, or None: the access decision on each (`access.event_view`)."""
    with store.read() as tx:
        memo = access.Memo(tx, p)
        return [access.event_view(tx, p, pl, memo) for pl in payloads]


def token_expiry(token: str) -> float:
    """The `exp` of a (verified) JWT access token, in epoch seconds; 0 if it has none."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return float(claims.get("exp") or 0)
    except (IndexError, ValueError, TypeError, AttributeError):
        return 0.0


ENDED = b": session-ended\n\n"


async def stream(request: Request) -> StreamingResponse:
    p = await principal(request)
    access.require_role(p, *access.EVENT_ROLES, what="follow inbox events")
    portal = portal_of(request)
    store = portal.store
    last = request.headers.get("last-event-id") or request.query_params.get("since")
    if last is not None and not (last.isascii() and last.isdigit() and len(last) <= 18):
        raise FhirError(
            400,
            "Last-Event-ID must be an event number.",
            reason="invalid-parameter",
            args={"name": "Last-Event-ID"},
            expression="Last-Event-ID",
        )

    def start_seq() -> int:
        with store.read() as tx:
            return tx.last_event_seq()

    cursor = Cursor(int(last) if last is not None else await run_in_threadpool(start_seq))

    def fetch(after: int) -> list[tuple[int, str, dict[str, Any]]]:
        with store.read() as tx:
            return tx.events_after(after)

    expires = token_expiry(request.headers.get("authorization", "").partition(" ")[2].strip())

    async def gen() -> AsyncIterator[bytes]:
        who, checked = p, time.monotonic()
        yield b"retry: 2000\n: connected\n\n"
        last_sent = time.monotonic()
        while True:
            if await request.is_disconnected():
                return
            if expires and time.time() >= expires:
                yield ENDED
                return
            if time.monotonic() - checked >= SESSION_CHECK_SECONDS:
                try:  # the session still stands (not signed out or revoked); roles and inboxes as now
                    who = await run_in_threadpool(portal.authenticate, request)
                except FhirError:
                    yield ENDED
                    return
                checked = time.monotonic()
            if not who.has_role(*access.EVENT_ROLES):
                yield ENDED
                return
            batch = cursor.accept(await run_in_threadpool(fetch, cursor.watermark))
            views = await run_in_threadpool(shown, store, who, [pl for _, pl in batch]) if batch else []
            for (seq, _payload), view in zip(batch, views, strict=True):
                if view is None:
                    continue
                data = json.dumps({"seq": seq, **view}, separators=(",", ":"))
                yield f"id: {seq}\nevent: task\ndata: {data}\n\n".encode()
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield b": keep-alive\n\n"
                last_sent = time.monotonic()
            wait = POLL_SECONDS if not expires else min(POLL_SECONDS, max(0.05, expires - time.time()))
            await portal.events.wait(wait)

    portal.events.admit(p.ref)
    return _CountedStream(
        portal.events,
        p.ref,
        _counted(gen()),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class _CountedStream(StreamingResponse):
    """A stream that gives its place back under the caps however it ends."""

    def __init__(self, hub: EventHub, who: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hub, self._who = hub, who

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._hub.release(self._who)


async def _counted(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The stream, counted in the open-streams gauge while it runs (see helsami_portal.metrics)."""
    metrics.EVENT_STREAMS.inc()
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        metrics.EVENT_STREAMS.dec()
