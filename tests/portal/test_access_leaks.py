"""Every resource that leaves the portal passes the one access decision (issue 10, part A).

Each test reproduces a leak seen around the direct reads: `_include`, skjerming of what hangs
from a restricted record, drafts through `_history` and `status=stopped`, the Task in a 409 body,
and an event stream that outlived its session. Each test owns its data (written into the store),
and exercises the portal over HTTP.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
import uuid
from typing import Any

import httpx
from joserfc import jwt

from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.synth.fnr import make_fnr

from .conftest import Api, device_sign_in, new_thread, task_for_thread

POOL = "hs-fjordvik-legesenter"  # lege (prac-0001, physician) and sykepleier (prac-0002, nurse)
INTAKE = "hs-fjordvik-sentralbord"  # sentralbord (switchboard)
LEGE, NURSE = "Practitioner/prac-0001", "Practitioner/prac-0002"
_rng = random.Random(1010)


def ago(days: float) -> str:
    return timeutil.instant(timeutil.utcnow() - dt.timedelta(days=days))


def make_patient(portal: Any, gp: str | None = "prac-0001") -> str:
    pid = f"t-{uuid.uuid4().hex[:12]}"
    birth = dt.date(1950 + _rng.randrange(40), 1 + _rng.randrange(12), 1 + _rng.randrange(28))
    with portal.store.write() as tx:
        tx.create(
            {
                "resourceType": "Patient",
                "id": pid,
                "active": True,
                "identifier": [{"system": c.FNR_SYSTEM, "value": make_fnr(birth, False, _rng)}],
                "name": [{"family": "Lekkasje", "given": ["Liv"], "text": "Liv Lekkasje"}],
                "gender": "female",
                "birthDate": birth.isoformat(),
                "address": [{"text": "Hemmeligveien 1"}],
                "generalPractitioner": [{"reference": f"Practitioner/{gp}"}] if gp else [],
            },
            keep_id=True,
        )
    return pid


def create(portal: Any, r: dict[str, Any]) -> str:
    with portal.store.write() as tx:
        return str(tx.create(r)["id"])


def medication(portal: Any, pid: str) -> str:
    return create(
        portal,
        {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": "http://www.whocc.no/atc", "code": "N06AB06"}],
                "text": "Sertralin 50 mg",
            },
            "subject": {"reference": f"Patient/{pid}"},
            "authoredOn": ago(200),
            "dosageInstruction": [{"text": "1 tablett daglig"}],
        },
    )


def task(portal: Any, pid: str, pool: str, code: str, focus: str, description: str, status: str = "requested") -> str:
    return create(
        portal,
        {
            "resourceType": "Task",
            "status": status,
            "intent": "order",
            "priority": "routine",
            "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
            "code": {"coding": [{"system": c.TASK_TYPE, "code": code}]},
            "description": description,
            "focus": {"reference": focus},
            "for": {"reference": f"Patient/{pid}"},
            "authoredOn": ago(1),
            "owner": {"reference": f"HealthcareService/{pool}"},
            "extension": [{"url": c.EXT_TASK_POOL, "valueReference": {"reference": f"HealthcareService/{pool}"}}],
        },
    )


def staff_reply(portal: Any, pid: str, header: str, text: str) -> str:
    """A nurse's reply, sent a day ago, in the thread `header` of patient `pid`."""
    return create(
        portal,
        {
            "resourceType": "Communication",
            "status": "completed",
            "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "staff-reply"}]}],
            "partOf": [{"reference": f"Communication/{header}"}],
            "subject": {"reference": f"Patient/{pid}"},
            "sender": {"reference": NURSE},
            "sent": ago(1),
            "payload": [{"contentString": text}],
        },
    )


def restrict(portal: Any, pid: str, records: list[str], team: tuple[str, ...] = (NURSE,)) -> None:
    create(
        portal,
        {
            "resourceType": "Consent",
            "status": "active",
            "category": [{"coding": [{"system": f"{c.BASE}/CodeSystem/consent-kind", "code": "skjerming"}]}],
            "patient": {"reference": f"Patient/{pid}"},
            "dateTime": ago(2),
            "provision": {
                "type": "deny",
                "period": {"start": ago(2)[:10]},
                "data": [{"meaning": "instance", "reference": {"reference": r}} for r in records],
                "provision": [{"type": "permit", "actor": [{"reference": {"reference": t}} for t in team]}],
            },
        },
    )


