"""Each list query the terminal app makes is served by an index in its sort order, on both databases:
the statements the portal runs for the app's own requests (every inbox scope and sort, first and
next page) are explained, and no plan sorts the pool or scans the task table.

PostgreSQL is asked with sequential scans and sorts priced out (`enable_seqscan`, `enable_sort`
off), so the plan says whether an index *can* serve the order, whatever the (small) test data's
statistics would make the planner prefer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login

SORTS = ["priority,authored-on", "authored-on", "-authored-on"]  # helsami_tui.screens.inbox.SORTS


@pytest.fixture
def statements(portal: EmbeddedPortal) -> Iterator[list[tuple[str, Any]]]:
    """The ordered SELECTs over task the portal runs while the test makes requests."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        # (One patient's items, which the access decisions read, are bounded by that patient.)
        if (
            re.search(r"\bFROM task\b", statement)
            and "ORDER BY" in statement
            and "task.patient =" not in statement
            and statement.lstrip().startswith(("SELECT", "(SELECT"))
        ):
            seen.append((statement, parameters))

    sa.event.listen(portal.store.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(portal.store.engine, "before_cursor_execute", record)


def _plan(portal: EmbeddedPortal, statement: str, parameters: Any) -> str:
    with portal.store.engine.connect() as conn:
        if portal.store.sqlite:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(str(r[-1]) for r in rows)
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        conn.rollback()
        return "\n".join(str(r[0]) for r in rows)


def _bad(portal: EmbeddedPortal, plan: str) -> list[str]:
    if portal.store.sqlite:
        return [
            line
            for line in plan.splitlines()
            if "TEMP B-TREE FOR ORDER BY" in line or re.match(r"\s*SCAN task\b", line.strip())
        ]
    # A Sort node (priced out, so still there only if no index serves the order) or a scan of the
    # whole table.
    return [
        line
        for line in plan.splitlines()
        if re.search(r"(^|->)\s*(Sort|Incremental Sort|Seq Scan)\s+(on\s|\(cost)", line)
    ]


async def test_every_list_query_of_the_app_is_served_by_an_index_in_its_order(
    portal: EmbeddedPortal, statements: list[tuple[str, Any]]
) -> None:
    tokens = await demo_login(portal.base_url, "lege")
    client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens))
    try:
        pools = [p for p in await client.pools() if not p.personal]
        pool = max(pools, key=lambda p: p.waiting).id
        pages = []
        for sort in SORTS:
            pages += [
                await client.inbox_page(pool, whole_pool=True, sort=sort, count=5, total=True),  # the pool
                await client.inbox_page(pool, whole_pool=True, sort=sort, count=5, owner="mine"),
                await client.inbox_page(pool, whole_pool=True, sort=sort, count=5, owner="pool"),
                await client.inbox_page(pool, whole_pool=True, sort=sort, count=5, code="message"),
                await client.inbox_page(pool, sort=sort, count=5),  # what waits in it
                await client.inbox_page(None, sort=sort, count=5),  # my own items
                await client.inbox_page(pool, whole_pool=True, sort=sort, count=5, status="requested"),
            ]
        for page in list(pages):
            if page.next_url:  # the next page: the keyset condition must keep the index order
                await client.inbox_page(pool, cursor_url=page.next_url)
        assert any(p.next_url for p in pages)
    finally:
        await client.aclose()
    assert len(statements) >= 3 * 7
    failures = []
    for statement, parameters in statements:
        plan = _plan(portal, statement, parameters)
        if _bad(portal, plan):
            failures.append(f"{statement}\n{parameters}\n{plan}")
    assert not failures, "\n\n".join(failures)


async def test_the_total_is_counted_once_not_per_page(portal: EmbeddedPortal, sign_in: Any) -> None:
    """The first page of a list with `_total=accurate` has the total; its next link does not ask for it
    again, and the app, given a next link that does (another portal's), leaves it out."""
    lege = sign_in("lege")
    pool = lege.get("/fhir/$whoami").json()["pools"][0]
    first = lege.get(
        "/fhir/Task",
        params={
            "pool": f"HealthcareService/{pool}",
            "status": "requested,in-progress",
            "_count": "2",
            "_total": "accurate",
        },
    ).json()
    assert isinstance(first["total"], int) and first["total"] > 2
    nxt = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert "_total" not in nxt
    second = lege.get(nxt).json()
    assert "total" not in second and len(second["entry"]) >= 1

    counts: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "count(*)" in statement.lower() and re.search(r"\bFROM task\b", statement):
            counts.append(statement)

    tokens = await demo_login(portal.base_url, "lege")
    client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens))
    sa.event.listen(portal.store.engine, "before_cursor_execute", record)
    try:
        page = await client.inbox_page(None, cursor_url=nxt + "&_total=accurate")
        assert page.items and page.total is None
    finally:
        sa.event.remove(portal.store.engine, "before_cursor_execute", record)
        await client.aclose()
    assert counts == []
