"""SQL schema. Resources are stored as FHIR JSON with the columns their searches need.

Tasks, the inbox's hot path, have a table of their own with an index shaped for each inbox
query; every other resource shares `resource` with generic, indexed search columns.
Timestamps are stored as fixed-width UTC ISO strings (sortable as text on both databases).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

task = sa.Table(
    "task",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("last_updated", sa.String(27), nullable=False),
    sa.Column("owner", sa.String(100), nullable=False),  # "HealthcareService/x" | "Practitioner/y"
    sa.Column("pool", sa.String(64), nullable=False),  # the inbox the item belongs to
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("priority_rank", sa.SmallInteger, nullable=False),
    sa.Column("patient", sa.String(64), nullable=False),
    sa.Column("focus", sa.String(100), nullable=False),
    sa.Column("authored", sa.String(27), nullable=False),
    sa.Column("business_status", sa.String(20), nullable=False),
    sa.Column("deadline", sa.String(27), nullable=False),  # "" when none
    sa.Column("text1", sa.String(200), nullable=False, server_default=""),  # description, lower case
    sa.Column("content", sa.Text, nullable=False),
    sa.Index("ix_task_owner_queue", "owner", "status", "priority_rank", "authored", "id"),
    sa.Index("ix_task_pool_queue", "pool", "status", "priority_rank", "authored", "id"),
    sa.Index("ix_task_owner_authored", "owner", "authored", "id"),
    sa.Index("ix_task_patient", "patient", "status"),
    sa.Index("ix_task_focus", "focus"),
    sa.Index("ix_task_last_updated", "last_updated", "id"),
    # The safety net's candidates: unopened items owned by one pool that have waited since a cutoff.
    sa.Index("ix_task_safety_net", "owner", "status", "business_status", "last_updated"),
    # Covers the inbox counts (waiting, urgent, overdue) so they never read the rows themselves.
    sa.Index("ix_task_pool_tally", "pool", "owner", "status", "priority_rank", "deadline"),
)

resource = sa.Table(
    "resource",
    metadata,
    sa.Column("rtype", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("last_updated", sa.String(27), nullable=False),
    sa.Column("patient", sa.String(64), nullable=False, server_default=""),
    sa.Column("ref1", sa.String(100), nullable=False, server_default=""),
    sa.Column("ref2", sa.String(100), nullable=False, server_default=""),
    sa.Column("code", sa.String(100), nullable=False, server_default=""),
    sa.Column("status", sa.String(40), nullable=False, server_default=""),
    sa.Column("date", sa.String(27), nullable=False, server_default=""),
    sa.Column("text1", sa.String(200), nullable=False, server_default=""),
    sa.Column("ident", sa.String(200), nullable=True),  # client-made identifier, unique per type
    sa.Column("content", sa.Text, nullable=False),
    sa.Index("ix_resource_patient", "rtype", "patient", "date", "id"),
    sa.Index("ix_resource_ref1", "rtype", "ref1", "date", "id"),
    sa.Index("ix_resource_ref2", "rtype", "ref2", "date", "id"),
    sa.Index("ix_resource_code", "rtype", "code"),
    sa.Index("ix_resource_text1", "rtype", "text1"),
    sa.Index("ix_resource_last_updated", "rtype", "last_updated", "id"),
    sa.Index("ux_resource_ident", "rtype", "ident", unique=True),
)

history = sa.Table(
    "history",
    metadata,
    sa.Column("rtype", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("version_id", sa.Integer, primary_key=True),
    sa.Column("last_updated", sa.String(27), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
)

# Inbox change events, in commit order per process; the event stream reads them by sequence.
event = sa.Table(
    "event",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("at", sa.String(27), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)

# --- identity (see helsami_portal.auth) ------------------------------------------------------

account = sa.Table(
    "account",
    metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # staff | patient
    sa.Column("resource", sa.String(100), nullable=False),  # Practitioner/x | Patient/x | RelatedPerson/x
    sa.Column("display", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
)

signing_key = sa.Table(
    "signing_key",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("created", sa.String(27), nullable=False),
    sa.Column("private_jwk", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

device_code = sa.Table(
    "device_code",
    metadata,
    sa.Column("device_code_hash", sa.String(64), primary_key=True),
    sa.Column("user_code", sa.String(16), nullable=False, unique=True),
    sa.Column("client_id", sa.String(100), nullable=False),
    sa.Column("client_info", sa.String(300), nullable=False),
    sa.Column("created", sa.String(27), nullable=False),
    sa.Column("expires", sa.String(27), nullable=False),
    sa.Column("interval", sa.Integer, nullable=False),
    sa.Column("last_poll", sa.String(27), nullable=False, server_default=""),
    sa.Column("state", sa.String(12), nullable=False),  # pending | approved | denied | used
    sa.Column("username", sa.String(100), nullable=True),
)

refresh_token = sa.Table(
    "refresh_token",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("family", sa.String(64), nullable=False, index=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("client_id", sa.String(100), nullable=False),
    sa.Column("created", sa.String(27), nullable=False),
    sa.Column("expires", sa.String(27), nullable=False),
    sa.Column("used", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
)

revoked_session = sa.Table(
    "revoked_session",
    metadata,
    sa.Column("sid", sa.String(64), primary_key=True),
    sa.Column("revoked_at", sa.String(27), nullable=False),
)

login_attempt = sa.Table(
    "login_attempt",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, index=True),
    sa.Column("at", sa.String(27), nullable=False),
)

break_glass = sa.Table(
    "break_glass",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("practitioner", sa.String(64), nullable=False),
    sa.Column("patient", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("granted", sa.String(27), nullable=False),
    sa.Column("expires", sa.String(27), nullable=False),
    sa.Index("ix_break_glass_lookup", "practitioner", "patient", "expires"),
)

# Leader leases for background jobs (safety net, automatic release) across processes.
lease = sa.Table(
    "lease",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("expires", sa.String(27), nullable=False),
)
