"""Batch triage on the wire: a FHIR `batch` Bundle posted to /fhir, each entry a Task operation
decided on its own (its own version check, access check, transaction and access-log entry)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from helsami_portal.fhir import conventions as c
from helsami_portal.fhir.outcome import REASON_SYSTEM
from helsami_portal.store.schema import access_log

from .decision_helpers import make_patient, params, patient_threads, task
from .test_results import make_report

OTHER_POOL = "hs-midtby-medpol"  # "lege" is not a member; "lege2" is


def _entry(t: dict[str, Any], op: str, version: str | None = None, **kw: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "request": {
            "method": "POST",
            "url": f"Task/{t['id']}/${op}",
            "ifMatch": f'W/"{version or t["meta"]["versionId"]}"',
        }
    }
    if kw:
        body = params(**{k: v for k, v in kw.items() if not isinstance(v, bool)})
        body["parameter"] += [{"name": k, "valueBoolean": v} for k, v in kw.items() if isinstance(v, bool)]
        e["resource"] = body
    return e


def _post(api: Any, entries: list[dict[str, Any]], kind: str = "batch") -> Any:
    return api.post("/fhir", json={"resourceType": "Bundle", "type": kind, "entry": entries})


def _reason(outcome: dict[str, Any]) -> str:
    [coding] = outcome["issue"][0]["details"]["coding"]
    assert coding["system"] == REASON_SYSTEM
    return str(coding["code"])


def _log_count(portal: Any, pid: str) -> int:
    with portal.store.read() as tx:
        return int(
            tx.conn.execute(
                sa.select(sa.func.count()).select_from(access_log).where(access_log.c.patient == pid)
            ).scalar_one()
        )


def _task_in(portal: Any, pid: str, focus: str, pool: str) -> str:
    with portal.store.write() as tx:
        t = tx.create(
            {
                "resourceType": "Task",
                "status": "requested",
                "intent": "order",
                "priority": "routine",
                "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
                "code": {"coding": [{"system": c.TASK_TYPE, "code": "result"}]},
                "description": "Prøvesvar",
                "focus": {"reference": focus},
                "for": {"reference": f"Patient/{pid}"},
                "authoredOn": tx.now,
                "owner": {"reference": f"HealthcareService/{pool}"},
                "extension": [{"url": c.EXT_TASK_POOL, "valueReference": {"reference": f"HealthcareService/{pool}"}}],
            }
        )
        return str(t["id"])


def _renewal(portal: Any, sign_in: Any, atc: str, text: str) -> dict[str, Any]:
    _pid, user, med_ids = make_patient(portal, meds=[(atc, text, 100)])
    r = sign_in(user).post(
        "/patient/renewals", json={"medication": med_ids[0], "messageId": str(uuid.uuid4()), "text": "Snart tom."}
    )
    assert r.status_code == 201, r.text
    found = sign_in("lege").get("/fhir/Task", params={"focus": f"MedicationRequest/{r.json()['request']['id']}"})
    return dict(found.json()["entry"][0]["resource"])


def test_a_mixed_batch_decides_each_entry_on_its_own(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    pid, user, _ = make_patient(portal)
    _r1, t1 = make_report(portal, pid, "clinician-only", [4.0])
    _r2, t2 = make_report(portal, pid, "clinician-only", [4.1])
    rid3, _ = make_report(portal, pid, "clinician-only", [4.2], task=False)
    _r4, t4 = make_report(portal, pid, "clinician-only", [6.3])  # high: not for one comment to many
    t3 = _task_in(portal, pid, f"DiagnosticReport/{rid3}", OTHER_POOL)  # not lege's inbox
    released, stale, forbidden, high = task(lege, t1), task(lege, t2), task(sign_in("lege2"), t3), task(lege, t4)
    routine = _renewal(portal, sign_in, "C10AA05", "Atorvastatin 20 mg tablett")
    exception = _renewal(portal, sign_in, "N05BA04", "Oksazepam 10 mg tablett")  # controlled: never routine
    before = _log_count(portal, pid)
    comment = "Svarene er normale. Ha en fin dag."
    r = _post(
        lege,
        [
            _entry(released, "release", comment=comment, normalOnly=True),
            _entry(stale, "release", version="99", comment=comment, normalOnly=True),
            _entry(forbidden, "release", comment=comment, normalOnly=True),
            _entry(routine, "approve", routineOnly=True),
            _entry(exception, "approve", routineOnly=True),
            _entry(high, "release", comment=comment, normalOnly=True),
        ],
    )
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["resourceType"] == "Bundle" and b["type"] == "batch-response" and len(b["entry"]) == 6
    ok, old, denied, approved, refused, abnormal = (e["response"] for e in b["entry"])
    # The first one went through: the answer is what the single operation answers, with its ETag.
    assert ok["status"] == "200 OK"
    done = next(p["resource"] for p in b["entry"][0]["resource"]["parameter"] if p["name"] == "task")
    assert (
        ok["etag"] == f'W/"{done["meta"]["versionId"]}"' and done["businessStatus"]["coding"][0]["code"] == "released"
    )
    # A stale version, an inbox the caller is not in: refused with their reasons, the rest ran.
    assert old["status"].startswith("412") and _reason(old["outcome"]) == "stale-version"
    assert denied["status"].startswith("403") and _reason(denied["outcome"]) == "not-inbox-member"
    assert approved["status"] == "200 OK"
    assert refused["status"].startswith("409") and _reason(refused["outcome"]) == "not-routine"
    args = {x["extension"][0]["valueString"]: x["extension"][1] for x in refused["outcome"]["issue"][0]["extension"]}
    assert "warnings" in args["reasons"]["valueString"]
    assert abnormal["status"].startswith("409") and _reason(abnormal["outcome"]) == "not-normal"
    assert task(lege, t4)["status"] == "requested"  # the high value was not released with the normal comment
    # What was refused is unchanged; what ran is changed, each exactly as asked.
    assert task(lege, t2)["meta"]["versionId"] == stale["meta"]["versionId"]
    assert task(sign_in("lege2"), t3)["status"] == "requested"
    assert task(lege, exception["id"])["status"] == "requested"
    assert task(lege, routine["id"])["businessStatus"]["coding"][0]["code"] == "approved"
    # The patient got the comment; the access log has an entry for the released item as for a single one.
    texts = [m["payload"][0]["contentString"] for th in patient_threads(sign_in(user)) for m in th["messages"]]
    assert any(comment in x for x in texts)
    assert _log_count(portal, pid) > before


def test_the_batch_is_refused_as_a_whole_past_its_limits(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    one = {"request": {"method": "POST", "url": "Task/x/$claim", "ifMatch": 'W/"1"'}}
    r = _post(lege, [one] * 101)
    assert r.status_code == 413 and _reason(r.json()) == "batch-too-large"
    r = _post(lege, [one], kind="transaction")
    assert r.status_code == 400 and _reason(r.json()) == "bundle-type-unsupported"
    nested = {"request": {"method": "POST", "url": ""}, "resource": {"resourceType": "Bundle", "type": "batch"}}
    r = _post(lege, [one, nested])
    assert r.status_code == 400 and _reason(r.json()) == "batch-nested"
    assert lege.post("/fhir", json={"resourceType": "Parameters"}).status_code == 400
    # Entries that are no Task operation are refused one by one.
    r = _post(
        lege,
        [
            {"request": {"method": "GET", "url": "Patient"}},
            {"request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "x"},
            {"request": {"method": "POST", "url": "Task/x/$nonsense", "ifMatch": 'W/"1"'}},
        ],
    )
    assert r.status_code == 200, r.text
    reasons = [_reason(e["response"]["outcome"]) for e in r.json()["entry"]]
    assert reasons == ["batch-entry-unsupported", "batch-entry-unsupported", "batch-entry-invalid", "unknown-operation"]
    # Odd entries are refused one by one with a 4xx, never a server error.
    odd = [
        {"request": {"method": "POST", "url": "Task/x/$claim", "ifMatch": 7}},
        {"request": {"method": "POST", "url": "Task/x/$claim"}, "resource": ["x"]},
        {
            "request": {"method": "POST", "url": "Task/x/$claim", "ifMatch": 'W/"1"'},
            "resource": {"resourceType": "Parameters", "parameter": "x"},
        },
        {"request": {"method": "POST", "url": f"{portal.base_url}/fhir/Task/../$claim"}},
        {
            "request": {"method": "POST", "url": "Task/x/$complete", "ifMatch": 'W/"1"'},
            "resource": {"resourceType": "Patient"},
        },
        "x",
        {"request": "x"},
    ]
    r = _post(lege, odd)
    assert r.status_code == 200, r.text
    assert all(400 <= int(e["response"]["status"][:3]) < 500 for e in r.json()["entry"]), r.text
    # Without a token nothing runs.
    import httpx

    assert httpx.post(f"{portal.base_url}/fhir", json={"resourceType": "Bundle", "type": "batch"}).status_code == 401


def test_capability_statement_says_batch(portal: Any, sign_in: Any) -> None:
    cap = sign_in("lege").get("/fhir/metadata").json()
    assert [i["code"] for i in cap["rest"][0]["interaction"]] == ["batch"]


def test_no_entry_body_makes_a_server_error(portal: Any, sign_in: Any) -> None:
    """Review: a Parameters body whose `parameter` is not a list was a 500 for that entry (and for the
    single operation); entries of any shape on a real Task are answered with a 4xx or run."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    lege = sign_in("lege")
    pid, _user, _ = make_patient(portal)
    _r, tid = make_report(portal, pid, "clinician-only", [4.0])
    t = task(lege, tid)
    odd_params = [5, "x", {"name": "note"}, True]
    for op in ("complete", "forward", "release", "approve", "note"):
        for given_ in odd_params:
            body = {"resourceType": "Parameters", "parameter": given_}
            r = _post(
                lege,
                [
                    {
                        "request": {
                            "method": "POST",
                            "url": f"Task/{tid}/${op}",
                            "ifMatch": f'W/"{t["meta"]["versionId"]}"',
                        },
                        "resource": body,
                    }
                ],
            )
            assert r.status_code == 200, r.text
            [answer] = [e["response"] for e in r.json()["entry"]]
            assert answer["status"].startswith("400") and _reason(answer["outcome"]) == "body-not-parameters", answer
            single = lege.post(
                f"/fhir/Task/{tid}/${op}", json=body, headers={"If-Match": f'W/"{t["meta"]["versionId"]}"'}
            )
            assert single.status_code == 400 and _reason(single.json()) == "body-not-parameters"
    assert task(lege, tid)["meta"]["versionId"] == t["meta"]["versionId"]  # nothing ran

    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6))
    value = st.recursive(
        leaf, lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.text(max_size=5), ch, max_size=3), max_leaves=6
    )
    urls = st.one_of(
        st.sampled_from(
            [f"Task/{tid}/${op}" for op in ("claim", "release", "forward", "complete", "note", "approve", "reply")]
        ),
        st.text(max_size=12),
    )
    entry = st.fixed_dictionaries(
        {
            "request": st.fixed_dictionaries(
                {
                    "method": st.sampled_from(["POST", "GET", "DELETE", "post"]),
                    "url": urls,
                    "ifMatch": st.one_of(st.just('W/"99"'), value),
                }
            ),
            "resource": st.one_of(
                value, st.fixed_dictionaries({"resourceType": st.just("Parameters"), "parameter": value})
            ),
        }
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    @given(st.lists(st.one_of(value, entry), max_size=3))
    def never_a_server_error(entries: list[Any]) -> None:
        r = _post(lege, entries)
        assert r.status_code < 500, r.text  # a whole refusal (e.g. a NUL character) is a 4xx
        assert all(not e["response"]["status"].startswith("5") for e in r.json().get("entry", [])), r.text

    never_a_server_error()
