"""FHIR conventions generic clients rely on, each tried with a third-party client: the
OperationDefinitions the CapabilityStatement names, SMART discovery, content negotiation (406),
Last-Modified as an HTTP date."""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import httpx
import pytest

# An inbox patients may write to (GET /patient/services) that lege and sykepleier work in.
PATIENT_POOL = "hs-fjordvik-legesenter"


def _definitions(cs: dict[str, Any]) -> list[tuple[str, str]]:
    rest = cs["rest"][0]
    ops = [(o["name"], o["definition"]) for o in rest.get("operation", [])]
    for res in rest["resource"]:
        ops += [(o["name"], o["definition"]) for o in res.get("operation", [])]
    return ops


def test_every_operation_definition_the_capability_statement_names_is_there(portal: Any, sign_in: Any) -> None:
    from fhir.resources.R4B.operationdefinition import OperationDefinition
    from fhirpy import SyncFHIRClient

    lege = sign_in("lege")
    client = SyncFHIRClient(f"{portal.base_url}/fhir", authorization=f"Bearer {lege.token}")
    cs = httpx.get(f"{portal.base_url}/fhir/metadata").json()
    named = _definitions(cs)
    assert len(named) > 15
    for name, url in named:
        assert url.startswith(f"{portal.base_url}/fhir/OperationDefinition/")
        od = client.reference("OperationDefinition", url.rsplit("/", 1)[1]).to_resource()
        assert od["code"] == name and od["url"] == url
        OperationDefinition.model_validate(od.serialize())  # valid FHIR, not just JSON
    forward = client.reference("OperationDefinition", "Task-forward").to_resource()
    assert forward["instance"] is True and forward["resource"] == ["Task"]
    assert {p["name"]: p["min"] for p in forward["parameter"]} == {"target": 1, "note": 0}
    listed = client.resources("OperationDefinition").fetch_all()
    assert {od["url"] for od in listed} == {url for _, url in named}
    missing = httpx.get(f"{portal.base_url}/fhir/OperationDefinition/Task-nothing")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"


def test_smart_discovery_leads_a_client_to_the_token_endpoint(portal: Any) -> None:
    with httpx.Client(timeout=30) as http:
        smart = http.get(f"{portal.base_url}/fhir/.well-known/smart-configuration")
        assert smart.status_code == 200
        conf = smart.json()
        assert conf == http.get(f"{portal.base_url}/.well-known/smart-configuration").json()
        assert conf["token_endpoint"] == f"{portal.base_url}/oauth/token"
        assert "urn:ietf:params:oauth:grant-type:device_code" in conf["grant_types_supported"]
        assert isinstance(conf["capabilities"], list)
        # A client that knows only the FHIR base finds where to sign in, and the token works.
        dev = http.post(conf["device_authorization_endpoint"], data={"client_id": "smart-test"}).json()
        http.post(
            f"{portal.base_url}/device",
            data={"user_code": dev["user_code"], "username": "lege", "password": "demo", "decision": "approve"},
        )
        tok = http.post(
            conf["token_endpoint"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": dev["device_code"],
                "client_id": "smart-test",
            },
        )
        assert tok.status_code == 200
        me = http.get(
            f"{portal.base_url}/fhir/$whoami", headers={"Authorization": f"Bearer {tok.json()['access_token']}"}
        )
        assert me.status_code == 200 and me.json()["username"] == "lege"


