"""Prescription renewals: the knowledge table, the review (warnings, protocol verdict), and who may
approve, deny, pend and ask; acknowledgement of warnings; what the patient is told."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from helsami_portal.knowledge import medicines as kb
from helsami_portal.workflow import renewals

from .decision_helpers import ago, make_patient, op, out, patient_threads, task

# -- the knowledge table (no portal) --------------------------------------------------------------


def test_classes_interactions_and_controlled_groups() -> None:
    assert "penicillins" in kb.classes_of("J01CA04") and "penicillins" in kb.classes_of("J01CE")
    assert {r.code for r in kb.interactions_between("B01AA03", "M01AE01")} == {"vka-nsaid"}
    assert {r.code for r in kb.interactions_between("M01AE01", "B01AA03")} == {"vka-nsaid"}  # either order
    assert {r.code for r in kb.interactions_between("N06AB06", "M01AE02")} == {"ssri-nsaid"}
    assert "ace-potassium" in {r.code for r in kb.interactions_between("C09AA05", "C03DA01")}
    assert "opioid-benzodiazepine" in {r.code for r in kb.interactions_between("N02AA05", "N05BA01")}
    assert "methotrexate-trimethoprim" in {r.code for r in kb.interactions_between("L04AX03", "J01EA01")}
    assert kb.interactions_between("C10AA05", "A10BA02") == []
    assert kb.reseptgruppe("N02AA05") == "A" and kb.reseptgruppe("N05CF01") == "B"
    assert kb.reseptgruppe("N05BA01") == "B" and kb.reseptgruppe("N06BA04") == "A"
    assert kb.reseptgruppe("C10AA05") is None
    assert kb.allergy_match("J01CE", "Penicillin", "J01CA04") == ("class", "penicillins")
    assert kb.allergy_match("", "Allergi mot ibuprofen", "M01AE01") == ("substance", "ibuprofen")
    assert kb.allergy_match("", "Peanøtter", "M01AE01") is None
    assert all(s.atc.startswith(tuple("ABCDGHJLMNPRSV")) for s in kb.SUBSTANCES.values())
    assert kb.SOURCES and "not a complete interaction database" in (kb.__doc__ or "").lower().replace("\n", " ")


def test_describe_splits_name_strength_and_form() -> None:
    assert renewals.describe("Metformin 500 mg tablett") == {
        "name": "Metformin",
        "strength": "500 mg",
        "form": "tablett",
    }
    assert renewals.describe("Flutide 50 mikrog/dose inhalasjonsaerosol")["strength"] == "50 mikrog/dose"


# -- over HTTP ----------------------------------------------------------------------------------


def _request(
    portal: Any, sign_in: Any, meds: list[tuple[str, str, float]], renew: int = 0, allergies: list[tuple[str, str]] = ()
) -> tuple[dict[str, Any], Any, list[str]]:
    """A fresh patient asks to renew meds[renew]; returns (the renewal Task, the patient's Api, med ids)."""
    _pid, user, med_ids = make_patient(portal, meds=meds, allergies=allergies)
    pas = sign_in(user)
    r = pas.post(
        "/patient/renewals",
        json={"medication": med_ids[renew], "messageId": str(uuid.uuid4()), "text": "Har tabletter til fredag."},
    )
    assert r.status_code == 201, r.text
    proposal = r.json()["request"]
    found = sign_in("lege").get("/fhir/Task", params={"focus": f"MedicationRequest/{proposal['id']}"}).json()
    assert len(found["entry"]) == 1
    return found["entry"][0]["resource"], pas, med_ids


def _review(api: Any, t: dict[str, Any]) -> dict[str, Any]:
    r = api.get(f"/fhir/Task/{t['id']}/$renewal-review")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_routine_renewal_is_approved_by_a_physician_only_and_the_patient_is_told(portal: Any, sign_in: Any) -> None:
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    t, pas, med_ids = _request(
        portal, sign_in, [("C10AA05", "Atorvastatin 20 mg tablett", 100), ("A10BA02", "Metformin 500 mg tablett", 50)]
    )
    rv = _review(nurse, t)  # nurses see the review
    assert rv["medication"]["atc"] == "C10AA05" and rv["medication"]["strength"] == "20 mg"
    assert rv["medication"]["form"] == "tablett" and rv["medication"]["substance"] == "atorvastatin"
    assert rv["priorPrescription"]["reference"] == f"MedicationRequest/{med_ids[0]}"
    assert rv["priorPrescription"]["prescriber"]["reference"] == "Practitioner/prac-0001"
    assert rv["daysSinceLastPrescription"] == 100 and rv["usualIntervalDays"] == 365
    assert [m["atc"] for m in rv["activeMedications"]] == ["A10BA02"]
    assert rv["warnings"] == [] and rv["protocol"] == {"verdict": "routine", "reasons": []}
    # A nurse may not sign: 403 with a plain reason.
    r = op(nurse, t, "approve")
    assert r.status_code == 403 and "prescriber" in r.json()["issue"][0]["diagnostics"]
    r = op(lege, t, "approve", comment="Husk årskontroll i vår.")
    assert r.status_code == 200, r.text
    done = out(r, "Task")[0]
    assert done["status"] == "completed" and done["businessStatus"]["coding"][0]["code"] == "approved"
    assert done["owner"]["reference"] == "Practitioner/prac-0001"
    meds = out(r, "MedicationRequest")
    order = next(m for m in meds if m["intent"] == "order" and m["status"] == "active")
    assert order["priorPrescription"]["reference"] == f"MedicationRequest/{med_ids[0]}"
    assert order["basedOn"] == [{"reference": t["focus"]["reference"]}]
    assert order["requester"]["reference"] == "Practitioner/prac-0001"
    assert "extension" not in order  # nothing to acknowledge
    proposal = next(m for m in meds if m["intent"] == "proposal")
    assert proposal["status"] == "completed"
    # The patient's medicine list shows the new order instead of the old one.
    listed = {e["resource"]["id"] for e in pas.get("/patient/medications").json()["entry"]}
    assert order["id"] in listed and med_ids[0] not in listed and med_ids[1] in listed
    threads = patient_threads(pas)
    assert len(threads) == 1 and threads[0]["thread"]["topic"]["text"] == "Reseptfornyelse: Atorvastatin 20 mg tablett"
    text = threads[0]["messages"][-1]["payload"][0]["contentString"]
    assert "er fornyet" in text and "Husk årskontroll" in text
    # Decided once: a second approval is refused.
    again = op(lege, done, "approve")
    assert again.status_code == 409
    # A change event was written for the approval.
    with portal.store.read() as tx:
        events = tx.events_after(max(0, tx.last_event_seq() - 200), limit=500)
    assert any(p.get("id") == t["id"] and p.get("action") == "approve" for _, _, p in events)


def test_warnings_must_be_acknowledged_and_the_acknowledgement_is_recorded(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    t, _pas, med_ids = _request(
        portal,
        sign_in,
        [
            ("M01AE01", "Ibux 400 mg tablett", 30),
            ("B01AA03", "Marevan 2,5 mg tablett", 60),
            ("N06AB06", "Sertralin 50 mg tablett", 60),
        ],
    )
    rv = _review(lege, t)
    codes = {w["code"] for w in rv["warnings"]}
    assert codes == {f"interaction:vka-nsaid:{med_ids[1]}", f"interaction:ssri-nsaid:{med_ids[2]}"}
    assert all(w["kind"] == "interaction" and w["text"] for w in rv["warnings"])
    assert rv["protocol"]["verdict"] == "exception"
    assert "warnings" in {r["code"] for r in rv["protocol"]["reasons"]}
    r = op(lege, t, "approve")
    assert r.status_code == 409
    msg = r.json()["issue"][0]["diagnostics"]
    assert f"interaction:vka-nsaid:{med_ids[1]}" in msg and r.json()["contained"][0]["id"] == t["id"]
    r = op(lege, t, "approve", acknowledge=f"interaction:vka-nsaid:{med_ids[1]}")
    assert r.status_code == 409 and "ssri-nsaid" in r.json()["issue"][0]["diagnostics"]
    assert "vka-nsaid" not in r.json()["issue"][0]["diagnostics"]
    r = op(lege, t, "approve", acknowledge=sorted(codes))
    assert r.status_code == 200, r.text
    order = next(m for m in out(r, "MedicationRequest") if m["intent"] == "order")
    acked = {
        next(x["valueCode"] for x in e["extension"] if x["url"] == "code"): e
        for e in order["extension"]
        if e["url"] == renewals.EXT_ACK
    }
    assert set(acked) == codes
    for e in acked.values():
        parts = {x["url"]: x for x in e["extension"]}
        assert parts["by"]["valueReference"]["reference"] == "Practitioner/prac-0001" and parts["at"]["valueDateTime"]
    assert "Advarsler vurdert" in order["note"][0]["text"]


def test_allergy_to_the_class_and_controlled_substances_are_warnings(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    t, _pas, _ids = _request(
        portal, sign_in, [("J01CA04", "Amoxicillin 500 mg kapsel", 10)], allergies=[("J01CE", "Penicillin")]
    )
    rv = _review(lege, t)
    [w] = rv["warnings"]
    assert w["kind"] == "allergy" and "penicilliner" in w["text"] and rv["allergies"][0]["text"] == "Penicillin"
    # Codes and structured arguments, so that a client says it in its user's language (issue 13).
    assert w["args"] == {
        "match": "class",
        "allergen": "Penicillin",
        "medicine": "Amoxicillin 500 mg kapsel",
        "class": "penicillins",
        "group": "penicilliner",
    }
    t2, _pas, _ids = _request(portal, sign_in, [("N05CF01", "Imovane 7,5 mg tablett", 10)])
    rv2 = _review(lege, t2)
    assert [w["code"] for w in rv2["warnings"]] == ["controlled:B"] and rv2["medication"]["reseptgruppe"] == "B"
    assert rv2["protocol"]["verdict"] == "exception" and rv2["warnings"][0]["args"] == {"group": "B"}
    assert {"code": "warnings", "args": {"count": 1}}.items() <= rv2["protocol"]["reasons"][-1].items()
    t3, _pas, ids3 = _request(
        portal, sign_in, [("N02AA05", "OxyNorm 5 mg kapsel", 10), ("N05BA01", "Vival 5 mg tablett", 10)]
    )
    warnings3 = _review(lege, t3)["warnings"]
    assert {w["code"] for w in warnings3} == {f"interaction:opioid-benzodiazepine:{ids3[1]}", "controlled:A"}
    assert [w["args"] for w in warnings3 if w["kind"] == "interaction"] == [
        {"rule": "opioid-benzodiazepine", "medicine": "OxyNorm 5 mg kapsel", "other": "Vival 5 mg tablett"}
    ]


def test_protocol_exceptions_for_an_old_prescription_and_an_unknown_medicine(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    t, _pas, _ids = _request(portal, sign_in, [("C10AA05", "Atorvastatin 20 mg tablett", 400)])
    rv = _review(lege, t)
    assert rv["warnings"] == [] and rv["protocol"]["verdict"] == "exception"
    assert [r["code"] for r in rv["protocol"]["reasons"]] == ["interval-exceeded"]
    args = rv["protocol"]["reasons"][0]["args"]
    assert args["days"] >= 400 and args["interval"] < args["days"]
    assert op(lege, t, "approve").status_code == 200  # an exception is the prescriber's call
    t2, _pas, _ids = _request(portal, sign_in, [("D07AC01", "Betnovat 0,1 % krem", 30)])
    rv2 = _review(lege, t2)
    assert [w["kind"] for w in rv2["warnings"]] == ["unknown-medicine"]
    assert rv2["warnings"][0]["args"] == {"medicine": "Betnovat 0,1 % krem", "atc": "D07AC01"}
    assert rv2["protocol"]["verdict"] == "exception"


def test_deny_needs_a_reason_the_patient_reads(portal: Any, sign_in: Any) -> None:
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    t, pas, _ids = _request(portal, sign_in, [("N05CF01", "Imovane 7,5 mg tablett", 20)])
    assert op(nurse, t, "deny", reason="Nei").status_code == 403
    assert op(lege, t, "deny").status_code == 400
    r = op(lege, t, "deny", reason="Sovemedisin bør ikke brukes fast. Bestill time så vi kan snakke om søvnen.")
    assert r.status_code == 200, r.text
    assert out(r, "Task")[0]["businessStatus"]["coding"][0]["code"] == "denied"
    proposal = out(r, "MedicationRequest")[0]
    assert proposal["status"] == "cancelled" and "Bestill time" in proposal["statusReason"]["text"]
    [th] = patient_threads(pas)
    text = th["messages"][-1]["payload"][0]["contentString"]
    assert "ikke fornyet" in text and "Bestill time" in text


def test_nurse_prepares_and_pends_to_a_physician_who_signs(portal: Any, sign_in: Any) -> None:
    lege, nurse, switchboard = sign_in("lege"), sign_in("sykepleier"), sign_in("sentralbord")
    t, _pas, _ids = _request(portal, sign_in, [("H03AA01", "Levaxin 50 mikrog tablett", 200)])
    assert op(switchboard, t, "pend", target="Practitioner/prac-0001").status_code == 403
    bad = op(nurse, t, "pend", target="Practitioner/prac-0003")  # the switchboard is no prescriber
    assert bad.status_code == 422 and "not a prescriber" in bad.json()["issue"][0]["diagnostics"]
    assert op(nurse, t, "pend", target="HealthcareService/hs-fjordvik-legesenter").status_code == 400
    r = op(nurse, t, "pend", target="Practitioner/prac-0001", note="TSH tatt i august, normal.")
    assert r.status_code == 200, r.text
    pended = out(r, "Task")[0]
    assert pended["owner"]["reference"] == "Practitioner/prac-0001" and pended["status"] == "requested"
    assert pended["businessStatus"]["coding"][0]["code"] == "pended"
    assert pended["note"][-1]["text"] == "TSH tatt i august, normal."
    assert pended["note"][-1]["authorReference"]["reference"] == "Practitioner/prac-0002"
    # Now only the physician it was pended to can act on it.
    assert op(nurse, pended, "ask-info", text="Hei?").status_code == 409
    r = op(lege, pended, "approve")
    assert r.status_code == 200, r.text


def test_ask_the_patient_then_approve_in_the_same_thread(portal: Any, sign_in: Any) -> None:
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    t, pas, _ids = _request(portal, sign_in, [("C08CA01", "Amlodipin 5 mg tablett", 90)])
    assert op(nurse, t, "ask-info").status_code == 400
    r = op(nurse, t, "ask-info", text="Hvordan har blodtrykket vært de siste målingene?")
    assert r.status_code == 200, r.text
    waiting = out(r, "Task")[0]
    assert waiting["status"] == "requested" and waiting["businessStatus"]["coding"][0]["code"] == "waiting-for-patient"
    [th] = patient_threads(pas)
    assert "blodtrykket" in th["messages"][0]["payload"][0]["contentString"]
    assert "note" not in th["messages"][0] and all(
        m["category"][0]["coding"][0]["code"] == "staff-reply" for m in th["messages"]
    )
    # The patient answers in that thread: the answer lands in the same inbox as a message item.
    answer = pas.post(
        f"/patient/threads/{th['thread']['id']}/messages",
        json={"text": "Det har vært rundt 135/85.", "messageId": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    items = lege.get("/fhir/Task", params={"focus": f"Communication/{th['thread']['id']}"}).json()["entry"]
    assert len(items) == 1 and items[0]["resource"]["code"]["coding"][0]["code"] == "message"
    assert {"reference": "HealthcareService/hs-fjordvik-legesenter"} in [
        {"reference": e["valueReference"]["reference"]}
        for e in items[0]["resource"].get("extension", [])
        if "valueReference" in e
    ]
    r = op(lege, waiting, "approve")
    assert r.status_code == 200
    [th] = patient_threads(pas)  # still one conversation
    assert len(th["messages"]) == 3


def test_if_match_and_access_rules(portal: Any, sign_in: Any) -> None:
    lege, lege2, switchboard = sign_in("lege"), sign_in("lege2"), sign_in("sentralbord")
    t, _pas, _ids = _request(portal, sign_in, [("C09CA01", "Losartan 50 mg tablett", 30)])
    assert lege.post(f"/fhir/Task/{t['id']}/$approve", json={"resourceType": "Parameters"}).status_code == 428
    stale = dict(t, meta={**t["meta"], "versionId": "99"})
    assert op(lege, stale, "approve").status_code == 412
    assert switchboard.get(f"/fhir/Task/{t['id']}/$renewal-review").status_code == 403
    assert lege2.get(f"/fhir/Task/{t['id']}/$renewal-review").status_code == 403  # not in that inbox
    assert (
        lege2.post(
            f"/fhir/Task/{t['id']}/$approve", json={"resourceType": "Parameters"}, headers={"If-Match": 'W/"1"'}
        ).status_code
        == 403
    )
    assert lege.post(f"/fhir/Task/{t['id']}/$renewal-review").status_code == 405
    assert lege.get(f"/fhir/Task/{t['id']}/$nonsense").status_code == 404
    # The review is a read of the patient's medicines and allergies: it is in their access log.
    before = portal_log_count(portal, t["for"]["reference"].split("/")[1])
    _review(lege, t)
    assert portal_log_count(portal, t["for"]["reference"].split("/")[1]) == before + 1
    # Renewal operations on another kind of item are refused with a reason.
    other = task(
        lege,
        next(
            e["resource"]["id"]
            for e in lege.get("/fhir/Task", params={"code": "message", "status": "requested", "_count": "1"}).json()[
                "entry"
            ]
        ),
    )
    r = op(lege, other, "approve")
    assert r.status_code == 409 and "renewal items only" in r.json()["issue"][0]["diagnostics"]


def portal_log_count(portal: Any, pid: str) -> int:
    import sqlalchemy as sa

    from helsami_portal.store.schema import access_log

    with portal.store.read() as tx:
        return int(
            tx.conn.execute(
                sa.select(sa.func.count()).select_from(access_log).where(access_log.c.patient == pid)
            ).scalar_one()
        )


@pytest.mark.parametrize("atc", ["N02AX02", "N05BA04"])
def test_controlled_substances_are_never_routine(portal: Any, sign_in: Any, atc: str) -> None:
    t, _pas, _ids = _request(portal, sign_in, [(atc, "Vanedannende 10 mg tablett", 5)])
    rv = _review(sign_in("lege"), t)
    assert rv["protocol"]["verdict"] == "exception" and rv["warnings"][0]["kind"] == "controlled"
    _ = ago


def test_two_physicians_approving_at_once_make_one_order(portal: Any, sign_in: Any) -> None:
    import threading

    lege = sign_in("lege")
    t, pas, med_ids = _request(portal, sign_in, [("C08CA01", "Amlodipin 10 mg tablett", 40)])
    answers: list[int] = []

    def approve() -> None:
        answers.append(op(lege, t, "approve").status_code)

    threads = [threading.Thread(target=approve) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(answers)[0] == 200 and answers.count(200) == 1
    assert all(a in (200, 409, 412) for a in answers)
    active = [e["resource"] for e in pas.get("/patient/medications").json()["entry"]]
    assert len(active) == 1 and active[0]["id"] != med_ids[0]
    assert len(patient_threads(pas)) == 1
