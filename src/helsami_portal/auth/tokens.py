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
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..store.schema import account, refresh_token, revoked_session, signing_key
from ..store.store import Store, Tx

ACCESS_TTL = dt.timedelta(minutes=10)
REFRESH_TTL = dt.timedelta(hours=12)
AUDIENCE = "helsami-portal"
ALG = "ES256"


# -- passwords ----------------------------------------------------------------------------------

def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


# Used so that a sign-in with an unknown username costs as much as one with a wrong password.
_DUMMY_HASH = hash_password("unknown-user", salt=b"0" * 16)


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

    def _load(self) -> None:
        with self.store.read() as tx:
            rows = tx.conn.execute(sa.select(signing_key)).all()
        keys = {r.kid: ECKey.import_key(json.loads(r.private_jwk)) for r in rows}
        active = [r for r in rows if r.active]
        active.sort(key=lambda r: r.created)
        self._keys = keys
        self._active = keys[active[-1].kid] if active else None

    def ensure(self) -> None:
        with self._lock:
            self._load()
            if self._active is not None:
                return
            kid = secrets.token_hex(8)
            key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": ALG})
            with self.store.write() as tx:
                tx.conn.execute(signing_key.insert().values(
                    kid=kid, created=timeutil.instant(), active=True,
                    private_jwk=json.dumps(key.as_dict(private=True))))
            self._load()

    def signing(self) -> ECKey:
        if self._active is None:
            self.ensure()
        assert self._active is not None
        return self._active

    def keyset(self, kid: str | None = None) -> KeySet:
        if kid and kid not in self._keys:
            with self._lock:
                self._load()
        return KeySet([ECKey.import_key(k.as_dict(private=False)) for k in self._keys.values()])

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
    def __init__(self, store: Store, issuer: str) -> None:
        self.store = store
        self.issuer = issuer
        self.keys = KeyRing(store)
        self._revoked_cache: dict[str, float] = {}

    def issue(self, tx: Tx, username: str, *, client_id: str, family: str | None = None) -> dict[str, Any]:
        """Access + refresh token for an account (a new session unless `family` continues one)."""
        acct = tx.conn.execute(sa.select(account).where(account.c.username == username)).first()
        if acct is None or acct.disabled:
            raise FhirError(401, "The account is not active.", code="login")
        family = family or secrets.token_hex(16)
        now = timeutil.utcnow()
        claims = {
            "iss": self.issuer, "aud": AUDIENCE, "sub": username, "kind": acct.kind,
            "res": acct.resource, "name": acct.display, "sid": family, "client_id": client_id,
            "iat": int(now.timestamp()), "exp": int((now + ACCESS_TTL).timestamp()),
            "jti": secrets.token_hex(8),
        }
        key = self.keys.signing()
        access = jwt.encode({"alg": ALG, "kid": key.kid, "typ": "at+jwt"}, claims, key)
        refresh = secrets.token_urlsafe(32)
        tx.conn.execute(refresh_token.insert().values(
            token_hash=sha256(refresh), family=family, username=username, client_id=client_id,
            created=timeutil.instant(now), expires=timeutil.instant(now + REFRESH_TTL)))
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(ACCESS_TTL.total_seconds()),
                "refresh_token": refresh, "scope": "openid helsami", "session_id": family}

    def refresh(self, tx: Tx, token: str, *, client_id: str) -> dict[str, Any]:
        """Rotate: the old refresh token is spent; reuse of a spent one revokes the whole session."""
        row = tx.conn.execute(sa.select(refresh_token).where(refresh_token.c.token_hash == sha256(token))
                              ).first()
        if row is None or row.client_id != client_id:
            raise FhirError(400, "invalid_grant: the refresh token is not known.", code="login")
        if row.revoked or self.session_revoked(tx, row.family):
            raise FhirError(400, "invalid_grant: the session was signed out.", code="login")
        if row.used:
            self._revoke_after(tx, row.family)
            raise FhirError(400, "invalid_grant: the refresh token was already used; the session is "
                                 "now signed out for safety.", code="login")
        if row.expires < timeutil.instant():
            raise FhirError(400, "invalid_grant: the refresh token has expired.", code="login")
        res = tx.conn.execute(refresh_token.update().where(
            refresh_token.c.token_hash == row.token_hash, refresh_token.c.used == sa.false()
        ).values(used=True))
        if res.rowcount != 1:
            self._revoke_after(tx, row.family)
            raise FhirError(400, "invalid_grant: the refresh token was already used.", code="login")
        return self.issue(tx, row.username, client_id=client_id, family=row.family)

    def _revoke_after(self, tx: Tx, family: str) -> None:
        """Revoke a session in its own transaction once `tx` has ended: the refusal that follows
        rolls `tx` back, and the revocation must survive that."""
        def run() -> None:
            with self.store.write() as wtx:
                self.revoke_session(wtx, family)
        tx.defer(run)

    def revoke_session(self, tx: Tx, family: str) -> None:
        tx.conn.execute(refresh_token.update().where(refresh_token.c.family == family).values(revoked=True))
        exists = tx.conn.execute(sa.select(revoked_session.c.sid).where(revoked_session.c.sid == family)).first()
        if not exists:
            tx.conn.execute(revoked_session.insert().values(sid=family, revoked_at=timeutil.instant()))

    def revoke_refresh(self, tx: Tx, token: str) -> None:
        row = tx.conn.execute(sa.select(refresh_token.c.family).where(
            refresh_token.c.token_hash == sha256(token))).first()
        if row is not None:
            self.revoke_session(tx, row.family)

    def session_revoked(self, tx: Tx, sid: str) -> bool:
        return tx.conn.execute(sa.select(revoked_session.c.sid).where(revoked_session.c.sid == sid)
                               ).first() is not None

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
        except (JoseError, ValueError, KeyError, TypeError):
            raise FhirError(401, "The access token is not valid (expired, revoked or not issued by this "
                                 "portal). Sign in again.", code="login",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
        claims = decoded.claims
        if self.session_revoked(tx, claims["sid"]):
            raise FhirError(401, "This session was signed out. Sign in again.", code="login",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return TokenClaims(claims["sub"], str(claims.get("kind", "")), str(claims.get("res", "")),
                           claims["sid"], str(claims.get("client_id", "")), claims)


def _peek_header(token: str) -> dict[str, Any]:
    import base64
    head = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))

