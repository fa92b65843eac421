"""Sign-in: discovery, the OAuth 2.0 device flow (RFC 8628), refresh, sign-out, the embedded
demo sign-in, a `TokenSession` the API client draws access tokens from, and a `TokenStore`
that keeps tokens in the system keyring (or in memory only when there is no usable keyring).

Tokens are never written to disk by this package.
"""

from .flows import demo_login, discover, poll_device_flow, refresh, revoke, start_device_flow
from .session import TokenSession, TokenStore
from .tokens import (
    CLIENT_ID,
    DEFAULT_TIMEOUT,
    DEMO_CLIENT_ID,
    DEVICE_GRANT,
    KEYRING_SERVICE,
    REFRESH_MARGIN,
    DeviceFlow,
    PortalConfig,
    Tokens,
)

__all__ = [
    "CLIENT_ID",
    "DEFAULT_TIMEOUT",
    "DEMO_CLIENT_ID",
    "DEVICE_GRANT",
    "KEYRING_SERVICE",
    "REFRESH_MARGIN",
    "DeviceFlow",
    "PortalConfig",
    "TokenSession",
    "TokenStore",
    "Tokens",
    "demo_login",
    "discover",
    "poll_device_flow",
    "refresh",
    "revoke",
    "start_device_flow",
]
