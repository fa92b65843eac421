"""Release 0.1.0 schema (baseline)

Revision ID: 0001
Revises:
Create Date: 2026-12-01

The schema of release 0.1.0 (store/schema.py with its hand-kept index list), as create_all made it.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "account",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("resource", sa.String(length=100), nullable=False),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "break_glass",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("practitioner", sa.String(length=64), nullable=False),
        sa.Column("patient", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted", sa.String(length=27), nullable=False),
        sa.Column("expires", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("break_glass", schema=None) as batch_op:
        batch_op.create_index("ix_break_glass_lookup", ["practitioner", "patient", "expires"], unique=False)

    op.create_table(
        "device_code",
        sa.Column("device_code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_code", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("client_info", sa.String(length=300), nullable=False),
        sa.Column("created", sa.String(length=27), nullable=False),
        sa.Column("expires", sa.String(length=27), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("last_poll", sa.String(length=27), server_default="", nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("device_code_hash"),
        sa.UniqueConstraint("user_code"),
    )
    op.create_table(
        "event",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=27), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "history",
        sa.Column("rtype", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.String(length=27), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("rtype", "id", "version_id"),
    )
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempt_key"), ["key"], unique=False)

    op.create_table(
        "refresh_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("created", sa.String(length=27), nullable=False),
        sa.Column("expires", sa.String(length=27), nullable=False),
        sa.Column("used", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("revoked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_token_family"), ["family"], unique=False)

    op.create_table(
        "resource",
        sa.Column("rtype", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.String(length=27), nullable=False),
        sa.Column("patient", sa.String(length=64), server_default="", nullable=False),
        sa.Column("ref1", sa.String(length=100), server_default="", nullable=False),
        sa.Column("ref2", sa.String(length=100), server_default="", nullable=False),
        sa.Column("code", sa.String(length=100), server_default="", nullable=False),
        sa.Column("status", sa.String(length=40), server_default="", nullable=False),
        sa.Column("date", sa.String(length=27), server_default="", nullable=False),
        sa.Column("text1", sa.String(length=200), server_default="", nullable=False),
        sa.Column("ident", sa.String(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("rtype", "id"),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index("ix_resource_code", ["rtype", "code"], unique=False)
        batch_op.create_index("ix_resource_last_updated", ["rtype", "last_updated", "id"], unique=False)
        batch_op.create_index("ix_resource_patient", ["rtype", "patient", "date", "id"], unique=False)
        batch_op.create_index("ix_resource_ref1", ["rtype", "ref1", "date", "id"], unique=False)
        batch_op.create_index("ix_resource_ref2", ["rtype", "ref2", "date", "id"], unique=False)
        batch_op.create_index("ix_resource_text1", ["rtype", "text1"], unique=False)
        batch_op.create_index("ux_resource_ident", ["rtype", "ident"], unique=True)

    op.create_table(
        "revoked_session",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("sid"),
    )
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=27), nullable=False),
        sa.Column("private_jwk", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.String(length=27), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("priority_rank", sa.SmallInteger(), nullable=False),
        sa.Column("patient", sa.String(length=64), nullable=False),
        sa.Column("focus", sa.String(length=100), nullable=False),
        sa.Column("authored", sa.String(length=27), nullable=False),
        sa.Column("business_status", sa.String(length=20), nullable=False),
        sa.Column("deadline", sa.String(length=27), nullable=False),
        sa.Column("text1", sa.String(length=200), server_default="", nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index("ix_task_focus", ["focus"], unique=False)
        batch_op.create_index("ix_task_last_updated", ["last_updated", "id"], unique=False)
        batch_op.create_index("ix_task_owner_authored", ["owner", "authored", "id"], unique=False)
        batch_op.create_index(
            "ix_task_owner_queue", ["owner", "status", "priority_rank", "authored", "id"], unique=False
        )
        batch_op.create_index("ix_task_patient", ["patient", "status"], unique=False)
        batch_op.create_index("ix_task_pool_queue", ["pool", "status", "priority_rank", "authored", "id"], unique=False)
        batch_op.create_index(
            "ix_task_pool_tally", ["pool", "owner", "status", "priority_rank", "deadline"], unique=False
        )
        batch_op.create_index(
            "ix_task_safety_net", ["owner", "status", "business_status", "last_updated"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_safety_net")
        batch_op.drop_index("ix_task_pool_tally")
        batch_op.drop_index("ix_task_pool_queue")
        batch_op.drop_index("ix_task_patient")
        batch_op.drop_index("ix_task_owner_queue")
        batch_op.drop_index("ix_task_owner_authored")
        batch_op.drop_index("ix_task_last_updated")
        batch_op.drop_index("ix_task_focus")

    op.drop_table("task")
    op.drop_table("signing_key")
    op.drop_table("revoked_session")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index("ux_resource_ident")
        batch_op.drop_index("ix_resource_text1")
        batch_op.drop_index("ix_resource_ref2")
        batch_op.drop_index("ix_resource_ref1")
        batch_op.drop_index("ix_resource_patient")
        batch_op.drop_index("ix_resource_last_updated")
        batch_op.drop_index("ix_resource_code")

    op.drop_table("resource")
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_token_family"))

    op.drop_table("refresh_token")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_key"))

    op.drop_table("login_attempt")
    op.drop_table("lease")
    op.drop_table("history")
    op.drop_table("event")
    op.drop_table("device_code")
    with op.batch_alter_table("break_glass", schema=None) as batch_op:
        batch_op.drop_index("ix_break_glass_lookup")

    op.drop_table("break_glass")
    op.drop_table("account")
