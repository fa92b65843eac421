"""`/readyz` when the portal is not ready (issue 16, audit): the database does not answer, or the
signing keys are not loaded. Each is a 503 naming the check that failed, and ready again once the
cause is gone; `/healthz` (the process is alive) stays 200 throughout."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from helsami_portal.api.app import create_app
from helsami_portal.api.settings import Settings
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store
from tests.conftest import PG_ADMIN_URL, drop_pg_database, make_pg_database
from tests.waiting import wait_until

from .served import clean_env, served


def _ready(get: Any) -> tuple[int, dict[str, Any]]:
    r = get("/readyz")
    return r.status_code, r.json()


@pytest.mark.postgres
def test_readyz_is_503_while_the_database_refuses_connections(tmp_path: Path) -> None:
    """A served portal on PostgreSQL: the database stops taking connections (and the open ones are
    ended, as a restart of the server would); /readyz says not ready with the database check false,
    without the driver's message (it may name hosts and users), and ready again once it is back."""
    import psycopg

    url, name = make_pg_database()
    try:
        s = Store(make_engine(url))
        s.create_schema()
        s.engine.dispose()
        with served(tmp_path, "--db", url, env=clean_env()) as srv:
            http = httpx.Client(base_url=srv.base_url, timeout=30)
            status, body = _ready(http.get)
            assert status == 200 and body["checks"]["database"] == {"ok": True}, body
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
                status, body = wait_until(lambda: (got := _ready(http.get))[0] == 503 and got, "readyz answers 503")
                assert body["status"] == "not-ready"
                assert body["checks"]["database"]["ok"] is False
                assert body["checks"]["migrations"]["ok"] is False  # unknown without the database
                assert body["checks"]["keys"]["ok"] is True  # loaded at start, still held
                assert name not in str(body) and "postgres" not in str(body).lower()
                assert http.get("/healthz").status_code == 200  # alive, only not ready
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            status, body = wait_until(lambda: (got := _ready(http.get))[0] == 200 and got, "ready again")
            assert all(c["ok"] for c in body["checks"].values())
            http.close()
    finally:
        drop_pg_database(name)


def test_readyz_is_503_when_the_sqlite_database_cannot_be_opened(tmp_path: Path) -> None:
    """The SQLite file's directory is gone (an unmounted volume): no connection can be opened."""
    where = tmp_path / "volume"
    where.mkdir()
    store = Store(make_engine(f"sqlite:///{where / 'portal.sqlite3'}"))
    store.create_schema()
    try:
        with TestClient(create_app(store, Settings())) as client:  # the lifespan loads the keys
            assert _ready(client.get)[0] == 200
            store.engine.dispose()  # no connection left open to the old file
            shutil.rmtree(where)
            status, body = _ready(client.get)
            assert status == 503 and body["status"] == "not-ready"
            assert body["checks"]["database"]["ok"] is False and body["checks"]["keys"]["ok"] is True
            assert str(where) not in str(body)
            assert client.get("/healthz").status_code == 200
    finally:
        store.engine.dispose()


def test_readyz_is_503_until_the_signing_keys_are_loaded(tmp_path: Path) -> None:
    """The app before its start-up has run (the lifespan loads the keys): the database answers and
    its schema is current, but it could sign no token, so it is not ready; once loaded it is."""
    store = Store(make_engine(f"sqlite:///{tmp_path / 'portal.sqlite3'}"))
    store.create_schema()
    try:
        app = create_app(store, Settings())
        client = TestClient(app)  # not entered: no lifespan, so no keys yet
        status, body = _ready(client.get)
        assert status == 503 and body["status"] == "not-ready"
        assert body["checks"]["keys"] == {"ok": False}
        assert body["checks"]["database"] == {"ok": True} and body["checks"]["migrations"]["ok"] is True
        assert client.get("/healthz").status_code == 200
        app.state.portal.tokens.keys.ensure()
        status, body = _ready(client.get)
        assert status == 200 and body["status"] == "ready"
        client.close()
    finally:
        store.engine.dispose()
