"""Signed access tokens (JWT, ES256) and rotating, revocable refresh tokens.

Signing keys live in the database so that every portal process signs and verifies with the same
keys. Access tokens are short-lived; each carries a session id (`sid`) that sign-out revokes
at once, so a revoked session's access tokens stop working before they expire.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..store import sessions
from ..store.store import Store, Tx

ACCESS_TTL = dt.timedelta(minutes=10)
REFRESH_TTL = dt.timedelta(hours=12)  # idle: an unused refresh token expires
SESSION_TTL = dt.timedelta(hours=10)  # absolute: one working day from sign-in, however often refreshed
AUDIENCE = "helsami-portal"
ALG = "ES256"


# -- passwords ----------------------------------------------------------------------------------
# Argon2id (argon2-cffi) at OWASP's recommended minimum (m=19 MiB, t=2, p=1). Hashes made with the
# earlier scrypt scheme still verify; `needs_rehash` tells the sign-in to store an Argon2id hash.

_ARGON = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _ARGON.hash(password)


def check_password(password: str, stored: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _ARGON.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return _check_scrypt(password, stored)


def needs_rehash(stored: str) -> bool:
    """True for legacy scrypt hashes and Argon2 hashes with weaker parameters than today's."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return _ARGON.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _check_scrypt(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(bytes.fromhex(digest)),
            maxmem=2**27,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


# Used so that a sign-in with an unknown username costs as much as one with a wrong password.
_DUMMY_HASH = hash_password("unknown-user")


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# -- keys ---------------------------------------------------------------------------------------


