"""Helpers for the decision tests (renewals, results, questionnaires, appointments): fresh
synthetic patients with their own records and sign-in, written straight into the portal's store,
so that each test owns its data while the portal is exercised over HTTP."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from types import SimpleNamespace
from typing import Any

from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.seed import add_accounts
from helsami_portal.synth.fnr import make_fnr

from .conftest import Api

ATC = "http://www.whocc.no/atc"
LOINC = "http://loinc.org"
POOL = "hs-fjordvik-legesenter"  # "lege" (physician) and "sykepleier" (nurse) work here
GP = "prac-0001"
_rng = random.Random(4242)


def ago(days: float) -> str:
    return timeutil.instant(timeutil.utcnow() - dt.timedelta(days=days))


def params(**kw: Any) -> dict[str, Any]:
    out = []
    for k, v in kw.items():
        for one in v if isinstance(v, list) else [v]:
            if k == "target":
                out.append({"name": k, "valueReference": {"reference": one}})
            elif isinstance(one, int):
                out.append({"name": k, "valueInteger": one})
            else:
                out.append({"name": k, "valueString": one})
    return {"resourceType": "Parameters", "parameter": out}


def op(api: Api, task: dict[str, Any], name: str, **kw: Any) -> Any:
    return api.post(
        f"/fhir/Task/{task['id']}/${name}", json=params(**kw), headers={"If-Match": f'W/"{task["meta"]["versionId"]}"'}
    )


def task(api: Api, task_id: str) -> dict[str, Any]:
    r = api.get(f"/fhir/Task/{task_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def out(resp: Any, rtype: str) -> list[dict[str, Any]]:
    return [p["resource"] for p in resp.json()["parameter"] if p["resource"]["resourceType"] == rtype]


def make_patient(
    portal: Any,
    *,
    meds: list[tuple[str, str, float]] = (),
    allergies: list[tuple[str, str]] = (),
) -> tuple[str, str, list[str]]:
    """A new adult patient of the "lege" GP with active orders (ATC, text, days ago) and allergies
    (ATC or "", text). Returns (patient id, username, MedicationRequest ids)."""
    pid = f"t-{uuid.uuid4().hex[:12]}"
    birth = dt.date(1960 + _rng.randrange(30), 1 + _rng.randrange(12), 1 + _rng.randrange(28))
    fnr = make_fnr(birth, False, _rng)
    med_ids = []
    with portal.store.write() as tx:
        tx.create(
            {
                "resourceType": "Patient",
                "id": pid,
                "active": True,
                "identifier": [{"system": c.FNR_SYSTEM, "value": fnr}],
                "name": [{"family": "Testesen", "given": ["Tove"], "text": "Tove Testesen"}],
                "gender": "female",
                "birthDate": birth.isoformat(),
                "generalPractitioner": [{"reference": f"Practitioner/{GP}"}],
            },
            keep_id=True,
        )
        for atc, text, days in meds:
            mr = tx.create(
                {
                    "resourceType": "MedicationRequest",
                    "status": "active",
                    "intent": "order",
                    "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}], "text": text},
                    "subject": {"reference": f"Patient/{pid}"},
                    "authoredOn": ago(days),
                    "requester": {"reference": f"Practitioner/{GP}", "display": "Marte Lien"},
                    "dosageInstruction": [{"text": "1 tablett daglig"}],
                }
            )
            med_ids.append(mr["id"])
        for atc, text in allergies:
            code: dict[str, Any] = {"text": text}
            if atc:
                code["coding"] = [{"system": ATC, "code": atc}]
            tx.create(
                {
                    "resourceType": "AllergyIntolerance",
                    "patient": {"reference": f"Patient/{pid}"},
                    "clinicalStatus": {"coding": [{"code": "active"}]},
                    "type": "allergy",
                    "criticality": "high",
                    "code": code,
                    "recordedDate": ago(400)[:10],
                    "reaction": [{"manifestation": [{"text": "Elveblest"}]}],
                }
            )
    username = f"test-{pid}"
    add_accounts(
        portal.store,
        [
            SimpleNamespace(
                username=username, password="demo", kind="patient", resource=f"Patient/{pid}", display="Tove Testesen"
            )
        ],
    )
    return pid, username, med_ids


def new_task(
    portal: Any, pid: str, code: str, focus: str, description: str, priority: str = "routine", pool: str = POOL
) -> str:
    """An inbox item of `code` about `focus` in `pool` (the test pool), as the portal makes them."""
    with portal.store.write() as tx:
        t = tx.create(
            {
                "resourceType": "Task",
                "status": "requested",
                "intent": "order",
                "priority": priority,
                "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
                "code": {"coding": [{"system": c.TASK_TYPE, "code": code}]},
                "description": description,
                "focus": {"reference": focus},
                "for": {"reference": f"Patient/{pid}"},
                "authoredOn": tx.now,
                "owner": {"reference": f"HealthcareService/{pool}"},
                "extension": [{"url": c.EXT_TASK_POOL, "valueReference": {"reference": f"HealthcareService/{pool}"}}],
            }
        )
        return str(t["id"])


def patient_threads(api: Api) -> list[dict[str, Any]]:
    r = api.get("/patient/threads")
    assert r.status_code == 200, r.text
    out = []
    for e in r.json()["entry"]:
        th = api.get(f"/patient/threads/{e['resource']['id']}").json()
        out.append(th)
    return out
