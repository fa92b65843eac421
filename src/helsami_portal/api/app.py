"""The ASGI application: FHIR routes, the event stream, sign-in, error handling."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
import uuid
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..auth.principal import Principal, load_staff
from ..auth.tokens import TokenService
from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import DEFS
from ..store.store import Store
from ..workflow import inbox, patient_side, reads, support, task_ops
from . import auth_routes, events, patient_routes
from .capability import OPERATIONS, capability_statement
from .settings import Settings

log = logging.getLogger("helsami_portal.api")
FHIR_JSON = "application/fhir+json"


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fhir(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> FhirResponse:
    return FhirResponse(content, status_code=status, headers=headers)


def etag(r: dict[str, Any]) -> dict[str, str]:
    meta = r.get("meta") or {}
    h = {"ETag": f'W/"{meta.get("versionId", "1")}"'}
    if meta.get("lastUpdated"):
        h["Last-Modified"] = str(meta["lastUpdated"])
    return h


class Portal:
    """Shared state of one portal process."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.tokens = TokenService(store, settings.issuer)
        self.events = events.EventHub(store)
        from ..workflow import routing
        # The routing table is checked against this database now: a bad one stops the start.
        self.routing = routing.install(store, routing.load_for(store, settings.routing_file))

    async def start_jobs(self) -> list[Any]:
        """Background jobs of this process (the safety net), unless `run_jobs` is off."""
        if not self.settings.run_jobs:
            return []
        import asyncio

        from ..jobs import JobRunner
        self.jobs = JobRunner(self.store, interval=self.settings.job_interval)
        return [asyncio.create_task(self.jobs.run_async(), name="helsami-jobs")]

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise FhirError(401, "Sign in first: this request needs an access token (Authorization: Bearer ...).",
                            code="login", headers={"WWW-Authenticate": 'Bearer realm="helsami"'})
        with self.store.read() as tx:
            claims = auth_routes.verify_any(self, tx, token.strip())
            kind, res = claims.kind, claims.resource
            if kind == "staff" and res.startswith("Practitioner/"):
                return load_staff(tx, res.split("/", 1)[1], username=claims.username, session_id=claims.session_id)
            if kind == "patient" and res.split("/", 1)[0] in ("Patient", "RelatedPerson"):
                return Principal("patient", res, claims.username, str(claims.claims.get("name", "")),
                                 session_id=claims.session_id)
        raise FhirError(401, "The access token does not name a known user.", code="login")


def portal_of(request: Request) -> Portal:
    return request.app.state.portal  # type: ignore[no-any-return]


async def principal(request: Request) -> Principal:
    p = portal_of(request)
    who = await run_in_threadpool(p.authenticate, request)
    request.state.who = who.ref  # for the log line of a refused request (ids only)
    return who


