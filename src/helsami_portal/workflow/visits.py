"""Before a visit: questionnaire answers (with the answers that need attention flagged) and
appointment requests (confirm a time, propose another, or decline), with a plain-language
message to the patient either way.

Answers that need attention (simple rules, by the question's linkId; the seeded pre-visit form
`forhandsskjema` uses these linkIds):

| linkId | needs attention when | why (shown to staff) |
| --- | --- | --- |
| `feber` | yes | the patient reports fever |
| `temperatur` | above 38.5 °C | high fever |
| `hoste-uker` | more than 3 (weeks) | long-lasting cough: consider further investigation |
| `reise` | yes | travel outside the Nordic countries in the last 14 days (infection control) |
| `blodfortynnende` | yes | blood thinners: bleeding risk at procedures |
| `annet` | any text | the patient wrote something: read it |

The rules are a product setting for triage, not a clinical guideline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, reasons as rs, timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import first_code, ref_of
from ..store.query import parse_query
from ..store.store import Store, Tx
from . import access, decisions as d

Resource = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    link_id: str
    test: Callable[[Any], bool]
    level: str  # attention | info
    text: str


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


RULES: tuple[Rule, ...] = (
    Rule("feber", lambda v: v is True, "attention", "Oppgir feber."),
    Rule("temperatur", lambda v: (_num(v) or 0) > 38.5, "attention", "Temperatur over 38,5 °C."),
    Rule("hoste-uker", lambda v: (_num(v) or 0) > 3, "attention", "Hoste i mer enn 3 uker: vurder videre utredning."),
    Rule("reise", lambda v: v is True, "attention", "Reist utenfor Norden de siste 14 dagene (smittevern)."),
    Rule("blodfortynnende", lambda v: v is True, "attention", "Bruker blodfortynnende: blødningsrisiko ved inngrep."),
    Rule("annet", lambda v: isinstance(v, str) and bool(v.strip()), "info", "Pasienten har skrevet noe: les det."),
)
_BY_LINK = {r.link_id: r for r in RULES}


def _answer_value(a: dict[str, Any]) -> Any:
    for k, v in a.items():
        if k.startswith("value"):
            if isinstance(v, dict):
                return v.get("display") or v.get("code") or v.get("value")
            return v
    return None


def _display(v: Any) -> str:
    if v is True:
        return "Ja"
    if v is False:
        return "Nei"
    if isinstance(v, float):
        return f"{v:g}".replace(".", ",")
    return "" if v is None else str(v)


def _items(items: list[Resource]) -> list[Resource]:
    out = []
    for it in items or []:
        out.append(it)
        out.extend(_items(it.get("item") or []))
    return out


def questionnaire_review(store: Store, p: Principal, task_id: str) -> dict[str, Any]:
    """GET $questionnaire-review: questions and answers, those needing attention flagged; logged."""
    with store.write() as tx:
        t = d.load_for_review(tx, p, task_id, "questionnaire", "a questionnaire")
        pid = d.patient_id(t)
        focus = ref_of(t.get("focus"))
        qr = tx.get_ref(focus) if focus.startswith("QuestionnaireResponse/") else None
        if qr is None:
            raise FhirError(
                409,
                "This item has no questionnaire answers.",
                code="business-rule",
                reason="item-incomplete",
                args={"item": rs.task_ref(t), "missing": "QuestionnaireResponse"},
            )
        what = f"questionnaire review of Task/{t['id']}: QuestionnaireResponse"
        v = access.decide(tx, p, qr)
        if not v.allowed:
            raise access.refusal(tx, p, v, what)
        form = None
        url = str(qr.get("questionnaire") or "")
        if url:
            q = parse_query("Questionnaire", [("url", url[:100])])
            rows = tx.search("Questionnaire", q.where, count=1).rows
            form = rows[0] if rows else None
        questions = {it.get("linkId"): it.get("text") for it in _items((form or {}).get("item") or [])}
        rows_out = []
        for it in _items(qr.get("item") or []):
            answers = [_answer_value(a) for a in it.get("answer") or []]
            if not answers:
                continue
            rule = _BY_LINK.get(str(it.get("linkId")))
            hit = bool(rule and any(rule.test(v) for v in answers))
            rows_out.append(
                {
                    "linkId": it.get("linkId"),
                    "question": it.get("text") or questions.get(it.get("linkId")) or it.get("linkId"),
                    "answer": ", ".join(_display(v) for v in answers),
                    "attention": hit and rule is not None and rule.level == "attention",
                    "info": hit and rule is not None and rule.level == "info",
                    "reason": rule.text if hit and rule else None,
                    # for clients that show answers and rules in their user's language
                    "rule": rule.link_id if hit and rule else None,
                    "values": [v if isinstance(v, (bool, int, float, str)) else _display(v) for v in answers],
                }
            )
        access.audit(tx, p, v.patient or pid, what, v.basis)
        return {
            "task": {
                "id": t["id"],
                "versionId": t["meta"]["versionId"],
                "status": t.get("status"),
                "businessStatus": first_code(t.get("businessStatus")),
            },
            "questionnaire": {"url": url, "title": (form or {}).get("title") or ""},
            "authored": qr.get("authored"),
            "items": rows_out,
            "attention": sum(1 for r in rows_out if r["attention"]),
            "rules": [{"linkId": r.link_id, "level": r.level, "text": r.text} for r in RULES],
        }


# -- appointment requests ---------------------------------------------------------------------


def _time(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FhirError(
            400,
            f"Give a time ({name}, a dateTime such as 2026-12-03T10:15:00+01:00).",
            expression=name,
            reason="parameter-required",
            args={"name": name},
        )
    try:
        when = timeutil.parse(value)
    except ValueError:
        raise FhirError(
            400,
            f"{name} is not a dateTime (for example 2026-12-03T10:15:00+01:00).",
            expression=name,
            reason="invalid-date",
            args={"name": name},
        ) from None
    if len(value.strip()) <= 10:
        raise FhirError(
            400,
            f"{name} needs a time of day, not only a date.",
            expression=name,
            reason="time-of-day-required",
            args={"name": name},
        )
    if when <= timeutil.utcnow():
        raise FhirError(
            422,
            "That time has already passed; choose a time in the future.",
            expression=name,
            reason="time-in-past",
            args={"name": name},
        )
    return timeutil.instant(when)


def _appointment(tx: Tx, t: Resource) -> Resource:
    focus = ref_of(t.get("focus"))
    appt = tx.get_ref(focus) if focus.startswith("Appointment/") else None
    if appt is None:
        raise d.conflict(
            "This item has no appointment request.",
            t,
            reason="item-incomplete",
            args={"item": rs.task_ref(t), "missing": "Appointment"},
        )
    return appt


def _service(appt: Resource) -> str:
    st = appt.get("serviceType") or []
    return str((st[0] or {}).get("text") or "time") if st else "time"


def _participants(appt: Resource, patient_status: str, other_status: str) -> list[Resource]:
    out = []
    for part in appt.get("participant") or []:
        part = dict(part)
        actor = ref_of(part.get("actor"))
        part["status"] = patient_status if actor.startswith(("Patient/", "RelatedPerson/")) else other_status
        out.append(part)
    return out


def decide_appointment(
    store: Store,
    p: Principal,
    task_id: str,
    if_match: str | None,
    action: str,
    start: Any = None,
    end: Any = None,
    minutes: Any = None,
    reason: Any = None,
    comment: Any = None,
) -> tuple[Resource, list[Resource]]:
    """confirm (booked at `start`), propose (another time, status proposed), cancel (a booked time
    the patient asked to cancel: cancelled as asked) or decline (cancelled with `reason`); the
    patient gets a message either way."""
    from .items import parse_if_match

    expected = parse_if_match(if_match)
    comment_s = d.text_param(comment, "comment", required=False, what="A comment")
    reason_s = d.text_param(reason, "reason", required=action == "decline", what="A reason the patient can read")
    start_s = _time(start, "start") if action in ("confirm", "propose") else ""
    with store.write() as tx:
        t = d.load_open(tx, p, task_id, "appointment", f"{action} appointment")
        access.require_role(p, *access.INBOX_ROLES, what="decide appointment requests")
        d.require_available(p, t)
        appt = _appointment(tx, t)
        d.check_version(t, expected)
        new_appt = dict(appt)
        service = _service(appt).lower()
        old_when = str(appt.get("start") or "")
        if action in ("confirm", "propose"):
            stated = appt.get("minutesDuration")
            length: int = (
                minutes
                if isinstance(minutes, int) and 5 <= minutes <= 480
                else stated
                if isinstance(stated, int)
                else 30
            )
            end_s = (
                _time(end, "end") if end else timeutil.instant(timeutil.parse(start_s) + dt.timedelta(minutes=length))
            )
            if end_s <= start_s:
                raise FhirError(400, "end must be after start.", expression="end", reason="end-before-start")
            new_appt.update({"start": start_s, "end": end_s, "minutesDuration": length})
            if action == "confirm":
                new_appt["status"] = "booked"
                new_appt["participant"] = _participants(appt, "accepted", "accepted")
                text = f"Timen din er bekreftet: {service}, {d.when_text(start_s)}."
                status = "confirmed"
            else:
                new_appt["status"] = "proposed"
                new_appt["participant"] = _participants(appt, "needs-action", "accepted")
                text = (
                    f"Vi foreslår denne timen: {service}, {d.when_text(start_s)}. Svar på denne meldingen om "
                    "tidspunktet passer, eller om du trenger et annet."
                )
                status = "time-proposed"
        elif action == "cancel":
            # The patient asked to cancel a booked time: confirmed as a cancellation, not a refusal.
            if appt.get("status") not in ("booked", "proposed", "pending") or not old_when:
                raise FhirError(
                    409,
                    "This request has no booked time to cancel; confirm a time or decline instead.",
                    reason="nothing-to-cancel",
                    args={"item": task_id},
                )
            new_appt["status"] = "cancelled"
            new_appt["cancelationReason"] = {"text": "Avbestilt etter ønske fra pasienten"}
            new_appt["participant"] = _participants(appt, "declined", "declined")
            text = f"Timen din ({service}, {d.when_text(old_when)}) er avbestilt slik du ba om."
            status = "cancelled"
        else:
            new_appt["status"] = "cancelled"
            new_appt["cancelationReason"] = {"text": reason_s}
            new_appt["participant"] = _participants(appt, "declined", "declined")
            if appt.get("status") == "booked" and old_when:
                text = f"Timen din ({service}, {d.when_text(old_when)}) er avbestilt.\n\nBegrunnelse: {reason_s}"
            else:
                text = f"Vi kan dessverre ikke gi deg time ({service}) nå.\n\nBegrunnelse: {reason_s}"
            status = "declined"
        if comment_s:
            text += f"\n\n{comment_s}"
        saved_appt = tx.update(new_appt, expected_version=int(appt["meta"]["versionId"]))
        new = d.copy_task(t)
        d.take(new, t, p)
        new["status"] = c.STATUS_DONE
        new["businessStatus"] = d.business(status)
        message = d.patient_message(tx, p, t, new, "Timeavtale", text)
        return d.save(tx, t, new, f"{action}-appointment"), [saved_appt, message]
