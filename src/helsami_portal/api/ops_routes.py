"""Operations: health (`/healthz`, `/readyz`), metrics (`/metrics`) and the access log of every request.

The access line names the request id, method, route template (never the query string: it may hold
patient identifiers), status, duration, the signed-in principal's id and the client's address (the
real one when the request came through a trusted proxy; see Settings.trusted_proxies).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import metrics
from ..store import migrate
from ..workflow.access import REQUEST_ID

access_log = logging.getLogger("helsami_portal.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


async def healthz(request: Request) -> Response:
    """The process is alive and answering (touches nothing else)."""
    return JSONResponse({"status": "alive"}, headers={"Cache-Control": "no-store"})


def readiness(portal: Any) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        with portal.store.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            st = migrate.state_of(conn)
        checks["database"] = {"ok": True}
        checks["migrations"] = {"ok": st.up_to_date, "current": st.current, "head": st.head}
    except Exception as exc:  # the type only: a driver message may name hosts and users
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        checks["migrations"] = {"ok": False}
    checks["keys"] = {"ok": portal.tokens.keys.loaded}
    return checks


async def readyz(request: Request) -> Response:
    """Ready for traffic: the database answers, its schema is current, signing keys are loaded."""
    checks = await run_in_threadpool(readiness, request.app.state.portal)
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not-ready", "checks": checks},
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )


async def metrics_page(request: Request) -> Response:
    portal = request.app.state.portal
    if not portal.settings.metrics:
        return Response(status_code=404)
    body, ctype = await run_in_threadpool(metrics.render, portal.store)
    return Response(body, media_type=ctype)


def routes() -> list[Route]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]


class ObserveMiddleware:
    """Times each request (by route template), logs one access line and sets X-Request-ID."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        token = REQUEST_ID.set(rid)  # the access log names the request its rows belong to
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            REQUEST_ID.reset(token)
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "(unmatched)"
            method = scope.get("method", "?")
            metrics.REQUEST_SECONDS.labels(method, route, str(status)).observe(elapsed)
            if self.log_requests and route not in ("/healthz", "/metrics"):
                state = scope.get("state") or {}
                client = scope.get("client")
                access_log.info(
                    "%s %s %s %.1fms by %s from %s id %s",
                    method,
                    route,
                    status,
                    elapsed * 1000,
                    state.get("who", "-"),
                    client[0] if client else "-",
                    rid,
                    extra={
                        "request_id": rid,
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                        "principal": state.get("who"),
                        "client": client[0] if client else None,
                    },
                )
