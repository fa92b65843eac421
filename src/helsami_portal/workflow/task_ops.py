"""The decision operations on Task (renewals, results, questionnaires, appointments): reading the
operation's Parameters and calling the workflow function. Routes call `run` and `read`; the rules
live in `renewals`, `results` and `visits`.
"""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..store.store import Store
from . import renewals, results, routing, visits

Resource = dict[str, Any]

# POST operations (each one transaction, each requires If-Match).
OPERATIONS = {
    "approve": "Renewals, physicians only: a new active MedicationRequest (priorPrescription = the order renewed, "
    "basedOn = the request) replaces the order renewed; the request and the item are completed and the "
    "patient gets a message. Parameters: acknowledge (valueCode or valueString, repeat or comma-separate; "
    "every current warning code from $renewal-review, recorded on the new order), comment (valueString, "
    "optional, for the patient), routineOnly (valueBoolean, optional: approve only if the protocol says routine, "
    "else 409 not-routine naming the protocol's reasons; for batch triage). 409 names any warning not "
    "acknowledged.",
    "deny": "Renewals, physicians only: reason (valueString, required; the patient reads it). The request is "
    "cancelled with that reason; the item is completed.",
    "pend": "Renewals, nurses and physicians: target (valueReference Practitioner, must be a physician), note "
    "(valueString, internal). The physician becomes the owner; businessStatus pended.",
    "ask-info": "Renewals: text (valueString, required): a question the patient reads and answers in the same "
    "thread; the item waits with businessStatus waiting-for-patient.",
    "release": "Results, physicians only: comment (valueString, plain language for the patient). The report becomes "
    "visible in the patient API and the patient gets a message; never-online reports are refused (409).",
    "mark-reviewed": "Results and questionnaires, physicians and nurses: note (valueString, optional). Done without "
    "releasing anything to the patient.",
    "confirm-appointment": "Appointment requests: start (valueDateTime), optional end (valueDateTime) or minutes "
    "(valueInteger), comment. The Appointment is booked; the patient gets a message.",
    "propose-appointment": "Appointment requests: start (another time), optional end/minutes, comment. The Appointment "
    "is proposed at that time; the patient gets a message and answers in the thread.",
    "decline-appointment": "Appointment requests: reason (valueString, required). The Appointment is cancelled; the "
    "patient gets a message with the reason.",
    "confirm-cancellation": "Appointment requests to cancel a booked time: the Appointment is cancelled as the "
    "patient asked and the patient is told so (no reason needed). 409 nothing-to-cancel "
    "when there is no booked time.",
}

# GET operations (reads; each one logged in the access log).
READ_OPERATIONS = {
    "renewal-review": "Renewals, physicians and nurses with a care relation: medicine (name, strength, form, dosage, "
    "ATC), the prescription renewed, days since, allergies, other active medicines, warnings "
    "(code, kind, severity, text) and the protocol verdict (routine | exception, with reasons).",
    "result-review": "Results, physicians and nurses with a care relation: each value with unit, reference range, "
    "flag (N, H, L, HH, LL) and earlier values of the same test (oldest first), the release "
    "category and release state.",
    "questionnaire-review": "Questionnaires, physicians and nurses with a care relation: questions and answers, the "
    "answers needing attention flagged, and the rules used.",
    "route-suggestion": "Any staff member who may see the item: the inboxes the routing table suggests for "
    "routing it by hand, best first (Parameters, one suggestion part each: target "
    "valueReference, topic and matched valueString). May be empty.",
}


def _values(params: dict[str, Any] | None, name: str) -> list[Any]:
    if not params:
        return []
    if params.get("resourceType") != "Parameters":
        raise FhirError(400, "The body of an operation must be a Parameters resource.", reason="body-not-parameters")
    given = params.get("parameter") or []
    if not isinstance(given, list):  # Parameters.parameter is a list (a number or an object is no body)
        raise FhirError(400, "The body of an operation must be a Parameters resource.", reason="body-not-parameters")
    out = []
    for prm in given:
        if isinstance(prm, dict) and prm.get("name") == name:
            for key, value in prm.items():
                if key.startswith("value"):
                    out.append(value.get("reference") if key == "valueReference" and isinstance(value, dict) else value)
    return out


