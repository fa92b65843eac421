"""Patient notifications: the outbox (notification) and the notification settings (notify_setting)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Issue 17. New tables only; no existing row is touched.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "notification",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.String(length=27), nullable=False),
        sa.Column("next_attempt", sa.String(length=27), nullable=False),
        sa.Column("lease_until", sa.String(length=27), server_default="", nullable=False),
        sa.Column("worker", sa.String(length=100), server_default="", nullable=False),
        sa.Column("finished", sa.String(length=27), server_default="", nullable=False),
        sa.Column("error", sa.String(length=40), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event", "recipient", "channel", name="ux_notification_event"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_due", ["state", "next_attempt"], unique=False)
        batch_op.create_index("ix_notification_finished", ["state", "finished"], unique=False)

    op.create_table(
        "notify_setting",
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("updated", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("owner"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("notify_setting")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_finished")
        batch_op.drop_index("ix_notification_due")

    op.drop_table("notification")
