"""The patient-facing side: threads, renewals, the simulator, and what patients never see."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from helsami_portal import simulate


def test_staff_token_on_patient_api_and_patient_token_on_staff_api_are_refused(sign_in: Any) -> None:
    assert sign_in("lege").get("/patient/threads").status_code == 403
    r = sign_in("pasient").get("/fhir/Task")
    assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome"
    assert sign_in("pasient").get("/fhir/Patient", params={"name": "a"}).status_code == 403


def test_patient_starts_thread_once_even_when_the_request_is_repeated(sign_in: Any) -> None:
    pas = sign_in("pasient")
    service = pas.get("/patient/services").json()["services"][0]["id"]
    me = pas.get("/patient/me").json()
    body = {
        "patient": me["actsFor"][0]["patient"].split("/")[1],
        "service": service,
        "subject": "Resept",
        "text": "Hei",
        "messageId": str(uuid.uuid4()),
    }
    first = pas.post("/patient/threads", json=body)
    again = pas.post("/patient/threads", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["thread"]["id"] == again.json()["thread"]["id"]
    threads = pas.get("/patient/threads").json()["entry"]
    assert sum(1 for e in threads if e["resource"]["id"] == first.json()["thread"]["id"]) == 1


def test_renewal_request_lands_as_a_renewal_item(sign_in: Any) -> None:
    pas = sign_in("pasient")
    meds = pas.get("/patient/medications").json()["entry"]
    assert meds, "the demo patient has no active prescriptions"
    r = pas.post(
        "/patient/renewals",
        json={"medication": meds[0]["resource"]["id"], "messageId": str(uuid.uuid4()), "text": "Snart tom"},
    )
    assert r.status_code == 201, r.text
    proposal = r.json()["request"]
    assert proposal["intent"] == "proposal"
    assert proposal["priorPrescription"]["reference"] == f"MedicationRequest/{meds[0]['resource']['id']}"
    # Some clinician sees it as a renewal item.
    found = False
    for user in ("lege", "sykepleier", "lege2"):
        res = sign_in(user).get("/fhir/Task", params={"focus": f"MedicationRequest/{proposal['id']}"})
        if res.status_code == 200 and res.json()["entry"]:
            item = res.json()["entry"][0]["resource"]
            assert item["code"]["coding"][0]["code"] == "renewal"
            found = True
            break
    assert found, "no clinician can see the renewal request"


def test_proxy_message_says_who_wrote_it_for_whom(sign_in: Any) -> None:
    proxy = sign_in("fullmakt")
    me = proxy.get("/patient/me").json()
    assert me["actsFor"], "the demo proxy acts for nobody"
    pid = me["actsFor"][0]["patient"].split("/")[1]
    service = proxy.get("/patient/services").json()["services"][0]["id"]
    r = proxy.post(
        "/patient/threads",
        json={
            "patient": pid,
            "service": service,
            "subject": "For mor",
            "text": "Mor trenger ny time.",
            "messageId": str(uuid.uuid4()),
        },
    )
    if me["actsFor"][0]["level"] in ("read",):
        assert r.status_code == 403
        return
    assert r.status_code == 201, r.text
    sender = r.json()["message"]["sender"]
    assert sender["reference"].startswith("RelatedPerson/")
    assert "på vegne av" in sender["display"]


class _AfterOperations:
    """A stop signal for the simulator: set once `n` operations have succeeded (or, as the only time
    bound, after a generous `timeout`, so a broken portal fails the test instead of hanging it)."""

    def __init__(self, stats: dict[str, int], n: int, timeout: float = 120.0) -> None:
        self.stats, self.n, self.deadline = stats, n, time.monotonic() + timeout

    def done(self) -> int:
        return sum(self.stats.get(k, 0) for k in ("threads", "messages", "renewals"))

    def is_set(self) -> bool:
        return self.done() >= self.n or time.monotonic() > self.deadline


def test_simulator_sends_traffic_through_the_patient_api(portal: Any, sign_in: Any) -> None:
    stats: dict[str, int] = {}
    until = _AfterOperations(stats, 10)
    code = simulate.run(
        portal.base_url, rate=40, duration=0, patients=3, password="demo", rng=random.Random(3), stats=stats, stop=until
    )
    assert code == 0
    assert stats["errors"] == 0
    assert stats["threads"] > 0 and until.done() >= 10
    # What the simulator wrote is really there, seen from the patient's side.
    pas = sign_in("pasient")
    subjects = {
        e["resource"]["topic"]["text"] for e in pas.get("/patient/threads", params={"_count": "100"}).json()["entry"]
    }
    assert subjects & set(simulate.SUBJECTS)
