"""Contract: every FHIR resource the server returns, on the paths a staff client walks, is valid FHIR
according to `fhir.resources` (R4B models; R4B's resources used here are R4's), including Bundles,
Parameters, OperationOutcomes and the resources inside them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import device_sign_in


def _validate(resource: dict[str, Any], where: str, problems: list[str]) -> None:
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except (ValidationError, KeyError, ValueError) as e:
        problems.append(f"{where}: {resource.get('resourceType')}/{resource.get('id')}: {str(e)[:600]}")


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
    resources = [body] + [e["resource"] for e in body.get("entry") or [] if e.get("resource")]
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


class Recorder:
    """A signed-in client that keeps every FHIR JSON body it receives."""

    def __init__(self, base: str, token: str) -> None:
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        self.http = httpx.Client(
            base_url=base,
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
            event_hooks={"response": [self._keep]},
        )

    def _keep(self, r: httpx.Response) -> None:
        r.read()
        if r.headers.get("content-type", "").startswith("application/fhir+json"):
            self.bodies.append(
                (f"{r.request.method} {r.request.url.raw_path.decode()[:120]} -> {r.status_code}", r.json())
            )

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
    problems: list[str] = []
    seen: set[str] = set()
    for where, body in rec.bodies + officer.bodies:
        _validate(body, where, problems)
        seen.add(body["resourceType"])
        inner = [e.get("resource") for e in body.get("entry", [])] + [
            p.get("resource") for p in body.get("parameter", []) if isinstance(p, dict)
        ]
        for r in inner:
            if r:
                seen.add(r["resourceType"])
        if body["resourceType"] == "Bundle" and body["type"] == "history":
            assert all("request" in e and "response" in e for e in body["entry"]), where  # bdl-3, bdl-4
        _invariants(body, where, problems)
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
