"""The store's refusals (store/errors.py) as the API answers them: one place for the translation.

The store says what it cannot do in its own terms; here each becomes the `FhirError` (HTTP status,
OperationOutcome, reason code and arguments) the API has always sent for it. The app registers
`translated(on_fhir_error)` as the handler of every `StoreError`; a batch entry uses `as_fhir`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..fhir.outcome import FhirError
from ..store.errors import InvalidQuery, NotFound, StoreError, VersionConflict, VersionNotFound

Handler = Callable[[Request, Exception], Awaitable[Response]]


def as_fhir(exc: FhirError | StoreError) -> FhirError:
    """The FhirError a store refusal is answered with (a FhirError stays as it is)."""
    if isinstance(exc, FhirError):
        return exc
    if isinstance(exc, NotFound):
        return FhirError(
            404,
            f"{exc.rtype}/{exc.rid} does not exist.",
            reason="not-found",
            args={"item": {"reference": f"{exc.rtype}/{exc.rid}"}},
        )
    if isinstance(exc, VersionNotFound):
        return FhirError(
            404,
            f"{exc.rtype}/{exc.rid} has no version {exc.version}.",
            reason="version-not-found",
            args={"item": {"reference": f"{exc.rtype}/{exc.rid}"}, "version": exc.version},
        )
    if isinstance(exc, VersionConflict):
        return FhirError(
            412,
            f"{exc.rtype}/{exc.rid} has changed since you read it (now version "
            f"{exc.current['meta']['versionId']}); reload and try again.",
            current=exc.current,
            reason="stale-version",
            args={"item": {"reference": f"{exc.rtype}/{exc.rid}"}, "version": exc.version},
        )
    if isinstance(exc, InvalidQuery):
        return FhirError(
            400,
            exc.message,
            code="too-costly" if exc.too_costly else None,
            expression=exc.expression,
            reason=exc.reason,
            args=exc.reason_args,
        )
    raise TypeError(f"no answer for {type(exc).__name__}")  # a new StoreError needs its answer here


def translated(on_fhir_error: Handler) -> Handler:
    """The exception handler of `StoreError`: answered as `on_fhir_error` answers its FhirError."""

    async def on_store_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StoreError)
        return await on_fhir_error(request, as_fhir(exc))

    return on_store_error
