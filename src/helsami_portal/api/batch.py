"""`POST /fhir` with a FHIR `batch` Bundle: many operations on Tasks in one request.

Each entry is `request.method` POST and `request.url` `Task/{id}/${operation}` (relative to the
base, or the absolute address), with `request.ifMatch` and the operation's Parameters as
`resource`. Every entry is decided on its own, exactly as the single operation would be: its own
transaction, its own version check (`ifMatch`), access check and access-log entry. A refused entry
does not stop the others; the answer is a `batch-response` Bundle with one entry per request entry
in the same order: `response.status`, `response.etag` and, for a refusal, `response.outcome` (the
OperationOutcome with its reason code the single operation would have sent).

Refused as a whole (nothing runs): a body that is not a Bundle of type `batch` (a `transaction`
is not offered), more than `MAX_ENTRIES` entries, or a Bundle inside an entry (no nested batches).
"""

from __future__ import annotations

import http
import logging
import uuid
from collections.abc import Callable
from typing import Any

from ..auth.principal import Principal
from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..store.errors import StoreError
from ..store.store import Store
from ..workflow import reads
from . import domain_errors

log = logging.getLogger("helsami_portal.api")

MAX_ENTRIES = 100  # entries of one batch; more is 413 batch-too-large


def _status(code: int) -> str:
    try:
        return f"{code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


# perform(store, principal, task id, operation, If-Match, Parameters) -> (answer body, Task): the
# single operation (api.operation_routes.perform_task_operation), passed in so that this module needs no route.
Perform = Callable[
    [Store, Principal, str, str, "str | None", "dict[str, Any] | None"], tuple[dict[str, Any], dict[str, Any]]
]


def entries(body: dict[str, Any]) -> list[Any]:
    """The entries of a batch Bundle, or the refusal of the whole request."""
    if body.get("resourceType") != "Bundle":
        raise FhirError(
            400,
            "POST to the base address takes a Bundle of type batch.",
            expression="resourceType",
            reason="resource-type-mismatch",
            args={"expected": "Bundle"},
        )
    kind = body.get("type")
    if kind != "batch":
        raise FhirError(
            400,
            f"This server runs Bundles of type batch, not {str(kind)[:40]!r}.",
            expression="type",
            code="not-supported",
            reason="bundle-type-unsupported",
            args={"type": str(kind)[:40]},
        )
    entries = body.get("entry") or []
    if not isinstance(entries, list):
        raise FhirError(
            400, "Bundle.entry must be a list.", expression="entry", reason="batch-entry-invalid", args={"index": 0}
        )
    if len(entries) > MAX_ENTRIES:
        raise FhirError(
            413,
            f"A batch holds at most {MAX_ENTRIES} entries (this one has {len(entries)}); send it in parts.",
            code="too-costly",
            reason="batch-too-large",
            args={"limit": MAX_ENTRIES, "count": len(entries)},
        )
    for i, e in enumerate(entries):
        res = e.get("resource") if isinstance(e, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "Bundle":
            raise FhirError(
                400,
                f"Entry {i} holds a Bundle; batches cannot be nested.",
                expression=f"entry[{i}].resource",
                reason="batch-nested",
                args={"index": i},
            )
    return entries


def _target(base: str, url: Any, index: int) -> tuple[str, str]:
    """(task id, operation) of an entry's request.url, or a refusal of that entry."""
    text = url if isinstance(url, str) else ""
    if text.startswith(base + "/"):
        text = text[len(base) + 1 :]
    path = text.split("?", 1)[0].strip("/")
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "Task" or not parts[2].startswith("$"):
        raise FhirError(
            400,
            f"Entry {index}: a batch entry is an operation on a Task (POST Task/{{id}}/$operation).",
            expression=f"entry[{index}].request.url",
            code="not-supported",
            reason="batch-entry-unsupported",
            args={"index": index},
        )
    rid, op = parts[1], parts[2][1:]
    if not (1 <= len(rid) <= 64) or not all(ch.isalnum() or ch in "-." for ch in rid):
        raise FhirError(400, "That is not a valid resource id.", reason="invalid-id")
    return rid, op


def run_entry(store: Store, p: Principal, base: str, index: int, entry: Any, perform: Perform) -> dict[str, Any]:
    """One entry of the batch, decided on its own; a refusal is this entry's answer."""
    try:
        if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
            raise FhirError(
                400,
                f"Entry {index} has no request.",
                expression=f"entry[{index}].request",
                reason="batch-entry-invalid",
                args={"index": index},
            )
        req = entry["request"]
        if str(req.get("method") or "").upper() != "POST":
            raise FhirError(
                405,
                f"Entry {index}: a batch entry is a POST of an operation on a Task.",
                expression=f"entry[{index}].request.method",
                code="not-supported",
                reason="batch-entry-unsupported",
                args={"index": index},
            )
        rid, op = _target(base, req.get("url"), index)
        params = entry.get("resource")
        if params is not None and not isinstance(params, dict):
            raise FhirError(
                400, "The body of an operation must be a Parameters resource.", reason="body-not-parameters"
            )
        if_match = req.get("ifMatch")
        body, task = perform(store, p, rid, op, if_match if isinstance(if_match, str) else None, params or None)
    except (FhirError, StoreError) as caught:
        e = domain_errors.as_fhir(caught)
        if e.current is not None:
            # As for a single operation: the current Task passes the access decision and is logged.
            e.current = reads.error_body(store, p, e.current)
        return {"response": {"status": _status(e.status), "outcome": e.to_fhir()}}
    except Exception as exc:  # noqa: BLE001 - one entry's failure is that entry's answer
        incident = uuid.uuid4().hex[:12]
        # Never the exception's message (it might hold patient data): the type is enough.
        log.error("incident %s: %s in batch entry %s", incident, type(exc).__name__, index)
        err = FhirError(
            500,
            f"The portal failed to handle this entry (incident {incident}); it was not changed.",
            reason="internal-error",
            args={"incident": incident},
        )
        return {"response": {"status": _status(500), "outcome": err.to_fhir()}}
    meta = task.get("meta") or {}
    response: dict[str, Any] = {"status": "200 OK", "etag": f'W/"{meta.get("versionId", "1")}"'}
    if meta.get("lastUpdated"):
        response["lastModified"] = meta["lastUpdated"]
    return {"fullUrl": f"{base}/Task/{task.get('id', '')}", "resource": body, "response": response}


def response(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "id": uuid.uuid4().hex,
        "type": "batch-response",
        "timestamp": timeutil.instant(),
        "entry": results,
    }
