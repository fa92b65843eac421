"""The reply outbox: replies written while the portal could not be reached, sent when it can."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ClientError, Conflict, NotSignedIn, Offline
from .models import (
    InboxItem,
)
from .operations import Operations
from .results import ReplyResult

# -- the outbox ----------------------------------------------------------------------------------


@dataclass(slots=True)
class OutboxEntry:
    item: InboxItem
    text: str
    message_id: str
    attachments: tuple[str, ...] = ()  # library documents (DocumentReference/<id>) sent with it
    queued_at: float = field(default_factory=time.time)
    attempts: int = 0
    state: str = "pending"  # pending | sent | failed
    result: ReplyResult | None = None
    error: ClientError | None = None


class Outbox:
    """Replies written while the portal cannot be reached, resent until it answers.

    Each entry keeps the `messageId` it was made with, so however many times it is sent the
    patient gets it once. Kept in memory only (drafts live on the portal). Entries leave the
    outbox when the portal answers: `on_sent(entry)` on success, `on_failed(entry)` when it
    refuses (the item was taken over, access withdrawn, ...); `entry.error` says why.
    """

    def __init__(
        self,
        client: Operations,
        *,
        on_sent: Callable[[OutboxEntry], Any] | None = None,
        on_failed: Callable[[OutboxEntry], Any] | None = None,
        retry_interval: float = 2.0,
        max_interval: float = 60.0,
    ) -> None:
        self.client = client
        self.on_sent = on_sent
        self.on_failed = on_failed
        self.retry_interval = retry_interval
        self.max_interval = max_interval
        self._entries: list[OutboxEntry] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def pending(self) -> list[OutboxEntry]:
        return [e for e in self._entries if e.state == "pending"]

    def __len__(self) -> int:
        return len(self.pending)

    def add(
        self, item: InboxItem, text: str, message_id: str | None = None, attachments: Sequence[str] = ()
    ) -> OutboxEntry:
        entry = OutboxEntry(item, text, message_id or str(uuid.uuid4()), tuple(attachments))
        self._entries.append(entry)
        self._wake.set()
        return entry

    def clear(self) -> None:
        """Forget every queued reply (the user who wrote them signed out)."""
        self._entries.clear()

    def wake(self) -> None:
        """Try the queued replies now (e.g. the portal is reachable again), not at the next tick."""
        self._wake.set()

    async def send(
        self, item: InboxItem, text: str, message_id: str | None = None, attachments: Sequence[str] = ()
    ) -> OutboxEntry:
        """Send now if the portal answers; otherwise keep it queued. Raises nothing for the
        network: look at `entry.state`. Refusals come back as state "failed" with `error`."""
        entry = self.add(item, text, message_id, attachments)
        await self.flush()
        return entry

    async def _try(self, entry: OutboxEntry) -> bool:
        """One attempt; False when the portal could not be reached (stop flushing)."""
        entry.attempts += 1
        try:
            entry.result = await self.client.reply(entry.item, entry.text, entry.message_id, entry.attachments)
        except Offline as e:
            entry.error = e
            return False
        except NotSignedIn as e:
            entry.error = e  # keep it: it goes out once the user signs in again
            return False
        except Conflict as c:
            cur = c.current
            me = self.client.me.resource if self.client.me else None
            if c.stale and cur is not None and cur.claimed and me is not None and cur.owner_ref == me:
                # The item changed while we were away (e.g. the patient wrote again) but is still
                # mine: send against the current version, same messageId.
                entry.item = cur
                return await self._try(entry) if entry.attempts < 5 else self._fail(entry, c)
            return self._fail(entry, c)
        except ClientError as e:
            return self._fail(entry, e)
        entry.state = "sent"
        entry.error = None
        self._entries.remove(entry)
        if self.on_sent is not None:
            self.on_sent(entry)
        return True

    def _fail(self, entry: OutboxEntry, e: ClientError) -> bool:
        entry.state = "failed"
        entry.error = e
        self._entries.remove(entry)
        if self.on_failed is not None:
            self.on_failed(entry)
        return True

    async def flush(self) -> int:
        """Try every queued reply once, oldest first; stop at the first network failure so the
        order is kept. Returns how many were sent."""
        sent = 0
        async with self._lock:
            for entry in list(self.pending):
                if not await self._try(entry):
                    break
                if entry.state == "sent":
                    sent += 1
        return sent

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Resend in the background until `stop` is set (or the task is cancelled), backing off
        while the portal stays away and waking at once when a reply is added."""
        delay = self.retry_interval
        while stop is None or not stop.is_set():
            self._wake.clear()
            if self.pending:
                await self.flush()
                delay = self.retry_interval if not self.pending else min(delay * 2, self.max_interval)
            timeout = delay if self.pending else None
            waiters = [asyncio.ensure_future(self._wake.wait())]
            if stop is not None:
                waiters.append(asyncio.ensure_future(stop.wait()))
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
