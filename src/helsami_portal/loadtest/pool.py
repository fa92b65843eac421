"""The load-test pool: its inbox, its staff members with accounts and its waiting items (`prepare`)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..fhir import conventions as c, timeutil
from ..store.schema import resource
from ..store.store import Store

POOL_ID = "hs-loadtest"
PASSWORD = "demo"


def staff_username(i: int) -> str:
    return f"last{i:03d}"


def prepare(store: Store, *, staff: int = 50, items: int = 10_000, seed_value: int = 7) -> None:
    """Add the load-test inbox, `staff` physicians working in it (with accounts) and `items`
    waiting message items for existing patients. The database must already be seeded."""
    from ..seed import add_accounts, load

    rng = random.Random(seed_value)
    with store.read() as tx:
        patients = [
            r[0]
            for r in tx.conn.execute(
                sa.select(resource.c.id).where(resource.c.rtype == "Patient").order_by(resource.c.id).limit(500)
            )
        ]
        org = tx.conn.execute(sa.select(resource.c.id).where(resource.c.rtype == "Organization")).first()
    if not patients or org is None:
        raise RuntimeError("seed the database first")
    now = timeutil.utcnow()

    def resources() -> Any:
        yield {
            "resourceType": "HealthcareService",
            "id": POOL_ID,
            "active": True,
            "name": "Lasttest – felles innboks",
            "providedBy": {"reference": f"Organization/{org[0]}"},
            "type": [{"coding": [{"system": c.INBOX_KIND, "code": "clinical"}]}],
        }
        for i in range(staff):
            pid = f"prac-load-{i:03d}"
            yield {
                "resourceType": "Practitioner",
                "id": pid,
                "active": True,
                "name": [{"given": ["Last"], "family": f"Tester {i:03d}"}],
                "identifier": [{"system": c.USERNAME_SYSTEM, "value": staff_username(i)}],
            }
            yield {
                "resourceType": "PractitionerRole",
                "id": f"role-load-{i:03d}",
                "active": True,
                "practitioner": {"reference": f"Practitioner/{pid}"},
                "organization": {"reference": f"Organization/{org[0]}"},
                "code": [{"coding": [{"system": c.STAFF_ROLE, "code": "physician"}]}],
                "healthcareService": [{"reference": f"HealthcareService/{POOL_ID}"}],
            }
        for k in range(items):
            pat = rng.choice(patients)
            hid, mid = f"com-load-h{k:06d}", f"com-load-m{k:06d}"
            sent = timeutil.instant(now - dt.timedelta(minutes=items - k))
            yield {
                "resourceType": "Communication",
                "id": hid,
                "status": "in-progress",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
                "subject": {"reference": f"Patient/{pat}"},
                "topic": {"text": f"Lasttest {k}"},
                "sent": sent,
            }
            yield {
                "resourceType": "Communication",
                "id": mid,
                "status": "completed",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "patient-message"}]}],
                "partOf": [{"reference": f"Communication/{hid}"}],
                "subject": {"reference": f"Patient/{pat}"},
                "sender": {"reference": f"Patient/{pat}"},
                "sent": sent,
                "payload": [{"contentString": "Hei, jeg har et spørsmål."}],
            }
            yield {
                "resourceType": "Task",
                "id": f"task-load-{k:06d}",
                "status": "requested",
                "intent": "order",
                "priority": "routine",
                "authoredOn": sent,
                "description": f"Lasttest {k}",
                "code": {"coding": [{"system": c.TASK_TYPE, "code": "message"}]},
                "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
                "focus": {"reference": f"Communication/{hid}"},
                "for": {"reference": f"Patient/{pat}"},
                "owner": {"reference": f"HealthcareService/{POOL_ID}"},
            }

    load(store, resources())

    @dataclass
    class U:
        username: str
        password: str
        kind: str
        resource: str
        display: str

    add_accounts(
        store,
        [
            U(staff_username(i), PASSWORD, "staff", f"Practitioner/prac-load-{i:03d}", f"Last Tester {i:03d}")
            for i in range(staff)
        ],
    )
