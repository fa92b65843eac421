"""Contract: every FHIR resource the server returns, on the paths a staff client walks and in the
patient API's answers, is valid FHIR according to `fhir.resources` (R4B models; R4B's resources used
here are R4's) and to fhirclient's R4 models (strict), including Bundles, Parameters,
OperationOutcomes and the resources inside them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from .conftest import device_sign_in


def _validate(resource: dict[str, Any], where: str, problems: list[str]) -> None:
    from fhir.resources.R4B import get_fhir_model_class
    from fhirclient.models.fhirabstractbase import FHIRValidationError
    from fhirclient.models.fhirelementfactory import FHIRElementFactory
    from pydantic import ValidationError

    label = f"{where}: {resource.get('resourceType')}/{resource.get('id')}"
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except (ValidationError, KeyError, ValueError) as e:
        problems.append(f"{label}: {str(e)[:600]}")
    try:  # fhirclient's models (R4), strict: unknown elements, wrong types and missing ones refused
        parsed = FHIRElementFactory.instantiate(resource["resourceType"], resource)
        if type(parsed).__name__ != resource["resourceType"]:
            problems.append(f"{label}: fhirclient has no model of {resource['resourceType']}")
    except (FHIRValidationError, KeyError, TypeError, ValueError) as e:
        problems.append(f"{label}: fhirclient: {str(e)[:600]}")


NO_BASIS = "http://hl7.no/fhir/StructureDefinition/no-basis-"
MUNICIPALITY = "http://hl7.no/fhir/StructureDefinition/no-basis-municipalitycode"
WITHOUT_NARRATIVE = {"Bundle", "Parameters", "Binary"}  # dom-6 does not apply (not DomainResources)


def _empty_arrays(value: Any, path: str) -> list[str]:
    """JSON paths of empty arrays: FHIR JSON has none (an element without values is left out)."""
    if isinstance(value, list):
        return [path] if not value else [p for i, v in enumerate(value) for p in _empty_arrays(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _empty_arrays(v, f"{path}.{k}")]
    return []


def _invariants(body: dict[str, Any], where: str, problems: list[str]) -> None:
    """What the `fhir.resources` models do not check: the dom-* invariants, JSON without empty arrays,
    and HL7 Norway's no-basis profiles where the resource claims them."""
    for p in _empty_arrays(body, body.get("resourceType", "?")):
        problems.append(f"{where}: empty array at {p}")
    resources = (
        [body]
        + [e["resource"] for e in body.get("entry") or [] if e.get("resource")]
        + [e["response"]["outcome"] for e in body.get("entry") or [] if (e.get("response") or {}).get("outcome")]
        + [p["resource"] for p in body.get("parameter") or [] if isinstance(p, dict) and p.get("resource")]
    )
    for r in resources:
        rtype, label = r["resourceType"], f"{where}: {r['resourceType']}/{r.get('id')}"
        contained = r.get("contained") or []
        text = repr({k: v for k, v in r.items() if k != "contained"})
        for c in contained:
            if f"'#{c.get('id')}'" not in text:
                problems.append(f"{label}: contained {c.get('id')} is referenced by nothing (dom-3)")
            if {"versionId", "lastUpdated"} & set(c.get("meta") or {}):
                problems.append(f"{label}: contained {c.get('id')} has meta.versionId/lastUpdated (dom-4)")
        if rtype not in WITHOUT_NARRATIVE | {"OperationOutcome"}:
            div = (r.get("text") or {}).get("div", "")
            if not div.startswith('<div xmlns="http://www.w3.org/1999/xhtml">'):
                problems.append(f"{label}: no narrative (dom-6)")
        if rtype in (
            "Patient",
            "Practitioner",
            "Organization",
            "HealthcareService",
            "PractitionerRole",
            "RelatedPerson",
        ):
            if NO_BASIS + rtype not in (r.get("meta") or {}).get("profile", []):
                problems.append(f"{label}: does not claim no-basis-{rtype}")
            for a in r.get("address") or []:
                codes = [x for x in (a.get("_district") or {}).get("extension", []) if x["url"] == MUNICIPALITY]
                if not (
                    a.get("district")
                    and codes
                    and codes[0]["valueCoding"]["system"] == "urn:oid:2.16.578.1.12.4.1.1.3402"
                    and len(codes[0]["valueCoding"]["code"]) == 4
                ):
                    problems.append(f"{label}: address without kommune and kommunenummer (no-basis-Address)")


