"""The bases of access (issue 10, part B): a care relation is never something the caller made for
themself, the access log names the basis of each read, patient search needs identifying criteria,
proxy access follows the age rules at every request, the patient API does not reveal which ids
exist, and a patient addresses only services that take their messages (renewals: only services
that handle renewals). Each test runs on SQLite and PostgreSQL (the session `portal` fixture)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.seed import add_accounts
from helsami_portal.store.query import parse_query
from helsami_portal.store.schema import access_log, resource
from helsami_portal.synth.fnr import make_fnr
from helsami_portal.workflow import care

from .conftest import Api

_rng = random.Random(1010)
PROXY_LEVEL = f"{c.BASE}/CodeSystem/proxy-level"


# -- helpers --------------------------------------------------------------------------------------


def _today() -> dt.date:
    return timeutil.utcnow().date()


def _years_ago(years: int, days: int = 0) -> dt.date:
    t = _today()
    try:
        d = t.replace(year=t.year - years)
    except ValueError:  # 29 February
        d = t.replace(year=t.year - years, day=28)
    return d - dt.timedelta(days=days)


def _unused_fnr(portal: Any, birth: dt.date) -> str:
    """A national id for `birth` that no patient in the (shared) portal has yet: a look-up by it
    finds exactly the patient the test makes, whatever other tests made before."""
    while True:
        fnr = make_fnr(birth, False, _rng)
        q = parse_query("Patient", [("identifier", f"{c.FNR_SYSTEM}|{fnr}")])
        with portal.store.read() as tx:
            if not tx.search("Patient", q.where, count=1).rows:
                return fnr


def fresh_patient(
    portal: Any,
    *,
    gp: str = "",
    birth: dt.date | None = None,
    account: bool = False,
    meds: bool = False,
    capacity: bool | None = None,
) -> tuple[str, str, str]:
    """A new patient of its own (no inbox items, no appointments). Returns (id, username, national id)."""
    pid = f"ab-{uuid.uuid4().hex[:12]}"
    birth = birth or dt.date(1950 + _rng.randrange(40), 1 + _rng.randrange(12), 1 + _rng.randrange(28))
    fnr = _unused_fnr(portal, birth)
    given = f"Testa{uuid.uuid4().hex[:12]}"  # no other patient's name starts with it
    pat: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "active": True,
        "identifier": [{"system": c.FNR_SYSTEM, "value": fnr}],
        "name": [{"family": "Basesen", "given": [given], "text": f"{given} Basesen"}],
        "gender": "female",
        "birthDate": birth.isoformat(),
        "telecom": [{"system": "phone", "value": "+47 90000000"}],
        "address": [{"line": ["Testveien 1"], "city": "Fjordvik"}],
    }
    if gp:
        pat["generalPractitioner"] = [{"reference": f"Practitioner/{gp}"}]
    if capacity is not None:
        pat["extension"] = [{"url": c.EXT_CONSENT_CAPACITY, "valueBoolean": capacity}]
    with portal.store.write() as tx:
        tx.create(pat, keep_id=True)
        if meds:
            tx.create(
                {
                    "resourceType": "MedicationRequest",
                    "status": "active",
                    "intent": "order",
                    "medicationCodeableConcept": {"text": "Metformin 500 mg tablett"},
                    "subject": {"reference": f"Patient/{pid}"},
                    "authoredOn": tx.now,
                    "requester": {"reference": "Practitioner/prac-0001"},
                    "dosageInstruction": [{"text": "1 tablett daglig"}],
                }
            )
    username = f"test-{pid}"
    if account:
        add_accounts(
            portal.store,
            [
                SimpleNamespace(
                    username=username,
                    password="demo",
                    kind="patient",
                    resource=f"Patient/{pid}",
                    display=f"{given} Basesen",
                )
            ],
        )
    return pid, username, fnr


def staff(portal: Any, sign_in: Any, prac: str) -> Api:
    """A seeded staff member without a demo login (ansattNNN), signed in."""
    username = f"ansatt{prac[-3:]}"
    add_accounts(
        portal.store,
        [
            SimpleNamespace(
                username=username, password="demo", kind="staff", resource=f"Practitioner/{prac}", display=username
            )
        ],
    )
    return sign_in(username)  # type: ignore[no-any-return]


def phone_params(pid: str, *, inbox: str = "", practitioner: str = "", subject: str = "Ringte") -> dict[str, Any]:
    prm: list[dict[str, Any]] = [{"name": "patient", "valueReference": {"reference": f"Patient/{pid}"}}]
    if inbox:
        prm.append({"name": "inbox", "valueReference": {"reference": inbox}})
    if practitioner:
        prm.append({"name": "practitioner", "valueReference": {"reference": practitioner}})
    prm += [
        {"name": "subject", "valueString": subject},
        {"name": "text", "valueString": "Ønsker å bli ringt."},
        {"name": "messageId", "valueString": str(uuid.uuid4())},
    ]
    return {"resourceType": "Parameters", "parameter": prm}


def part(body: dict[str, Any], name: str) -> Any:
    return next(p.get("resource") for p in body["parameter"] if p["name"] == name)


def write_thread(api: Api, pid: str, service: str, subject: str = "Spørsmål") -> dict[str, Any]:
    r = api.post(
        "/patient/threads",
        json={
            "patient": pid,
            "service": service,
            "subject": subject,
            "text": "Hei, jeg lurer på noe.",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def log_of(portal: Any, pid: str, who: str) -> list[dict[str, Any]]:
    """The access-log entries of one patient by one staff member (Practitioner id), oldest first."""
    with portal.store.read() as tx:
        rows = tx.search("AuditEvent", [access_log.c.patient == pid], count=500).rows
    mine = [e for e in rows if e["agent"][0]["who"]["reference"] == f"Practitioner/{who}"]
    return sorted(mine, key=lambda e: (e["recorded"], e["id"]))


def bases(portal: Any, pid: str, who: str) -> list[str]:
    return [e["agent"][0]["purposeOfUse"][0]["text"] for e in log_of(portal, pid, who) if e["outcome"] == "0"]


# -- a care relation is never self-declared -------------------------------------------------------


def test_a_phone_message_gives_its_author_no_care_relation(portal: Any, sign_in: Any) -> None:
    pid, user, _ = fresh_patient(portal, account=True)
    pas, sb = sign_in(user), sign_in("sentralbord")
    write_thread(pas, pid, "hs-fjordvik-psyk", subject="Samtale")  # to mental health, not the switchboard
    r = sb.post("/fhir/Task/$phone-message", json=phone_params(pid, inbox="HealthcareService/hs-fjordvik-sentralbord"))
    assert r.status_code == 201, r.text
    thread = part(r.json(), "thread")
    # The author reads the thread of the item they made, and nothing else of the patient's.
    own = sb.get("/fhir/Communication", params={"part-of": f"Communication/{thread['id']}"})
    assert own.status_code == 200, own.text
    assert [e["resource"]["category"][0]["coding"][0]["code"] for e in own.json()["entry"]] == ["phone-message"]
    assert sb.get("/fhir/Communication", params={"patient": f"Patient/{pid}"}).status_code == 403
    assert sb.get(f"/fhir/Patient/{pid}").status_code == 403
    assert sb.get(f"/fhir/Communication/{thread['id']}").status_code == 200  # the header of their own item
    assert care.OWN_ITEM in bases(portal, pid, "prac-0003")
    assert not [b for b in bases(portal, pid, "prac-0003") if b.startswith("care relation")]
    # A colleague in the inbox it was placed in has a care relation, and the log says whose doing it was.
    colleague = staff(portal, sign_in, "prac-0034")
    assert colleague.get(f"/fhir/Patient/{pid}").status_code == 200
    assert bases(portal, pid, "prac-0034")[-1] == care.FROM_COLLEAGUE


def test_a_hospital_physician_cannot_open_a_municipal_patient_by_registering_a_call(portal: Any, sign_in: Any) -> None:
    pid, _, _ = fresh_patient(portal, gp="prac-0001", meds=True)
    lege2 = sign_in("lege2")
    r = lege2.post("/fhir/Task/$phone-message", json=phone_params(pid, inbox="HealthcareService/hs-midtby-medpol"))
    assert r.status_code == 201, r.text
    assert lege2.get("/fhir/MedicationRequest", params={"patient": f"Patient/{pid}"}).status_code == 403
    assert lege2.get(f"/fhir/Patient/{pid}").status_code == 403
    assert lege2.get("/fhir/Communication", params={"patient": f"Patient/{pid}"}).status_code == 403
    denied = [e for e in log_of(portal, pid, "prac-0006") if e["outcome"] == "4"]
    assert denied and all("no care relation" in e["agent"][0]["purposeOfUse"][0]["text"] for e in denied)


def test_an_item_one_forwards_gives_oneself_no_care_relation(portal: Any, sign_in: Any) -> None:
    pid, _user, _ = fresh_patient(portal, account=True)
    sb, other = sign_in("sentralbord"), staff(portal, sign_in, "prac-0034")
    r = other.post(
        "/fhir/Task/$phone-message", json=phone_params(pid, inbox="HealthcareService/hs-fjordvik-sentralbord")
    )
    t = part(r.json(), "task")
    assert sb.get(f"/fhir/Patient/{pid}").status_code == 200  # placed by a colleague
    claimed = sb.post(f"/fhir/Task/{t['id']}/$claim", headers={"If-Match": f'W/"{t["meta"]["versionId"]}"'})
    assert claimed.status_code == 200, claimed.text
    fwd = sb.post(
        f"/fhir/Task/{t['id']}/$forward",
        headers={"If-Match": f'W/"{claimed.json()["meta"]["versionId"]}"'},
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "target", "valueReference": {"reference": "Practitioner/prac-0003"}}],
        },
    )
    assert fwd.status_code == 409  # already theirs
    fwd = sb.post(
        f"/fhir/Task/{t['id']}/$forward",
        headers={"If-Match": f'W/"{claimed.json()["meta"]["versionId"]}"'},
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "target", "valueReference": {"reference": "HealthcareService/hs-fjordvik-hjemme"}}],
        },
    )
    assert fwd.status_code == 200, fwd.text
    assert sb.get(f"/fhir/Patient/{pid}").status_code == 403  # the item is no longer in their inbox
    assert staff(portal, sign_in, "prac-0034").get(f"/fhir/Patient/{pid}").status_code == 403
    # Home care got it from a colleague.
    hjemme = staff(portal, sign_in, "prac-0031")
    assert hjemme.get(f"/fhir/Patient/{pid}").status_code == 200
    assert bases(portal, pid, "prac-0031")[-1] == care.FROM_COLLEAGUE


def test_the_access_log_names_the_basis_of_each_read(portal: Any, sign_in: Any) -> None:
    pid, user, _ = fresh_patient(portal, gp="prac-0001", account=True)
    pas = sign_in(user)
    assert sign_in("lege").get(f"/fhir/Patient/{pid}").status_code == 200
    assert bases(portal, pid, "prac-0001")[-1] == care.GP
    write_thread(pas, pid, "hs-midtby-medpol")
    assert sign_in("lege2").get(f"/fhir/Patient/{pid}").status_code == 200
    assert bases(portal, pid, "prac-0006")[-1] == care.FROM_PATIENT
    # An appointment with the staff member (made by scheduling, not through this API).
    with portal.store.write() as tx:
        tx.create(
            {
                "resourceType": "Appointment",
                "status": "booked",
                "description": "Kontroll",
                "start": tx.now,
                "participant": [
                    {"actor": {"reference": f"Patient/{pid}"}, "status": "accepted"},
                    {"actor": {"reference": "Practitioner/prac-0021"}, "status": "accepted"},
                ],
            }
        )
    assert staff(portal, sign_in, "prac-0021").get(f"/fhir/Patient/{pid}").status_code == 200
    assert bases(portal, pid, "prac-0021")[-1] == care.APPOINTMENT
    # No basis: refused; break the glass: its reason.
    ortho = staff(portal, sign_in, "prac-0023")
    assert ortho.get(f"/fhir/Patient/{pid}").status_code == 403
    reason = "Pasienten kom inn akutt, trenger opplysninger"
    assert (
        ortho.post(
            f"/fhir/Patient/{pid}/$break-the-glass",
            json={"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]},
        ).status_code
        == 200
    )
    assert ortho.get(f"/fhir/Patient/{pid}").status_code == 200
    assert bases(portal, pid, "prac-0023")[-1] == f"break the glass: {reason}"
    # The patient's own access log tells the kinds apart in plain words.
    why = {e["why"] for e in pas.get("/patient/access-log", params={"_count": "100"}).json()["entries"]}
    assert "Vedkommende er fastlegen din." in why
    assert "Du har sendt en henvendelse til en innboks der vedkommende jobber." in why
    assert "Du har en time hos vedkommende." in why


# -- patient search needs identifying criteria --------------------------------------------------------


def test_patient_search_without_identifying_criteria_is_refused(sign_in: Any) -> None:
    lege = sign_in("lege")
    for params in (
        {"_count": "500"},
        {},
        {"name": "kari"},
        {"birthdate": "1980-01-01"},
        {"name": "k", "birthdate": "1980-01-01"},
        {"name": "kari", "birthdate": "ge1900-01-01"},
        {"name": "kari", "birthdate": "1980"},
        {"_id": "pat-000001"},
        {"identifier": "a,b"},
    ):
        r = lege.get("/fhir/Patient", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["issue"][0]["details"]["coding"][0]["code"] == "patient-search-criteria"
    r = lege.get("/fhir/Patient", params={"name": "kari", "birthdate": "1980-01-01", "_count": "21"})
    assert r.status_code == 400 and r.json()["issue"][0]["details"]["coding"][0]["code"] == "count-too-large"


def test_patient_look_up_by_national_id_or_name_and_birth_date_is_logged(portal: Any, sign_in: Any) -> None:
    pid, _, fnr = fresh_patient(portal, gp="prac-0001")
    with portal.store.read() as tx:
        pat = tx.require("Patient", pid)
    sb, lege, lege2 = sign_in("sentralbord"), sign_in("lege"), sign_in("lege2")
    by_id = sb.get("/fhir/Patient", params={"identifier": f"{c.FNR_SYSTEM}|{fnr}"})
    assert by_id.status_code == 200, by_id.text
    by_name = sb.get("/fhir/Patient", params={"name": pat["name"][0]["given"][0], "birthdate": pat["birthDate"]})
    assert by_name.status_code == 200, by_name.text
    for r in (by_id, by_name):
        found = [e["resource"] for e in r.json()["entry"]]
        assert [x["id"] for x in found] == [pid]
        # What the switchboard needs to register a call, and nothing more.
        assert set(found[0]) <= {"resourceType", "id", "meta", "active", "identifier", "name", "gender", "birthDate"}
        assert found[0]["identifier"][0]["value"] == fnr and found[0]["birthDate"] == pat["birthDate"]
        assert "address" not in found[0] and "telecom" not in found[0] and "generalPractitioner" not in found[0]
    assert bases(portal, pid, "prac-0003") == ["patient look-up (national id)", "patient look-up (name and birth date)"]
    # The GP (a care relation) sees the whole record; a physician without one gets the look-up view.
    assert "address" in lege.get("/fhir/Patient", params={"identifier": fnr}).json()["entry"][0]["resource"]
    assert "address" not in lege2.get("/fhir/Patient", params={"identifier": fnr}).json()["entry"][0]["resource"]


# -- proxy access (fullmakt): ages and capacity, at every request ----------------------------------


def proxy(
    portal: Any,
    pid: str,
    *,
    rel: str,
    age: int,
    level: str = "full",
    granted_by: str = "",
    given: str = "",
    start: str = "",
    end: str = "",
) -> str:
    """A RelatedPerson of the patient with a sign-in and an active Consent grant of `level`.
    Returns the username. `granted_by` is the Consent's performer (default: the patient)."""
    rid = f"rp-ab-{uuid.uuid4().hex[:10]}"
    period: dict[str, str] = {"start": start or _years_ago(1).isoformat()}
    if end:
        period["end"] = end
    with portal.store.write() as tx:
        tx.create(
            {
                "resourceType": "RelatedPerson",
                "id": rid,
                "active": True,
                "patient": {"reference": f"Patient/{pid}"},
                "relationship": [
                    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": rel}]}
                ],
                "name": [{"text": "Per Proxysen", "family": "Proxysen", "given": ["Per"]}],
                "birthDate": _years_ago(age).isoformat(),
            },
            keep_id=True,
        )
        tx.create(
            {
                "resourceType": "Consent",
                "status": "active",
                "patient": {"reference": f"Patient/{pid}"},
                "dateTime": given or period["start"],
                "performer": [{"reference": granted_by or f"Patient/{pid}"}],
                "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                "provision": {
                    "type": "permit",
                    "period": period,
                    "actor": [{"reference": {"reference": f"RelatedPerson/{rid}"}}],
                    "code": [{"coding": [{"system": PROXY_LEVEL, "code": level}]}],
                },
            }
        )
    username = f"test-{rid}"
    add_accounts(
        portal.store,
        [
            SimpleNamespace(
                username=username,
                password="demo",
                kind="patient",
                resource=f"RelatedPerson/{rid}",
                display="Per Proxysen",
            )
        ],
    )
    return username


