"""What generic FHIR clients look for besides the data: the OperationDefinitions the
CapabilityStatement names, SMART discovery, content negotiation (JSON only: anything else is 406)
and HTTP dates in Last-Modified."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..fhir import narrative, timeutil
from ..fhir.outcome import FhirError, outcome
from ..fhir.registry import COMMON_CONTROL_PARAMS, DEFS
from ..workflow import task_ops
from . import capability

FHIR_JSON = "application/fhir+json"

# In-parameters of each operation: (name, FHIR type, min, max).
_P = tuple[str, str, int, str]
PARAMETERS: dict[str, list[_P]] = {
    "complete": [("note", "string", 0, "1")],
    "forward": [("target", "Reference", 1, "1"), ("note", "string", 0, "1")],
    "reply": [("text", "string", 1, "1"), ("messageId", "string", 0, "1")],
    "approve": [("acknowledge", "code", 0, "*"), ("comment", "string", 0, "1")],
    "deny": [("reason", "string", 1, "1")],
    "pend": [("target", "Reference", 1, "1"), ("note", "string", 0, "1")],
    "ask-info": [("text", "string", 1, "1")],
    "release": [("comment", "string", 0, "1")],
    "mark-reviewed": [("note", "string", 0, "1")],
    "confirm-appointment": [
        ("start", "dateTime", 1, "1"),
        ("end", "dateTime", 0, "1"),
        ("minutes", "integer", 0, "1"),
        ("comment", "string", 0, "1"),
    ],
    "propose-appointment": [
        ("start", "dateTime", 1, "1"),
        ("end", "dateTime", 0, "1"),
        ("minutes", "integer", 0, "1"),
        ("comment", "string", 0, "1"),
    ],
    "decline-appointment": [("reason", "string", 1, "1")],
    "claim-next": [("pool", "Reference", 1, "1")],
    "phone-message": [
        ("patient", "Reference", 1, "1"),
        ("inbox", "Reference", 0, "1"),
        ("practitioner", "Reference", 0, "1"),
        ("subject", "string", 0, "1"),
        ("text", "string", 1, "1"),
        ("messageId", "string", 0, "1"),
    ],
    "absence": [("away", "boolean", 1, "1"), ("delegate", "Reference", 0, "1")],
    "break-the-glass": [("reason", "string", 1, "1")],
}


def _definitions(base: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def add(oid: str, code: str, doc: str, *, resource: str | None, instance: bool, affects: bool) -> None:
        od: dict[str, Any] = {
            "resourceType": "OperationDefinition",
            "id": oid,
            "url": f"{base}/OperationDefinition/{oid}",
            "version": __version__,
            "name": "".join(p.capitalize() for p in oid.split("-")),
            "title": f"${code}",
            "status": "active",
            "kind": "operation",
            "affectsState": affects,
            "code": code,
            "description": doc,
            "system": resource is None,
            "type": resource is not None and not instance,
            "instance": instance,
        }
        if resource:
            od["resource"] = [resource]
        params = [
            {"name": n, "use": "in", "min": lo, "max": hi, "type": t} for n, t, lo, hi in PARAMETERS.get(code, [])
        ]
        if params:
            od["parameter"] = params
        out[oid] = narrative.finish(od)

    reads = set(task_ops.READ_OPERATIONS)
    for op, doc in capability.OPERATIONS.items():
        add(f"Task-{op}", op, doc, resource="Task", instance=True, affects=op not in reads)
    for op, doc in capability.TASK_TYPE_OPERATIONS.items():
        add(f"Task-{op}", op, doc, resource="Task", instance=False, affects=True)
    for op, doc in capability.PRACTITIONER_OPERATIONS.items():
        add(f"Practitioner-{op}", op, doc, resource="Practitioner", instance=True, affects=True)
    for op, doc in capability.PATIENT_OPERATIONS.items():
        add(f"Patient-{op}", op, doc, resource="Patient", instance=True, affects=True)
    for op, doc in capability.SYSTEM_OPERATIONS.items():
        add(op, op, doc, resource=None, instance=False, affects=False)
    return out


def _base(request: Request) -> str:
    return str(request.app.state.portal.settings.issuer).rstrip("/") + "/fhir"


def _json(content: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(content, ensure_ascii=False, separators=(",", ":")), status_code=status, media_type=FHIR_JSON
    )


async def operation_definition(request: Request) -> Response:
    oid = request.path_params["rid"]
    od = _definitions(_base(request)).get(oid)
    if od is None:
        raise FhirError(
            404,
            f"There is no OperationDefinition '{oid[:60]}'.",
            reason="not-found",
            args={"item": f"OperationDefinition/{oid[:60]}"},
        )
    return _json(od)


async def operation_definitions(request: Request) -> Response:
    base = _base(request)
    defs = list(_definitions(base).values())
    return _json(
        {
            "resourceType": "Bundle",
            "id": uuid.uuid4().hex,
            "type": "searchset",
            "total": len(defs),
            "timestamp": timeutil.instant(),
            "link": [{"relation": "self", "url": f"{base}/OperationDefinition"}],
            "entry": [{"fullUrl": od["url"], "resource": od, "search": {"mode": "match"}} for od in defs],
        }
    )


async def smart_configuration(request: Request) -> Response:
    """SMART App Launch discovery (v2): where the token endpoint is and what the portal supports."""
    iss = str(request.app.state.portal.settings.issuer).rstrip("/")
    return JSONResponse(
        {
            "issuer": iss,
            "jwks_uri": f"{iss}/oauth/jwks",
            "token_endpoint": f"{iss}/oauth/token",
            "device_authorization_endpoint": f"{iss}/oauth/device_authorization",
            "revocation_endpoint": f"{iss}/oauth/revoke",
            "grant_types_supported": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "helsami"],
            "response_types_supported": ["token"],
            "capabilities": ["client-public", "permission-offline"],
            "code_challenge_methods_supported": [],
        },
        headers={"Cache-Control": "max-age=300"},
    )


def routes() -> list[Route]:
    return [
        Route("/.well-known/smart-configuration", smart_configuration, methods=["GET"]),
        Route("/fhir/.well-known/smart-configuration", smart_configuration, methods=["GET"]),
        Route("/fhir/OperationDefinition", operation_definitions, methods=["GET"]),
        Route("/fhir/OperationDefinition/{rid}", operation_definition, methods=["GET"]),
    ]


# -- content negotiation -------------------------------------------------------------------------

_JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}


def _accepts_json(accept: str) -> bool:
    """True when the Accept header allows JSON (or anything); q=0 excludes a type."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = [x.strip() for x in part.split(";")]
        q = next((p.split("=", 1)[1] for p in params if p.startswith("q=")), "1")
        try:
            if float(q) <= 0:
                continue
        except ValueError:
            continue
        media = media.lower()
        if media in ("*/*", "application/*") or media in _JSON_FORMATS:
            return True
    return False