def report_with_results(portal: Any, pid: str) -> tuple[str, list[str]]:
    obs = [
        create(
            portal,
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": f"Prøve {n}"},
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": ago(3),
                "valueQuantity": {"value": 4.2 + n, "unit": "mmol/L"},
            },
        )
        for n in range(2)
    ]
    dr = create(
        portal,
        {
            "resourceType": "DiagnosticReport",
            "status": "final",
            "code": {"text": "HIV-test"},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": ago(3),
            "result": [{"reference": f"Observation/{o}"} for o in obs],
        },
    )
    return dr, obs


def entries(resp: httpx.Response, mode: str | None = None) -> list[dict[str, Any]]:
    assert resp.status_code == 200, resp.text
    return [e["resource"] for e in resp.json().get("entry", []) if mode is None or e["search"]["mode"] == mode]


def refs(resources: list[dict[str, Any]]) -> set[str]:
    return {f"{r['resourceType']}/{r['id']}" for r in resources}


def withheld_notes(resp: httpx.Response) -> list[dict[str, Any]]:
    return [r for r in entries(resp, "outcome") if r["resourceType"] == "OperationOutcome"]


def audit_of(sign_in: Any, pid: str, agent: str) -> list[dict[str, Any]]:
    r = sign_in("personvern").get(
        "/fhir/AuditEvent", params={"patient": f"Patient/{pid}", "agent": agent, "_count": "100"}
    )
    return entries(r)


def descriptions(events: list[dict[str, Any]]) -> list[str]:
    return [e["entity"][0]["description"] for e in events if e.get("outcome") == "0"]


# -- _include ---------------------------------------------------------------------------------


def test_switchboard_gets_no_medication_through_include_focus(portal: Any, sign_in: Any) -> None:
    pid = make_patient(portal)
    mr = medication(portal, pid)
    task(portal, pid, INTAKE, "renewal", f"MedicationRequest/{mr}", "Fornyelse av resept")
    sb = sign_in("sentralbord")
    assert sb.get(f"/fhir/MedicationRequest/{mr}").status_code == 403
    r = sb.get(
        "/fhir/Task",
        params={
            "owner": f"HealthcareService/{INTAKE}",
            "code": "renewal",
            "patient": f"Patient/{pid}",
            "_include": "Task:focus",
        },
    )
    got = entries(r)
    assert f"MedicationRequest/{mr}" not in refs(got)
    assert "Sertralin" not in r.text
    assert [t["resourceType"] for t in entries(r, "match")] == ["Task"]
    notes = withheld_notes(r)
    assert len(notes) == 1 and mr not in str(notes)
    assert notes[0]["issue"][0]["code"] == "suppressed"


def test_physician_gets_no_patient_or_medication_without_care_relation_through_include(
    portal: Any, sign_in: Any
) -> None:
    pid = make_patient(portal, gp=None)  # no GP, and only a completed item: no care relation
    mr = medication(portal, pid)
    tid = task(portal, pid, POOL, "renewal", f"MedicationRequest/{mr}", "Fornyelse", status="completed")
    lege = sign_in("lege")
    assert lege.get(f"/fhir/Patient/{pid}").status_code == 403
    assert lege.get(f"/fhir/MedicationRequest/{mr}").status_code == 403
    r = lege.get(
        "/fhir/Task",
        params=[
            ("patient", f"Patient/{pid}"),
            ("status", "completed"),
            ("_include", "Task:patient"),
            ("_include", "Task:focus"),
        ],
    )
    assert refs(entries(r, "match")) == {f"Task/{tid}"}
    assert refs(entries(r, "include")) == set()
    assert "Lekkasje" not in r.text and "Hemmeligveien" not in r.text and "Sertralin" not in r.text
    assert len(withheld_notes(r)) == 1
    # The access log names what was returned (the item), not what was withheld.
    logged = descriptions(audit_of(sign_in, pid, LEGE))
    assert logged and all("Patient" not in d and "MedicationRequest" not in d for d in logged), logged