def acts_for(api: Api) -> dict[str, str]:
    return {a["patient"].split("/")[1]: a["level"] for a in api.get("/patient/me").json()["actsFor"]}


def test_a_parents_access_ends_at_16_whatever_the_consents_period_says(portal: Any, sign_in: Any) -> None:
    # A parental consent made when the child was small, whose period runs for years yet.
    pid, _, _ = fresh_patient(portal, birth=_years_ago(16, days=3))
    far = proxy(
        portal,
        pid,
        rel="FTH",
        age=45,
        granted_by="",
        given=_years_ago(10).isoformat(),
        start=_years_ago(10).isoformat(),
        end=_years_ago(-5).isoformat(),
    )
    parent = sign_in(far)
    assert acts_for(parent) == {}
    r = parent.get("/patient/threads", params={"patient": pid})
    assert r.status_code == 404, r.text
    # The same for a consent the parent recorded for the child (performer the parent).
    pid2, _, _ = fresh_patient(portal, birth=_years_ago(17))
    mor = proxy(portal, pid2, rel="MTH", age=44, level="full", start=_years_ago(1).isoformat())
    with portal.store.write() as tx:  # made the parent the performer
        q = tx.conn.execute(
            sa.select(resource.c.id).where(resource.c.rtype == "Consent", resource.c.patient == pid2)
        ).scalar_one()
        consent = tx.require("Consent", q)
        consent["performer"] = [{"reference": next(a["reference"]["reference"] for a in consent["provision"]["actor"])}]
        tx.update(consent, expected_version=int(consent["meta"]["versionId"]))
    assert acts_for(sign_in(mor)) == {}


