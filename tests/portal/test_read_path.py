"""The portal's read path: a read does not hold SQLite's writer, the access log is written before
the data leaves (and nothing leaves without it), its rows name the request, and the signed-in
principal a process keeps is dropped at once when a session is revoked or a membership changes."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.fhir import conventions as c
from helsami_portal.store.db import RAW_TEXT_TYPE
from helsami_portal.store.schema import access_log, lease
from helsami_portal.workflow import access

from .conftest import Api, device_sign_in


def _inbox_params(api: Api) -> list[tuple[str, str]]:
    pools = [p for p in api.get("/fhir/$pools").json()["pools"] if p.get("id") and p["waiting"]]
    return [
        ("owner", f"HealthcareService/{pools[0]['id']}"),
        ("status", "requested"),
        ("_count", "20"),
        ("_include", "Task:patient"),
    ]


def _write_at_once(portal: EmbeddedPortal) -> None:
    """A write that does not wait for the database's lock: it fails at once if a writer holds it."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    if not portal.store.sqlite:  # PostgreSQL: rows are locked, not the database
        with portal.store.write() as tx:
            tx.conn.execute(lease.insert().values(name=name, holder="pytest", expires="2000-01-01T00:00:00Z"))
            tx.conn.execute(lease.delete().where(lease.c.name == name))
        return
    raw = portal.store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA busy_timeout=0")
        cur.execute("BEGIN IMMEDIATE")  # "database is locked" at once if a writer holds it
        cur.execute("INSERT INTO lease (name, holder, expires) VALUES (?, 'pytest', '2000-01-01T00:00:00Z')", (name,))
        cur.execute("DELETE FROM lease WHERE name = ?", (name,))
        cur.execute("COMMIT")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
    finally:
        raw.close()


def test_a_read_in_progress_does_not_hold_the_writer(
    portal: EmbeddedPortal, sign_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lege = sign_in("lege")
    params = _inbox_params(lege)
    inside, release = threading.Event(), threading.Event()
    real_screen = access.screen
    held = {"n": 0}

    def screen(*args: Any, **kw: Any) -> Any:  # the read holds here, inside its transaction
        if held["n"] == 0:
            held["n"] += 1
            inside.set()
            assert release.wait(60), "the test never released the read"
        return real_screen(*args, **kw)

    monkeypatch.setattr(access, "screen", screen)
    answer: dict[str, httpx.Response] = {}
    reader = threading.Thread(target=lambda: answer.setdefault("r", lege.get("/fhir/Task", params=params)))
    reader.start()
    try:
        assert inside.wait(30), "the read never started"
        # While the read is open: a write that will not wait for a lock succeeds, and a sign-in completes.
        _write_at_once(portal)
        with httpx.Client(base_url=portal.base_url, timeout=30) as http:
            assert device_sign_in(http, "sykepleier")["access_token"]
        assert "r" not in answer  # the read was still open all along
    finally:
        release.set()
        reader.join(60)
    r = answer["r"]
    assert r.status_code == 200, r.text
    patients = {e["resource"]["id"] for e in r.json()["entry"] if e["resource"]["resourceType"] == "Patient"}
    assert patients
    # Its access log: one row per patient shown, naming the request.
    rid = r.headers["x-request-id"]
    with portal.store.read() as tx:
        logged = [
            row.patient
            for row in tx.conn.execute(sa.select(access_log.c.patient).where(access_log.c.request_id == rid))
        ]
    assert sorted(logged) == sorted(patients)


def _fail_log_inserts(portal: EmbeddedPortal, on: bool) -> None:
    with portal.store.engine.begin() as conn:
        if portal.store.sqlite:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS pytest_no_log")
            if on:
                conn.exec_driver_sql(
                    "CREATE TRIGGER pytest_no_log BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'no log'); END"
                )
            return
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS pytest_no_log ON access_log")
        if on:
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION pytest_no_log() RETURNS trigger AS "
                "$$ BEGIN RAISE EXCEPTION 'no log'; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER pytest_no_log BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION pytest_no_log()"
            )