def _bundle_rules(body: dict[str, Any], where: str, problems: list[str]) -> None:
    """bdl-3 and bdl-4: `entry.request` in batches, transactions and histories only, `entry.response`
    in their responses and histories only; a batch-response answers each entry with its status."""
    if body.get("resourceType") != "Bundle":
        return
    kind = body.get("type")
    for i, e in enumerate(body.get("entry") or []):
        if ("request" in e) != (kind in ("batch", "transaction", "history")):
            problems.append(f"{where}: Bundle.entry[{i}].request in a {kind} Bundle (bdl-3)")
        if ("response" in e) != (kind in ("batch-response", "transaction-response", "history")):
            problems.append(f"{where}: Bundle.entry[{i}].response in a {kind} Bundle (bdl-4)")
        if kind == "batch-response" and not (e.get("response") or {}).get("status", "")[:3].isdigit():
            problems.append(f"{where}: Bundle.entry[{i}].response.status is not an HTTP status")


def _resources_in(value: Any) -> list[dict[str, Any]]:
    """The FHIR resources in a JSON answer: the answer itself, or those it wraps (the patient API
    answers `{"thread": Communication, "message": Communication}` and the like)."""
    if isinstance(value, dict):
        if "resourceType" in value:
            return [value]
        return [r for v in value.values() for r in _resources_in(v)]
    if isinstance(value, list):
        return [r for v in value for r in _resources_in(v)]
    return []


def _check(bodies: list[tuple[str, dict[str, Any]]], problems: list[str]) -> set[str]:
    """Validate every resource of the recorded answers; the resource types seen."""
    seen: set[str] = set()
    for where, body in bodies:
        for resource in _resources_in(body):
            _validate(resource, where, problems)
            seen.add(resource["resourceType"])
            inner = [e.get("resource") for e in resource.get("entry", [])] + [
                p.get("resource") for p in resource.get("parameter", []) if isinstance(p, dict)
            ]
            seen.update(r["resourceType"] for r in inner if r)
            _bundle_rules(resource, where, problems)
            _invariants(resource, where, problems)
    return seen


