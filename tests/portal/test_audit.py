"""The access log: one AuditEvent per staff read of patient data, the patient's own view of it,
break the glass, restriction (skjerming), and a log that no endpoint can change."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal.fhir.registry import CLINICAL
from helsami_portal.store.schema import resource

from .conftest import Api, device_sign_in, new_thread, task_for_thread

POOL = "hs-fjordvik-legesenter"


def log_count(po: Api, patient: str) -> int:
    r = po.get("/fhir/AuditEvent", params={"patient": f"Patient/{patient}", "_total": "accurate", "_count": "1"})
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def newest(po: Api, patient: str, n: int = 1) -> list[dict[str, Any]]:
    r = po.get("/fhir/AuditEvent", params={"patient": f"Patient/{patient}", "_count": str(n)})
    return [e["resource"] for e in r.json()["entry"]]


@pytest.fixture(scope="module")
def item(sign_in: Any) -> dict[str, Any]:
    pas = sign_in("pasient")
    thread = new_thread(pas, POOL, subject="Logg")
    return {"thread": thread, "task": task_for_thread(sign_in("lege"), thread["thread"]["id"])}


def test_every_staff_read_of_patient_data_leaves_exactly_one_audit_event(sign_in: Any, item: dict[str, Any]) -> None:
    lege, po = sign_in("lege"), sign_in("personvern")
    pid = "pat-000001"
    task, thread = item["task"], item["thread"]["thread"]["id"]
    cond = lege.get("/fhir/Condition", params={"patient": f"Patient/{pid}"}).json()["entry"][0]["resource"]
    fnr = _fnr(lege, pid)
    reads = [
        ("read Patient", lambda: lege.get(f"/fhir/Patient/{pid}")),
        ("read Task", lambda: lege.get(f"/fhir/Task/{task['id']}")),
        (
            "search Task with includes",
            lambda: lege.get(
                "/fhir/Task",
                params=[("focus", f"Communication/{thread}"), ("_include", "Task:patient"), ("_include", "Task:focus")],
            ),
        ),
        ("Task history", lambda: lege.get(f"/fhir/Task/{task['id']}/_history")),
        ("Task vread", lambda: lege.get(f"/fhir/Task/{task['id']}/_history/1")),
        ("thread messages", lambda: lege.get("/fhir/Communication", params={"part-of": f"Communication/{thread}"})),
        ("read Condition", lambda: lege.get(f"/fhir/Condition/{cond['id']}")),
        ("patient search", lambda: lege.get("/fhir/Patient", params={"identifier": fnr})),
        *[
            (f"search {t}", (lambda t=t: lege.get(f"/fhir/{t}", params={"patient": f"Patient/{pid}"})))
            for t in sorted(CLINICAL)
        ],
    ]
    for name, do in reads:
        before = log_count(po, pid)
        r = do()
        assert r.status_code == 200, (name, r.text)
        after = log_count(po, pid)
        assert after - before == 1, f"{name} left {after - before} access-log entries"
        ev = newest(po, pid)[0]
        assert ev["agent"][0]["who"]["reference"] == "Practitioner/prac-0001"
        assert ev["agent"][0]["purposeOfUse"][0]["text"]  # why
        assert ev["entity"][0]["what"]["reference"] == f"Patient/{pid}"
        assert ev["outcome"] == "0"


def _fnr(api: Api, pid: str) -> str:
    p = api.get(f"/fhir/Patient/{pid}").json()
    return str(p["identifier"][0]["value"])


def test_a_refused_read_is_logged_with_outcome_4(sign_in: Any) -> None:
    lege2, po = sign_in("lege2"), sign_in("personvern")
    pid = "pat-000150"
    before = log_count(po, pid)
    r = lege2.get(f"/fhir/Patient/{pid}")
    assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome"
    assert "birthDate" not in r.text
    assert log_count(po, pid) == before + 1
    ev = newest(po, pid)[0]
    assert ev["outcome"] == "4" and ev["agent"][0]["who"]["reference"] == "Practitioner/prac-0006"


def test_break_the_glass_is_time_limited_logged_and_flagged(sign_in: Any) -> None:
    lege2, po = sign_in("lege2"), sign_in("personvern")
    pid = "pat-000160"
    assert lege2.get("/fhir/AllergyIntolerance", params={"patient": f"Patient/{pid}"}).status_code == 403
    short = lege2.post(
        f"/fhir/Patient/{pid}/$break-the-glass",
        json={"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": "fordi"}]},
    )
    assert short.status_code == 400  # a reason is required
    reason = "Pasienten innlagt bevisstløs, trenger allergier"
    r = lege2.post(
        f"/fhir/Patient/{pid}/$break-the-glass",
        json={"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]},
    )
    assert r.status_code == 200, r.text
    expires = next(p["valueInstant"] for p in r.json()["parameter"] if p["name"] == "expires")
    assert expires > r.json()["parameter"][0]["valueReference"]["reference"][:0]  # present
    got = lege2.get("/fhir/AllergyIntolerance", params={"patient": f"Patient/{pid}"})
    assert got.status_code == 200
    flagged = po.get("/fhir/AuditEvent", params={"break-glass": "true", "patient": f"Patient/{pid}"}).json()["entry"]
    assert len(flagged) == 2  # the grant and the read under it
    for e in flagged:
        ag = e["resource"]["agent"][0]
        assert ag["purposeOfUse"][0]["coding"][0]["code"] == "BTG" and reason in ag["purposeOfUse"][0]["text"]
    # The switchboard, IT support and the privacy officer cannot break the glass.
    for user in ("sentralbord", "it", "personvern"):
        assert (
            sign_in(user)
            .post(
                f"/fhir/Patient/{pid}/$break-the-glass",
                json={"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]},
            )
            .status_code
            == 403
        )
    # The CapabilityStatement lists the operation.
    cs = lege2.get("/fhir/metadata").json()
    patient = next(r for r in cs["rest"][0]["resource"] if r["type"] == "Patient")
    assert [o["name"] for o in patient["operation"]] == ["break-the-glass"]
    assert "queues" in {o["name"] for o in cs["rest"][0]["operation"]}


def test_patient_reads_own_access_log_in_plain_norwegian(sign_in: Any) -> None:
    lege, lege2, pas2 = sign_in("lege"), sign_in("lege2"), sign_in("pasient2")
    pid = "pat-000002"  # Ola Nordmann; "lege" is his GP
    assert lege.get("/fhir/MedicationRequest", params={"patient": f"Patient/{pid}"}).status_code == 200
    reason = "Akutt innleggelse på medisinsk avdeling"
    assert (
        lege2.post(
            f"/fhir/Patient/{pid}/$break-the-glass",
            json={"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]},
        ).status_code
        == 200
    )
    log = pas2.get("/patient/access-log", params={"_count": "5"})
    assert log.status_code == 200, log.text
    entries = log.json()["entries"]
    glass, meds = entries[0], entries[1]  # newest first
    assert glass["who"] == "Ahmed Karimi" and glass["role"] == "lege" and glass["unit"] == "Midtby sykehus"
    assert glass["breakGlass"] and reason in glass["why"] and "Nødtilgang" in glass["why"]
    assert meds["who"] == "Marte Lien" and meds["what"] == "Så gjennom legemidler."
    assert meds["why"] in (
        "Vedkommende er fastlegen din.",
        "Du har en henvendelse i en innboks der vedkommende jobber.",
    )
    assert meds["unit"] == "Fjordvik legesenter" and meds["granted"]
    # Paging: a next link that continues where the page ended.
    page1 = pas2.get("/patient/access-log", params={"_count": "1"}).json()
    nxt = page1["link"][0]["url"]
    page2 = pas2.http.get(nxt, headers=pas2.h()).json()
    assert page2["entries"][0] == pas2.get("/patient/access-log", params={"_count": "2"}).json()["entries"][1]
    # Another patient's log: answered as for an id that does not exist (404), so ids are not revealed.
    assert pas2.get("/patient/access-log", params={"patient": "pat-000001"}).status_code == 404


def test_patient_sees_only_released_results(sign_in: Any, portal: Any) -> None:
    pas = sign_in("pasient")
    got = pas.get("/patient/results", params={"_count": "100"}).json()
    reports = [e["resource"] for e in got["entry"] if e["resource"]["resourceType"] == "DiagnosticReport"]
    observations = {e["resource"]["id"] for e in got["entry"] if e["resource"]["resourceType"] == "Observation"}
    assert reports
    with portal.store.read() as tx:
        rows = tx.conn.execute(
            sa.select(resource.c.content).where(
                resource.c.rtype == "DiagnosticReport", resource.c.patient == "pat-000001"
            )
        ).all()
    stored = {r["id"]: r for r in (json.loads(x[0]) for x in rows)}
    shown = {r["id"] for r in reports}
    from helsami_portal.fhir import timeutil
    from helsami_portal.workflow.patient_records import released_at

    now = timeutil.utcnow()
    for rid, r in stored.items():
        cat = next(e["valueCode"] for e in r["extension"] if e["url"].endswith("release-category"))
        assert (rid in shown) == (released_at(r, now) is not None), (rid, cat)
        if cat in ("never-online", "clinician-only"):
            assert rid not in shown  # nobody has released these yet
        if cat == "auto":
            assert rid in shown
    for r in reports:
        assert not any(e["url"].endswith("release-category") for e in r["extension"])
        for ref in r.get("result", []):
            assert ref["reference"].split("/")[1] in observations


def test_release_rules() -> None:
    import datetime as dt

    from helsami_portal.fhir import conventions as c
    from helsami_portal.workflow.patient_records import released_at

    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

    def rep(cat: str, issued: str, released: str | None = None, status: str = "final") -> dict[str, Any]:
        ext = [{"url": c.EXT_RELEASE_CATEGORY, "valueCode": cat}]
        if released:
            ext.append({"url": c.EXT_RELEASED_AT, "valueDateTime": released})
        return {"resourceType": "DiagnosticReport", "status": status, "issued": issued, "extension": ext}

    assert released_at(rep("auto", "2026-02-28T10:00:00Z"), now)
    assert released_at(rep("auto", "2026-02-28T10:00:00Z", status="preliminary"), now) is None
    assert released_at(rep("clinician-or-14d", "2026-02-20T10:00:00Z"), now) is None  # 9 days
    assert released_at(rep("clinician-or-14d", "2026-02-10T10:00:00Z"), now)  # 19 days
    assert released_at(rep("clinician-or-14d", "2026-02-28T10:00:00Z", "2026-02-28T12:00:00Z"), now)
    assert released_at(rep("clinician-only", "2026-01-01T10:00:00Z"), now) is None
    assert released_at(rep("clinician-only", "2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z"), now)
    assert released_at(rep("never-online", "2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z"), now) is None


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_no_endpoint_changes_or_deletes_the_access_log(sign_in: Any, method: str) -> None:
    po = sign_in("personvern")
    # An entry of its own to try to change (not one another test happened to leave): a read by the GP.
    assert sign_in("lege").get("/fhir/Patient/pat-000001").status_code == 200
    ev = newest(po, "pat-000001")[0]
    for user in ("personvern", "lege", "it"):
        api = sign_in(user)
        url = "/fhir/AuditEvent" if method == "POST" else f"/fhir/AuditEvent/{ev['id']}"
        r = api.http.request(method, url, headers=api.h(), json={**ev, "outcome": "0", "agent": []})
        assert r.status_code == 405, (user, method, r.status_code, r.text)
        assert r.json()["resourceType"] == "OperationOutcome"
    assert po.get(f"/fhir/AuditEvent/{ev['id']}").json() == ev


def _restriction(portal: Any) -> dict[str, Any]:
    with portal.store.read() as tx:
        row = tx.conn.execute(
            sa.select(resource.c.content).where(resource.c.rtype == "Consent", resource.c.id == "con-skjerming-000001")
        ).first()
    assert row is not None, "the seed has no restricted patient"
    return dict(json.loads(row[0]))


def test_restriction_hides_marked_records_outside_the_care_team(sign_in: Any, portal: Any) -> None:
    consent = _restriction(portal)
    pid = consent["patient"]["reference"].split("/")[1]
    team = {a["reference"]["reference"] for a in consent["provision"]["provision"][0]["actor"]}
    assert "Practitioner/prac-0001" not in team and "Practitioner/prac-0002" in team
    report = next(
        d["reference"]["reference"]
        for d in consent["provision"]["data"]
        if d["reference"]["reference"].startswith("DiagnosticReport/")
    )
    lege, sykepleier, po = sign_in("lege"), sign_in("sykepleier"), sign_in("personvern")

    # The GP has a care relation, but is outside the named care team.
    assert lege.get(f"/fhir/Patient/{pid}").status_code == 200
    assert lege.get("/fhir/MedicationRequest", params={"patient": f"Patient/{pid}"}).status_code == 200
    before = log_count(po, pid)
    r = lege.get("/fhir/Condition", params={"patient": f"Patient/{pid}"})
    assert r.status_code == 403 and "skjermet" in r.text and "code" not in r.json()["issue"][0].get("details", {})
    assert newest(po, pid)[0]["outcome"] == "4" and log_count(po, pid) == before + 1
    assert lege.get(f"/fhir/{report}").status_code == 403
    reports = lege.get("/fhir/DiagnosticReport", params={"patient": f"Patient/{pid}"}).json()["entry"]
    assert report.split("/")[1] not in {e["resource"]["id"] for e in reports if e["search"]["mode"] == "match"}
    assert any(
        e["search"]["mode"] == "outcome" and "skjermet" in e["resource"]["issue"][0]["diagnostics"] for e in reports
    )
    obs = lege.get("/fhir/Observation", params={"patient": f"Patient/{pid}", "_count": "500"}).json()["entry"]
    hidden = {d["reference"]["reference"].split("/")[1] for d in consent["provision"]["data"]}
    assert not hidden & {e["resource"]["id"] for e in obs}

    # A member of the care team with a care relation sees them.
    with portal.store.read() as tx:
        fnr = json.loads(
            tx.conn.execute(
                sa.select(resource.c.content).where(resource.c.rtype == "Patient", resource.c.id == pid)
            ).scalar_one()
        )["identifier"][0]["value"]
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        patient = Api(http, fnr, device_sign_in(http, fnr)["access_token"])
        new_thread(patient, POOL, subject="Skjermet pasient skriver")
    assert sykepleier.get("/fhir/Condition", params={"patient": f"Patient/{pid}"}).status_code == 200
    assert sykepleier.get(f"/fhir/{report}").status_code == 200

    # Outside the team, breaking the glass opens them, logged and flagged.
    r = lege.post(
        f"/fhir/Patient/{pid}/$break-the-glass",
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "reason", "valueString": "Akutt: trenger diagnoser"}],
        },
    )
    assert r.status_code == 200
    assert lege.get("/fhir/Condition", params={"patient": f"Patient/{pid}"}).status_code == 200
    assert lege.get(f"/fhir/{report}").status_code == 200
    ev = newest(po, pid)[0]
    assert ev["agent"][0]["purposeOfUse"][0]["coding"][0]["code"] == "BTG"


def test_confidential_address_is_masked_for_staff_and_never_on_the_patient_api(sign_in: Any, portal: Any) -> None:
    with portal.store.read() as tx:
        rows = tx.conn.execute(
            sa.select(resource.c.id, resource.c.code, resource.c.content)
            .where(resource.c.rtype == "Patient")
            .order_by(resource.c.id)
            .limit(200)
        ).all()
    secret = [(rid, fnr) for rid, fnr, content in rows if '"code":"R"' in content]
    if not secret:
        pytest.skip("no patient with a confidential address among those with accounts")
    rid, fnr = secret[0]
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        patient = Api(http, fnr, device_sign_in(http, fnr)["access_token"])
        for path in ("/patient/me", "/patient/grants", "/patient/threads", "/patient/results"):
            r = patient.get(path)
            assert r.status_code == 200 and '"address"' not in r.text and '"line"' not in r.text
        thread = new_thread(patient, POOL, subject="Adresse")
    lege = sign_in("lege")
    p = lege.get(f"/fhir/Patient/{rid}").json()
    assert "line" not in json.dumps(p.get("address", []))
    bundle = lege.get(
        "/fhir/Task", params=[("focus", f"Communication/{thread['thread']['id']}"), ("_include", "Task:patient")]
    ).json()
    pat = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert "line" not in json.dumps(pat.get("address", []))


def test_redact_masks_a_confidential_address_whatever_is_stored() -> None:
    from helsami_portal.workflow.reads import redact

    p = {
        "resourceType": "Patient",
        "id": "x",
        "meta": {"security": [{"code": "R"}]},
        "address": [{"line": ["Hemmelig vei 1"], "city": "Fjordvik"}],
    }
    out = redact(p)
    assert "Hemmelig" not in json.dumps(out) and "Fjordvik" not in json.dumps(out)
    assert out["address"][0]["text"] == "Skjermet adresse"
    assert p["address"][0]["line"] == ["Hemmelig vei 1"]  # the stored resource is not changed


def _args(ext_holder: dict[str, Any]) -> dict[str, Any]:
    """The access-log arguments of an AuditEvent part, by name, with their typed values."""
    out: dict[str, Any] = {}
    for ext in ext_holder.get("extension") or []:
        if ext["url"] == "https://helsami.example/fhir/StructureDefinition/access-argument":
            parts = {x["url"]: x for x in ext["extension"]}
            value = parts["value"]
            out[parts["name"]["valueString"]] = next(v for k, v in value.items() if k.startswith("value"))
    return out


def _codes(ev: dict[str, Any]) -> tuple[str, dict[str, Any], str, dict[str, Any]]:
    """(basis code, its arguments, what code, its arguments) of one AuditEvent."""
    purpose = ev["agent"][0]["purposeOfUse"][0]
    basis = next(
        c["code"] for c in purpose["coding"] if c["system"] == "https://helsami.example/fhir/CodeSystem/access-basis"
    )
    entity = ev["entity"][0]
    what = next(
        x["valueCoding"]["code"]
        for x in entity["extension"]
        if x["url"] == "https://helsami.example/fhir/StructureDefinition/access-what"
        and x["valueCoding"]["system"] == "https://helsami.example/fhir/CodeSystem/access-what"
    )
    return basis, _args(purpose), what, _args(entity)


def test_the_access_log_codes_the_basis_and_what_was_read_beside_the_english_text(sign_in: Any) -> None:
    lege, po = sign_in("lege"), sign_in("personvern")
    pid = "pat-000001"  # lege is the patient's regular GP
    assert lege.get(f"/fhir/Patient/{pid}").status_code == 200
    ev = newest(po, pid)[0]
    assert _codes(ev) == ("care.gp", {}, "read", {"item": {"reference": f"Patient/{pid}"}})
    assert ev["agent"][0]["purposeOfUse"][0]["text"] == "care relation: regular GP (fastlege)"  # for other clients
    assert ev["entity"][0]["description"] == f"Patient/{pid}"
    assert lege.get("/fhir/Condition", params={"patient": f"Patient/{pid}"}).status_code == 200
    basis, _, what, args = _codes(newest(po, pid)[0])
    assert (basis, what, args) == ("care.gp", "search", {"type": "Condition", "types": "Condition"})
    # break the glass: the code, with the reason the staff member gave as its argument
    lege2, other = sign_in("lege2"), "pat-000161"
    reason = "Pasienten innlagt bevisstløs, trenger medisinliste"
    r = lege2.post(
        f"/fhir/Patient/{other}/$break-the-glass",
        json={"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]},
    )
    assert r.status_code == 200, r.text
    basis, basis_args, what, args = _codes(newest(po, other)[0])
    assert (basis, basis_args, what) == ("break-glass", {"reason": reason}, "break-glass-granted")
    assert set(args) == {"until"} and args["until"].endswith("Z")
    # a refused read: the code "denied"
    assert sign_in("lege2").get("/fhir/Patient/pat-000150").status_code == 403
    basis, _, what, args = _codes(newest(po, "pat-000150")[0])
    assert (basis, what, args) == ("denied", "read", {"item": {"reference": "Patient/pat-000150"}})


def test_every_access_log_code_is_documented_next_to_the_refusal_reasons() -> None:
    import pathlib
    import re

    from helsami_portal.fhir import access_codes

    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    section = doc.split("\n## Access log: basis and what codes\n", 1)[1].split("\n## ", 1)[0]
    basis, what = section.split("| what code |", 1)
    row = r"^\| `([a-z.-]+)` \|"
    assert set(re.findall(row, basis, flags=re.M)) == set(access_codes.BASES) | set(access_codes.BASIS_PREFIXES)
    assert set(re.findall(row, what, flags=re.M)) == set(access_codes.WHAT_CODES)
    assert access_codes.BASIS_SYSTEM in section and access_codes.WHAT_SYSTEM in section


def test_every_entry_the_tests_above_made_carries_both_codes(sign_in: Any) -> None:
    """The codes follow from the stored texts (fhir/access_codes.py): a new form of text written
    without its pattern would leave entries uncoded, and the app would show only a generic phrase."""
    po = sign_in("personvern")
    uncoded: set[tuple[str, str]] = set()
    seen = 0
    url: str | None = "/fhir/AuditEvent?_count=200"
    while url and seen < 2000:
        page = po.get(url).json()
        for e in page.get("entry") or []:
            ev, seen = e["resource"], seen + 1
            purpose = ev["agent"][0]["purposeOfUse"][0]
            entity = ev["entity"][0]
            has_basis = any(c["system"].endswith("/CodeSystem/access-basis") for c in purpose["coding"])
            has_what = any(x["url"].endswith("/StructureDefinition/access-what") for x in entity.get("extension") or [])
            if not (has_basis and has_what):
                uncoded.add(
                    (purpose["text"][:60] if not has_basis else "", entity["description"] if not has_what else "")
                )
        url = next((link["url"] for link in page.get("link") or [] if link["relation"] == "next"), None)
        url = url.split("/fhir", 1)[1] if url and "/fhir" in url else url
    assert seen > 10
    assert not uncoded, sorted(uncoded)


@pytest.mark.parametrize(
    ("what", "code"),
    [  # each form of text the workflow writes (grep access.audit, log_denied, refusal)
        ("Task search: Patient, Task", "search"),
        ("Communication search", "search"),
        ("inbox item Task/t-1", "read"),
        ("Condition/c-1", "read"),
        ("inbox item Task/t-1 version 2", "read-version"),
        ("inbox item Task/t-1 (current state, with a refused change)", "read-current-state"),
        ("Task/t-1 ($claim-next)", "operation"),
        ("questionnaire review of Task/t-1: QuestionnaireResponse", "review"),
        ("result review of Task/t-1: DiagnosticReport, Observation", "review"),
        ("renewal review of Task/t-1: MedicationRequest, AllergyIntolerance", "review"),
        ("renewal approved, Task/t-1: MedicationRequest, AllergyIntolerance", "renewal-approved"),
        ("renewal denied, Task/t-1: MedicationRequest", "renewal-denied"),
        ("result released, Task/t-1: DiagnosticReport", "result-released"),
        ("break the glass granted until 2026-12-01T21:00 UTC", "break-glass-granted"),
        ("break the glass", "break-glass"),
        ("phone message registered", "phone-message-registered"),
        ("DocumentReference/d-1 download", "download"),
        ("draft in Communication/c-1", "draft"),
        ("patient API", "patient-api"),
        ("patient API: access log", "patient-api"),
    ],
)
def test_each_form_of_what_was_read_has_its_code(what: str, code: str) -> None:
    from helsami_portal.fhir.access_codes import what_of

    assert what_of(what)[0] == code
