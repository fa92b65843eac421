"""Schema versions (Alembic): where a database is, and bringing it up to date.

The migrations live in `store/migrations/versions`; `0001` is the schema of release 0.1.0 (the last
one made by `create_all` and a hand-kept index list). A database made by that release has the
tables but no `alembic_version`: it is recognised, given the indexes that release added by hand,
stamped as `0001` and then upgraded. Every later change to `schema.py` comes with a migration
(`alembic revision --autogenerate`, see docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from .schema import metadata, task

BASELINE = "0001"
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 727001  # the advisory lock that serialises schema changes of processes starting at once


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    h = ScriptDirectory.from_config(_config()).get_current_head()
    assert h is not None
    return h


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # the database's revision; None: not stamped
    head: str
    has_tables: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def kind(self) -> str:
        if self.up_to_date:
            return "current"
        if self.current is not None:
            return "behind"
        return "release-0.1.0" if self.has_tables else "empty"

    def describe(self) -> str:
        return {
            "current": f"schema is current (revision {self.head})",
            "behind": f"schema is at revision {self.current}, this version needs {self.head}",
            "release-0.1.0": f"schema is that of release 0.1.0 (not yet under migrations), "
            f"this version needs {self.head}",
            "empty": "the database has no portal tables yet",
        }[self.kind]


def state_of(conn: Connection) -> SchemaState:
    current = MigrationContext.configure(conn).get_current_revision()
    has_tables = sa.inspect(conn).has_table(task.name)
    return SchemaState(current, head(), has_tables)


def state(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return state_of(conn)


def upgrade(engine: Engine) -> SchemaState:
    """Bring the schema to the newest revision (safe with several processes starting at once)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_LOCK})"))
        before = state_of(conn)
        if before.kind == "release-0.1.0":
            _release_0_1_0_indexes(conn)
            command.stamp(_config(conn), BASELINE)
        if not before.up_to_date:
            command.upgrade(_config(conn), "head")
        return state_of(conn)


def new_revision(engine: Engine, message: str) -> Path:
    """Write a migration for what store/schema.py has and the database (at head) has not (Alembic
    autogenerate), for a developer to review; returns the new file."""
    with engine.begin() as conn:
        st = state_of(conn)
        if not st.up_to_date:
            raise RuntimeError("bring the database to the newest revision first (helsami-portal migrate)")
        rev = f"{int(st.head) + 1:04d}" if st.head.isdigit() else None  # 0002, 0003, ...
        script = command.revision(_config(conn), message=message, autogenerate=True, rev_id=rev)
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def refuse_if_behind(engine: Engine) -> str | None:
    """For `serve` and `worker`: make a new database; say why not to start on one that is behind."""
    st = state(engine)
    if st.kind == "empty":
        upgrade(engine)  # nothing to migrate: make it
        return None
    if not st.up_to_date:
        return (
            f"{st.describe()}.\nBack up the database, then run `helsami-portal migrate` with the same "
            "--db; the portal starts once the schema is current."
        )
    return None


def _release_0_1_0_indexes(conn: Connection) -> None:
    """Indexes release 0.1.0 added to older databases by hand (create_all only made missing tables)."""
    for ix in task.indexes:
        if ix.name in ("ix_task_safety_net", "ix_task_pool_tally"):
            ix.create(conn, checkfirst=True)


def drop_all(engine: Engine) -> None:
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
