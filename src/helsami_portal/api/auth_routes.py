"""Sign-in routes: OAuth 2.0 device authorization grant (RFC 8628), tokens, revocation, discovery,
the built-in approval page, and the embedded-demo sign-in that only an embedded demo portal offers.

The routes parse the request, call one rule and shape the answer: the device code's lifecycle is
`auth.device`, the sign-in decision (password, lockout) and sign-out `auth.signin`, the lockout
policy `auth.throttle`, an external OpenID Connect issuer `auth.external`.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import secrets
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import metrics
from ..auth import device, signin, throttle
from ..fhir.outcome import FhirError
from .bodies import check_string, parse_json
from .deps import portal_of
from .portal import Portal


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers={"Cache-Control": "no-store"}
    )


async def _form(request: Request) -> dict[str, str]:
    """The fields of a form or JSON body (size limited in front of every route, api.guard)."""
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        try:
            data = parse_json(await request.body(), max_depth=portal_of(request).settings.max_json_depth)
        except FhirError as e:
            if e.reason == "body-too-deep":
                raise
            return {}
        out = {k: str(v) for k, v in data.items() if isinstance(v, (str, int, float))} if isinstance(data, dict) else {}
    else:
        form = await request.form(max_files=0, max_fields=50)
        out = {k: str(v) for k, v in form.items()}
    for k, v in out.items():
        check_string(v, k[:40])
    return out


def _address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy said (Settings.trusted_proxies)."""
    return request.client.host if request.client else "unknown"


def _policy(portal: Portal) -> throttle.Policy:
    s = portal.settings
    return throttle.Policy(
        window=dt.timedelta(minutes=s.signin_window_minutes),
        account_address_limit=s.signin_account_address_limit,
        address_limit=s.signin_address_limit,
        account_limit=s.signin_account_limit,
        base_delay=s.signin_base_delay_seconds,
        max_delay=s.signin_max_delay_seconds,
    )


# -- discovery ----------------------------------------------------------------------------------