@pytest.mark.parametrize(
    ("params", "accept", "status"),
    [
        ({"_format": "xml"}, None, 406),
        ({"_format": "application/fhir+xml"}, None, 406),
        ({"_format": "ttl"}, None, 406),
        ({}, "application/fhir+xml", 406),
        ({}, "application/fhir+json;q=0, application/fhir+xml", 406),
        ({"_format": "json"}, None, 200),
        ({"_format": "application/fhir+json"}, "application/fhir+xml", 200),  # _format wins over Accept
        ({}, "application/fhir+xml;q=0.9, application/fhir+json;q=0.5", 200),
        ({}, "*/*", 200),
        ({}, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200),  # a browser
    ],
)
def test_formats_other_than_json_are_refused_with_406(
    portal: Any, sign_in: Any, params: dict[str, str], accept: str | None, status: int
) -> None:
    lege = sign_in("lege")
    headers = {"Accept": accept} if accept else {}
    for path in ("/fhir/metadata", "/fhir/Task"):
        r = lege.get(path, params={**params, **({"_count": "1"} if path == "/fhir/Task" else {})}, headers=headers)
        assert r.status_code == status, (path, r.text)
        assert r.headers["content-type"].startswith("application/fhir+json")
        if status == 406:
            issue = r.json()["issue"][0]
            assert issue["code"] == "not-supported"
            assert issue["details"]["coding"][0]["code"] == "format-not-supported"


