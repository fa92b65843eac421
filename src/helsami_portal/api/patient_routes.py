"""The patient-facing API (`/patient/...`), for patient and proxy tokens only.

Answers are FHIR resources and Bundles trimmed to what a patient may see.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..fhir.outcome import FhirError
from ..store.store import Store
from ..workflow import library, notify, patient_records, patient_side, routing
from .deps import portal_of, principal, read_json, without_empty_lists


async def _patient(request: Request) -> Any:
    p = await principal(request)
    if not p.is_patient_side:
        raise FhirError(
            403, "This part of the API is for patients and their proxies.", code="forbidden", reason="patients-only"
        )
    return p


def _store(request: Request) -> Store:
    return portal_of(request).store


def _count(request: Request) -> int:
    raw = request.query_params.get("_count", "20")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not 1 <= int(raw) <= 100:
        raise FhirError(
            400,
            "_count must be between 1 and 100.",
            reason="parameter-out-of-range",
            args={"name": "_count", "min": 1, "max": 100},
        )
    return int(raw)


async def me(request: Request) -> Response:
    p = await _patient(request)

    def run() -> dict[str, Any]:
        store = _store(request)
        with store.read() as tx:
            subs = patient_side.subjects(tx, p)
            names = {pid: (tx.get("Patient", pid) or {}).get("name") for pid in subs}
        return {
            "resource": p.ref,
            "display": p.display,
            "actsFor": [{"patient": f"Patient/{pid}", "level": lv, "name": names.get(pid)} for pid, lv in subs.items()],
        }

    return JSONResponse(await run_in_threadpool(run))


async def services(request: Request) -> Response:
    await _patient(request)

    def run() -> list[dict[str, Any]]:
        with _store(request).read() as tx:
            return [
                {
                    "id": e["service"]["id"],
                    "name": e["service"].get("name", ""),
                    "type": e["service"].get("type"),
                    "renewals": e["renewals"],
                }
                for e in routing.patient_services(tx)
            ]

    return JSONResponse({"services": await run_in_threadpool(run)})


async def threads(request: Request) -> Response:
    p = await _patient(request)
    rows, nxt = await run_in_threadpool(
        patient_side.list_threads,
        _store(request),
        p,
        request.query_params.get("patient"),
        request.query_params.get("_cursor"),
        _count(request),
    )
    return JSONResponse(_searchset(request, nxt, [{"resource": r} for r in rows]))


async def start_thread(request: Request) -> Response:
    p = await _patient(request)
    body = await read_json(request)
    result = await run_in_threadpool(patient_side.start_thread, _store(request), p, body)
    return JSONResponse(
        {"thread": result["thread"], "message": result["message"]}, status_code=200 if result["replayed"] else 201
    )


async def thread(request: Request) -> Response:
    p = await _patient(request)
    data = await run_in_threadpool(patient_side.read_thread, _store(request), p, request.path_params["tid"])
    return JSONResponse(data)


async def add_message(request: Request) -> Response:
    p = await _patient(request)
    body = await read_json(request)
    result = await run_in_threadpool(patient_side.add_message, _store(request), p, request.path_params["tid"], body)
    return JSONResponse({"message": result["message"]}, status_code=200 if result["replayed"] else 201)


async def medications(request: Request) -> Response:
    p = await _patient(request)
    rows = await run_in_threadpool(
        patient_side.list_medications, _store(request), p, request.query_params.get("patient")
    )
    return JSONResponse(_searchset(request, None, [{"resource": r} for r in rows]))


async def renewal(request: Request) -> Response:
    p = await _patient(request)
    body = await read_json(request)
    result = await run_in_threadpool(patient_side.request_renewal, _store(request), p, body)
    return JSONResponse({"request": result["request"]}, status_code=200 if result["replayed"] else 201)


def _next(request: Request, cursor: str | None) -> list[dict[str, str]]:
    if not cursor:
        return []
    return [{"relation": "next", "url": str(request.url.include_query_params(_cursor=cursor))}]


def _searchset(request: Request, cursor: str | None, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A searchset Bundle of the patient API: the next page's link when there is one, FHIR JSON
    (no empty `entry` or `link`)."""
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": _next(request, cursor), "entry": entries}
    return dict(without_empty_lists(bundle))


async def results(request: Request) -> Response:
    p = await _patient(request)
    reports, observations, nxt = await run_in_threadpool(
        patient_records.list_results,
        _store(request),
        p,
        request.query_params.get("patient"),
        request.query_params.get("_cursor"),
        _count(request),
    )
    return JSONResponse(
        _searchset(
            request,
            nxt,
            [{"resource": r, "search": {"mode": "match"}} for r in reports]
            + [{"resource": o, "search": {"mode": "include"}} for o in observations],
        )
    )


async def access_log(request: Request) -> Response:
    p = await _patient(request)
    entries, nxt = await run_in_threadpool(
        patient_records.access_log,
        _store(request),
        p,
        request.query_params.get("patient"),
        request.query_params.get("_cursor"),
        _count(request),
    )
    return JSONResponse({"entries": entries, "link": _next(request, nxt)})


async def grants(request: Request) -> Response:
    p = await _patient(request)
    return JSONResponse(await run_in_threadpool(patient_records.grants, _store(request), p))


async def settings(request: Request) -> Response:
    """The caller's notification settings (workflow.notify): GET, or PUT with the fields to change."""
    p = await _patient(request)
    if request.method == "GET":
        return JSONResponse(await run_in_threadpool(notify.get_settings, _store(request), p))
    body = await read_json(request)
    return JSONResponse(await run_in_threadpool(notify.put_settings, _store(request), p, body or {}))


async def documents(request: Request) -> Response:
    """Every document sent to the patient (workflow.library), newest first."""
    p = await _patient(request)
    rows, nxt = await run_in_threadpool(
        library.list_for_patient,
        _store(request),
        p,
        request.query_params.get("patient"),
        request.query_params.get("_cursor"),
        _count(request),
    )
    return JSONResponse(_searchset(request, nxt, [{"resource": r} for r in rows]))


async def document(request: Request) -> Response:
    """The bytes of one document sent to the patient, as a download (logged)."""
    p = await _patient(request)
    did = request.path_params["did"]
    if not (1 <= len(did) <= 64) or not all(ch.isalnum() or ch in "-." for ch in did):
        raise FhirError(404, library.NO_DOCUMENT, code="not-found", reason="not-found")
    raw, ctype, title = await run_in_threadpool(library.download, _store(request), p, did)
    plain, name = library.file_name(title, ctype)
    media = "text/plain; charset=utf-8" if ctype == "text/plain" else ctype
    return Response(
        raw,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def routes() -> list[Route]:
    return [
        Route("/patient/me", me, methods=["GET"]),
        Route("/patient/services", services, methods=["GET"]),
        Route("/patient/threads", threads, methods=["GET"]),
        Route("/patient/threads", start_thread, methods=["POST"]),
        Route("/patient/threads/{tid}", thread, methods=["GET"]),
        Route("/patient/threads/{tid}/messages", add_message, methods=["POST"]),
        Route("/patient/medications", medications, methods=["GET"]),
        Route("/patient/renewals", renewal, methods=["POST"]),
        Route("/patient/results", results, methods=["GET"]),
        Route("/patient/access-log", access_log, methods=["GET"]),
        Route("/patient/grants", grants, methods=["GET"]),
        Route("/patient/settings", settings, methods=["GET", "PUT"]),
        Route("/patient/documents", documents, methods=["GET"]),
        Route("/patient/documents/{did}", document, methods=["GET"]),
    ]