async def read_json(request: Request, *, required: bool = True) -> dict[str, Any] | None:
    limit = portal_of(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FhirError(413, f"The request body is too large (at most {limit} bytes).")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FhirError(413, f"The request body is too large (at most {limit} bytes).")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        if required:
            raise FhirError(400, "The request needs a JSON body.")
        return None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype and ctype not in ("application/fhir+json", "application/json", "application/json+fhir"):
        raise FhirError(415, f"Send JSON (application/fhir+json), not {ctype[:60]}.")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise FhirError(400, "The body is not UTF-8 text.") from None
    except json.JSONDecodeError as e:
        raise FhirError(400, f"The body is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}).") from None
    except RecursionError:
        raise FhirError(400, "The body is nested too deeply.") from None
    if not isinstance(data, dict):
        raise FhirError(400, "The body must be a JSON object (a FHIR resource).")
    return data


def _rtype(request: Request) -> str:
    rtype = request.path_params["rtype"]
    if rtype not in DEFS:
        raise FhirError(404, f"This server does not support the resource type '{rtype[:60]}'. "
                             "See /fhir/metadata for those it does.", code="not-supported")
    return rtype


def _rid(request: Request) -> str:
    rid = request.path_params["rid"]
    if not (1 <= len(rid) <= 64) or not all(ch.isalnum() or ch in "-." for ch in rid):
        raise FhirError(400, "That is not a valid resource id.")
    return rid


def _base(request: Request) -> str:
    return portal_of(request).settings.issuer.rstrip("/") + "/fhir"


def bundle(request: Request, rtype: str, page: Any, included: list[dict[str, Any]],
           items: list[tuple[str, str]]) -> dict[str, Any]:
    base = _base(request)
    kept = [(k, v) for k, v in items if k != "_cursor"]
    links = [{"relation": "self", "url": f"{base}/{rtype}?{urlencode(items)}"}]
    if page.next_cursor:
        links.append({"relation": "next", "url": f"{base}/{rtype}?{urlencode(kept + [('_cursor', page.next_cursor)])}"})
    b: dict[str, Any] = {"resourceType": "Bundle", "id": uuid.uuid4().hex, "type": "searchset",
                         "timestamp": timeutil.instant(), "link": links}
    if page.total is not None:
        b["total"] = page.total
    b["entry"] = [
        {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
        for r in page.rows
    ] + [
        {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
         "search": {"mode": "outcome" if r["resourceType"] == "OperationOutcome" else "include"}}
        for r in included
    ]
    return b


# -- FHIR routes --------------------------------------------------------------------------------

async def openapi_json(request: Request) -> Response:
    from .openapi import openapi
    return JSONResponse(openapi(portal_of(request).settings.issuer.rstrip("/")))


async def metadata(request: Request) -> Response:
    return fhir(capability_statement(_base(request), timeutil.instant()))


async def search(request: Request) -> Response:
    rtype = _rtype(request)
    p = await principal(request)
    items = list(request.query_params.multi_items())
    page, included, _ = await run_in_threadpool(reads.search, portal_of(request).store, p, rtype, items)
    return fhir(bundle(request, rtype, page, included, items))


async def search_post(request: Request) -> Response:
    # POST /fhir/{type}/_search with form parameters, as FHIR allows.
    rtype = _rtype(request)
    p = await principal(request)
    form = await request.form()
    items = list(request.query_params.multi_items()) + [(k, str(v)) for k, v in form.multi_items()]
    page, included, _ = await run_in_threadpool(reads.search, portal_of(request).store, p, rtype, items)
    return fhir(bundle(request, rtype, page, included, items))


async def read(request: Request) -> Response:
    rtype, rid = _rtype(request), _rid(request)
    p = await principal(request)
    r = await run_in_threadpool(reads.read, portal_of(request).store, p, rtype, rid)
    return fhir(r, headers=etag(r))


async def vread(request: Request) -> Response:
    rtype, rid = _rtype(request), _rid(request)
    vid = request.path_params["vid"]
    if not vid.isdigit():
        raise FhirError(400, "A version id is a whole number.")
    p = await principal(request)
    r = await run_in_threadpool(reads.vread, portal_of(request).store, p, rtype, rid, int(vid))
    return fhir(r, headers=etag(r))


async def history(request: Request) -> Response:
    rtype, rid = _rtype(request), _rid(request)
    p = await principal(request)
    versions = await run_in_threadpool(reads.history, portal_of(request).store, p, rtype, rid)
    base = _base(request)
    return fhir({
        "resourceType": "Bundle", "type": "history", "total": len(versions),
        "link": [{"relation": "self", "url": f"{base}/{rtype}/{rid}/_history"}],
        "entry": [{"fullUrl": f"{base}/{rtype}/{rid}", "resource": r,
                   "request": {"method": "POST" if r["meta"]["versionId"] == "1" else "PUT",
                               "url": f"{rtype}/{rid}"}} for r in versions],
    })


async def create(request: Request) -> Response:
    rtype = _rtype(request)
    p = await principal(request)
    body = await read_json(request)
    assert body is not None
    if body.get("resourceType") != rtype:
        raise FhirError(400, f"The body's resourceType ({str(body.get('resourceType'))[:40]!r}) does not match "
                             f"the address ({rtype}).", expression="resourceType")
    r = await run_in_threadpool(patient_side.staff_create, portal_of(request).store, p, body,
                                request.headers.get("if-none-exist"))
    return fhir(r, status=201, headers={**etag(r), "Location": f"{_base(request)}/{rtype}/{r['id']}/_history/"
                                                               f"{r['meta']['versionId']}"})


async def update(request: Request) -> Response:
    """PUT: only reply drafts can be changed directly; everything else changes through operations."""
    from ..workflow import drafts

    rtype, rid = _rtype(request), _rid(request)
    p = await principal(request)
    if rtype != "Communication":
        raise FhirError(405, f"{rtype} cannot be changed directly; use the operations in /fhir/metadata.",
                        code="not-supported")
    body = await read_json(request)
    assert body is not None
    r = await run_in_threadpool(drafts.update, portal_of(request).store, p, rid, body,
                                request.headers.get("if-match"))
    return fhir(r, headers=etag(r))


def _param(params: dict[str, Any] | None, name: str) -> Any:
    if not params:
        return None
    if params.get("resourceType") != "Parameters":
        raise FhirError(400, "The body of an operation must be a Parameters resource.")
    for prm in params.get("parameter") or []:
        if isinstance(prm, dict) and prm.get("name") == name:
            for key, value in prm.items():
                if key.startswith("value"):
                    return value
    return None


async def task_operation(request: Request) -> Response:
    rid = _rid(request)
    op = request.path_params["op"]
    if op not in OPERATIONS:
        raise FhirError(404, f"Task has no operation ${op[:40]}. Operations: "
                             + ", ".join(f"${o}" for o in OPERATIONS) + ".", code="not-supported")
    p = await principal(request)
    params = await read_json(request, required=False)
    store = portal_of(request).store
    if_match = request.headers.get("if-match")
    if op == "claim":
        t = await run_in_threadpool(inbox.claim, store, p, rid, if_match)
    elif op == "unclaim":
        t = await run_in_threadpool(inbox.unclaim, store, p, rid, if_match)
    elif op == "complete":
        t = await run_in_threadpool(inbox.complete, store, p, rid, if_match, _str(_param(params, "note")))
    elif op == "forward":
        target = _param(params, "target")
        target_ref = target.get("reference") if isinstance(target, dict) else target
        t = await run_in_threadpool(inbox.forward, store, p, rid, if_match, _str(target_ref),
                                    _str(_param(params, "note")))
    elif op == "reply":
        t, msg = await run_in_threadpool(inbox.reply, store, p, rid, if_match, _str(_param(params, "text")),
                                         _str(_param(params, "messageId")))
        return fhir({"resourceType": "Parameters", "parameter": [
            {"name": "task", "resource": t}, {"name": "message", "resource": msg}]}, headers=etag(t))
    elif op in task_ops.OPERATIONS:  # decisions: renewals, results, questionnaires, appointments
        t, made = await run_in_threadpool(task_ops.run, store, p, rid, op, if_match, params)
        return fhir({"resourceType": "Parameters", "parameter": [{"name": "task", "resource": t}] + [
            {"name": r["resourceType"], "resource": r} for r in made]}, headers=etag(t))
    else:
        raise FhirError(405, f"${op} is read with GET.", code="not-supported")
    return fhir(t, headers=etag(t))


async def task_read_operation(request: Request) -> Response:
    rid, op = _rid(request), request.path_params["op"]
    p = await principal(request)
    return JSONResponse(await run_in_threadpool(task_ops.read, portal_of(request).store, p, rid, op))


def _str(v: Any) -> str:
    if v is None:
        return ""
    if not isinstance(v, str):
        raise FhirError(400, "Expected a text value.")
    return v


async def patient_operation(request: Request) -> Response:
    rid = _rid(request)
    if request.path_params["op"] != "break-the-glass":
        raise FhirError(404, "Patient has one operation: $break-the-glass.", code="not-supported")
    p = await principal(request)
    params = await read_json(request, required=False)
    result = await run_in_threadpool(reads.break_the_glass, portal_of(request).store, p, rid,
                                     _str(_param(params, "reason")))
    return fhir({"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueReference": {"reference": f"Patient/{result['patient']}"}},
        {"name": "expires", "valueInstant": result["expires"]}]})


