"""Exception handlers: every failure leaves as an OperationOutcome, with ids only in the log."""

from __future__ import annotations

import logging
import uuid

import sqlalchemy.exc as sa_exc
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..fhir.outcome import FhirError
from ..workflow import reads
from .deps import fhir, portal_of

log = logging.getLogger("helsami_portal.api")


# -- errors -------------------------------------------------------------------------------------


async def on_fhir_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FhirError)
    if exc.current is not None:
        # The resource in an error body (the Task someone else changed, in a 409 or 412) passes the
        # access decision and is logged like any read; without a known caller it is left out.
        who = getattr(request.state, "principal", None)
        current = None
        if who is not None:
            current = await run_in_threadpool(reads.error_body, portal_of(request).store, who, exc.current)
        exc.current = current
    if exc.status in (401, 403, 429):
        # Refused requests are logged with ids only: never the query string, body or token.
        log.warning(
            "refused %s %s %s by %s from %s",
            exc.status,
            request.method,
            request.url.path,
            getattr(request.state, "who", "(no valid token)"),
            request.client.host if request.client else "?",
        )
    return fhir(exc.to_fhir(), status=exc.status, headers=exc.headers)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    msg = {404: "There is nothing at this address.", 405: "This method is not allowed here."}.get(
        exc.status_code, "The request could not be handled."
    )
    return fhir(
        FhirError(
            exc.status_code,
            msg,
            reason={404: "no-such-address", 405: "method-not-allowed"}.get(exc.status_code, "http-error"),
            args={"status": exc.status_code},
        ).to_fhir(),
        status=exc.status_code,
    )


async def on_log_unavailable(request: Request, exc: Exception) -> Response:
    """What was read could not be logged, so it does not leave (workflow.access: every read is logged)."""
    log.warning("access log not written (%s) for %s %s", exc, request.method, request.url.path)
    return fhir(
        FhirError(
            503,
            "The portal could not write its access log, so nothing is shown. Try again in a moment.",
            code="transient",
            reason="unavailable",
        ).to_fhir(),
        status=503,
        headers={"Retry-After": "2"},
    )


async def on_error(request: Request, exc: Exception) -> Response:
    orig = getattr(exc, "orig", None)
    if isinstance(exc, sa_exc.OperationalError) and (
        getattr(orig, "sqlstate", None) == "57014" or str(orig) == "interrupted"
    ):
        # A statement ran past Settings.statement_timeout_ms and was stopped; nothing was written.
        limit = portal_of(request).settings.statement_timeout_ms
        log.warning("statement timeout for %s %s", request.method, request.url.path)
        return fhir(
            FhirError(
                503,
                "The request took too long and was stopped; nothing was changed. Narrow the search and try again.",
                code="too-costly",
                reason="statement-timeout",
                args={"limit": limit},
            ).to_fhir(),
            status=503,
            headers={"Retry-After": "2"},
        )
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) or (
        isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    ):
        # The database is restarting or unreachable: nothing was written (the transaction did not
        # commit); tell the client to try again rather than answer with anything else.
        log.warning("database unavailable (%s) for %s %s", type(exc).__name__, request.method, request.url.path)
        return fhir(
            FhirError(
                503,
                "The portal's database is not available right now. Nothing was changed; try again in a moment.",
                code="transient",
                reason="unavailable",
            ).to_fhir(),
            status=503,
            headers={"Retry-After": "2"},
        )
    incident = uuid.uuid4().hex[:12]
    # Never the exception's message: it might hold patient data. The type and the place are enough.
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    log.error("incident %s: %s at %s (%s %s)", incident, type(exc).__name__, where, request.method, request.url.path)
    return fhir(
        FhirError(
            500,
            f"The portal failed to handle this request (incident {incident}). "
            "Nothing was changed; try again, and report the incident number if it "
            "happens again.",
            reason="internal-error",
            args={"incident": incident},
        ).to_fhir(),
        status=500,
    )
