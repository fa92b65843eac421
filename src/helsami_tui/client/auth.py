"""Sign-in: discovery, the OAuth 2.0 device flow (RFC 8628), refresh, sign-out, the embedded
demo sign-in, a `TokenSession` the API client draws access tokens from, and a `TokenStore`
that keeps tokens in the system keyring (or in memory only when there is no usable keyring).

Tokens are never written to disk by this module.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import NotSignedIn, NotSupported, Offline, PortalError, SignInError

log = logging.getLogger("helsami_tui.client.auth")

CLIENT_ID = "helsami-tui"
DEMO_CLIENT_ID = "helsami-tui-demo"  # the client id the portal gives demo sign-ins
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
KEYRING_SERVICE = "helsami-tui"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
REFRESH_MARGIN = 30.0  # seconds before expiry at which an access token is renewed ahead of time


# -- data ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PortalConfig:
    """What discovery says about a portal."""

    issuer: str
    token_endpoint: str
    device_authorization_endpoint: str
    revocation_endpoint: str
    fhir_base_url: str
    demo_login: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, portal_url: str, data: dict[str, Any]) -> PortalConfig:
        base = portal_url.rstrip("/")

        def s(key: str, default: str) -> str:
            v = data.get(key)
            return v if isinstance(v, str) and v else default

        return cls(issuer=s("issuer", base),
                   token_endpoint=s("token_endpoint", f"{base}/oauth/token"),
                   device_authorization_endpoint=s("device_authorization_endpoint",
                                                   f"{base}/oauth/device_authorization"),
                   revocation_endpoint=s("revocation_endpoint", f"{base}/oauth/revoke"),
                   fhir_base_url=s("fhir_base_url", f"{base}/fhir"),
                   demo_login=data.get("helsami_demo_login") is True, raw=data)


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str = ""
    expires_at: float = 0.0  # epoch seconds; 0 = unknown
    token_type: str = "Bearer"
    client_id: str = CLIENT_ID
    session_id: str = ""

    @classmethod
    def from_response(cls, data: dict[str, Any], client_id: str) -> Tokens:
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise SignInError("invalid_response", "The portal did not send an access token.")
        expires_in = data.get("expires_in")
        expires_at = time.time() + float(expires_in) if isinstance(expires_in, (int, float)) else 0.0
        return cls(access_token=access, refresh_token=str(data.get("refresh_token") or ""),
                   expires_at=expires_at, token_type=str(data.get("token_type") or "Bearer"),
                   client_id=client_id, session_id=str(data.get("session_id") or ""))

    def expires_soon(self, margin: float = REFRESH_MARGIN) -> bool:
        return bool(self.expires_at) and time.time() > self.expires_at - margin

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at": self.expires_at, "token_type": self.token_type,
                           "client_id": self.client_id, "session_id": self.session_id})

    @classmethod
    def from_json(cls, text: str) -> Tokens | None:
        try:
            d = json.loads(text)
            return cls(access_token=str(d["access_token"]), refresh_token=str(d.get("refresh_token") or ""),
                       expires_at=float(d.get("expires_at") or 0.0), token_type=str(d.get("token_type") or "Bearer"),
                       client_id=str(d.get("client_id") or CLIENT_ID), session_id=str(d.get("session_id") or ""))
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True, slots=True)
class DeviceFlow:
    """A started device sign-in: show `user_code` and `verification_uri` to the user."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_at: float
    interval: float
    token_endpoint: str
    client_id: str


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
        issues = data.get("issue") if isinstance(data.get("issue"), list) else []
        desc = next((str(i.get("diagnostics")) for i in issues if isinstance(i, dict) and i.get("diagnostics")),
                    f"The portal refused the sign-in ({resp.status_code}).")
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
        raise PortalError(resp.status_code, f"{base} does not look like a HelsaMi portal (no sign-in "
                                            f"configuration, HTTP {resp.status_code}).")
    try:
        data = resp.json()
    except ValueError:
        raise PortalError(resp.status_code, f"{base} sent a sign-in configuration that is not JSON.") from None
    if not isinstance(data, dict):
        raise PortalError(resp.status_code, f"{base} sent a sign-in configuration that is not an object.")
    return PortalConfig.from_json(base, data)


async def _config(portal: str | PortalConfig, http: httpx.AsyncClient | None) -> PortalConfig:
    return portal if isinstance(portal, PortalConfig) else await discover(portal, http=http)