def test_a_parent_acts_for_a_child_fully_under_12_and_for_messages_from_12(portal: Any, sign_in: Any) -> None:
    small, _, _ = fresh_patient(portal, birth=_years_ago(8))
    teen, _, _ = fresh_patient(portal, birth=_years_ago(13))
    assert acts_for(sign_in(proxy(portal, small, rel="MTH", age=38, granted_by="x"))) == {small: "full"}
    teen_parent = sign_in(proxy(portal, teen, rel="FTH", age=40, level="full", granted_by="x"))
    assert acts_for(teen_parent) == {teen: "messages"}
    assert teen_parent.get("/patient/results", params={"patient": teen}).status_code == 403
    # Nobody else may act for a child, whatever a consent says.
    assert acts_for(sign_in(proxy(portal, teen, rel="AUNT", age=40, level="full"))) == {}


def test_a_grant_needs_a_granter_of_16_with_capacity_and_a_proxy_of_18(portal: Any, sign_in: Any) -> None:
    pid, _, _ = fresh_patient(portal, birth=_years_ago(17))
    # Given by the patient at 17 to an adult: counts.
    assert acts_for(sign_in(proxy(portal, pid, rel="FRND", age=30, level="read"))) == {pid: "read"}
    # Given by the patient at 15 (before they could): does not count, even now they are 17.
    early = proxy(
        portal, pid, rel="FRND", age=30, level="full", given=_years_ago(2).isoformat(), start=_years_ago(2).isoformat()
    )
    assert acts_for(sign_in(early)) == {}
    # A proxy under 18: no access.
    assert acts_for(sign_in(proxy(portal, pid, rel="FRND", age=17, level="full"))) == {}
    # A grant that has not begun yet: no access.
    later = proxy(
        portal,
        pid,
        rel="FRND",
        age=30,
        level="full",
        start=_years_ago(-1).isoformat(),
        given=_years_ago(0, days=1).isoformat(),
    )
    assert acts_for(sign_in(later)) == {}
    # A patient recorded without capacity to consent: their grants do not count.
    weak, _, _ = fresh_patient(portal, birth=_years_ago(70), capacity=False)
    assert acts_for(sign_in(proxy(portal, weak, rel="SON", age=40, level="full"))) == {}
    # Checked at every request: the proxy's access stops the day the grant stops counting.
    ok = sign_in(proxy(portal, weak, rel="SON", age=40, level="full"))
    with portal.store.write() as tx:
        pat = tx.require("Patient", weak)
        pat["extension"] = [{"url": c.EXT_CONSENT_CAPACITY, "valueBoolean": True}]
        tx.update(pat, expected_version=int(pat["meta"]["versionId"]))
    assert acts_for(ok) == {weak: "full"}
    with portal.store.write() as tx:
        pat = tx.require("Patient", weak)
        pat["extension"] = [{"url": c.EXT_CONSENT_CAPACITY, "valueBoolean": False}]
        tx.update(pat, expected_version=int(pat["meta"]["versionId"]))
    assert acts_for(ok) == {}
    assert ok.get("/patient/threads", params={"patient": weak}).status_code == 404


