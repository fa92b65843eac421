"""The access log in a narrow table of its own (access_log), one row per patient per request; the
principal cache's counter (auth_epoch)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Access-log entries were whole AuditEvent resources in `resource` (with its seven indexes); they
move to `access_log` and are rendered as the same AuditEvent when read (store.access_log).

"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    if not sa.inspect(conn).has_table("auth_epoch"):
        epoch = op.create_table(
            "auth_epoch",
            sa.Column("name", sa.String(length=20), nullable=False),
            sa.Column("value", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )
        op.bulk_insert(epoch, [{"name": "auth", "value": 0}])
    if sa.inspect(conn).has_table("access_log"):  # a database stamped at the baseline that already has it
        return
    log = op.create_table(
        "access_log",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("recorded", sa.String(length=27), nullable=False),
        sa.Column("patient", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("agent_display", sa.String(length=200), server_default="", nullable=False),
        sa.Column("agent_kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=40), server_default="", nullable=False),
        sa.Column("role_text", sa.String(length=300), server_default="", nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("interaction", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=2), nullable=False),
        sa.Column("what", sa.String(length=500), nullable=False),
        sa.Column("request_id", sa.String(length=64), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_agent", "access_log", ["agent", "recorded", "id"], unique=False)
    op.create_index("ix_access_log_patient", "access_log", ["patient", "recorded", "id"], unique=False)
    op.create_index("ix_access_log_recorded", "access_log", ["recorded", "id"], unique=False)

    # Move the entries written as whole resources, in batches.
    from helsami_portal.store.access_log import row_of

    resource = sa.table("resource", sa.column("rtype"), sa.column("id"), sa.column("content"))
    last = ""
    while True:
        rows = conn.execute(
            sa.select(resource.c.id, resource.c.content)
            .where(resource.c.rtype == "AuditEvent", resource.c.id > last)
            .order_by(resource.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        moved = [r for r in (row_of(json.loads(content)) for _, content in rows) if r is not None]
        if moved:
            conn.execute(log.insert(), moved)
        conn.execute(
            sa.delete(resource).where(resource.c.rtype == "AuditEvent", resource.c.id.in_([rid for rid, _ in rows]))
        )
        last = rows[-1][0]


def downgrade() -> None:
    """Downgrade schema (the entries go back into `resource` as whole AuditEvents)."""
    from helsami_portal.store.access_log import COLUMNS, render

    conn = op.get_bind()
    log = sa.table("access_log", *[sa.column(c) for c in COLUMNS])
    resource = sa.table(
        "resource",
        sa.column("rtype"),
        sa.column("id"),
        sa.column("version_id"),
        sa.column("last_updated"),
        sa.column("patient"),
        sa.column("ref1"),
        sa.column("code"),
        sa.column("status"),
        sa.column("date"),
        sa.column("content"),
    )
    last = ""
    while True:
        rows = conn.execute(sa.select(*log.c).where(log.c.id > last).order_by(log.c.id).limit(1000)).all()
        if not rows:
            break
        out = []
        for r in rows:
            m = dict(r._mapping)
            ev = render(m)
            out.append(
                {
                    "rtype": "AuditEvent",
                    "id": m["id"],
                    "version_id": 1,
                    "last_updated": m["recorded"],
                    "patient": m["patient"],
                    "ref1": m["agent"],
                    "code": m["interaction"],
                    "status": "break-glass" if m["purpose"] == "BTG" else "",
                    "date": m["recorded"],
                    "content": json.dumps(ev, ensure_ascii=False, separators=(",", ":")),
                }
            )
        conn.execute(resource.insert(), out)
        last = rows[-1][0]
    op.drop_index("ix_access_log_recorded", table_name="access_log")
    op.drop_index("ix_access_log_patient", table_name="access_log")
    op.drop_index("ix_access_log_agent", table_name="access_log")
    op.drop_table("access_log")
    op.drop_table("auth_epoch")
