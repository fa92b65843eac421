"""Internal notes without forwarding, and reopening a completed item (issue 12): Task operations
with If-Match, rules in workflow/inbox.py."""

from __future__ import annotations

from typing import Any

from .conftest import new_thread, task_for_thread
from .test_api import is_outcome, team  # noqa: F401 - the shared fixture


def reason_of(oo: dict[str, Any]) -> str:
    return str(oo["issue"][0]["details"]["coding"][0]["code"])


def test_an_internal_note_keeps_owner_and_state_and_the_patient_never_sees_it(team: dict[str, Any]) -> None:  # noqa: F811
    lege, nurse = team["lege"], team["sykepleier"]
    thread = new_thread(team["pasient"], team["pool"], text="Kan jeg få time neste uke?")
    task = task_for_thread(lege, thread["thread"]["id"])
    is_outcome(lege.post(f"/fhir/Task/{task['id']}/$note"), 428)  # no If-Match
    assert reason_of(is_outcome(lege.op(task, "note", text="  "), 400)) == "note-empty"
    r = lege.op(task, "note", text="INTERN: sjekk timeboka til fysioterapeuten først")
    assert r.status_code == 200, r.text
    noted = r.json()
    assert noted["status"] == task["status"] and noted["owner"] == task["owner"]
    assert noted["note"][-1]["text"].startswith("INTERN: sjekk") and noted["note"][-1]["authorReference"]
    is_outcome(nurse.op(task, "note", text="utdatert versjon"), 412)  # stale version
    seen = team["pasient"].get(f"/patient/threads/{thread['thread']['id']}")
    assert seen.status_code == 200 and "INTERN" not in seen.text


def test_a_completed_item_can_be_reopened_and_is_claimed_by_who_reopens_it(team: dict[str, Any]) -> None:  # noqa: F811
    lege, nurse = team["lege"], team["sykepleier"]
    thread = new_thread(team["pasient"], team["pool"])
    task = task_for_thread(lege, thread["thread"]["id"])
    oo = is_outcome(lege.op(task, "reopen"), 409)
    assert reason_of(oo) == "item-not-completed"
    claimed = lege.op(task, "claim").json()
    done = lege.op(claimed, "complete").json()
    assert done["status"] == "completed"
    r = nurse.op(done, "reopen", note="Pasienten fikk ikke svar")
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["status"] == "in-progress" and again["businessStatus"]["coding"][0]["code"] == "reopened"
    assert again["owner"]["reference"] == nurse.get("/fhir/$whoami").json()["resource"]
    assert again["note"][-1]["text"] == "Pasienten fikk ikke svar"
    assert nurse.op(again, "complete").json()["status"] == "completed"


def test_a_new_message_to_the_patient_from_any_item_exactly_once(team: dict[str, Any]) -> None:  # noqa: F811
    import uuid

    lege, pasient = team["lege"], team["pasient"]
    thread = new_thread(pasient, team["pool"], text="Har dere fått prøvesvaret mitt?")
    task = task_for_thread(lege, thread["thread"]["id"])
    mid = str(uuid.uuid4())
    assert reason_of(is_outcome(lege.op(task, "message", text="Hei", messageId=""), 400)) == "message-id-missing"
    r = lege.op(task, "message", text="Ja, vi ser på det i dag.", messageId=mid)
    assert r.status_code == 200, r.text
    after, msg = (p["resource"] for p in r.json()["parameter"])
    assert after["businessStatus"]["coding"][0]["code"] == "replied"
    again = lege.op(task, "message", text="Ja, vi ser på det i dag.", messageId=mid)  # a resend
    assert again.status_code == 200 and again.json()["parameter"][1]["resource"]["id"] == msg["id"]
    # From a completed item too (a follow-up), with no need to reopen it.
    done = lege.op(lege.op(after, "claim").json(), "complete").json()
    r = lege.op(done, "message", text="Svaret var normalt.", messageId=str(uuid.uuid4()))
    assert r.status_code == 200, r.text
    assert r.json()["parameter"][0]["resource"]["status"] == "completed"
    seen = pasient.get(f"/patient/threads/{thread['thread']['id']}").json()
    texts = [m["payload"][0]["contentString"] for m in seen["messages"]]
    assert texts.count("Ja, vi ser på det i dag.") == 1 and "Svaret var normalt." in texts
