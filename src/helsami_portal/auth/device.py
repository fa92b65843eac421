"""The device code's lifecycle (OAuth 2.0 device authorization grant, RFC 8628).

A device asks for a code (`start`): pending for `DEVICE_TTL`, shown to its user as a short user
code. The device polls (`poll`) no faster than its interval (each too-fast poll adds five seconds),
until the user approves or denies the code on the approval page (`find_pending`, then
`auth.signin.decide`); an approved code gives tokens once and is then used. Unknown user codes
count against the address that typed them, so codes cannot be guessed at speed (docs/auth.md).
The routes (`api.auth_routes`) parse the request and shape the answer; the SQL is
`store.sessions`.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..store import sessions
from ..store.store import Store
from . import throttle
from .tokens import TokenService, sha256

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_TTL = dt.timedelta(minutes=10)
POLL_INTERVAL = 5
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels: no words, no 0/O or 1/I confusion
log = logging.getLogger("helsami_portal.signin")


@dataclass(frozen=True)
class Refused:
    """A token request refused with an OAuth error (RFC 6749 section 5.2, RFC 8628 section 3.5)."""

    error: str
    description: str


def new_user_code() -> str:
    raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normal_user_code(value: str) -> str:
    """A user code as typed (any case, with or without the dash) in its one written form."""
    v = "".join(ch for ch in value.upper() if ch.isalnum())
    return f"{v[:4]}-{v[4:8]}" if len(v) == 8 else v


def start(
    store: Store, policy: throttle.Policy, *, device: str, client_id: str, info: str, address: str, limit: int
) -> str:
    """A new pending device code for `device` (the secret the device polls with); returns its
    user code. 429 past `limit` requests a minute from `address`."""
    now = timeutil.utcnow()
    with store.write() as tx:
        wait = throttle.hit(tx, f"devauth:{address}", limit, dt.timedelta(minutes=1), policy)
        if wait:
            log.warning("device authorisation refused: rate limit from %s", address)
            raise throttle.throttled(wait, "too-many-device-authorizations", limit, "sign-in requests")
        for _ in range(5):
            code = new_user_code()
            if sessions.user_code_taken(tx, code):
                continue
            sessions.add_device_code(
                tx,
                device_code_hash=sha256(device),
                user_code=code,
                client_id=client_id,
                client_info=info,
                created=timeutil.instant(now),
                expires=timeutil.instant(now + DEVICE_TTL),
                interval=POLL_INTERVAL,
            )
            return code
    raise FhirError(503, "Could not make a sign-in code; try again.", reason="unavailable")


def poll(store: Store, tokens: TokenService, device: str, client_id: str) -> dict[str, Any] | Refused:
    """The device's poll: the tokens, once, when its user approved; else why not (yet)."""
    with store.write() as tx:
        row = sessions.device_code_by_hash(tx, sha256(device))
        if row is None or row.client_id != client_id:
            return Refused("invalid_grant", "Unknown device code.")
        now = timeutil.utcnow()
        if row.expires < timeutil.instant(now):
            return Refused("expired_token", "The sign-in code has expired; start again.")
        if row.state == "denied":
            return Refused("access_denied", "The sign-in was refused.")
        if row.state == "used":
            return Refused("invalid_grant", "This device code was already used.")
        if row.state == "pending":
            too_fast = False
            if row.last_poll:
                elapsed = (now - timeutil.parse(row.last_poll)).total_seconds()
                too_fast = elapsed < row.interval - 0.5
            sessions.note_poll(
                tx,
                row.device_code_hash,
                at=timeutil.instant(now),
                interval=row.interval + 5 if too_fast else row.interval,
            )
            if too_fast:
                return Refused("slow_down", "Polling too fast; wait longer between requests.")
            return Refused("authorization_pending", "Waiting for the user to approve the sign-in.")
        # approved: hand out tokens once
        if not sessions.move_device_code(tx, row.device_code_hash, state="approved", to="used"):
            return Refused("invalid_grant", "This device code was already used.")
        return tokens.issue(tx, row.username, client_id=client_id)


def find_pending(
    store: Store, policy: throttle.Policy, code: str, address: str, *, limit: int, window: dt.timedelta
) -> sessions.Row | None:
    """The pending device code a user code names, or None. Unknown codes count against the
    address (429 past `limit` in `window`)."""
    key = f"code:{address}"
    with store.write() as tx:
        wait = throttle.hit(tx, key, limit, window, policy, record=False)
        if wait:
            log.warning("sign-in code lookup refused: rate limit from %s", address)
            raise throttle.throttled(wait, "too-many-code-lookups", limit, "unknown sign-in codes")
        row = sessions.device_code_by_user_code(tx, code)
        if row is None or row.state != "pending" or row.expires < timeutil.instant():
            throttle.hit(tx, key, limit, window, policy)
            log.info("sign-in code unknown or expired, from %s", address)
            return None
        return row
