"""Many staff triage one pool at once while patients write: zero double claims, zero lost or
duplicated replies, every item ends in exactly one final state. Small numbers here; the
benchmark runs 50 staff and 10,000 items (bench/)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal import loadtest, simulate
from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.seed import seed
from helsami_portal.store.db import make_engine
from helsami_portal.store.schema import task
from helsami_portal.store.store import Store
from tests.waiting import WAIT, wait_until

from ..conftest import drop_pg_database, make_pg_database, pg_available

# The staff stop when the pool is empty; this bound only stops a run that hangs. How fast they are
# is not tested here (bench/ measures it): a loaded machine makes this test slower, not red.
HANG = 10 * WAIT


def _check(store: Store, result: loadtest.Result, items: int) -> dict[str, int]:
    v = loadtest.verify(store, result)
    assert v["double claims"] == 0, v
    assert v["duplicated replies"] == 0, v
    assert v["lost replies"] == 0, v
    assert v["items in an unknown state"] == 0, v
    assert v["completed without exactly one reply"] == 0, v
    with store.read() as tx:
        done = tx.conn.execute(
            sa.select(sa.func.count())
            .select_from(task)
            .where(task.c.id.like("task-load-%"), task.c.status == "completed")
        ).scalar_one()
    assert done == items, (done, v, result.summary())
    return v


def _patients_write(base_url: str, seconds: float, stats: dict[str, int]) -> threading.Thread:
    t = threading.Thread(
        target=simulate.run,
        args=(base_url,),
        kwargs=dict(rate=8, duration=seconds, patients=3, password="demo", stats=stats),
        daemon=True,
    )
    t.start()
    return t


def test_staff_triage_one_pool_at_once(tmp_path: Any) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'load.sqlite3'}"))
    seed(store)
    loadtest.prepare(store, staff=8, items=120)
    with EmbeddedPortal(str(store.engine.url), demo=True, seed=False) as portal:
        stats: dict[str, int] = {}
        writer = _patients_write(portal.base_url, 3, stats)
        result = loadtest.run(portal.base_url, staff=8, max_seconds=HANG)
        writer.join(WAIT)
    _check(store, result, 120)
    assert stats["errors"] == 0 and stats["threads"] > 0
    assert result.outcomes["claim 200"] >= 120  # every item was claimed (patients may add more)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.postgres
@pytest.mark.skipif(not pg_available(), reason="PostgreSQL on 127.0.0.1:5432 is not running")
def test_several_portal_processes_on_postgresql() -> None:
    url, name = make_pg_database()
    proc = None
    try:
        store = Store(make_engine(url))
        seed(store)
        loadtest.prepare(store, staff=12, items=200)
        port = _free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "helsami_portal.cli", "serve", "--db", url, "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{base}/fhir/metadata", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, what="the portal started", timeout=120)
        stats: dict[str, int] = {}
        writer = _patients_write(base, 3, stats)
        result = loadtest.run(base, staff=12, max_seconds=HANG)
        writer.join(WAIT)
        _check(store, result, 200)
        assert stats["errors"] == 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop_pg_database(name)
