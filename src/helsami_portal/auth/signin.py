"""Sign-in and sign-out: a user's decision on a device code (password check and lockout), token
refresh, revocation and the embedded demo's sign-in.

The lockout rules are `auth.throttle` (progressive delay, known addresses); this module applies
them to one sign-in, logs every decision with ids only (the device code's hash prefix, the
account's resource or a hash of the typed name, the address) and moves the device code on
(`auth.device`). Session lifetimes (idle and absolute) are `TokenService`'s. The routes
(`api.auth_routes`) parse the request and shape the answer; the SQL is `store.sessions`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..store import sessions
from ..store.store import Store
from . import throttle
from .tokens import _DUMMY_HASH, TokenService, check_password, hash_password, needs_rehash

log = logging.getLogger("helsami_portal.signin")
DEMO_CLIENT = "helsami-tui-demo"


def decide(
    store: Store,
    policy: throttle.Policy,
    code: str,
    username: str,
    password: str,
    decision: str,
    ip: str,
    *,
    lookups: int,
    window: dt.timedelta,
) -> tuple[str, Any, throttle.Decision | None]:
    """Returns ("approved"|"denied"|"error"|"throttled"|"gone", row, throttle decision).

    Every decision is logged with ids only: the device code's hash prefix, the account's
    resource (or a hash of the typed name when there is no such account) and the address."""
    with store.write() as tx:
        wait = throttle.hit(tx, f"code:{ip}", lookups, window, policy, record=False)
        if wait:
            log.warning("sign-in code lookup refused: rate limit from %s", ip)
            return "throttled", None, throttle.Decision(False, wait, "code-lookups", lookups)
        row = sessions.device_code_by_user_code(tx, code)
        if row is None or row.state != "pending" or row.expires < timeutil.instant():
            throttle.hit(tx, f"code:{ip}", lookups, window, policy)
            log.info("sign-in code unknown or expired, from %s", ip)
            return "gone", None, None
        acct = sessions.account_by_username(tx, username)
        who = acct.resource if acct is not None else throttle.account_id(username)
        verdict = throttle.reserve(tx, policy, username, ip)
    dev = row.device_code_hash[:12]
    if not verdict.allowed:
        log.warning(
            "sign-in throttled (%s limit %s, wait %ss) for %s from %s, device %s",
            verdict.limit,
            verdict.limit_value,
            verdict.wait,
            who,
            ip,
            dev,
        )
        return "throttled", row, verdict
    stored = acct.password_hash if acct is not None else _DUMMY_HASH
    ok = check_password(password, stored) and acct is not None and not acct.disabled
    if not ok:
        log.warning(
            "sign-in failed (wrong password, unknown or disabled account) for %s from %s, device %s", who, ip, dev
        )
        return "error", row, verdict
    upgraded = hash_password(password) if needs_rehash(stored) else None
    with store.write() as tx:
        throttle.succeeded(tx, verdict, username, ip)
        if upgraded:
            sessions.replace_password_hash(tx, username, old=stored, new=upgraded)
        state = "approved" if decision == "approve" else "denied"
        if not sessions.move_device_code(tx, row.device_code_hash, state="pending", to=state, username=username):
            return "gone", None, None
    log.info(
        "sign-in %s for %s from %s, device %s%s", state, who, ip, dev, " (password hash upgraded)" if upgraded else ""
    )
    return state, row, verdict


def refresh(store: Store, tokens: TokenService, refresh_token: str, client_id: str) -> dict[str, Any]:
    """New tokens for a refresh token (rotated: the old one is used up)."""
    with store.write() as tx:
        return tokens.refresh(tx, refresh_token, client_id=client_id)


def revoke(store: Store, tokens: TokenService, value: str) -> None:
    """Sign out (RFC 7009): an access token ends its whole session, a refresh token itself.
    An invalid token is no error (nothing to revoke)."""
    with store.write() as tx:
        if value.count(".") == 2:
            try:
                claims = tokens.verify(tx, value)
                tokens.revoke_session(tx, claims.session_id)
            except FhirError:
                pass
        else:
            tokens.revoke_refresh(tx, value)


def demo(store: Store, tokens: TokenService, username: str) -> dict[str, Any]:
    """Tokens for a demo user without the device dance (only an embedded demo portal offers it)."""
    with store.write() as tx:
        return tokens.issue(tx, username, client_id=DEMO_CLIENT)
