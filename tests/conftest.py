"""Shared fixtures: a seeded portal on SQLite and on PostgreSQL, and signed-in clients."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("HELSAMI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pg_available() -> bool:
    try:
        import psycopg
        with psycopg.connect(PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=3):
            return True
    except Exception:
        return False


_PG = pg_available()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and not _PG:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL on 127.0.0.1:5432 is not running"))


@pytest.fixture(scope="session")
def blns() -> list[str]:
    import json
    path = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "blns.json"
    if not path.exists():
        pytest.skip(f"the Big List of Naughty Strings is not at {path}")
    return list(json.loads(path.read_text(encoding="utf-8")))


def make_pg_database() -> tuple[str, str]:
    """A fresh database for one test session; returns (url, name)."""
    import psycopg
    name = f"helsami_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg_database(name: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    else:
        url, name = make_pg_database()
        try:
            yield url
        finally:
            drop_pg_database(name)
