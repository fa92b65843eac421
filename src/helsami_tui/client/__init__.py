"""The terminal app's client of the portal API (docs/api.md): lean models, an async HTTP client
with retries and typed errors, a reply outbox, the event stream and sign-in.

Nothing here imports the portal's code: the HTTP contract is all it knows.
"""

import importlib
from typing import TYPE_CHECKING, Any

# What each name comes from. The names are loaded when first asked for (PEP 562), so that importing
# one light part (e.g. `client.errors` for the refusal texts) does not load httpx and every model.
_FROM = {
    "api": ["BreakGlass", "Clinical", "Outbox", "OutboxEntry", "PortalClient", "ReplyResult"],
    "auth": [
        "DeviceFlow",
        "PortalConfig",
        "Tokens",
        "TokenSession",
        "TokenStore",
        "demo_login",
        "discover",
        "poll_device_flow",
        "refresh",
        "revoke",
        "start_device_flow",
    ],
    "errors": [
        "AccessDenied",
        "ClientError",
        "Conflict",
        "NotFound",
        "NotSignedIn",
        "NotSupported",
        "Offline",
        "PortalError",
        "SignInError",
    ],
    "events": ["Event", "follow_events"],
    "models": [
        "Allergy",
        "Condition",
        "InboxItem",
        "Me",
        "Medication",
        "Message",
        "Note",
        "Observation",
        "OperationOutcome",
        "Page",
        "PatientSummary",
        "Pool",
        "Thread",
    ],
}
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}

if TYPE_CHECKING:
    from .api import BreakGlass, Clinical, Outbox, OutboxEntry, PortalClient, ReplyResult
    from .auth import (
        DeviceFlow,
        PortalConfig,
        Tokens,
        TokenSession,
        TokenStore,
        demo_login,
        discover,
        poll_device_flow,
        refresh,
        revoke,
        start_device_flow,
    )
    from .errors import (
        AccessDenied,
        ClientError,
        Conflict,
        NotFound,
        NotSignedIn,
        NotSupported,
        Offline,
        PortalError,
        SignInError,
    )
    from .events import Event, follow_events
    from .models import (
        Allergy,
        Condition,
        InboxItem,
        Me,
        Medication,
        Message,
        Note,
        Observation,
        OperationOutcome,
        Page,
        PatientSummary,
        Pool,
        Thread,
    )


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AccessDenied",
    "Allergy",
    "BreakGlass",
    "ClientError",
    "Clinical",
    "Condition",
    "Conflict",
    "DeviceFlow",
    "Event",
    "InboxItem",
    "Me",
    "Medication",
    "Message",
    "NotFound",
    "NotSignedIn",
    "NotSupported",
    "Note",
    "Observation",
    "Offline",
    "OperationOutcome",
    "Outbox",
    "OutboxEntry",
    "Page",
    "PatientSummary",
    "Pool",
    "PortalClient",
    "PortalConfig",
    "PortalError",
    "ReplyResult",
    "SignInError",
    "Thread",
    "TokenSession",
    "TokenStore",
    "Tokens",
    "demo_login",
    "discover",
    "follow_events",
    "poll_device_flow",
    "refresh",
    "revoke",
    "start_device_flow",
]
