"""On PostgreSQL, with statistics of a pool large enough that an index read and a pass over the table
are both priced, the planner serves each hot list query from an index in its order, as it chooses by
itself (no planner setting changed; tests/portal/test_list_plans.py asks with sorts and sequential
scans priced out, whether an index *can* serve every list of the app):

* the inbox page (`owner` = a pool, `status=requested`, 50 rows, both includes) and its includes,
* the care relation of the page's patients (read from ix_task_patient_care),
* the counts of `$pools` (the counters, and today's overdue items from ix_task_pool_due),
* `$claim-next` (the pool's next unclaimed item, in the pool's order, from ix_task_pool_queue).

The statements are those the portal runs for real requests (captured from its engine), explained with
their parameters. The data is the seeded world at 12,000 tasks (seed 1), analysed with a sample
larger than every table, so the statistics, and so the plans, are the same at every run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal

from ..conftest import SEED, drop_pg_database, make_pg_database
from .conftest import Api, device_sign_in

pytestmark = pytest.mark.postgres

TASKS = 12_000


@pytest.fixture(scope="module")
def big_portal(reference: Any) -> Iterator[EmbeddedPortal]:
    url, name = make_pg_database()
    p = EmbeddedPortal(
        url,
        demo=True,
        seed=True,
        seed_value=SEED,
        patients=TASKS // 10,
        tasks=TASKS,
        run_jobs=False,
        reference=reference,
    )
    try:
        with p:
            with p.store.engine.connect() as conn:
                # A sample of 300 x 1000 rows: every row of every table, so ANALYZE is not random.
                conn.exec_driver_sql("SET default_statistics_target = 1000")
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            yield p
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="module")
def lege(big_portal: EmbeddedPortal) -> Iterator[Api]:
    http = httpx.Client(base_url=big_portal.base_url, timeout=60)
    try:
        yield Api(http, "lege", device_sign_in(http, "lege")["access_token"])
    finally:
        http.close()


def _captured(portal: EmbeddedPortal, do: Callable[[], httpx.Response]) -> list[tuple[str, Any]]:
    """The SELECTs the portal runs while `do` makes a request (which must succeed)."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().startswith(("SELECT", "(SELECT")):
            seen.append((statement, parameters))

    sa.event.listen(portal.store.engine, "before_cursor_execute", record)
    try:
        r = do()
    finally:
        sa.event.remove(portal.store.engine, "before_cursor_execute", record)
    assert r.status_code == 200, r.text
    return seen


def _plan(portal: EmbeddedPortal, statement: str, parameters: Any) -> dict[str, Any]:
    with portal.store.engine.connect() as conn:
        text = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
        conn.rollback()
    plan = json.loads(text) if isinstance(text, str) else text
    return dict(plan[0]["Plan"])


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _reads_task(node: dict[str, Any]) -> bool:
    return any(n.get("Relation Name") == "task" for n in _nodes(node))


def _faults(plan: dict[str, Any]) -> list[str]:
    """A pass over task or resource, or a sort of rows read from task."""
    out = []
    for n in _nodes(plan):
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in ("task", "resource"):
            out.append(f"Seq Scan on {n['Relation Name']}")
        if n["Node Type"] in ("Sort", "Incremental Sort") and _reads_task(n):
            out.append(f"{n['Node Type']} of task rows by {n.get('Sort Key')}")
    return out


def _indexes(plan: dict[str, Any]) -> set[str]:
    return {str(n["Index Name"]) for n in _nodes(plan) if "Index Name" in n}


def _check(portal: EmbeddedPortal, statements: list[tuple[str, Any]]) -> dict[str, set[str]]:
    """Each statement's indexes, by its text; fails on any plan with a pass over a big table or a sort
    of task rows."""
    failures, used = [], {}
    for statement, parameters in statements:
        plan = _plan(portal, statement, parameters)
        if _faults(plan):
            failures.append(f"{statement}\n{_faults(plan)}\n{json.dumps(plan, indent=1)}")
        used[statement] = _indexes(plan)
    assert not failures, "\n\n".join(failures)
    return used


def _biggest_pool(lege: Api) -> str:
    pools = [p for p in lege.get("/fhir/$pools").json()["pools"] if p.get("id") and not p.get("personal")]
    pool = max(pools, key=lambda p: p["waiting"])
    assert pool["waiting"] >= 1000  # large enough that a pass over the pool is priced as one
    return str(pool["id"])


def test_the_inbox_page_its_includes_and_its_patients_care_relation_are_read_from_indexes(
    big_portal: EmbeddedPortal, lege: Api
) -> None:
    pool = _biggest_pool(lege)
    params = {
        "owner": f"HealthcareService/{pool}",
        "status": "requested",
        "_count": "50",
        "_include": ["Task:focus", "Task:patient"],
    }
    statements = _captured(big_portal, lambda: lege.get("/fhir/Task", params=params))
    used = _check(big_portal, statements)
    page = [s for s in used if re.search(r"\bFROM task\b", s) and "ORDER BY" in s]
    care = [s for s in used if s.startswith("SELECT task.patient, task.status")]
    includes = [s for s in used if "FROM resource WHERE resource.rtype" in s and "resource.id = ANY" in s]
    assert len(page) == 1 and used[page[0]] & {"ix_task_owner_queue", "ix_task_owner_status_authored"}, used
    assert len(care) == 1 and used[care[0]] == {"ix_task_patient_care"}, used
    assert includes and all(used[s] == {"resource_pkey"} for s in includes), used


def test_pools_counts_read_the_counters_and_an_index_range_of_today(big_portal: EmbeddedPortal, lege: Api) -> None:
    statements = _captured(big_portal, lambda: lege.get("/fhir/$pools"))
    used = _check(big_portal, statements)
    over_task = [s for s in used if re.search(r"\bFROM task\b", s)]
    assert over_task and all(used[s] & {"ix_task_pool_due", "ix_task_owner_due"} for s in over_task), used
    assert any("FROM task_tally" in s for s in used)


def test_claim_next_takes_the_pools_next_item_from_its_queue_index(big_portal: EmbeddedPortal, lege: Api) -> None:
    pool = _biggest_pool(lege)
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "pool", "valueReference": {"reference": f"HealthcareService/{pool}"}}],
    }
    statements = _captured(big_portal, lambda: lege.post("/fhir/Task/$claim-next", json=body))
    used = _check(big_portal, statements)
    nxt = [s for s in used if "FOR UPDATE SKIP LOCKED" in s]
    assert len(nxt) == 1 and used[nxt[0]] & {"ix_task_pool_queue", "ix_task_owner_queue"}, used