def test_without_an_access_log_entry_no_data_leaves(portal: EmbeddedPortal, sign_in: Any) -> None:
    lege = sign_in("lege")
    params = _inbox_params(lege)
    ok = lege.get("/fhir/Task", params=params)
    assert ok.status_code == 200
    pid = next(e["resource"]["id"] for e in ok.json()["entry"] if e["resource"]["resourceType"] == "Patient")
    _fail_log_inserts(portal, True)
    try:
        for r in (lege.get("/fhir/Task", params=params), lege.get(f"/fhir/Patient/{pid}")):
            assert r.status_code == 503, r.text
            body = r.json()
            assert (
                body["resourceType"] == "OperationOutcome"
                and body["issue"][0]["details"]["coding"][0]["code"] == "unavailable"
            )
            assert pid not in r.text and "Patient/" not in r.text
    finally:
        _fail_log_inserts(portal, False)
    assert lege.get(f"/fhir/Patient/{pid}").status_code == 200


def test_a_revoked_session_is_refused_at_the_next_request(portal: EmbeddedPortal) -> None:
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        tok = device_sign_in(http, "lege")
        h = {"Authorization": f"Bearer {tok['access_token']}"}
        assert http.get("/fhir/$whoami", headers=h).status_code == 200
        assert http.get("/fhir/Task", headers=h, params={"_count": "1"}).status_code == 200
        assert http.post("/oauth/revoke", data={"token": tok["refresh_token"]}).status_code == 200
        for url in ("/fhir/$whoami", "/fhir/Task"):
            r = http.get(url, headers=h, params={"_count": "1"} if url == "/fhir/Task" else {})
            assert r.status_code == 401, r.text
            assert r.json()["issue"][0]["details"]["coding"][0]["code"] == "session-ended"


def test_a_membership_change_is_seen_at_the_next_request(portal: EmbeddedPortal) -> None:
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        h = {"Authorization": f"Bearer {device_sign_in(http, 'lege')['access_token']}"}
        me = http.get("/fhir/$whoami", headers=h).json()
        with portal.store.read() as tx:
            from helsami_portal.store.query import parse_query

            services = tx.search("HealthcareService", parse_query("HealthcareService", []).where, count=200).rows
        other = next(s["id"] for s in services if s["id"] not in me["pools"])
        q = {"owner": f"HealthcareService/{other}", "_count": "1"}
        assert http.get("/fhir/Task", headers=h, params=q).status_code == 403
        role = {
            "resourceType": "PractitionerRole",
            "active": True,
            "practitioner": {"reference": me["resource"]},
            "code": [{"coding": [{"system": c.STAFF_ROLE, "code": "physician"}]}],
            "healthcareService": [{"reference": f"HealthcareService/{other}"}],
        }
        with portal.store.write() as tx:
            made = tx.create(role)
        try:
            assert other in http.get("/fhir/$whoami", headers=h).json()["pools"]
            assert http.get("/fhir/Task", headers=h, params=q).status_code == 200
        finally:
            with portal.store.write() as tx:
                tx.update({**made, "active": False}, expected_version=1)
        assert other not in http.get("/fhir/$whoami", headers=h).json()["pools"]
        assert http.get("/fhir/Task", headers=h, params=q).status_code == 403


def test_a_page_sends_the_resources_as_stored(portal: EmbeddedPortal, sign_in: Any) -> None:
    """Stored JSON goes to the wire as it is stored: the same content as reading each resource."""
    lege = sign_in("lege")
    r = lege.get("/fhir/Task", params=_inbox_params(lege) + [("_include", "Task:focus")])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    entries = r.json()["entry"]
    assert {e["resource"]["resourceType"] for e in entries} >= {"Task", "Patient", "Communication"}
    with portal.store.read() as tx:
        for e in entries:
            res = e["resource"]
            # What the access decision changed (a masked description, a confidential address) is
            # sent as changed; everything else exactly as stored.
            if res["resourceType"] != "OperationOutcome" and "data-absent-reason" not in json.dumps(res):
                assert res == tx.get(res["resourceType"], res["id"]), res["id"]