class NegotiationMiddleware:
    """`_format` and `Accept` on /fhir: this server speaks JSON; a request for only XML or Turtle
    gets 406 with an OperationOutcome (in JSON, the one format it has), not a 200 in JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        # The event stream answers text/event-stream, which its clients ask for.
        if scope["type"] == "http" and path.startswith("/fhir") and path != "/fhir/$events":
            query = scope.get("query_string", b"").decode("latin-1")
            formats = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "_format"]
            accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
            wanted = formats[-1].strip().lower() if formats else None
            if wanted is not None and wanted not in _JSON_FORMATS:
                await _refuse(scope, receive, send, f"_format={wanted[:40]}")
                return
            if wanted is None and not _accepts_json(accept):
                await _refuse(scope, receive, send, f"Accept: {accept[:60]}")
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, asked: str) -> None:
    err = FhirError(
        406,
        f"This server answers in JSON (application/fhir+json) only; {asked} cannot be served.",
        code="not-supported",
        reason="format-not-supported",
        args={"asked": asked},
    )
    await _json(err.to_fhir(), 406)(scope, receive, send)


def http_date(instant: str) -> str:
    """A FHIR instant as an HTTP date (RFC 9110 IMF-fixdate), for Last-Modified."""
    when = dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(dt.UTC)
    return email.utils.format_datetime(when, usegmt=True)


# -- Prefer (RFC 7240 as FHIR uses it) -----------------------------------------------------------


def prefer(request: Request, name: str) -> str | None:
    """The value of one preference in the Prefer header(s), e.g. prefer(request, "return")."""
    for header in request.headers.getlist("prefer"):
        for token in header.replace(";", ",").split(","):
            key, _, value = token.strip().partition("=")
            if key.strip().lower() == name:
                return value.strip().strip('"').lower()
    return None


def handling(
    request: Request, rtype: str, items: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """`Prefer: handling=lenient`: unknown search parameters are left out (and named in an
    OperationOutcome entry, and absent from the self link) instead of answered with 400.
    The default, and `handling=strict`, refuse them."""
    if prefer(request, "handling") != "lenient":
        return items, []
    known = set(DEFS[rtype].params) | set(COMMON_CONTROL_PARAMS)
    kept = [(k, v) for k, v in items if k.partition(":")[0] in known]
    ignored = sorted({k[:64] for k, _ in items if k.partition(":")[0] not in known})
    if not ignored:
        return kept, []
    note = {
        "resourceType": "OperationOutcome",
        "id": uuid.uuid4().hex,
        "issue": [
            {
                "severity": "warning",
                "code": "not-supported",
                "diagnostics": "Search parameters not supported and ignored (Prefer: handling=lenient): "
                + ", ".join(ignored)
                + ".",
            }
        ],
    }
    return kept, [note]


def prefer_return(request: Request, resource: dict[str, Any], status: int, headers: dict[str, str]) -> Response:
    """`Prefer: return=minimal | representation | OperationOutcome` on create and update."""
    want = prefer(request, "return")
    if want == "minimal":
        return Response(status_code=status, headers=headers)
    if want == "operationoutcome":
        body = outcome(
            f"{resource['resourceType']}/{resource['id']} version {resource['meta']['versionId']} "
            f"{'created' if status == 201 else 'updated'}.",
            code="informational",
        )
        return Response(
            json.dumps(body, separators=(",", ":")), status_code=status, headers=headers, media_type=FHIR_JSON
        )
    return Response(
        json.dumps(resource, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type=FHIR_JSON,
    )


SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
_ALWAYS = ("resourceType", "id", "meta")


def subset(resource: dict[str, Any], elements: list[str] | None) -> dict[str, Any]:
    """`_elements`: only the named top-level elements (plus id and meta), tagged SUBSETTED."""
    if not elements:
        return resource
    wanted = set(elements) | set(_ALWAYS)
    out = {k: v for k, v in resource.items() if k in wanted}
    meta = dict(out.get("meta") or {})
    meta["tag"] = [*(meta.get("tag") or []), SUBSETTED]
    out["meta"] = meta
    return out
