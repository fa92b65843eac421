"""What IT support sees: inbox set-up and queue health, and no patient data at all.

Every number here is a count or an age; no Task, Patient or message content leaves this module.
Staff names and roles are staff data (the directory), not patient data.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, timeutil
from ..fhir.registry import first_code, human_name, ref_id, ref_of
from ..store import queues as pool_queues
from ..store.query import parse_query
from ..store.store import Store
from . import access

Resource = dict[str, Any]
SUPPORT_ROLES = ("it-support",)


def _ext(r: Resource, url: str) -> dict[str, Any]:
    for e in r.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == url:
            return e
    return {}


def _duration(r: Resource, url: str) -> dict[str, Any] | None:
    d = _ext(r, url).get("valueDuration")
    if not isinstance(d, dict):
        return None
    return {"value": d.get("value"), "unit": d.get("code") or d.get("unit")}


def queues(store: Store, p: Principal) -> dict[str, Any]:
    """Every inbox with its set-up, members, queue depth, oldest unopened age and recent escalations."""
    access.require_role(p, *SUPPORT_ROLES, what="see inbox set-up and queues")
    with store.read() as tx:
        now = timeutil.utcnow()
        since = timeutil.instant(now - dt.timedelta(hours=24))
        services = tx.search("HealthcareService", parse_query("HealthcareService", []).where, count=500).rows
        orgs = {
            o["id"]: o.get("name", "")
            for o in tx.search("Organization", parse_query("Organization", []).where, count=500).rows
        }
        roles = tx.search("PractitionerRole", parse_query("PractitionerRole", []).where, count=500)
        members: dict[str, list[dict[str, Any]]] = {}
        pracs = {
            r["id"]: human_name(r)
            for r in tx.search("Practitioner", parse_query("Practitioner", []).where, count=500).rows
        }
        for role in roles.rows:
            if role.get("active") is False:
                continue
            prac = ref_id(role.get("practitioner"), "Practitioner")
            codes = sorted({first_code(cc, c.STAFF_ROLE) for cc in role.get("code") or []} - {""})
            for svc in role.get("healthcareService") or []:
                sid = ref_id(svc, "HealthcareService")
                if sid:
                    members.setdefault(sid, []).append(
                        {"practitioner": f"Practitioner/{prac}", "name": pracs.get(prac, ""), "roles": codes}
                    )

        waiting = pool_queues.tasks_per_pool(tx, c.STATUS_WAITING)
        claimed = pool_queues.tasks_per_pool(tx, c.STATUS_CLAIMED)
        oldest = pool_queues.oldest_per_pool(tx, c.STATUS_WAITING, "new")
        escalated: dict[str, int] = {}
        # Only Tasks changed in the last 24 hours are read, and only their escalation flag is looked at.
        for pool, content in pool_queues.changed_with_text(tx, since, c.EXT_ESCALATED):
            if _ext(json.loads(content), c.EXT_ESCALATED).get("valueBoolean") is True:
                escalated[pool] = escalated.get(pool, 0) + 1

        out = []
        for svc in sorted(services, key=lambda s: (str(s.get("name", "")), s["id"])):
            sid = svc["id"]
            org = ref_id(svc.get("providedBy"), "Organization")
            first = oldest.get(sid)
            age = None
            if first:
                try:
                    age = max(0, int((now - timeutil.parse(first)).total_seconds()))
                except ValueError:
                    age = None
            out.append(
                {
                    "id": sid,
                    "name": svc.get("name", ""),
                    "active": svc.get("active", True),
                    "organization": {"reference": f"Organization/{org}" if org else "", "name": orgs.get(org, "")},
                    "kind": first_code(svc.get("type"), c.INBOX_KIND),
                    "backup": ref_of(_ext(svc, c.EXT_BACKUP_INBOX).get("valueReference")) or None,
                    "safetyNetDelay": _duration(svc, c.EXT_SAFETY_NET_DELAY),
                    "responseTime": _duration(svc, c.EXT_RESPONSE_TIME),
                    "members": sorted(members.get(sid, []), key=lambda m: m["name"]),
                    "waiting": waiting.get(sid, 0),
                    "claimed": claimed.get(sid, 0),
                    "oldestUnopenedSeconds": age,
                    "escalatedLast24h": escalated.get(sid, 0),
                }
            )
        return {"generated": timeutil.instant(now), "inboxes": out}
