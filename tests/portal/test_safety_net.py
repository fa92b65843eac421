"""The safety net and the working calendar, with a clock the tests control.

Working time is weekdays 08:00–16:00 Europe/Oslo without Norwegian public holidays (from the
`holidays` package). Items nobody opens move to the back-up inbox; back-ups chain; several
workers on one database never move an item twice or skip one.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.jobs import JobRunner
from helsami_portal.seed import load
from helsami_portal.store.db import make_engine
from helsami_portal.store.schema import event, history, task
from helsami_portal.store.store import Store
from helsami_portal.workflow import safety_net
from helsami_portal.workflow.working_time import (
    add_working_days,
    add_working_minutes,
    is_working_day,
    is_working_time,
    working_minutes_between,
)
from tests.clock import machine_now
from tests.waiting import wait_until

from ..conftest import drop_pg_database, make_pg_database
from .conftest import device_sign_in

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC


def oslo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=OSLO)


# -- the working calendar -----------------------------------------------------------------------


def test_holidays_come_from_the_maintained_package() -> None:
    assert not is_working_day(dt.date(2026, 4, 2))  # Maundy Thursday (skjærtorsdag)
    assert not is_working_day(dt.date(2026, 4, 3))  # Good Friday
    assert not is_working_day(dt.date(2026, 4, 6))  # Easter Monday
    assert not is_working_day(dt.date(2026, 5, 1))
    assert not is_working_day(dt.date(2026, 5, 14))  # Ascension Day
    assert not is_working_day(dt.date(2026, 5, 25))  # Whit Monday
    assert not is_working_day(dt.date(2027, 5, 17))  # Constitution Day on a Monday
    assert not is_working_day(dt.date(2026, 12, 25))
    assert not is_working_day(dt.date(2026, 12, 26))
    assert not is_working_day(dt.date(2027, 1, 1))
    assert not is_working_day(dt.date(2026, 5, 16))  # a Saturday
    assert is_working_day(dt.date(2026, 4, 7))
    assert is_working_day(dt.date(2026, 5, 18))


def test_office_hours_are_local_time_through_daylight_saving_changes() -> None:
    # Winter: 08:00 Oslo = 07:00 UTC; summer: 06:00 UTC.
    assert is_working_time(dt.datetime(2026, 3, 27, 7, 0, tzinfo=UTC))
    assert not is_working_time(dt.datetime(2026, 3, 27, 6, 59, tzinfo=UTC))
    assert is_working_time(dt.datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert not is_working_time(dt.datetime(2026, 3, 30, 5, 59, tzinfo=UTC))
    assert not is_working_time(dt.datetime(2026, 3, 30, 14, 0, tzinfo=UTC))  # 16:00 summer time
    assert is_working_time(dt.datetime(2026, 10, 26, 14, 59, tzinfo=UTC))  # 15:59 winter time


@pytest.mark.parametrize(
    "start, minutes, expected",
    [
        # Friday afternoon to Monday morning over a weekend
        (oslo(2026, 5, 22, 15, 0), 120, oslo(2026, 5, 26, 9, 0)),  # Whit Monday 25 May is off
        (oslo(2026, 6, 5, 15, 0), 120, oslo(2026, 6, 8, 9, 0)),
        # Easter: Wednesday before to Tuesday after
        (oslo(2026, 4, 1, 15, 30), 60, oslo(2026, 4, 7, 8, 30)),
        # 17 May 2027 is a Monday
        (oslo(2027, 5, 14, 15, 30), 60, oslo(2027, 5, 18, 8, 30)),
        # Christmas 2026: 25 (Friday) and 26 off, then the weekend
        (oslo(2026, 12, 24, 15, 30), 60, oslo(2026, 12, 28, 8, 30)),
        # New Year
        (oslo(2026, 12, 31, 15, 0), 120, oslo(2027, 1, 4, 9, 0)),
        # Spring forward (29 March 2026) and fall back (25 October 2026)
        (oslo(2026, 3, 27, 15, 30), 60, oslo(2026, 3, 30, 8, 30)),
        (oslo(2026, 10, 23, 15, 30), 60, oslo(2026, 10, 26, 8, 30)),
        # Before opening and after closing
        (oslo(2026, 6, 9, 6, 0), 30, oslo(2026, 6, 9, 8, 30)),
        (oslo(2026, 6, 9, 18, 0), 30, oslo(2026, 6, 10, 8, 30)),
        # Exactly a day's work ends at closing, not next morning
        (oslo(2026, 6, 12, 8, 0), 480, oslo(2026, 6, 12, 16, 0)),
        (oslo(2026, 6, 13, 12, 0), 0, oslo(2026, 6, 13, 12, 0)),
    ],
)
def test_add_working_minutes(start: dt.datetime, minutes: int, expected: dt.datetime) -> None:
    got = add_working_minutes(start, minutes)
    assert got == expected, got.astimezone(OSLO)
    assert working_minutes_between(start, got) == minutes
    if minutes and is_working_time(got - dt.timedelta(seconds=1)):
        # Backwards from the answer lands on the start (or the opening it waited for).
        back = add_working_minutes(got, -minutes)
        assert working_minutes_between(back, got) == minutes
        assert back >= start


def test_dst_days_still_have_eight_working_hours() -> None:
    assert working_minutes_between(oslo(2026, 3, 27, 0, 0), oslo(2026, 3, 31, 0, 0)) == 2 * 480
    assert working_minutes_between(oslo(2026, 10, 23, 0, 0), oslo(2026, 10, 27, 0, 0)) == 2 * 480
    assert add_working_minutes(oslo(2026, 3, 27, 12, 0), 480).astimezone(UTC) == dt.datetime(
        2026, 3, 30, 10, 0, tzinfo=UTC
    )  # 12:00 summer time


def test_working_minutes_in_a_year() -> None:
    days = sum(1 for n in range(365) if is_working_day(dt.date(2026, 1, 1) + dt.timedelta(days=n)))
    assert working_minutes_between(oslo(2026, 1, 1), oslo(2027, 1, 1)) == days * 480
    assert 245 <= days <= 255


def test_working_days_deadlines() -> None:
    assert add_working_days(oslo(2026, 6, 8, 10, 0), 5) == oslo(2026, 6, 15, 10, 0)
    assert add_working_days(oslo(2026, 6, 13, 10, 0), 5) == oslo(2026, 6, 19, 16, 0)  # sent on a Saturday
    assert add_working_days(oslo(2026, 3, 31, 10, 0), 1) == oslo(2026, 4, 1, 10, 0)
    assert add_working_days(oslo(2026, 4, 1, 10, 0), 1) == oslo(2026, 4, 7, 10, 0)  # over Easter


def test_forward_and_backward_agree_at_random_instants() -> None:
    rng = random.Random(6)
    base = oslo(2025, 1, 1)
    for _ in range(400):
        start = base + dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 1440))
        minutes = rng.choice([1, 30, 60, 240, 479, 480, 481, 1440, 2880, 5 * 480])
        later = add_working_minutes(start, minutes)
        assert working_minutes_between(start, later) == pytest.approx(minutes)
        earlier = add_working_minutes(later, -minutes)
        assert working_minutes_between(earlier, later) == pytest.approx(minutes)
        assert earlier >= start  # the latest instant with that much work before `later`
        assert working_minutes_between(start, earlier) == 0


def test_response_deadline_counts_working_days_only_when_the_inbox_says_so() -> None:
    def svc(working: bool, value: int = 1, unit: str = "d") -> dict[str, Any]:
        return {
            "resourceType": "HealthcareService",
            "id": "x",
            "extension": [
                {"url": c.EXT_RESPONSE_TIME, "valueDuration": {"value": value, "code": unit}},
                {"url": c.EXT_WORKING_TIME, "valueBoolean": working},
            ],
        }

    friday = timeutil.instant(oslo(2026, 5, 22, 12, 0))
    assert safety_net.response_deadline(svc(True), friday) == timeutil.instant(oslo(2026, 5, 26, 12, 0))
    assert safety_net.response_deadline(svc(False), friday) == timeutil.instant(oslo(2026, 5, 23, 12, 0))
    assert safety_net.response_deadline(svc(True, 5), friday) == timeutil.instant(
        oslo(2026, 6, 1, 12, 0)
    )  # Whit Monday off
    assert safety_net.response_deadline({"resourceType": "HealthcareService", "id": "y"}, friday) == ""


# -- the job, on a store of its own -----------------------------------------------------------


def _svc(sid: str, backup: str | None, delay: int, working: bool, active: bool = True) -> dict[str, Any]:
    ext: list[dict[str, Any]] = []
    if backup:
        ext.append({"url": c.EXT_BACKUP_INBOX, "valueReference": {"reference": f"HealthcareService/{backup}"}})
    ext.append({"url": c.EXT_SAFETY_NET_DELAY, "valueDuration": {"value": delay, "code": "min"}})
    ext.append({"url": c.EXT_RESPONSE_TIME, "valueDuration": {"value": 1, "code": "d"}})
    ext.append({"url": c.EXT_WORKING_TIME, "valueBoolean": working})
    return {
        "resourceType": "HealthcareService",
        "id": sid,
        "active": active,
        "name": f"Innboks {sid}",
        "extension": ext,
        "type": [{"coding": [{"system": c.INBOX_KIND, "code": "clinical"}]}],
    }


INBOXES = [
    _svc("t-c", None, 60, True),
    _svc("t-b", "t-c", 120, True),
    _svc("t-a", "t-b", 60, True),
    _svc("t-cal", "t-c", 60, False),
    _svc("t-off", "t-gone", 60, False),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Store]:
    if request.param == "sqlite":
        url, name = f"sqlite:///{tmp_path / 'net.sqlite3'}", None
    else:
        url, name = make_pg_database()
    s = Store(make_engine(url))
    s.create_schema()
    load(s, [dict(x) for x in INBOXES])
    try:
        yield s
    finally:
        s.engine.dispose()
        if name:
            drop_pg_database(name)


def _task(
    pool: str,
    *,
    business: str = "new",
    status: str = "requested",
    owner: str | None = None,
    authored: str = "2026-01-01T00:00:00.000000Z",
    tid: str | None = None,
) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "id": tid or uuid.uuid4().hex,
        "status": status,
        "intent": "order",
        "priority": "routine",
        "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": business}]},
        "code": {"coding": [{"system": c.TASK_TYPE, "code": "message"}]},
        "description": "Spørsmål",
        "focus": {"reference": "Communication/x"},
        "for": {"reference": "Patient/p1"},
        "authoredOn": authored,
        "owner": {"reference": owner or f"HealthcareService/{pool}"},
        "extension": [{"url": c.EXT_TASK_POOL, "valueReference": {"reference": f"HealthcareService/{pool}"}}],
    }


def arrive(store: Store, pool: str, at: dt.datetime, **kw: Any) -> str:
    """A new item that arrives in `pool` at `at` (the store's clock set to that instant)."""
    with store.write() as tx:
        tx.now = timeutil.instant(at)
        t = tx.create(_task(pool, authored=tx.now, **kw))
    return str(t["id"])


def current(store: Store, tid: str) -> dict[str, Any]:
    with store.read() as tx:
        return tx.require("Task", tid)


def where(store: Store, tid: str) -> str:
    return str(current(store, tid)["owner"]["reference"]).split("/", 1)[1]


@pytest.mark.parametrize(
    "arrived, not_yet, due",
    [
        # weekend + Whit Monday
        (
            oslo(2026, 5, 22, 15, 30),
            [oslo(2026, 5, 22, 15, 59), oslo(2026, 5, 23, 12), oslo(2026, 5, 25, 10), oslo(2026, 5, 26, 8, 29)],
            oslo(2026, 5, 26, 8, 30),
        ),
        # Easter
        (
            oslo(2026, 4, 1, 15, 30),
            [oslo(2026, 4, 2, 9), oslo(2026, 4, 3, 12), oslo(2026, 4, 6, 15), oslo(2026, 4, 7, 8, 29)],
            oslo(2026, 4, 7, 8, 30),
        ),
        # 17 May on a Monday
        (oslo(2027, 5, 14, 15, 30), [oslo(2027, 5, 17, 12), oslo(2027, 5, 18, 8, 29)], oslo(2027, 5, 18, 8, 30)),
        # Christmas
        (oslo(2026, 12, 24, 15, 30), [oslo(2026, 12, 25, 12), oslo(2026, 12, 27, 12)], oslo(2026, 12, 28, 8, 30)),
        # spring forward, fall back
        (oslo(2026, 3, 27, 15, 30), [oslo(2026, 3, 29, 12), oslo(2026, 3, 30, 8, 29)], oslo(2026, 3, 30, 8, 30)),
        (oslo(2026, 10, 23, 15, 30), [oslo(2026, 10, 25, 12), oslo(2026, 10, 26, 8, 29)], oslo(2026, 10, 26, 8, 30)),
        # arrived in the night: the delay starts at opening
        (oslo(2026, 6, 9, 2, 0), [oslo(2026, 6, 9, 8, 59)], oslo(2026, 6, 9, 9, 0)),
    ],
)
def test_time_travel_working_time_delay(
    store: Store, arrived: dt.datetime, not_yet: list[dt.datetime], due: dt.datetime
) -> None:
    tid = arrive(store, "t-a", arrived)
    for when in not_yet:
        assert safety_net.run_once(store, when) == 0, when
        assert where(store, tid) == "t-a"
    assert safety_net.run_once(store, due) == 1
    t = current(store, tid)
    assert t["owner"]["reference"] == "HealthcareService/t-b"
    assert t["owner"]["display"] == "Innboks t-b"
    exts = {e["url"]: e for e in t["extension"]}
    assert exts[c.EXT_ESCALATED]["valueBoolean"] is True
    assert exts[c.EXT_TASK_POOL]["valueReference"]["reference"] == "HealthcareService/t-b"
    assert t["businessStatus"]["coding"][0]["code"] == "escalated"
    assert t["meta"]["versionId"] == "2"
    assert t["lastModified"] == timeutil.instant(due)
    assert "safety net" in t["note"][-1]["text"] and "t-a" in t["note"][-1]["text"]
    assert safety_net.run_once(store, due) == 0  # never twice


def test_calendar_time_inbox_moves_at_the_weekend(store: Store) -> None:
    tid = arrive(store, "t-cal", oslo(2026, 5, 23, 10, 0))  # a Saturday
    assert safety_net.run_once(store, oslo(2026, 5, 23, 10, 59)) == 0
    assert safety_net.run_once(store, oslo(2026, 5, 23, 11, 0)) == 1
    assert where(store, tid) == "t-c"


def test_back_ups_chain_and_history_is_kept(store: Store) -> None:
    tid = arrive(store, "t-a", oslo(2026, 6, 8, 9, 0))
    moved_at = oslo(2026, 6, 8, 10, 0)
    assert safety_net.run_once(store, moved_at) == 1
    assert where(store, tid) == "t-b"
    # The delay restarts in the back-up (120 working minutes there).
    assert safety_net.run_once(store, oslo(2026, 6, 8, 11, 59)) == 0
    assert safety_net.run_once(store, oslo(2026, 6, 8, 12, 0)) == 1
    assert where(store, tid) == "t-c"
    # The last inbox has no back-up: it stays, however long it waits.
    assert safety_net.run_once(store, oslo(2026, 9, 1, 12, 0)) == 0
    with store.read() as tx:
        versions = tx.history("Task", tid)
        moves = [p for _, _, p in tx.events_after(0, 10_000) if p["id"] == tid]
    assert [v["meta"]["versionId"] for v in versions] == ["3", "2", "1"]
    assert [v["owner"]["reference"].split("/")[1] for v in versions] == ["t-c", "t-b", "t-a"]
    assert [m["action"] for m in moves] == ["escalate", "escalate"]
    assert [m["pool"] for m in moves] == ["t-b", "t-c"]
    assert len(versions[0]["note"]) == 2


def test_only_unopened_items_in_the_pool_move(store: Store) -> None:
    at = oslo(2026, 6, 8, 9, 0)
    keep = [
        arrive(store, "t-a", at, business="opened"),
        arrive(store, "t-a", at, business="claimed", status="in-progress", owner="Practitioner/p1"),
        arrive(store, "t-a", at, business="forwarded", owner="Practitioner/p2"),
        arrive(store, "t-a", at, business="done", status="completed", owner="Practitioner/p1"),
        arrive(store, "t-c", at),  # no back-up
        arrive(store, "t-off", at),  # back-up does not exist: safety net off, no crash
    ]
    moves = arrive(store, "t-a", at)
    assert safety_net.run_once(store, oslo(2026, 6, 12, 9, 0)) == 1
    assert where(store, moves) == "t-b"
    for tid in keep:
        assert current(store, tid)["meta"]["versionId"] == "1"


def test_a_new_patient_message_restarts_the_wait(store: Store) -> None:
    tid = arrive(store, "t-a", oslo(2026, 6, 8, 9, 0))
    with store.write() as tx:  # as patient_side.add_message does: the item changes, still new
        tx.now = timeutil.instant(oslo(2026, 6, 8, 9, 50))
        t = tx.require("Task", tid)
        t["lastModified"] = tx.now
        tx.update(t, expected_version=1)
    assert safety_net.run_once(store, oslo(2026, 6, 8, 10, 0)) == 0
    assert safety_net.run_once(store, oslo(2026, 6, 8, 10, 50)) == 1


def test_job_runner_uses_the_injected_clock(store: Store) -> None:
    tid = arrive(store, "t-a", oslo(2026, 6, 8, 9, 0))
    now = [oslo(2026, 6, 8, 9, 30)]
    runner = JobRunner(store, clock=lambda: now[0], interval=0.01)
    assert runner.run_once()["safety-net"] == 0
    now[0] = oslo(2026, 6, 8, 10, 0)
    assert runner.run_once()["safety-net"] == 1
    assert where(store, tid) == "t-b"
    stop = threading.Event()
    th = threading.Thread(target=runner.run_until, args=(stop,))
    th.start()
    stop.set()
    th.join(5)
    assert not th.is_alive()


def test_candidate_query_uses_the_safety_net_index(store: Store) -> None:
    # A pool full of opened items and a few unopened ones: the query reads only the latter.
    load(store, (_task("t-a", business="opened") for _ in range(3000)))
    load(store, (_task("t-a") for _ in range(5)))
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    rule = safety_net.InboxRule("t-a", "", "t-b", 60, True)
    q = safety_net._candidates("t-a", rule.cutoff(timeutil.utcnow() + dt.timedelta(days=30))).limit(200)
    with store.engine.connect() as conn:
        sql = str(q.compile(conn, compile_kwargs={"literal_binds": True}))
        if store.sqlite:
            plan = " ".join(str(r) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
    assert "ix_task_safety_net" in plan, plan


# -- many workers, one database -------------------------------------------------------------------


def _concurrent_workers(store_url: str, n_items: int, workers: int) -> None:
    seed_store = Store(make_engine(store_url))
    load(
        seed_store,
        (_task("t-a", tid=f"bulk-{i:05d}", authored=timeutil.instant(oslo(2026, 6, 1, 9, 0))) for i in range(n_items)),
    )
    seed_store.engine.dispose()
    # Bulk-loaded rows carry the load time as last change: travel a month ahead of it.
    now = timeutil.utcnow() + dt.timedelta(days=30)
    stores = [Store(make_engine(store_url)) for _ in range(workers)]
    start = threading.Barrier(workers)
    moved: list[int] = [0] * workers
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            for _ in range(3):  # repeated runs find nothing more to do
                moved[i] += safety_net.run_once(stores[i], now, batch=50)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    assert not errors, errors
    assert sum(moved) == n_items, moved
    check = stores[0]
    with check.read() as tx:
        escalations = Counter()
        for (payload,) in tx.conn.execute(sa.select(event.c.payload)):
            p = json.loads(payload)
            if p.get("action") == "escalate":
                escalations[p["id"]] += 1
        assert len(escalations) == n_items and set(escalations.values()) == {1}
        owners = Counter(r[0] for r in tx.conn.execute(sa.select(task.c.owner).where(task.c.id.like("bulk-%"))))
        assert owners == {"HealthcareService/t-b": n_items}
        versions = Counter(
            r[0]
            for r in tx.conn.execute(
                sa.select(history.c.version_id).where(history.c.rtype == "Task", history.c.id.like("bulk-%"))
            )
        )
        assert versions == {1: n_items, 2: n_items}  # one move each, and version 1 kept
    for s in stores:
        s.engine.dispose()


@pytest.mark.postgres
def test_two_workers_on_postgresql_move_thousands_exactly_once() -> None:
    url, name = make_pg_database()
    try:
        boot = Store(make_engine(url))
        boot.create_schema()
        load(boot, [dict(x) for x in INBOXES])
        boot.engine.dispose()
        _concurrent_workers(url, 3000, 2)
    finally:
        drop_pg_database(name)


def test_two_workers_on_sqlite_move_each_item_once(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'two.sqlite3'}"
    boot = Store(make_engine(url))
    boot.create_schema()
    load(boot, [dict(x) for x in INBOXES])
    boot.engine.dispose()
    _concurrent_workers(url, 1000, 2)


# -- through the API: staff see it, the patient notices nothing -------------------------------


@pytest.fixture(scope="module")
def own_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from helsami_portal.embedded import EmbeddedPortal

    url = f"sqlite:///{tmp_path_factory.mktemp('net') / 'portal.sqlite3'}"
    p = EmbeddedPortal(url, demo=True, seed=True, patients=40, tasks=80, run_jobs=False)
    with p:
        yield p


@pytest.fixture(scope="module")
def client(own_portal: Any) -> Iterator[Any]:
    made: dict[str, tuple[httpx.Client, dict[str, str]]] = {}

    def make(user: str) -> tuple[httpx.Client, dict[str, str]]:
        if user not in made:
            http = httpx.Client(base_url=own_portal.base_url, timeout=30)
            made[user] = (http, {"Authorization": f"Bearer {device_sign_in(http, user)['access_token']}"})
        return made[user]

    yield make
    for http, _ in made.values():
        http.close()


def test_escalated_item_is_marked_for_staff_and_invisible_to_the_patient(own_portal: Any, client: Any) -> None:
    pas, ph = client("pasient")
    sb, sh = client("sentralbord")  # member of the municipal switchboard inbox
    if True:
        r = pas.post(
            "/patient/threads",
            headers=ph,
            json={
                "patient": "pat-000001",
                "service": "hs-fjordvik-psyk",
                "subject": "Trenger å snakke med noen",
                "text": "Hei, kan noen ringe meg?",
                "messageId": str(uuid.uuid4()),
            },
        )
        assert r.status_code == 201, r.text
        thread_id = r.json()["thread"]["id"]
        before = pas.get(f"/patient/threads/{thread_id}", headers=ph).json()
        # Four working hours later (and more): the psychiatric inbox's back-up is the switchboard.
        later = timeutil.utcnow() + dt.timedelta(days=8)
        assert safety_net.run_once(own_portal.store, later) >= 1
        after = pas.get(f"/patient/threads/{thread_id}", headers=ph).json()
        assert after == before
        assert "escalat" not in json.dumps(after) and "sentralbord" not in json.dumps(after).lower()
        items = sb.get("/fhir/Task", headers=sh, params={"focus": f"Communication/{thread_id}"}).json()
        t = items["entry"][0]["resource"]
        assert t["owner"]["reference"] == "HealthcareService/hs-fjordvik-sentralbord"
        assert any(e["url"] == c.EXT_ESCALATED and e["valueBoolean"] is True for e in t["extension"])
        assert t["businessStatus"]["coding"][0]["code"] == "escalated"
        hist = sb.get(f"/fhir/Task/{t['id']}/_history", headers=sh).json()
        assert [e["resource"]["meta"]["versionId"] for e in hist["entry"]] == ["2", "1"]
        assert hist["entry"][1]["resource"]["owner"]["reference"] == "HealthcareService/hs-fjordvik-psyk"
        # Staff can work it as usual.
        claim = sb.post(f"/fhir/Task/{t['id']}/$claim", headers={**sh, "If-Match": 'W/"2"'})
        assert claim.status_code == 200, claim.text


def test_new_items_get_a_working_day_deadline_and_overdue_is_counted(own_portal: Any, client: Any) -> None:
    pas, ph = client("pasient")
    lege, lh = client("lege")
    if True:
        r = pas.post(
            "/patient/threads",
            headers=ph,
            json={
                "patient": "pat-000001",
                "service": "hs-fjordvik-legesenter",
                "subject": "Resept",
                "text": "Hei",
                "messageId": str(uuid.uuid4()),
            },
        )
        assert r.status_code == 201, r.text
        thread_id = r.json()["thread"]["id"]
        t = lege.get("/fhir/Task", headers=lh, params={"focus": f"Communication/{thread_id}"}).json()
        t = t["entry"][0]["resource"]
        authored = timeutil.parse(t["authoredOn"])
        deadline = timeutil.parse(t["restriction"]["period"]["end"])
        assert deadline == add_working_days(authored, 5)
        assert working_minutes_between(authored, deadline) == 5 * 480
        # An item past its deadline is counted as overdue in its inbox's header.
        with own_portal.store.write() as tx:
            t2 = tx.require("Task", t["id"])
            t2["restriction"] = {"period": {"end": timeutil.instant(timeutil.utcnow() - dt.timedelta(hours=1))}}
            tx.update(t2, expected_version=int(t2["meta"]["versionId"]))
        pools = {p["id"]: p for p in lege.get("/fhir/$pools", headers=lh).json()["pools"]}
        assert pools["hs-fjordvik-legesenter"]["overdue"] >= 1


def test_the_portal_runs_the_job_in_its_lifespan(tmp_path: Any) -> None:
    from helsami_portal.embedded import EmbeddedPortal

    p = EmbeddedPortal(f"sqlite:///{tmp_path / 'life.sqlite3'}", seed=False, run_jobs=True)
    p.settings.job_interval = 0.05
    ran = threading.Event()
    with p:
        p.app.state.portal.jobs.jobs["probe"] = lambda store, now: ran.set() or 0
        assert ran.wait(5)


# -- the worker command ------------------------------------------------------------------------


def test_worker_command_runs_and_stops_cleanly_on_sigterm(tmp_path: Any) -> None:
    import signal
    import subprocess
    import sys
    import threading

    # The worker is another process, on the machine's own clock: items arrive on that clock.
    real_now = machine_now

    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    boot = Store(make_engine(url))
    boot.create_schema()
    load(boot, [dict(x) for x in INBOXES])
    tid = arrive(boot, "t-cal", real_now() - dt.timedelta(hours=2))
    once = subprocess.run(
        [sys.executable, "-m", "helsami_portal.cli", "worker", "--db", url, "--once"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert once.returncode == 0, once.stderr
    assert "'safety-net': 1" in once.stdout
    assert where(boot, tid) == "t-c"
    proc = subprocess.Popen(
        [sys.executable, "-m", "helsami_portal.cli", "worker", "--db", url, "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    err_lines: list[str] = []
    reader = threading.Thread(
        target=lambda: err_lines.extend(iter(proc.stderr.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        wait_until(lambda: any("worker: running" in line for line in err_lines), what="worker started")
        # An item that becomes due while the worker runs is moved by its loop.
        later = arrive(boot, "t-cal", real_now() - dt.timedelta(hours=2))
        wait_until(lambda: where(boot, later) == "t-c", what="the running worker moved the item")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(err_lines)
    assert proc.returncode == 0, err
    assert "worker: stopped" in err
    boot.engine.dispose()
