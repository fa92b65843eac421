"""Sign-in: OAuth 2.0 device authorization grant (RFC 8628), tokens, revocation, discovery,
the built-in approval page, trust in an external OpenID Connect issuer, and the embedded-demo
sign-in that only an embedded demo portal offers.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..auth.tokens import _DUMMY_HASH, TokenClaims, check_password, sha256
from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..store.schema import account, device_code, login_attempt
from ..store.store import Tx

if TYPE_CHECKING:
    from .app import Portal

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_TTL = dt.timedelta(minutes=10)
POLL_INTERVAL = 5
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels: no words, no 0/O or 1/I confusion
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def _portal(request: Request) -> Portal:
    return request.app.state.portal  # type: ignore[no-any-return]


async def _form(request: Request) -> dict[str, str]:
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


# -- discovery ----------------------------------------------------------------------------------

async def discovery(request: Request) -> Response:
    iss = _portal(request).settings.issuer.rstrip("/")
    return JSONResponse({
        "issuer": iss,
        "device_authorization_endpoint": f"{iss}/oauth/device_authorization",
        "token_endpoint": f"{iss}/oauth/token",
        "revocation_endpoint": f"{iss}/oauth/revoke",
        "jwks_uri": f"{iss}/oauth/jwks",
        "grant_types_supported": [DEVICE_GRANT, "refresh_token"],
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "subject_types_supported": ["public"],
        "scopes_supported": ["openid", "helsami"],
        "fhir_base_url": f"{iss}/fhir",
        "helsami_demo_login": _portal(request).settings.embedded_demo,
    })


async def jwks(request: Request) -> Response:
    data = await run_in_threadpool(_portal(request).tokens.keys.jwks)
    return JSONResponse(data)


# -- device authorization -------------------------------------------------------------------------

def _user_code() -> str:
    raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _norm_user_code(value: str) -> str:
    v = "".join(ch for ch in value.upper() if ch.isalnum())
    return f"{v[:4]}-{v[4:8]}" if len(v) == 8 else v


async def device_authorization(request: Request) -> Response:
    form = await _form(request)
    client_id = form.get("client_id", "").strip()
    if not client_id or len(client_id) > 100:
        return oauth_error("invalid_client", "client_id is required.")
    portal = _portal(request)
    agent = request.headers.get("user-agent", "unknown")[:120]
    host = request.client.host if request.client else "unknown"
    info = f"{client_id} ({agent}) from {host}"[:300]
    device = secrets.token_urlsafe(32)

    def save() -> str:
        now = timeutil.utcnow()
        with portal.store.write() as tx:
            for _ in range(5):
                code = _user_code()
                if tx.conn.execute(sa.select(device_code.c.user_code).where(device_code.c.user_code == code)).first():
                    continue
                tx.conn.execute(device_code.insert().values(
                    device_code_hash=sha256(device), user_code=code, client_id=client_id, client_info=info,
                    created=timeutil.instant(now), expires=timeutil.instant(now + DEVICE_TTL),
                    interval=POLL_INTERVAL, state="pending"))
                return code
        raise FhirError(503, "Could not make a sign-in code; try again.")

    code = await run_in_threadpool(save)
    iss = portal.settings.issuer.rstrip("/")
    return JSONResponse({
        "device_code": device, "user_code": code,
        "verification_uri": f"{iss}/device",
        "verification_uri_complete": f"{iss}/device?user_code={code}",
        "expires_in": int(DEVICE_TTL.total_seconds()), "interval": POLL_INTERVAL,
    }, headers={"Cache-Control": "no-store"})


def _poll_device(portal: Portal, device: str, client_id: str) -> dict[str, Any] | JSONResponse:
    with portal.store.write() as tx:
        row = tx.conn.execute(sa.select(device_code).where(device_code.c.device_code_hash == sha256(device))).first()
        if row is None or row.client_id != client_id:
            return oauth_error("invalid_grant", "Unknown device code.")
        now = timeutil.utcnow()
        if row.expires < timeutil.instant(now):
            return oauth_error("expired_token", "The sign-in code has expired; start again.")
        if row.state == "denied":
            return oauth_error("access_denied", "The sign-in was refused.")
        if row.state == "used":
            return oauth_error("invalid_grant", "This device code was already used.")
        if row.state == "pending":
            too_fast = False
            if row.last_poll:
                elapsed = (now - timeutil.parse(row.last_poll)).total_seconds()
                too_fast = elapsed < row.interval - 0.5
            tx.conn.execute(device_code.update().where(device_code.c.device_code_hash == row.device_code_hash)
                            .values(last_poll=timeutil.instant(now),
                                    interval=row.interval + 5 if too_fast else row.interval))
            if too_fast:
                return oauth_error("slow_down", "Polling too fast; wait longer between requests.")
            return oauth_error("authorization_pending", "Waiting for the user to approve the sign-in.")
        # approved: hand out tokens once
        res = tx.conn.execute(device_code.update().where(device_code.c.device_code_hash == row.device_code_hash,
                                                         device_code.c.state == "approved").values(state="used"))
        if res.rowcount != 1:
            return oauth_error("invalid_grant", "This device code was already used.")
        return portal.tokens.issue(tx, row.username, client_id=client_id)


async def token(request: Request) -> Response:
    form = await _form(request)
    portal = _portal(request)
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "").strip()
    if not client_id:
        return oauth_error("invalid_client", "client_id is required.")
    try:
        if grant == DEVICE_GRANT:
            result = await run_in_threadpool(_poll_device, portal, form.get("device_code", ""), client_id)
            if isinstance(result, JSONResponse):
                return result
        elif grant == "refresh_token":
            def rotate() -> dict[str, Any]:
                with portal.store.write() as tx:
                    return portal.tokens.refresh(tx, form.get("refresh_token", ""), client_id=client_id)
            result = await run_in_threadpool(rotate)
        else:
            return oauth_error("unsupported_grant_type", "Use the device code or refresh token grant.")
    except FhirError as e:
        return oauth_error("invalid_grant", e.diagnostics.replace("invalid_grant: ", ""))
    return JSONResponse(result, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def revoke(request: Request) -> Response:
    """RFC 7009: revoke a refresh token (or the session of an access token). Always 200."""
    form = await _form(request)
    value = form.get("token", "")
    portal = _portal(request)

    def do() -> None:
        with portal.store.write() as tx:
            if value.count(".") == 2:
                try:
                    claims = portal.tokens.verify(tx, value)
                    portal.tokens.revoke_session(tx, claims.session_id)
                except FhirError:
                    pass
            else:
                portal.tokens.revoke_refresh(tx, value)

    if value:
        await run_in_threadpool(do)
    return JSONResponse({}, headers={"Cache-Control": "no-store"})


# -- the approval page ----------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>HelsaMi Innboks – godkjenn pålogging</title>
<style>
body{{font-family:system-ui,sans-serif;font-size:1.15rem;max-width:34rem;margin:2rem auto;padding:0 1rem;
color:#111;background:#fff;line-height:1.5}}
label{{display:block;margin-top:1rem;font-weight:600}}
input{{font-size:1.2rem;padding:.4rem;width:100%;box-sizing:border-box;border:2px solid #333}}
button{{font-size:1.1rem;padding:.5rem 1.2rem;margin:1.2rem .6rem 0 0;border:2px solid #111;cursor:pointer}}
.approve{{background:#0b5;color:#000}} .deny{{background:#fff}}
.box{{border:2px solid #333;padding:.8rem;margin:1rem 0}} .err{{border-color:#b00;font-weight:600}}
</style></head><body>
<h1>HelsaMi Innboks</h1>
{body}
</body></html>"""


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "form-action 'self'; frame-ancestors 'none'",
                                 "Referrer-Policy": "no-referrer"})