def test_a_patient_reached_only_through_a_withheld_include_gets_no_access_log_entry(portal: Any, sign_in: Any) -> None:
    seen = make_patient(portal)  # lege is the GP: the item and its patient are returned
    other = make_patient(portal, gp=None)  # no GP, no item: no care relation
    mr = medication(portal, other)
    tid = task(portal, seen, POOL, "renewal", f"MedicationRequest/{mr}", "Fornyelse")  # its focus: another's order
    lege = sign_in("lege")
    r = lege.get("/fhir/Task", params={"patient": f"Patient/{seen}", "_include": "Task:focus"})
    assert refs(entries(r, "match")) == {f"Task/{tid}"}
    assert refs(entries(r, "include")) == set() and "Sertralin" not in r.text
    assert len(withheld_notes(r)) == 1
    assert descriptions(audit_of(sign_in, seen, LEGE))  # the item's patient: logged
    assert audit_of(sign_in, other, LEGE) == []  # the withheld include's patient: nothing at all


# -- skjerming follows references --------------------------------------------------------------


def test_observations_of_a_restricted_report_are_restricted_too(portal: Any, sign_in: Any) -> None:
    pid = make_patient(portal)  # lege is the GP: a care relation
    dr, obs = report_with_results(portal, pid)
    task(portal, pid, POOL, "message", f"DiagnosticReport/{dr}", "Spørsmål")  # nurse: a care relation
    restrict(portal, pid, [f"DiagnosticReport/{dr}"])  # only the report is marked
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    assert lege.get(f"/fhir/DiagnosticReport/{dr}").status_code == 403
    for o in obs:
        assert lege.get(f"/fhir/Observation/{o}").status_code == 403
        assert nurse.get(f"/fhir/Observation/{o}").status_code == 200
    r = lege.get("/fhir/Observation", params={"patient": f"Patient/{pid}"})
    assert not refs(entries(r)) & {f"Observation/{o}" for o in obs}
    assert len(withheld_notes(r)) == 1
    r = nurse.get("/fhir/Observation", params={"patient": f"Patient/{pid}"})
    assert {f"Observation/{o}" for o in obs} <= refs(entries(r, "match"))
    r = lege.get("/fhir/DiagnosticReport", params={"patient": f"Patient/{pid}", "_include": "DiagnosticReport:result"})
    assert refs(entries(r)) & ({f"DiagnosticReport/{dr}"} | {f"Observation/{o}" for o in obs}) == set()
    assert "HIV" not in r.text


def test_thread_and_item_description_of_a_restricted_record_are_covered(portal: Any, sign_in: Any) -> None:
    pid = make_patient(portal)
    dr, _ = report_with_results(portal, pid)
    tid = task(portal, pid, POOL, "result", f"DiagnosticReport/{dr}", "Prøvesvar: HIV-test")
    header = create(
        portal,
        {
            "resourceType": "Communication",
            "status": "in-progress",
            "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
            "subject": {"reference": f"Patient/{pid}"},
            "topic": {"text": "Svar på HIV-test"},
            "about": [{"reference": f"DiagnosticReport/{dr}"}],
            "sent": ago(1),
        },
    )
    msg = staff_reply(portal, pid, header, "Svaret på HIV-testen")
    restrict(portal, pid, [f"DiagnosticReport/{dr}"])
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    # The item stays in the inbox (work to do), but its description is masked outside the team.
    t = lege.get(f"/fhir/Task/{tid}")
    assert t.status_code == 200 and "HIV" not in t.text
    listed = lege.get("/fhir/Task", params={"patient": f"Patient/{pid}"})
    assert f"Task/{tid}" in refs(entries(listed)) and "HIV" not in listed.text
    assert "HIV" in nurse.get(f"/fhir/Task/{tid}").json()["description"]
    # Searching the hidden words must not find the item either (no oracle).
    found = lege.get("/fhir/Task", params={"patient": f"Patient/{pid}", "description": "hiv"})
    assert entries(found, "match") == [] and len(withheld_notes(found)) == 1
    assert refs(
        entries(nurse.get("/fhir/Task", params={"patient": f"Patient/{pid}", "description": "hiv"}), "match")
    ) == {f"Task/{tid}"}
    # The thread about the record, and its messages.
    assert lege.get(f"/fhir/Communication/{header}").status_code == 403
    assert lege.get(f"/fhir/Communication/{msg}").status_code == 403
    r = lege.get("/fhir/Communication", params={"part-of": f"Communication/{header}", "_total": "accurate"})
    assert entries(r, "match") == [] and "HIV" not in r.text and len(withheld_notes(r)) == 1
    assert "total" not in r.json()  # a count of the withheld would tell how many there are
    r = nurse.get("/fhir/Communication", params={"part-of": f"Communication/{header}"})
    assert refs(entries(r, "match")) == {f"Communication/{msg}"}
    r = lege.get("/fhir/Task", params={"patient": f"Patient/{pid}", "_include": "Task:focus"})
    assert f"DiagnosticReport/{dr}" not in refs(entries(r)) and "HIV" not in r.text


