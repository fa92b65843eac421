"""Trust in an external OpenID Connect issuer: its tokens are checked against its published keys
and mapped to a staff account of this portal; any other token is the portal's own (`TokenService`)."""

from __future__ import annotations

import base64
import json
import threading
import time

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..fhir.outcome import FhirError
from ..store import sessions
from ..store.store import Tx
from .tokens import TokenClaims, TokenService, sha256


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
        bad = FhirError(
            401,
            "The access token is not valid for this portal.",
            code="login",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            reason="token-invalid",
        )
        try:
            try:
                decoded = jwt.decode(token, self.keyset())
            except JoseError:
                decoded = jwt.decode(token, self.keyset(force=True))  # the issuer may have rotated keys
            jwt.JWTClaimsRegistry(
                leeway=30,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                exp={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError, KeyError, TypeError, RecursionError, httpx.HTTPError):
            raise bad from None
        username = str(decoded.claims.get(self.claim) or "")
        acct = sessions.account_by_username(tx, username)
        if acct is None or acct.disabled:
            raise FhirError(
                403,
                "The signed-in user is not a member of staff on this portal.",
                code="forbidden",
                reason="staff-only",
            )
        sid = "ext:" + sha256(f"{decoded.claims.get('sid') or decoded.claims.get('jti') or token}")[:32]
        return TokenClaims(
            acct.username, acct.kind, acct.resource, sid, str(decoded.claims.get("azp", "")), {"name": acct.display}
        )


def verify_any(tokens: TokenService, external: ExternalIssuer | None, tx: Tx, token: str) -> TokenClaims:
    """The claims of an access token: the external issuer's when it issued it, else the portal's own."""
    if external is not None:
        try:
            if _issuer_of(token) == external.issuer:
                return external.verify(tx, token)
        except ValueError:
            pass
    return tokens.verify(tx, token)


def _issuer_of(token: str) -> str:
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except RecursionError:
        raise ValueError("the claims are nested too deeply") from None
    if not isinstance(claims, dict):
        raise ValueError("the claims are not a JSON object")
    return str(claims.get("iss", "")).rstrip("/")