def _code_form(error: str = "") -> str:
    err = f'<p class="box err">{html.escape(error)}</p>' if error else ""
    return f"""{err}<p>Skriv inn koden som vises i terminalen. / Enter the code shown in the terminal.</p>
<form method="get" action="/device"><label for="c">Kode / Code</label>
<input id="c" name="user_code" autocomplete="off" autofocus required>
<button type="submit">Fortsett / Continue</button></form>"""


def _find_code(portal: Portal, code: str) -> Any:
    with portal.store.read() as tx:
        return tx.conn.execute(sa.select(device_code).where(device_code.c.user_code == code)).first()


async def device_page(request: Request) -> Response:
    portal = _portal(request)
    code = _norm_user_code(request.query_params.get("user_code", ""))
    if not code:
        return _page(_code_form())
    row = await run_in_threadpool(_find_code, portal, code)
    if row is None or row.state != "pending" or row.expires < timeutil.instant():
        return _page(_code_form("Koden er ukjent eller utløpt. / The code is unknown or has expired."), 404)
    return _page(_approve_form(row))


def _approve_form(row: Any, error: str = "") -> str:
    err = f'<p class="box err">{html.escape(error)}</p>' if error else ""
    asked = row.created[:16].replace("T", " ")
    return f"""{err}<div class="box"><p><strong>En enhet ber om å logge inn. / A device asks to sign in.</strong></p>
<p>Kode / Code: <strong>{html.escape(row.user_code)}</strong><br>
Enhet / Device: {html.escape(row.client_info)}<br>
Spurt / Asked: {html.escape(asked)} UTC</p>
<p>Godkjenn bare hvis du selv startet denne påloggingen nå. / Approve only if you started this sign-in just now.</p></div>
<form method="post" action="/device"><input type="hidden" name="user_code" value="{html.escape(row.user_code)}">
<label for="u">Brukernavn / Username</label><input id="u" name="username" autocomplete="username" required>
<label for="p">Passord / Password</label><input id="p" type="password" name="password" autocomplete="current-password" required>
<button class="approve" name="decision" value="approve" type="submit">Godkjenn / Approve</button>
<button class="deny" name="decision" value="deny" type="submit">Avvis / Deny</button></form>"""


