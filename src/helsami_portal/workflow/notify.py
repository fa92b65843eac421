"""Patient notifications (varsler): who is told that something arrived, and the outbox they leave by.

When something arrives for a patient (a staff message: a reply, a released result, a decided renewal,
an appointment confirmed, proposed or cancelled; or a result released automatically after 14 days),
the workflow calls `enqueue(tx, ...)` in the transaction that writes it. `enqueue` writes one row per
recipient and channel to the outbox (`store.schema.notification`): the patient and every proxy whose
level lets them see what arrived, each by the channels they chose (`/patient/settings`). The rows
commit or roll back with the event; the jobs send them (`helsami_portal.delivery`), and no row is
sent twice by several workers: a worker claims rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite:
an `UPDATE ... WHERE state = 'pending'` that only one writer can win) for a lease, sends, and records
the outcome; a failed try goes back to pending with exponential backoff, and after `MAX_ATTEMPTS`
(or `MAX_AGE` without a way to send it) the row is failed for good. Before each try the row is
checked again (`still_wanted`): one whose recipient would no longer be told (a proxy's grant ended,
the channel turned off, the address changed) is `withdrawn`, not sent.

What a notification says is fixed ("Du har fått en ny melding i HelsaMi" and a link, in the
recipient's language, `delivery.TEXTS`): the outbox holds no text, only where to send it. IT support
sees counts, ages, channels and error codes of the outbox (`health`), never a recipient or an address.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Any

from ..auth.principal import Principal
from ..fhir import timeutil
from ..fhir.registry import ref_id
from ..store import outbox
from ..store.query import parse_query
from ..store.store import Store, Tx, new_id
from . import access
from .notify_settings import (
    CHANNELS,
    LANGUAGES,
    Preferences,
    addresses,
    get_settings,
    preferences,
    preferences_of,
    put_settings,
)

__all__ = [  # the settings are notify_settings.py; callers find them here too
    "CHANNELS",
    "LANGUAGES",
    "Preferences",
    "addresses",
    "get_settings",
    "preferences",
    "put_settings",
]

Resource = dict[str, Any]
KINDS = ("message", "result")
# What each proxy level lets a proxy see, and so be told about (workflow.patient_side: every level
# reads messages; "messages" (Bare kommunisere) sees no results).
LEVELS_TOLD = {
    "message": frozenset({"self", "full", "standard", "read", "messages"}),
    "result": frozenset({"self", "full", "standard", "read"}),
}
BACKOFF_BASE = dt.timedelta(seconds=30)  # after the n-th failed try: BASE * 2**(n-1), at most BACKOFF_MAX
BACKOFF_MAX = dt.timedelta(hours=1)
MAX_ATTEMPTS = 8  # then failed for good ("gave-up:<last error>")
MAX_AGE = dt.timedelta(hours=24)  # a notification not sent by then is stale: failed ("expired")
# A claimed row another worker may take over after (its worker died); renewed just before each try
# (`renew`), so it only has to outlast one try (Settings.notify_timeout_seconds is at most 2 minutes).
LEASE = dt.timedelta(minutes=10)
SUPPORT_ROLES = ("it-support",)

# The channels this portal can send (Settings: an SMTP relay, an SMS gateway), per store; a channel
# nobody can send is not written to the outbox.
_configured: weakref.WeakKeyDictionary[Store, frozenset[str]] = weakref.WeakKeyDictionary()


def configure(store: Store, channels: set[str] | frozenset[str]) -> None:
    _configured[store] = frozenset(ch for ch in channels if ch in CHANNELS)


def configured(store: Store) -> frozenset[str]:
    return _configured.get(store, frozenset())


# -- the outbox --------------------------------------------------------------------------------


def _recipients(tx: Tx, patient_id: str, kind: str) -> list[tuple[str, Resource]]:
    """(reference, record) of the patient and of each proxy told about `kind` now."""
    from .proxies import related_level

    told = LEVELS_TOLD[kind]
    out: list[tuple[str, Resource]] = []
    patient = tx.get("Patient", patient_id)
    if patient is None:
        return out
    if (
        patient.get("active") is not False
        and not patient.get("deceasedBoolean")
        and not patient.get("deceasedDateTime")
    ):
        out.append((f"Patient/{patient_id}", patient))
    q = parse_query("RelatedPerson", [("patient", f"Patient/{patient_id}")])
    for rp in tx.search("RelatedPerson", q.where, count=50).rows:
        pid, level = related_level(tx, rp)
        if pid == patient_id and level in told:
            out.append((f"RelatedPerson/{rp['id']}", rp))
    return out


def enqueue(tx: Tx, patient: str, kind: str, event: str) -> int:
    """Tell the patient (and the proxies whose level covers `kind`) that `event` arrived: one outbox
    row per recipient and chosen channel, in this transaction. Returns how many rows were written;
    calling it again for the same event writes none."""
    channels = configured(tx.store)
    if not channels:
        return 0
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    patient_id = ref_id({"reference": patient}, "Patient") if "/" in patient else patient
    rows: list[dict[str, Any]] = []
    recipients = _recipients(tx, patient_id, kind)
    if not recipients:
        return 0
    chosen = preferences_of(tx, recipients)
    for ref, record in recipients:
        prefs = chosen[ref]
        have = addresses(record)
        for ch in CHANNELS:
            if ch in channels and getattr(prefs, ch) and have[ch]:
                rows.append(
                    {
                        "id": new_id(),
                        "event": event[:100],
                        "kind": kind,
                        "recipient": ref,
                        "channel": ch,
                        "address": have[ch],
                        "language": prefs.language,
                        "state": "pending",
                        "attempts": 0,
                        "created": tx.now,
                        "next_attempt": tx.now,
                    }
                )
    if not rows:
        return 0
    seen = outbox.written_for(tx, event[:100])
    rows = [r for r in rows if (r["recipient"], r["channel"]) not in seen]
    if rows:
        outbox.insert(tx, rows)
    return len(rows)


@dataclass(frozen=True)
class Claimed:
    id: str
    channel: str
    address: str
    language: str
    attempts: int
    recipient: str = ""
    kind: str = "message"


def claim(store: Store, now: dt.datetime, worker: str, channels: frozenset[str], limit: int = 50) -> list[Claimed]:
    """Take up to `limit` due rows of `channels` for `worker` until now + LEASE. Each row is claimed by
    one worker only: on PostgreSQL the candidates are locked and those another worker holds are
    skipped; on SQLite each is taken by an UPDATE that matches only while the row is still due."""
    if not channels:
        return []
    now_s = timeutil.instant(now)
    lease = timeutil.instant(now + LEASE)
    with store.write() as tx:
        taken, rows = outbox.claim_due(tx, now_s, lease, worker, channels, limit)
    if not taken:
        return []
    order = {rid: i for i, rid in enumerate(taken)}
    return sorted(
        (Claimed(r.id, r.channel, r.address, r.language, int(r.attempts), r.recipient, r.kind) for r in rows),
        key=lambda c: order[c.id],
    )


def still_wanted(store: Store, c: Claimed) -> bool:
    """Just before a try: whether the recipient would still be told, by this channel, at this address
    (a row may wait a day for its tries): the proxy's grant still covers the kind, the patient is
    still active, the channel is still chosen, and the address is still the record's."""
    from .proxies import related_level

    typ, _, rid = c.recipient.partition("/")
    if typ not in ("Patient", "RelatedPerson") or not rid:
        return True  # a row written before rows named their recipient's kind: as written
    with store.read() as tx:
        record = tx.get(typ, rid)
        if record is None:
            return False
        if typ == "RelatedPerson":
            _pid, level = related_level(tx, record)
            if level not in LEVELS_TOLD.get(c.kind, frozenset()):
                return False
        elif record.get("active") is False or record.get("deceasedBoolean") or record.get("deceasedDateTime"):
            return False
        prefs = preferences(tx, c.recipient, record)
        return bool(getattr(prefs, c.channel, False)) and addresses(record).get(c.channel) == c.address


