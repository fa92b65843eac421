"""Phone messages registered by the switchboard, and absence with a delegate."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal.fhir import conventions as c
from helsami_portal.store.schema import access_log
from helsami_portal.workflow.absence import EXT_ABSENCE

from .conftest import device_sign_in


@pytest.fixture(scope="module")
def own_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from helsami_portal.embedded import EmbeddedPortal

    url = f"sqlite:///{tmp_path_factory.mktemp('phone') / 'portal.sqlite3'}"
    with EmbeddedPortal(url, demo=True, seed=True, patients=40, tasks=80, run_jobs=False) as p:
        yield p


class Who:
    def __init__(self, portal: Any, user: str) -> None:
        self.http = httpx.Client(base_url=portal.base_url, timeout=30)
        self.h = {"Authorization": f"Bearer {device_sign_in(self.http, user)['access_token']}"}

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, headers=self.h, **kw)

    def post(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.http.post(url, headers={**self.h, **(headers or {})}, **kw)


@pytest.fixture(scope="module")
def who(own_portal: Any) -> Iterator[Any]:
    made: dict[str, Who] = {}

    def get(user: str) -> Who:
        if user not in made:
            made[user] = Who(own_portal, user)
        return made[user]

    yield get
    for w in made.values():
        w.http.close()


def params(**kw: Any) -> dict[str, Any]:
    out = []
    for k, v in kw.items():
        if k in ("patient", "inbox", "practitioner", "delegate"):
            out.append({"name": k, "valueReference": {"reference": v}})
        elif isinstance(v, bool):
            out.append({"name": k, "valueBoolean": v})
        else:
            out.append({"name": k, "valueString": v})
    return {"resourceType": "Parameters", "parameter": out}


def part(body: dict[str, Any], name: str) -> Any:
    return next(p.get("resource") for p in body["parameter"] if p["name"] == name)


# -- phone messages ---------------------------------------------------------------------------------


def test_switchboard_finds_the_patient_and_the_look_up_is_logged(own_portal: Any, who: Any) -> None:
    sb = who("sentralbord")
    r = sb.get("/fhir/Patient", params={"name": "kari", "birthdate": _birthdate(own_portal, "pat-000001")})
    assert r.status_code == 200, r.text
    ids = [e["resource"]["id"] for e in r.json()["entry"] if e["search"]["mode"] == "match"]
    assert "pat-000001" in ids
    with own_portal.store.read() as tx:
        logged = tx.search("AuditEvent", [access_log.c.patient == "pat-000001"], count=500).rows
    assert any(
        e["agent"][0]["who"]["reference"] == "Practitioner/prac-0003"
        and e["agent"][0]["purposeOfUse"][0]["text"] == "patient look-up (name and birth date)"
        for e in logged
    )


def _birthdate(portal: Any, pid: str) -> str:
    with portal.store.read() as tx:
        return str(tx.require("Patient", pid)["birthDate"])


def test_phone_message_lands_in_the_inbox_and_in_the_patients_thread(own_portal: Any, who: Any) -> None:
    sb, fysio, pas = who("sentralbord"), who("fysio"), who("pasient")
    mid = str(uuid.uuid4())
    body = params(
        patient="Patient/pat-000001",
        inbox="HealthcareService/hs-fjordvik-fysio",
        subject="Ringte om treningsopplegg",
        text="Ønsker å bli ringt opp om øvelsene.",
        messageId=mid,
    )
    r = sb.post("/fhir/Task/$phone-message", json=body)
    assert r.status_code == 201, r.text
    thread, msg, task = part(r.json(), "thread"), part(r.json(), "message"), part(r.json(), "task")
    assert msg["medium"][0]["coding"][0]["code"] == "PHONE"
    assert msg["category"][0]["coding"][0]["code"] == "phone-message"
    assert msg["sender"]["reference"] == "Practitioner/prac-0003"
    assert "tatt imot på telefon" in msg["sender"]["display"]
    assert task["code"]["coding"][0]["code"] == "phone-message"
    assert task["owner"]["reference"] == "HealthcareService/hs-fjordvik-fysio"
    assert task["restriction"]["period"]["end"]
    # The same messageId again: the first result, nothing new.
    again = sb.post("/fhir/Task/$phone-message", json=body)
    assert again.status_code == 200, again.text
    assert part(again.json(), "task")["id"] == task["id"] and part(again.json(), "message")["id"] == msg["id"]
    # In the inbox of the physiotherapists
    items = fysio.get(
        "/fhir/Task",
        params={
            "owner": "HealthcareService/hs-fjordvik-fysio",
            "status": "requested",
            "code": "phone-message",
            "_count": "500",
        },
    ).json()
    assert task["id"] in [e["resource"]["id"] for e in items["entry"]]
    # In the patient's own thread, marked as taken by phone and by whom
    seen = pas.get(f"/patient/threads/{thread['id']}").json()
    assert [m["id"] for m in seen["messages"]] == [msg["id"]]
    m = seen["messages"][0]
    assert m["medium"][0]["coding"][0]["code"] == "PHONE"
    assert m["sender"]["display"].startswith("Sigrid Moen")
    assert "note" not in m and "Task" not in json.dumps(seen)


def test_phone_message_to_a_named_person(own_portal: Any, who: Any) -> None:
    sb = who("sentralbord")
    r = sb.post(
        "/fhir/Task/$phone-message",
        json=params(
            patient="Patient/pat-000002",
            practitioner="Practitioner/prac-0007",
            subject="Vil snakke med Eira",
            text="Ring tilbake.",
            messageId=str(uuid.uuid4()),
        ),
    )
    assert r.status_code == 201, r.text
    task = part(r.json(), "task")
    assert task["owner"]["reference"] == "Practitioner/prac-0007"
    pool = next(e for e in task["extension"] if e["url"] == c.EXT_TASK_POOL)
    assert pool["valueReference"]["reference"] == "HealthcareService/hs-fjordvik-fysio"


@pytest.mark.parametrize("user, status", [("it", 403), ("personvern", 403), ("pasient", 403)])
def test_phone_message_roles(who: Any, user: str, status: int) -> None:
    r = who(user).post(
        "/fhir/Task/$phone-message",
        json=params(
            patient="Patient/pat-000001",
            inbox="HealthcareService/hs-fjordvik-fysio",
            subject="x",
            text="y",
            messageId=str(uuid.uuid4()),
        ),
    )
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"patient": "Patient/finnes-ikke"}, 422, "no such patient"),
        ({"inbox": "HealthcareService/finnes-ikke"}, 422, "inbox does not exist"),
        ({"text": " "}, 400, "what the caller said"),
        ({"messageId": ""}, 400, "messageId"),
    ],
)
def test_phone_message_refusals(who: Any, change: dict[str, str], status: int, words: str) -> None:
    base = {
        "patient": "Patient/pat-000001",
        "inbox": "HealthcareService/hs-fjordvik-fysio",
        "subject": "S",
        "text": "T",
        "messageId": str(uuid.uuid4()),
    }
    r = who("sentralbord").post("/fhir/Task/$phone-message", json=params(**{**base, **change}))
    assert r.status_code == status, r.text
    assert words in r.json()["issue"][0]["diagnostics"]


# -- absence ------------------------------------------------------------------------------------------


def _claimed_item(who: Any) -> dict[str, Any]:
    """A new item in the physiotherapy inbox, claimed by the demo physiotherapist."""
    sb, fysio = who("sentralbord"), who("fysio")
    r = sb.post(
        "/fhir/Task/$phone-message",
        json=params(
            patient="Patient/pat-000001",
            inbox="HealthcareService/hs-fjordvik-fysio",
            subject="Kne",
            text="Vondt i kneet.",
            messageId=str(uuid.uuid4()),
        ),
    )
    t = part(r.json(), "task")
    r = fysio.post(f"/fhir/Task/{t['id']}/$claim", headers={"If-Match": f'W/"{t["meta"]["versionId"]}"'})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _task(portal: Any, tid: str) -> dict[str, Any]:
    with portal.store.read() as tx:
        return tx.require("Task", tid)


def test_away_with_a_delegate(own_portal: Any, who: Any) -> None:
    fysio, lege, pas = who("fysio"), who("lege"), who("pasient")
    mine = _claimed_item(who)
    # Only the staff member themself
    r = lege.post("/fhir/Practitioner/prac-0007/$absence", json=params(away=True))
    assert r.status_code == 403, r.text
    r = fysio.post("/fhir/Practitioner/prac-0007/$absence", json=params(away=True, delegate="Practitioner/prac-0027"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert mine["id"] in [
        p["valueReference"]["reference"].split("/")[1] for p in out["parameter"] if p["name"] == "task"
    ]
    prac = part(out, "practitioner")
    absence = next(e for e in prac["extension"] if e["url"] == EXT_ABSENCE)
    assert {x["url"] for x in absence["extension"]} == {"away", "delegate", "since"}
    moved = _task(own_portal, mine["id"])
    assert moved["owner"]["reference"] == "Practitioner/prac-0027"
    assert moved["status"] == "requested"
    assert int(moved["meta"]["versionId"]) == int(mine["meta"]["versionId"]) + 1
    assert "is away" in moved["note"][-1]["text"]
    with own_portal.store.read() as tx:
        assert [v["owner"]["reference"] for v in tx.history("Task", mine["id"])][:2] == [
            "Practitioner/prac-0027",
            "Practitioner/prac-0007",
        ]
    # New items forwarded to them while away go to the delegate.
    pool_item = lege.get(
        "/fhir/Task", params={"owner": "HealthcareService/hs-fjordvik-legesenter", "status": "requested", "_count": "1"}
    ).json()["entry"][0]["resource"]
    r = lege.post(
        f"/fhir/Task/{pool_item['id']}/$forward",
        headers={"If-Match": f'W/"{pool_item["meta"]["versionId"]}"'},
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "target", "valueReference": {"reference": "Practitioner/prac-0007"}}],
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["owner"]["reference"] == "Practitioner/prac-0027"
    assert "away" in r.json()["note"][-1]["text"]
    # A patient's direct message to them goes to the service's shared inbox.
    r = pas.http.post(
        "/patient/threads",
        headers=pas.h,
        json={
            "patient": "pat-000001",
            "practitioner": "prac-0007",
            "subject": "Til Eira",
            "text": "Hei",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    with own_portal.store.read() as tx:
        from helsami_portal.store.schema import task

        owner = tx.conn.execute(
            sa.select(task.c.owner).where(task.c.focus == f"Communication/{r.json()['thread']['id']}")
        ).scalar_one()
    assert owner == "HealthcareService/hs-fjordvik-fysio"
    # Back again: no absence on record, and new items reach them.
    r = fysio.post("/fhir/Practitioner/prac-0007/$absence", json=params(away=False))
    assert r.status_code == 200, r.text
    assert not [e for e in part(r.json(), "practitioner").get("extension", []) if e["url"] == EXT_ABSENCE]


def test_away_without_a_delegate_sends_items_back_to_their_inbox(own_portal: Any, who: Any) -> None:
    fysio = who("fysio")
    mine = _claimed_item(who)
    r = fysio.post("/fhir/Practitioner/prac-0007/$absence", json=params(away=True))
    assert r.status_code == 200, r.text
    moved = _task(own_portal, mine["id"])
    assert moved["owner"]["reference"] == "HealthcareService/hs-fjordvik-fysio"
    assert moved["status"] == "requested"
    r = fysio.post("/fhir/Practitioner/prac-0007/$absence", json=params(away=False))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "body, status",
    [
        (params(delegate="Practitioner/prac-0027"), 400),  # away missing
        (params(away=True, delegate="Practitioner/prac-0007"), 422),  # oneself
        (params(away=True, delegate="Practitioner/finnes-ikke"), 422),
        (params(away=False, delegate="Practitioner/prac-0027"), 422),
    ],
)
def test_absence_refusals(who: Any, body: dict[str, Any], status: int) -> None:
    r = who("fysio").post("/fhir/Practitioner/prac-0007/$absence", json=body)
    assert r.status_code == status, r.text