def _failures(tx: Tx, key: str) -> int:
    since = timeutil.instant(timeutil.utcnow() - FAILURE_WINDOW)
    return int(tx.conn.execute(sa.select(sa.func.count()).select_from(login_attempt).where(
        login_attempt.c.key == key, login_attempt.c.at > since)).scalar_one())


def _decide(portal: Portal, code: str, username: str, password: str, decision: str, ip: str) -> tuple[str, Any]:
    """Returns ("approved"|"denied"|"error"|"locked", row-or-message)."""
    with portal.store.write() as tx:
        row = tx.conn.execute(sa.select(device_code).where(device_code.c.user_code == code)).first()
        if row is None or row.state != "pending" or row.expires < timeutil.instant():
            return "gone", None
        keys = [f"user:{username.lower()}", f"ip:{ip}"]
        if max(_failures(tx, k) for k in keys) >= MAX_FAILURES:
            return "locked", row
        acct = tx.conn.execute(sa.select(account).where(account.c.username == username)).first()
        ok = check_password(password, acct.password_hash if acct else _DUMMY_HASH) and acct is not None \
            and not acct.disabled
        if not ok:
            for k in keys:
                tx.conn.execute(login_attempt.insert().values(key=k, at=timeutil.instant()))
            return "error", row
        state = "approved" if decision == "approve" else "denied"
        tx.conn.execute(device_code.update().where(device_code.c.device_code_hash == row.device_code_hash)
                        .values(state=state, username=username))
        return state, row


async def device_submit(request: Request) -> Response:
    portal = _portal(request)
    form = await _form(request)
    code = _norm_user_code(form.get("user_code", ""))
    username = form.get("username", "").strip()[:100]
    password = form.get("password", "")[:200]
    decision = form.get("decision", "approve")
    ip = request.client.host if request.client else "unknown"
    started = time.monotonic()
    result, row = await run_in_threadpool(_decide, portal, code, username, password, decision, ip)
    if result == "gone":
        return _page(_code_form("Koden er ukjent eller utløpt. / The code is unknown or has expired."), 404)
    if result == "locked":
        return _page(_approve_form(row, "For mange mislykkede forsøk. Vent 15 minutter. / Too many failed "
                                        "attempts. Wait 15 minutes."), 429)
    if result == "error":
        # Slow every failure down to at least a second, whatever the cause.
        await _sleep_until(started + 1.0)
        return _page(_approve_form(row, "Feil brukernavn eller passord. / Wrong username or password."), 401)
    if result == "denied":
        return _page("<p class='box'>Påloggingen ble avvist. / The sign-in was denied.</p>")
    return _page("<p class='box'>Godkjent. Du kan gå tilbake til terminalen. / Approved. You can return to the "
                 "terminal.</p>")