def test_a_look_up_of_many_ids_finds_each_one_whatever_its_characters(portal: EmbeddedPortal) -> None:
    """The look-ups of many ids at once (a page's includes, its patients' consents and grants) take the
    ids as one array on PostgreSQL: an id with a quote, a backslash, a comma, braces, spaces, the
    word NULL or letters outside ASCII is found as itself, and nothing else is."""
    tag = uuid.uuid4().hex[:8]
    odd = ['q"uote', "back\\slash", "com,ma", "{brace}", "NULL", " sp ace ", "æøå", "", '\\"{,}"\\']
    ids = [f"{tag}-{s}-{i}" for i, s in enumerate(odd)] + [f"{tag}-plain-{i}" for i in range(60)]
    with portal.store.write() as tx:
        tx.create_many(
            [{"resourceType": "Binary", "id": rid, "contentType": "text/plain"} for rid in ids]
            + [{"resourceType": "Consent", "id": rid, "status": "draft"} for rid in ids[:5]],
            keep_id=True,
        )
    with portal.store.read() as tx:
        got = tx.get_many([f"Binary/{rid}" for rid in ids] + [f"Binary/{tag}-missing", f"Binary/{tag}-q"])
        assert sorted(r["id"] for r in got) == sorted(ids)
        both = tx.get_many([f"Binary/{rid}" for rid in ids[:3]] + [f"Consent/{rid}" for rid in ids[:5]], raw=True)
        assert sorted((r["resourceType"], r["id"]) for r in both) == sorted(
            [("Binary", rid) for rid in ids[:3]] + [("Consent", rid) for rid in ids[:5]]
        )


def test_no_column_is_of_the_type_stored_json_is_read_as_bytes_through(portal: EmbeddedPortal) -> None:
    """On PostgreSQL stored JSON is read as `bpchar`, whose values the engine hands over as bytes
    (store.db.RAW_TEXT_TYPE): no column of the database may be of that type, or its values would come
    back as bytes too. On both databases (SQLite: CAST(... AS BLOB)) a page's resources come back as
    their stored bytes."""
    with portal.store.read() as tx:
        if not portal.store.sqlite:
            cols = tx.conn.exec_driver_sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND udt_name = %s",
                (RAW_TEXT_TYPE,),
            ).all()
            assert cols == []
        page = tx.search("Task", [], count=3, raw=True)
        assert page.rows and all(isinstance(r.raw, bytes) and json.loads(r.raw) == dict(r) for r in page.rows)


@pytest.mark.parametrize("sort", ["-authored-on", "-priority,authored-on", "priority,-_lastUpdated"])
def test_paging_an_inbox_gives_each_item_once_in_the_asked_order(sign_in: Any, sort: str) -> None:
    """Page by page along the `next` links (several statuses: one index-ordered read per status,
    merged), the items are those of one long page, in the same order, none twice."""
    lege = sign_in("lege")
    pools = [p for p in lege.get("/fhir/$pools").json()["pools"] if p.get("id")]
    pool = max(pools, key=lambda p: p["waiting"])
    params = [("owner", f"HealthcareService/{pool['id']}"), ("status", "requested,in-progress"), ("_sort", sort)]
    whole = lege.get("/fhir/Task", params=[*params, ("_count", "40")])
    assert whole.status_code == 200, whole.text
    expected = [e["resource"]["id"] for e in whole.json()["entry"] if e["search"]["mode"] == "match"]
    assert len(expected) > 6, pool  # enough for several pages
    seen: list[str] = []
    r = lege.get("/fhir/Task", params=[*params, ("_count", "3")])
    while len(seen) < len(expected):
        assert r.status_code == 200, r.text
        seen += [e["resource"]["id"] for e in r.json()["entry"] if e["search"]["mode"] == "match"]
        nxt = [x["url"] for x in r.json().get("link", []) if x["relation"] == "next"]
        if not nxt:
            break
        r = lege.get(nxt[0])
    assert seen[: len(expected)] == expected
    assert len(set(seen)) == len(seen)
