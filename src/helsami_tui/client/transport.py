"""The request loop under `PortalClient`: addresses, tokens, retries, and the reading of answers
(JSON, or the typed error of a failed one)."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from .. import __version__
from .auth import TokenSession
from .errors import NotSignedIn, Offline, PortalError, error_from
from .models import (
    Me,
    OperationOutcome,
    StaffProfile,
)

log = logging.getLogger("helsami_tui.client")

Json = dict[str, Any]
TokenProvider = Callable[[], "str | Awaitable[str]"]
FHIR_JSON = "application/fhir+json"
INBOX_INCLUDES = (("_include", "Task:focus"), ("_include", "Task:patient"))
DEFAULT_SORT = "priority,authored-on"
THREAD_PAGE = 500
MAX_THREAD_PAGES = 20  # 10,000 messages: far beyond any real conversation


@dataclass(slots=True)
class _Sent:
    response: httpx.Response
    resent: bool  # the request was sent again after an attempt that may have reached the portal


# -- the client ---------------------------------------------------------------------------------------


class Transport:
    """The part of `PortalClient` that sends requests and reads answers (see `PortalClient`)."""

    def __init__(
        self,
        base_url: str,
        auth: TokenSession | TokenProvider | str | None = None,
        *,
        refresh: Callable[[str], Awaitable[str]] | None = None,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        if base.endswith("/fhir"):
            base = base[: -len("/fhir")]
        self.portal_url = base
        self.fhir_url = f"{base}/fhir"
        self._origin = httpx.URL(base)
        self._auth = auth
        self._refresh = refresh
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            timeout=self.timeout,
            transport=transport or _TlsWhenNeeded(),
            follow_redirects=False,
            headers={"User-Agent": f"helsami-tui/{__version__}", "Accept": FHIR_JSON},
        )
        self._me_lock = asyncio.Lock()
        self.me: Me | None = None
        self._break_glass: dict[str, dt.datetime] = {}
        self._profile: tuple[str, StaffProfile] | None = None
        self.forget_user()

    def forget_user(self) -> None:
        """Forget everything this client holds of the signed-in user: who they are, their emergency
        access (break the glass) and their profile. The one place for per-user state: a new field
        of the user's is cleared here, so sign-out and another user's tokens leave nothing behind."""
        self.me = None
        self._break_glass = {}  # patient id -> end of this user's emergency access
        self._profile = None  # (Practitioner ref, profile) of the signed-in user

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- addresses and tokens ----------------------------------------------------------------

    def url(self, path: str) -> str:
        """An absolute URL for a path under /fhir ("Task", "$whoami") or an absolute URL of this
        portal. An absolute URL of another origin is re-based onto this portal, so the token is
        never sent elsewhere (a `next` link keeps its path and query exactly)."""
        if path.startswith(("http://", "https://")):
            u = httpx.URL(path)
            if (u.scheme, u.host, u.port) == (self._origin.scheme, self._origin.host, self._origin.port):
                return path
            log.warning("a link pointed at another origin; following it on this portal instead")
            return str(self._origin.copy_with(path=u.path, query=u.query or None, fragment=None))
        return f"{self.fhir_url}/{path.lstrip('/')}"

    async def access_token(self) -> str | None:
        a = self._auth
        if a is None:
            return None
        if isinstance(a, str):
            return a
        if isinstance(a, TokenSession):
            return await a.access_token()
        v = a()
        if inspect.isawaitable(v):
            v = await v
        return str(v) if v else None

    async def renew_token(self, stale: str | None) -> str:
        """Get a new access token after a 401 (single flight through the session)."""
        a = self._auth
        if isinstance(a, TokenSession):
            return await a.refresh(stale)
        if self._refresh is not None:
            return await self._refresh(stale or "")
        raise NotSignedIn("The session has expired. Sign in again.")

    async def auth_headers(self) -> dict[str, str]:
        token = await self.access_token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    # -- the request loop --------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        base: float = min(self.max_backoff, self.backoff * (2**attempt))
        return base * (0.5 + random.random() / 2)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        safe_to_resend: bool,
    ) -> _Sent:
        """Send, retrying as the kind of request allows; returns the final response of any status
        (except 401, which is handled here). `safe_to_resend`: a request that may have reached the
        portal may be sent again (GETs, operations with If-Match, replies with a messageId)."""
        attempt = 0
        resent = False
        maybe_sent = False
        renewed = False
        idempotent = method == "GET"
        while True:
            token = await self.access_token()
            h = dict(headers or {})
            if token:
                h["Authorization"] = f"Bearer {token}"
            if json is not None:
                h.setdefault("Content-Type", FHIR_JSON)
            try:
                if maybe_sent:
                    resent = True
                resp = await self.http.request(method, url, params=params, json=json, headers=h)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                # The request never left: always safe to try again.
                if attempt >= self.retries:
                    raise Offline(_offline_text(e)) from e
            except httpx.TransportError as e:
                # Sent (perhaps) but the answer was lost.
                maybe_sent = True
                if not safe_to_resend or attempt >= self.retries:
                    raise Offline(_offline_text(e)) from e
            else:
                if resp.status_code == 401 and not renewed and token is not None:
                    renewed = True
                    await resp.aread()
                    await self.renew_token(token)
                    continue
                if resp.status_code in (502, 503, 504) and idempotent and attempt < self.retries:
                    await resp.aread()
                else:
                    return _Sent(resp, resent)
            await asyncio.sleep(self._delay(attempt))
            attempt += 1

    async def _json(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        safe_to_resend: bool | None = None,
    ) -> Json:
        sent = await self._send(
            method,
            url,
            params=params,
            json=json,
            headers=headers,
            safe_to_resend=method == "GET" if safe_to_resend is None else safe_to_resend,
        )
        return _checked(sent.response)

    async def get(self, path_or_url: str, params: Any = None) -> Json:
        """GET any address of the portal's FHIR API (relative to /fhir, or absolute) as JSON."""
        return await self._json("GET", self.url(path_or_url), params=params)