async def _sleep_until(deadline: float) -> None:
    import asyncio
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


# -- embedded demo ----------------------------------------------------------------------------------

async def demo_login(request: Request) -> Response:
    """Sign in as a demo user without the device dance. Exists only in an embedded demo portal."""
    portal = _portal(request)
    if not portal.settings.embedded_demo:
        raise FhirError(404, "There is nothing at this address.", code="not-found")
    host = request.client.host if request.client else ""
    if host not in ("127.0.0.1", "::1", "localhost", "testclient"):
        raise FhirError(403, "Demo sign-in is only offered to this machine.")
    form = await _form(request)
    username = form.get("username", "")

    def issue() -> dict[str, Any]:
        with portal.store.write() as tx:
            return portal.tokens.issue(tx, username, client_id="helsami-tui-demo")

    try:
        result = await run_in_threadpool(issue)
    except FhirError:
        return oauth_error("invalid_grant", "No such demo user.")
    return JSONResponse(result, headers={"Cache-Control": "no-store"})


# -- external OpenID Connect issuer -----------------------------------------------------------------

class ExternalIssuer:
    """Validates tokens of a trusted OIDC issuer against its published keys (cached 10 minutes)."""

    def __init__(self, issuer: str, audience: str, claim: str, jwks_url: str | None) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.claim = claim
        self.jwks_url = jwks_url
        self._keys: KeySet | None = None
        self._fetched = 0.0
        self._lock = threading.Lock()

    def keyset(self, force: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or force or time.monotonic() - self._fetched > 600:
                url = self.jwks_url
                if not url:
                    conf = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5).json()
                    url = conf["jwks_uri"]
                self._keys = KeySet.import_key_set(httpx.get(url, timeout=5).json())
                self._fetched = time.monotonic()
            return self._keys

    def verify(self, tx: Tx, token: str) -> TokenClaims:
        bad = FhirError(401, "The access token is not valid for this portal.", code="login",
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        try:
            try:
                decoded = jwt.decode(token, self.keyset())
            except JoseError:
                decoded = jwt.decode(token, self.keyset(force=True))  # the issuer may have rotated keys
            jwt.JWTClaimsRegistry(leeway=30, iss={"essential": True, "value": self.issuer},
                                  aud={"essential": True, "value": self.audience},
                                  exp={"essential": True}).validate(decoded.claims)
        except (JoseError, ValueError, KeyError, TypeError, httpx.HTTPError):
            raise bad from None
        username = str(decoded.claims.get(self.claim) or "")
        acct = tx.conn.execute(sa.select(account).where(account.c.username == username)).first()
        if acct is None or acct.disabled:
            raise FhirError(403, "The signed-in user is not a member of staff on this portal.", code="forbidden")
        sid = "ext:" + sha256(f"{decoded.claims.get('sid') or decoded.claims.get('jti') or token}")[:32]
        return TokenClaims(acct.username, acct.kind, acct.resource, sid, str(decoded.claims.get("azp", "")),
                           {"name": acct.display})


def verify_any(portal: Portal, tx: Tx, token: str) -> TokenClaims:
    ext: ExternalIssuer | None = getattr(portal, "_external", None)
    s = portal.settings
    if s.oidc_issuer and ext is None:
        ext = ExternalIssuer(s.oidc_issuer, s.oidc_audience or "helsami-portal", s.oidc_claim, s.oidc_jwks_url)
        portal._external = ext  # type: ignore[attr-defined]
    if ext is not None:
        try:
            if _issuer_of(token) == ext.issuer:
                return ext.verify(tx, token)
        except ValueError:
            pass
    return portal.tokens.verify(tx, token)


def _issuer_of(token: str) -> str:
    import base64
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    return str(claims.get("iss", "")).rstrip("/")


def routes() -> list[Route]:
    return [
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/oauth/jwks", jwks, methods=["GET"]),
        Route("/oauth/device_authorization", device_authorization, methods=["POST"]),
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/device", device_page, methods=["GET"]),
        Route("/device", device_submit, methods=["POST"]),
        Route("/auth/demo-login", demo_login, methods=["POST"]),
    ]
