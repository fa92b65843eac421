"""Lean models of the FHIR subset the terminal app shows, each owning its conversion from (and,
where the client sends it, to) FHIR JSON.

They are pydantic v2 models, but the hot paths (an inbox page of 50 items with includes, thread
messages) build them without validation through `_build`, which does what `model_construct`
does minus its per-field bookkeeping: the conversion code below already produces values of the
declared types. `Model.model_validate(...)` still works for callers that want checking.

Everything that comes from the server is untrusted text and is kept as plain `str`: never
interpreted, never formatted into markup here. The UI sanitises it when it shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from .errors import AccessDenied, Conflict, NotFound, NotSignedIn, PortalError

Json = dict[str, Any]
UTC = dt.timezone.utc

# -- code systems and extensions of the portal contract (docs/api.md) -------------------------

BASE = "https://helsami.example/fhir"
TASK_TYPE = f"{BASE}/CodeSystem/task-type"
TASK_BUSINESS_STATUS = f"{BASE}/CodeSystem/task-business-status"
COMM_CATEGORY = f"{BASE}/CodeSystem/communication-category"
MEDIUM_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
CLIENT_MESSAGE_ID = f"{BASE}/NamingSystem/client-message-id"
EXT_TASK_POOL = f"{BASE}/StructureDefinition/task-pool"
EXT_ESCALATED = f"{BASE}/StructureDefinition/escalated"
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

TASK_TYPES = ("message", "renewal", "result", "questionnaire", "appointment", "phone-message")
OPEN_STATUSES = ("requested", "in-progress")
PRIORITY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}


# -- small, defensive readers of FHIR JSON -------------------------------------------------------
# The server is trusted to speak FHIR, not to be well-formed: every reader tolerates a missing or
# wrongly typed element and yields an empty value instead of raising.

def _s(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _d(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def ref_of(value: Any) -> str:
    """The "Type/id" of a FHIR Reference, or ""."""
    if isinstance(value, dict):
        r = value.get("reference")
        if isinstance(r, str):
            return r
    return ""


def ref_id(ref: str) -> str:
    return ref.partition("/")[2]


def display_of(value: Any) -> str:
    if isinstance(value, dict):
        d = value.get("display")
        if isinstance(d, str):
            return d
    return ""


def first_code(concept: Any, system: str | None = None) -> str:
    """The first code of a CodeableConcept (or a list of them), optionally of one system."""
    if isinstance(concept, list):
        for c in concept:
            code = first_code(c, system)
            if code:
                return code
        return ""
    if not isinstance(concept, dict):
        return ""
    for coding in _l(concept.get("coding")):
        if isinstance(coding, dict) and (system is None or coding.get("system") == system):
            code = coding.get("code")
            if isinstance(code, str):
                return code
    return ""


def concept_text(concept: Any) -> str:
    """What a person reads for a CodeableConcept: its text, else the first display, else the code."""
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if not isinstance(concept, dict):
        return ""
    text = concept.get("text")
    if isinstance(text, str) and text:
        return text
    for coding in _l(concept.get("coding")):
        if isinstance(coding, dict):
            if isinstance(coding.get("display"), str) and coding["display"]:
                return str(coding["display"])
    for coding in _l(concept.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            return str(coding["code"])
    return ""


def identifier_value(resource: Json, system: str) -> str:
    for ident in _l(resource.get("identifier")):
        if isinstance(ident, dict) and ident.get("system") == system:
            return _s(ident.get("value"))
    return ""


def human_name(resource: Json) -> str:
    names = resource.get("name")
    if isinstance(names, list):
        chosen = None
        for n in names:
            if isinstance(n, dict) and n.get("use") == "official":
                chosen = n
                break
        if chosen is None:
            chosen = next((n for n in names if isinstance(n, dict)), None)
        if chosen is None:
            return ""
        if isinstance(chosen.get("text"), str) and chosen["text"]:
            return str(chosen["text"])
        given = " ".join(_s(g) for g in _l(chosen.get("given")))
        return f"{given} {_s(chosen.get('family'))}".strip()
    return names if isinstance(names, str) else ""


def parse_instant(value: Any) -> dt.datetime | None:
    """A FHIR instant/dateTime/date as an aware datetime (UTC when no offset); None if absent or
    not a full date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return d if d.tzinfo is not None else d.replace(tzinfo=UTC)


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def age_on(birth: dt.date | None, today: dt.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _ext(resource: Json, url: str) -> Json | None:
    for e in _l(resource.get("extension")):
        if isinstance(e, dict) and e.get("url") == url:
            return e
    return None


def _version(resource: Json) -> int:
    v = _d(resource.get("meta")).get("versionId")
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


M = TypeVar("M", bound=BaseModel)


def _build(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of `cls` from already-converted values, without validation (hot path).

    Equivalent to `cls.model_construct(**values)` when `values` names every field, at a fraction
    of the cost. Fields missing from `values` would be missing on the instance, so every
    `from_fhir` below passes all of them.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", arbitrary_types_allowed=True)


# -- inbox ------------------------------------------------------------------------------------

class Note(_Model):
    """An internal note on a Task (routing, forwarding): staff only, never shown to the patient."""

    author_ref: str = ""
    author_display: str = ""
    time: dt.datetime | None = None
    text: str = ""

    @classmethod
    def from_fhir(cls, note: Json) -> Note:
        author = note.get("authorReference")
        author_display = display_of(author)
        if not author_display and isinstance(note.get("authorString"), str):
            author_display = note["authorString"]
        return _build(cls, {"author_ref": ref_of(author), "author_display": author_display,
                            "time": parse_instant(note.get("time")), "text": _s(note.get("text"))})


class InboxItem(_Model):
    """One row of the inbox: a Task, with the subject from its focus thread header and the
    patient's name, birth date and national id from the included Patient."""

    id: str
    version: int
    type: str  # message | renewal | result | questionnaire | appointment | phone-message
    status: str  # requested | in-progress | completed | cancelled
    business_status: str
    priority: str
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

    @classmethod
    def from_fhir(cls, task: Json, included: Mapping[str, Json] | None = None,
                  now: dt.datetime | None = None) -> InboxItem:
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
        status = _s(task.get("status"))
        notes = task.get("note")
        when = now or _utcnow()
        return _build(cls, {
            "id": _s(task.get("id")),
            "version": _version(task),
            "type": first_code(task.get("code"), TASK_TYPE) or first_code(task.get("code")),
            "status": status,
            "business_status": first_code(task.get("businessStatus"), TASK_BUSINESS_STATUS)
                               or first_code(task.get("businessStatus")),
            "priority": _s(task.get("priority")) or "routine",
            "authored_on": parse_instant(task.get("authoredOn")),
            "last_modified": parse_instant(task.get("lastModified")),
            "deadline": deadline,
            "overdue": deadline is not None and status in OPEN_STATUSES and deadline < when,
            "escalated": bool(esc.get("valueBoolean") is True) if esc else False,
            "owner_ref": owner_ref,
            "owner_display": display_of(owner),
            "pool_id": ref_id(pool_ref),
            "pool_display": pool_display,
            "patient_ref": patient_ref,
            "patient_name": human_name(patient) if patient else "",
            "patient_birth_date": parse_date(patient.get("birthDate")) if patient else None,
            "patient_nid": identifier_value(patient, FNR_SYSTEM) if patient else "",
            "subject": subject or description,
            "description": description,
            "focus_ref": focus_ref,
            "notes": tuple(Note.from_fhir(n) for n in notes if isinstance(n, dict))
                     if isinstance(notes, list) else (),
        })

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
        return new.model_copy(update={
            "patient_name": new.patient_name or self.patient_name,
            "patient_birth_date": new.patient_birth_date or self.patient_birth_date,
            "patient_nid": new.patient_nid or self.patient_nid,
            "subject": self.subject if self.subject and self.subject != self.description else new.subject,
            "pool_display": new.pool_display or self.pool_display,
        })


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
    return Page(items, bundle_link(bundle, "next"), bundle_link(bundle, "self"),
                total if isinstance(total, int) else None, included)


def page_from_bundle(bundle: Json, convert: Any, resource_type: str | None = None) -> Page[Any]:
    matches, included = split_bundle(bundle)
    items = [convert(r) for r in matches if resource_type is None or r.get("resourceType") == resource_type]
    total = bundle.get("total")
    return Page(items, bundle_link(bundle, "next"), bundle_link(bundle, "self"),
                total if isinstance(total, int) else None, included)


# -- threads ----------------------------------------------------------------------------------

class Message(_Model):
    """A message in a thread (a Communication with partOf the header), or a staff draft."""

    id: str
    version: int
    thread_ref: str
    status: str
    sent: dt.datetime | None
    sender_ref: str
    sender_display: str
    category: str  # patient-message | staff-reply | phone-message | system | thread
    medium: str  # "portal" | "phone" | "" (unknown)
    text: str
    is_draft: bool
    on_behalf_of: str  # the sender's own words when a proxy (RelatedPerson) writes for a patient
    message_id: str  # the client-made id of a reply, when the server shows it
    updated: dt.datetime | None  # meta.lastUpdated: orders drafts, which have no `sent`

    @classmethod
    def from_fhir(cls, r: Json) -> Message:
        sender = r.get("sender")
        sender_ref = ref_of(sender)
        sender_display = display_of(sender)
        medium_code = first_code(r.get("medium"), MEDIUM_SYSTEM) or first_code(r.get("medium"))
        medium = {"ELECTRONIC": "portal", "PHONE": "phone"}.get(medium_code, medium_code.lower())
        payload = _l(r.get("payload"))
        text = ""
        for part in payload:
            if isinstance(part, dict) and isinstance(part.get("contentString"), str):
                text = part["contentString"]
                break
        part_of = _l(r.get("partOf"))
        status = _s(r.get("status"))
        return _build(cls, {
            "id": _s(r.get("id")),
            "version": _version(r),
            "thread_ref": ref_of(part_of[0]) if part_of else "",
            "status": status,
            "sent": parse_instant(r.get("sent")),
            "sender_ref": sender_ref,
            "sender_display": sender_display,
            "category": first_code(r.get("category"), COMM_CATEGORY) or first_code(r.get("category")),
            "medium": medium,
            "text": text,
            "is_draft": status == "preparation",
            "on_behalf_of": sender_display if sender_ref.startswith("RelatedPerson/") else "",
            "message_id": identifier_value(r, CLIENT_MESSAGE_ID),
            "updated": parse_instant(_d(r.get("meta")).get("lastUpdated")),
        })

    @property
    def ref(self) -> str:
        return f"Communication/{self.id}"

    @property
    def from_patient_side(self) -> bool:
        return self.sender_ref.startswith(("Patient/", "RelatedPerson/"))

    @staticmethod
    def draft_to_fhir(thread_ref: str, text: str) -> Json:
        """The body that creates a reply draft (visible only to its author)."""
        return {"resourceType": "Communication", "status": "preparation",
                "category": [{"coding": [{"system": COMM_CATEGORY, "code": "staff-reply"}]}],
                "partOf": [{"reference": thread_ref}],
                "payload": [{"contentString": text}]}


_FAR_PAST = dt.datetime.min.replace(tzinfo=UTC)


class Thread(_Model):
    """A conversation: the header Communication and its messages in the order they were sent."""

    id: str
    version: int
    subject: str
    status: str  # in-progress | completed
    patient_ref: str
    recipient_ref: str
    recipient_display: str
    started: dt.datetime | None
    messages: tuple[Message, ...]
    drafts: tuple[Message, ...]  # the caller's own drafts, newest first

    @classmethod
    def from_fhir(cls, header: Json, messages: Iterable[Json] = ()) -> Thread:
        msgs = [Message.from_fhir(m) for m in messages if isinstance(m, dict)]
        sent = sorted((m for m in msgs if not m.is_draft), key=lambda m: (m.sent or _FAR_PAST, m.id))
        drafts = sorted((m for m in msgs if m.is_draft), key=lambda m: (m.updated or _FAR_PAST, m.id),
                        reverse=True)
        recipients = _l(header.get("recipient"))
        first = recipients[0] if recipients else None
        return _build(cls, {
            "id": _s(header.get("id")),
            "version": _version(header),
            "subject": _s(_d(header.get("topic")).get("text")),
            "status": _s(header.get("status")),
            "patient_ref": ref_of(header.get("subject")),
            "recipient_ref": ref_of(first),
            "recipient_display": display_of(first),
            "started": parse_instant(header.get("sent")),
            "messages": tuple(sent),
            "drafts": tuple(drafts),
        })

    @property
    def ref(self) -> str:
        return f"Communication/{self.id}"

    @property
    def last_message(self) -> Message | None:
        return self.messages[-1] if self.messages else None


# -- people, pools, me ------------------------------------------------------------------------

class PatientSummary(_Model):
    """What the banner shows about a patient."""

    id: str
    name: str
    birth_date: dt.date | None
    age: int | None  # on the `today` given to from_fhir
    national_id: str
    gender: str
    phone: str
    deceased: bool
    address_masked: bool  # the portal replaced a confidential address

    @classmethod
    def from_fhir(cls, r: Json, today: dt.date | None = None) -> PatientSummary:
        birth = parse_date(r.get("birthDate"))
        phone = ""
        for t in _l(r.get("telecom")):
            if isinstance(t, dict) and t.get("system") == "phone" and isinstance(t.get("value"), str):
                phone = t["value"]
                break
        masked = False
        for a in _l(r.get("address")):
            for e in _l(_d(a).get("extension")):
                if isinstance(e, dict) and _s(e.get("url")).endswith("data-absent-reason"):
                    masked = True
        deceased = r.get("deceasedBoolean") is True or isinstance(r.get("deceasedDateTime"), str)
        return _build(cls, {
            "id": _s(r.get("id")),
            "name": human_name(r),
            "birth_date": birth,
            "age": age_on(birth, today or dt.date.today()),
            "national_id": identifier_value(r, FNR_SYSTEM),
            "gender": _s(r.get("gender")),
            "phone": phone,
            "deceased": deceased,
            "address_masked": masked,
        })

    @property
    def ref(self) -> str:
        return f"Patient/{self.id}"

    def age_on(self, today: dt.date) -> int | None:
        return age_on(self.birth_date, today)


class Pool(_Model):
    """An inbox with its counts (from /fhir/$pools). The personal entry has an empty id."""

    id: str
    name: str
    waiting: int
    urgent: int
    overdue: int
    personal: bool

    @classmethod
    def from_fhir(cls, r: Json) -> Pool:
        def n(key: str) -> int:
            v = r.get(key)
            return v if isinstance(v, int) and not isinstance(v, bool) else 0
        return _build(cls, {"id": _s(r.get("id")), "name": _s(r.get("name")), "waiting": n("waiting"),
                            "urgent": n("urgent"), "overdue": n("overdue"),
                            "personal": r.get("personal") is True})

    @property
    def ref(self) -> str:
        return f"HealthcareService/{self.id}" if self.id else ""


class Me(_Model):
    """The signed-in user (from /fhir/$whoami)."""

    username: str
    kind: str  # staff | patient
    resource: str  # "Practitioner/..."
    display: str
    roles: tuple[str, ...]
    pools: tuple[str, ...]

    @classmethod
    def from_fhir(cls, r: Json) -> Me:
        return _build(cls, {"username": _s(r.get("username")), "kind": _s(r.get("kind")),
                            "resource": _s(r.get("resource")), "display": _s(r.get("display")),
                            "roles": tuple(_s(x) for x in _l(r.get("roles"))),
                            "pools": tuple(_s(x) for x in _l(r.get("pools")))})

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def works_in_inbox(self) -> bool:
        return self.has_role("physician", "nurse", "switchboard")

    @property
    def sees_clinical(self) -> bool:
        return self.has_role("physician", "nurse")


# -- clinical rows for the banner ---------------------------------------------------------------

class Allergy(_Model):
    id: str
    text: str
    criticality: str  # low | high | unable-to-assess | ""
    clinical_status: str
    category: str
    reaction: str
    recorded: dt.datetime | None

    @classmethod
    def from_fhir(cls, r: Json) -> Allergy:
        reactions = []
        for rx in _l(r.get("reaction")):
            for m in _l(_d(rx).get("manifestation")):
                t = concept_text(m)
                if t:
                    reactions.append(t)
        cats = _l(r.get("category"))
        return _build(cls, {"id": _s(r.get("id")), "text": concept_text(r.get("code")),
                            "criticality": _s(r.get("criticality")),
                            "clinical_status": first_code(r.get("clinicalStatus")),
                            "category": _s(cats[0]) if cats else "",
                            "reaction": ", ".join(reactions),
                            "recorded": parse_instant(r.get("recordedDate") or r.get("onsetDateTime"))})


class Medication(_Model):
    id: str
    text: str
    status: str
    intent: str
    dosage: str
    authored_on: dt.datetime | None
    valid_until: dt.date | None

    @classmethod
    def from_fhir(cls, r: Json) -> Medication:
        dosage = ""
        for d in _l(r.get("dosageInstruction")):
            if isinstance(d, dict) and isinstance(d.get("text"), str):
                dosage = d["text"]
                break
        text = concept_text(r.get("medicationCodeableConcept")) or display_of(r.get("medicationReference"))
        validity = _d(_d(r.get("dispenseRequest")).get("validityPeriod"))
        return _build(cls, {"id": _s(r.get("id")), "text": text, "status": _s(r.get("status")),
                            "intent": _s(r.get("intent")), "dosage": dosage,
                            "authored_on": parse_instant(r.get("authoredOn")),
                            "valid_until": parse_date(validity.get("end"))})


class Condition(_Model):
    id: str
    text: str
    code: str
    clinical_status: str
    onset: dt.datetime | None

    @classmethod
    def from_fhir(cls, r: Json) -> Condition:
        return _build(cls, {"id": _s(r.get("id")), "text": concept_text(r.get("code")),
                            "code": first_code(r.get("code")),
                            "clinical_status": first_code(r.get("clinicalStatus")),
                            "onset": parse_instant(r.get("onsetDateTime") or r.get("recordedDate"))})

    @property
    def active(self) -> bool:
        return self.clinical_status in ("active", "recurrence", "relapse", "")


_FLAGS = ("HH", "LL", "H", "L", "N", "A", "AA", "HU", "LU", "<", ">")


class Observation(_Model):
    """A result row: value, unit, reference range and the interpretation flag (H, L, HH, LL, N)."""

    id: str
    code: str
    text: str
    status: str
    value: float | None
    value_text: str  # the value as the portal wrote it (a string value, or the number as given)
    comparator: str
    unit: str
    low: float | None
    high: float | None
    range_text: str
    flag: str
    effective: dt.datetime | None

    @classmethod
    def from_fhir(cls, r: Json) -> Observation:
        value: float | None = None
        value_text = ""
        unit = comparator = ""
        q = r.get("valueQuantity")
        if isinstance(q, dict):
            v = q.get("value")
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                value = float(v)
                value_text = _fmt_number(v)
            unit = _s(q.get("unit")) or _s(q.get("code"))
            comparator = _s(q.get("comparator"))
        elif isinstance(r.get("valueString"), str):
            value_text = r["valueString"]
        elif isinstance(r.get("valueCodeableConcept"), dict):
            value_text = concept_text(r["valueCodeableConcept"])
        elif isinstance(r.get("valueInteger"), int):
            value = float(r["valueInteger"])
            value_text = str(r["valueInteger"])
        elif isinstance(r.get("valueBoolean"), bool):
            value_text = "yes" if r["valueBoolean"] else "no"
        low = high = None
        range_text = ""
        ranges = _l(r.get("referenceRange"))
        if ranges and isinstance(ranges[0], dict):
            rr = ranges[0]
            lo, hi = _d(rr.get("low")).get("value"), _d(rr.get("high")).get("value")
            low = float(lo) if isinstance(lo, (int, float)) and not isinstance(lo, bool) else None
            high = float(hi) if isinstance(hi, (int, float)) and not isinstance(hi, bool) else None
            range_text = _s(rr.get("text"))
        flag = ""
        for concept in _l(r.get("interpretation")):
            code = first_code(concept, INTERPRETATION_SYSTEM) or first_code(concept)
            if code:
                flag = code
                break
        return _build(cls, {
            "id": _s(r.get("id")), "code": first_code(r.get("code")), "text": concept_text(r.get("code")),
            "status": _s(r.get("status")), "value": value, "value_text": value_text,
            "comparator": comparator, "unit": unit, "low": low, "high": high, "range_text": range_text,
            "flag": flag,
            "effective": parse_instant(r.get("effectiveDateTime") or r.get("issued")),
        })

    @property
    def abnormal(self) -> bool:
        return self.flag not in ("", "N")

    @property
    def reference_range(self) -> str:
        """The range as plain text: "13.4–17", "< 5", "> 60", or the portal's own text."""
        if self.low is not None and self.high is not None:
            return f"{_fmt_number(self.low)}–{_fmt_number(self.high)}"
        if self.high is not None:
            return f"< {_fmt_number(self.high)}"
        if self.low is not None:
            return f"> {_fmt_number(self.low)}"
        return self.range_text


def _fmt_number(v: float | int) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# -- errors ----------------------------------------------------------------------------------

class OperationOutcome(_Model):
    """An error answer: the plain-words diagnostics, the issue code, and the current version of
    the thing the caller tried to change (the Task after a conflict), when the portal sent it."""

    severity: str
    code: str
    diagnostics: str
    expression: tuple[str, ...]
    current: dict[str, Any] | None

    @classmethod
    def from_fhir(cls, r: Json) -> OperationOutcome:
        issues = [i for i in _l(r.get("issue")) if isinstance(i, dict)]
        first = issues[0] if issues else {}
        texts = [_s(i.get("diagnostics")) or concept_text(i.get("details")) for i in issues]
        current = None
        for c in _l(r.get("contained")):
            if isinstance(c, dict):
                current = c
                break
        return _build(cls, {
            "severity": _s(first.get("severity")) or "error",
            "code": _s(first.get("code")),
            "diagnostics": " ".join(t for t in texts if t),
            "expression": tuple(_s(x) for x in _l(first.get("expression"))),
            "current": current,
        })

    @property
    def current_task(self) -> InboxItem | None:
        if self.current and self.current.get("resourceType") == "Task":
            return InboxItem.from_fhir(self.current)
        return None

    def to_error(self, status: int, fallback: str = "") -> PortalError:
        """The typed exception for an HTTP error status with this outcome."""
        msg = self.diagnostics or fallback or f"The portal answered with an error ({status})."
        if status in (409, 412):
            return Conflict(msg, self.current_task, status=status, code=self.code or "conflict",
                            current_raw=self.current)
        if status == 403:
            return AccessDenied(msg, code=self.code or "forbidden")
        if status == 401:
            return NotSignedIn(msg)
        if status == 404:
            return NotFound(msg, code=self.code or "not-found")
        return PortalError(status, msg, code=self.code)


# -- directory and operations ------------------------------------------------------------------

class Target(_Model):
    """Somewhere an item can be forwarded: an inbox or a named staff member."""

    ref: str
    name: str
    kind: str  # "service" | "person"
    active: bool = True

    @classmethod
    def from_service(cls, r: Json) -> Target:
        return _build(cls, {"ref": f"HealthcareService/{_s(r.get('id'))}", "name": _s(r.get("name")),
                            "kind": "service", "active": r.get("active") is not False})

    @classmethod
    def from_practitioner(cls, r: Json) -> Target:
        return _build(cls, {"ref": f"Practitioner/{_s(r.get('id'))}", "name": human_name(r), "kind": "person",
                            "active": r.get("active") is not False})


class QueueMember(_Model):
    """A staff member of an inbox (directory data, not patient data)."""

    ref: str
    name: str
    roles: tuple[str, ...]


def _duration_text(d: Any) -> tuple[float | None, str]:
    d = _d(d)
    v = d.get("value")
    value = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    return value, _s(d.get("unit")) or _s(d.get("code"))


class Queue(_Model):
    """One inbox as IT support sees it: set-up and depth, no patient data."""

    id: str
    name: str
    organization: str
    kind: str
    backup: str
    waiting: int
    claimed: int
    oldest_unopened_seconds: int | None
    escalated_last_24h: int
    members: int
    active: bool = True
    member_list: tuple[QueueMember, ...] = ()
    delay_minutes: float | None = None  # the safety-net delay
    response_value: float | None = None  # the stated response time
    response_unit: str = ""  # "d" = (working) days

    @classmethod
    def from_json(cls, q: Json) -> Queue:
        def n(key: str) -> int:
            v = q.get(key)
            return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0
        age = q.get("oldestUnopenedSeconds")
        backup = q.get("backup")
        members = tuple(_build(QueueMember, {"ref": _s(m.get("practitioner")), "name": _s(m.get("name")),
                                             "roles": tuple(_s(r) for r in _l(m.get("roles")))})
                        for m in _l(q.get("members")) if isinstance(m, dict))
        delay, delay_unit = _duration_text(q.get("safetyNetDelay"))
        if delay is not None and delay_unit in ("h", "hour"):
            delay *= 60
        elif delay is not None and delay_unit in ("d", "day"):
            delay *= 1440
        response, response_unit = _duration_text(q.get("responseTime"))
        return _build(cls, {"id": _s(q.get("id")), "name": _s(q.get("name")),
                            "organization": _s(_d(q.get("organization")).get("name")), "kind": _s(q.get("kind")),
                            "backup": ref_of(backup) if isinstance(backup, dict) else _s(backup),
                            "waiting": n("waiting"), "claimed": n("claimed"),
                            "oldest_unopened_seconds": int(age) if isinstance(age, (int, float)) else None,
                            "escalated_last_24h": n("escalatedLast24h"),
                            "members": len(members), "active": q.get("active") is not False,
                            "member_list": members, "delay_minutes": delay,
                            "response_value": response, "response_unit": response_unit})


class PortalStatus(_Model):
    """The portal's software and health as a client sees it (from /fhir/metadata)."""

    reachable: bool
    name: str
    version: str
    fhir_version: str
    latency_ms: float | None
    error: str = ""

    @classmethod
    def from_fhir(cls, r: Json, latency_ms: float | None) -> PortalStatus:
        sw = _d(r.get("software"))
        return _build(cls, {"reachable": True, "name": _s(sw.get("name")), "version": _s(sw.get("version")),
                            "fhir_version": _s(r.get("fhirVersion")), "latency_ms": latency_ms, "error": ""})

    @classmethod
    def unreachable(cls, error: str) -> PortalStatus:
        return _build(cls, {"reachable": False, "name": "", "version": "", "fhir_version": "",
                            "latency_ms": None, "error": error})


EXT_ABSENCE = f"{BASE}/StructureDefinition/absence"


class Absence(_Model):
    """A staff member's absence, from the `absence` extension on their Practitioner."""

    practitioner_ref: str
    away: bool
    delegate_ref: str
    delegate_display: str
    since: dt.datetime | None

    @classmethod
    def from_fhir(cls, prac: Json) -> Absence:
        away, delegate, since = False, {}, None
        ext = _ext(prac, EXT_ABSENCE)
        if ext:
            for part in _l(ext.get("extension")):
                if not isinstance(part, dict):
                    continue
                if part.get("url") == "away":
                    away = part.get("valueBoolean") is True
                elif part.get("url") == "delegate":
                    delegate = _d(part.get("valueReference"))
                elif part.get("url") == "since":
                    since = parse_instant(part.get("valueInstant"))
        return _build(cls, {"practitioner_ref": f"Practitioner/{_s(prac.get('id'))}", "away": away,
                            "delegate_ref": ref_of(delegate) if away else "",
                            "delegate_display": display_of(delegate) if away else "",
                            "since": since if away else None})


class PhoneMessageResult(_Model):
    """What `$phone-message` made: the item (with subject and patient as sent), the thread and
    the message (medium phone). `replayed`: a retry with the same messageId got the first result."""

    item: InboxItem | None
    thread_ref: str
    message: Message
    replayed: bool