# -- the patient API does not tell which ids exist ---------------------------------------------------


def test_the_patient_api_answers_alike_for_an_unknown_id_and_someone_elses(portal: Any, sign_in: Any) -> None:
    _a, user_a, _ = fresh_patient(portal, account=True, meds=True)
    b, user_b, _ = fresh_patient(portal, account=True, meds=True)
    pa, pb = sign_in(user_a), sign_in(user_b)
    theirs = write_thread(pb, b, "hs-fjordvik-legesenter")["thread"]["id"]
    for url in ("/patient/threads/{}",):
        other, unknown = pa.get(url.format(theirs)), pa.get(url.format("finnes-ikke-123"))
        assert other.status_code == unknown.status_code == 404
        assert other.json() == unknown.json()
    body = {"text": "Hei", "messageId": str(uuid.uuid4())}
    other = pa.post(f"/patient/threads/{theirs}/messages", json=body)
    unknown = pa.post("/patient/threads/finnes-ikke-123/messages", json=body)
    assert other.status_code == unknown.status_code == 404 and other.json() == unknown.json()
    for path in ("/patient/threads", "/patient/results", "/patient/access-log", "/patient/medications"):
        other, unknown = pa.get(path, params={"patient": b}), pa.get(path, params={"patient": "finnes-ikke-123"})
        assert other.status_code == unknown.status_code == 404, (path, other.text)
        assert other.json() == unknown.json()
    their_med = pb.get("/patient/medications").json()["entry"][0]["resource"]["id"]
    other = pa.post("/patient/renewals", json={"medication": their_med, "messageId": str(uuid.uuid4())})
    unknown = pa.post("/patient/renewals", json={"medication": "finnes-ikke-123", "messageId": str(uuid.uuid4())})
    assert other.status_code == unknown.status_code == 422 and other.json() == unknown.json()


