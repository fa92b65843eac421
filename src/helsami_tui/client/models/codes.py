"""The codes of the portal contract (docs/api.md, "Code systems and extensions used") as `Literal`
types, and `coded`, which reads a code from the server into one of them.

A code this client does not know (a newer portal, a malformed answer) is read as "" (the field's
"unknown"), never kept as free text: the UI then shows it as it shows a missing code.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeVar, cast, get_args

Unknown = Literal[""]

TaskType = Literal["message", "renewal", "result", "questionnaire", "appointment", "phone-message"]
# FHIR Task.status (the portal uses requested, in-progress, completed, cancelled)
TaskStatus = Literal[
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
]
Priority = Literal["routine", "urgent", "asap", "stat"]
BusinessStatus = Literal[
    "new",
    "opened",
    "claimed",
    "forwarded",
    "escalated",
    "replied",
    "done",
    "reopened",
    # set by the decision operations
    "approved",
    "denied",
    "pended",
    "waiting-for-patient",
    "released",
    "reviewed",
    "confirmed",
    "time-proposed",
    "declined",
    "cancelled",
]
NoteKind = Literal["pend", "reopen"]  # none: a plain note
# FHIR event status (Communication.status): a reply draft is "preparation"
EventStatus = Literal[
    "preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error", "unknown"
]
MessageCategory = Literal["thread", "patient-message", "staff-reply", "phone-message", "system"]
Medium = Literal["portal", "phone"]
UserKind = Literal["staff", "patient"]
StaffRole = Literal["physician", "nurse", "switchboard", "it-support", "privacy-officer", "library-editor"]
InboxKind = Literal["clinical", "intake", "direct"]
TargetKind = Literal["service", "person"]
ProxyLevel = Literal["standard", "read", "messages", "full"]
DocumentStatus = Literal["current", "superseded", "entered-in-error"]
Criticality = Literal["low", "high", "unable-to-assess"]
Channel = Literal["email", "sms"]

TASK_TYPES: Final[tuple[TaskType, ...]] = get_args(TaskType)
TASK_STATUSES: Final[tuple[TaskStatus, ...]] = get_args(TaskStatus)
PRIORITIES: Final[tuple[Priority, ...]] = get_args(Priority)
BUSINESS_STATUSES: Final[tuple[BusinessStatus, ...]] = get_args(BusinessStatus)
NOTE_KINDS: Final[tuple[NoteKind, ...]] = get_args(NoteKind)
EVENT_STATUSES: Final[tuple[EventStatus, ...]] = get_args(EventStatus)
MESSAGE_CATEGORIES: Final[tuple[MessageCategory, ...]] = get_args(MessageCategory)
MEDIUMS: Final[tuple[Medium, ...]] = get_args(Medium)
USER_KINDS: Final[tuple[UserKind, ...]] = get_args(UserKind)
STAFF_ROLES: Final[tuple[StaffRole, ...]] = get_args(StaffRole)
INBOX_KINDS: Final[tuple[InboxKind, ...]] = get_args(InboxKind)
PROXY_LEVELS: Final[tuple[ProxyLevel, ...]] = get_args(ProxyLevel)
DOCUMENT_STATUSES: Final[tuple[DocumentStatus, ...]] = get_args(DocumentStatus)
CRITICALITIES: Final[tuple[Criticality, ...]] = get_args(Criticality)
CHANNELS: Final[tuple[Channel, ...]] = get_args(Channel)

C = TypeVar("C", bound=str)


def coded(value: Any, codes: tuple[C, ...]) -> C | Unknown:
    """`value` as one of `codes`, or "" when it is none of them."""
    return cast("C", value) if value in codes else ""
