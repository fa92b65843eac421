"""Typed failures of the client layer.

Every message is the portal's plain-words diagnostics (or a plain sentence of our own when the
portal could not be reached). Messages come from the server and are untrusted text: show them
through the UI's safe-text function, never as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import InboxItem


class ClientError(Exception):
    """Base class of everything the client raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Offline(ClientError):
    """The portal could not be reached (network down, portal stopped, timeouts)."""

    def __init__(self, message: str = "The portal cannot be reached.") -> None:
        super().__init__(message)


class PortalError(ClientError):
    """The portal answered with an error that has no more specific type."""

    def __init__(self, status: int, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.message!r})"


class NotFound(PortalError):
    """404: the thing asked for does not exist (or the portal has no such endpoint)."""

    def __init__(self, message: str, *, code: str = "not-found") -> None:
        super().__init__(404, message, code=code)


class AccessDenied(PortalError):
    """403. Also returned (not raised) as a value where one part of a screen may be refused
    while the rest shows, e.g. clinical context without a care relation."""

    def __init__(self, message: str, *, code: str = "forbidden") -> None:
        super().__init__(403, message, code=code)


class Conflict(PortalError):
    """409 (the change is not valid in the item's current state) or 412 (stale version).

    `current` is the item as it is now on the server, when the portal sent it, so the UI can say
    who claimed it without another round trip. `current_raw` is the contained resource as sent.
    """

    def __init__(self, message: str, current: InboxItem | None = None, *, status: int = 409,
                 code: str = "conflict", current_raw: dict[str, Any] | None = None) -> None:
        super().__init__(status, message, code=code)
        self.current = current
        self.current_raw = current_raw

    @property
    def stale(self) -> bool:
        """True for 412: someone changed the item since it was read."""
        return self.status == 412


class NotSignedIn(PortalError):
    """401 and the session could not be renewed: the user must sign in again."""

    def __init__(self, message: str = "Sign in again.") -> None:
        super().__init__(401, message, code="login")


class SignInError(ClientError):
    """The sign-in flow failed: `error` is the OAuth error code (access_denied, expired_token, ...)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message or error)
        self.error = error


class NotSupported(ClientError):
    """The portal does not offer this feature (an optional endpoint is missing)."""
