"""The CapabilityStatement, generated from the same registry that drives storage and search."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..fhir import narrative
from ..fhir.registry import DEFS
from ..workflow import task_ops as _task_ops

OPERATIONS = {
    "claim": "Claim a waiting item: the caller becomes its owner. Requires If-Match.",
    "unclaim": "Put a claimed item back in its pool. Requires If-Match.",
    "forward": "Send an item to another inbox or a named staff member with an internal note. Requires If-Match.",
    "reply": "Add a staff reply to the item's thread, exactly once per messageId; up to 10 `attachment` "
    "parameters (valueReference DocumentReference/<id> of a library document) send copies of them "
    "with it. Requires If-Match.",
    "complete": "Mark a claimed item done. Requires If-Match.",
    "note": "Add an internal note (text, valueString; staff only, never shown to the patient) without "
    "forwarding: owner and state stay. Requires If-Match.",
    "message": "A new message to the patient from any item (text, messageId: a client-made UUID, exactly once): "
    "in the item's thread, or the thread about the item, made on first use. Takes `attachment` "
    "parameters as $reply does. Requires If-Match.",
    "reopen": "Put a completed item back in work, claimed by the caller, with an optional internal note "
    "(note, valueString). Decisions already taken stand. Requires If-Match.",
    # decisions (workflow.task_ops): POST, one transaction each, If-Match required
    **_task_ops.OPERATIONS,
    # reads (GET, logged)
    **{op: "GET. " + doc for op, doc in _task_ops.READ_OPERATIONS.items()},
}

PATIENT_OPERATIONS = {
    "break-the-glass": "Emergency access to a patient outside the care relation (physicians and nurses). "
    "Parameters: reason (valueString, at least 10 characters). Grants access for 4 hours; "
    "logged with purposeOfUse BTG and found by AuditEvent?break-glass=true.",
}
# Type-level Task operations (POST /fhir/Task/$op)
TASK_TYPE_OPERATIONS = {
    "claim-next": "Claim the next item waiting in an inbox, in the inbox's order (priority, then arrival): the "
    "server picks it, so staff taking from one inbox at once each get a different item. Parameters: "
    "pool (valueReference HealthcareService, a member's inbox; or ?pool= in the URL). No If-Match. "
    "Answers 200 with the claimed Task, 409 nothing-waiting when none is left.",
    "phone-message": "Register a phone message for a patient (physician, nurse, switchboard): thread, message "
    "(medium PHONE) and an inbox item in one transaction. Parameters: patient, inbox and/or "
    "practitioner (valueReference), subject, text, messageId (valueString).",
}
PRACTITIONER_OPERATIONS = {
    "absence": "The staff member themself: away (valueBoolean), delegate (valueReference Practitioner, optional). "
    "While away, their open items go to the delegate (or back to the inbox).",
}
SYSTEM_OPERATIONS = {
    "events": "Server-sent events of inbox changes (ids and states only).",
    "pools": "The caller's inboxes with counts (staff working in inboxes).",
    "whoami": "The signed-in user, roles and inbox membership.",
    "queues": "IT support only: every inbox's set-up, members, queue depth, oldest unopened age and "
    "escalations in the last 24 hours. No patient data.",
}

CREATABLE = ("Communication", "DocumentReference")
UPDATABLE = ("Communication", "DocumentReference")
BATCH_DOC = (
    "POST a Bundle of type batch to the base: each entry a POST of a Task operation "
    "(Task/{id}/$operation) with request.ifMatch, decided on its own (own transaction, version and "
    "access check); at most 100 entries; no transaction Bundles, no nested batches."
)


def capability_statement(base_url: str, now: str) -> dict[str, Any]:
    resources = []
    for name in sorted(DEFS):
        rdef = DEFS[name]
        interactions = list(rdef.interactions)
        if name in CREATABLE:
            interactions.append("create")
        if name in UPDATABLE:
            interactions.append("update")
        entry: dict[str, Any] = {
            "type": name,
            "documentation": rdef.doc or None,
            "interaction": [{"code": i} for i in interactions],
            "versioning": "versioned",
            "readHistory": "vread" in interactions,
            "searchParam": [{"name": p.name, "type": p.type, "documentation": p.doc} for p in rdef.params.values()],
        }
        if rdef.includes:
            entry["searchInclude"] = [f"{name}:{n}" for n in rdef.includes]
        if name == "Task":
            entry["conditionalUpdate"] = False
            entry["operation"] = [
                {"name": op, "definition": f"{base_url}/OperationDefinition/Task-{op}", "documentation": doc}
                for op, doc in OPERATIONS.items()
            ] + [
                {"name": op, "definition": f"{base_url}/OperationDefinition/Task-{op}", "documentation": doc}
                for op, doc in TASK_TYPE_OPERATIONS.items()
            ]
        if name == "Practitioner":
            entry["operation"] = [
                {"name": op, "definition": f"{base_url}/OperationDefinition/Practitioner-{op}", "documentation": doc}
                for op, doc in PRACTITIONER_OPERATIONS.items()
            ]
        if name == "Patient":
            entry["operation"] = [
                {"name": op, "definition": f"{base_url}/OperationDefinition/Patient-{op}", "documentation": doc}
                for op, doc in PATIENT_OPERATIONS.items()
            ]
        resources.append({k: v for k, v in entry.items() if v is not None})
    return narrative.finish(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": now,
            "kind": "instance",
            "software": {"name": "helsami-portal", "version": __version__},
            "implementation": {"description": "HelsaMi portal API", "url": base_url},
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Search results page with keyset cursors: follow the next link as given. "
                    "_sort, _count (max 500), _include and _total=accurate are supported where listed.",
                    "security": {
                        "cors": False,
                        "service": [
                            {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                        "code": "OAuth",
                                    }
                                ]
                            }
                        ],
                        "description": "OAuth 2.0 bearer tokens; see /.well-known/openid-configuration.",
                    },
                    "resource": resources,
                    "interaction": [{"code": "batch", "documentation": BATCH_DOC}],
                    "operation": [
                        {"name": op, "definition": f"{base_url}/OperationDefinition/{op}", "documentation": doc}
                        for op, doc in SYSTEM_OPERATIONS.items()
                    ],
                }
            ],
        }
    )
