"""FHIR operations: on a Task (`$claim`, `$reply`, the decisions ...), the batch Bundle of them, on
a Patient (`$break-the-glass`) and a Practitioner (`$absence`), and the system-level ones (`$claim-next`,
`$phone-message`, `$pools`, `$whoami`, `$queues`, `$notifications`, free `Slot`s)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..store.store import Store
from ..workflow import absence, calendar, inbox, library, notify, phone, reads, support, task_ops
from . import batch
from .capability import OPERATIONS
from .deps import etag, fhir, fhir_base, param, portal_of, principal, read_json, rid_of, text_of


async def task_operation(request: Request) -> Response:
    rid = rid_of(request)
    op = request.path_params["op"]
    check_operation(op)
    p = await principal(request)
    params = await read_json(request, required=False)
    body, task = await run_in_threadpool(
        perform_task_operation, portal_of(request).store, p, rid, op, request.headers.get("if-match"), params
    )
    return fhir(body, headers=etag(task))


def check_operation(op: str) -> None:
    if op not in OPERATIONS:
        raise FhirError(
            404,
            f"Task has no operation ${op[:40]}. Operations: " + ", ".join(f"${o}" for o in OPERATIONS) + ".",
            code="not-supported",
            reason="unknown-operation",
            args={"operation": op[:40]},
        )


def perform_task_operation(
    store: Store, p: Principal, rid: str, op: str, if_match: str | None, params: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One POST operation on a Task, as `POST /fhir/Task/{rid}/${op}` and a batch entry run it:
    one transaction, its own version and access check. Returns (the answer's body, the Task)."""
    check_operation(op)
    if op == "claim":
        t = inbox.claim(store, p, rid, if_match)
    elif op == "unclaim":
        t = inbox.unclaim(store, p, rid, if_match)
    elif op == "complete":
        t = inbox.complete(store, p, rid, if_match, text_of(param(params, "note")))
    elif op == "forward":
        target = param(params, "target")
        target_ref = target.get("reference") if isinstance(target, dict) else target
        t = inbox.forward(store, p, rid, if_match, text_of(target_ref), text_of(param(params, "note")))
    elif op == "note":
        t = inbox.add_note(store, p, rid, if_match, text_of(param(params, "text")))
    elif op == "reopen":
        t = inbox.reopen(store, p, rid, if_match, text_of(param(params, "note")))
    elif op in ("reply", "message"):
        fn = inbox.reply if op == "reply" else inbox.message
        t, msg = fn(
            store,
            p,
            rid,
            if_match,
            text_of(param(params, "text")),
            text_of(param(params, "messageId")),
            _attachments(params),
        )
        shown = reads.operation_result(store, p, t, [msg])
        return {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "task"
                    if r["resourceType"] == "Task"
                    else "message"
                    if r["resourceType"] == "Communication"
                    else "outcome",
                    "resource": r,
                }
                for r in shown
            ],
        }, t
    elif op in task_ops.OPERATIONS:  # decisions: renewals, results, questionnaires, appointments
        t, made = task_ops.run(store, p, rid, op, if_match, params)
        shown = reads.operation_result(store, p, t, made)
        return {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "task" if r["resourceType"] == "Task" and r["id"] == rid else r["resourceType"], "resource": r}
                for r in shown
            ],
        }, t
    else:
        raise FhirError(
            405, f"${op} is read with GET.", code="not-supported", reason="operation-needs-get", args={"operation": op}
        )
    shown = reads.operation_result(store, p, t, [])
    return shown[0], t


async def batch_bundle(request: Request) -> Response:
    """POST /fhir: a batch Bundle of Task operations, each entry decided on its own (api/batch.py)."""
    p = await principal(request)
    body = await read_json(request)
    assert body is not None
    entries = batch.entries(body)
    store, base = portal_of(request).store, fhir_base(request)
    results = [
        await run_in_threadpool(batch.run_entry, store, p, base, i, e, perform_task_operation)
        for i, e in enumerate(entries)
    ]
    return fhir(batch.response(results))


async def task_read_operation(request: Request) -> Response:
    rid, op = rid_of(request), request.path_params["op"]
    p = await principal(request)
    answer = await run_in_threadpool(task_ops.read, portal_of(request).store, p, rid, op)
    # The reviews are plain JSON; `$route-suggestion` is a Parameters resource, sent as FHIR JSON.
    return fhir(answer) if "resourceType" in answer else JSONResponse(answer)


def _attachments(params: dict[str, Any] | None) -> list[str]:
    """The `attachment` parameters of $reply and $message: references to library documents."""
    out: list[str] = []
    given = (params or {}).get("parameter")
    for prm in given if isinstance(given, list) else []:
        if isinstance(prm, dict) and prm.get("name") == "attachment":
            value = prm.get("valueReference")
            ref = value.get("reference") if isinstance(value, dict) else None
            if not isinstance(ref, str):
                raise FhirError(
                    400,
                    "attachment is a valueReference to a library document (DocumentReference/<id>).",
                    expression="attachment",
                    reason="document-not-in-library",
                    args={"item": {"reference": ""}},
                )
            out.append(ref)
            if len(out) > library.MAX_ATTACHMENTS:
                raise FhirError(
                    400,
                    f"A message carries at most {library.MAX_ATTACHMENTS} documents.",
                    expression="attachment",
                    reason="too-many-attachments",
                    args={"limit": library.MAX_ATTACHMENTS},
                )
    return out


