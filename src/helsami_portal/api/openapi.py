"""An OpenAPI 3 description of the portal's HTTP API, generated from the same registry as the
CapabilityStatement, so that general API tools (and the fuzz tests) can drive it."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..fhir.registry import DEFS
from ..workflow.task_ops import READ_OPERATIONS
from .capability import OPERATIONS, PATIENT_OPERATIONS, PRACTITIONER_OPERATIONS, TASK_TYPE_OPERATIONS

OUTCOME = {"$ref": "#/components/schemas/OperationOutcome"}
RESOURCE = {"$ref": "#/components/schemas/Resource"}
BUNDLE = {"$ref": "#/components/schemas/Bundle"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/fhir+json": {"schema": schema}}


def _responses(ok: int = 200, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {str(ok): {"description": "OK", "content": _json(schema or RESOURCE)}}
    for code, text in (
        (400, "Bad input"),
        (401, "Not signed in"),
        (403, "Not allowed"),
        (404, "Not found"),
        (409, "Invalid transition"),
        (412, "Stale If-Match"),
        (413, "Too large"),
        (415, "Not JSON"),
        (422, "Unprocessable"),
        (428, "If-Match missing"),
    ):
        out[str(code)] = {"description": text, "content": _json(OUTCOME)}
    return out


def _str_param(name: str, where: str = "query", doc: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": doc, "schema": {"type": "string"}}


IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": 'The version read, e.g. W/"3"',
    "schema": {"type": "string"},
}
RID = _str_param("id", "path", "Logical id", required=True)
PARAMETERS_BODY = {"required": False, "content": _json({"$ref": "#/components/schemas/Parameters"})}


def openapi(base_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name, rdef in sorted(DEFS.items()):
        params = [_str_param(p.name, doc=p.doc) for p in rdef.params.values()]
        params += [
            {"name": "_count", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
            {
                "name": "_sort",
                "in": "query",
                "schema": {"type": "string", "enum": sorted({*rdef.sorts, *(f"-{s}" for s in rdef.sorts)})},
            },
            {"name": "_total", "in": "query", "schema": {"type": "string", "enum": ["none", "estimate", "accurate"]}},
        ]
        if rdef.includes:
            params.append(
                {
                    "name": "_include",
                    "in": "query",
                    "schema": {"type": "string", "enum": [f"{name}:{i}" for i in rdef.includes]},
                }
            )
        paths[f"/fhir/{name}"] = {
            "get": {
                "operationId": f"search{name}",
                "summary": f"Search {name}",
                "parameters": params,
                "responses": _responses(schema=BUNDLE),
            }
        }
        paths[f"/fhir/{name}/{{id}}"] = {
            "get": {"operationId": f"read{name}", "parameters": [RID], "responses": _responses()}
        }
        if "history-instance" in rdef.interactions:
            paths[f"/fhir/{name}/{{id}}/_history"] = {
                "get": {"operationId": f"history{name}", "parameters": [RID], "responses": _responses(schema=BUNDLE)}
            }
        if "vread" in rdef.interactions:
            paths[f"/fhir/{name}/{{id}}/_history/{{vid}}"] = {
                "get": {
                    "operationId": f"vread{name}",
                    "parameters": [RID, _str_param("vid", "path", required=True)],
                    "responses": _responses(),
                }
            }
    paths["/fhir/Communication"]["post"] = {
        "operationId": "createDraft",
        "summary": "Create a reply draft (status preparation)",
        "requestBody": {"required": True, "content": _json(RESOURCE)},
        "responses": _responses(201),
    }
    paths["/fhir/Communication/{id}"]["put"] = {
        "operationId": "updateDraft",
        "parameters": [RID, IF_MATCH],
        "requestBody": {"required": True, "content": _json(RESOURCE)},
        "responses": _responses(),
    }
    paths["/fhir/DocumentReference"]["post"] = {
        "operationId": "createLibraryDocument",
        "summary": "Add a document to a service's library (the bytes in content.attachment.data, base64)",
        "requestBody": {"required": True, "content": _json(RESOURCE)},
        "responses": _responses(201),
    }
    paths["/fhir/DocumentReference/{id}"]["put"] = {
        "operationId": "updateLibraryDocument",
        "summary": "Change or retire (status superseded) a library document",
        "parameters": [RID, IF_MATCH],
        "requestBody": {"required": True, "content": _json(RESOURCE)},
        "responses": _responses(),
    }
    for op, doc in OPERATIONS.items():
        if op in READ_OPERATIONS:
            paths[f"/fhir/Task/{{id}}/${op}"] = {
                "get": {
                    "operationId": f"task_{op}".replace("-", "_"),
                    "description": doc,
                    "parameters": [RID],
                    "responses": _responses(schema={"type": "object"}),
                }
            }
            continue
        paths[f"/fhir/Task/{{id}}/${op}"] = {
            "post": {
                "operationId": f"task_{op}".replace("-", "_"),
                "description": doc,
                "parameters": [RID, IF_MATCH],
                "requestBody": PARAMETERS_BODY,
                "responses": _responses(),
            }
        }
    for op, doc in PATIENT_OPERATIONS.items():
        paths[f"/fhir/Patient/{{id}}/${op}"] = {
            "post": {
                "operationId": f"patient_{op}".replace("-", "_"),
                "description": doc,
                "parameters": [RID],
                "requestBody": PARAMETERS_BODY,
                "responses": _responses(),
            }
        }
    for op, doc in TASK_TYPE_OPERATIONS.items():
        paths[f"/fhir/Task/${op}"] = {
            "post": {
                "operationId": f"task_type_{op}".replace("-", "_"),
                "description": doc,
                "requestBody": {"required": True, "content": _json({"$ref": "#/components/schemas/Parameters"})},
                "responses": _responses(201 if op == "phone-message" else 200),
            }
        }
    for op, doc in PRACTITIONER_OPERATIONS.items():
        paths[f"/fhir/Practitioner/{{id}}/${op}"] = {
            "post": {
                "operationId": f"practitioner_{op}".replace("-", "_"),
                "description": doc,
                "parameters": [RID],
                "requestBody": {"required": True, "content": _json({"$ref": "#/components/schemas/Parameters"})},
                "responses": _responses(),
            }
        }
    paths["/fhir"] = {
        "post": {
            "operationId": "batch",
            "description": "A FHIR batch Bundle of Task operations (docs/api.md, Batch): "
            "each entry decided on its own; the answer is a batch-response Bundle.",
            "requestBody": {"required": True, "content": _json(BUNDLE)},
            "responses": _responses(schema=BUNDLE),
        }
    }
    for op in ("whoami", "pools", "queues", "notifications"):
        paths[f"/fhir/${op}"] = {"get": {"operationId": op, "responses": _responses(schema={"type": "object"})}}
    paths["/fhir/metadata"] = {
        "get": {"operationId": "capabilities", "security": [], "responses": _responses(schema=RESOURCE)}
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "HelsaMi portal API (FHIR R4 subset)",
            "version": __version__,
            "description": "Generated from the same registry as /fhir/metadata. See docs/api.md.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Resource": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"}},
                },
                "Bundle": {
                    "type": "object",
                    "required": ["resourceType", "type"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Bundle"]},
                        "type": {"type": "string"},
                        "entry": {"type": "array"},
                    },
                },
                "OperationOutcome": {
                    "type": "object",
                    "required": ["resourceType", "issue"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                        "issue": {"type": "array", "minItems": 1},
                    },
                },
                "Parameters": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Parameters"]},
                        "parameter": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "valueString": {"type": "string"},
                                    "valueReference": {
                                        "type": "object",
                                        "properties": {"reference": {"type": "string"}},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    }
