"""Following the portal's change events (GET /fhir/$events, server-sent events).

`follow_events` keeps one stream open, parses `id:`, `event:`, `data:` (and `retry:`) fields,
resumes with `Last-Event-ID` after a break, backs off while the portal is away, and reports
online/offline changes. Events carry ids and states only; the app fetches what it may see.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import AccessDenied, NotSignedIn, Offline, PortalError
from .transport import _checked

log = logging.getLogger("helsami_tui.client.events")

KEEPALIVE_GRACE = 45.0  # the portal sends a comment every 15 s; silence this long means a dead line


@dataclass(frozen=True, slots=True)
class Event:
    id: str  # the sequence number as sent
    event: str  # "task" (or "message" when the server names none)
    data: dict[str, Any] = field(default_factory=dict)  # parsed JSON, {} if not an object
    raw: str = ""  # the data as sent

    @property
    def seq(self) -> int | None:
        return int(self.id) if self.id.isdigit() else None

    @property
    def task_id(self) -> str:
        v = self.data.get("id")
        return v if isinstance(v, str) else ""

    @property
    def action(self) -> str:
        v = self.data.get("action")
        return v if isinstance(v, str) else ""


class SseParser:
    """Incremental parser of the text/event-stream format (WHATWG HTML, server-sent events)."""

    def __init__(self) -> None:
        self.last_event_id = ""
        self.retry_ms: int | None = None
        self._event = ""
        self._data: list[str] = []

    def feed_line(self, line: str) -> Event | None:
        """One line without its line break; returns an event when a blank line completes one."""
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment (keep-alive)
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Event | None:
        if not self._data:
            self._event = ""
            return None
        raw = "\n".join(self._data)
        name = self._event or "message"
        self._data = []
        self._event = ""
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        return Event(self.last_event_id, name, data if isinstance(data, dict) else {}, raw)


async def _call(fn: Callable[..., Any] | None, *args: Any) -> None:
    if fn is not None:
        r = fn(*args)
        if inspect.isawaitable(r):
            await r


async def _events(client: Any, parser: SseParser, on_open: Callable[[], Any]) -> AsyncIterator[Event]:
    """One connection: yields events until the stream ends (returns) or breaks (raises)."""
    renewed = False
    while True:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        token = await client.access_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if parser.last_event_id:
            headers["Last-Event-ID"] = parser.last_event_id
        timeout = httpx.Timeout(KEEPALIVE_GRACE, connect=client.timeout.connect)
        try:
            async with client.http.stream("GET", client.url("$events"), headers=headers, timeout=timeout) as resp:
                if resp.status_code == 401 and token and not renewed:
                    renewed = True
                    await resp.aread()
                    await client.renew_token(token)
                    continue
                if resp.status_code != 200:
                    await resp.aread()
                    _checked(resp)  # raises the typed error
                    raise PortalError(resp.status_code, "The event stream could not be opened.", reason="stream-failed")
                await _call(on_open)
                async for line in resp.aiter_lines():
                    ev = parser.feed_line(line)
                    if ev is not None:
                        yield ev
                return
        except httpx.TransportError as e:
            raise Offline("The portal cannot be reached.") from e


async def _race(coro: Any, stop: asyncio.Event | None) -> bool:
    """Run `coro` until it ends (True) or `stop` is set (False, `coro` cancelled)."""
    if stop is None:
        await coro
        return True
    task = asyncio.ensure_future(coro)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task in done:
        task.result()  # re-raises what the connection raised
        return True
    return False


async def follow_events(
    client: Any,
    on_event: Callable[[Event], Any],
    last_event_id: str | int | None = None,
    *,
    on_state: Callable[[bool], Any] | None = None,
    stop: asyncio.Event | None = None,
    min_backoff: float = 0.5,
    max_backoff: float = 30.0,
) -> str:
    """Follow the event stream of `client` (a PortalClient) until `stop` is set or the task is
    cancelled. `on_event(event)` (sync or async) is called for each event, in order.
    `on_state(online)` (sync or async) is called when the stream opens or is lost, only on a
    change. Reconnects with backoff (honouring the server's `retry:`), resuming with
    `Last-Event-ID` after the last event seen. Returns the last event id.

    Raises NotSignedIn when the session cannot be renewed and AccessDenied when the user's role
    may not follow events: those do not get better by retrying."""
    parser = SseParser()
    if last_event_id is not None:
        parser.last_event_id = str(last_event_id)
    online: bool | None = None
    delay = min_backoff

    async def report(state: bool) -> None:
        nonlocal online
        if state != online:
            online = state
            await _call(on_state, state)

    async def opened() -> None:
        nonlocal delay
        delay = min_backoff
        await report(True)

    async def connection() -> None:
        async for ev in _events(client, parser, opened):
            await _call(on_event, ev)

    while stop is None or not stop.is_set():
        try:
            if not await _race(connection(), stop):
                break
            wait = 0.1  # the stream ended cleanly (the portal restarts): reconnect soon
        except (NotSignedIn, AccessDenied):
            await report(False)
            raise
        except (Offline, PortalError) as e:
            log.info("event stream lost (%s); reconnecting", type(e).__name__)
            await report(False)
            wait = delay * (0.5 + random.random() / 2)
            delay = min(delay * 2, max_backoff)
        if parser.retry_ms is not None:
            wait = max(wait, min(parser.retry_ms / 1000.0, max_backoff)) if online is False else wait
        if stop is None:
            await asyncio.sleep(wait)
        else:
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except TimeoutError:
                pass
    return parser.last_event_id