async def patient_operation(request: Request) -> Response:
    rid = rid_of(request)
    if request.path_params["op"] != "break-the-glass":
        raise FhirError(
            404, "Patient has one operation: $break-the-glass.", code="not-supported", reason="unknown-operation"
        )
    p = await principal(request)
    params = await read_json(request, required=False)
    result = await run_in_threadpool(
        reads.break_the_glass, portal_of(request).store, p, rid, text_of(param(params, "reason"))
    )
    return fhir(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "patient", "valueReference": {"reference": f"Patient/{result['patient']}"}},
                {"name": "expires", "valueInstant": result["expires"]},
            ],
        }
    )


async def claim_next(request: Request) -> Response:
    """POST /fhir/Task/$claim-next: claim the next item waiting in an inbox (the server picks it)."""
    p = await principal(request)
    params = await read_json(request, required=False)
    pool = param(params, "pool")
    pool_ref = pool.get("reference") if isinstance(pool, dict) else pool
    if pool_ref is None:
        pool_ref = request.query_params.get("pool")
    store = portal_of(request).store
    t, shown = await run_in_threadpool(_claim_next_answer, store, p, text_of(pool_ref))
    return fhir(shown[0], headers=etag(t))


def _claim_next_answer(store: Store, p: Principal, pool_ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The claim and its answer (as every Task operation's: workflow.reads.operation_result) in one
    worker-thread hop."""
    t = inbox.claim_next(store, p, pool_ref)
    return t, reads.operation_result(store, p, t, [])


async def phone_message(request: Request) -> Response:
    """POST /fhir/Task/$phone-message: register what a caller said on the phone."""
    p = await principal(request)
    params = await read_json(request)
    values = {k: param(params, k) for k in ("patient", "inbox", "practitioner", "subject", "text", "messageId")}
    out = await run_in_threadpool(phone.register, portal_of(request).store, p, values)
    shown = await run_in_threadpool(
        reads.operation_result, portal_of(request).store, p, out["task"], [out["thread"], out["message"]]
    )
    names = {f"Communication/{out['thread']['id']}": "thread", f"Communication/{out['message']['id']}": "message"}
    order = {"thread": 0, "message": 1, "task": 2, "outcome": 3}
    parts = sorted(
        (
            {
                "name": "task"
                if r["resourceType"] == "Task"
                else names.get(f"{r['resourceType']}/{r['id']}", "outcome"),
                "resource": r,
            }
            for r in shown
        ),
        key=lambda x: order[str(x["name"])],
    )
    body = {"resourceType": "Parameters", "parameter": parts}
    return fhir(body, status=200 if out["replayed"] else 201, headers=etag(out["task"]) if out["task"] else None)


async def practitioner_operation(request: Request) -> Response:
    """POST /fhir/Practitioner/{id}/$absence: the staff member marks themself away or back."""
    rid = rid_of(request)
    if request.path_params["op"] != "absence":
        raise FhirError(
            404, "Practitioner has one operation: $absence.", code="not-supported", reason="unknown-operation"
        )
    p = await principal(request)
    params = await read_json(request)
    out = await run_in_threadpool(
        absence.set_absence, portal_of(request).store, p, rid, param(params, "away"), param(params, "delegate")
    )
    return fhir(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "practitioner", "resource": out["practitioner"]},
                {"name": "moved", "valueInteger": len(out["moved"])},
                *[{"name": "task", "valueReference": {"reference": f"Task/{tid}"}} for tid in out["moved"]],
            ],
        },
        headers=etag(out["practitioner"]),
    )


async def slots(request: Request) -> Response:
    """Free appointment times of a service (workflow.calendar), as a searchset of Slots."""
    p = await principal(request)
    params: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        params.setdefault(k, []).append(v)
    return fhir(await run_in_threadpool(calendar.free_slots, portal_of(request).store, p, params))


async def queues(request: Request) -> Response:
    p = await principal(request)
    return JSONResponse(await run_in_threadpool(support.queues, portal_of(request).store, p))


async def notifications(request: Request) -> Response:
    """The notification outbox for IT support: counts and failures, no patient data (workflow.notify)."""
    p = await principal(request)
    return JSONResponse(
        await run_in_threadpool(notify.health, portal_of(request).store, p), headers={"Cache-Control": "no-store"}
    )


async def pools(request: Request) -> Response:
    p = await principal(request)
    data, position = await run_in_threadpool(reads.pools_and_position, portal_of(request).store, p)
    # `events`: the event stream's position before the counts were read (follow it from there).
    return JSONResponse({"pools": data, "events": str(position)})


async def whoami(request: Request) -> Response:
    p = await principal(request)
    return JSONResponse(
        {
            "username": p.username,
            "kind": p.kind,
            "resource": p.ref,
            "display": p.display,
            "roles": sorted(p.roles),
            "pools": sorted(p.pools),
        }
    )