# -- drafts through history and status=stopped -------------------------------------------------


def _draft(nurse: Api, thread_id: str, text: str) -> dict[str, Any]:
    r = nurse.post(
        "/fhir/Communication",
        json={
            "resourceType": "Communication",
            "status": "preparation",
            "partOf": [{"reference": f"Communication/{thread_id}"}],
            "payload": [{"contentString": text}],
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_colleagues_discarded_draft_stays_private(sign_in: Any) -> None:
    pas, lege, nurse = sign_in("pasient"), sign_in("lege"), sign_in("sykepleier")
    thread = new_thread(pas, POOL, subject="Utkast")["thread"]["id"]
    task_for_thread(nurse, thread)
    d = _draft(nurse, thread, "Utkast: ikke ferdig tenkt")
    put = nurse.http.put(
        f"/fhir/Communication/{d['id']}", headers=nurse.h(**{"If-Match": 'W/"1"'}), json={**d, "status": "stopped"}
    )
    assert put.status_code == 200, put.text
    assert nurse.get(f"/fhir/Communication/{d['id']}").status_code == 200  # the author still may
    for url in (
        f"/fhir/Communication/{d['id']}",
        f"/fhir/Communication/{d['id']}/_history",
        f"/fhir/Communication/{d['id']}/_history/1",
        f"/fhir/Communication/{d['id']}/_history/2",
    ):
        r = lege.get(url)
        assert r.status_code == 403, (url, r.text)
        assert "ikke ferdig" not in r.text
    r = lege.get("/fhir/Communication", params={"part-of": f"Communication/{thread}", "status": "stopped"})
    assert entries(r, "match") == [] and "ikke ferdig" not in r.text


# -- error bodies ------------------------------------------------------------------------------


def test_the_task_in_a_409_body_is_checked_and_logged(sign_in: Any) -> None:
    pas, lege, nurse = sign_in("pasient"), sign_in("lege"), sign_in("sykepleier")
    thread = new_thread(pas, POOL, subject="Konflikt")["thread"]["id"]
    t = task_for_thread(lege, thread)
    assert lege.op(t, "claim").status_code == 200
    r = nurse.op(t, "claim")
    assert r.status_code == 409, r.text
    contained = r.json().get("contained") or []
    assert [x["id"] for x in contained] == [t["id"]]
    logged = descriptions(audit_of(sign_in, "pat-000001", NURSE))
    assert any(f"Task/{t['id']}" in d for d in logged), logged


def test_a_resource_in_an_error_body_that_the_caller_may_not_see_is_left_out(portal: Any) -> None:
    from helsami_portal.auth.principal import load_staff
    from helsami_portal.workflow import reads

    pid = make_patient(portal)
    tid = task(portal, pid, POOL, "message", "Communication/none", "Spørsmål")
    with portal.store.read() as tx:
        t = tx.get("Task", tid)
        it = load_staff(tx, "prac-0004", username="it", session_id=None)  # IT support: no patient data
        lege = load_staff(tx, "prac-0001", username="lege", session_id=None)
    assert reads.error_body(portal.store, it, t) is None
    shown = reads.error_body(portal.store, lege, t)
    assert shown is not None and shown["id"] == tid


# -- the event stream ends with its session ----------------------------------------------------


def _read_until_closed(lines: Any, deadline_s: float = 45.0) -> str:
    """Every line until the server closes the stream (keep-alives come at least every 15 s)."""
    seen = []
    deadline = time.monotonic() + deadline_s
    for line in lines:
        seen.append(line)
        assert time.monotonic() < deadline, "the event stream is still open"
    return "\n".join(seen)


def test_event_stream_ends_when_the_session_is_signed_out(portal: Any) -> None:
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        tok = device_sign_in(http, "lege")
        h = {"Authorization": f"Bearer {tok['access_token']}"}
        with http.stream("GET", "/fhir/$events", headers=h) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            assert next(lines).startswith("retry:")
            with httpx.Client(base_url=portal.base_url, timeout=30) as other:
                assert other.post("/oauth/revoke", data={"token": tok["access_token"]}).status_code == 200
            text = _read_until_closed(lines)
        assert "session-ended" in text


def test_event_stream_ends_when_the_access_token_expires(portal: Any) -> None:
    tokens = portal.app.state.portal.tokens
    key = tokens.keys.signing()
    now = int(time.time())
    claims = {
        "iss": tokens.issuer,
        "aud": "helsami-portal",
        "sub": "lege",
        "kind": "staff",
        "res": "Practitioner/prac-0001",
        "name": "Marte Lien",
        "sid": secrets.token_hex(16),
        "client_id": "pytest",
        "iat": now,
        "exp": now + 3,
        "jti": secrets.token_hex(8),
    }
    token = jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}, claims, key)
    with (
        httpx.Client(base_url=portal.base_url, timeout=30) as http,
        http.stream("GET", "/fhir/$events", headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        assert r.status_code == 200
        text = _read_until_closed(r.iter_lines())
    assert "session-ended" in text


def test_event_stream_delivers_only_events_the_decision_allows(portal: Any, sign_in: Any) -> None:
    import json
    import threading

    sb, pas = sign_in("sentralbord"), sign_in("pasient")
    got: list[dict[str, Any]] = []
    ready = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(base_url=portal.base_url, timeout=30) as http,
            http.stream("GET", "/fhir/$events", headers=sb.h()) as r,
        ):
            ready.set()
            for line in r.iter_lines():
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    if got[-1]["pool"] == INTAKE and got[-1]["action"] == "new":
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)
    new_thread(pas, POOL, subject="Til legekontoret")  # not the switchboard's inbox: not delivered
    new_thread(pas, INTAKE, subject="Til sentralbordet")
    t.join(30)
    assert got and got[-1]["pool"] == INTAKE, "the switchboard's own event did not arrive"
    assert all(e["pool"] != POOL for e in got), got


