"""No statement can hold the database: a statement timeout on both databases (issue 11), the
costliest search allowed leaves sign-in and writes free, and the caps on event streams per process.
Trusted proxies come from `serve`'s flag and setting."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal.api.events import EventHub
from helsami_portal.fhir.outcome import FhirError
from helsami_portal.store import query
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import MAX_COUNT, Store
from tests.waiting import WAIT

from .conftest import device_sign_in, new_thread, task_for_thread

POOL = "hs-fjordvik-legesenter"  # lege (physician) and sykepleier (nurse) work here


def test_a_long_statement_is_stopped_by_the_statement_timeout(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1, statement_timeout_ms=200)
    slow = (
        "SELECT pg_sleep(120)"
        if engine.dialect.name == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"
    )
    try:
        with pytest.raises(sa.exc.OperationalError), engine.connect() as conn:
            conn.execute(sa.text(slow)).all()
        with engine.connect() as conn:  # the connection is usable again afterwards
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_event_streams_are_capped_per_process(db_url: str) -> None:
    hub = EventHub(Store(make_engine(db_url, pool_size=1)), per_user=2, per_process=3)
    hub.admit("Practitioner/a")
    hub.admit("Practitioner/a")
    with pytest.raises(FhirError) as user_cap:
        hub.admit("Practitioner/a")
    assert user_cap.value.status == 429 and user_cap.value.reason_args["scope"] == "user"
    hub.admit("Practitioner/b")
    with pytest.raises(FhirError) as process_cap:
        hub.admit("Practitioner/c")
    assert process_cap.value.status == 429 and process_cap.value.reason_args["scope"] == "process"
    assert process_cap.value.headers["Retry-After"]
    hub.release("Practitioner/a")
    hub.admit("Practitioner/c")  # a place was given back


def test_trusted_proxies_come_from_the_serve_flag_and_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from helsami_portal.api import factory

    monkeypatch.setenv("HELSAMI_DB", f"sqlite:///{tmp_path}/f.sqlite3")
    monkeypatch.setenv("HELSAMI_TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/16")
    app = factory.app_from_env()
    assert app.state.portal.settings.trusted_proxies == ["10.0.0.5", "192.168.0.0/16"]
    monkeypatch.delenv("HELSAMI_TRUSTED_PROXIES")
    assert factory.app_from_env().state.portal.settings.trusted_proxies == []


def test_serve_has_a_trusted_proxy_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from helsami_portal.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--trusted-proxy" in out and "HELSAMI_TRUSTED_PROXIES" in out and "--statement-timeout-ms" in out


def costliest_search() -> list[tuple[str, str]]:
    """The most a Task search may ask for: every sort key, the largest page, the total, every
    include, and as many parameters as are allowed (conditions that every item meets)."""
    items = [
        ("_sort", "-priority,authored-on,-_lastUpdated"),
        ("_count", str(MAX_COUNT)),
        ("_total", "accurate"),
        ("status", "requested,in-progress,completed,cancelled"),
    ]
    items += [("_include", inc) for inc in ("Task:focus", "Task:patient", "Task:owner", "Task:focus")]
    assert query.MAX_SORT_KEYS == 3 and len(items) - 4 == query.MAX_INCLUDES
    while len(items) < query.MAX_PARAMS:
        items.append(("authored-on", "ge1900-01-01") if len(items) % 2 else ("authored-on", "le2200-01-01"))
    return items


def test_the_costliest_search_allowed_leaves_sign_in_and_writes_free(portal: Any, sign_in: Any) -> None:
    """Issue 11: on SQLite a costly search held the one writer, and a sign-in waited for it. Here
    the search is held in the middle of its read (its main statement has run, its rows are not
    yet read) until a sign-in and a claim made meanwhile have both been answered."""
    lege = sign_in("lege")
    # An item in the physician's inbox: the search reads it too, and the claim writes it meanwhile.
    task = task_for_thread(lege, new_thread(sign_in("pasient"), POOL, subject="Under søket")["thread"]["id"])
    running, release = threading.Event(), threading.Event()

    def hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The search's page of items (the one statement sorted by all three keys), once.
        if "FROM task" in statement and "last_updated DESC" in statement and not running.is_set():
            running.set()
            release.wait(2 * WAIT)  # past the other requests' timeout: a queued one fails

    searcher = httpx.Client(base_url=portal.base_url, timeout=3 * WAIT)
    other = httpx.Client(base_url=portal.base_url, timeout=WAIT)
    sa.event.listen(portal.store.engine, "after_cursor_execute", hold)
    try:
        with ThreadPoolExecutor(1) as pool:
            search = pool.submit(
                searcher.get, "/fhir/Task", params=costliest_search(), headers={"Authorization": f"Bearer {lege.token}"}
            )
            assert running.wait(WAIT), "the search's statement never ran"
            try:
                signed_in = device_sign_in(other, "sykepleier")  # device approval and token: writes
                claimed = lege.op(task, "claim")  # a write to the store
            except httpx.TimeoutException:
                pytest.fail("a sign-in or a claim waited for the search to end")
            assert claimed.status_code == 200, claimed.text
            assert claimed.json()["status"] == "in-progress"
            assert signed_in["access_token"]
            assert not search.done()  # both were answered while the search was still reading
            release.set()
            r = search.result()
        assert r.status_code == 200, r.text[:300]
        assert r.json()["total"] >= len([e for e in r.json()["entry"] if e["search"]["mode"] == "match"]) > 0
    finally:
        release.set()
        sa.event.remove(portal.store.engine, "after_cursor_execute", hold)
        searcher.close()
        other.close()
