"""Server-sent events of inbox changes.

The `event` table is the source of truth: every change writes a row in its own transaction.
Subscribers read rows by sequence number. Wake-ups come from PostgreSQL LISTEN/NOTIFY (so all
processes on one database see each other's changes at once), from commits in this process
(SQLite), and from a periodic poll as a safety net (several processes on one SQLite file).
Events carry ids and states only, never patient data, and each subscriber sees only events of
the pools it is a member of and its own items.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..store.store import Store
from ..workflow import access

log = logging.getLogger("helsami_portal.events")
POLL_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0
GAP_GRACE_SECONDS = 5.0


class EventHub:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Event] = set()
        self._listen_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.store.add_listener(self._from_thread)
        if not self.store.sqlite:
            self._listen_task = asyncio.create_task(self._listen_pg())

    async def stop(self) -> None:
        self.store.remove_listener(self._from_thread)
        if self._listen_task:
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listen_task
        self.wake()

    def _from_thread(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.wake)

    def wake(self) -> None:
        for w in list(self._waiters):
            w.set()

    async def _listen_pg(self) -> None:
        import psycopg

        url = self.store.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute("LISTEN helsami_events")
                    self.wake()  # catch up on anything missed while (re)connecting
                    async for _ in conn.notifies():
                        self.wake()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the database restarted: reconnect, keep polling meanwhile
                log.warning("event listener lost its connection (%s); reconnecting", type(e).__name__)
                await asyncio.sleep(1.0)

    async def wait(self, timeout: float) -> None:
        ev = asyncio.Event()
        self._waiters.add(ev)
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ev.wait(), timeout)
        finally:
            self._waiters.discard(ev)


class Cursor:
    """Reads events in sequence order without skipping ones that commit late (gap handling)."""

    def __init__(self, watermark: int) -> None:
        self.watermark = watermark  # every seq <= watermark has been handled
        self.seen: set[int] = set()
        self.gaps: dict[int, float] = {}

    def accept(self, rows: list[tuple[int, str, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
        out = []
        now = time.monotonic()
        for seq, _at, payload in rows:
            if seq <= self.watermark or seq in self.seen:
                continue
            self.seen.add(seq)
            out.append((seq, payload))
        top = max(self.seen, default=self.watermark)
        for missing in range(self.watermark + 1, top):
            if missing not in self.seen:
                self.gaps.setdefault(missing, now)
        while True:
            nxt = self.watermark + 1
            if nxt in self.seen:
                self.seen.discard(nxt)
                self.watermark = nxt
            elif nxt in self.gaps and now - self.gaps[nxt] > GAP_GRACE_SECONDS:
                del self.gaps[nxt]  # a rolled-back transaction: that number will never appear
                self.watermark = nxt
            else:
                break
        for g in [g for g in self.gaps if g <= self.watermark]:
            del self.gaps[g]
        return out


def visible_to(p: Principal, payload: dict[str, Any]) -> bool:
    return payload.get("pool") in p.pools or payload.get("owner") == p.ref


async def stream(request: Request) -> StreamingResponse:
    from .app import portal_of, principal

    p = await principal(request)
    access.require_role(p, *access.INBOX_ROLES, "it-support", what="follow inbox events")
    portal = portal_of(request)
    store = portal.store
    last = request.headers.get("last-event-id") or request.query_params.get("since")
    if last is not None and not last.isdigit():
        raise FhirError(400, "Last-Event-ID must be an event number.")

    def start_seq() -> int:
        with store.read() as tx:
            return tx.last_event_seq()

    cursor = Cursor(int(last) if last is not None else await run_in_threadpool(start_seq))

    def fetch(after: int) -> list[tuple[int, str, dict[str, Any]]]:
        with store.read() as tx:
            return tx.events_after(after)

    is_it = p.has_role("it-support") and not p.has_role(*access.INBOX_ROLES)

    async def gen() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n: connected\n\n"
        last_sent = time.monotonic()
        while True:
            if await request.is_disconnected():
                return
            rows = await run_in_threadpool(fetch, cursor.watermark)
            for seq, payload in cursor.accept(rows):
                if is_it:
                    payload = {"type": "Task", "pool": payload.get("pool"), "action": payload.get("action"),
                               "status": payload.get("status")}
                elif not visible_to(p, payload):
                    continue
                data = json.dumps({"seq": seq, **payload}, separators=(",", ":"))
                yield f"id: {seq}\nevent: task\ndata: {data}\n\n".encode()
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield b": keep-alive\n\n"
                last_sent = time.monotonic()
            await portal.events.wait(POLL_SECONDS)

    return StreamingResponse(gen(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
