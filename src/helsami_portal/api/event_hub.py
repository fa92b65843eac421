"""The event hub of one process: wake-ups of the event streams (PostgreSQL LISTEN/NOTIFY, commits in
this process, a periodic poll), the caps on open streams, and the cursor that reads events in
sequence order without skipping late commits. The stream route is `api.events`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ..fhir.outcome import FhirError
from ..store.store import Store

log = logging.getLogger("helsami_portal.events")
GAP_GRACE_SECONDS = 5.0


class EventHub:
    def __init__(self, store: Store, *, per_user: int = 5, per_process: int = 500) -> None:
        self.store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Event] = set()
        self._listen_task: asyncio.Task[None] | None = None
        # Streams open now, per user and in all: each holds a task and a database poll.
        self.per_user = per_user
        self.per_process = per_process
        self._open: dict[str, int] = {}

    def admit(self, who: str) -> None:
        """Count a new stream for `who`, or refuse it with 429 past either cap."""
        total = sum(self._open.values())
        if total >= self.per_process:
            raise FhirError(
                429,
                "The portal is following as many event streams as it can; try again shortly.",
                reason="too-many-streams",
                args={"limit": self.per_process, "scope": "process"},
                headers={"Retry-After": "30"},
            )
        if self._open.get(who, 0) >= self.per_user:
            raise FhirError(
                429,
                f"You already follow {self.per_user} event streams; close one first.",
                reason="too-many-streams",
                args={"limit": self.per_user, "scope": "user"},
                headers={"Retry-After": "30"},
            )
        self._open[who] = self._open.get(who, 0) + 1

    def release(self, who: str) -> None:
        n = self._open.get(who, 0) - 1
        if n > 0:
            self._open[who] = n
        else:
            self._open.pop(who, None)

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