# -- a count tells no more than the caller may see ----------------------------------------------


def totals(api: Api, url: str, params: dict[str, str]) -> list[int | None]:
    """The Bundle.total of the search when a count is asked for in each of FHIR's ways (None: left out)."""
    out = []
    for extra in ({"_summary": "count"}, {"_count": "0"}, {"_total": "accurate"}):
        r = api.get(url, params={**params, **extra})
        assert r.status_code == 200, r.text
        out.append(r.json().get("total"))
    return out


def test_a_count_of_tasks_tells_nothing_that_masking_hides(portal: Any, sign_in: Any) -> None:
    pid = make_patient(portal)
    dr, _ = report_with_results(portal, pid)
    tid = task(portal, pid, POOL, "result", f"DiagnosticReport/{dr}", "Prøvesvar: HIV-test")
    restrict(portal, pid, [f"DiagnosticReport/{dr}"])
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    by_words = {"patient": f"Patient/{pid}", "description": "hiv"}
    assert entries(lege.get("/fhir/Task", params=by_words), "match") == []
    assert all(t in (None, 0) for t in totals(lege, "/fhir/Task", by_words)), totals(lege, "/fhir/Task", by_words)
    assert totals(nurse, "/fhir/Task", by_words) == [1, 1, 1]  # the care team counts it
    # Across the inbox too (no patient named): the masked item is not counted by its words.
    assert all(t in (None, 0) for t in totals(lege, "/fhir/Task", {"pool": POOL, "description": "hiv"}))
    # Nor does the inbox search find it by those words, though it still finds it by the patient.
    r = lege.get("/fhir/Task", params={"pool": POOL, "match": "hiv"})
    assert f"Task/{tid}" not in refs(entries(r, "match")) and r.json().get("total") in (None, 0)
    r = lege.get("/fhir/Task", params={"patient": f"Patient/{pid}", "match": "lekkasje"})
    assert f"Task/{tid}" in refs(entries(r, "match")) and "HIV" not in r.text
    assert refs(entries(nurse.get("/fhir/Task", params={"pool": POOL, "match": "hiv"}), "match")) >= {f"Task/{tid}"}
    # The item itself is listed (masked) outside the team, and so counted.
    assert totals(lege, "/fhir/Task", {"patient": f"Patient/{pid}"}) == [1, 1, 1]


