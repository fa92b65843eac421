"""The caller's inboxes with counts (GET /fhir/$pools): the personal entry counts urgent and overdue too."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.store.schema import task


def _own_item(portal: EmbeddedPortal, owner: str, *, priority: str, deadline: str) -> None:
    with portal.store.write() as tx:
        tx.create(
            {
                "resourceType": "Task",
                "status": "in-progress",
                "intent": "order",
                "priority": priority,
                "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
                "code": {"coding": [{"system": c.TASK_TYPE, "code": "message"}]},
                "description": "Eget",
                "for": {"reference": "Patient/pat-000001"},
                "authoredOn": tx.now,
                "owner": {"reference": owner},
                "restriction": {"period": {"end": deadline}},
                "extension": [
                    {
                        "url": c.EXT_TASK_POOL,
                        "valueReference": {"reference": "HealthcareService/hs-fjordvik-legesenter"},
                    }
                ],
            }
        )


def truth(portal: EmbeddedPortal, owner: str) -> tuple[int, int, int]:
    with portal.store.read() as tx:
        rows = tx.conn.execute(
            sa.select(task.c.priority_rank, task.c.deadline).where(
                task.c.owner == owner, task.c.status.in_(c.OPEN_STATUSES)
            )
        ).all()
        now = tx.now
    return (
        len(rows),
        sum(1 for r in rows if r.priority_rank <= 2),
        sum(1 for r in rows if r.deadline and r.deadline < now),
    )


def test_personal_inbox_counts_urgent_and_overdue(portal: EmbeddedPortal, sign_in: Any) -> None:
    nurse = sign_in("sykepleier")
    me = nurse.get("/fhir/$whoami").json()
    ref = me.get("practitioner") or me.get("resource")
    assert isinstance(ref, str) and ref.startswith("Practitioner/"), me
    # Items of her own: one urgent, one overdue (the test makes them; the seed may give her others).
    _own_item(portal, ref, priority="urgent", deadline=timeutil.instant(timeutil.utcnow() + dt.timedelta(days=2)))
    _own_item(portal, ref, priority="routine", deadline=timeutil.instant(timeutil.utcnow() - dt.timedelta(days=1)))
    mine, urgent, overdue = truth(portal, ref)
    assert urgent > 0 and overdue > 0
    pools = nurse.get("/fhir/$pools").json()["pools"]
    personal = next(p for p in pools if p.get("personal"))
    assert (personal["waiting"], personal["urgent"], personal["overdue"]) == (mine, urgent, overdue)
