"""Schema changes through Alembic: a database of release 0.1.0 is upgraded with its data intact,
`serve` refuses a schema that is behind, and readiness says so."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from helsami_portal.api.app import create_app
from helsami_portal.api.settings import Settings
from helsami_portal.fhir.columns import task_care_columns
from helsami_portal.seed import seed
from helsami_portal.store import migrate
from helsami_portal.store.db import make_engine
from helsami_portal.store.schema import metadata
from helsami_portal.store.store import Store
from tests.conftest import drop_pg_database, make_pg_database

from .conftest import device_sign_in
from .served import clean_env, run_portal, served

RELEASE_DUMP = Path(__file__).with_name("data") / "release_0_1_0.sqlite.sql.gz"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url, name = make_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


def test_the_migrations_make_exactly_the_schema_in_schema_py(fresh_url: str) -> None:
    """A change to store/schema.py without a migration fails here (run `alembic revision --autogenerate`)."""
    engine = make_engine(fresh_url)
    try:
        assert migrate.state(engine).kind == "empty"
        assert migrate.upgrade(engine).up_to_date
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def _fingerprint(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, tuple[int, str]]:
    """Per table: how many rows and a digest of all of them (order-independent), of the columns the
    table has (or of `columns`, by table: a later release's columns are left out). The inbox
    counters (task_tally) are left out: a migration counts them from the tasks (the tally tests check them)."""
    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        present = set(inspector.get_table_names())
        for table in metadata.sorted_tables:
            if table.name not in present or table.name == "task_tally":  # a later table; counters are derived
                continue
            names = (columns or {}).get(table.name) or [col["name"] for col in inspector.get_columns(table.name)]
            cols = [table.c[name] for name in names if name in table.c]
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.select(*cols)))
            out[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    engine.dispose()
    return out


def _columns(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        out = {name: [col["name"] for col in inspector.get_columns(name)] for name in inspector.get_table_names()}
    engine.dispose()
    return out


def test_a_database_of_release_0_1_0_is_upgraded_with_its_data_intact(tmp_path: Path) -> None:
    # The dump was written by release 0.1.0 itself (`helsami-portal seed`, 12 patients, 40 tasks).
    path = tmp_path / "release.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(gzip.decompress(RELEASE_DUMP.read_bytes()).decode("utf-8"))
    url = f"sqlite:///{path}"
    before = _fingerprint(url)
    old_columns = _columns(url)
    assert before["task"][0] == 40 and before["account"][0] > 0

    # serve refuses a schema that is behind, and says what to do.
    out = run_portal("serve", "--db", url, "--port", "9")
    assert out.returncode == 2 and "helsami-portal migrate" in out.stderr and "Traceback" not in out.stderr
    out = run_portal("worker", "--once", "--db", url)
    assert out.returncode == 2 and "helsami-portal migrate" in out.stderr
    check = run_portal("migrate", "--check", "--db", url)
    assert check.returncode == 1 and "release 0.1.0" in check.stdout

    done = run_portal("migrate", "--db", url)
    assert done.returncode == 0, done.stderr
    assert f"now: schema is current (revision {migrate.head()})" in done.stdout
    after = _fingerprint(url, old_columns)
    assert {name: after[name] for name in before} == before
    # The tables added since hold no data yet (the principal cache's counter has its one row).
    assert {k: after[k][0] for k in set(after) - set(before) if k != "auth_epoch"} == {
        k: 0 for k in set(after) - set(before) if k != "auth_epoch"
    }
    assert after.get("auth_epoch", (1,))[0] == 1
    assert run_portal("migrate", "--check", "--db", url).returncode == 0
    # The migration counted the inbox counters ($pools) from the old tasks, as the store keeps them.
    from helsami_portal.store import tally

    engine = make_engine(url)
    with engine.connect() as conn:
        assert tally.counted(conn) == tally.fresh(conn) != {}
    # ...and filled who placed each item and where it came from (0006), as the store writes them.
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT content, placed_by, origin FROM task")).all()
    assert [(r.placed_by, r.origin) for r in rows] == [
        tuple(task_care_columns(json.loads(r.content)).values()) for r in rows
    ]
    assert {r.origin for r in rows} >= {"patient", "portal"}
    engine.dispose()

    # ...and the portal serves the old data: IT support signs in (an account of the old release) and
    # sees every waiting item of it in the queues (the safety net may move items, never lose them).
    with sqlite3.connect(path) as conn:
        waiting = conn.execute("SELECT count(*) FROM task WHERE status = 'requested'").fetchone()[0]
    assert waiting > 0
    with served(tmp_path, "--db", url, env=clean_env()) as s:
        assert httpx.get(f"{s.base_url}/readyz").json()["status"] == "ready"
        with httpx.Client(base_url=s.base_url, timeout=30) as http:
            token = device_sign_in(http, "it")["access_token"]
            r = http.get("/fhir/$queues", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
            assert sum(q["waiting"] for q in r.json()["inboxes"]) == waiting


def test_readiness_follows_the_schema(fresh_url: str) -> None:
    store = Store(make_engine(fresh_url))
    try:
        seed(store, patients=4, tasks=8)
        app = create_app(store, Settings())
        portal = app.state.portal
        portal.tokens.keys.ensure()
        from helsami_portal.api.ops_routes import readiness

        assert all(c["ok"] for c in readiness(portal).values())
        # A database that is behind (here: as release 0.1.0 left it) is not ready...
        with store.engine.begin() as conn:
            from alembic import command

            command.downgrade(migrate._config(conn), migrate.BASELINE)  # noqa: SLF001
            conn.execute(sa.text("DROP TABLE alembic_version"))
        checks = readiness(portal)
        assert checks["database"]["ok"] and not checks["migrations"]["ok"]
        # ...until it is migrated, in place, with every row kept.
        tasks = store.engine.connect().execute(sa.text("SELECT count(*) FROM task")).scalar_one()
        store.create_schema()
        assert readiness(portal)["migrations"]["ok"]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM task")).scalar_one() == tasks
    finally:
        store.engine.dispose()


def test_health_and_readiness_over_http(portal: object) -> None:
    base = portal.base_url  # type: ignore[attr-defined]
    assert httpx.get(f"{base}/healthz").json() == {"status": "alive"}
    r = httpx.get(f"{base}/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    assert body["checks"]["migrations"] == {"ok": True, "current": migrate.head(), "head": migrate.head()}
    assert body["checks"]["keys"]["ok"] and body["checks"]["database"]["ok"]


def test_a_developer_gets_a_migration_for_a_change_to_schema_py(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from helsami_portal.cli import main
    from helsami_portal.store import schema

    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS", scripts)
    url = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    assert main(["migrate", "--db", url]) == 0
    # A new table in schema.py (a copy of its metadata, so nothing shared is changed) ...
    changed = sa.MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(changed)
    sa.Table("note_for_test", changed, sa.Column("id", sa.String(20), primary_key=True))
    monkeypatch.setattr(schema, "metadata", changed)
    assert main(["migrate", "--db", url, "--autogenerate", "test note"]) == 0
    head = migrate.head()
    new = list((scripts / "versions").glob(f"{int(head) + 1:04d}_test_note.py"))
    assert len(new) == 1
    text = new[0].read_text(encoding="utf-8")
    assert "create_table('note_for_test'" in text
    assert f"down_revision: Union[str, Sequence[str], None] = '{head}'" in text
    assert "op.create_table('task'" not in text  # only the change
