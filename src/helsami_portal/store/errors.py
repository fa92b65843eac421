"""The store's refusals, in the store's own terms: what was asked, and why it cannot be done.

The store never answers in HTTP. These carry the facts a caller needs to decide (which resource,
which version is current, which search parameter and why); the workflow catches one where a rule
depends on it, and the API translates the rest into OperationOutcomes in one place
(`api/domain_errors.py`). Their messages name resource types, ids and parameter names only, never
patient data.
"""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Something the store was asked for cannot be done (never a database failure)."""


class NotFound(StoreError):
    """No resource `rtype/rid` is stored."""

    def __init__(self, rtype: str, rid: str) -> None:
        super().__init__(f"{rtype}/{rid} does not exist.")
        self.rtype = rtype
        self.rid = rid


class VersionNotFound(StoreError):
    """`rtype/rid` is stored, but never had version `version`."""

    def __init__(self, rtype: str, rid: str, version: int) -> None:
        super().__init__(f"{rtype}/{rid} has no version {version}.")
        self.rtype = rtype
        self.rid = rid
        self.version = version


class VersionConflict(StoreError):
    """A write expected another version of `rtype/rid` than the one stored; `current` is the stored
    one (for the caller to show what changed; never put in the message)."""

    def __init__(self, rtype: str, rid: str, current: dict[str, Any]) -> None:
        super().__init__(f"{rtype}/{rid} has changed (now version {current['meta']['versionId']}).")
        self.rtype = rtype
        self.rid = rid
        self.current = current

    @property
    def version(self) -> int:
        """The version stored now."""
        return int(self.current["meta"]["versionId"])


class InvalidQuery(StoreError):
    """A search the store cannot run as asked: a parameter, value or paging cursor it does not take,
    or a search past one of its cost bounds (`too_costly`, with the bound in `args["limit"]`).

    `reason` is a refusal code of fhir/reasons.py with its arguments `args`; `message` says it in
    plain English for any client; `expression` names the parameter."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        args: dict[str, Any] | None = None,
        expression: str | None = None,
        too_costly: bool = False,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.reason_args = dict(args or {})
        self.expression = expression
        self.too_costly = too_costly
