"""Which inbox the app opens in and the request for its first page: the inbox screen's choice, made
here without Textual so that the start-up requests can go out before the screen's modules are
loaded (startup.py) and the screen, once built, makes the same request (screens/inbox_query.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from .client.models import InboxItem, Me, Page, Pool
from .sources import Query

if TYPE_CHECKING:
    from .client.api import PortalClient


PAGE = 100
# The first page of a list holds what fills the screen (at least this many rows), not a full page:
# the portal answers it sooner (its time grows with the rows and their includes), and the list asks
# for the full pages after it as it reads ahead.
FIRST_PAGE = 40
# The lines of the inbox screen beside its list (the inboxes, the status line, the footer): the
# list's height in a terminal of a given height, before the screen is laid out.
CHROME_LINES = 3


def opens_inbox(me: Me) -> bool:
    """Whether the app opens on the inbox for this user: staff who work in it, but not the
    switchboard without clinical access (their intake view), the privacy officer or IT (screens
    of their own, which ask for what they need)."""
    return me.works_in_inbox and not (me.has_role("switchboard") and not me.sees_clinical)


def first_page_rows(list_height: int) -> int:
    """How many rows the first page of a list this high asks for."""
    return min(PAGE, max(FIRST_PAGE, list_height + 1))


def opening_pool(pools: list[Pool]) -> int:
    """Where the inbox opens: the fullest shared inbox with items waiting, else the first shared
    inbox, else the personal list."""
    shared = [i for i, p in enumerate(pools) if p.id]
    waiting = sorted((i for i in shared if pools[i].waiting), key=lambda i: -pools[i].waiting)
    return (waiting or shared or [0])[0] if pools else 0


def pool_query(pool: Pool | None, like: Query) -> Query:
    """The query of `pool` (None: the personal list) with the filters of `like`."""
    return Query(
        pool_id=(pool.id or None) if pool else None,
        status=like.status,
        code=like.code,
        owner=like.owner,
        sort=like.sort,
        text=like.text,
    )


def ask_page(
    client: PortalClient, q: Query, *, rows: int, cursor_url: str | None, now: dt.datetime
) -> Awaitable[Page[InboxItem]]:
    """The request for one page of the list of `q` (awaitable): the first (`cursor_url` None, `rows`
    rows, with the total) or the one after `cursor_url`. A search looks in all the user's inboxes,
    by subject or by the patient's name, national id or birth date."""
    return client.inbox_page(
        q.pool_id,
        status=q.status,
        code=q.code,
        sort=q.sort,
        count=rows if cursor_url is None else PAGE,
        next_count=PAGE,
        cursor_url=cursor_url,
        whole_pool=q.pool_id is not None,
        total=cursor_url is None,
        now=now,
        owner="mine" if q.owner == "mine" else ("pool" if q.owner == "unclaimed" else None),
        match=q.text,
        everywhere=bool(q.text),
    )


async def opening_page(
    client: PortalClient, pools: Awaitable[list[Pool]], terminal_height: int, now: dt.datetime
) -> tuple[Query, Page[InboxItem]]:
    """The first page of the inbox the screen will open in, asked for as soon as the inboxes are
    known, while the screen is still being built: the request the screen would make itself once
    laid out (InboxScreen.fetch_page takes it when its query is the same)."""
    found = await pools
    index = opening_pool(found)
    q = pool_query(found[index] if found else None, Query(pool_id=None))
    rows = first_page_rows(terminal_height - CHROME_LINES)
    return q, await ask_page(client, q, rows=rows, cursor_url=None, now=now)
