"""What sign-in deals in: the portal's sign-in configuration, tokens, a device-code sign-in in progress."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import SignInError

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

        return cls(
            issuer=s("issuer", base),
            token_endpoint=s("token_endpoint", f"{base}/oauth/token"),
            device_authorization_endpoint=s("device_authorization_endpoint", f"{base}/oauth/device_authorization"),
            revocation_endpoint=s("revocation_endpoint", f"{base}/oauth/revoke"),
            fhir_base_url=s("fhir_base_url", f"{base}/fhir"),
            demo_login=data.get("helsami_demo_login") is True,
            raw=data,
        )


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
            raise SignInError(
                "invalid_response", "The portal did not send an access token.", reason="incomplete-answer"
            )
        expires_in = data.get("expires_in")
        expires_at = time.time() + float(expires_in) if isinstance(expires_in, (int, float)) else 0.0
        return cls(
            access_token=access,
            refresh_token=str(data.get("refresh_token") or ""),
            expires_at=expires_at,
            token_type=str(data.get("token_type") or "Bearer"),
            client_id=client_id,
            session_id=str(data.get("session_id") or ""),
        )

    def expires_soon(self, margin: float = REFRESH_MARGIN) -> bool:
        return bool(self.expires_at) and time.time() > self.expires_at - margin

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "token_type": self.token_type,
                "client_id": self.client_id,
                "session_id": self.session_id,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Tokens | None:
        try:
            d = json.loads(text)
            return cls(
                access_token=str(d["access_token"]),
                refresh_token=str(d.get("refresh_token") or ""),
                expires_at=float(d.get("expires_at") or 0.0),
                token_type=str(d.get("token_type") or "Bearer"),
                client_id=str(d.get("client_id") or CLIENT_ID),
                session_id=str(d.get("session_id") or ""),
            )
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
