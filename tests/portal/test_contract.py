"""Contract: every FHIR resource the server returns, on the paths a staff client walks and in the
patient API's answers, is valid FHIR according to `fhir.resources` (R4B models; R4B's resources used
here are R4's) and to fhirclient's R4 models (strict), including Bundles, Parameters,
OperationOutcomes and the resources inside them."""

from __future__ import annotations

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
        r.read()
        ctype = r.headers.get("content-type", "")
        where = f"{r.request.method} {r.request.url.raw_path.decode()[:120]} -> {r.status_code}"
        if ctype.startswith(("application/fhir+json", "application/json")):
            body = r.json()
            self.bodies.append((where, body))
            if ctype.startswith("application/fhir+json") and not (isinstance(body, dict) and "resourceType" in body):
                self.problems.append(f"{where}: sent as application/fhir+json but is no resource")

    def get(self, path: str, **params: str) -> Any:
        return self.http.get(path, params=params).json()


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