async def discovery(request: Request) -> Response:
    iss = portal_of(request).settings.issuer.rstrip("/")
    return JSONResponse(
        {
            "issuer": iss,
            "device_authorization_endpoint": f"{iss}/oauth/device_authorization",
            "token_endpoint": f"{iss}/oauth/token",
            "revocation_endpoint": f"{iss}/oauth/revoke",
            "jwks_uri": f"{iss}/oauth/jwks",
            "grant_types_supported": [device.DEVICE_GRANT, "refresh_token"],
            "response_types_supported": ["token"],
            "token_endpoint_auth_methods_supported": ["none"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "subject_types_supported": ["public"],
            "scopes_supported": ["openid", "helsami"],
            "fhir_base_url": f"{iss}/fhir",
            "helsami_demo_login": portal_of(request).settings.embedded_demo,
        }
    )


async def jwks(request: Request) -> Response:
    data = await run_in_threadpool(portal_of(request).tokens.keys.jwks)
    return JSONResponse(data)


# -- device authorization -------------------------------------------------------------------------


async def device_authorization(request: Request) -> Response:
    form = await _form(request)
    client_id = form.get("client_id", "").strip()
    if not client_id or len(client_id) > 100:
        return oauth_error("invalid_client", "client_id is required.")
    portal = portal_of(request)
    agent = request.headers.get("user-agent", "unknown")[:120]
    host = _address(request)
    info = f"{client_id} ({agent}) from {host}"[:300]
    secret = secrets.token_urlsafe(32)

    code = await run_in_threadpool(
        functools.partial(
            device.start,
            portal.store,
            _policy(portal),
            device=secret,
            client_id=client_id,
            info=info,
            address=host,
            limit=portal.settings.device_authorizations_per_address,
        )
    )
    iss = portal.settings.issuer.rstrip("/")
    return JSONResponse(
        {
            "device_code": secret,
            "user_code": code,
            "verification_uri": f"{iss}/device",
            "verification_uri_complete": f"{iss}/device?user_code={code}",
            "expires_in": int(device.DEVICE_TTL.total_seconds()),
            "interval": device.POLL_INTERVAL,
        },
        headers={"Cache-Control": "no-store"},
    )


async def token(request: Request) -> Response:
    form = await _form(request)
    portal = portal_of(request)
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "").strip()
    if not client_id:
        return oauth_error("invalid_client", "client_id is required.")
    try:
        if grant == device.DEVICE_GRANT:
            polled = await run_in_threadpool(
                device.poll, portal.store, portal.tokens, form.get("device_code", ""), client_id
            )
            if isinstance(polled, device.Refused):
                return oauth_error(polled.error, polled.description)
            result = polled
        elif grant == "refresh_token":
            result = await run_in_threadpool(
                signin.refresh, portal.store, portal.tokens, form.get("refresh_token", ""), client_id
            )
        else:
            return oauth_error("unsupported_grant_type", "Use the device code or refresh token grant.")
    except FhirError as e:
        metrics.SIGN_INS.labels(grant_step(grant), "refused").inc()
        return oauth_error("invalid_grant", e.diagnostics.replace("invalid_grant: ", ""))
    metrics.SIGN_INS.labels(grant_step(grant), "issued").inc()
    return JSONResponse(result, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def grant_step(grant: str) -> str:
    return "device-grant" if grant == device.DEVICE_GRANT else "refresh"


async def revoke(request: Request) -> Response:
    """RFC 7009: revoke a refresh token (or the session of an access token). Always 200."""
    form = await _form(request)
    value = form.get("token", "")
    portal = portal_of(request)

    if value:
        await run_in_threadpool(signin.revoke, portal.store, portal.tokens, value)
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


def _page(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(body=body),
        status_code=status,
        headers={
            **(headers or {}),
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "form-action 'self'; frame-ancestors 'none'",
            "Referrer-Policy": "no-referrer",
        },
    )


def _code_form(error: str = "") -> str:
    err = f'<p class="box err">{html.escape(error)}</p>' if error else ""
    return f"""{err}<p>Skriv inn koden som vises i terminalen. / Enter the code shown in the terminal.</p>
<form method="get" action="/device"><label for="c">Kode / Code</label>
<input id="c" name="user_code" autocomplete="off" autofocus required>
<button type="submit">Fortsett / Continue</button></form>"""


async def device_page(request: Request) -> Response:
    portal = portal_of(request)
    code = device.normal_user_code(request.query_params.get("user_code", "")[:40])
    check_string(code, "user_code")
    if not code:
        return _page(_code_form())
    address = _address(request)
    try:
        row = await run_in_threadpool(
            functools.partial(
                device.find_pending,
                portal.store,
                _policy(portal),
                code,
                address,
                limit=portal.settings.code_lookups_per_address,
                window=dt.timedelta(minutes=portal.settings.signin_window_minutes),
            )
        )
    except FhirError as e:
        return _page(_code_form(_wait_text(e)), e.status, headers=e.headers)
    if row is None:
        return _page(_code_form("Koden er ukjent eller utløpt. / The code is unknown or has expired."), 404)
    return _page(_approve_form(row, address=address))


def _wait_text(e: FhirError) -> str:
    wait = e.reason_args.get("retryAfter", 60)
    return (
        f"For mange forsøk herfra. Prøv igjen om {wait} sekunder. / Too many attempts from here. "
        f"Try again in {wait} seconds."
    )


def _approve_form(row: Any, error: str = "", *, address: str = "") -> str:
    err = f'<p class="box err">{html.escape(error)}</p>' if error else ""
    asked = row.created[:16].replace("T", " ")
    here = f"<br>Du er / You are at: {html.escape(address)}" if address else ""
    return f"""{err}<div class="box"><p><strong>En enhet ber om å logge inn. / A device asks to sign in.</strong></p>
<p>Kode / Code: <strong>{html.escape(row.user_code)}</strong><br>
Enhet / Device: {html.escape(row.client_info)}<br>
Spurt / Asked: {html.escape(asked)} UTC{here}</p>
<p>Godkjenn bare hvis du selv startet denne påloggingen nå. / Approve only if you started this sign-in just now.</p></div>
<form method="post" action="/device"><input type="hidden" name="user_code" value="{html.escape(row.user_code)}">
<label for="u">Brukernavn / Username</label><input id="u" name="username" autocomplete="username" required>
<label for="p">Passord / Password</label><input id="p" type="password" name="password" autocomplete="current-password" required>
<button class="approve" name="decision" value="approve" type="submit">Godkjenn / Approve</button>
<button class="deny" name="decision" value="deny" type="submit">Avvis / Deny</button></form>"""


async def device_submit(request: Request) -> Response:
    portal = portal_of(request)
    form = await _form(request)
    code = device.normal_user_code(form.get("user_code", "")[:40])
    username = form.get("username", "").strip()[:100]
    password = form.get("password", "")[:200]
    decision = form.get("decision", "approve")
    ip = _address(request)
    started = portal.monotonic()
    result, row, verdict = await run_in_threadpool(
        functools.partial(
            signin.decide,
            portal.store,
            _policy(portal),
            code,
            username,
            password,
            decision,
            ip,
            lookups=portal.settings.code_lookups_per_address,
            window=dt.timedelta(minutes=portal.settings.signin_window_minutes),
        )
    )
    metrics.SIGN_INS.labels("device-page", result).inc()
    if result == "gone":
        return _page(_code_form("Koden er ukjent eller utløpt. / The code is unknown or has expired."), 404)
    if result == "throttled":
        assert verdict is not None
        wait = verdict.wait
        if row is None:  # too many unknown codes from this address
            return _page(
                _code_form(
                    f"For mange forsøk herfra. Prøv igjen om {wait} sekunder. / Too many "
                    f"attempts from here. Try again in {wait} seconds."
                ),
                429,
                headers={"Retry-After": str(wait)},
            )
        return _page(
            _approve_form(
                row,
                f"For mange mislykkede forsøk. Prøv igjen om {wait} sekunder. / "
                f"Too many failed attempts. Try again in {wait} seconds.",
                address=ip,
            ),
            429,
            headers={"Retry-After": str(wait)},
        )
    if result == "error":
        # Slow every failure down to at least a second, whatever the cause.
        await _sleep_until(portal, started + 1.0)
        return _page(
            _approve_form(row, "Feil brukernavn eller passord. / Wrong username or password.", address=ip), 401
        )
    if result == "denied":
        return _page("<p class='box'>Påloggingen ble avvist. / The sign-in was denied.</p>")
    return _page(
        "<p class='box'>Godkjent. Du kan gå tilbake til terminalen. / Approved. You can return to the terminal.</p>"
    )


async def _sleep_until(portal: Portal, deadline: float) -> None:
    delay = deadline - portal.monotonic()
    if delay > 0:
        await portal.sleep(delay)


# -- embedded demo ----------------------------------------------------------------------------------


async def demo_login(request: Request) -> Response:
    """Sign in as a demo user without the device dance. Exists only in an embedded demo portal."""
    portal = portal_of(request)
    if not portal.settings.embedded_demo:
        raise FhirError(404, "There is nothing at this address.", code="not-found", reason="no-such-address")
    host = request.client.host if request.client else ""
    if host not in ("127.0.0.1", "::1", "localhost", "testclient"):
        raise FhirError(403, "Demo sign-in is only offered to this machine.", reason="demo-local-only")
    form = await _form(request)
    username = form.get("username", "")

    try:
        result = await run_in_threadpool(signin.demo, portal.store, portal.tokens, username)
    except FhirError:
        return oauth_error("invalid_grant", "No such demo user.")
    return JSONResponse(result, headers={"Cache-Control": "no-store"})


# -- external OpenID Connect issuer -----------------------------------------------------------------


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