def mark_withdrawn(store: Store, c: Claimed, worker: str, now: dt.datetime) -> bool:
    """A claimed row not sent because it is no longer wanted (`still_wanted`): done, not a failure."""
    with store.write() as tx:
        return outbox.update_claimed(
            tx, c.id, worker, dict(state="withdrawn", finished=timeutil.instant(now), error="withdrawn", lease_until="")
        )


def renew(store: Store, c: Claimed, worker: str, now: dt.datetime) -> bool:
    """Just before a try: extend `worker`'s claim from `now`; False if the claim ran out and another
    worker took the row (then this one must not send it)."""
    with store.write() as tx:
        return outbox.update_claimed(tx, c.id, worker, dict(lease_until=timeutil.instant(now + LEASE)))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: 30 s, 1 min, 2 min, ... at most an hour."""
    return min(BACKOFF_BASE * (1 << min(max(0, attempts - 1), 20)), BACKOFF_MAX)


def mark_sent(store: Store, c: Claimed, worker: str, now: dt.datetime) -> bool:
    with store.write() as tx:
        return outbox.update_claimed(
            tx, c.id, worker, dict(state="sent", finished=timeutil.instant(now), error="", lease_until="")
        )


def mark_failed(store: Store, c: Claimed, worker: str, now: dt.datetime, error: str, *, retry: bool) -> str:
    """Record a failed try: back to pending after `backoff`, or failed for good (a permanent error,
    or the last attempt). Returns the new state."""
    final = not retry or c.attempts >= MAX_ATTEMPTS
    values: dict[str, Any] = {"error": error[:40], "lease_until": ""}
    if final:
        values.update(
            state="failed", finished=timeutil.instant(now), error=(error if not retry else f"gave-up:{error}")[:40]
        )
    else:
        values.update(state="pending", next_attempt=timeutil.instant(now + backoff(c.attempts)))
    with store.write() as tx:
        outbox.update_claimed(tx, c.id, worker, values)
    return str(values["state"])


def expire(store: Store, now: dt.datetime) -> int:
    """Rows still pending MAX_AGE after they were made (no channel to send them, a long outage) are
    failed ("expired"): a late "you have a message" is no use."""
    cutoff = timeutil.instant(now - MAX_AGE)
    with store.write() as tx:
        return outbox.expire_pending(tx, cutoff, timeutil.instant(now))


# -- what IT support sees ----------------------------------------------------------------------


def health(store: Store, p: Principal, *, limit: int = 100) -> dict[str, Any]:
    """The outbox for IT support: counts by state and channel, the oldest pending age, and the
    latest failures (id, channel, kind, attempts, error code, times); never a recipient, an address
    or what the notification was about."""
    access.require_role(p, *SUPPORT_ROLES, what="see the notification outbox")
    now = timeutil.utcnow()
    since = timeutil.instant(now - dt.timedelta(hours=24))
    with store.read() as tx:
        h = outbox.health(tx, since, limit)
    age = None
    if h.oldest_open:
        try:
            age = max(0, int((now - timeutil.parse(str(h.oldest_open))).total_seconds()))
        except ValueError:
            age = None
    return {
        "generated": timeutil.instant(now),
        "channels": sorted(configured(store)),
        "counts": h.counts,
        "oldestPendingSeconds": age,
        "failedLast24h": h.failed_since,
        "retrying": h.retrying,
        "failures": [
            {
                "id": r.id,
                "channel": r.channel,
                "kind": r.kind,
                "attempts": int(r.attempts),
                "error": r.error,
                "created": r.created,
                "failed": r.finished,
            }
            for r in h.failures
        ],
    }
