"""Inbox counters (task_tally) and the list's indexes in time order

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

`$pools` counts from `task_tally`, kept in the transaction of every Task change (store.tally); the
counters of an existing database are counted here once. Indexes: the list in authored order per
(pool or owner, status), and today's deadlines per (pool or owner, status) for the overdue count.
The covering index the old counting query scanned (ix_task_pool_tally) goes.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status IN ('requested', 'in-progress')"
_URGENT = "priority_rank <= 2"
_PERSON = "owner NOT LIKE 'HealthcareService/%'"
# The same rows as store.tally.keys_of, counted in SQL: (scope, kind, day, condition).
_COUNTS = [
    ("'pool:' || pool", "'open'", "''", f"pool <> '' AND {_OPEN}"),
    (
        "'pool:' || pool",
        "'waiting'",
        "''",
        "pool <> '' AND status = 'requested' AND owner = 'HealthcareService/' || pool",
    ),
    ("'pool:' || pool", "'urgent'", "''", f"pool <> '' AND {_OPEN} AND {_URGENT}"),
    ("'pool:' || pool", "'due'", "substr(deadline, 1, 10)", f"pool <> '' AND {_OPEN} AND deadline <> ''"),
    ("'owner:' || owner", "'open'", "''", f"owner <> '' AND {_PERSON} AND {_OPEN}"),
    ("'owner:' || owner", "'urgent'", "''", f"owner <> '' AND {_PERSON} AND {_OPEN} AND {_URGENT}"),
    (
        "'owner:' || owner",
        "'due'",
        "substr(deadline, 1, 10)",
        f"owner <> '' AND {_PERSON} AND {_OPEN} AND deadline <> ''",
    ),
]


_INDEXES = {
    "ix_task_owner_due": ["owner", "status", "deadline"],
    "ix_task_owner_status_authored": ["owner", "status", "authored", "id"],
    "ix_task_pool_authored": ["pool", "status", "authored", "id"],
    "ix_task_pool_due": ["pool", "status", "deadline"],
}


def upgrade() -> None:
    """Upgrade schema. (Tolerant of a database that has the new schema but lost its alembic_version,
    which is then taken for release 0.1.0 and stamped 0001.)"""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("task_tally"):
        op.create_table(
            "task_tally",
            sa.Column("scope", sa.String(length=120), nullable=False),
            sa.Column("kind", sa.String(length=10), nullable=False),
            sa.Column("day", sa.String(length=10), nullable=False),
            sa.Column("n", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("scope", "kind", "day"),
        )
    op.execute("DROP INDEX IF EXISTS ix_task_pool_tally")
    have = {ix["name"] for ix in inspector.get_indexes("task")}
    with op.batch_alter_table("task", schema=None) as batch_op:
        for name, cols in _INDEXES.items():
            if name not in have:
                batch_op.create_index(name, cols, unique=False)
    op.execute("DELETE FROM task_tally")
    for scope, kind, day, cond in _COUNTS:
        op.execute(
            f"INSERT INTO task_tally (scope, kind, day, n) SELECT {scope}, {kind}, {day}, COUNT(*) "
            f"FROM task WHERE {cond} GROUP BY {scope}" + (f", {day}" if day != "''" else "")
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_pool_due")
        batch_op.drop_index("ix_task_pool_authored")
        batch_op.drop_index("ix_task_owner_status_authored")
        batch_op.drop_index("ix_task_owner_due")
        batch_op.create_index(
            "ix_task_pool_tally", ["pool", "owner", "status", "priority_rank", "deadline"], unique=False
        )
    op.drop_table("task_tally")
