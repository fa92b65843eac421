"""Conversations: threads, messages, their attachments, library documents, phone messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from .base import (
    CLIENT_MESSAGE_ID,
    COMM_CATEGORY,
    EDU_TOPIC,
    EXT_FROM_LIBRARY,
    EXT_LIBRARY_SERVICE,
    MEDIUM_SYSTEM,
    UTC,
    Json,
    _d,
    _ext,
    _l,
    _Model,
    _s,
    _version,
    display_of,
    first_code,
    identifier_value,
    parse_instant,
    ref_of,
)
from .codes import (
    DOCUMENT_STATUSES,
    EVENT_STATUSES,
    MEDIUMS,
    MESSAGE_CATEGORIES,
    DocumentStatus,
    EventStatus,
    Medium,
    MessageCategory,
    Unknown,
    coded,
)
from .inbox import InboxItem

# -- threads ----------------------------------------------------------------------------------


class Attachment(_Model):
    """A document sent with a message, as the terminal shows it: a name and a size, nothing more.

    Whatever a message carries (from staff, or from a patient through another client), only its
    title, size and type are kept: its bytes and address never reach the terminal."""

    title: str = ""
    size: int | None = None
    content_type: str = ""

    @classmethod
    def from_fhir(cls, att: Json) -> Attachment:
        size = att.get("size")
        return cls.model_construct(
            title=_s(att.get("title"))[:200],
            size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            content_type=_s(att.get("contentType"))[:100],
        )


class LibraryDocument(_Model):
    """A patient-education document in a service's library (a DocumentReference without subject)."""

    id: str
    title: str
    topic: str  # an education-topic code
    language: str
    content_type: str
    size: int | None
    status: DocumentStatus | Unknown  # current | superseded (retired)
    service_ref: str

    @classmethod
    def from_fhir(cls, r: Json) -> LibraryDocument:
        content = _l(r.get("content"))
        att = _d(_d(content[0]).get("attachment")) if content else {}
        topic = ""
        for concept in _l(r.get("category")):
            topic = topic or first_code(concept, EDU_TOPIC)
        service = _ext(r, EXT_LIBRARY_SERVICE)
        size = att.get("size")
        return cls.model_construct(
            id=_s(r.get("id")),
            title=_s(att.get("title") or r.get("description"))[:200],
            topic=topic,
            language=_s(att.get("language"))[:20],
            content_type=_s(att.get("contentType"))[:100],
            size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            status=coded(r.get("status"), DOCUMENT_STATUSES),
            service_ref=ref_of(service.get("valueReference")) if isinstance(service, dict) else "",
        )

    @property
    def ref(self) -> str:
        return f"DocumentReference/{self.id}"

    def as_attachment(self) -> Attachment:
        return Attachment(title=self.title, size=self.size, content_type=self.content_type)

    @classmethod
    def from_draft_entry(cls, part: Json) -> LibraryDocument | None:
        """The library document a draft's payload entry names (its extension from-library), with the
        title, type and size the portal put in its attachment; None for an entry that names none."""
        ext = _ext(part, EXT_FROM_LIBRARY)
        rid = ref_of(_d(ext).get("valueReference")).removeprefix("DocumentReference/") if ext else ""
        if not rid or "/" in rid:
            return None
        att = Attachment.from_fhir(_d(part.get("contentAttachment")))
        return cls.model_construct(
            id=rid[:64],
            title=att.title,
            topic="",
            language="",
            content_type=att.content_type,
            size=att.size,
            status="current",
            service_ref="",
        )

    def draft_entry(self) -> Json:
        """This document in a draft's payload (the portal replaces the attachment with its own)."""
        att: Json = {"title": self.title, "contentType": self.content_type}
        if self.size is not None:
            att["size"] = self.size
        return {
            "extension": [{"url": EXT_FROM_LIBRARY, "valueReference": {"reference": self.ref}}],
            "contentAttachment": att,
        }


