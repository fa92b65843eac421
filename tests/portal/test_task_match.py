"""Task search `match`: by the item's subject, or the patient's name, national id or birth date,
across the caller's inboxes only."""

from __future__ import annotations

from typing import Any

from .conftest import Api


def ids(api: Api, **params: str) -> set[str]:
    """The ids of the items found; every one of them in the caller's inboxes or held by the caller."""
    r = api.get("/fhir/Task", params={**params, "_count": "200", "_include": "Task:patient"})
    assert r.status_code == 200, r.text
    who = api.get("/fhir/$whoami").json()
    out = set()
    for e in r.json().get("entry", []):
        t = e["resource"]
        if t["resourceType"] != "Task":
            continue
        pool = next(
            (x["valueReference"]["reference"] for x in t.get("extension", []) if x["url"].endswith("task-pool")), ""
        )
        assert pool.split("/")[-1] in who["pools"] or t["owner"]["reference"] == who["resource"], t["id"]
        out.add(t["id"])
    return out


def test_match_by_patient_name_national_id_birth_date_or_subject(sign_in: Any) -> None:
    lege = sign_in("lege")
    r = lege.get("/fhir/Task", params={"_count": "50", "_include": "Task:patient", "status": "requested"})
    bundle = r.json()
    tasks = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task"]
    patients = {
        f"Patient/{e['resource']['id']}": e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Patient"
    }
    t = tasks[0]
    pat = patients[t["for"]["reference"]]
    nid = next(i["value"] for i in pat["identifier"] if len(i["value"]) == 11)
    family = pat["name"][0]["family"]
    given = pat["name"][0]["given"][0]
    y, m, d = pat["birthDate"].split("-")
    for value in (nid, f"{d}.{m}.{y}", pat["birthDate"], f"{given} {family}", family.lower()):
        assert t["id"] in ids(lege, match=value), value
    # A national id finds only that patient's items.
    r = lege.get("/fhir/Task", params={"match": nid, "_count": "200"})
    assert {e["resource"]["for"]["reference"] for e in r.json()["entry"]} == {t["for"]["reference"]}
    # The subject still matches.
    word = t["description"].split()[0]
    assert t["id"] in ids(lege, match=word)
    # Nothing found is an empty page; too long is a 400 with a reason code.
    assert ids(lege, match="qxzvfinnesikke") == set()
    r = lege.get("/fhir/Task", params={"match": "x" * 101})
    assert r.status_code == 400 and r.json()["issue"][0]["details"]["coding"][0]["code"] == "invalid-parameter"


def test_match_never_reaches_beyond_the_callers_inboxes(sign_in: Any) -> None:
    lege, board = sign_in("lege"), sign_in("sentralbord")
    r = lege.get("/fhir/Task", params={"_count": "20", "_include": "Task:patient"})
    pats = [e["resource"] for e in r.json()["entry"] if e["resource"]["resourceType"] == "Patient"]
    for p in pats[:5]:  # the physician's patients, looked for by the switchboard of another inbox
        nid = next(i["value"] for i in p.get("identifier", []) if len(i["value"]) == 11)
        ids(board, match=nid)  # every item found is in the switchboard's own inboxes (checked in ids)


def test_a_word_of_digits_is_a_word_not_a_birth_date(sign_in: Any) -> None:
    """Seen in CI: "123456" was read as the birth date 1.2.3456 (strptime is lenient), so a subject
    word of six digits found nothing. Only dd.mm.åååå, åååå-mm-dd and ddmmåååå are dates."""
    from .conftest import new_thread, task_for_thread

    pas, lege = sign_in("pasient"), sign_in("lege")
    for word in ("123456", "112026", "1122026"):
        thread = new_thread(pas, "hs-fjordvik-legesenter", subject=f"Kode {word}")["thread"]["id"]
        task = task_for_thread(lege, thread)
        assert task["id"] in ids(lege, match=word), word