async def start_device_flow(portal: str | PortalConfig, client_id: str = CLIENT_ID, *,
                            http: httpx.AsyncClient | None = None) -> DeviceFlow:
    """POST the device authorization request; returns the codes to show the user."""
    conf = await _config(portal, http)
    resp = await _post_form(http, conf.device_authorization_endpoint, {"client_id": client_id})
    if resp.status_code != 200:
        raise _oauth_error(resp)
    d = resp.json()
    try:
        interval = float(d.get("interval") or 5)
        expires_in = float(d.get("expires_in") or 600)
        return DeviceFlow(device_code=str(d["device_code"]), user_code=str(d["user_code"]),
                          verification_uri=str(d.get("verification_uri") or ""),
                          verification_uri_complete=str(d.get("verification_uri_complete") or ""),
                          expires_at=time.monotonic() + expires_in, interval=max(interval, 1.0),
                          token_endpoint=conf.token_endpoint, client_id=client_id)
    except (KeyError, TypeError, ValueError):
        raise SignInError("invalid_response", "The portal sent an incomplete device sign-in answer.") from None


async def poll_device_flow(flow: DeviceFlow, *, http: httpx.AsyncClient | None = None,
                           sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                           on_pending: Callable[[float], Any] | None = None) -> Tokens:
    """Poll the token endpoint until the user approves (tokens), denies or the code expires
    (SignInError with error access_denied / expired_token). Waits `interval` seconds between
    polls and 5 seconds longer after each `slow_down`, as RFC 8628 says. Cancel the task to stop.
    `on_pending(seconds_left)` is called after each pending answer."""
    interval = flow.interval
    client, owned = _client(http)
    try:
        while True:
            await sleep(interval)
            if time.monotonic() > flow.expires_at:
                raise SignInError("expired_token", "The sign-in code has expired; start again.")
            try:
                resp = await client.post(flow.token_endpoint, data={
                    "grant_type": DEVICE_GRANT, "device_code": flow.device_code, "client_id": flow.client_id},
                    headers={"Accept": "application/json"})
            except httpx.TransportError:
                # RFC 8628 §3.5: keep polling on a network hiccup, backing off a little.
                interval = min(interval * 2, 60.0)
                continue
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


async def refresh(portal: str | PortalConfig, tokens: Tokens, *,
                  http: httpx.AsyncClient | None = None) -> Tokens:
    """Rotate the refresh token. Raises NotSignedIn when the portal refuses it (signed out,
    expired, already used) and Offline when it cannot be reached."""
    if not tokens.refresh_token:
        raise NotSignedIn("The session has expired. Sign in again.")
    conf = await _config(portal, http)
    resp = await _post_form(http, conf.token_endpoint, {
        "grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": tokens.client_id})
    if resp.status_code == 200:
        return Tokens.from_response(resp.json(), tokens.client_id)
    if resp.status_code >= 500:
        raise PortalError(resp.status_code, "The portal could not renew the session right now; try again.")
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
        resp = await client.post(f"{base}/auth/demo-login", json={"username": username},
                                 headers={"Accept": "application/json"})
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


# -- the session the API client draws tokens from -----------------------------------------------

