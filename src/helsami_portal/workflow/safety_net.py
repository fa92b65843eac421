"""The safety net: items nobody opens move to the inbox's back-up inbox.

Each inbox (HealthcareService) states a back-up inbox (`backup-inbox`), a delay
(`safety-net-delay`, minutes) and whether time counts as working time (`counts-working-time`).
An item still unopened in its inbox (status `requested`, owned by the inbox itself, business
status `new`, or `escalated` after an earlier move) for longer than the delay since it arrived
there (`last_updated`: it is written when the item arrives and whenever it changes) moves to the
back-up: owner and `task-pool` become the back-up, business status `escalated`, the `escalated`
extension is set and an internal note says why. It is a normal versioned update with a change
event (action `escalate`), so the whole history is kept; patients see nothing of it (they never
see Tasks). A moved item restarts the delay in its new inbox, so back-ups chain.

Several workers and servers may run this at once on one PostgreSQL database: candidates are
locked with `FOR UPDATE SKIP LOCKED` (PostgreSQL re-checks the condition on the newest row
version when it takes the lock), the condition is checked again on the locked resource, and the
update carries the version it read. On SQLite the single writer does the same job.

The response deadline of new items (`response_deadline`) uses the same calendar.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from ..fhir import conventions as c, timeutil
from ..fhir.registry import ref_id, ref_of
from ..store import directory, queues
from ..store.store import Store, Tx
from . import working_time

log = logging.getLogger("helsami_portal.safety_net")
Resource = dict[str, Any]
UNOPENED = ("new", "escalated")
BATCH = 200
SYSTEM_AUTHOR = {"display": "Sikkerhetsnettet (safety net)"}


def _ext(r: Resource, url: str) -> dict[str, Any]:
    for e in r.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == url:
            return e
    return {}


def _minutes(duration: Any) -> float | None:
    """A FHIR Duration in minutes; None if it is missing or unreadable."""
    if not isinstance(duration, dict):
        return None
    try:
        value = float(duration["value"])
    except (KeyError, TypeError, ValueError):
        return None
    unit = str(duration.get("code") or duration.get("unit") or "")
    factor = {"min": 1, "h": 60, "d": working_time.DAY_MINUTES, "wd": working_time.DAY_MINUTES}.get(unit)
    if factor is None or value < 0:
        return None
    return value * factor


@dataclass(frozen=True)
class InboxRule:
    """The safety-net settings of one inbox."""

    id: str
    name: str
    backup: str  # HealthcareService id, "" if none
    delay_min: float  # 0 = no safety net
    working: bool
    active: bool = True

    @classmethod
    def of(cls, svc: Resource) -> InboxRule:
        backup = ref_id(_ext(svc, c.EXT_BACKUP_INBOX).get("valueReference"), "HealthcareService")
        delay = _minutes(_ext(svc, c.EXT_SAFETY_NET_DELAY).get("valueDuration")) or 0.0
        return cls(
            str(svc["id"]),
            str(svc.get("name") or ""),
            backup,
            delay,
            _ext(svc, c.EXT_WORKING_TIME).get("valueBoolean") is True,
            svc.get("active") is not False,
        )

    def cutoff(self, now: dt.datetime) -> str:
        """Items that arrived (or last changed) at or before this instant have waited the delay."""
        return timeutil.instant(working_time.add_time(now, -self.delay_min, working=self.working))


def response_deadline(service: Resource, now: str) -> str:
    """The response deadline of an item arriving at `now` in `service` ("" if it states none).

    The stated response time (`response-time`, unit `d`) is in working days when the inbox
    counts working time, calendar days when it does not; `h` and `min` are also understood.
    """
    d = _ext(service, c.EXT_RESPONSE_TIME).get("valueDuration")
    if not isinstance(d, dict):
        return ""
    try:
        value = float(d["value"])
    except (KeyError, TypeError, ValueError):
        return ""
    unit = d.get("code") or d.get("unit")
    working = _ext(service, c.EXT_WORKING_TIME).get("valueBoolean") is True
    start = timeutil.parse(now)
    if unit in ("d", "wd"):
        if working:
            return timeutil.instant(working_time.add_working_days(start, value))
        return timeutil.instant(start + dt.timedelta(days=value))
    if unit == "h":
        return timeutil.instant(working_time.add_time(start, value * 60, working=working))
    if unit == "min":
        return timeutil.instant(working_time.add_time(start, value, working=working))
    return ""


def inbox_rules(tx: Tx) -> dict[str, InboxRule]:
    rules = [InboxRule.of(json.loads(content)) for content in directory.services(tx)]
    return {r.id: r for r in rules}


def _candidates(pool: str, cutoff: str) -> Select[Any]:
    # Backed by ix_task_safety_net (owner, status, business_status, last_updated); the pool is
    # checked again on each locked item (an item owned by its inbox belongs to it).
    return queues.unopened(f"HealthcareService/{pool}", c.STATUS_WAITING, UNOPENED, cutoff)


def is_due(t: Resource, rule: InboxRule, cutoff: str, last_updated: str) -> bool:
    """The condition, checked again on the locked, current version of the item (`last_updated`
    is the locked row's column, which the store writes with every version)."""
    business = ((t.get("businessStatus") or {}).get("coding") or [{}])[0].get("code")
    pool = ref_id(_ext(t, c.EXT_TASK_POOL).get("valueReference"), "HealthcareService") or ref_id(
        t.get("owner"), "HealthcareService"
    )
    return (
        t.get("status") == c.STATUS_WAITING
        and business in UNOPENED
        and ref_of(t.get("owner")) == f"HealthcareService/{rule.id}"
        and pool == rule.id
        and last_updated <= cutoff
    )


def _describe(rule: InboxRule) -> str:
    amount = f"{rule.delay_min:g} minutes"
    if rule.delay_min >= 60 and rule.delay_min % 60 == 0:
        amount = f"{rule.delay_min / 60:g} hours"
    return amount + (" of working time" if rule.working else "")


def escalate(tx: Tx, t: Resource, rule: InboxRule, backup: Resource) -> Resource:
    """Move one item to the back-up inbox, as a versioned update with a change event."""
    new = copy.deepcopy(t)
    ref = {"reference": f"HealthcareService/{backup['id']}", "display": backup.get("name", "")}
    new["owner"] = dict(ref)
    exts = [e for e in new.get("extension") or [] if e.get("url") not in (c.EXT_TASK_POOL, c.EXT_ESCALATED)]
    exts.append({"url": c.EXT_TASK_POOL, "valueReference": dict(ref)})
    exts.append({"url": c.EXT_ESCALATED, "valueBoolean": True})
    new["extension"] = exts
    new["businessStatus"] = {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "escalated"}], "text": "escalated"}
    new.setdefault("note", []).append(
        {
            "authorString": SYSTEM_AUTHOR["display"],
            "time": tx.now,
            "text": f"Moved by the safety net from {rule.name or rule.id} to {backup.get('name') or backup['id']}: "
            f"not opened within {_describe(rule)}.",
        }
    )
    new["lastModified"] = tx.now
    saved = tx.update(new, expected_version=int(t["meta"]["versionId"]))
    tx.emit(
        {
            "type": "Task",
            "id": saved["id"],
            "versionId": saved["meta"]["versionId"],
            "owner": ref_of(saved.get("owner")),
            "pool": backup["id"],
            "status": saved.get("status"),
            "code": ((saved.get("code") or {}).get("coding") or [{}])[0].get("code", ""),
            "action": "escalate",
        }
    )
    return saved


