"""Tasks (inbox items and their notes) and search pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .base import (
    EXT_ESCALATED,
    EXT_NOTE_KIND,
    EXT_PATIENT_THREAD,
    EXT_TASK_POOL,
    FNR_SYSTEM,
    OPEN_STATUSES,
    PRIORITY_RANK,
    TASK_BUSINESS_STATUS,
    TASK_TYPE,
    Json,
    _d,
    _ext,
    _l,
    _Model,
    _s,
    _utcnow,
    _version,
    age_on,
    display_of,
    first_code,
    human_name,
    identifier_value,
    parse_date,
    parse_instant,
    ref_id,
    ref_of,
)
from .codes import (
    BUSINESS_STATUSES,
    NOTE_KINDS,
    PRIORITIES,
    TASK_STATUSES,
    TASK_TYPES,
    BusinessStatus,
    NoteKind,
    Priority,
    TaskStatus,
    TaskType,
    Unknown,
    coded,
)

# -- inbox ------------------------------------------------------------------------------------


class Note(_Model):
    """An internal note on a Task (routing, forwarding): staff only, never shown to the patient."""

    author_ref: str = ""
    author_display: str = ""
    time: dt.datetime | None = None
    text: str = ""
    kind: NoteKind | Unknown = ""  # "pend" (the note a renewal was pended with), "reopen", or "" (a plain note)

    @classmethod
    def from_fhir(cls, note: Json) -> Note:
        author = note.get("authorReference")
        author_display = display_of(author)
        if not author_display and isinstance(note.get("authorString"), str):
            author_display = note["authorString"]
        kind = _ext(note, EXT_NOTE_KIND)
        return cls.model_construct(
            author_ref=ref_of(author),
            author_display=author_display,
            time=parse_instant(note.get("time")),
            text=_s(note.get("text")),
            kind=coded(kind.get("valueCode"), NOTE_KINDS) if isinstance(kind, dict) else "",
        )


class InboxItem(_Model):
    """One row of the inbox: a Task, with the subject from its focus thread header and the
    patient's name, birth date and national id from the included Patient."""

    id: str
    version: int
    type: TaskType | Unknown
    status: TaskStatus | Unknown  # the portal uses requested | in-progress | completed | cancelled
    business_status: BusinessStatus | Unknown
    priority: Priority
    authored_on: dt.datetime | None
    last_modified: dt.datetime | None
    deadline: dt.datetime | None
    overdue: bool  # against the `now` given to from_fhir; see is_overdue()
    escalated: bool
    owner_ref: str
    owner_display: str
    pool_id: str
    pool_display: str
    patient_ref: str
    patient_name: str
    patient_birth_date: dt.date | None
    patient_nid: str
    subject: str
    description: str
    focus_ref: str
    notes: tuple[Note, ...]
    # The conversation with the patient about a decision item (the Task's patient-thread
    # extension), once there is one: read with the review, without reading the Task again.
    patient_thread_ref: str = ""

    @classmethod
    def from_fhir(
        cls, task: Json, included: Mapping[str, Json] | None = None, now: dt.datetime | None = None
    ) -> InboxItem:
        """From a Task and the resources included with it, keyed by "Type/id"."""
        included = included or {}
        owner = task.get("owner")
        owner_ref = ref_of(owner)
        pool_ext = _ext(task, EXT_TASK_POOL)
        pool_ref = ref_of(pool_ext.get("valueReference")) if pool_ext else ""
        pool_display = display_of(pool_ext.get("valueReference")) if pool_ext else ""
        if not pool_ref.startswith("HealthcareService/"):
            pool_ref = owner_ref if owner_ref.startswith("HealthcareService/") else ""
            pool_display = display_of(owner) if pool_ref else ""
        esc = _ext(task, EXT_ESCALATED)
        patient_ref = ref_of(task.get("for"))
        patient = included.get(patient_ref) or {}
        focus_ref = ref_of(task.get("focus"))
        header = included.get(focus_ref) or {}
        subject = _s(_d(header.get("topic")).get("text")) if header else ""
        description = _s(task.get("description"))
        deadline = parse_instant(_d(_d(task.get("restriction")).get("period")).get("end"))
        status = coded(task.get("status"), TASK_STATUSES)
        notes = task.get("note")
        when = now or _utcnow()
        return cls.model_construct(
            id=_s(task.get("id")),
            version=_version(task),
            type=coded(first_code(task.get("code"), TASK_TYPE) or first_code(task.get("code")), TASK_TYPES),
            status=status,
            business_status=coded(
                first_code(task.get("businessStatus"), TASK_BUSINESS_STATUS) or first_code(task.get("businessStatus")),
                BUSINESS_STATUSES,
            ),
            priority=coded(task.get("priority"), PRIORITIES) or "routine",
            authored_on=parse_instant(task.get("authoredOn")),
            last_modified=parse_instant(task.get("lastModified")),
            deadline=deadline,
            overdue=deadline is not None and status in OPEN_STATUSES and deadline < when,
            escalated=bool(esc.get("valueBoolean") is True) if esc else False,
            owner_ref=owner_ref,
            owner_display=display_of(owner),
            pool_id=ref_id(pool_ref),
            pool_display=pool_display,
            patient_ref=patient_ref,
            patient_name=human_name(patient) if patient else "",
            patient_birth_date=parse_date(patient.get("birthDate")) if patient else None,
            patient_nid=identifier_value(patient, FNR_SYSTEM) if patient else "",
            subject=subject or description,
            description=description,
            focus_ref=focus_ref,
            notes=tuple(Note.from_fhir(n) for n in notes if isinstance(n, dict)) if isinstance(notes, list) else (),
            patient_thread_ref=ref_of(_d(_ext(task, EXT_PATIENT_THREAD)).get("valueReference")),
        )

    # -- derived -------------------------------------------------------------------------

    @property
    def ref(self) -> str:
        return f"Task/{self.id}"

    @property
    def etag(self) -> str:
        """The If-Match value for a change based on this version."""
        return f'W/"{self.version}"'

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def claimed(self) -> bool:
        return self.status == "in-progress"

    @property
    def priority_rank(self) -> int:
        return PRIORITY_RANK.get(self.priority, 3)

    @property
    def has_thread(self) -> bool:
        return self.focus_ref.startswith("Communication/")

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.deadline is not None and self.is_open and self.deadline < now

    def owned_by(self, ref: str) -> bool:
        return self.owner_ref == ref

    def patient_age(self, today: dt.date) -> int | None:
        return age_on(self.patient_birth_date, today)

    def with_task(self, task: Json, now: dt.datetime | None = None) -> InboxItem:
        """This item updated from a newer version of its Task (an operation's answer, which has no
        includes): the patient and subject read before are kept."""
        new = InboxItem.from_fhir(task, None, now)
        if new.id != self.id:
            return new
        return new.model_copy(
            update={
                "patient_name": new.patient_name or self.patient_name,
                "patient_birth_date": new.patient_birth_date or self.patient_birth_date,
                "patient_nid": new.patient_nid or self.patient_nid,
                "subject": self.subject if self.subject and self.subject != self.description else new.subject,
                "pool_display": new.pool_display or self.pool_display,
            }
        )


