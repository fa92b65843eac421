"""POST /fhir/Task/$claim-next: the server hands the caller the next item waiting in a pool, in the
pool's order; callers taking from one pool at once each get a different item, none is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal

from ..conftest import own_seeded_portal
from .conftest import Api, device_sign_in

CALLERS = 16


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPortal]:
    with own_seeded_portal(request.param, tmp_path_factory, "claimnext", patients=40, tasks=200) as p:
        yield p


def _api(portal: EmbeddedPortal, user: str) -> Api:
    http = httpx.Client(base_url=portal.base_url, timeout=60)
    return Api(http, user, device_sign_in(http, user)["access_token"])


def _claim_next(api: Api, pool: str) -> httpx.Response:
    return api.post(
        "/fhir/Task/$claim-next",
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "pool", "valueReference": {"reference": f"HealthcareService/{pool}"}}],
        },
    )


def _waiting(api: Api, pool: str) -> int:
    return next(int(p["waiting"]) for p in api.get("/fhir/$pools").json()["pools"] if p["id"] == pool)


def _biggest_pool(api: Api) -> str:
    pools = [p for p in api.get("/fhir/$pools").json()["pools"] if not p.get("personal")]
    return str(max(pools, key=lambda p: p["waiting"])["id"])


def test_the_next_item_in_the_pools_order_is_claimed_and_logged(own_portal: EmbeddedPortal) -> None:
    lege, po = _api(own_portal, "lege"), _api(own_portal, "personvern")
    pool = _biggest_pool(lege)
    before = _waiting(lege, pool)
    first = lege.get(
        "/fhir/Task",
        params={
            "owner": f"HealthcareService/{pool}",
            "status": "requested",
            "_sort": "priority,authored-on",
            "_count": "1",
        },
    ).json()["entry"][0]["resource"]
    patient = first["for"]["reference"]
    logged = po.get("/fhir/AuditEvent", params={"patient": patient, "_total": "accurate", "_count": "1"}).json()[
        "total"
    ]
    r = _claim_next(lege, pool)
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["id"] == first["id"] and t["status"] == "in-progress"
    me = lege.get("/fhir/$whoami").json()
    assert t["owner"]["reference"] == (me.get("practitioner") or me.get("resource"))
    assert r.headers["etag"] == f'W/"{t["meta"]["versionId"]}"'
    assert _waiting(lege, pool) == before - 1
    # One access-log entry for the patient whose item left, as for $claim.
    after = po.get("/fhir/AuditEvent", params={"patient": patient, "_total": "accurate", "_count": "1"}).json()["total"]
    assert after == logged + 1
    # The pool may be named in the URL too; then the next one comes.
    r2 = lege.post(f"/fhir/Task/$claim-next?pool=HealthcareService/{pool}")
    assert r2.status_code == 200 and r2.json()["id"] != t["id"]


def test_claim_next_is_refused_outside_the_callers_inboxes(own_portal: EmbeddedPortal) -> None:
    lege, pasient = _api(own_portal, "lege"), _api(own_portal, "pasient")
    mine = set(lege.get("/fhir/$whoami").json()["pools"])
    every = {e["resource"]["id"] for e in lege.get("/fhir/HealthcareService", params={"_count": "500"}).json()["entry"]}
    other = sorted(every - mine)[0]
    r = _claim_next(lege, other)
    assert r.status_code == 403 and "not-inbox-member" in r.text
    r = lege.post("/fhir/Task/$claim-next", json={"resourceType": "Parameters", "parameter": []})
    assert r.status_code == 400 and "parameter-required" in r.text
    assert _claim_next(pasient, sorted(mine)[0]).status_code == 403


def test_callers_at_once_each_get_a_different_item_and_none_is_refused(own_portal: EmbeddedPortal) -> None:
    users = ["lege", "sykepleier"]
    apis = [_api(own_portal, users[i % len(users)]) for i in range(CALLERS)]
    pools = [set(a.get("/fhir/$whoami").json()["pools"]) for a in apis[: len(users)]]
    shared = sorted(pools[0] & pools[1], key=lambda p: -_waiting(apis[0], p))
    assert shared, pools
    pool = shared[0]
    waiting = _waiting(apis[0], pool)
    assert waiting >= CALLERS, waiting
    start = threading.Barrier(CALLERS)
    got: list[httpx.Response] = []
    lock = threading.Lock()

    def take(api: Api) -> None:
        start.wait()
        r = _claim_next(api, pool)
        with lock:
            got.append(r)

    threads = [threading.Thread(target=take, args=(a,)) for a in apis]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [r.status_code for r in got] == [200] * CALLERS, [r.text for r in got if r.status_code != 200]
    ids = [r.json()["id"] for r in got]
    assert len(set(ids)) == CALLERS
    assert _waiting(apis[0], pool) == waiting - CALLERS

    # Until the pool is empty: then 409 nothing-waiting, and $pools says 0.
    for _ in range(waiting):
        r = _claim_next(apis[0], pool)
        if r.status_code != 200:
            break
        ids.append(r.json()["id"])
    assert r.status_code == 409 and "nothing-waiting" in r.text, r.text
    assert len(set(ids)) == len(ids) == waiting
    assert _waiting(apis[0], pool) == 0