def run_once(store: Store, now: dt.datetime | None = None, *, batch: int = BATCH) -> int:
    """Move every item that is due at `now`; returns how many moved (by this caller).

    Safe to run in several processes at once. Each batch is its own transaction, so a long run
    never holds many locks, and items moved by another worker meanwhile are simply not seen.
    """
    now = now or timeutil.utcnow()
    with store.read() as tx:
        rules = inbox_rules(tx)
    moved = 0
    for rule in sorted(rules.values(), key=lambda r: r.id):
        if not rule.backup or rule.delay_min <= 0 or not rule.active:
            continue
        backup_rule = rules.get(rule.backup)
        if backup_rule is None or not backup_rule.active or rule.backup == rule.id:
            log.warning(
                "inbox %s has a back-up inbox that does not exist or is not active; its safety net is off", rule.id
            )
            continue
        cutoff = rule.cutoff(now)
        while True:
            n, more = _move_batch(store, rule, cutoff, now, batch)
            moved += n
            if not more:
                break
    return moved


def _move_batch(store: Store, rule: InboxRule, cutoff: str, now: dt.datetime, batch: int) -> tuple[int, bool]:
    with store.write() as tx:
        tx.now = timeutil.instant(now)  # the job's clock (tests control it)
        rows = queues.lock(tx, _candidates(rule.id, cutoff).limit(batch))
        if not rows:
            return 0, False
        backup = tx.get("HealthcareService", rule.backup)
        if backup is None:
            return 0, False
        n = 0
        for tid, last_updated in rows:
            t = tx.get("Task", tid)
            if t is None or not is_due(t, rule, cutoff, last_updated):
                continue
            escalate(tx, t, rule, backup)
            n += 1
    log.info("safety net: %d item(s) moved from %s to %s", n, rule.id, rule.backup)
    # A full batch may mean more are due; a batch of nothing but skipped rows means another worker
    # holds them, and it will move them.
    return n, len(rows) == batch and n > 0