class Message(_Model):
    """A message in a thread (a Communication with partOf the header), or a staff draft."""

    id: str
    version: int
    thread_ref: str
    status: EventStatus | Unknown  # a draft is "preparation"
    sent: dt.datetime | None
    sender_ref: str
    sender_display: str
    category: MessageCategory | Unknown
    medium: Medium | Unknown
    text: str
    is_draft: bool
    on_behalf_of: str  # the sender's own words when a proxy (RelatedPerson) writes for a patient
    message_id: str  # the client-made id of a reply, when the server shows it
    updated: dt.datetime | None  # meta.lastUpdated: orders drafts, which have no `sent`
    attachments: tuple[Attachment, ...] = ()  # documents sent with it: names and sizes only
    documents: tuple[LibraryDocument, ...] = ()  # a draft's: the library documents attached to it

    @classmethod
    def from_fhir(cls, r: Json) -> Message:
        sender = r.get("sender")
        sender_ref = ref_of(sender)
        sender_display = display_of(sender)
        medium_code = first_code(r.get("medium"), MEDIUM_SYSTEM) or first_code(r.get("medium"))
        medium = coded({"ELECTRONIC": "portal", "PHONE": "phone"}.get(medium_code, medium_code.lower()), MEDIUMS)
        payload = _l(r.get("payload"))
        text = ""
        for part in payload:
            if isinstance(part, dict) and isinstance(part.get("contentString"), str):
                text = part["contentString"]
                break
        part_of = _l(r.get("partOf"))
        status = coded(r.get("status"), EVENT_STATUSES)
        return cls.model_construct(
            id=_s(r.get("id")),
            version=_version(r),
            thread_ref=ref_of(part_of[0]) if part_of else "",
            status=status,
            sent=parse_instant(r.get("sent")),
            sender_ref=sender_ref,
            sender_display=sender_display,
            category=coded(
                first_code(r.get("category"), COMM_CATEGORY) or first_code(r.get("category")), MESSAGE_CATEGORIES
            ),
            medium=medium,
            text=text,
            is_draft=status == "preparation",
            on_behalf_of=sender_display if sender_ref.startswith("RelatedPerson/") else "",
            message_id=identifier_value(r, CLIENT_MESSAGE_ID),
            updated=parse_instant(_d(r.get("meta")).get("lastUpdated")),
            attachments=tuple(
                Attachment.from_fhir(part["contentAttachment"])
                for part in payload[:50]
                if isinstance(part, dict) and isinstance(part.get("contentAttachment"), dict)
            ),
            documents=tuple(
                doc
                for part in (payload[:50] if status == "preparation" else ())
                if isinstance(part, dict) and (doc := LibraryDocument.from_draft_entry(part)) is not None
            ),
        )

    @property
    def ref(self) -> str:
        return f"Communication/{self.id}"

    @property
    def from_patient_side(self) -> bool:
        return self.sender_ref.startswith(("Patient/", "RelatedPerson/"))

    @staticmethod
    def draft_to_fhir(thread_ref: str, text: str, documents: Sequence[LibraryDocument] = ()) -> Json:
        """The body that creates a reply draft (visible only to its author): its text and the library
        documents attached to it."""
        return {
            "resourceType": "Communication",
            "status": "preparation",
            "category": [{"coding": [{"system": COMM_CATEGORY, "code": "staff-reply"}]}],
            "partOf": [{"reference": thread_ref}],
            "payload": [{"contentString": text}, *(d.draft_entry() for d in documents)],
        }


_FAR_PAST = dt.datetime.min.replace(tzinfo=UTC)


SPENT_STATUSES = frozenset({"stopped", "entered-in-error", "not-done"})


class Thread(_Model):
    """A conversation: the header Communication and its messages in the order they were sent."""

    id: str
    version: int
    subject: str
    status: EventStatus | Unknown  # in-progress | completed
    patient_ref: str
    recipient_ref: str
    recipient_display: str
    started: dt.datetime | None
    messages: tuple[Message, ...]
    drafts: tuple[Message, ...]  # the caller's own drafts, newest first

    @classmethod
    def from_fhir(cls, header: Json, messages: Iterable[Json] = ()) -> Thread:
        msgs = [Message.from_fhir(m) for m in messages if isinstance(m, dict)]
        # A draft closed when its reply went out ("stopped") or withdrawn is spent: never a message,
        # or the reply would show twice (its draft and the message sent).
        msgs = [m for m in msgs if m.status not in SPENT_STATUSES]
        sent = sorted((m for m in msgs if not m.is_draft), key=lambda m: (m.sent or _FAR_PAST, m.id))
        drafts = sorted((m for m in msgs if m.is_draft), key=lambda m: (m.updated or _FAR_PAST, m.id), reverse=True)
        recipients = _l(header.get("recipient"))
        first = recipients[0] if recipients else None
        return cls.model_construct(
            id=_s(header.get("id")),
            version=_version(header),
            subject=_s(_d(header.get("topic")).get("text")),
            status=coded(header.get("status"), EVENT_STATUSES),
            patient_ref=ref_of(header.get("subject")),
            recipient_ref=ref_of(first),
            recipient_display=display_of(first),
            started=parse_instant(header.get("sent")),
            messages=tuple(sent),
            drafts=tuple(drafts),
        )

    @property
    def ref(self) -> str:
        return f"Communication/{self.id}"

    @property
    def last_message(self) -> Message | None:
        return self.messages[-1] if self.messages else None


class PhoneMessageResult(_Model):
    """What `$phone-message` made: the item (with subject and patient as sent), the thread and
    the message (medium phone). `replayed`: a retry with the same messageId got the first result."""

    item: InboxItem | None
    thread_ref: str
    message: Message
    replayed: bool
