"""The ASGI application: assembles the routes, the middleware, the error handlers and the lifespan
(the request plumbing the routes share is `api.deps`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from ..fhir.outcome import FhirError
from ..store.errors import StoreError
from ..store.store import AccessLogUnavailable, Store
from ..workflow import library
from . import (
    auth_routes,
    conformance,
    domain_errors,
    errors,
    events,
    operation_routes as ops,
    ops_routes,
    patient_routes,
    resource_routes as rest,
)
from .guard import Guard
from .portal import Portal
from .settings import Settings


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
        Route("/fhir/metadata", rest.metadata, methods=["GET"]),
        Route("/fhir", ops.batch_bundle, methods=["POST"]),
        Route("/openapi.json", rest.openapi_json, methods=["GET"]),
        Route("/fhir/$events", events.stream, methods=["GET"]),
        Route("/fhir/$pools", ops.pools, methods=["GET"]),
        Route("/fhir/$whoami", ops.whoami, methods=["GET"]),
        Route("/fhir/$queues", ops.queues, methods=["GET"]),
        Route("/fhir/$notifications", ops.notifications, methods=["GET"]),
        *conformance.routes(),
        Route("/fhir/Patient/{rid}/${op}", ops.patient_operation, methods=["POST"]),
        Route("/fhir/Practitioner/{rid}/${op}", ops.practitioner_operation, methods=["POST"]),
        Route("/fhir/Task/$phone-message", ops.phone_message, methods=["POST"]),
        Route("/fhir/Task/$claim-next", ops.claim_next, methods=["POST"]),
        Route("/fhir/Slot", ops.slots, methods=["GET"]),
        *patient_routes.routes(),
        Route("/fhir/Task/{rid}/${op}", ops.task_operation, methods=["POST"]),
        Route("/fhir/Task/{rid}/${op}", ops.task_read_operation, methods=["GET"]),
        Route("/fhir/{rtype}", rest.search, methods=["GET"]),
        Route("/fhir/{rtype}", rest.create, methods=["POST"]),
        Route("/fhir/{rtype}/_search", rest.search_post, methods=["POST"]),
        Route("/fhir/{rtype}/{rid}", rest.read, methods=["GET"]),
        Route("/fhir/{rtype}/{rid}", rest.update, methods=["PUT"]),
        Route("/fhir/{rtype}/{rid}/_history", rest.history, methods=["GET"]),
        Route("/fhir/{rtype}/{rid}/_history/{vid}", rest.vread, methods=["GET"]),
        *auth_routes.routes(),
        *ops_routes.routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(ops_routes.ObserveMiddleware, log_requests=settings.access_log),
            Middleware(conformance.NegotiationMiddleware),
        ],
        exception_handlers={
            FhirError: errors.on_fhir_error,
            StoreError: domain_errors.translated(errors.on_fhir_error),
            HTTPException: errors.on_http_error,
            AccessLogUnavailable: errors.on_log_unavailable,
            Exception: errors.on_error,
        },
        lifespan=_lifespan,
    )
    app.state.portal = portal
    app.add_middleware(
        Guard,
        max_body_bytes=settings.max_body_bytes,
        max_url_bytes=settings.max_url_bytes,
        trusted_proxies=settings.trusted_proxies,
        # library documents carry their bytes (base64) in the body
        large_bodies=(("/fhir/DocumentReference", max(settings.max_body_bytes, library.MAX_BODY_BYTES)),),
    )
    return app