async def phone_message(request: Request) -> Response:
    """POST /fhir/Task/$phone-message: register what a caller said on the phone."""
    from ..workflow import phone

    p = await principal(request)
    params = await read_json(request)
    values = {k: _param(params, k) for k in ("patient", "inbox", "practitioner", "subject", "text", "messageId")}
    out = await run_in_threadpool(phone.register, portal_of(request).store, p, values)
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "thread", "resource": out["thread"]}, {"name": "message", "resource": out["message"]}]
        + ([{"name": "task", "resource": out["task"]}] if out["task"] else [])}
    return fhir(body, status=200 if out["replayed"] else 201, headers=etag(out["task"]) if out["task"] else None)


async def practitioner_operation(request: Request) -> Response:
    """POST /fhir/Practitioner/{id}/$absence: the staff member marks themself away or back."""
    from ..workflow import absence

    rid = _rid(request)
    if request.path_params["op"] != "absence":
        raise FhirError(404, "Practitioner has one operation: $absence.", code="not-supported")
    p = await principal(request)
    params = await read_json(request)
    out = await run_in_threadpool(absence.set_absence, portal_of(request).store, p, rid,
                                  _param(params, "away"), _param(params, "delegate"))
    return fhir({"resourceType": "Parameters", "parameter": [
        {"name": "practitioner", "resource": out["practitioner"]},
        {"name": "moved", "valueInteger": len(out["moved"])},
        *[{"name": "task", "valueReference": {"reference": f"Task/{tid}"}} for tid in out["moved"]]]},
        headers=etag(out["practitioner"]))