class Recorder:
    """A signed-in client that keeps every JSON body it receives; an answer sent as FHIR JSON
    (`application/fhir+json`) must be a resource."""

    def __init__(self, base: str, token: str) -> None:
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        self.problems: list[str] = []
        self.http = httpx.Client(
            base_url=base,
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
            event_hooks={"response": [self._keep]},
        )

    def _keep(self, r: httpx.Response) -> None:
        ctype = r.headers.get("content-type", "")
        if ctype.startswith("text/event-stream"):
            return  # a stream never ends: its events are read and kept by `events`
        r.read()
        where = f"{r.request.method} {r.request.url.raw_path.decode()[:120]} -> {r.status_code}"
        if ctype.startswith(("application/fhir+json", "application/json")):
            body = r.json()
            self.bodies.append((where, body))
            if ctype.startswith("application/fhir+json") and not (isinstance(body, dict) and "resourceType" in body):
                self.problems.append(f"{where}: sent as application/fhir+json but is no resource")

    def get(self, path: str, **params: str) -> Any:
        return self.http.get(path, params=params).json()

    def events(self, since: int, until: Any, limit: int = 200) -> list[dict[str, Any]]:
        """The event stream from `since` on, read until an event for which `until` is true (or
        `limit` events); each event's data is kept as an answer."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + 90  # a bound on a broken stream (keep-alives come every 15 s)
        with self.http.stream("GET", "/fhir/$events", params={"since": str(since)}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    self.bodies.append((f"GET /fhir/$events event {got[-1].get('seq')}", got[-1]))
                    if until(got[-1]) or len(got) >= limit:
                        return got
                assert time.monotonic() < deadline, f"the awaited event did not come: {got[-3:]}"
        return got


@pytest.mark.slow
def test_everything_a_staff_client_reads_is_valid_fhir(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    rec = Recorder(portal.base_url, lege.token)
    rec.get("/fhir/metadata")
    rec.get("/fhir/OperationDefinition")
    pools = [p["id"] for p in rec.http.get("/fhir/$pools").json()["pools"] if p.get("id")]
    page = rec.get(
        "/fhir/Task", pool=pools[0], status="requested", _count="20", _include="Task:focus,Task:patient,Task:owner"
    )
    tasks = [e["resource"] for e in page["entry"] if e["resource"]["resourceType"] == "Task"]
    patients = sorted({t["for"]["reference"].split("/")[1] for t in tasks})[:3]
    for rtype in ("Organization", "HealthcareService", "Practitioner", "PractitionerRole", "Questionnaire"):
        rec.get(f"/fhir/{rtype}", _count="20")
    for pid in patients:
        rec.get(f"/fhir/Patient/{pid}")
        for rtype in (
            "Communication",
            "MedicationRequest",
            "AllergyIntolerance",
            "Condition",
            "Immunization",
            "Observation",
            "QuestionnaireResponse",
            "Appointment",
            "RelatedPerson",
            "Consent",
        ):
            rec.get(f"/fhir/{rtype}", patient=f"Patient/{pid}", _count="20")
        rec.get("/fhir/DiagnosticReport", patient=f"Patient/{pid}", _include="DiagnosticReport:result")
    task = tasks[0]
    rec.get(f"/fhir/Task/{task['id']}")
    claimed = rec.http.post(f"/fhir/Task/{task['id']}/$claim", headers={"If-Match": f'W/"{task["meta"]["versionId"]}"'})
    assert claimed.status_code == 200
    rec.http.post(
        f"/fhir/Task/{task['id']}/$claim", headers={"If-Match": f'W/"{task["meta"]["versionId"]}"'}
    )  # 412/409
    back = rec.http.post(
        f"/fhir/Task/{task['id']}/$unclaim", headers={"If-Match": f'W/"{claimed.json()["meta"]["versionId"]}"'}
    )
    assert back.status_code == 200
    rec.get(f"/fhir/Task/{task['id']}/_history")
    rec.get(f"/fhir/Task/{task['id']}/_history/1")
    rec.get("/fhir/Task", nonsense="1")  # 400
    rec.get("/fhir/Nothing")  # 404
    rec.get("/fhir/Task", _format="xml")  # 406
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        officer = Recorder(portal.base_url, device_sign_in(http, "personvern")["access_token"])
    officer.get("/fhir/AuditEvent", _count="50")

    assert len(rec.bodies) > 40
    problems = rec.problems + officer.problems
    seen = _check(rec.bodies + officer.bodies, problems)
    assert any(w.startswith("GET /fhir/Task/") and "/_history" in w for w, _ in rec.bodies)
    assert not problems, "\n".join(problems)
    assert {
        "Bundle",
        "CapabilityStatement",
        "OperationOutcome",
        "Task",
        "Patient",
        "Communication",
        "AuditEvent",
        "OperationDefinition",
        "HealthcareService",
    } <= seen, seen


GP_SERVICE = "hs-fjordvik-legesenter"  # "lege" works here; its library is seeded


@pytest.mark.slow
def test_what_operations_batches_the_library_and_the_patient_api_answer_is_valid_fhir(
    portal: Any, sign_in: Any
) -> None:
    """The answers of the writing paths: operations ($reply, $release, $approve, $deny: Parameters,
    Task, OperationOutcome), batch responses, the library (DocumentReference, Binary), histories,
    `/fhir/$notifications`, and everything the patient API answers."""
    from .decision_helpers import make_patient, params
    from .test_batch import _entry
    from .test_library import _doc
    from .test_results import make_report

    pid, user, med_ids = make_patient(
        portal, meds=[("C10AA05", "Atorvastatin 20 mg tablett", 100), ("C09AA05", "Ramipril 5 mg tablett", 100)]
    )
    lege = Recorder(portal.base_url, sign_in("lege").token)
    it = Recorder(portal.base_url, sign_in("it").token)
    pas = Recorder(portal.base_url, sign_in(user).token)

    def if_match(resource: dict[str, Any]) -> dict[str, str]:
        return {"If-Match": f'W/"{resource["meta"]["versionId"]}"'}

    def operation(task: dict[str, Any], name: str, **kw: Any) -> httpx.Response:
        return lege.http.post(f"/fhir/Task/{task['id']}/${name}", json=params(**kw), headers=if_match(task))

    def task_of(focus: str) -> dict[str, Any]:
        [entry] = lege.get("/fhir/Task", focus=focus)["entry"]
        return dict(entry["resource"])

    # A new patient's lists are empty; then the patient writes: a thread, a second message, two renewal requests.
    for path in ("/patient/me", "/patient/services", "/patient/threads", "/patient/documents", "/patient/results"):
        pas.get(path)
    started = pas.http.post(
        "/patient/threads",
        json={
            "patient": pid,
            "service": GP_SERVICE,
            "subject": "Søvn",
            "text": "Jeg sover dårlig.",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert started.status_code == 201, started.text
    thread_id = started.json()["thread"]["id"]
    more = pas.http.post(
        f"/patient/threads/{thread_id}/messages",
        json={"text": "Det er verst om natta.", "messageId": str(uuid.uuid4())},
    )
    assert more.status_code == 201, more.text
    requests = []
    for med in med_ids:
        r = pas.http.post(
            "/patient/renewals", json={"medication": med, "messageId": str(uuid.uuid4()), "text": "Snart tom."}
        )
        assert r.status_code == 201, r.text
        requests.append(r.json()["request"]["id"])

    # Operations: claim and $reply with library documents, $approve, $deny, $release, a refused $reply.
    thread_task = task_of(f"Communication/{thread_id}")
    claimed = operation(thread_task, "claim")
    assert claimed.status_code == 200, claimed.text
    reply = lege.http.post(
        f"/fhir/Task/{thread_task['id']}/$reply",
        json={
            "resourceType": "Parameters",
            "parameter": [
                {"name": "text", "valueString": "Se brosjyren."},
                {"name": "messageId", "valueString": str(uuid.uuid4())},
                {"name": "attachment", "valueReference": {"reference": "DocumentReference/doc-0001"}},
            ],
        },
        headers=if_match(claimed.json()),
    )
    assert reply.status_code == 200, reply.text
    assert operation(claimed.json(), "reply", text="Gammel versjon", messageId=str(uuid.uuid4())).status_code in (
        409,
        412,
    )
    approved = operation(task_of(f"MedicationRequest/{requests[0]}"), "approve", comment="Husk kontroll.")
    assert approved.status_code == 200, approved.text
    denied = operation(task_of(f"MedicationRequest/{requests[1]}"), "deny", reason="Vi må se deg først.")
    assert denied.status_code == 200, denied.text
    _rid, result_task = make_report(portal, pid, "clinician-only", [4.1])
    released = operation(lege.get(f"/fhir/Task/{result_task}"), "release", comment="Fint.")
    assert released.status_code == 200, released.text
    [done] = [p["resource"] for p in released.json()["parameter"] if p["resource"]["resourceType"] == "Task"]
    assert operation(done, "release").status_code == 409

    # A batch: one entry done, one stale (412), one unknown (404).
    _r1, t1 = make_report(portal, pid, "clinician-only", [4.0])
    _r2, t2 = make_report(portal, pid, "clinician-only", [4.2])
    first, second = lege.get(f"/fhir/Task/{t1}"), lege.get(f"/fhir/Task/{t2}")
    batch = lege.http.post(
        "/fhir",
        json={
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                _entry(first, "claim"),
                _entry(second, "claim", version="99"),
                _entry({**second, "id": "nothing-here"}, "claim"),
            ],
        },
    )
    assert batch.status_code == 200, batch.text
    assert [e["response"]["status"][:3] for e in batch.json()["entry"]] == ["200", "412", "404"]

    # The other operations: read reviews, mark-reviewed, forward, complete, a phone message; the
    # system operations' JSON (no resources, refusals as OperationOutcomes).
    assert lege.http.get(f"/fhir/Task/{t2}/$result-review").status_code == 200
    reviewed = operation(lege.get(f"/fhir/Task/{t2}"), "mark-reviewed", note="Sett.")
    assert reviewed.status_code == 200, reviewed.text
    forwarded = operation(lege.get(f"/fhir/Task/{t1}"), "forward", target="HealthcareService/hs-midtby-medpol")
    assert forwarded.status_code == 200, forwarded.text
    completed = operation(lege.get(f"/fhir/Task/{thread_task['id']}"), "complete")
    assert completed.status_code == 200, completed.text
    phoned = lege.http.post(
        "/fhir/Task/$phone-message",
        json=params(
            patient=f"Patient/{pid}",
            inbox=f"HealthcareService/{GP_SERVICE}",
            subject="Ringte",
            text="Vil bli ringt opp.",
            messageId=str(uuid.uuid4()),
        ),
    )
    assert phoned.status_code == 201, phoned.text
    for system in ("$whoami", "$pools"):
        assert lege.http.get(f"/fhir/{system}").status_code == 200
    assert it.http.get("/fhir/$queues").status_code == 200
    assert lege.http.get("/fhir/$queues").status_code == 403

    # The library: search, a Binary, a new document, its update and history.
    docs = lege.get("/fhir/DocumentReference", service=GP_SERVICE, _count="20")
    binary_url = docs["entry"][0]["resource"]["content"][0]["attachment"]["url"]
    lege.get(f"/fhir/{binary_url}")
    made = it.http.post("/fhir/DocumentReference", json=_doc(f"Kontrakt {uuid.uuid4().hex[:6]}", b"Tekst.\n"))
    assert made.status_code == 201, made.text
    change = _doc("Kontrakt, ny tittel", b"Tekst.\n")
    del change["content"][0]["attachment"]["data"]
    changed = it.http.put(f"/fhir/DocumentReference/{made.json()['id']}", json=change, headers=if_match(made.json()))
    assert changed.status_code == 200, changed.text
    it.get(f"/fhir/DocumentReference/{made.json()['id']}/_history")
    it.get(f"/fhir/{made.json()['content'][0]['attachment']['url']}")

    # Histories of the items decided above; the notification outbox (IT support; refused to others).
    for tid in (thread_task["id"], result_task, t1):
        lege.get(f"/fhir/Task/{tid}/_history")
    lege.get(f"/fhir/Communication/{thread_id}/_history")
    assert it.http.get("/fhir/$notifications").status_code == 200
    assert lege.http.get("/fhir/$notifications").status_code == 403

    # What the patient reads afterwards.
    pas.get("/patient/threads")
    pas.get(f"/patient/threads/{thread_id}")
    listed = pas.get("/patient/documents")
    download = pas.http.get(listed["entry"][0]["resource"]["content"][0]["attachment"]["url"])
    assert download.status_code == 200
    for path in (
        "/patient/medications",
        "/patient/results",
        "/patient/access-log",
        "/patient/grants",
        "/patient/settings",
    ):
        pas.get(path)
    pas.get("/patient/threads/nothing-here")  # 404
    pas.get("/fhir/Task")  # 403: the staff API

    problems = lege.problems + it.problems + pas.problems
    seen = _check(lege.bodies + it.bodies + pas.bodies, problems)
    assert not problems, "\n".join(problems)
    assert {
        "Parameters",
        "Task",
        "OperationOutcome",
        "Communication",
        "MedicationRequest",
        "DiagnosticReport",
        "DocumentReference",
        "Binary",
        "Bundle",
    } <= seen, seen


EVENT_KEYS = {"seq", "type", "id", "versionId", "owner", "pool", "status", "code", "action"}  # docs/api.md
IT_EVENT_KEYS = {"seq", "type", "pool", "action", "status"}


def _own_pool(portal: Any) -> tuple[str, str]:
    """An inbox of this test's own, and a physician who works only there (its username): what
    `$claim-next` takes from it no other test waits for."""
    from types import SimpleNamespace

    from helsami_portal.fhir import conventions as c
    from helsami_portal.seed import add_accounts

    from .decision_helpers import POOL

    tag = uuid.uuid4().hex[:8]
    pool, prac = f"hs-contract-{tag}", f"prac-contract-{tag}"
    with portal.store.write() as tx:
        org = tx.get("HealthcareService", POOL)["providedBy"]
        tx.create(
            {
                "resourceType": "HealthcareService",
                "id": pool,
                "active": True,
                "providedBy": org,
                "type": [{"coding": [{"system": c.INBOX_KIND, "code": "clinical"}]}],
                "name": f"Kontraktinnboks {tag}",
            },
            keep_id=True,
        )
        tx.create(
            {
                "resourceType": "Practitioner",
                "id": prac,
                "active": True,
                "name": [{"family": "Kontrakt", "given": ["Kari"], "text": "Kari Kontrakt"}],
            },
            keep_id=True,
        )
        tx.create(
            {
                "resourceType": "PractitionerRole",
                "active": True,
                "practitioner": {"reference": f"Practitioner/{prac}", "display": "Kari Kontrakt"},
                "organization": org,
                "code": [{"coding": [{"system": c.STAFF_ROLE, "code": "physician"}]}],
                "healthcareService": [{"reference": f"HealthcareService/{pool}"}],
            }
        )
    username = f"contract-{tag}"
    add_accounts(
        portal.store,
        [
            SimpleNamespace(
                username=username,
                password="demo",
                kind="staff",
                resource=f"Practitioner/{prac}",
                display="Kari Kontrakt (lege)",
            )
        ],
    )
    return pool, username


@pytest.mark.slow
def test_what_the_other_operations_a_proxy_and_the_event_stream_answer_is_valid_fhir(portal: Any, sign_in: Any) -> None:
    """The remaining answers: `$pend`, `$ask-info`, the appointment operations and free Slots,
    `$reopen`, `$note`, `$message`, `$unclaim`, `$claim-next` (from an inbox of the test's own),
    `$break-the-glass` and the reads it opens, a parent acting for children in the patient API, and
    the event stream: its events (ids and states, as documented) and the versions they name."""
    from .decision_helpers import POOL, make_patient, params
    from .test_questionnaires_appointments import _future, make_answers, make_request

    with portal.store.read() as tx:
        since = tx.last_event_seq()
    pid, user, med_ids = make_patient(
        portal, meds=[("C10AA05", "Atorvastatin 20 mg tablett", 100), ("C09AA05", "Ramipril 5 mg tablett", 100)]
    )
    lege = Recorder(portal.base_url, sign_in("lege").token)
    nurse = Recorder(portal.base_url, sign_in("sykepleier").token)
    pas = Recorder(portal.base_url, sign_in(user).token)
    every = [lege, nurse, pas]

    def current(rec: Recorder, tid: str) -> dict[str, Any]:
        r = rec.http.get(f"/fhir/Task/{tid}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def operation(rec: Recorder, tid: str, name: str, **kw: Any) -> httpx.Response:
        task = current(rec, tid)
        return rec.http.post(
            f"/fhir/Task/{tid}/${name}", json=params(**kw), headers={"If-Match": f'W/"{task["meta"]["versionId"]}"'}
        )

    def task_of(focus: str) -> str:
        [entry] = lege.get("/fhir/Task", focus=focus)["entry"]
        return str(entry["resource"]["id"])

    # Renewals: $pend to a physician (then the nurse's $ask-info on it is refused), $ask-info.
    renewals = []
    for med in med_ids:
        r = pas.http.post("/patient/renewals", json={"medication": med, "messageId": str(uuid.uuid4())})
        assert r.status_code == 201, r.text
        renewals.append(task_of(f"MedicationRequest/{r.json()['request']['id']}"))
    pended = operation(nurse, renewals[0], "pend", target="Practitioner/prac-0001", note="Til signering.")
    assert pended.status_code == 200, pended.text
    assert operation(nurse, renewals[0], "ask-info", text="Hei?").status_code == 409
    asked = operation(nurse, renewals[1], "ask-info", text="Hvordan har blodtrykket vært?")
    assert asked.status_code == 200, asked.text
    assert operation(nurse, renewals[1], "pend", target="Practitioner/prac-0003").status_code in (400, 422)

    # Appointments: confirm (after two refusals), propose, decline, confirm a cancellation (and one
    # refused: nothing to cancel); the free Slots of the inbox.
    wanted, other, booked, cancel = (make_request(portal, pid, booked=b) for b in (False, False, True, True))
    assert operation(nurse, wanted, "confirm-appointment").status_code == 400
    assert operation(nurse, wanted, "confirm-appointment", start="2020-01-01T10:00:00+00:00").status_code == 422
    confirmed = operation(nurse, wanted, "confirm-appointment", start=_future(3), comment="Ta med medisinlisten.")
    assert confirmed.status_code == 200, confirmed.text
    proposed = operation(lege, other, "propose-appointment", start=_future(8, 14), minutes=45)
    assert proposed.status_code == 200, proposed.text
    declined = operation(lege, booked, "decline-appointment", reason="Legen er bortreist.")
    assert declined.status_code == 200, declined.text
    cancelled = operation(lege, cancel, "confirm-cancellation")
    assert cancelled.status_code == 200, cancelled.text
    assert operation(lege, make_request(portal, pid), "confirm-cancellation").status_code == 409
    assert lege.http.get("/fhir/Slot", params={"service": f"HealthcareService/{POOL}", "_count": "5"}).is_success
    questionnaire = make_answers(portal, pid, {"feber": True, "temperatur": 39.0})
    assert lege.http.get(f"/fhir/Task/{questionnaire}/$questionnaire-review").status_code == 200
    assert lege.http.get(f"/fhir/Task/{renewals[0]}/$renewal-review").status_code == 200

    # A thread's item: claimed, completed, reopened (once; twice is refused), a note, a message, put
    # back with $unclaim (by the one who holds it; the nurse is refused).
    started = pas.http.post(
        "/patient/threads",
        json={
            "patient": pid,
            "service": POOL,
            "subject": "Hoste",
            "text": "Jeg hoster.",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert started.status_code == 201, started.text
    item = task_of(f"Communication/{started.json()['thread']['id']}")
    assert lege.http.get(f"/fhir/Task/{item}/$route-suggestion").status_code == 200
    assert operation(lege, item, "claim").status_code == 200
    assert operation(lege, item, "complete").status_code == 200
    reopened = operation(lege, item, "reopen", note="Pasienten fikk ikke svar.")
    assert reopened.status_code == 200, reopened.text
    assert operation(lege, item, "reopen").status_code == 409
    assert operation(lege, item, "note", text="Ringer i morgen.").status_code == 200
    sent = operation(lege, item, "message", text="Vi ringer deg i morgen.", messageId=str(uuid.uuid4()))
    assert sent.status_code == 200, sent.text
    assert operation(nurse, item, "unclaim").status_code == 409
    back = operation(lege, item, "unclaim")
    assert back.status_code == 200, back.text

    # $claim-next from the test's own inbox: twice (the pool in the body, then in the URL), then
    # nothing waits (409); another inbox (403) and no pool (400) are refused.
    pool, taker_name = _own_pool(portal)
    for n in range(2):
        make_answers(portal, pid, {"feber": n == 0}, pool=pool)
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        taker = Recorder(portal.base_url, device_sign_in(http, taker_name)["access_token"])
    every.append(taker)
    by_body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "pool", "valueReference": {"reference": f"HealthcareService/{pool}"}}],
    }
    first = taker.http.post("/fhir/Task/$claim-next", json=by_body)
    assert first.status_code == 200, first.text
    second = taker.http.post(f"/fhir/Task/$claim-next?pool=HealthcareService/{pool}")
    assert second.status_code == 200 and second.json()["id"] != first.json()["id"], second.text
    assert taker.http.post("/fhir/Task/$claim-next", json=by_body).status_code == 409
    assert taker.http.post(f"/fhir/Task/$claim-next?pool=HealthcareService/{POOL}").status_code == 403
    assert taker.http.post("/fhir/Task/$claim-next", json=params()).status_code == 400
    assert operation(taker, first.json()["id"], "unclaim").status_code == 200
    # $absence of that physician (the other item goes back to the inbox), and back; another's refused.
    me_ref = taker.http.get("/fhir/$whoami").json()["resource"]

    def absence(away: bool, who: str = me_ref) -> httpx.Response:
        body = {"resourceType": "Parameters", "parameter": [{"name": "away", "valueBoolean": away}]}
        return taker.http.post(f"/fhir/{who}/$absence", json=body)

    gone = absence(True)
    assert gone.status_code == 200, gone.text
    assert [p["valueReference"]["reference"] for p in gone.json()["parameter"] if p["name"] == "task"] == [
        f"Task/{second.json()['id']}"
    ]
    assert absence(False).status_code == 200
    assert absence(True, "Practitioner/prac-0001").status_code == 403

    # $break-the-glass by a physician without a care relation: too short a reason, then granted; the
    # reads it opens.
    other_gp = Recorder(portal.base_url, sign_in("lege2").token)
    every.append(other_gp)
    assert other_gp.http.get(f"/fhir/Patient/{pid}").status_code == 403
    assert other_gp.http.post(f"/fhir/Patient/{pid}/$break-the-glass", json=params(reason="Kort")).status_code in (
        400,
        422,
    )
    glass = other_gp.http.post(
        f"/fhir/Patient/{pid}/$break-the-glass", json=params(reason="Akutt innlagt, trenger medisinlisten.")
    )
    assert glass.status_code == 200, glass.text
    assert other_gp.http.get(f"/fhir/Patient/{pid}").status_code == 200
    other_gp.get("/fhir/MedicationRequest", patient=f"Patient/{pid}")
    other_gp.get("/fhir/Appointment", patient=f"Patient/{pid}")

    # A parent acting for children: one under 12 (full), one of 12-15 (messages: no results or
    # access log); a thread started for the younger one, as the parent.
    parent = Recorder(portal.base_url, sign_in("fullmakt").token)
    every.append(parent)
    me = parent.get("/patient/me")
    parent.get("/patient/grants")
    parent.get("/patient/services")
    parent.get("/patient/settings")
    children = [a["patient"].split("/")[1] for a in me["actsFor"]]
    children += [
        g["patient"].split("/")[1]
        for g in parent.get("/patient/grants")["received"]
        if g.get("patient") and g["patient"].split("/")[1] not in children
    ]
    assert len(children) >= 2, children
    for child in children:
        for path in ("threads", "medications", "results", "documents", "access-log"):
            parent.get(f"/patient/{path}", patient=child)
    for_child = parent.http.post(
        "/patient/threads",
        json={
            "patient": children[0],
            "service": POOL,
            "subject": "Time for barnet",
            "text": "Hun har vondt i øret.",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert for_child.status_code == 201, for_child.text
    assert for_child.json()["message"]["sender"]["reference"].startswith("RelatedPerson/")
    thread = for_child.json()["thread"]["id"]
    parent.get(f"/patient/threads/{thread}")
    more = parent.http.post(
        f"/patient/threads/{thread}/messages", json={"text": "Og feber.", "messageId": str(uuid.uuid4())}
    )
    assert more.status_code == 201, more.text
    parent.get("/patient/threads", patient=children[0])
    parent.get("/patient/results", patient=pid)  # 404: not a child of theirs

    # The event stream: from before this test to the last $unclaim, as a physician (ids and states)
    # and as IT support (no ids); the versions the events name, read back; its refusals.
    events = lege.events(since, lambda e: e.get("id") == item and e.get("action") == "unclaim")
    mine = [e for e in events if e.get("id") in {*renewals, wanted, other, booked, cancel, item}]
    assert len(mine) >= 8, events
    for e in events:
        assert set(e) == EVENT_KEYS and e["type"] == "Task", e
    for e in mine:
        lege.get(f"/fhir/{e['type']}/{e['id']}/_history/{e['versionId']}")
    it = Recorder(portal.base_url, sign_in("it").token)
    every.append(it)
    for e in it.events(since, lambda e: False, limit=10):
        assert set(e) == IT_EVENT_KEYS, e
    assert lege.http.get("/fhir/$events", params={"since": "abc"}).status_code == 400
    assert pas.http.get("/fhir/$events").status_code == 403

    problems = [p for rec in every for p in rec.problems]
    seen = _check([b for rec in every for b in rec.bodies], problems)
    assert not problems, "\n".join(problems)
    assert {
        "Parameters",
        "Task",
        "OperationOutcome",
        "Communication",
        "MedicationRequest",
        "Appointment",
        "Slot",
        "Patient",
        "Practitioner",
        "Bundle",
    } <= seen, seen
    assert any(w.startswith("GET /fhir/$events event") for w, _ in lege.bodies)
