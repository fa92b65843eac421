"""The routing table's suggestion for routing an item by hand (GET Task/{id}/$route-suggestion)."""

from __future__ import annotations

import uuid
from typing import Any

from .conftest import Api, task_for_thread


def thread_to_topic(patient: Api, topic: str, subject: str) -> dict[str, Any]:
    me = patient.get("/patient/me").json()
    r = patient.post(
        "/patient/threads",
        json={
            "patient": me["actsFor"][0]["patient"].split("/")[1],
            "topic": topic,
            "subject": subject,
            "text": "Hei, kan noen hjelpe meg?",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json()["thread"])


def suggestions(api: Api, task: dict[str, Any]) -> list[dict[str, str]]:
    r = api.get(f"/fhir/Task/{task['id']}/$route-suggestion")
    assert r.status_code == 200, r.text
    out = []
    for prm in r.json().get("parameter", []):  # none: no `parameter` (FHIR JSON has no empty arrays)
        parts = {x["name"]: x for x in prm["part"]}
        out.append(
            {
                "target": parts["target"]["valueReference"]["reference"],
                "topic": parts["topic"]["valueString"],
                "matched": parts["matched"]["valueString"],
            }
        )
    return out


def test_keywords_of_the_subject_suggest_the_inbox_of_the_same_organisation(sign_in: Any) -> None:
    patient, board = sign_in("pasient"), sign_in("sentralbord")
    thread = thread_to_topic(patient, "kommune-annet", "Vondt i skulderen etter trening")
    task = task_for_thread(board, thread["id"])
    got = suggestions(board, task)
    assert got and got[0]["target"] == "HealthcareService/hs-fjordvik-fysio"
    assert got[0]["topic"] == "fysioterapi" and got[0]["matched"] in ("skulderen", "trening")
    # The item's own inbox is never suggested.
    assert all(s["target"] != "HealthcareService/hs-fjordvik-sentralbord" for s in got)


def test_no_keyword_no_suggestion(sign_in: Any) -> None:
    patient, board = sign_in("pasient"), sign_in("sentralbord")
    thread = thread_to_topic(patient, "kommune-annet", "Et spørsmål")
    assert suggestions(board, task_for_thread(board, thread["id"])) == []


def test_the_read_is_in_the_access_log_and_refused_without_inbox_access(sign_in: Any) -> None:
    patient, board, it, officer = sign_in("pasient"), sign_in("sentralbord"), sign_in("it"), sign_in("personvern")
    thread = thread_to_topic(patient, "kommune-annet", "Trenger noen å snakke med")
    task = task_for_thread(board, thread["id"])
    pid = task["for"]["reference"].split("/")[1]

    def entries() -> int:
        r = officer.get("/fhir/AuditEvent", params={"patient": pid, "_count": "500"})
        assert r.status_code == 200, r.text
        return sum(
            1
            for e in r.json().get("entry", [])
            if e["resource"]["entity"][0].get("description") == f"inbox item Task/{task['id']}"
        )

    before = entries()
    got = suggestions(board, task)
    assert got[0]["target"] == "HealthcareService/hs-fjordvik-psyk"
    assert entries() == before + 1
    r = it.get(f"/fhir/Task/{task['id']}/$route-suggestion")
    assert r.status_code == 403
