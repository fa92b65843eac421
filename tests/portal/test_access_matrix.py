"""Every role against every endpoint family: the allowed and the denied cells, as a table.

A denied cell is a 401/403 whose body is an OperationOutcome and carries no patient data.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from helsami_portal.fhir.registry import CLINICAL

from .conftest import Api, new_thread, task_for_thread

ROLES = {
    "physician": "lege",
    "nurse": "sykepleier",
    "switchboard": "sentralbord",
    "it-support": "it",
    "privacy-officer": "personvern",
    "patient": "pasient",
    "proxy": "fullmakt",
}
INBOX = {"physician", "nurse", "switchboard"}
CLINICIANS = {"physician", "nurse"}
PATIENT_SIDE = {"patient", "proxy"}

# family -> roles allowed (everyone else is denied)
MATRIX: dict[str, set[str]] = {
    "task search": INBOX,
    "task read": INBOX,
    "task operation": INBOX,
    "thread read": INBOX,
    "patient read": INBOX,
    **{f"clinical search {t}": CLINICIANS for t in sorted(CLINICAL)},
    "audit search": {"privacy-officer"},
    "queues": {"it-support"},
    "events": INBOX | {"it-support"},
    "patient api threads": PATIENT_SIDE,
    "patient api results": PATIENT_SIDE,
    "break the glass": CLINICIANS,
}

PATIENT = "pat-000001"  # Kari Nordmann, demo user "pasient"
PATIENT_NAME = "Nordmann"
POOL = "hs-fjordvik-legesenter"  # the physician's and the nurse's inbox
INTAKE = "hs-fjordvik-sentralbord"  # the switchboard's inbox
GLASS_PATIENT = "pat-000190"  # used only here, for break-the-glass cells


@pytest.fixture(scope="module")
def world(sign_in: Any) -> dict[str, Any]:
    pas = sign_in("pasient")
    return {
        "pas": pas,
        "threads": {POOL: new_thread(pas, POOL, subject="Matrise"), INTAKE: new_thread(pas, INTAKE, subject="Matrise")},
    }


def _pool_for(role: str) -> str:
    return INTAKE if role == "switchboard" else POOL


def _task(world: dict[str, Any], sign_in: Any, role: str, fresh: bool = False) -> dict[str, Any]:
    pool = _pool_for(role)
    thread = new_thread(world["pas"], pool, subject="Ny") if fresh else world["threads"][pool]
    viewer = sign_in("sentralbord" if pool == INTAKE else "lege")
    return task_for_thread(viewer, thread["thread"]["id"])


def call(family: str, role: str, api: Api, world: dict[str, Any], sign_in: Any) -> httpx.Response:
    if family == "task search":
        return api.get("/fhir/Task", params={"pool": _pool_for(role), "_count": "5"})
    if family == "task read":
        return api.get(f"/fhir/Task/{_task(world, sign_in, role)['id']}")
    if family == "task operation":
        return api.op(_task(world, sign_in, role, fresh=True), "claim")
    if family == "thread read":
        thread = world["threads"][_pool_for(role)]["thread"]["id"]
        return api.get("/fhir/Communication", params={"part-of": f"Communication/{thread}"})
    if family == "patient read":
        return api.get(f"/fhir/Patient/{PATIENT}")
    if family.startswith("clinical search "):
        return api.get(f"/fhir/{family.rsplit(' ', 1)[1]}", params={"patient": f"Patient/{PATIENT}"})
    if family == "audit search":
        return api.get("/fhir/AuditEvent", params={"patient": f"Patient/{PATIENT}", "_count": "3"})
    if family == "queues":
        return api.get("/fhir/$queues")
    if family == "events":
        with api.http.stream("GET", "/fhir/$events", headers=api.h()) as r:
            r.read() if r.status_code != 200 else None
            return httpx.Response(r.status_code, headers=r.headers, content=r.content if r.status_code != 200 else b"")
    if family == "patient api threads":
        return api.get("/patient/threads")
    if family == "patient api results":
        return api.get("/patient/results")
    if family == "break the glass":
        return api.post(
            f"/fhir/Patient/{GLASS_PATIENT}/$break-the-glass",
            json={
                "resourceType": "Parameters",
                "parameter": [{"name": "reason", "valueString": "Matrisetest: akutt behov"}],
            },
        )
    raise AssertionError(family)


def test_every_role_against_every_endpoint_family(sign_in: Any, world: dict[str, Any]) -> None:
    got: dict[tuple[str, str], int] = {}
    bad: list[str] = []
    for family, allowed in MATRIX.items():
        for role, user in ROLES.items():
            r = call(family, role, sign_in(user), world, sign_in)
            got[(family, role)] = r.status_code
            if role in allowed:
                if r.status_code != 200:
                    bad.append(f"{family} / {role}: expected allowed, got {r.status_code} {r.text[:200]}")
            else:
                if r.status_code not in (401, 403):
                    bad.append(f"{family} / {role}: expected denied, got {r.status_code} {r.text[:200]}")
                    continue
                body = r.json()
                if body.get("resourceType") != "OperationOutcome":
                    bad.append(f"{family} / {role}: denial is not an OperationOutcome")
                if PATIENT_NAME in r.text or "birthDate" in r.text or "contentString" in r.text:
                    bad.append(f"{family} / {role}: denial carries patient data")
    table = "\n".join(
        f"{family:<40}" + " ".join(f"{role}={got[(family, role)]}" for role in ROLES) for family in MATRIX
    )
    assert not bad, "\n".join(bad) + "\n\n" + table


def test_it_support_sees_queues_without_any_patient_data(sign_in: Any, world: dict[str, Any]) -> None:
    it = sign_in("it")
    data = it.get("/fhir/$queues").json()
    by_id = {q["id"]: q for q in data["inboxes"]}
    q = by_id[POOL]
    assert q["organization"]["name"] and q["kind"] == "clinical" and q["backup"]
    assert q["safetyNetDelay"]["unit"] == "min" and q["responseTime"]["unit"] == "d"
    assert any(m["name"] == "Marte Lien" and m["roles"] == ["physician"] for m in q["members"])
    assert q["waiting"] >= 1 and isinstance(q["claimed"], int) and q["oldestUnopenedSeconds"] >= 0
    assert isinstance(q["escalatedLast24h"], int)
    assert sum(x["escalatedLast24h"] for x in data["inboxes"]) > 0  # the seed has escalated items
    text = it.get("/fhir/$queues").text
    assert "Patient/" not in text and PATIENT_NAME not in text and "Matrise" not in text
    # ... and nothing with patient data anywhere else, not even names.
    for path, params in [
        ("/fhir/Patient", {"name": "kari"}),
        (f"/fhir/Patient/{PATIENT}", {}),
        ("/fhir/Task", {}),
        ("/fhir/Communication", {"patient": f"Patient/{PATIENT}"}),
        ("/fhir/Consent", {"patient": f"Patient/{PATIENT}"}),
        ("/fhir/RelatedPerson", {"patient": f"Patient/{PATIENT}"}),
        ("/fhir/Appointment", {"patient": f"Patient/{PATIENT}"}),
        ("/fhir/$pools", {}),
        ("/fhir/AuditEvent", {}),
    ]:
        r = it.get(path, params=params)
        assert r.status_code == 403, (path, r.status_code)
        assert PATIENT_NAME not in r.text


def test_it_support_event_stream_carries_no_ids(sign_in: Any, portal: Any, world: dict[str, Any]) -> None:
    import json
    import threading

    got: list[dict[str, Any]] = []
    ready = threading.Event()
    it = sign_in("it")

    def listen() -> None:
        with (
            httpx.Client(base_url=portal.base_url, timeout=30) as c,
            c.stream("GET", "/fhir/$events", headers=it.h()) as r,
        ):
            ready.set()
            for line in r.iter_lines():
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)
    new_thread(world["pas"], POOL, subject="Hendelse")
    t.join(15)
    assert got
    assert set(got[0]) <= {"seq", "type", "pool", "action", "status"}


def test_staff_asking_for_another_pools_items_is_refused(sign_in: Any, world: dict[str, Any]) -> None:
    lege = sign_in("lege")
    r = lege.get("/fhir/Task", params={"pool": INTAKE})
    assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome"
    r = lege.get("/fhir/Task", params={"owner": "Practitioner/prac-0003"})
    assert r.status_code == 403
    other = _task(world, sign_in, "switchboard")
    r = lege.get(f"/fhir/Task/{other['id']}")
    assert r.status_code == 403 and "Matrise" not in r.text
    # An unfiltered search shows only the caller's own pools and items.
    for e in lege.get("/fhir/Task", params={"_count": "100"}).json()["entry"]:
        t = e["resource"]
        pool = next(
            (x["valueReference"]["reference"] for x in t.get("extension", []) if x["url"].endswith("task-pool")),
            t["owner"]["reference"],
        )
        assert pool.split("/")[1] in {POOL, f"{POOL}-leder"} or t["owner"]["reference"] == "Practitioner/prac-0001"


def test_proxy_levels_and_children(sign_in: Any) -> None:
    proxy = sign_in("fullmakt")  # Lars Fjellheim: father of Sara (7, full) ...
    me = proxy.get("/patient/me").json()
    assert [a["level"] for a in me["actsFor"]] == ["full"]
    assert proxy.get("/patient/results").status_code == 200
    # ... and of Ánde (13): a parent of a 12-15-year-old is at the "messages" level: no results.
    grants = proxy.get("/patient/grants").json()
    teen = next(g for g in grants["received"] if g["from"].startswith("Ánde"))
    assert teen["effectiveLevel"] == "messages" and "ikke se prøvesvar" in teen["effectiveLevelText"]
    # The proxy cannot act for anybody else: a guessed id gets the same 404 whether it exists or not.
    r = proxy.get("/patient/results", params={"patient": "pat-000002"})
    assert r.status_code == 404 and "Nordmann" not in r.text
    unknown = proxy.get("/patient/results", params={"patient": str(uuid.uuid4())})
    assert unknown.status_code == 404 and unknown.json() == r.json()


@pytest.mark.parametrize(
    "level,send,results,log",
    [("read", False, True, True), ("messages", True, False, False), ("standard", True, True, True)],
)
def test_proxy_levels_for_an_adult(portal: Any, level: str, send: bool, results: bool, log: bool) -> None:
    """An adult (Ola, 84) has given a grant at `level`; the proxy can do exactly what the level allows."""
    from types import SimpleNamespace

    from helsami_portal.seed import add_accounts
    from helsami_portal.synth.generate import PROXY_LEVEL

    from .conftest import device_sign_in

    rid = f"rp-test-{level}-{uuid.uuid4().hex[:6]}"
    with portal.store.write() as tx:
        tx.create(
            {
                "resourceType": "RelatedPerson",
                "id": rid,
                "active": True,
                "patient": {"reference": "Patient/pat-000002"},
                "birthDate": "1980-01-01",
                "relationship": [{"coding": [{"code": "SON"}]}],
                "name": [{"text": f"Test {level}"}],
            },
            keep_id=True,
        )
        tx.create(
            {
                "resourceType": "Consent",
                "status": "active",
                "patient": {"reference": "Patient/pat-000002"},
                "provision": {
                    "type": "permit",
                    "actor": [{"reference": {"reference": f"RelatedPerson/{rid}"}}],
                    "code": [{"coding": [{"system": PROXY_LEVEL, "code": level}]}],
                },
            }
        )
    add_accounts(
        portal.store,
        [
            SimpleNamespace(
                username=rid, password="demo", kind="patient", resource=f"RelatedPerson/{rid}", display=f"Test {level}"
            )
        ],
    )
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        proxy = Api(http, rid, device_sign_in(http, rid)["access_token"])
        assert proxy.get("/patient/me").json()["actsFor"][0]["level"] == level
        assert proxy.get("/patient/threads").status_code == 200
        r = proxy.post(
            "/patient/threads",
            json={
                "patient": "pat-000002",
                "service": POOL,
                "subject": "Hei",
                "text": "Hei",
                "messageId": str(uuid.uuid4()),
            },
        )
        assert r.status_code == (201 if send else 403), r.text
        assert proxy.get("/patient/results").status_code == (200 if results else 403)
        assert proxy.get("/patient/access-log").status_code == (200 if log else 403)
        received = proxy.get("/patient/grants").json()["received"]
        assert [g["level"] for g in received] == [level] and received[0]["from"] == "Ola Nordmann"
