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
    # Who placed the item in its inbox and where it came from (fhir.columns.task_care_columns): the
    # care relation of a page's patients is read from ix_task_patient_care alone, no JSON decoded.
    sa.Column("placed_by", sa.String(100), nullable=False, server_default=""),
    sa.Column("origin", sa.String(10), nullable=False, server_default=""),
    sa.Column("content", sa.Text, nullable=False),
    sa.Index("ix_task_owner_queue", "owner", "status", "priority_rank", "authored", "id"),
    sa.Index("ix_task_pool_queue", "pool", "status", "priority_rank", "authored", "id"),
    sa.Index("ix_task_owner_authored", "owner", "authored", "id"),
    # A patient's items (by status), and the care relation's test of pool, owner and last_updated
    # on the index (workflow.care), not on each item's row.
    sa.Index(
        "ix_task_patient_care",
        "patient",
        "status",
        "pool",
        "owner",
        "last_updated",
        "authored",
        "id",
        "placed_by",
        "origin",
    ),
    sa.Index("ix_task_focus", "focus"),
    sa.Index("ix_task_last_updated", "last_updated", "id"),
    # The safety net's candidates: unopened items owned by one pool that have waited since a cutoff.
    sa.Index("ix_task_safety_net", "owner", "status", "business_status", "last_updated"),
    # The list orders by time: each (scope, status) in authored order (either way).
    sa.Index("ix_task_pool_authored", "pool", "status", "authored", "id"),
    sa.Index("ix_task_owner_status_authored", "owner", "status", "authored", "id"),
    # Today's overdue items for the counts (store.tally): one day's range of open items.
    sa.Index("ix_task_pool_due", "pool", "status", "deadline"),
    sa.Index("ix_task_owner_due", "owner", "status", "deadline"),
)

# Inbox counters, kept in the transaction of every Task change (see store.tally).
task_tally = sa.Table(
    "task_tally",
    metadata,
    sa.Column("scope", sa.String(120), primary_key=True),  # "pool:<id>" | "owner:<reference>"
    sa.Column("kind", sa.String(10), primary_key=True),  # waiting | open | urgent | due
    sa.Column("day", sa.String(10), primary_key=True),  # the deadline's UTC day for "due", else ""
    sa.Column("n", sa.Integer, nullable=False),
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

# The access log (innsynslogg), narrow: one row per patient per request, rendered as AuditEvent when
# read (store.access_log). Searched by patient, by agent, or by time, newest first.
access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("recorded", sa.String(27), nullable=False),
    sa.Column("patient", sa.String(64), nullable=False),
    sa.Column("agent", sa.String(100), nullable=False),  # Practitioner/x | Patient/x | RelatedPerson/x
    sa.Column("agent_display", sa.String(200), nullable=False, server_default=""),
    sa.Column("agent_kind", sa.String(10), nullable=False),  # staff | patient
    sa.Column("role", sa.String(40), nullable=False, server_default=""),
    sa.Column("role_text", sa.String(300), nullable=False, server_default=""),
    sa.Column("purpose", sa.String(10), nullable=False),  # v3-ActReason: TREAT | BTG | PATADMIN
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("interaction", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(2), nullable=False),  # 0 success | 4 refused
    sa.Column("what", sa.String(500), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_access_log_patient", "patient", "recorded", "id"),
    sa.Index("ix_access_log_agent", "agent", "recorded", "id"),
    sa.Index("ix_access_log_recorded", "recorded", "id"),
)

# Inbox change events, in commit order per process; the event stream reads them by sequence.
event = sa.Table(
    "event",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
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

# A counter bumped in the transaction of every change that can change a signed-in user's principal
# (a session revoked, a Practitioner or PractitionerRole changed): each process keeps the principals
# it built while the counter is unchanged, and rebuilds them once it moves (one primary-key read per
# request instead of the revocation check and the role look-up).
auth_epoch = sa.Table(
    "auth_epoch",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

login_attempt = sa.Table(
    "login_attempt",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
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

# --- patient notifications (see helsami_portal.workflow.notify and helsami_portal.delivery) ------

# A patient's or proxy's choice of notification channels; no row: the defaults (workflow.notify).
notify_setting = sa.Table(
    "notify_setting",
    metadata,
    sa.Column("owner", sa.String(100), primary_key=True),  # Patient/x | RelatedPerson/y
    sa.Column("email", sa.Boolean, nullable=False),
    sa.Column("sms", sa.Boolean, nullable=False),
    sa.Column("language", sa.String(5), nullable=False),  # nb | en
    sa.Column("updated", sa.String(27), nullable=False),
)

# The notification outbox: written in the transaction of the event, sent by the jobs.
# state: pending -> sending (claimed by `worker` until `lease_until`) -> sent | failed; a failed try
# that may succeed later goes back to pending with a later `next_attempt`.
notification = sa.Table(
    "notification",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event", sa.String(100), nullable=False),  # what arrived: Communication/x, DiagnosticReport/y
    sa.Column("kind", sa.String(20), nullable=False),  # message | result
    sa.Column("recipient", sa.String(100), nullable=False),  # Patient/x | RelatedPerson/y
    sa.Column("channel", sa.String(10), nullable=False),  # email | sms
    sa.Column("address", sa.String(200), nullable=False),
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created", sa.String(27), nullable=False),
    sa.Column("next_attempt", sa.String(27), nullable=False),
    sa.Column("lease_until", sa.String(27), nullable=False, server_default=""),
    sa.Column("worker", sa.String(100), nullable=False, server_default=""),
    sa.Column("finished", sa.String(27), nullable=False, server_default=""),  # sent or given up
    sa.Column("error", sa.String(40), nullable=False, server_default=""),  # a code, never a message
    sa.UniqueConstraint("event", "recipient", "channel", name="ux_notification_event"),
    sa.Index("ix_notification_due", "state", "next_attempt"),
    sa.Index("ix_notification_finished", "state", "finished"),
)
