"""What stands in front of every route: the client address (trusted proxies only), the URL and
body limits, security headers, and one access-log line per request (ids and status only).

Pure ASGI, so a body is counted as it streams and never read whole before the limit is checked.
"""

from __future__ import annotations

import json
from typing import Any, cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..fhir.outcome import FhirError

_SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def _refusal(status: int, diagnostics: str, reason: str, limit: int) -> tuple[int, bytes]:
    err = FhirError(
        status, diagnostics, code="too-costly" if status in (413, 414) else None, reason=reason, args={"limit": limit}
    )
    return status, json.dumps(err.to_fhir(), separators=(",", ":")).encode()


class BodyTooLarge(FhirError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"The request body is too large (at most {limit} bytes).",
            code="too-costly",
            reason="body-too-large",
            args={"limit": limit},
        )


class Guard:
    """ASGI middleware: limits and security headers for every HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_url_bytes: int,
        trusted_proxies: list[str],
        large_bodies: tuple[tuple[str, int], ...] = (),
    ) -> None:
        self.max_body = max_body_bytes
        # (path prefix, limit): POST and PUT there may carry larger bodies (library documents).
        self.large_bodies = large_bodies
        self.max_url = max_url_bytes
        # X-Forwarded-For is honoured only from these addresses (uvicorn's own parser, with CIDR).
        self.app: ASGIApp = app
        if trusted_proxies:  # uvicorn types the same ASGI callables more narrowly than Starlette
            self.app = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=list(trusted_proxies)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                names = {k.lower() for k, _ in headers}
                headers += [h for h in _SECURITY_HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        # (The access line and X-Request-Id: api.ops_routes, one line per request, ids only.)
        limit = self._limit(scope)
        refusal = self._check_head(scope, limit)
        if refusal is not None:
            await _send_refusal(send_guarded, *refusal)
            return
        await self.app(scope, self._counting(receive, limit), send_guarded)

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") in ("POST", "PUT"):
            path = str(scope.get("path", ""))
            for prefix, limit in self.large_bodies:
                if path == prefix or path.startswith(prefix + "/"):
                    return limit
        return self.max_body

    def _check_head(self, scope: Scope, max_body: int) -> tuple[int, bytes] | None:
        size = len(scope.get("raw_path") or scope.get("path", "").encode()) + len(scope.get("query_string", b""))
        if size > self.max_url:
            return _refusal(
                414,
                f"The address is too long (at most {self.max_url} bytes); use fewer or shorter search parameters.",
                "url-too-long",
                self.max_url,
            )
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                if not v.isdigit():
                    return _refusal(400, "Content-Length is not a number.", "body-too-large", max_body)
                if int(v) > max_body:
                    return _refusal(
                        413, f"The request body is too large (at most {max_body} bytes).", "body-too-large", max_body
                    )
        return None

    def _counting(self, receive: Receive, max_body: int) -> Receive:
        seen = [0]

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > max_body:
                    raise BodyTooLarge(max_body)
            return message

        return counted


async def _send_refusal(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/fhir+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def client_address(scope_or_request: Any) -> str:
    """The client's address as trusted (after the trusted-proxy rule), for logs and limits."""
    client = getattr(scope_or_request, "client", None)
    return client.host if client else "unknown"
