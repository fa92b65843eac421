"""The terminal app's client of the portal API (docs/api.md): lean models, an async HTTP client
with retries and typed errors, a reply outbox, the event stream and sign-in.

Nothing here imports the portal's code: the HTTP contract is all it knows.
"""

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

__all__ = [
    "AccessDenied", "Allergy", "BreakGlass", "ClientError", "Clinical", "Condition", "Conflict",
    "DeviceFlow", "Event", "InboxItem", "Me", "Medication", "Message", "NotFound", "NotSignedIn",
    "NotSupported", "Note", "Observation", "Offline", "OperationOutcome", "Outbox", "OutboxEntry", "Page",
    "PatientSummary", "Pool", "PortalClient", "PortalConfig", "PortalError", "ReplyResult", "SignInError",
    "Thread", "TokenSession", "TokenStore", "Tokens", "demo_login", "discover", "follow_events",
    "poll_device_flow", "refresh", "revoke", "start_device_flow",
]