# -- a patient addresses only services that take patient messages --------------------------------


def test_a_patient_addresses_only_the_services_listed_and_renewals_only_where_handled(
    portal: Any, sign_in: Any
) -> None:
    pid, user, _ = fresh_patient(portal, account=True, meds=True)
    pas = sign_in(user)
    listed = {s["id"]: s for s in pas.get("/patient/services").json()["services"]}
    assert "hs-fjordvik-legesenter" in listed and "hs-fjordvik-sentralbord" in listed
    for hidden in ("hs-midtby-medpol-reserve", "hs-fjordvik-fysio-eira", "hs-fjordvik-legesenter-leder"):
        assert hidden not in listed
        r = pas.post(
            "/patient/threads",
            json={"patient": pid, "service": hidden, "subject": "Hei", "text": "Hei", "messageId": str(uuid.uuid4())},
        )
        assert r.status_code == 422, r.text
        assert r.json()["issue"][0]["details"]["coding"][0]["code"] == "service-not-addressable"
    assert listed["hs-fjordvik-legesenter"]["renewals"] is True
    assert listed["hs-fjordvik-sentralbord"]["renewals"] is False
    med = pas.get("/patient/medications").json()["entry"][0]["resource"]["id"]
    r = pas.post(
        "/patient/renewals",
        json={"medication": med, "service": "hs-fjordvik-sentralbord", "messageId": str(uuid.uuid4())},
    )
    assert r.status_code == 422, r.text
    assert r.json()["issue"][0]["details"]["coding"][0]["code"] == "service-not-for-renewals"
    r = pas.post(
        "/patient/renewals",
        json={"medication": med, "service": "hs-fjordvik-legesenter", "messageId": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    with portal.store.read() as tx:
        from helsami_portal.store.schema import task

        pools = {row.pool for row in tx.conn.execute(sa.select(task.c.pool).where(task.c.patient == pid))}
    assert pools == {"hs-fjordvik-legesenter"}


def test_without_a_routing_table_patients_address_clinical_and_intake_inboxes_that_are_no_back_up(
    tmp_path: Any,
) -> None:
    from helsami_portal.routing import RoutingTable
    from helsami_portal.seed import load
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.store import Store
    from helsami_portal.synth import directory
    from helsami_portal.workflow import routing as wf_routing

    store = Store(make_engine(f"sqlite:///{tmp_path / 'dir.sqlite3'}"))
    store.create_schema()
    pracs, roles = directory.staff_resources()
    load(store, directory.organization_resources() + directory.inbox_resources() + pracs + roles)
    wf_routing.install(store, RoutingTable(source="(none)"))
    try:
        with store.read() as tx:
            found = {e["service"]["id"]: e["renewals"] for e in wf_routing.patient_services(tx)}
        assert found["hs-fjordvik-legesenter"] is True  # clinical, prescribers work there
        assert found["hs-fjordvik-sentralbord"] is False  # intake: no renewals
        assert found["hs-fjordvik-fysio"] is False  # no prescriber
        for never in ("hs-fjordvik-fysio-eira", "hs-midtby-medpol-reserve", "hs-bakkegata-reserve"):
            assert never not in found  # direct inboxes and back-ups are not addressed by id
    finally:
        store.engine.dispose()


def test_the_author_of_a_phone_message_may_draft_a_reply_in_its_thread_only(portal: Any, sign_in: Any) -> None:
    pid, user, _ = fresh_patient(portal, account=True)
    other = write_thread(sign_in(user), pid, "hs-fjordvik-psyk")["thread"]["id"]
    nurse = sign_in("sykepleier")
    r = nurse.post(
        "/fhir/Task/$phone-message", json=phone_params(pid, inbox="HealthcareService/hs-fjordvik-legesenter")
    )
    assert r.status_code == 201, r.text
    own = part(r.json(), "thread")["id"]

    def draft(thread: str) -> Any:
        return nurse.post(
            "/fhir/Communication",
            json={
                "resourceType": "Communication",
                "status": "preparation",
                "partOf": [{"reference": f"Communication/{thread}"}],
                "payload": [{"contentString": "Vi ringer deg i morgen."}],
            },
        )

    assert draft(own).status_code == 201
    assert draft(other).status_code == 403  # the patient's thread with mental health: no care relation
    # Roles without inbox work look up nobody.
    for role in ("it", "personvern"):
        assert sign_in(role).get("/fhir/Patient", params={"identifier": "12345678901"}).status_code == 403


def test_the_switchboard_reads_the_threads_of_its_own_inbox_not_the_patients_other_messages(
    portal: Any, sign_in: Any
) -> None:
    pid, user, _ = fresh_patient(portal, account=True)
    pas, sb = sign_in(user), sign_in("sentralbord")
    psyk = write_thread(pas, pid, "hs-fjordvik-psyk", subject="Samtale")["thread"]["id"]
    intake = write_thread(pas, pid, "hs-fjordvik-sentralbord", subject="Annet")["thread"]["id"]
    mine = sb.get("/fhir/Communication", params={"part-of": f"Communication/{intake}"})
    assert mine.status_code == 200 and len(mine.json()["entry"]) == 1
    assert sb.get(f"/fhir/Communication/{intake}").status_code == 200
    assert sb.get(f"/fhir/Patient/{pid}").status_code == 200  # who it is, to route the item
    # The patient's conversation with mental health is not the switchboard's business.
    assert sb.get("/fhir/Communication", params={"patient": f"Patient/{pid}"}).status_code == 403
    assert sb.get("/fhir/Communication", params={"part-of": f"Communication/{psyk}"}).status_code == 403
    assert sb.get(f"/fhir/Communication/{psyk}").status_code == 403
