"""The start-up requests on a thread of their own, sent before Textual and the app's screens are
loaded (`cli.run_portal`): who is signed in, the inboxes with their counts, and the first page of
the inbox the app opens in. The portal answers them while this process loads the rest of the app;
the app takes the answers (`HelsamiApp(early=...)`) instead of asking again.

The thread has an HTTP client and an event loop of its own and only the access token: a session
whose token is about to expire sends nothing early (the app renews it and asks, as always), and a
token the portal refuses (401) is left to the app's own client, which renews the session and asks
again (`taken`). Every other answer, a failure included, is the one the app's own client would have
had (the same client class with the same retries): the app shows it as it would.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import importlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .client.errors import NotSignedIn

if TYPE_CHECKING:
    from .client.api import PortalClient
    from .client.auth import Tokens
    from .client.models import InboxItem, Me, Page, Pools
    from .sources import Query

T = TypeVar("T")
Sent = concurrent.futures.Future


@dataclass
class EarlyStart:
    """The answers of the start-up requests, as they come (set on the thread)."""

    whoami: Sent[Me] = field(default_factory=Sent)
    pools: Sent[Pools] = field(default_factory=Sent)
    # None when the terminal's height is not known here (the app asks once it is laid out)
    first_page: Sent[tuple[Query, Page[InboxItem]]] | None = None

    def drop(self) -> None:
        """Not needed after all (the app stopped first): what has not been handed over is dropped."""
        for sent in (self.whoami, self.pools, self.first_page):
            if sent is not None:
                sent.cancel()


def send_early(portal_url: str, tokens: Tokens | None, terminal_height: int | None) -> EarlyStart | None:
    """Send the start-up requests now on a thread of their own; None when there is no session to
    send them with (the app signs in first) or its token is about to be renewed."""
    if tokens is None or tokens.expires_soon():
        return None
    from .client.api import PortalClient

    early = EarlyStart(first_page=Sent() if terminal_height else None)
    # Built here, not on the thread: its HTTP stack's modules load now, not beside Textual's (two
    # threads loading modules at once take longer than one after the other).
    client = PortalClient(portal_url, tokens.access_token)
    thread = threading.Thread(target=_run, args=(early, client, terminal_height or 0), name="early", daemon=True)
    thread.start()
    importlib.import_module(".opening", __package__)  # the first page's choice, loaded while the first are out
    return early


async def taken(sent: Sent[T] | asyncio.Future[T], ask: Callable[[], Awaitable[T]]) -> T:
    """The answer of a request sent at start-up; asked again with the app's own client (`ask`) when
    the portal refused the token, which that client renews."""
    try:
        return await asyncio.wrap_future(sent)
    except NotSignedIn:
        return await ask()


# -- on the thread ------------------------------------------------------------------------------------


def _run(early: EarlyStart, client: PortalClient, terminal_height: int) -> None:
    try:
        asyncio.run(_ask(early, client, terminal_height))
    except Exception as e:  # noqa: BLE001 - deliberate: whatever happens here is the app's to report
        for sent in (early.whoami, early.pools, early.first_page):
            if sent is not None:
                _hand_over_failure(sent, e)


async def _ask(early: EarlyStart, client: PortalClient, terminal_height: int) -> None:
    async with client:
        who = asyncio.ensure_future(client.whoami())
        pools = asyncio.ensure_future(client.pools())
        asked: list[asyncio.Future[Any]] = [who, pools]
        who.add_done_callback(lambda done: _hand_over(done, early.whoami))
        pools.add_done_callback(lambda done: _hand_over(done, early.pools))
        first = early.first_page
        if first is not None:
            page = asyncio.ensure_future(_first_page(client, who, pools, terminal_height))
            page.add_done_callback(lambda done: _hand_over(done, first))
            asked.append(page)
        await asyncio.wait(asked)


async def _first_page(
    client: PortalClient, who: asyncio.Future[Me], pools: asyncio.Future[Pools], terminal_height: int
) -> tuple[Query, Page[InboxItem]]:
    """The first page as the app asks for it once the inboxes are in (opening.opening_page), for a
    user the app opens the inbox for."""
    from .opening import opening_page, opens_inbox

    if not opens_inbox(await who):
        raise asyncio.CancelledError
    return await opening_page(client, pools, terminal_height, dt.datetime.now(dt.UTC))


def _hand_over(done: asyncio.Future[T], to: Sent[T]) -> None:
    if done.cancelled():
        to.cancel()
        return
    error = done.exception()
    if error is not None:
        _hand_over_failure(to, error)
    elif to.set_running_or_notify_cancel():
        to.set_result(done.result())


def _hand_over_failure(to: Sent[Any], error: BaseException) -> None:
    if not to.done() and to.set_running_or_notify_cancel():
        to.set_exception(error)