class KeyRing:
    """The portal's signing keys, cached and re-read from the database when a new kid appears."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._keys: dict[str, ECKey] = {}
        self._active: ECKey | None = None
        self._keyset: KeySet | None = None  # the public keys, imported once per load

    def _load(self) -> None:
        with self.store.read() as tx:
            rows = sessions.signing_keys(tx)
        keys = {r.kid: ECKey.import_key(json.loads(r.private_jwk)) for r in rows}
        active = [r for r in rows if r.active]
        active.sort(key=lambda r: r.created)
        self._keys = keys
        self._active = keys[active[-1].kid] if active else None
        self._keyset = KeySet([ECKey.import_key(k.as_dict(private=False)) for k in keys.values()])

    def ensure(self) -> None:
        with self._lock:
            self._load()
            if self._active is not None:
                return
            kid = secrets.token_hex(8)
            key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": ALG})
            with self.store.write() as tx:
                sessions.add_signing_key(
                    tx, kid=kid, created=timeutil.instant(), private_jwk=json.dumps(key.as_dict(private=True))
                )
            self._load()

    @property
    def loaded(self) -> bool:
        """True once this process holds an active signing key (the readiness check)."""
        return self._active is not None

    def signing(self) -> ECKey:
        if self._active is None:
            self.ensure()
        assert self._active is not None
        return self._active

    def keyset(self, kid: str | None = None) -> KeySet:
        if self._keyset is None or (kid and kid not in self._keys):
            with self._lock:
                self._load()
        assert self._keyset is not None
        return self._keyset

    def jwks(self) -> dict[str, Any]:
        if not self._keys:
            self.ensure()
        return {"keys": [{**k.as_dict(private=False), "use": "sig", "alg": ALG} for k in self._keys.values()]}


# -- tokens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenClaims:
    username: str
    kind: str
    resource: str
    session_id: str
    client_id: str
    claims: dict[str, Any]


class TokenService:
    def __init__(
        self, store: Store, issuer: str, *, idle: dt.timedelta = REFRESH_TTL, absolute: dt.timedelta = SESSION_TTL
    ) -> None:
        self.store = store
        self.issuer = issuer
        self.idle = idle  # a refresh token unused this long expires
        self.absolute = absolute  # no session outlives this from its sign-in
        self.keys = KeyRing(store)
        self._revoked_cache: dict[str, float] = {}

    def issue(
        self,
        tx: Tx,
        username: str,
        *,
        client_id: str,
        family: str | None = None,
        session_start: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Access + refresh token for an account (a new session unless `family` continues one,
        begun at `session_start`)."""
        acct = sessions.account_by_username(tx, username)
        if acct is None or acct.disabled:
            raise FhirError(401, "The account is not active.", code="login", reason="account-inactive")
        family = family or secrets.token_hex(16)
        now = timeutil.utcnow()
        ends = (session_start or now) + self.absolute
        refresh_expires = min(now + self.idle, ends)
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": username,
            "kind": acct.kind,
            "res": acct.resource,
            "name": acct.display,
            "sid": family,
            "client_id": client_id,
            "iat": int(now.timestamp()),
            "exp": int(min(now + ACCESS_TTL, ends).timestamp()),
            "jti": secrets.token_hex(8),
        }
        key = self.keys.signing()
        access = jwt.encode({"alg": ALG, "kid": key.kid, "typ": "at+jwt"}, claims, key)
        refresh = secrets.token_urlsafe(32)
        sessions.add_refresh_token(
            tx,
            token_hash=sha256(refresh),
            family=family,
            username=username,
            client_id=client_id,
            created=timeutil.instant(now),
            expires=timeutil.instant(refresh_expires),
        )
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": max(0, int(min(ACCESS_TTL, ends - now).total_seconds())),
            "refresh_token": refresh,
            "scope": "openid helsami",
            "session_id": family,
            "session_expires": timeutil.instant(ends),
        }

    def refresh(self, tx: Tx, token: str, *, client_id: str) -> dict[str, Any]:
        """Rotate: the old refresh token is spent; reuse of a spent one revokes the whole session."""
        row = sessions.refresh_token_by_hash(tx, sha256(token))
        if row is None or row.client_id != client_id:
            raise FhirError(400, "invalid_grant: the refresh token is not known.", code="login", reason="session-ended")
        if row.revoked or self.session_revoked(tx, row.family):
            raise FhirError(400, "invalid_grant: the session was signed out.", code="login", reason="session-ended")
        if row.used:
            self._revoke_after(tx, row.family)
            raise FhirError(
                400,
                "invalid_grant: the refresh token was already used; the session is now signed out for safety.",
                code="login",
                reason="session-ended",
            )
        if row.expires < timeutil.instant():
            raise FhirError(400, "invalid_grant: the refresh token has expired.", code="login", reason="session-ended")
        started = self.session_start(tx, row.family)
        if started + self.absolute <= timeutil.utcnow():
            raise FhirError(
                400,
                "invalid_grant: the session has reached its longest lifetime; sign in again.",
                code="login",
                reason="session-expired",
                args={"limit": int(self.absolute.total_seconds())},
            )
        if not sessions.spend_refresh_token(tx, row.token_hash):
            self._revoke_after(tx, row.family)
            raise FhirError(
                400, "invalid_grant: the refresh token was already used.", code="login", reason="session-ended"
            )
        return self.issue(tx, row.username, client_id=client_id, family=row.family, session_start=started)

    def session_start(self, tx: Tx, family: str) -> dt.datetime:
        """When the session began: its first refresh token (rows are kept until the session ends)."""
        return timeutil.parse(sessions.session_first_created(tx, family))

    def _revoke_after(self, tx: Tx, family: str) -> None:
        """Revoke a session in its own transaction once `tx` has ended: the refusal that follows
        rolls `tx` back, and the revocation must survive that."""

        def run() -> None:
            with self.store.write() as wtx:
                self.revoke_session(wtx, family)

        tx.defer(run)

    def revoke_session(self, tx: Tx, family: str) -> None:
        tx.bump_auth_epoch()  # every process drops the principals it keeps (see Portal.authenticate)
        sessions.revoke_refresh_tokens(tx, family)
        if not sessions.session_revoked(tx, family):
            sessions.add_revoked_session(tx, family, timeutil.instant())

    def revoke_refresh(self, tx: Tx, token: str) -> None:
        family = sessions.family_of_refresh_token(tx, sha256(token))
        if family is not None:
            self.revoke_session(tx, family)

    def session_revoked(self, tx: Tx, sid: str) -> bool:
        return sessions.session_revoked(tx, sid)

    def verify(self, tx: Tx, token: str) -> TokenClaims:
        """Check signature, issuer, audience, expiry and revocation; raise 401 otherwise."""
        try:
            header = _peek_header(token)
            decoded = jwt.decode(token, self.keys.keyset(header.get("kid")), algorithms=[ALG])
            jwt.JWTClaimsRegistry(
                leeway=30,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": AUDIENCE},
                exp={"essential": True},
                sub={"essential": True},
                sid={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError, KeyError, TypeError, RecursionError):
            raise FhirError(
                401,
                "The access token is not valid (expired, revoked or not issued by this portal). Sign in again.",
                code="login",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                reason="token-invalid",
            ) from None
        claims = decoded.claims
        if self.session_revoked(tx, claims["sid"]):
            raise FhirError(
                401,
                "This session was signed out. Sign in again.",
                code="login",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                reason="session-ended",
            )
        return TokenClaims(
            claims["sub"],
            str(claims.get("kind", "")),
            str(claims.get("res", "")),
            claims["sid"],
            str(claims.get("client_id", "")),
            claims,
        )


def _peek_header(token: str) -> dict[str, Any]:
    """The JOSE header of a token; ValueError unless it is a JSON object (never a list, a string...)."""
    import base64

    head = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except RecursionError:
        raise ValueError("the token header is nested too deeply") from None
    if not isinstance(header, dict) or not isinstance(header.get("kid", ""), (str, type(None))):
        raise ValueError("the token header is not a JSON object")
    return header
