"""Test results: review data (flags, ranges, trend), release by physicians only, the four release
categories (never-online refused), the 14-day release with a controlled clock, and that the
patient API shows nothing, not even a hint, before release."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.workflow import results

from .decision_helpers import LOINC, ago, make_patient, new_task, op, out, patient_threads

KALIUM = ("2823-3", "Kalium", "mmol/L", 3.5, 4.4)


def make_report(
    portal: Any,
    pid: str,
    category: str | None,
    values: list[float],
    *,
    days_ago: float = 1,
    name: str = "Nyrefunksjon og elektrolytter",
    interp: str | None = None,
    task: bool = True,
) -> tuple[str, str | None]:
    """A final report of kalium values (one Observation per value), issued `days_ago` days ago,
    and a result item for it. Returns (report id, task id)."""
    code, text, unit, lo, hi = KALIUM
    when = ago(days_ago)
    with portal.store.write() as tx:
        obs = []
        for v in values:
            o: dict[str, Any] = {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": code}], "text": text},
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": when,
                "issued": when,
                "valueQuantity": {"value": v, "unit": unit},
                "referenceRange": [{"low": {"value": lo, "unit": unit}, "high": {"value": hi, "unit": unit}}],
            }
            if interp:
                o["interpretation"] = [{"coding": [{"code": interp}]}]
            obs.append(tx.create(o))
        report: dict[str, Any] = {
            "resourceType": "DiagnosticReport",
            "status": "final",
            "code": {"text": name},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": when,
            "issued": when,
            "result": [{"reference": f"Observation/{o['id']}"} for o in obs],
        }
        if category:
            report["extension"] = [{"url": c.EXT_RELEASE_CATEGORY, "valueCode": category}]
        rid = tx.create(report)["id"]
    tid = new_task(portal, pid, "result", f"DiagnosticReport/{rid}", f"Prøvesvar: {name}") if task else None
    return rid, tid


def _task(api: Any, tid: str) -> dict[str, Any]:
    r = api.get(f"/fhir/Task/{tid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _patient_sees(pas: Any, rid: str) -> bool:
    r = pas.get("/patient/results", params={"_count": "100"})
    assert r.status_code == 200, r.text
    return rid in r.text


def test_review_shows_flags_ranges_and_earlier_values_oldest_first(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    pid, _user, _ = make_patient(portal)
    make_report(portal, pid, "auto", [4.0], days_ago=300, task=False)
    make_report(portal, pid, "auto", [4.9], days_ago=100, interp="H", task=False)
    _rid, tid = make_report(portal, pid, "clinician-or-14d", [6.3], days_ago=1, interp="HH")
    r = lege.get(f"/fhir/Task/{tid}/$result-review")
    assert r.status_code == 200, r.text
    rv = r.json()
    [o] = rv["observations"]
    assert o["value"] == 6.3 and o["unit"] == "mmol/L" and o["flag"] == "HH" and o["critical"] is True
    assert o["flagText"] == "kritisk høy" and o["referenceRange"]["low"] == 3.5 and o["referenceRange"]["high"] == 4.4
    assert [h["value"] for h in o["history"]] == [4.0, 4.9] and [h["flag"] for h in o["history"]] == ["N", "H"]
    assert rv["critical"] == 1 and rv["abnormal"] == 1
    assert rv["report"]["category"] == "clinician-or-14d" and rv["report"]["released"] is False
    assert rv["report"]["autoReleaseAt"] > timeutil.instant()
    # Flags are computed from the range when the lab gave none.
    _rid2, tid2 = make_report(portal, pid, "clinician-only", [3.1, 4.0])
    flags = [x["flag"] for x in lege.get(f"/fhir/Task/{tid2}/$result-review").json()["observations"]]
    assert flags == ["L", "N"]
    # Switchboard staff see no results; nurses do.
    assert sign_in("sentralbord").get(f"/fhir/Task/{tid}/$result-review").status_code == 403
    assert sign_in("sykepleier").get(f"/fhir/Task/{tid}/$result-review").status_code == 200


def test_only_physicians_release_and_the_patient_sees_nothing_before(portal: Any, sign_in: Any) -> None:
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    pid, user, _ = make_patient(portal)
    pas = sign_in(user)
    rid, tid = make_report(portal, pid, "clinician-only", [6.1], name="Kaliumkontroll Testesen")
    assert tid
    before_results = pas.get("/patient/results").json()
    assert not _patient_sees(pas, rid) and "Kaliumkontroll" not in str(before_results)
    assert pas.get("/patient/threads").json().get("entry", []) == []  # no hint in messages either
    t = _task(lege, tid)
    r = op(nurse, t, "release", comment="Fint")
    assert r.status_code == 403 and "physicians" in r.json()["issue"][0]["diagnostics"]
    assert not _patient_sees(pas, rid)
    r = op(lege, t, "release", comment="Kaliumet er litt høyt. Vi tar en ny prøve om en uke; sekretæren ringer deg.")
    assert r.status_code == 200, r.text
    done = out(r, "Task")[0]
    assert done["status"] == "completed" and done["businessStatus"]["coding"][0]["code"] == "released"
    report = out(r, "DiagnosticReport")[0]
    exts = {e["url"]: e for e in report["extension"]}
    assert (
        exts[c.EXT_RELEASED_AT]["valueDateTime"]
        and exts[results.EXT_RELEASED_BY]["valueReference"]["reference"] == "Practitioner/prac-0001"
    )
    assert _patient_sees(pas, rid)
    [th] = patient_threads(pas)
    assert th["thread"]["topic"]["text"] == "Prøvesvar: Kaliumkontroll Testesen"
    assert "ny prøve om en uke" in th["messages"][0]["payload"][0]["contentString"]
    # Released once: the item is done.
    assert op(lege, done, "release").status_code == 409


def test_never_online_is_refused_with_a_reason_and_can_be_marked_reviewed(portal: Any, sign_in: Any) -> None:
    lege, nurse = sign_in("lege"), sign_in("sykepleier")
    pid, user, _ = make_patient(portal)
    pas = sign_in(user)
    rid, tid = make_report(portal, pid, "never-online", [4.0], name="Genetisk analyse")
    assert tid
    t = _task(lege, tid)
    r = op(lege, t, "release", comment="Se brev")
    assert r.status_code == 409
    assert "never shared online" in r.json()["issue"][0]["diagnostics"]
    assert r.json()["contained"][0]["id"] == tid
    r = op(nurse, _task(nurse, tid), "mark-reviewed", note="Gjennomgått, brev sendes.")
    assert r.status_code == 200, r.text
    assert out(r, "Task")[0]["businessStatus"]["coding"][0]["code"] == "reviewed"
    assert not _patient_sees(pas, rid) and pas.get("/patient/threads").json().get("entry", []) == []


def test_mark_reviewed_does_not_release(portal: Any, sign_in: Any) -> None:
    lege = sign_in("lege")
    pid, user, _ = make_patient(portal)
    pas = sign_in(user)
    rid, tid = make_report(portal, pid, "clinician-only", [4.0])
    assert tid
    r = op(lege, _task(lege, tid), "mark-reviewed")
    assert r.status_code == 200 and out(r, "Task")[0]["status"] == "completed"
    assert not _patient_sees(pas, rid)
    r = lege.get(f"/fhir/Task/{tid}/$result-review")
    assert r.json()["report"]["released"] is False


def test_auto_category_is_visible_at_once(portal: Any, sign_in: Any) -> None:
    pid, user, _ = make_patient(portal)
    rid, _tid = make_report(portal, pid, "auto", [4.0], task=False)
    assert _patient_sees(sign_in(user), rid)


def test_14_day_release_with_a_controlled_clock_is_idempotent_and_safe_in_parallel(portal: Any, sign_in: Any) -> None:
    pid, user, _ = make_patient(portal)
    pas = sign_in(user)
    due, _ = make_report(portal, pid, "clinician-or-14d", [4.0], days_ago=15, task=False)
    soon, _ = make_report(portal, pid, "clinician-or-14d", [4.1], days_ago=13, task=False)
    only, _ = make_report(portal, pid, "clinician-only", [4.2], days_ago=30, task=False)
    assert not _patient_sees(pas, soon) and not _patient_sees(pas, only)
    store = portal.store
    now = timeutil.utcnow()
    results.release_due(store, now)
    assert results.release_due(store, now) == 0  # idempotent

    def marker(rid: str) -> str | None:
        with store.read() as tx:
            r = tx.get("DiagnosticReport", rid)
        return next((e["valueDateTime"] for e in r.get("extension", []) if e["url"] == c.EXT_RELEASED_AT), None)

    assert marker(due) is not None and marker(soon) is None and marker(only) is None
    assert _patient_sees(pas, due) and not _patient_sees(pas, soon)
    # Two days later the second one is due too; clinician-only never is.
    later = now + dt.timedelta(days=2, minutes=1)
    assert results.release_due(store, later) >= 1
    assert marker(soon) is not None and marker(only) is None
    # Several processes at once: every due report is released exactly once.
    batch = [make_report(portal, pid, "clinician-or-14d", [4.0], days_ago=20, task=False)[0] for _ in range(12)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(results.release_due(store, later))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # (the portal's own job may release some of them meanwhile: still exactly once each)
    assert sum(counts) <= len(batch)
    with store.read() as tx:
        assert all(tx.get("DiagnosticReport", rid)["meta"]["versionId"] == "2" for rid in batch)
    assert all(marker(rid) for rid in batch)


def test_the_job_runner_includes_the_automatic_release(portal: Any) -> None:
    from helsami_portal.jobs import JobRunner, default_jobs

    pid, _user, _ = make_patient(portal)
    due, _ = make_report(portal, pid, "clinician-or-14d", [4.0], days_ago=16, task=False)
    runner = JobRunner(portal.store, jobs={"auto-release": default_jobs()["auto-release"]})
    assert runner.run_once()["auto-release"] >= 0  # the portal's own runner may have been first
    with portal.store.read() as tx:
        report = tx.get("DiagnosticReport", due)
    assert any(e["url"] == c.EXT_RELEASED_AT for e in report["extension"])
    assert any(
        e["url"] == results.EXT_RELEASED_BY and e["valueReference"]["display"].startswith("Automatisk")
        for e in report["extension"]
    )


def test_reports_stored_before_the_release_column_existed_are_found(portal: Any) -> None:
    import sqlalchemy as sa

    from helsami_portal.store.schema import resource

    pid, _user, _ = make_patient(portal)
    due, _ = make_report(portal, pid, "clinician-or-14d", [4.0], days_ago=17, task=False)
    with portal.store.write() as tx:  # as a database written by an earlier version has it
        tx.conn.execute(
            resource.update().where(resource.c.rtype == "DiagnosticReport", resource.c.id == due).values(text1="")
        )
    results.release_due(portal.store)
    with portal.store.read() as tx:
        report = tx.get("DiagnosticReport", due)
        col = tx.conn.execute(
            sa.select(resource.c.text1).where(resource.c.rtype == "DiagnosticReport", resource.c.id == due)
        ).scalar_one()
    assert any(e["url"] == c.EXT_RELEASED_AT for e in report["extension"]) and col == "clinician-or-14d|released"


def test_access_log_gives_no_hint_of_an_unreleased_result() -> None:
    """The patient's access log names result reads only generically (no word for results)."""
    from helsami_portal.workflow.patient_records import _what

    for description in (
        "result review of Task/t1: DiagnosticReport, Observation",
        "DiagnosticReport/dr-1",
        "inbox item Task/t1",
    ):
        text = _what(description, "read").lower()
        assert "prøve" not in text and "resultat" not in text and "lab" not in text, text
