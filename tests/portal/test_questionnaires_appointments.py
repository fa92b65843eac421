"""Questionnaires (answers needing attention flagged; mark reviewed) and appointment requests
(confirm, propose another time, decline), with a plain-language message to the patient."""

from __future__ import annotations

import datetime as dt
from typing import Any

from helsami_portal.fhir import timeutil

from .decision_helpers import POOL, make_patient, new_task, op, out, patient_threads

FORM = "https://helsami.example/fhir/Questionnaire/forhandsskjema"


def _task(api: Any, tid: str) -> dict[str, Any]:
    r = api.get(f"/fhir/Task/{tid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def make_answers(portal: Any, pid: str, answers: dict[str, Any], pool: str = POOL) -> str:
    key = {bool: "valueBoolean", float: "valueDecimal", int: "valueInteger", str: "valueString"}
    with portal.store.write() as tx:
        qr = tx.create(
            {
                "resourceType": "QuestionnaireResponse",
                "questionnaire": FORM,
                "status": "completed",
                "subject": {"reference": f"Patient/{pid}"},
                "authored": tx.now,
                "item": [{"linkId": k, "answer": [{key[type(v)]: v}]} for k, v in answers.items()],
            }
        )
    return new_task(
        portal, pid, "questionnaire", f"QuestionnaireResponse/{qr['id']}", "Forhåndsskjema før time", pool=pool
    )


def test_questionnaire_answers_needing_attention_are_flagged(portal: Any, sign_in: Any) -> None:
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    pid, _user, _ = make_patient(portal)
    tid = make_answers(
        portal,
        pid,
        {
            "feber": True,
            "temperatur": 39.2,
            "hoste": True,
            "hoste-uker": 5,
            "reise": False,
            "blodfortynnende": False,
            "annet": "Jeg trenger tolk.",
        },
    )
    r = nurse.get(f"/fhir/Task/{tid}/$questionnaire-review")
    assert r.status_code == 200, r.text
    rv = r.json()
    by = {i["linkId"]: i for i in rv["items"]}
    assert {k for k, i in by.items() if i["attention"]} == {"feber", "temperatur", "hoste-uker"}
    assert by["annet"]["info"] and not by["annet"]["attention"]
    assert by["feber"]["question"] == "Har du feber (over 38 °C)?" and by["feber"]["answer"] == "Ja"
    assert by["temperatur"]["answer"] == "39,2" and by["temperatur"]["reason"] == "Temperatur over 38,5 °C."
    assert rv["attention"] == 3 and rv["questionnaire"]["title"]
    calm = make_answers(portal, pid, {"feber": False, "temperatur": 38.2, "hoste-uker": 2})
    assert lege.get(f"/fhir/Task/{calm}/$questionnaire-review").json()["attention"] == 0
    assert sign_in("sentralbord").get(f"/fhir/Task/{tid}/$questionnaire-review").status_code == 403
    r = op(nurse, _task(nurse, tid), "mark-reviewed", note="Ringt pasienten, kommer til time.")
    assert r.status_code == 200, r.text
    done = out(r, "Task")[0]
    assert done["status"] == "completed" and done["businessStatus"]["coding"][0]["code"] == "reviewed"
    assert done["note"][-1]["text"] == "Ringt pasienten, kommer til time."
    assert op(nurse, done, "mark-reviewed").status_code == 409  # already done


def make_request(portal: Any, pid: str, *, booked: bool = False) -> str:
    start = timeutil.instant(timeutil.utcnow() + dt.timedelta(days=5))
    with portal.store.write() as tx:
        appt: dict[str, Any] = {
            "resourceType": "Appointment",
            "serviceType": [{"text": "Time hos fastlege"}],
            "participant": [
                {"actor": {"reference": f"Patient/{pid}"}, "status": "accepted"},
                {"actor": {"reference": f"HealthcareService/{POOL}"}, "status": "needs-action"},
            ],
        }
        if booked:
            appt.update(
                {
                    "status": "booked",
                    "start": start,
                    "end": start,
                    "minutesDuration": 20,
                    "comment": "Ønsker å avbestille timen.",
                }
            )
        else:
            appt.update(
                {"status": "proposed", "comment": "Passer best etter kl. 14.", "requestedPeriod": [{"start": start}]}
            )
        a = tx.create(appt)
    return new_task(
        portal, pid, "appointment", f"Appointment/{a['id']}", "Ønsker å avbestille time" if booked else "Ønsker time"
    )


def _future(days: int, hour: int = 10) -> str:
    """hh:15 Oslo time, `days` from now (summer or winter time alike)."""
    from zoneinfo import ZoneInfo

    d = (timeutil.utcnow() + dt.timedelta(days=days)).date()
    return dt.datetime(d.year, d.month, d.day, hour, 15, tzinfo=ZoneInfo("Europe/Oslo")).isoformat()


def test_confirm_an_appointment_and_the_patient_is_told(portal: Any, sign_in: Any) -> None:
    nurse = sign_in("sykepleier")
    pid, user, _ = make_patient(portal)
    pas = sign_in(user)
    tid = make_request(portal, pid)
    t = _task(nurse, tid)
    assert op(nurse, t, "confirm-appointment").status_code == 400
    past = (timeutil.utcnow() - dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00:00+00:00")
    assert op(nurse, t, "confirm-appointment", start=past).status_code == 422
    r = op(nurse, t, "confirm-appointment", start=_future(3), comment="Ta med medisinlisten din.")
    assert r.status_code == 200, r.text
    appt = out(r, "Appointment")[0]
    assert appt["status"] == "booked" and appt["start"] and appt["minutesDuration"] == 30
    assert {p["status"] for p in appt["participant"]} == {"accepted"}
    assert out(r, "Task")[0]["businessStatus"]["coding"][0]["code"] == "confirmed"
    [th] = patient_threads(pas)
    text = th["messages"][0]["payload"][0]["contentString"]
    assert "Timen din er bekreftet" in text and "kl. 10.15" in text and "medisinlisten" in text


def test_propose_another_time(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    pid, user, _ = make_patient(portal)
    tid = make_request(portal, pid)
    r = op(lege, _task(lege, tid), "propose-appointment", start=_future(8, 14), minutes=45)
    assert r.status_code == 200, r.text
    appt = out(r, "Appointment")[0]
    assert appt["status"] == "proposed" and appt["minutesDuration"] == 45
    patient_part = next(p for p in appt["participant"] if p["actor"]["reference"].startswith("Patient/"))
    assert patient_part["status"] == "needs-action"
    [th] = patient_threads(sign_in(user))
    assert "Vi foreslår denne timen" in th["messages"][0]["payload"][0]["contentString"]


def test_decline_needs_a_reason_and_cancels(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    pid, user, _ = make_patient(portal)
    tid = make_request(portal, pid, booked=True)
    t = _task(lege, tid)
    assert op(lege, t, "decline-appointment").status_code == 400
    r = op(lege, t, "decline-appointment", reason="Timen er avbestilt slik du ba om.")
    assert r.status_code == 200, r.text
    appt = out(r, "Appointment")[0]
    assert appt["status"] == "cancelled" and appt["cancelationReason"]["text"] == "Timen er avbestilt slik du ba om."
    assert out(r, "Task")[0]["businessStatus"]["coding"][0]["code"] == "declined"
    [th] = patient_threads(sign_in(user))
    assert "er avbestilt" in th["messages"][0]["payload"][0]["contentString"]
    # Appointment operations on another kind of item are refused.
    q = make_answers(portal, pid, {"feber": False})
    r = op(lege, _task(lege, q), "confirm-appointment", start=_future(3))
    assert r.status_code == 409 and "appointment items only" in r.json()["issue"][0]["diagnostics"]


def test_someone_elses_claimed_item_cannot_be_decided(portal: Any, sign_in: Any) -> None:
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    pid, _user, _ = make_patient(portal)
    tid = make_request(portal, pid)
    claimed = nurse.post(f"/fhir/Task/{tid}/$claim", headers={"If-Match": 'W/"1"'})
    assert claimed.status_code == 200, claimed.text
    r = op(lege, claimed.json(), "confirm-appointment", start=_future(3))
    assert r.status_code == 409 and "claimed" in r.json()["issue"][0]["diagnostics"]
    assert op(nurse, claimed.json(), "confirm-appointment", start=_future(3)).status_code == 200


def test_a_cancellation_request_is_confirmed_as_a_cancellation(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    pid, user, _ = make_patient(portal)
    tid = make_request(portal, pid, booked=True)
    r = op(lege, _task(lege, tid), "confirm-cancellation")
    assert r.status_code == 200, r.text
    appt = out(r, "Appointment")[0]
    assert appt["status"] == "cancelled" and "ønske fra pasienten" in appt["cancelationReason"]["text"]
    task = out(r, "Task")[0]
    assert task["status"] == "completed" and task["businessStatus"]["coding"][0]["code"] == "cancelled"
    [th] = patient_threads(sign_in(user))
    text = th["messages"][0]["payload"][0]["contentString"]
    assert "er avbestilt slik du ba om" in text and "Begrunnelse" not in text
    # A request for a new time has nothing to cancel: refused with a reason code.
    other = make_request(portal, pid)
    r = op(lege, _task(lege, other), "confirm-cancellation")
    assert r.status_code == 409
    assert r.json()["issue"][0]["details"]["coding"][0]["code"] == "nothing-to-cancel"
