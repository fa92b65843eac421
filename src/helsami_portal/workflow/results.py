"""Test results (prøvesvar): the review data, release to the patient, and the 14-day release.

A result item is a Task with code `result` whose focus is a DiagnosticReport with Observations.
Each report has a release category (`DiagnosticReport.extension` release-category), as in HelsaMi:

| category | the patient sees it |
| --- | --- |
| `auto` | as soon as it is final |
| `clinician-or-14d` | when a clinician releases it, or 14 days after it was issued if nobody did |
| `clinician-only` | only when a clinician releases it (serious results, inpatient stays) |
| `never-online` | never online (e.g. genetic tests); releasing is refused |

The marker the patient API reads is `workflow.patient_records`' own: the extension `released-at`
(valueDateTime) on the report; `patient_records.released_at` decides visibility from it and the
category, and is reused here. A clinician's release also records `released-by` and the comment.
`release_due` writes the marker for clinician-or-14d reports nobody released within 14 days (the
moment they became visible by the rule), so that staff see them as released; it is idempotent and
safe with several processes (rows are locked with FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
has one writer at a time).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, reasons as rs, timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, ref_of
from ..store import reports
from ..store.query import parse_query
from ..store.store import Store, Tx
from . import access, decisions as d
from .patient_records import AUTO_RELEASE_AFTER, FINAL, released_at

Resource = dict[str, Any]
CODE = "result"
EXT_RELEASED_BY = f"{c.BASE}/StructureDefinition/released-by"
EXT_RELEASE_COMMENT = f"{c.BASE}/StructureDefinition/release-comment"
AUTOMATIC = {"display": "Automatisk frigitt etter 14 dager"}
CATEGORY_TEXT = {
    "auto": "Frigis automatisk til pasienten",
    "clinician-or-14d": "Frigis av behandler, ellers automatisk etter 14 dager",
    "clinician-only": "Frigis bare av behandler",
    "never-online": "Deles aldri på nett",
}
FLAG_TEXT = {
    "N": "normal",
    "H": "høy",
    "L": "lav",
    "HH": "kritisk høy",
    "LL": "kritisk lav",
    "A": "unormal",
    "AA": "kritisk unormal",
}
CRITICAL = frozenset({"HH", "LL", "AA"})
BATCH = 200


def _ext(r: Resource, url: str) -> dict[str, Any]:
    for e in r.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == url:
            return e
    return {}


def category(report: Resource) -> str:
    return str(_ext(report, c.EXT_RELEASE_CATEGORY).get("valueCode") or "clinician-only")


def _set_ext(r: Resource, url: str, **value: Any) -> None:
    exts = [e for e in r.get("extension") or [] if e.get("url") != url]
    exts.append({"url": url, **value})
    r["extension"] = exts


def flag(o: Resource) -> str:
    """H, L, HH, LL, N (or A/AA) from the interpretation, else from the reference range."""
    code = first_code(o.get("interpretation"))
    if code:
        return code
    q = o.get("valueQuantity") or {}
    v = q.get("value")
    rr = (o.get("referenceRange") or [{}])[0]
    if not isinstance(v, (int, float)):
        return ""
    lo, hi = (rr.get("low") or {}).get("value"), (rr.get("high") or {}).get("value")
    if isinstance(hi, (int, float)) and v > hi:
        return "H"
    if isinstance(lo, (int, float)) and v < lo:
        return "L"
    return "N"


def _value(o: Resource) -> tuple[Any, str]:
    if "valueQuantity" in o:
        q = o["valueQuantity"] or {}
        return q.get("value"), str(q.get("unit") or q.get("code") or "")
    if "valueString" in o:
        return o["valueString"], ""
    if "valueCodeableConcept" in o:
        return (o["valueCodeableConcept"] or {}).get("text") or first_code(o["valueCodeableConcept"]), ""
    return None, ""


def _range(o: Resource) -> dict[str, Any]:
    rr = (o.get("referenceRange") or [{}])[0] or {}
    low, high = (rr.get("low") or {}).get("value"), (rr.get("high") or {}).get("value")
    text = rr.get("text") or (
        f"{low}–{high}"
        if low is not None and high is not None
        else f"< {high}"
        if high is not None
        else f"> {low}"
        if low is not None
        else ""
    )
    return {"low": low, "high": high, "text": text}


def _report_of(tx: Tx, t: Resource) -> Resource:
    focus = ref_of(t.get("focus"))
    report = tx.get_ref(focus) if focus.startswith("DiagnosticReport/") else None
    if report is None:
        raise d.conflict(
            "This result item has no report.",
            t,
            reason="item-incomplete",
            args={"item": rs.task_ref(t), "missing": "DiagnosticReport"},
        )
    return report


def review(store: Store, p: Principal, task_id: str) -> dict[str, Any]:
    """GET $result-review: each value with unit, range, flag and earlier values; logged."""
    with store.write() as tx:
        t = d.load_for_review(tx, p, task_id, CODE, "a test result")
        pid = d.patient_id(t)
        report = _report_of(tx, t)
        what = f"result review of Task/{t['id']}: DiagnosticReport, Observation"
        memo = access.Memo(tx, p)
        v = access.decide(tx, p, report, memo)
        if not v.allowed:
            raise access.refusal(tx, p, v, what)
        kept, _ = access.screen(tx, p, tx.get_many(ref_of(x) for x in report.get("result") or []), memo)
        obs = [o for o, _ in kept]
        order = {ref_of(x): i for i, x in enumerate(report.get("result") or [])}
        obs.sort(key=lambda o: order.get(f"Observation/{o['id']}", 0))
        rows = []
        for o in obs:
            code = first_code(o.get("code"))
            value, unit = _value(o)
            f = flag(o)
            history: list[dict[str, Any]] = []
            if code:
                q = parse_query("Observation", [("patient", f"Patient/{pid}"), ("code", code), ("_sort", "date")])
                when = str(o.get("effectiveDateTime") or o.get("issued") or "")
                earlier, _ = access.screen(tx, p, tx.search("Observation", q.where, sort=q.sort, count=200).rows, memo)
                for h, _ in earlier:
                    h_when = str(h.get("effectiveDateTime") or h.get("issued") or "")
                    if h["id"] == o["id"] or (when and h_when >= when):
                        continue
                    hv, hu = _value(h)
                    history.append({"date": h_when, "value": hv, "unit": hu, "flag": flag(h)})
            rows.append(
                {
                    "reference": f"Observation/{o['id']}",
                    "name": (o.get("code") or {}).get("text") or code,
                    "code": code,
                    "value": value,
                    "unit": unit,
                    "referenceRange": _range(o),
                    "flag": f,
                    "flagText": FLAG_TEXT.get(f, ""),
                    "critical": f in CRITICAL,
                    "history": history[-20:],
                }
            )
        now = timeutil.utcnow()
        cat = category(report)
        visible = released_at(report, now)
        by = _ext(report, EXT_RELEASED_BY).get("valueReference") or {}
        auto_at = None
        if cat == "clinician-or-14d" and report.get("issued"):
            try:
                auto_at = timeutil.instant(timeutil.parse(str(report["issued"])) + AUTO_RELEASE_AFTER)
            except ValueError:
                auto_at = None
        access.audit(tx, p, v.patient or pid, what, v.basis)
        return {
            "task": {
                "id": t["id"],
                "versionId": t["meta"]["versionId"],
                "status": t.get("status"),
                "businessStatus": first_code(t.get("businessStatus")),
            },
            "report": {
                "reference": f"DiagnosticReport/{report['id']}",
                "name": (report.get("code") or {}).get("text") or first_code(report.get("code")),
                "status": report.get("status"),
                "effective": report.get("effectiveDateTime"),
                "issued": report.get("issued"),
                "conclusion": report.get("conclusion"),
                "category": cat,
                "categoryText": CATEGORY_TEXT.get(cat, cat),
                "released": visible is not None,
                "releasedAt": visible,
                "releasedBy": by.get("display") or ref_of(by) or None,
                "autoReleaseAt": auto_at if cat == "clinician-or-14d" else None,
            },
            "observations": rows,
            "abnormal": sum(1 for r in rows if r["flag"] not in ("", "N")),
            "critical": sum(1 for r in rows if r["critical"]),
            "restrictedRecords": len(report.get("result") or []) - len(obs),
        }


def release(
    store: Store, p: Principal, task_id: str, if_match: str | None, comment: str, *, normal_only: bool = False
) -> tuple[Resource, list[Resource]]:
    """Release the report to the patient with a plain-language comment (physicians only).
    `normal_only` (batch triage, one comment for many): refuse (409 not-normal) unless every value
    of the report is flagged normal (N); a value without a flag, or a report without values, is not
    known to be normal."""
    from .items import parse_if_match

    expected = parse_if_match(if_match)
    comment = d.text_param(comment, "comment", required=False, what="A comment")
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, CODE, "releasing a result")
        access.require_role(
            p, "physician", what="release test results to patients (physicians only)", reason="physician-only"
        )
        d.require_available(p, t)
        report = _report_of(tx, t)
        cat = category(report)
        if cat == "never-online":
            raise FhirError(
                409,
                "This result is never shared online (category never-online, for example a "
                "genetic test). Give it to the patient in a consultation or by letter; you can "
                "mark the item reviewed.",
                code="business-rule",
                current=t,
                reason="never-online",
                args={"item": rs.task_ref(t)},
            )
        if report.get("status") not in FINAL:
            raise d.conflict(
                f"The report is not final yet (status {report.get('status')}); only final results can be released.",
                t,
                reason="report-not-final",
                args={"item": rs.task_ref(t), "status": str(report.get("status"))},
            )
        if _ext(report, EXT_RELEASED_BY).get("valueReference", {}).get("reference", "").startswith("Practitioner/"):
            raise d.conflict(
                "This result was already released by a clinician.",
                t,
                reason="already-released",
                args={"item": rs.task_ref(t)},
            )
        if normal_only:
            values = [o for o in tx.get_many(ref_of(x) for x in report.get("result") or []) if o is not None]
            not_normal = sum(1 for o in values if flag(o) != "N")
            if not_normal or not values:
                raise d.conflict(
                    f"Not every value of this result is normal ({not_normal} of {len(values)} are not); "
                    "release it on its own, with a comment of its own.",
                    t,
                    reason="not-normal",
                    args={"item": rs.task_ref(t), "count": not_normal},
                )
        d.check_version(t, expected)
        new_report = dict(report)
        if not _ext(report, c.EXT_RELEASED_AT).get("valueDateTime"):
            _set_ext(new_report, c.EXT_RELEASED_AT, valueDateTime=tx.now)
        _set_ext(new_report, EXT_RELEASED_BY, valueReference=p.reference())
        if comment:
            _set_ext(new_report, EXT_RELEASE_COMMENT, valueString=comment)
        saved_report = tx.update(new_report, expected_version=int(report["meta"]["versionId"]))
        name = (report.get("code") or {}).get("text") or "prøven din"
        new = d.copy_task(t)
        d.take(new, t, p)
        new["status"] = c.STATUS_DONE
        new["businessStatus"] = d.business("released")
        text = f"Svaret på {name} er klart. Du finner det under Prøvesvar."
        if comment:
            text += f"\n\n{comment}"
        message = d.patient_message(tx, p, t, new, f"Prøvesvar: {name}", text)
        d.audit_operation(tx, p, t, f"result released, Task/{t['id']}: DiagnosticReport")
        return d.save(tx, t, new, "release"), [saved_report, message]


def mark_reviewed(
    store: Store, p: Principal, task_id: str, if_match: str | None, note: str, code: str = CODE
) -> tuple[Resource, list[Resource]]:
    """Reviewed without releasing (results) or reviewed (questionnaires): the item is done."""
    from .items import parse_if_match

    expected = parse_if_match(if_match)
    note = d.text_param(note, "note", required=False, what="A note")
    with store.write() as tx:
        t = tx.require("Task", task_id, for_update=True)
        access.require_task_access(tx, p, t)
        kind = first_code(t.get("code"), c.TASK_TYPE)
        if kind not in ("result", "questionnaire"):
            raise d.conflict(
                "Mark reviewed applies to test results and questionnaires.",
                t,
                reason="wrong-item-type",
                args={"item": rs.task_ref(t), "expected": "result"},
            )
        t = d.load_open(tx, p, task_id, kind, "marking reviewed")
        access.require_role(p, "physician", "nurse", what="review clinical results and questionnaires")
        d.require_available(p, t)
        d.check_version(t, expected)
        new = d.copy_task(t)
        d.take(new, t, p)
        new["status"] = c.STATUS_DONE
        new["businessStatus"] = d.business("reviewed")
        d.note(new, p, tx, note or "Gjennomgått.")
        return d.save(tx, t, new, "mark-reviewed"), []


# -- the 14-day automatic release -------------------------------------------------------------


def release_due(store: Store, now: dt.datetime | None = None) -> int:
    """Mark clinician-or-14d reports that nobody released within 14 days of issue as released.

    Returns how many reports this call released. Idempotent (a released report is no longer
    pending) and safe with several processes at once (each row is locked, and skipped by others,
    on PostgreSQL; SQLite takes one writer at a time)."""
    now = now or timeutil.utcnow()
    cutoff = timeutil.instant(now - AUTO_RELEASE_AFTER)
    pending = "clinician-or-14d|pending"
    _backfill_release_state(store)
    with store.read() as tx:
        ids = reports.due_for_release(tx, pending, cutoff)
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with store.write() as tx:
            for rid in reports.lock_in_state(tx, chunk, pending):
                report = tx.get("DiagnosticReport", rid)
                if report is None or report.get("status") not in FINAL:
                    continue
                issued = report.get("issued") or report.get("effectiveDateTime")
                try:
                    due = timeutil.parse(str(issued)) + AUTO_RELEASE_AFTER
                except ValueError:
                    continue
                if due > now:
                    continue
                new = dict(report)
                _set_ext(new, c.EXT_RELEASED_AT, valueDateTime=timeutil.instant(due))
                _set_ext(new, EXT_RELEASED_BY, valueReference=dict(AUTOMATIC))
                tx.update(new, expected_version=int(report["meta"]["versionId"]))
                from . import notify

                notify.enqueue(tx, ref_of(report.get("subject")), "result", f"DiagnosticReport/{rid}")
                done += 1
    return done


def _backfill_release_state(store: Store, limit: int = 5000) -> int:
    """Reports stored before the release state had its column (`text1` empty) get it now, a batch
    per call; only the index column is written (the resource itself and its version do not change),
    and several processes writing the same value at once do no harm."""
    from ..fhir.registry import release_state

    with store.write() as tx:
        rows = reports.without_release_state(tx, limit)
        for rid, content in rows:
            reports.set_release_state(tx, rid, release_state(json.loads(content)))
    return len(rows)
