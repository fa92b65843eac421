"""Typed failures of the client layer.

Every failure carries a stable `reason` code and its `args`: for a refusal of the portal, the code
of the portal's refusal CodeSystem (`OperationOutcome.issue.details.coding`) and its arguments
(`issue.extension`), parsed here by `parse_reason`; for a failure found by the client itself, one
of `CLIENT_REASONS`. The UI shows a sentence for the code in the user's language
(`helsami_tui.refusals`). `message` is the portal's English diagnostics (or an English sentence of
our own), kept for logs and other tools; it is untrusted text and is not what the UI shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for types only: the error types load without the models (and pydantic)
    from .models import InboxItem, OperationOutcome
from .reasons import CLIENT_REASONS, EXT_REASON_ARG, REASON_SYSTEM, ReasonArg, Ref, parse_reason

__all__ = [
    "CLIENT_REASONS",
    "EXT_REASON_ARG",
    "REASON_SYSTEM",
    "AccessDenied",
    "ClientError",
    "Conflict",
    "NotFound",
    "NotSignedIn",
    "NotSupported",
    "Offline",
    "PortalError",
    "ReasonArg",
    "Ref",
    "SignInError",
    "error_from",
    "parse_reason",
    "reason_of",
]


class ClientError(Exception):
    """Base class of everything the client raises on purpose."""

    default_reason = ""

    def __init__(self, message: str, *, reason: str = "", args: dict[str, ReasonArg] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.reason_args: dict[str, ReasonArg] = dict(args or {})

    def __str__(self) -> str:
        return self.message


class Offline(ClientError):
    """The portal could not be reached (network down, portal stopped, timeouts)."""

    default_reason = "offline"

    def __init__(self, message: str = "The portal cannot be reached.") -> None:
        super().__init__(message)


class PortalError(ClientError):
    """The portal answered with an error that has no more specific type."""

    def __init__(
        self, status: int, message: str, *, code: str = "", reason: str = "", args: dict[str, ReasonArg] | None = None
    ) -> None:
        super().__init__(message, reason=reason, args=args)
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.message!r})"


class NotFound(PortalError):
    """404: the thing asked for does not exist (or the portal has no such endpoint)."""

    def __init__(
        self, message: str, *, code: str = "not-found", reason: str = "", args: dict[str, ReasonArg] | None = None
    ) -> None:
        super().__init__(404, message, code=code, reason=reason, args=args)


class AccessDenied(PortalError):
    """403. Also returned (not raised) as a value where one part of a screen may be refused
    while the rest shows, e.g. clinical context without a care relation."""

    def __init__(
        self, message: str, *, code: str = "forbidden", reason: str = "", args: dict[str, ReasonArg] | None = None
    ) -> None:
        super().__init__(403, message, code=code, reason=reason, args=args)


class Conflict(PortalError):
    """409 (the change is not valid in the item's current state) or 412 (stale version).

    `current` is the item as it is now on the server, when the portal sent it, so the UI can say
    who claimed it without another round trip. `current_raw` is the contained resource as sent.
    """

    def __init__(
        self,
        message: str,
        current: InboxItem | None = None,
        *,
        status: int = 409,
        code: str = "conflict",
        current_raw: dict[str, Any] | None = None,
        reason: str = "",
        args: dict[str, ReasonArg] | None = None,
    ) -> None:
        super().__init__(status, message, code=code, reason=reason, args=args)
        self.current = current
        self.current_raw = current_raw

    @property
    def stale(self) -> bool:
        """True for 412: someone changed the item since it was read."""
        return self.status == 412


class NotSignedIn(PortalError):
    """401 and the session could not be renewed: the user must sign in again."""

    def __init__(
        self, message: str = "Sign in again.", *, reason: str = "signed-out", args: dict[str, ReasonArg] | None = None
    ) -> None:
        super().__init__(401, message, code="login", reason=reason, args=args)


class SignInError(ClientError):
    """The sign-in flow failed: `error` is the OAuth error code (access_denied, expired_token, ...)."""

    def __init__(self, error: str, message: str, *, reason: str = "") -> None:
        super().__init__(
            message or error,
            reason=reason or ("sign-in-expired" if error == "expired_token" else "sign-in-refused"),
            args={"error": error[:60]},
        )
        self.error = error


class NotSupported(ClientError):
    """The portal does not offer this feature (an optional endpoint is missing)."""

    default_reason = "no-demo-sign-in"


def reason_of(e: ClientError) -> tuple[str, dict[str, ReasonArg]]:
    """The reason code a user is told for `e`, with its arguments: its own code; for a portal's
    answer without one, "uncoded" with the HTTP status; "" when there is none (a failure of a kind
    this client does not code)."""
    args = dict(e.reason_args)
    if e.reason:
        return e.reason, args
    if isinstance(e, PortalError):
        args.setdefault("status", e.status)
        return "uncoded", args
    return "", args


def error_from(outcome: OperationOutcome, status: int, fallback: str = "") -> PortalError:
    """The typed exception for an HTTP error status with this OperationOutcome."""
    msg = outcome.diagnostics or fallback or f"The portal answered with an error ({status})."
    why: dict[str, Any] = (
        {"reason": outcome.reason, "args": outcome.reason_args}
        if outcome.reason
        else {"reason": "signed-out", "args": {}}
        if status == 401
        else {"reason": "uncoded", "args": {"status": status}}
    )
    if status in (409, 412):
        return Conflict(
            msg,
            outcome.current_task,
            status=status,
            code=outcome.code or "conflict",
            current_raw=outcome.current,
            **why,
        )
    if status == 403:
        return AccessDenied(msg, code=outcome.code or "forbidden", **why)
    if status == 401:
        return NotSignedIn(msg, **why)
    if status == 404:
        return NotFound(msg, code=outcome.code or "not-found", **why)
    return PortalError(status, msg, code=outcome.code, **why)
