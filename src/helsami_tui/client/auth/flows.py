"""Sign-in over HTTP: discovery, the OAuth 2.0 device flow (RFC 8628), refresh, sign-out (revoke), the
embedded demo sign-in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ..errors import NotSignedIn, NotSupported, Offline, PortalError, SignInError
from .tokens import CLIENT_ID, DEFAULT_TIMEOUT, DEMO_CLIENT_ID, DEVICE_GRANT, DeviceFlow, PortalConfig, Tokens

# -- HTTP helpers -------------------------------------------------------------------------------


def _client(http: httpx.AsyncClient | None) -> tuple[httpx.AsyncClient, bool]:
    if http is not None:
        return http, False
    return httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False), True


async def _post_form(http: httpx.AsyncClient | None, url: str, data: dict[str, str]) -> httpx.Response:
    client, owned = _client(http)
    try:
        return await client.post(url, data=data, headers={"Accept": "application/json"})
    except httpx.TransportError as e:
        raise Offline(f"The portal cannot be reached ({type(e).__name__}).") from e
    finally:
        if owned:
            await client.aclose()


def _oauth_error(resp: httpx.Response) -> SignInError:
    try:
        data = resp.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    error = str(data.get("error") or f"http_{resp.status_code}")
    desc = data.get("error_description")
    if not isinstance(desc, str) or not desc:
        # An OperationOutcome (e.g. 404 on a portal without the endpoint)
        issue = data.get("issue")
        issues = issue if isinstance(issue, list) else []
        desc = next(
            (str(i.get("diagnostics")) for i in issues if isinstance(i, dict) and i.get("diagnostics")),
            f"The portal refused the sign-in ({resp.status_code}).",
        )
    return SignInError(error, desc)


# -- discovery and sign-in ---------------------------------------------------------------------


async def discover(portal_url: str, *, http: httpx.AsyncClient | None = None) -> PortalConfig:
    """GET /.well-known/openid-configuration of the portal."""
    base = portal_url.rstrip("/")
    client, owned = _client(http)
    try:
        resp = await client.get(f"{base}/.well-known/openid-configuration", headers={"Accept": "application/json"})
    except httpx.TransportError as e:
        raise Offline(f"The portal at {base} cannot be reached ({type(e).__name__}).") from e
    finally:
        if owned:
            await client.aclose()
    if resp.status_code != 200:
        raise PortalError(
            resp.status_code,
            f"{base} does not look like a HelsaMi portal (no sign-in configuration, HTTP {resp.status_code}).",
            reason="not-a-portal",
        )
    try:
        data = resp.json()
    except ValueError:
        raise PortalError(
            resp.status_code, f"{base} sent a sign-in configuration that is not JSON.", reason="not-a-portal"
        ) from None
    if not isinstance(data, dict):
        raise PortalError(
            resp.status_code, f"{base} sent a sign-in configuration that is not an object.", reason="not-a-portal"
        )
    return PortalConfig.from_json(base, data)


async def _config(portal: str | PortalConfig, http: httpx.AsyncClient | None) -> PortalConfig:
    return portal if isinstance(portal, PortalConfig) else await discover(portal, http=http)


async def start_device_flow(
    portal: str | PortalConfig, client_id: str = CLIENT_ID, *, http: httpx.AsyncClient | None = None
) -> DeviceFlow:
    """POST the device authorization request; returns the codes to show the user."""
    conf = await _config(portal, http)
    resp = await _post_form(http, conf.device_authorization_endpoint, {"client_id": client_id})
    if resp.status_code != 200:
        raise _oauth_error(resp)
    d = resp.json()
    try:
        interval = float(d.get("interval") or 5)
        expires_in = float(d.get("expires_in") or 600)
        return DeviceFlow(
            device_code=str(d["device_code"]),
            user_code=str(d["user_code"]),
            verification_uri=str(d.get("verification_uri") or ""),
            verification_uri_complete=str(d.get("verification_uri_complete") or ""),
            expires_at=time.monotonic() + expires_in,
            interval=max(interval, 1.0),
            token_endpoint=conf.token_endpoint,
            client_id=client_id,
        )
    except (KeyError, TypeError, ValueError):
        raise SignInError(
            "invalid_response", "The portal sent an incomplete device sign-in answer.", reason="incomplete-answer"
        ) from None


async def poll_device_flow(
    flow: DeviceFlow,
    *,
    http: httpx.AsyncClient | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    on_pending: Callable[[float], Any] | None = None,
    on_state: Callable[[bool], Any] | None = None,
) -> Tokens:
    """Poll the token endpoint until the user approves (tokens), denies or the code expires
    (SignInError with error access_denied / expired_token). Waits `interval` seconds between
    polls and 5 seconds longer after each `slow_down`, as RFC 8628 says. Cancel the task to stop.
    `on_pending(seconds_left)` is called after each pending answer; `on_state(False)` when the
    portal could not be reached (polling goes on, backing off) and `on_state(True)` once it answers."""
    interval = flow.interval
    client, owned = _client(http)
    try:
        while True:
            await sleep(interval)
            if time.monotonic() > flow.expires_at:
                raise SignInError("expired_token", "The sign-in code has expired; start again.")
            try:
                resp = await client.post(
                    flow.token_endpoint,
                    data={"grant_type": DEVICE_GRANT, "device_code": flow.device_code, "client_id": flow.client_id},
                    headers={"Accept": "application/json"},
                )
            except httpx.TransportError:
                # RFC 8628 §3.5: keep polling on a network hiccup, backing off a little.
                interval = min(interval * 2, 60.0)
                if on_state is not None:
                    on_state(False)
                continue
            if on_state is not None:
                on_state(True)
            if resp.status_code == 200:
                return Tokens.from_response(resp.json(), flow.client_id)
            err = _oauth_error(resp)
            if err.error == "authorization_pending":
                pass
            elif err.error == "slow_down":
                interval += 5.0
            else:
                raise err
            if on_pending is not None:
                on_pending(max(0.0, flow.expires_at - time.monotonic()))
    finally:
        if owned:
            await client.aclose()


async def refresh(portal: str | PortalConfig, tokens: Tokens, *, http: httpx.AsyncClient | None = None) -> Tokens:
    """Rotate the refresh token. Raises NotSignedIn when the portal refuses it (signed out,
    expired, already used) and Offline when it cannot be reached."""
    if not tokens.refresh_token:
        raise NotSignedIn("The session has expired. Sign in again.")
    conf = await _config(portal, http)
    resp = await _post_form(
        http,
        conf.token_endpoint,
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": tokens.client_id},
    )
    if resp.status_code == 200:
        return Tokens.from_response(resp.json(), tokens.client_id)
    if resp.status_code >= 500:
        raise PortalError(
            resp.status_code, "The portal could not renew the session right now; try again.", reason="renew-failed"
        )
    err = _oauth_error(resp)
    raise NotSignedIn(err.message)


async def revoke(portal: str | PortalConfig, token: str, *, http: httpx.AsyncClient | None = None) -> None:
    """Sign out: revoke the session of a refresh (or access) token. The portal always says 200."""
    if not token:
        return
    conf = await _config(portal, http)
    resp = await _post_form(http, conf.revocation_endpoint, {"token": token})
    if resp.status_code >= 400:
        raise _oauth_error(resp)


async def demo_login(portal_url: str, username: str, *, http: httpx.AsyncClient | None = None) -> Tokens:
    """Sign in as a demo user on an embedded demo portal (POST /auth/demo-login).
    Raises NotSupported on any other portal."""
    base = portal_url.rstrip("/")
    client, owned = _client(http)
    try:
        resp = await client.post(
            f"{base}/auth/demo-login", json={"username": username}, headers={"Accept": "application/json"}
        )
    except httpx.TransportError as e:
        raise Offline(f"The portal at {base} cannot be reached ({type(e).__name__}).") from e
    finally:
        if owned:
            await client.aclose()
    if resp.status_code == 404:
        raise NotSupported("This portal has no demo sign-in.")
    if resp.status_code != 200:
        raise _oauth_error(resp)
    return Tokens.from_response(resp.json(), DEMO_CLIENT_ID)