# -- pages ------------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a search: the items, the server's `next` link (follow it as given), and the
    total when the server counted it."""

    items: list[T]
    next_url: str | None = None
    self_url: str | None = None
    total: int | None = None
    included: dict[str, Json] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    @property
    def has_next(self) -> bool:
        return bool(self.next_url)


def bundle_link(bundle: Json, relation: str) -> str | None:
    for link in _l(bundle.get("link")):
        if isinstance(link, dict) and link.get("relation") == relation and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def split_bundle(bundle: Json) -> tuple[list[Json], dict[str, Json]]:
    """(matches, included by "Type/id") of a searchset Bundle."""
    matches: list[Json] = []
    included: dict[str, Json] = {}
    for entry in _l(bundle.get("entry")):
        if not isinstance(entry, dict):
            continue
        r = entry.get("resource")
        if not isinstance(r, dict):
            continue
        mode = _d(entry.get("search")).get("mode", "match")
        if mode == "include":
            included[f"{r.get('resourceType')}/{r.get('id')}"] = r
        else:
            matches.append(r)
    return matches, included


def inbox_page_from_bundle(bundle: Json, now: dt.datetime | None = None) -> Page[InboxItem]:
    """An inbox page from a Task searchset Bundle with `Task:focus` and `Task:patient` included."""
    matches, included = split_bundle(bundle)
    when = now or _utcnow()
    items = [InboxItem.from_fhir(t, included, when) for t in matches if t.get("resourceType") == "Task"]
    total = bundle.get("total")
    return Page(
        items,
        bundle_link(bundle, "next"),
        bundle_link(bundle, "self"),
        total if isinstance(total, int) else None,
        included,
    )


def page_from_bundle(bundle: Json, convert: Any, resource_type: str | None = None) -> Page[Any]:
    matches, included = split_bundle(bundle)
    items = [convert(r) for r in matches if resource_type is None or r.get("resourceType") == resource_type]
    total = bundle.get("total")
    return Page(
        items,
        bundle_link(bundle, "next"),
        bundle_link(bundle, "self"),
        total if isinstance(total, int) else None,
        included,
    )