class _TlsWhenNeeded(httpx.AsyncBaseTransport):
    """httpx's own transport, with its TLS context (and the CA bundle it loads, 40-50 ms at start-up)
    built only when an https request is first sent. An http:// request goes through a transport
    whose TLS context has no CA at all and still requires a verified certificate and host name, so
    it can never carry a TLS connection; every https:// request goes through httpx's default
    transport, as strict as without this class."""

    def __init__(self) -> None:
        self._plain = httpx.AsyncHTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        self._tls: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            return await self._plain.handle_async_request(request)
        if self._tls is None:
            self._tls = httpx.AsyncHTTPTransport()
        return await self._tls.handle_async_request(request)

    async def aclose(self) -> None:
        await self._plain.aclose()
        if self._tls is not None:
            await self._tls.aclose()


# -- helpers -------------------------------------------------------------------------------------


def _task_of(data: Json) -> Json:
    """The Task of an operation's answer: the answer itself, or the `task` of a Parameters answer
    (decision operations answer with the Task followed by what they made)."""
    if data.get("resourceType") == "Parameters":
        for prm in data.get("parameter") or []:
            if isinstance(prm, dict) and prm.get("name") == "task" and isinstance(prm.get("resource"), dict):
                return dict(prm["resource"])
        raise PortalError(200, "The portal's answer to the operation had no task.", reason="incomplete-answer")
    return data


def _practitioner_of(role: Json) -> str:
    p = role.get("practitioner")
    r = p.get("reference") if isinstance(p, dict) else None
    return r if isinstance(r, str) else ""


def _offline_text(e: Exception) -> str:
    if isinstance(e, httpx.TimeoutException):
        return "The portal did not answer in time."
    return "The portal cannot be reached."


def _next_link(bundle: Json) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _checked(resp: httpx.Response) -> Json:
    """The JSON body of a successful answer, or the typed error of a failed one."""
    status = resp.status_code
    try:
        data = resp.json()
    except ValueError:
        data = None
    if 200 <= status < 300:
        if not isinstance(data, dict):
            raise PortalError(
                status, "The portal sent an answer that is not a JSON object.", reason="incomplete-answer"
            )
        return data
    if isinstance(data, dict) and data.get("resourceType") == "OperationOutcome":
        raise error_from(OperationOutcome.from_fhir(data), status)
    if status in (502, 503, 504):
        raise Offline("The portal is not available right now.")
    raise error_from(OperationOutcome.from_fhir({}), status, _GENERIC.get(status, ""))


_GENERIC = {
    401: "Sign in again.",
    403: "You are not allowed to do this.",
    404: "Not found.",
    409: "The item changed; reload it.",
    412: "The item changed since you opened it; reload it.",
}


def _without_total(url: str) -> str:
    """`url` without its `_total` parameter (a next link of a portal that keeps it)."""
    parts = urlsplit(url)
    if "_total" not in parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "_total"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _with_count(url: str, count: int | None) -> str:
    """`url` (a next link) asking for `count` rows (its own `_count` when None)."""
    if count is None:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "_count"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("_count", str(count))])))


def _s_id(task: Json) -> str:
    tid = task.get("id") if task.get("resourceType") == "Task" else None
    if not isinstance(tid, str) or not tid:
        raise PortalError(200, "The portal's answer to $claim-next was not a Task.", reason="incomplete-answer")
    return tid
