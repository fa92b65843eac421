"""The inbox counters ($pools) are kept in the transaction of each change: after any sequence of
claims, hand-backs, completions, forwards, reopenings, absence hand-overs, safety-net moves,
cancellations and new items, they equal a fresh count of the tasks."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from helsami_portal.auth.principal import Principal, load_staff
from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.fhir.outcome import FhirError
from helsami_portal.store import tally
from helsami_portal.store.schema import account, task
from helsami_portal.workflow import absence, inbox, reads, safety_net

from ..conftest import SEED, own_seeded_portal


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def small_portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPortal]:
    with own_seeded_portal(request.param, tmp_path_factory, "tally", patients=40, tasks=150) as p:
        yield p


def _staff(portal: EmbeddedPortal) -> list[Principal]:
    with portal.store.read() as tx:
        rows = tx.conn.execute(
            sa.select(account.c.username, account.c.resource)
            .where(account.c.kind == "staff", account.c.resource.like("Practitioner/%"))
            .order_by(account.c.username)
        ).all()
        out = [load_staff(tx, r.resource.split("/", 1)[1], username=r.username, session_id=None) for r in rows]
    return [p for p in out if p.pools and p.roles & {"physician", "nurse", "switchboard"}]


def _tasks(portal: EmbeddedPortal, *conds: Any) -> list[dict[str, Any]]:
    with portal.store.read() as tx:
        ids = [r[0] for r in tx.conn.execute(sa.select(task.c.id).where(*conds).order_by(task.c.id))]
        return [tx.require("Task", i) for i in ids]


def _check(portal: EmbeddedPortal, step: str) -> None:
    with portal.store.read() as tx:
        counted, fresh = tally.counted(tx.conn), tally.fresh(tx.conn)
    assert counted == fresh, (
        step,
        {k: (counted.get(k), fresh.get(k)) for k in set(counted) | set(fresh) if counted.get(k) != fresh.get(k)},
    )


def _v(t: dict[str, Any]) -> str:
    return f'W/"{t["meta"]["versionId"]}"'


def test_counters_equal_a_fresh_count_after_random_actions(small_portal: EmbeddedPortal) -> None:
    portal, store = small_portal, small_portal.store
    rng = random.Random(SEED)
    staff = _staff(portal)
    assert len(staff) >= 3
    _check(portal, "after loading")
    actions = [
        "claim",
        "claim",
        "unclaim",
        "complete",
        "forward",
        "forward-person",
        "reopen",
        "absence",
        "safety-net",
        "cancel",
        "new",
        "urgent-due",
    ]
    done: dict[str, int] = {}
    for step in range(120):
        action = rng.choice(actions)
        p = rng.choice(staff)
        try:
            if action == "claim":
                ts = _tasks(portal, task.c.status == c.STATUS_WAITING, task.c.pool.in_(sorted(p.pools)))
                if ts:
                    t = rng.choice(ts)
                    inbox.claim(store, p, t["id"], _v(t))
            elif action == "unclaim":
                ts = _tasks(portal, task.c.status == c.STATUS_CLAIMED, task.c.owner == p.ref)
                if ts:
                    t = rng.choice(ts)
                    inbox.unclaim(store, p, t["id"], _v(t))
            elif action == "complete":
                ts = _tasks(portal, task.c.status == c.STATUS_CLAIMED, task.c.owner == p.ref)
                if ts:
                    t = rng.choice(ts)
                    inbox.complete(store, p, t["id"], _v(t), None)
            elif action in ("forward", "forward-person"):
                ts = _tasks(portal, task.c.status.in_(c.OPEN_STATUSES), task.c.pool.in_(sorted(p.pools)))
                if ts:
                    t = rng.choice(ts)
                    other = rng.choice(staff)
                    target = (
                        f"HealthcareService/{rng.choice(sorted(other.pools))}" if action == "forward" else other.ref
                    )
                    inbox.forward(store, p, t["id"], _v(t), target, "Videre")
            elif action == "reopen":
                ts = _tasks(portal, task.c.status == c.STATUS_DONE, task.c.pool.in_(sorted(p.pools)))
                if ts:
                    t = rng.choice(ts)
                    inbox.reopen(store, p, t["id"], _v(t), None)
            elif action == "absence":
                delegate = rng.choice([None, *[s.ref for s in staff if s.ref != p.ref]])
                absence.set_absence(store, p, p.id, True, {"reference": delegate} if delegate else None)
                absence.set_absence(store, p, p.id, False, None)
            elif action == "safety-net":
                safety_net.run_once(store, timeutil.utcnow() + dt.timedelta(days=rng.choice([1, 5, 30])))
            elif action in ("cancel", "urgent-due"):
                # A change of state or priority and deadline as any workflow makes it: through the store.
                ts = _tasks(portal, task.c.status.in_(c.OPEN_STATUSES))
                if ts:
                    t = dict(rng.choice(ts))
                    with store.write() as tx:
                        if action == "cancel":
                            t["status"] = c.STATUS_CANCELLED
                        else:
                            t["priority"] = rng.choice(["stat", "asap", "urgent", "routine"])
                            when = timeutil.utcnow() + dt.timedelta(hours=rng.randint(-72, 72))
                            t["restriction"] = {"period": {"end": timeutil.instant(when)}}
                        tx.update(t, expected_version=int(t["meta"]["versionId"]))
            elif action == "new":
                pool = rng.choice(sorted(p.pools))
                owner = rng.choice([f"HealthcareService/{pool}", p.ref])
                with store.write() as tx:
                    tx.create(
                        {
                            "resourceType": "Task",
                            "intent": "order",
                            "priority": rng.choice(["urgent", "routine"]),
                            "status": c.STATUS_WAITING if owner.startswith("Healthcare") else c.STATUS_CLAIMED,
                            "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
                            "code": {"coding": [{"system": c.TASK_TYPE, "code": "message"}]},
                            "description": "Ny",
                            "for": {"reference": "Patient/pat-000001"},
                            "authoredOn": tx.now,
                            "owner": {"reference": owner},
                            "restriction": {
                                "period": {
                                    "end": timeutil.instant(
                                        timeutil.utcnow() + dt.timedelta(hours=rng.randint(-30, 30))
                                    )
                                }
                            },
                            "extension": [
                                {"url": c.EXT_TASK_POOL, "valueReference": {"reference": f"HealthcareService/{pool}"}}
                            ],
                        }
                    )
            done[action] = done.get(action, 0) + 1
        except FhirError:
            done[action + " refused"] = done.get(action + " refused", 0) + 1
        _check(portal, f"step {step}: {action}")
    assert all(done.get(a, 0) for a in ("claim", "complete", "forward", "reopen", "absence", "cancel")), done


def test_pools_counts_equal_a_count_over_the_tasks(small_portal: EmbeddedPortal) -> None:
    """$pools from the counters says what a pass over the tasks says, overdue included (the clock
    moves on, the counters do not change)."""
    store = small_portal.store
    for p in _staff(small_portal):
        got, _position = reads.pools_and_position(store, p)
        with store.read() as tx:
            rows = tx.conn.execute(
                sa.select(task.c.pool, task.c.owner, task.c.status, task.c.priority_rank, task.c.deadline).where(
                    task.c.status.in_(c.OPEN_STATUSES)
                )
            ).all()
            now = tx.now
        for entry in got:
            if entry.get("personal"):
                mine = [r for r in rows if r.owner == p.ref]
                want = (
                    len(mine),
                    sum(r.priority_rank <= 2 for r in mine),
                    sum(bool(r.deadline) and r.deadline < now for r in mine),
                )
            else:
                ours = [r for r in rows if r.pool == entry["id"]]
                want = (
                    sum(r.status == c.STATUS_WAITING and r.owner == f"HealthcareService/{entry['id']}" for r in ours),
                    sum(r.priority_rank <= 2 for r in ours),
                    sum(bool(r.deadline) and r.deadline < now for r in ours),
                )
            assert (entry["waiting"], entry["urgent"], entry["overdue"]) == want, (p.username, entry)


def test_the_app_list_totals_come_from_the_counters_and_equal_a_count(small_portal: EmbeddedPortal) -> None:
    """The totals of a whole pool's open items and of one's own open items (the app's first pages)
    are read from the counters, with no count over the pool, and say what a count says."""
    store = small_portal.store
    counts: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "count(*)" in statement.lower():
            counts.append(statement)

    open_ = ",".join(c.OPEN_STATUSES)
    given = 0
    for p in _staff(small_portal)[:4]:
        for crit, cond in [((("owner", p.ref),), task.c.owner == p.ref)] + [
            ((("pool", f"HealthcareService/{pid}"),), task.c.pool == pid) for pid in sorted(p.pools)
        ]:
            items = [*crit, ("status", open_), ("_count", "3"), ("_total", "accurate")]
            sa.event.listen(store.engine, "before_cursor_execute", record)
            try:
                page, _, _ = reads.search(store, p, "Task", items)
            finally:
                sa.event.remove(store.engine, "before_cursor_execute", record)
            with store.read() as tx:
                want = tx.count("Task", [cond, task.c.status.in_(c.OPEN_STATUSES)])
            # (None only when the page withheld an item: a total would tell how many there are.)
            assert page.total in (want, None), (p.username, crit)
            given += page.total is not None and want > 0
    assert counts == [] and given >= 3