def _one(params: dict[str, Any] | None, name: str) -> Any:
    vals = _values(params, name)
    if len(vals) > 1:
        raise FhirError(400, f"Give {name} once.", expression=name, reason="parameter-repeated", args={"name": name})
    return vals[0] if vals else None


def _str(v: Any, name: str) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise FhirError(400, f"{name} must be text.", expression=name, reason="parameter-not-text", args={"name": name})
    return v


def run(
    store: Store, p: Principal, task_id: str, op: str, if_match: str | None, params: dict[str, Any] | None
) -> tuple[Resource, list[Resource]]:
    """Apply a decision operation; returns (the Task, the resources made or changed)."""
    if op == "approve":
        acks = [a for a in _values(params, "acknowledge") if isinstance(a, str)]
        routine_only = _one(params, "routineOnly")
        if routine_only is not None and not isinstance(routine_only, bool):
            raise FhirError(
                400,
                "routineOnly must be true or false.",
                expression="routineOnly",
                reason="invalid-parameter",
                args={"name": "routineOnly"},
            )
        return renewals.approve(
            store,
            p,
            task_id,
            if_match,
            acks,
            _str(_one(params, "comment"), "comment"),
            routine_only=routine_only is True,
        )
    if op == "deny":
        return renewals.deny(store, p, task_id, if_match, _str(_one(params, "reason"), "reason"))
    if op == "pend":
        return renewals.pend(
            store, p, task_id, if_match, _str(_one(params, "target"), "target"), _str(_one(params, "note"), "note")
        )
    if op == "ask-info":
        return renewals.ask_info(store, p, task_id, if_match, _str(_one(params, "text"), "text"))
    if op == "release":
        normal_only = _one(params, "normalOnly")
        if normal_only is not None and not isinstance(normal_only, bool):
            raise FhirError(
                400,
                "normalOnly must be true or false.",
                expression="normalOnly",
                reason="invalid-parameter",
                args={"name": "normalOnly"},
            )
        return results.release(
            store, p, task_id, if_match, _str(_one(params, "comment"), "comment"), normal_only=normal_only is True
        )
    if op == "mark-reviewed":
        return results.mark_reviewed(store, p, task_id, if_match, _str(_one(params, "note"), "note"))
    if op == "confirm-cancellation":
        return visits.decide_appointment(store, p, task_id, if_match, "cancel")
    if op in ("confirm-appointment", "propose-appointment", "decline-appointment"):
        minutes = _one(params, "minutes")
        return visits.decide_appointment(
            store,
            p,
            task_id,
            if_match,
            op.split("-", 1)[0],
            start=_one(params, "start"),
            end=_one(params, "end"),
            minutes=minutes if isinstance(minutes, int) else None,
            reason=_one(params, "reason"),
            comment=_one(params, "comment"),
        )
    raise FhirError(
        404,
        f"Task has no operation ${op[:40]}.",
        code="not-supported",
        reason="unknown-operation",
        args={"operation": op[:40]},
    )


def read(store: Store, p: Principal, task_id: str, op: str) -> dict[str, Any]:
    if op == "renewal-review":
        return renewals.review(store, p, task_id)
    if op == "result-review":
        return results.review(store, p, task_id)
    if op == "questionnaire-review":
        return visits.questionnaire_review(store, p, task_id)
    if op == "route-suggestion":
        return routing.suggest(store, p, task_id)
    raise FhirError(
        404,
        f"Task has no read operation ${op[:40]}. Read operations: " + ", ".join(f"${o}" for o in READ_OPERATIONS) + ".",
        code="not-supported",
        reason="unknown-operation",
        args={"operation": op[:40]},
    )