async def queues(request: Request) -> Response:
    p = await principal(request)
    return JSONResponse(await run_in_threadpool(support.queues, portal_of(request).store, p))


async def pools(request: Request) -> Response:
    p = await principal(request)
    data = await run_in_threadpool(reads.pools_overview, portal_of(request).store, p)
    return JSONResponse({"pools": data})


async def whoami(request: Request) -> Response:
    p = await principal(request)
    return JSONResponse({"username": p.username, "kind": p.kind, "resource": p.ref, "display": p.display,
                         "roles": sorted(p.roles), "pools": sorted(p.pools)})


async def not_found(request: Request) -> Response:
    raise FhirError(404, "There is nothing at this address.", code="not-found")


# -- errors -------------------------------------------------------------------------------------

async def on_fhir_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FhirError)
    if exc.status in (401, 403, 429):
        # Refused requests are logged with ids only: never the query string, body or token.
        log.warning("refused %s %s %s by %s from %s", exc.status, request.method, request.url.path,
                    getattr(request.state, "who", "(no valid token)"),
                    request.client.host if request.client else "?")
    return fhir(exc.to_fhir(), status=exc.status, headers=exc.headers)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    msg = {404: "There is nothing at this address.", 405: "This method is not allowed here."}.get(
        exc.status_code, "The request could not be handled.")
    return fhir(FhirError(exc.status_code, msg).to_fhir(), status=exc.status_code)


async def on_error(request: Request, exc: Exception) -> Response:
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) or (
            isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated):
        # The database is restarting or unreachable: nothing was written (the transaction did not
        # commit); tell the client to try again rather than answer with anything else.
        log.warning("database unavailable (%s) for %s %s", type(exc).__name__, request.method, request.url.path)
        return fhir(FhirError(503, "The portal's database is not available right now. Nothing was changed; "
                                   "try again in a moment.", code="transient").to_fhir(), status=503,
                    headers={"Retry-After": "2"})
    incident = uuid.uuid4().hex[:12]
    # Never the exception's message: it might hold patient data. The type and the place are enough.
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    log.error("incident %s: %s at %s (%s %s)", incident, type(exc).__name__, where, request.method,
              request.url.path)
    return fhir(FhirError(500, f"The portal failed to handle this request (incident {incident}). "
                               "Nothing was changed; try again, and report the incident number if it "
                               "happens again.").to_fhir(), status=500)


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    portal: Portal = app.state.portal
    await run_in_threadpool(portal.tokens.keys.ensure)
    await portal.events.start()
    jobs = await portal.start_jobs()
    try:
        yield
    finally:
        for job in jobs:
            job.cancel()
        await portal.events.stop()


def create_app(store: Store, settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    portal = Portal(store, settings)
    routes = [
        Route("/fhir/metadata", metadata, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/fhir/$events", events.stream, methods=["GET"]),
        Route("/fhir/$pools", pools, methods=["GET"]),
        Route("/fhir/$whoami", whoami, methods=["GET"]),
        Route("/fhir/$queues", queues, methods=["GET"]),
        Route("/fhir/Patient/{rid}/${op}", patient_operation, methods=["POST"]),
        Route("/fhir/Practitioner/{rid}/${op}", practitioner_operation, methods=["POST"]),
        Route("/fhir/Task/$phone-message", phone_message, methods=["POST"]),
        *patient_routes.routes(),
        Route("/fhir/Task/{rid}/${op}", task_operation, methods=["POST"]),
        Route("/fhir/Task/{rid}/${op}", task_read_operation, methods=["GET"]),
        Route("/fhir/{rtype}", search, methods=["GET"]),
        Route("/fhir/{rtype}", create, methods=["POST"]),
        Route("/fhir/{rtype}/_search", search_post, methods=["POST"]),
        Route("/fhir/{rtype}/{rid}", read, methods=["GET"]),
        Route("/fhir/{rtype}/{rid}", update, methods=["PUT"]),
        Route("/fhir/{rtype}/{rid}/_history", history, methods=["GET"]),
        Route("/fhir/{rtype}/{rid}/_history/{vid}", vread, methods=["GET"]),
        *auth_routes.routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={FhirError: on_fhir_error, HTTPException: on_http_error, Exception: on_error},
        lifespan=_lifespan,
    )
    app.state.portal = portal
    return app
