"""The FHIR REST interactions: capability, search, read, vread, history, create and update."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..auth.principal import Principal
from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..workflow import drafts, library, patient_side, reads
from . import conformance
from .capability import capability_statement
from .deps import as_principal, etag, fhir, fhir_base, portal_of, principal, read_json, rid_of, rtype_of
from .openapi import openapi


def bundle(
    request: Request,
    rtype: str,
    page: Any,
    included: list[dict[str, Any]],
    items: list[tuple[str, str]],
    elements: list[str] | None = None,
) -> dict[str, Any]:
    base = fhir_base(request)
    # The next page leaves out _total: the total is the first page's, not counted again per page.
    kept = [(k, v) for k, v in items if k not in ("_cursor", "_total")]
    links = [{"relation": "self", "url": f"{base}/{rtype}?{urlencode(items)}"}]
    if page.next_cursor:
        links.append({"relation": "next", "url": f"{base}/{rtype}?{urlencode(kept + [('_cursor', page.next_cursor)])}"})
    b: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": uuid.uuid4().hex,
        "type": "searchset",
        "timestamp": timeutil.instant(),
        "link": links,
    }
    if page.total is not None:
        b["total"] = page.total
    b["entry"] = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": conformance.subset(r, elements),
            "search": {"mode": "match"},
        }
        for r in page.rows
    ] + [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "outcome" if r["resourceType"] == "OperationOutcome" else "include"},
        }
        for r in included
    ]
    return b


# -- FHIR routes --------------------------------------------------------------------------------


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi(portal_of(request).settings.issuer.rstrip("/")))


async def metadata(request: Request) -> Response:
    return fhir(capability_statement(fhir_base(request), timeutil.instant()))


async def search(request: Request) -> Response:
    rtype = rtype_of(request)
    store = portal_of(request).store

    def run(p: Principal) -> Any:
        items, ignored = conformance.handling(request, rtype, list(request.query_params.multi_items()))
        page, included, q = reads.search(store, p, rtype, items)
        return bundle(request, rtype, page, included + ignored, items, q.elements)

    return fhir(await as_principal(request, run))


async def search_post(request: Request) -> Response:
    # POST /fhir/{type}/_search with form parameters, as FHIR allows.
    rtype = rtype_of(request)
    p = await principal(request)
    form = await request.form()
    items = list(request.query_params.multi_items()) + [(k, str(v)) for k, v in form.multi_items()]
    items, ignored = conformance.handling(request, rtype, items)
    page, included, q = await run_in_threadpool(reads.search, portal_of(request).store, p, rtype, items)
    return fhir(bundle(request, rtype, page, included + ignored, items, q.elements))


async def read(request: Request) -> Response:
    rtype, rid = rtype_of(request), rid_of(request)
    store = portal_of(request).store
    r = await as_principal(request, lambda p: reads.read(store, p, rtype, rid))
    return fhir(r, headers=etag(r))


async def vread(request: Request) -> Response:
    rtype, rid = rtype_of(request), rid_of(request)
    vid = request.path_params["vid"]
    if not (vid.isascii() and vid.isdigit() and len(vid) <= 18):
        raise FhirError(
            400, "A version id is a whole number.", reason="invalid-parameter", args={"name": "vid"}, expression="vid"
        )
    p = await principal(request)
    r = await run_in_threadpool(reads.vread, portal_of(request).store, p, rtype, rid, int(vid))
    return fhir(r, headers=etag(r))


async def history(request: Request) -> Response:
    rtype, rid = rtype_of(request), rid_of(request)
    p = await principal(request)
    versions = await run_in_threadpool(reads.history, portal_of(request).store, p, rtype, rid)
    base = fhir_base(request)
    shown = [r for r in versions if r["resourceType"] == rtype]
    notes = [r for r in versions if r["resourceType"] == "OperationOutcome"]  # some versions withheld
    return fhir(
        {
            "resourceType": "Bundle",
            "type": "history",
            "total": len(shown),
            "link": [{"relation": "self", "url": f"{base}/{rtype}/{rid}/_history"}],
            "entry": [
                {
                    "fullUrl": f"{base}/{rtype}/{rid}",
                    "resource": r,
                    "request": {"method": "POST" if r["meta"]["versionId"] == "1" else "PUT", "url": f"{rtype}/{rid}"},
                    # bdl-4: a history entry says what happened to that version
                    "response": {
                        "status": "201 Created" if r["meta"]["versionId"] == "1" else "200 OK",
                        "etag": f'W/"{r["meta"]["versionId"]}"',
                        **({"lastModified": r["meta"]["lastUpdated"]} if r["meta"].get("lastUpdated") else {}),
                    },
                }
                for r in shown
            ]
            + [{"resource": r, "search": {"mode": "outcome"}} for r in notes],
        }
    )


async def create(request: Request) -> Response:
    rtype = rtype_of(request)
    p = await principal(request)
    body = await read_json(request)
    assert body is not None
    if body.get("resourceType") != rtype:
        raise FhirError(
            400,
            f"The body's resourceType ({str(body.get('resourceType'))[:40]!r}) does not match the address ({rtype}).",
            expression="resourceType",
            reason="resource-type-mismatch",
            args={"expected": rtype},
        )
    if rtype == "DocumentReference":  # a library document (workflow.library), the bytes in the attachment
        r, created = await run_in_threadpool(library.create, portal_of(request).store, p, body), True
    else:
        r, created = await run_in_threadpool(
            patient_side.staff_create, portal_of(request).store, p, body, request.headers.get("if-none-exist")
        )
    location = f"{fhir_base(request)}/{rtype}/{r['id']}/_history/{r['meta']['versionId']}"
    return conformance.prefer_return(request, r, 201 if created else 200, {**etag(r), "Location": location})


async def update(request: Request) -> Response:
    """PUT: reply drafts and library documents can be changed directly; everything else changes through
    operations."""
    rtype, rid = rtype_of(request), rid_of(request)
    p = await principal(request)
    if rtype == "DocumentReference":
        body = await read_json(request)
        assert body is not None
        r = await run_in_threadpool(
            library.update, portal_of(request).store, p, rid, body, request.headers.get("if-match")
        )
        return conformance.prefer_return(request, r, 200, etag(r))
    if rtype != "Communication":
        raise FhirError(
            405,
            f"{rtype} cannot be changed directly; use the operations in /fhir/metadata.",
            code="not-supported",
            reason="not-changeable",
            args={"type": rtype},
        )
    body = await read_json(request)
    assert body is not None
    r = await run_in_threadpool(drafts.update, portal_of(request).store, p, rid, body, request.headers.get("if-match"))
    return conformance.prefer_return(request, r, 200, etag(r))


async def not_found(request: Request) -> Response:
    raise FhirError(404, "There is nothing at this address.", code="not-found", reason="no-such-address")