def test_a_count_of_messages_tells_nothing_of_a_restricted_thread(portal: Any, sign_in: Any) -> None:
    pid = make_patient(portal)
    dr, _ = report_with_results(portal, pid)
    thread: dict[str, Any] = {
        "resourceType": "Communication",
        "status": "in-progress",
        "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
        "subject": {"reference": f"Patient/{pid}"},
    }
    # An open thread first (the default order is by date), then one about the restricted report.
    first = create(portal, {**thread, "topic": {"text": "Time hos legen"}, "sent": ago(5)})
    task(portal, pid, POOL, "message", f"Communication/{first}", "Time hos legen")  # the nurse's care relation
    about = {"topic": {"text": "Svar"}, "about": [{"reference": f"DiagnosticReport/{dr}"}], "sent": ago(1)}
    header = create(portal, {**thread, **about})
    staff_reply(portal, pid, header, "Svaret på testen")
    restrict(portal, pid, [f"DiagnosticReport/{dr}"])
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    in_thread = {"part-of": f"Communication/{header}"}
    assert entries(lege.get("/fhir/Communication", params=in_thread), "match") == []
    assert all(t in (None, 0) for t in totals(lege, "/fhir/Communication", in_thread))
    assert totals(nurse, "/fhir/Communication", in_thread) == [1, 1, 1]
    of_patient = {"patient": f"Patient/{pid}"}
    seen = len(entries(lege.get("/fhir/Communication", params=of_patient), "match"))
    assert seen == 1
    assert all(t in (None, seen) for t in totals(lege, "/fhir/Communication", of_patient))
    assert totals(nurse, "/fhir/Communication", of_patient) == [3, 3, 3]
    # A page that shows only what the caller may see still gives no total that counts the rest.
    r = lege.get("/fhir/Communication", params={**of_patient, "_count": "1", "_total": "accurate"})
    assert len(entries(r, "match")) == 1 and r.json().get("total") in (None, seen)


# -- a count of patients is a look-up, and is logged ----------------------------------------------


def twins(portal: Any, birth: dt.date) -> list[tuple[str, str]]:
    """Two patients of the same name and birth date (ids and national ids)."""
    out = []
    for male in (False, True):
        pid, fnr = f"t-{uuid.uuid4().hex[:12]}", make_fnr(birth, male, _rng)
        with portal.store.write() as tx:
            tx.create(
                {
                    "resourceType": "Patient",
                    "id": pid,
                    "active": True,
                    "identifier": [{"system": c.FNR_SYSTEM, "value": fnr}],
                    "name": [{"family": "Tvilling", "given": ["Telle"], "text": "Telle Tvilling"}],
                    "birthDate": birth.isoformat(),
                },
                keep_id=True,
            )
        out.append((pid, fnr))
    return out


def look_up_bases(sign_in: Any, pid: str, agent: str) -> list[str]:
    return [e["agent"][0]["purposeOfUse"][0]["text"] for e in audit_of(sign_in, pid, agent) if e.get("outcome") == "0"]


def test_a_count_of_patients_by_national_id_is_a_logged_look_up(portal: Any, sign_in: Any) -> None:
    birth = dt.date(1961 + _rng.randrange(30), 1 + _rng.randrange(12), 1 + _rng.randrange(28))
    (one, fnr), (other, _) = twins(portal, birth)
    sb, switchboard = sign_in("sentralbord"), "Practitioner/prac-0003"
    by_id = {"identifier": f"{c.FNR_SYSTEM}|{fnr}"}
    # Whether the patient exists, asked in each of FHIR's ways of counting: each is a look-up of
    # that patient, in the access log like one that returned the resource.
    for n, extra in enumerate(({"_count": "0"}, {"_summary": "count"}), 1):
        r = sb.get("/fhir/Patient", params={**by_id, **extra})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 1 and not r.json().get("entry"), extra
        assert look_up_bases(sign_in, one, switchboard) == ["patient look-up (national id)"] * n, extra
    assert look_up_bases(sign_in, other, switchboard) == []
    # A count of more than the page shows logs every patient counted, not only the one shown.
    by_name = {"name": "Telle", "birthdate": birth.isoformat()}
    r = sb.get("/fhir/Patient", params={**by_name, "_count": "1", "_total": "accurate"})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 2 and len(entries(r, "match")) == 1
    r = sb.get("/fhir/Patient", params={**by_name, "_summary": "count"})
    assert r.status_code == 200 and r.json()["total"] == 2, r.text
    for pid in (one, other):
        assert look_up_bases(sign_in, pid, switchboard).count("patient look-up (name and birth date)") == 2
    # A national id that matches no one is counted 0 and logs nothing (there is no one to log).
    nobody = make_fnr(birth, False, _rng)
    r = sb.get("/fhir/Patient", params={"identifier": nobody, "_summary": "count"})
    assert r.status_code == 200 and r.json()["total"] == 0, r.text
