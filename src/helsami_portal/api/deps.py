"""Request plumbing the routes share: the portal of a request, the signed-in principal, the body
read within its limits, path parameters and operation parameters, FHIR JSON responses and ETags.

Every route module imports this one; it imports no route (as the FastAPI template's `deps.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..auth.principal import Principal
from ..fhir.outcome import FhirError
from ..fhir.registry import DEFS
from ..store.store import Stored
from . import conformance
from .bodies import parse_json
from .portal import Portal

FHIR_JSON = "application/fhir+json"


def _passthrough(obj: Any) -> Any:
    """orjson's hook for subclasses: a resource as stored goes out as its stored JSON text."""
    if isinstance(obj, Stored):
        return orjson.Fragment(obj.raw) if obj.raw is not None else dict(obj)
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, list):
        return list(obj)
    raise TypeError(type(obj).__name__)


def encode(content: Any) -> bytes:
    """JSON for the wire: orjson, with stored resources spliced in as they are stored; the standard
    library for what orjson refuses (the same content, or the same error)."""
    try:
        return orjson.dumps(content, default=_passthrough, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return encode(content)


_LISTS = {"Bundle": ("entry", "link"), "Parameters": ("parameter",)}


def without_empty_lists(content: Any) -> Any:
    """FHIR JSON has no empty arrays: a Bundle without entries or links leaves `entry` and `link` out,
    a Parameters without parameters (an empty `$route-suggestion`) `parameter`."""
    keys = _LISTS.get(content.get("resourceType", "")) if isinstance(content, dict) else None
    if keys:
        return {k: v for k, v in content.items() if not (k in keys and v == [])}
    return content


def fhir(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> FhirResponse:
    return FhirResponse(without_empty_lists(content), status_code=status, headers=headers)


def etag(r: dict[str, Any]) -> dict[str, str]:
    meta = r.get("meta") or {}
    h = {"ETag": f'W/"{meta.get("versionId", "1")}"'}
    if meta.get("lastUpdated"):
        h["Last-Modified"] = conformance.http_date(str(meta["lastUpdated"]))  # an HTTP date, not FHIR's
    return h


def portal_of(request: Request) -> Portal:
    return request.app.state.portal  # type: ignore[no-any-return]


async def principal(request: Request) -> Principal:
    p = portal_of(request)
    who = await run_in_threadpool(p.authenticate, request)
    request.state.who = who.ref  # for the log line of a refused request (ids only)
    request.state.principal = who  # for the access decision on a resource in an error body
    return who


async def as_principal(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(principal, *args)` for the signed-in caller, with the sign-in check in the same worker
    thread (one hop off the event loop per request)."""
    portal = portal_of(request)

    def run() -> Any:
        who = portal.authenticate(request)
        request.state.who = who.ref
        request.state.principal = who
        return fn(who, *args)

    return await run_in_threadpool(run)


async def read_json(request: Request, *, required: bool = True) -> dict[str, Any] | None:
    # The size limit is enforced in front of every route (api.guard.Guard) as the body streams.
    body = await request.body()
    if not body.strip():
        if required:
            raise FhirError(400, "The request needs a JSON body.", reason="body-required")
        return None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype not in ("application/fhir+json", "application/json", "application/json+fhir"):
        raise FhirError(415, f"Send JSON (application/fhir+json), not {ctype[:60]}.", reason="unsupported-media-type")
    data = parse_json(body, max_depth=portal_of(request).settings.max_json_depth)
    if not isinstance(data, dict):
        raise FhirError(400, "The body must be a JSON object (a FHIR resource).", reason="body-not-object")
    return data


def rtype_of(request: Request) -> str:
    rtype: str = request.path_params["rtype"]
    if rtype not in DEFS:
        raise FhirError(
            404,
            f"This server does not support the resource type '{rtype[:60]}'. See /fhir/metadata for those it does.",
            code="not-supported",
            reason="resource-type-unsupported",
            args={"type": rtype[:60]},
        )
    return rtype


def rid_of(request: Request) -> str:
    rid: str = request.path_params["rid"]
    if not (1 <= len(rid) <= 64) or not all(ch.isalnum() or ch in "-." for ch in rid):
        raise FhirError(400, "That is not a valid resource id.", reason="invalid-id")
    return rid


def fhir_base(request: Request) -> str:
    return portal_of(request).settings.issuer.rstrip("/") + "/fhir"


def param(params: dict[str, Any] | None, name: str) -> Any:
    if not params:
        return None
    if params.get("resourceType") != "Parameters":
        raise FhirError(400, "The body of an operation must be a Parameters resource.", reason="body-not-parameters")
    given = params.get("parameter") or []
    if not isinstance(given, list):  # Parameters.parameter is a list (a number or an object is no body)
        raise FhirError(400, "The body of an operation must be a Parameters resource.", reason="body-not-parameters")
    for prm in given:
        if isinstance(prm, dict) and prm.get("name") == name:
            for key, value in prm.items():
                if key.startswith("value"):
                    return value
    return None


def text_of(v: Any) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise FhirError(400, "Expected a text value.", reason="parameter-not-text")
    return v