def test_the_event_stream_still_answers_clients_asking_for_event_streams(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    with httpx.stream(
        "GET", f"{portal.base_url}/fhir/$events", timeout=30, headers=lege.h(Accept="text/event-stream")
    ) as stream:
        assert stream.status_code == 200
        chunks = stream.iter_bytes()
        assert b"connected" in next(chunks)


def test_last_modified_is_an_http_date(portal: Any, sign_in: Any) -> None:
    from fhirpy import SyncFHIRClient

    lege = sign_in("lege")
    client = SyncFHIRClient(f"{portal.base_url}/fhir", authorization=f"Bearer {lege.token}")
    task = client.resources("Task").limit(1).fetch()[0]
    r = lege.get(f"/fhir/Task/{task['id']}")
    header = r.headers["last-modified"]
    assert header.endswith(" GMT")
    when = email.utils.parsedate_to_datetime(header)
    updated = dt.datetime.fromisoformat(task["meta"]["lastUpdated"].replace("Z", "+00:00"))
    assert when == updated.replace(microsecond=0)
    assert r.headers["etag"] == f'W/"{task["meta"]["versionId"]}"'


def test_count_only_with_fhirpy_and_summary_count(portal: Any, sign_in: Any) -> None:
    from fhirpy import SyncFHIRClient

    lege = sign_in("lege")
    pool = next(p for p in lege.get("/fhir/$pools").json()["pools"] if p.get("id"))
    # fhirpy's .count() sends _count=0 and a parameter of its own (_totalMethod): lenient handling ignores it.
    client = SyncFHIRClient(
        f"{portal.base_url}/fhir", authorization=f"Bearer {lege.token}", extra_headers={"Prefer": "handling=lenient"}
    )
    n = client.resources("Task").search(pool=pool["id"], status="requested").count()
    assert n > 0
    full = lege.get("/fhir/Task", params={"pool": pool["id"], "status": "requested", "_total": "accurate"}).json()
    assert n == full["total"]
    for params in ({"_summary": "count"}, {"_count": "0"}):
        r = lege.get("/fhir/Task", params={"pool": pool["id"], "status": "requested", **params})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == n and "entry" not in r.json()  # no empty arrays in FHIR JSON
    assert (
        lege.get("/fhir/Task", params={"_summary": "true"}).json()["issue"][0]["details"]["coding"][0]["code"]
        == "summary-not-supported"
    )


def test_unknown_parameters_strict_by_default_ignored_when_lenient(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    strict = lege.get("/fhir/Practitioner", params={"colour": "blue"})
    assert strict.status_code == 400 and "colour" in strict.json()["issue"][0]["diagnostics"]
    assert (
        lege.get("/fhir/Practitioner", params={"colour": "blue"}, headers={"Prefer": "handling=strict"}).status_code
        == 400
    )
    lenient = lege.get(
        "/fhir/Practitioner", params={"colour": "blue", "_count": "3"}, headers={"Prefer": "handling=lenient"}
    )
    assert lenient.status_code == 200
    body = lenient.json()
    matches = [e for e in body["entry"] if e["search"]["mode"] == "match"]
    notes = [e["resource"] for e in body["entry"] if e["search"]["mode"] == "outcome"]
    assert len(matches) == 3
    assert len(notes) == 1 and "colour" in notes[0]["issue"][0]["diagnostics"]
    assert "colour" not in body["link"][0]["url"]  # the self link shows what was used


def test_elements_returns_only_the_named_elements_marked_subsetted(portal: Any, sign_in: Any) -> None:
    from fhirpy import SyncFHIRClient

    lege = sign_in("lege")
    client = SyncFHIRClient(f"{portal.base_url}/fhir", authorization=f"Bearer {lege.token}")
    tasks = client.resources("Task").elements("status", "owner").limit(3).fetch()
    assert tasks
    for t in tasks:
        assert set(t.serialize()) <= {"resourceType", "id", "meta", "status", "owner"}
        assert {"code": "SUBSETTED"}.items() <= t["meta"]["tag"][-1].items()


def test_prefer_return_on_create_and_update(portal: Any, sign_in: Any) -> None:
    from .conftest import new_thread, task_for_thread

    lege = sign_in("lege")
    pool = PATIENT_POOL
    thread = new_thread(sign_in("pasient"), pool)["thread"]["id"]
    task_for_thread(lege, thread)
    draft = {
        "resourceType": "Communication",
        "status": "preparation",
        "partOf": [{"reference": f"Communication/{thread}"}],
        "payload": [{"contentString": "Utkast"}],
    }
    minimal = lege.post("/fhir/Communication", json=draft, headers={"Prefer": "return=minimal"})
    assert minimal.status_code == 201 and minimal.content == b""
    assert minimal.headers["location"] and minimal.headers["etag"] == 'W/"1"'
    oo = lege.post("/fhir/Communication", json=draft, headers={"Prefer": "return=OperationOutcome"})
    assert oo.status_code == 201 and oo.json()["resourceType"] == "OperationOutcome"
    full = lege.post("/fhir/Communication", json=draft, headers={"Prefer": "return=representation"})
    assert full.status_code == 201 and full.json()["resourceType"] == "Communication"
    rid = full.json()["id"]
    updated = lege.http.put(
        f"/fhir/Communication/{rid}",
        json={**full.json(), "payload": [{"contentString": "Nytt"}]},
        headers=lege.h(**{"If-Match": 'W/"1"', "Prefer": "return=minimal"}),
    )
    assert updated.status_code == 200 and updated.content == b"" and updated.headers["etag"] == 'W/"2"'


def test_conditional_create_keeps_the_client_identifier_and_makes_no_duplicate(portal: Any, sign_in: Any) -> None:
    import uuid

    from .conftest import new_thread, task_for_thread

    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    pool = PATIENT_POOL  # lege and sykepleier both work in it, and patients may write to it
    thread = new_thread(sign_in("pasient"), pool)["thread"]["id"]
    task_for_thread(lege, thread)
    ident = {"system": "urn:example:drafts", "value": uuid.uuid4().hex}
    draft = {
        "resourceType": "Communication",
        "status": "preparation",
        "identifier": [ident],
        "partOf": [{"reference": f"Communication/{thread}"}],
        "payload": [{"contentString": "Utkast"}],
    }
    cond = {"If-None-Exist": f"identifier={ident['system']}|{ident['value']}"}
    first = lege.post("/fhir/Communication", json=draft, headers=cond)
    assert first.status_code == 201, first.text
    assert first.json()["identifier"] == [ident]
    again = lege.post("/fhir/Communication", json=draft, headers=cond)  # a retry after a lost answer
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert lege.get(f"/fhir/Communication/{first.json()['id']}").json()["identifier"] == [ident]
    # Without the condition the same identifier is a conflict, not a second draft.
    dup = lege.post("/fhir/Communication", json=draft)
    assert dup.status_code == 409 and dup.json()["issue"][0]["details"]["coding"][0]["code"] == "duplicate-identifier"
    # Identifiers are the caller's own: a colleague's matching condition makes their own draft.
    theirs = nurse.post("/fhir/Communication", json=draft, headers=cond)
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != first.json()["id"]
    bad = lege.post("/fhir/Communication", json=draft, headers={"If-None-Exist": "status=preparation"})
    assert bad.status_code == 400 and bad.json()["issue"][0]["details"]["coding"][0]["code"] == "unsupported-condition"


def test_the_search_example_in_api_md_works(portal: Any, sign_in: Any) -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    example = re.search(r"Search: `GET (/fhir/Task\?[^`]+)`", text)
    assert example
    lege = sign_in("lege")
    pool = PATIENT_POOL
    r = lege.get(example.group(1).replace("HealthcareService/x", f"HealthcareService/{pool}"))
    assert r.status_code == 200, r.text
    matches = [e["resource"] for e in r.json()["entry"] if e["search"]["mode"] == "match"]
    ranks = ["stat", "asap", "urgent", "routine"]
    assert matches and [ranks.index(t["priority"]) for t in matches] == sorted(
        ranks.index(t["priority"]) for t in matches
    )


def test_operations_as_documented_the_transition_is_checked_before_the_version(portal: Any, sign_in: Any) -> None:
    from .conftest import new_thread, task_for_thread

    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    pool = PATIENT_POOL  # lege and sykepleier both work in it, and patients may write to it
    task = task_for_thread(lege, new_thread(sign_in("pasient"), pool)["thread"]["id"])
    # $reply on an item nobody claimed: 409 (it needs a claimed item).
    assert lege.op(task, "reply", text="Hei", messageId="m-1-" + task["id"]).status_code == 409
    claimed = nurse.op(task, "claim")
    assert claimed.status_code == 200
    assert claimed.headers["etag"] == f'W/"{claimed.json()["meta"]["versionId"]}"'  # the next If-Match
    # The physician's copy is stale AND the step no longer applies: 409 with the current version, not 412.
    late = lege.op(task, "claim")
    assert late.status_code == 409
    body = late.json()
    state = {e["url"]: e for e in body["extension"][0]["extension"]}  # the current-state extension
    assert body["extension"][0]["url"].endswith("/current-state")
    assert state["resource"]["valueReference"]["reference"] == f"#{body['contained'][0]['id']}"  # dom-3
    assert state["versionId"]["valueId"] == claimed.json()["meta"]["versionId"]  # the If-Match to use next
    assert "versionId" not in body["contained"][0].get("meta", {})  # dom-4
    # Valid step, stale version: 412.
    assert nurse.op(task, "complete").status_code == 412
    assert nurse.op(claimed.json(), "complete").status_code == 200


def test_token_search_keeps_the_system(portal: Any, sign_in: Any) -> None:
    from fhirpy import SyncFHIRClient

    fnr_system, dnr_system = "urn:oid:2.16.578.1.12.4.1.4.1", "urn:oid:2.16.578.1.12.4.1.4.2"
    hpr_system = "urn:oid:2.16.578.1.12.4.1.4.4"
    lege = sign_in("lege")
    client = SyncFHIRClient(f"{portal.base_url}/fhir", authorization=f"Bearer {lege.token}")
    with portal.store.read() as tx:  # patients cannot be listed (a look-up needs criteria): take one
        patient = tx.get("Patient", "pat-000001")
    fnr = next(i["value"] for i in patient["identifier"] if i["system"] == fnr_system)
    found = client.resources("Patient").search(identifier=f"{fnr_system}|{fnr}").fetch()
    assert [p["id"] for p in found] == [patient["id"]]
    assert [p["id"] for p in client.resources("Patient").search(identifier=fnr).fetch()] == [patient["id"]]
    # The same digits as a D-number or an HPR number are not this patient's fødselsnummer.
    assert client.resources("Patient").search(identifier=f"{dnr_system}|{fnr}").fetch() == []
    assert client.resources("Patient").search(identifier=f"{hpr_system}|{fnr}").fetch() == []
    prac = client.resources("Practitioner").limit(1).fetch()[0]
    hpr = next(i["value"] for i in prac["identifier"] if i["system"] == hpr_system)
    assert [p["id"] for p in client.resources("Practitioner").search(identifier=f"{hpr_system}|{hpr}").fetch()] == [
        prac["id"]
    ]
    assert client.resources("Practitioner").search(identifier=f"{fnr_system}|{hpr}").fetch() == []
    # Clinical codes: system|code matches the coding's own system only.
    pool = PATIENT_POOL
    for task in client.resources("Task").search(pool=pool).limit(50).fetch():
        obs = client.resources("Observation").search(patient=task["for"]["reference"]).limit(1).fetch()
        if obs:
            break
    o = obs[0].serialize()
    coding = o["code"]["coding"][0]

    def ids(token: str) -> set[str]:
        return {
            r["id"]
            for r in client.resources("Observation").search(patient=o["subject"]["reference"], code=token).fetch_all()
        }

    assert o["id"] in ids(f"{coding['system']}|{coding['code']}")
    assert o["id"] in ids(coding["code"])
    assert o["id"] not in ids(f"urn:example:other|{coding['code']}")


def test_standard_r4_search_names(portal: Any, sign_in: Any) -> None:
    from fhirpy import SyncFHIRClient
    from fhirpy.base.exceptions import OperationOutcome

    lege = sign_in("lege")
    client = SyncFHIRClient(f"{portal.base_url}/fhir", authorization=f"Bearer {lege.token}")
    pool = PATIENT_POOL
    patients = sorted({t["for"]["reference"] for t in client.resources("Task").search(pool=pool).limit(50).fetch()})

    def first_with(rtype: str, field: str) -> tuple[str, dict[str, Any]]:
        for ref in patients:
            for r in client.resources(rtype).search(patient=ref).limit(50).fetch():
                if r.get(field):
                    return ref, r.serialize()
        raise AssertionError(f"no {rtype} with {field} for the patients of {pool}")

    ref, cond = first_with("Condition", "onsetDateTime")
    onset, recorded = cond["onsetDateTime"][:10], cond.get("recordedDate", "")[:10]
    assert onset != recorded
    ids = lambda rtype, **kw: {r["id"] for r in client.resources(rtype).search(patient=ref, **kw).fetch()}  # noqa: E731
    assert cond["id"] in ids("Condition", **{"onset-date": onset})
    assert cond["id"] not in ids("Condition", **{"recorded-date": onset})
    assert cond["id"] in ids("Condition", **{"onset-date": f"le{onset}"}) - ids(
        "Condition", **{"onset-date": f"gt{onset}"}
    )

    ref, imm = first_with("Immunization", "vaccineCode")
    code = imm["vaccineCode"]["coding"][0]["code"]
    assert imm["id"] in ids("Immunization", **{"vaccine-code": code})

    ref, med = first_with("MedicationRequest", "authoredOn")
    day = med["authoredOn"][:10]
    assert med["id"] in ids("MedicationRequest", authoredon=day)
    assert med["id"] not in ids("MedicationRequest", authoredon=f"gt{day}")
    # R4's MedicationRequest?date is the dosage's timing; the portal does not pretend it is authoredOn.
    with pytest.raises(OperationOutcome):
        client.resources("MedicationRequest").search(patient=ref, date=day).fetch()

    cs = httpx.get(f"{portal.base_url}/fhir/metadata").json()
    names = {r["type"]: {p["name"] for p in r["searchParam"]} for r in cs["rest"][0]["resource"]}
    assert {"onset-date", "recorded-date"} <= names["Condition"] and "vaccine-code" in names["Immunization"]
    assert "authoredon" in names["MedicationRequest"] and "date" not in names["MedicationRequest"]
    assert "service-type" in names["Appointment"] and "service-type" in names["HealthcareService"]


def test_appointments_by_service_type_with_fhirpy(portal: Any, sign_in: Any) -> None:
    """Audit: `service-type` was only listed in the CapabilityStatement, never searched. R4's
    Appointment?service-type is a token: code, or system|code, of serviceType (staff search one
    patient's appointments at a time)."""
    from fhirpy import SyncFHIRClient

    from helsami_portal.fhir import timeutil

    hl7 = "http://terminology.hl7.org/CodeSystem/service-type"
    lege = sign_in("lege")
    client = SyncFHIRClient(f"{portal.base_url}/fhir", authorization=f"Bearer {lege.token}")
    ref = client.resources("Task").search(pool=PATIENT_POOL, status="requested").limit(1).fetch()[0]["for"]["reference"]
    start = timeutil.instant(timeutil.utcnow() + dt.timedelta(days=9))

    def appointment(system: str, code: str) -> str:
        with portal.store.write() as tx:
            a = tx.create(
                {
                    "resourceType": "Appointment",
                    "status": "booked",
                    "serviceType": [{"coding": [{"system": system, "code": code}], "text": "Time"}],
                    "start": start,
                    "end": start,
                    "participant": [
                        {"actor": {"reference": ref}, "status": "accepted"},
                        {"actor": {"reference": f"HealthcareService/{PATIENT_POOL}"}, "status": "accepted"},
                    ],
                }
            )
            return str(a["id"])

    gp, vaccine, other_system = (
        appointment(hl7, "124"),
        appointment(hl7, "57"),
        appointment("urn:oid:2.16.578.1", "124"),
    )

    def found(value: str) -> set[str]:
        mine = {gp, vaccine, other_system}
        return {
            a["id"] for a in client.resources("Appointment").search(patient=ref, **{"service-type": value}).fetch_all()
        } & mine

    assert found("124") == {gp, other_system}
    assert found(f"{hl7}|124") == {gp}  # the system is kept
    assert found(f"{hl7}|57") == {vaccine}
    assert found("999") == set()


def test_the_event_stream_resumes_after_the_last_event_seen(portal: Any, sign_in: Any) -> None:
    """Audit: `$events?since=N` was documented, never asserted. A client that saw event N and
    reconnects with since=N gets the events after N, each once, and never N or earlier."""
    import json
    import time

    from tests.waiting import WAIT

    from .conftest import new_thread, task_for_thread

    lege, pasient = sign_in("lege"), sign_in("pasient")

    def events(stream: Any, until: set[str]) -> list[dict[str, Any]]:
        """Events read until those of `until` are in; the keep-alive comments bound each wait."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + WAIT
        for line in stream.iter_lines():
            assert time.monotonic() < deadline, f"no event for {until - {e.get('id') for e in got}}"
            if line.startswith("data: "):
                got.append(json.loads(line[6:]))
                if until <= {e.get("id") for e in got}:
                    return got
        raise AssertionError("the stream ended")

    with (
        httpx.Client(base_url=portal.base_url, timeout=30) as http,
        http.stream("GET", "/fhir/$events", headers=lege.h()) as first,
    ):
        assert first.status_code == 200
        seen = task_for_thread(lege, new_thread(pasient, PATIENT_POOL, subject="Før")["thread"]["id"])["id"]
        before = events(first, {seen})
    last = max(e["seq"] for e in before)
    # While the client is away, two more items arrive.
    missed = {
        task_for_thread(lege, new_thread(pasient, PATIENT_POOL, subject=s)["thread"]["id"])["id"] for s in ("A", "B")
    }
    with (
        httpx.Client(base_url=portal.base_url, timeout=30) as http,
        http.stream("GET", "/fhir/$events", params={"since": str(last)}, headers=lege.h()) as again,
    ):
        assert again.status_code == 200
        after = events(again, missed)
    seqs = [e["seq"] for e in after]
    assert all(s > last for s in seqs) and seqs == sorted(set(seqs))  # later ones only, in order, each once
    assert seen not in {e["id"] for e in after}
    assert {e["id"] for e in after if e["action"] == "new"} >= missed
