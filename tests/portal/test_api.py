"""The portal's FHIR API over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from typing import Any

import httpx
import pytest

from helsami_portal.fhir.registry import DEFS

from .conftest import Api, new_thread, task_for_thread


@pytest.fixture(scope="module")
def team(sign_in: Any) -> dict[str, Any]:
    """Two clinicians who share an inbox, and a patient."""
    lege, sykepleier = sign_in("lege"), sign_in("sykepleier")
    mine = lege.get("/fhir/$whoami").json()
    theirs = sykepleier.get("/fhir/$whoami").json()
    shared = sorted(set(mine["pools"]) & set(theirs["pools"]))
    assert shared, "the demo physician and nurse share no inbox"
    return {
        "lege": lege,
        "sykepleier": sykepleier,
        "pool": shared[0],
        "pasient": sign_in("pasient"),
        "lege_ref": mine["resource"],
    }


def is_outcome(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["diagnostics"]
    assert "Traceback" not in r.text
    return dict(body)


def test_capability_statement_lists_exactly_what_is_supported(portal: Any) -> None:
    cs = httpx.get(f"{portal.base_url}/fhir/metadata").json()
    assert cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "4.0.1"
    listed = {r["type"]: r for r in cs["rest"][0]["resource"]}
    assert set(listed) == set(DEFS)
    task = listed["Task"]
    assert {o["name"] for o in task["operation"]} == {
        "claim",
        "unclaim",
        "forward",
        "reply",
        "complete",
        "note",
        "reopen",
        "message",  # inbox
        "approve",
        "deny",
        "pend",
        "ask-info",
        "release",
        "mark-reviewed",  # decisions
        "confirm-appointment",
        "propose-appointment",
        "decline-appointment",
        "confirm-cancellation",
        "renewal-review",
        "result-review",
        "questionnaire-review",
        "route-suggestion",  # reads (GET)
        "phone-message",
        "claim-next",
    }  # type level: POST /fhir/Task/$phone-message, /fhir/Task/$claim-next
    assert {o["name"] for o in listed["Practitioner"]["operation"]} == {"absence"}
    assert {p["name"] for p in task["searchParam"]} >= {
        "owner",
        "status",
        "code",
        "priority",
        "patient",
        "focus",
        "_lastUpdated",
    }
    assert set(task["searchInclude"]) == {"Task:focus", "Task:patient", "Task:owner"}
    for name, entry in listed.items():
        # every listed search parameter really works (no 400 for it)
        assert {p["name"] for p in entry["searchParam"]} == set(DEFS[name].params)


def test_requests_without_a_token_get_401_with_outcome(portal: Any) -> None:
    r = httpx.get(f"{portal.base_url}/fhir/Task")
    is_outcome(r, 401)
    assert "Bearer" in r.headers["www-authenticate"]


def test_patient_message_lands_in_pool_and_one_request_gives_rows_with_focus_and_patient(team: dict[str, Any]) -> None:
    thread = new_thread(team["pasient"], team["pool"], subject="Vondt i kneet")
    r = team["lege"].get(
        "/fhir/Task",
        params=[
            ("owner", f"HealthcareService/{team['pool']}"),
            ("status", "requested"),
            ("_sort", "-authored-on"),
            ("_count", "5"),
            ("_include", "Task:focus"),
            ("_include", "Task:patient"),
        ],
    )
    assert r.status_code == 200, r.text
    bundle = r.json()
    matches = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    included = {
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
        if e["search"]["mode"] == "include"
    }
    newest = matches[0]
    assert newest["focus"]["reference"] == f"Communication/{thread['thread']['id']}"
    assert newest["focus"]["reference"] in included
    assert newest["for"]["reference"] in included
    assert newest["status"] == "requested" and newest["code"]["coding"][0]["code"] == "message"


def test_claim_reply_complete_and_conflicts(team: dict[str, Any]) -> None:
    lege, nurse = team["lege"], team["sykepleier"]
    thread = new_thread(team["pasient"], team["pool"])
    task = task_for_thread(lege, thread["thread"]["id"])

    is_outcome(lege.post(f"/fhir/Task/{task['id']}/$claim"), 428)  # no If-Match
    r = lege.op(task, "claim")
    assert r.status_code == 200, r.text
    claimed = r.json()
    assert claimed["status"] == "in-progress" and claimed["owner"]["reference"] == team["lege_ref"]
    assert r.headers["etag"] == f'W/"{claimed["meta"]["versionId"]}"'

    # The nurse, with the version she saw before, is told plainly who has it.
    oo = is_outcome(nurse.op(task, "claim"), 409)
    assert "claimed this item" in oo["issue"][0]["diagnostics"]
    assert oo["contained"][0]["owner"]["reference"] == team["lege_ref"]

    # Replying with a stale version of a valid transition: 412.
    is_outcome(lege.op(task, "reply", text="Hei", messageId=str(uuid.uuid4())), 412)

    mid = str(uuid.uuid4())
    first = lege.op(claimed, "reply", text="Hei! Vi ser på saken i dag.", messageId=mid)
    assert first.status_code == 200, first.text
    task_after, msg = (p["resource"] for p in first.json()["parameter"])
    # The network failed and the client retries with the same id: same message, nothing new.
    again = lege.op(claimed, "reply", text="Hei! Vi ser på saken i dag.", messageId=mid)
    assert again.status_code == 200
    assert again.json()["parameter"][1]["resource"]["id"] == msg["id"]
    seen = team["pasient"].get(f"/patient/threads/{thread['thread']['id']}").json()
    replies = [m for m in seen["messages"] if m["payload"][0]["contentString"] == "Hei! Vi ser på saken i dag."]
    assert len(replies) == 1

    done = lege.op(task_after, "complete")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    oo = is_outcome(lege.op(done.json(), "claim"), 409)
    assert "already completed" in oo["issue"][0]["diagnostics"]


def test_unclaim_and_forward_with_internal_note_never_shown_to_patient(team: dict[str, Any], sign_in: Any) -> None:
    lege = team["lege"]
    thread = new_thread(team["pasient"], team["pool"], text="Jeg trenger hjelp med noe privat.")
    task = task_for_thread(lege, thread["thread"]["id"])
    claimed = lege.op(task, "claim").json()
    is_outcome(team["sykepleier"].op(claimed, "unclaim"), 409)  # not hers to put back
    back = lege.op(claimed, "unclaim")
    assert back.status_code == 200 and back.json()["status"] == "requested"
    assert back.json()["owner"]["reference"] == f"HealthcareService/{team['pool']}"

    services = team["pasient"].get("/patient/services").json()["services"]
    other = next(s["id"] for s in services if s["id"] != team["pool"])
    note = "INTERN: pasienten bør ringes opp av psykiatrisk sykepleier"
    fwd = lege.op(back.json(), "forward", target=f"HealthcareService/{other}", note=note)
    assert fwd.status_code == 200, fwd.text
    assert fwd.json()["owner"]["reference"] == f"HealthcareService/{other}"
    assert fwd.json()["note"][-1]["text"] == note
    # The lege is not a member of the new inbox, so the item is gone from their view.
    assert lege.get(f"/fhir/Task/{task['id']}").status_code == 403

    seen = team["pasient"].get(f"/patient/threads/{thread['thread']['id']}")
    assert seen.status_code == 200
    text = seen.text
    assert "INTERN" not in text and other not in text and "Task" not in text
    assert "owner" not in text


def test_history_and_vread_of_task(team: dict[str, Any]) -> None:
    lege = team["lege"]
    task = task_for_thread(lege, new_thread(team["pasient"], team["pool"])["thread"]["id"])
    claimed = lege.op(task, "claim").json()
    hist = lege.get(f"/fhir/Task/{task['id']}/_history").json()
    assert hist["type"] == "history"
    assert [e["resource"]["meta"]["versionId"] for e in hist["entry"]] == ["2", "1"]
    v1 = lege.get(f"/fhir/Task/{task['id']}/_history/1")
    assert v1.status_code == 200 and v1.json()["status"] == "requested"
    assert lege.get(f"/fhir/Task/{task['id']}/_history/2").json()["status"] == "in-progress"
    is_outcome(lege.get(f"/fhir/Task/{task['id']}/_history/9"), 404)
    assert claimed["meta"]["versionId"] == "2"


def test_keyset_paging_stays_correct_while_new_items_arrive(team: dict[str, Any]) -> None:
    lege = team["lege"]
    params = {"pool": team["pool"], "status": "requested", "_count": "7"}
    first = lege.get("/fhir/Task", params={**params, "_total": "accurate"}).json()
    expected_total = first["total"]
    seen = [e["resource"]["id"] for e in first["entry"]]
    nxt = next((link["url"] for link in first["link"] if link["relation"] == "next"), None)
    arrived = 0
    while nxt:
        if arrived < 3:  # new patient messages arrive while the user pages
            new_thread(team["pasient"], team["pool"], subject=f"Ny melding {arrived}")
            arrived += 1
        page = lege.get(nxt.split("/fhir", 1)[1] if "/fhir" in nxt else nxt)
        page = lege.http.get(nxt, headers=lege.h()).json()
        seen += [e["resource"]["id"] for e in page["entry"]]
        nxt = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert len(seen) == len(set(seen)), "an item was shown twice"
    # Default order is priority then oldest first, so new routine items sort after: all old ones seen.
    assert len(seen) >= expected_total


@pytest.mark.parametrize(
    "path,body,ctype,status",
    [
        ("/fhir/Communication", b"{not json", "application/fhir+json", 400),
        ("/fhir/Communication", b'{"resourceType": "Patient"}', "application/fhir+json", 400),
        ("/fhir/Communication", b'["a list"]', "application/fhir+json", 400),
        ("/fhir/Banana", b'{"resourceType": "Banana"}', "application/fhir+json", 404),
        (
            "/fhir/Communication",
            b'{"resourceType": "Communication", "status": "preparation", "partOf": '
            b'[{"reference": "Communication/nothing-here"}]}',
            "application/fhir+json",
            422,
        ),
        ("/fhir/Communication", b'{"resourceType": "Communication"}', "text/plain", 415),
        ("/fhir/Communication", b'{"a": "' + b"x" * 1_100_000 + b'"}', "application/fhir+json", 413),
    ],
)
def test_bad_input_gets_a_4xx_outcome_and_writes_nothing(
    team: dict[str, Any], path: str, body: bytes, ctype: str, status: int
) -> None:
    lege = team["lege"]
    before = lege.get("/fhir/Communication", params={"patient": "Patient/none"})
    r = lege.post(path, content=body, headers={"Content-Type": ctype})
    is_outcome(r, status)
    assert before is not None


@pytest.mark.parametrize(
    "query",
    [
        {"bogus": "1"},
        {"_sort": "colour"},
        {"_count": "abc"},
        {"_count": "100000"},
        {"_include": "Task:nothing"},
        {"authored-on": "yesterday"},
        {"priority": "whenever"},
        {"_cursor": "!!!"},
        {"status:missing": "true"},
    ],
)
def test_bad_search_parameters_get_400_that_names_the_problem(team: dict[str, Any], query: dict[str, str]) -> None:
    oo = is_outcome(team["lege"].get("/fhir/Task", params=query), 400)
    name = next(iter(query)).split(":")[0]
    assert name in json.dumps(oo) or "cursor" in json.dumps(oo)


def test_unknown_ids_and_operations(team: dict[str, Any]) -> None:
    lege = team["lege"]
    is_outcome(lege.get("/fhir/Task/does-not-exist"), 404)
    is_outcome(lege.post("/fhir/Task/does-not-exist/$claim", headers={"If-Match": 'W/"1"'}), 404)
    is_outcome(lege.post("/fhir/Task/x/$explode", headers={"If-Match": 'W/"1"'}), 404)
    is_outcome(lege.get("/fhir/Task/bad%20id"), 400)


def test_many_clients_claim_the_same_item_exactly_one_wins(team: dict[str, Any], sign_in: Any, portal: Any) -> None:
    lege = team["lege"]
    task = task_for_thread(lege, new_thread(team["pasient"], team["pool"])["thread"]["id"])
    me = lege.get("/fhir/$whoami").json()
    claimants = [
        Api(httpx.Client(base_url=portal.base_url, timeout=60), u.username, u.token)
        for u in (team["lege"], team["sykepleier"])
        for _ in range(8)
    ]

    def attempt(api: Api) -> int:
        return api.op(task, "claim").status_code

    with concurrent.futures.ThreadPoolExecutor(len(claimants)) as pool:
        codes = list(pool.map(attempt, claimants))
    for c in claimants:
        c.http.close()
    assert codes.count(200) == 1, codes
    assert all(c == 409 for c in codes if c != 200), codes
    hist = lege.get(f"/fhir/Task/{task['id']}/_history").json()
    claims = [e for e in hist["entry"] if e["resource"]["status"] == "in-progress"]
    assert len(claims) == 1
    assert me["resource"]


def test_fhirpy_client_searches_and_reads(team: dict[str, Any], portal: Any) -> None:
    from fhirpy import SyncFHIRClient

    client = SyncFHIRClient(f"{portal.base_url}/fhir", authorization=f"Bearer {team['lege'].token}")
    tasks = client.resources("Task").search(pool=team["pool"], status="requested").limit(5).fetch()
    assert tasks and all(t["status"] == "requested" for t in tasks)
    task = client.reference("Task", tasks[0]["id"]).to_resource()
    assert task["id"] == tasks[0]["id"]
    services = client.resources("HealthcareService").fetch_all()
    assert any(s["id"] == team["pool"] for s in services)


def test_event_stream_reports_new_items_without_patient_data(team: dict[str, Any], portal: Any) -> None:
    import threading

    got: list[dict[str, Any]] = []
    ready = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(base_url=portal.base_url, timeout=30) as c,
            c.stream("GET", "/fhir/$events", headers=team["lege"].h()) as r,
        ):
            ready.set()
            for line in r.iter_lines():
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)
    thread = new_thread(team["pasient"], team["pool"], subject="Hemmelig emne", text="Hemmelig tekst")
    t.join(15)
    assert got, "no event arrived"
    ev = got[0]
    assert ev["pool"] == team["pool"] and ev["action"] == "new"
    assert "Hemmelig" not in json.dumps(ev)
    assert thread


def test_drafts_are_private_updatable_and_closed_when_the_reply_is_sent(team: dict[str, Any]) -> None:
    lege, nurse = team["lege"], team["sykepleier"]
    thread = new_thread(team["pasient"], team["pool"])
    tref = f"Communication/{thread['thread']['id']}"
    task = task_for_thread(lege, thread["thread"]["id"])
    r = lege.post(
        "/fhir/Communication",
        json={
            "resourceType": "Communication",
            "status": "preparation",
            "partOf": [{"reference": tref}],
            "payload": [{"contentString": "Utkast 1"}],
        },
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    r = lege.http.put(
        f"/fhir/Communication/{draft['id']}",
        headers=lege.h(**{"If-Match": 'W/"1"'}),
        json={**draft, "payload": [{"contentString": "Utkast 2"}]},
    )
    assert r.status_code == 200 and r.json()["payload"][0]["contentString"] == "Utkast 2"
    # Stale version, and someone else's draft: refused.
    is_outcome(
        lege.http.put(f"/fhir/Communication/{draft['id']}", headers=lege.h(**{"If-Match": 'W/"1"'}), json=draft), 412
    )
    is_outcome(
        nurse.http.put(f"/fhir/Communication/{draft['id']}", headers=nurse.h(**{"If-Match": 'W/"2"'}), json=draft), 403
    )
    mine = lege.get("/fhir/Communication", params={"part-of": tref, "status": "preparation"}).json()
    assert [e["resource"]["id"] for e in mine.get("entry", [])] == [draft["id"]]
    theirs = nurse.get("/fhir/Communication", params={"part-of": tref, "status": "preparation"})
    assert theirs.status_code in (200, 403)
    if theirs.status_code == 200:
        assert not theirs.json().get("entry")
    # The patient never sees drafts.
    assert "Utkast" not in team["pasient"].get(f"/patient/threads/{thread['thread']['id']}").text
    claimed = lege.op(task, "claim").json()
    assert lege.op(claimed, "reply", text="Endelig svar", messageId=str(uuid.uuid4())).status_code == 200
    left = lege.get("/fhir/Communication", params={"part-of": tref, "status": "preparation"}).json()
    assert not left.get("entry"), "the draft should be closed once the reply is sent"
    is_outcome(lege.http.put(f"/fhir/Task/{task['id']}", headers=lege.h(**{"If-Match": 'W/"1"'}), json=task), 405)


def test_history_of_a_seeded_item_keeps_its_first_version(team: dict[str, Any]) -> None:
    lege = team["lege"]
    page = lege.get(
        "/fhir/Task", params={"owner": f"HealthcareService/{team['pool']}", "status": "requested", "_count": "50"}
    ).json()
    seeded = next(
        e["resource"]
        for e in page["entry"]
        if e["resource"]["id"].startswith("task-") and e["resource"]["meta"]["versionId"] == "1"
    )
    claimed = lege.op(seeded, "claim")
    assert claimed.status_code == 200, claimed.text
    hist = lege.get(f"/fhir/Task/{seeded['id']}/_history").json()
    assert [e["resource"]["meta"]["versionId"] for e in hist["entry"]] == ["2", "1"]
    assert lege.get(f"/fhir/Task/{seeded['id']}/_history/1").json()["status"] == "requested"
    lege.op(claimed.json(), "unclaim")


def test_a_threads_messages_come_with_their_header_and_a_patients_grants_with_their_holders(
    team: dict[str, Any],
) -> None:
    """`_include=Communication:part-of` carries the thread header with its messages (the item screen
    reads a thread in one request); `_include=Consent:actor` the people a grant names. Both are in
    the CapabilityStatement."""
    lege = team["lege"]
    thread = new_thread(team["pasient"], team["pool"])
    tref = f"Communication/{thread['thread']['id']}"
    r = lege.get("/fhir/Communication", params={"part-of": tref, "_include": "Communication:part-of"})
    assert r.status_code == 200, r.text
    modes = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["search"]["mode"] for e in r.json()["entry"]}
    assert modes.pop(tref) == "include"
    assert modes and set(modes.values()) == {"match"}
    pid = thread["thread"]["subject"]["reference"]
    r = lege.get("/fhir/Consent", params={"patient": pid, "_include": "Consent:actor"})
    assert r.status_code == 200, r.text
    cap = {x["type"]: x for x in lege.get("/fhir/metadata").json()["rest"][0]["resource"]}
    assert cap["Communication"]["searchInclude"] == ["Communication:part-of"]
    assert cap["Consent"]["searchInclude"] == ["Consent:actor"]
