"""What `PortalClient` answers that is not one FHIR resource."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import AccessDenied
from .models import (
    Allergy,
    Condition,
    InboxItem,
    Medication,
    Message,
    Observation,
)

# -- results that are not FHIR resources ------------------------------------------------------------


@dataclass(slots=True)
class ReplyResult:
    item: InboxItem  # the Task after the reply (businessStatus replied)
    message: Message  # the message as stored (the first one, on a resend)


@dataclass(slots=True)
class Clinical:
    """Clinical context of a patient for the banner. Each part is either its rows or an
    `AccessDenied` carrying the portal's reason (no care relation, role without clinical access),
    so one refusal does not take the rest of the screen with it."""

    patient_id: str
    allergies: list[Allergy] | AccessDenied
    medications: list[Medication] | AccessDenied
    observations: list[Observation] | AccessDenied
    conditions: list[Condition] | AccessDenied

    @property
    def denied(self) -> AccessDenied | None:
        """The first refusal, if any part was refused."""
        for part in (self.allergies, self.medications, self.observations, self.conditions):
            if isinstance(part, AccessDenied):
                return part
        return None


@dataclass(slots=True)
class BreakGlass:
    """The answer to a break-the-glass request."""

    supported: bool  # False: this portal has no such endpoint
    granted: bool
    message: str
    expires: dt.datetime | None = None