class TokenSession:
    """The current tokens of one signed-in user, renewed when needed.

    Call it (`session()`) for the current access token. `refresh(stale)` renews the tokens once
    for everyone who saw the same stale token (single flight): concurrent callers wait for the one
    refresh in progress instead of spending the rotating refresh token twice, which the portal
    would treat as theft and answer by signing the session out.
    """

    def __init__(self, portal: str | PortalConfig, tokens: Tokens, *, store: TokenStore | None = None,
                 http: httpx.AsyncClient | None = None,
                 on_change: Callable[[Tokens | None], Any] | None = None) -> None:
        self.portal = portal
        self.portal_url = portal.issuer if isinstance(portal, PortalConfig) else portal.rstrip("/")
        self.tokens: Tokens | None = tokens
        self.store = store
        self.http = http
        self.on_change = on_change
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def __call__(self) -> str:
        if self.tokens is None:
            raise NotSignedIn("You are signed out. Sign in again.")
        return self.tokens.access_token

    async def access_token(self) -> str:
        """The access token, renewed first when it expires within half a minute."""
        tokens = self.tokens
        if tokens is None:
            raise NotSignedIn("You are signed out. Sign in again.")
        if tokens.expires_soon() and tokens.refresh_token:
            try:
                return await self.refresh(tokens.access_token)
            except Offline:
                return tokens.access_token  # let the request itself report the network state
        return tokens.access_token

    async def refresh(self, stale: str | None = None) -> str:
        async with self._lock:
            tokens = self.tokens
            if tokens is None:
                raise NotSignedIn("You are signed out. Sign in again.")
            if stale is not None and tokens.access_token != stale:
                return tokens.access_token  # someone else refreshed while we waited
            if isinstance(self.portal, str):
                self.portal = await discover(self.portal, http=self.http)
            try:
                new = await refresh(self.portal, tokens, http=self.http)
            except NotSignedIn:
                self._set(None)
                raise
            self.refresh_count += 1
            self._set(new)
            return new.access_token

    async def sign_out(self) -> None:
        tokens = self.tokens
        self._set(None)
        if tokens is not None:
            try:
                await revoke(self.portal, tokens.refresh_token or tokens.access_token, http=self.http)
            except (Offline, SignInError, PortalError) as e:
                log.info("sign-out could not reach the portal: %s", type(e).__name__)

    def _set(self, tokens: Tokens | None) -> None:
        self.tokens = tokens
        if self.store is not None:
            if tokens is None:
                self.store.delete(self.portal_url)
            else:
                self.store.save(self.portal_url, tokens)
        if self.on_change is not None:
            self.on_change(tokens)


# -- where tokens are kept ---------------------------------------------------------------------

class TokenStore:
    """Tokens per portal URL in the system keyring (service "helsami-tui"); in memory only when
    no usable keyring backend exists. `memory_only` tells the app to say so to the user once
    (they will have to sign in again next time). Never writes tokens to disk itself."""

    def __init__(self, backend: Any | None = None, service: str = KEYRING_SERVICE) -> None:
        self.service = service
        self._memory: dict[str, str] = {}
        self._backend: Any | None = None
        self.memory_only = True
        self.reason = ""
        try:
            import keyring
            import keyring.errors
            kr = backend if backend is not None else keyring.get_keyring()
        except Exception as e:  # keyring missing or broken: memory only
            self.reason = f"no keyring ({type(e).__name__})"
            return
        if _unusable(kr):
            self.reason = f"no usable keyring backend ({type(kr).__name__})"
            return
        self._backend = kr
        self.memory_only = False

    def _fall_back(self, e: Exception) -> None:
        log.warning("keyring failed (%s); keeping tokens in memory only", type(e).__name__)
        self._backend = None
        self.memory_only = True
        self.reason = f"keyring failed ({type(e).__name__})"

    def load(self, portal_url: str) -> Tokens | None:
        key = portal_url.rstrip("/")
        if self._backend is not None:
            try:
                text = self._backend.get_password(self.service, key)
            except Exception as e:  # NoKeyringError, locked keyring, D-Bus gone, ...
                self._fall_back(e)
                text = self._memory.get(key)
        else:
            text = self._memory.get(key)
        return Tokens.from_json(text) if text else None

    def save(self, portal_url: str, tokens: Tokens) -> None:
        key = portal_url.rstrip("/")
        text = tokens.to_json()
        if self._backend is not None:
            try:
                self._backend.set_password(self.service, key, text)
                return
            except Exception as e:
                self._fall_back(e)
        self._memory[key] = text

    def delete(self, portal_url: str) -> None:
        key = portal_url.rstrip("/")
        self._memory.pop(key, None)
        if self._backend is not None:
            try:
                self._backend.delete_password(self.service, key)
            except Exception as e:
                import keyring.errors
                if not isinstance(e, keyring.errors.PasswordDeleteError):
                    self._fall_back(e)


def _unusable(kr: Any) -> bool:
    try:
        from keyring.backends import fail, null
    except Exception:  # pragma: no cover
        return True
    if isinstance(kr, (fail.Keyring, null.Keyring)):
        return True
    try:
        from keyring.backends import chainer
        if isinstance(kr, chainer.ChainerBackend) and not kr.backends:
            return True
    except Exception:  # pragma: no cover
        pass
    try:
        return float(getattr(kr, "priority", 1)) <= 0 and type(kr).__module__.startswith("keyring.backends")
    except Exception:
        return False
