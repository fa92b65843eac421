"""`PortalClient`'s operations on inbox items, the document library and reply drafts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from .errors import ClientError, Conflict, PortalError
from .models import (
    Absence,
    InboxItem,
    LibraryDocument,
    Message,
    PatientSummary,
    PhoneMessageResult,
    page_from_bundle,
    split_bundle,
)
from .reading import Reading
from .results import ReplyResult
from .transport import Json, _checked, _s_id, _task_of, log


class Operations(Reading):
    """The operations of `PortalClient` on inbox items, the library and drafts."""

    # -- operations on items -----------------------------------------------------------------

    async def _operation(
        self, item: InboxItem, op: str, params: list[Json] | None, settled: Callable[[InboxItem], bool]
    ) -> InboxItem:
        body = {"resourceType": "Parameters", "parameter": params} if params else None
        sent = await self._send(
            "POST", self.url(f"Task/{item.id}/${op}"), json=body, headers={"If-Match": item.etag}, safe_to_resend=True
        )
        try:
            return item.with_task(_task_of(_checked(sent.response)))
        except Conflict as c:
            if c.current_raw and c.current_raw.get("resourceType") == "Task":
                c.current = item.with_task(c.current_raw)
            if sent.resent:
                # The first attempt may have worked and only its answer was lost.
                current = c.current
                if current is None:
                    try:
                        current = await self.task(item.id)
                    except ClientError:
                        raise c from None
                if current.version > item.version and settled(current):
                    log.info("$%s on Task/%s: answer was lost, the change is in place", op, item.id)
                    return current
            raise

    async def claim(self, item: InboxItem) -> InboxItem:
        """Take an item from its pool. Conflict if someone else was first (`current` says who)."""
        me = await self._my_ref()
        return await self._operation(item, "claim", None, lambda t: t.status == "in-progress" and t.owner_ref == me)

    async def claim_next(self, pool_id: str, now: dt.datetime | None = None) -> InboxItem | None:
        """Claim the next item waiting in an inbox: the portal picks it, in the inbox's order, so
        colleagues taking from the same inbox never race for one item. None when nothing waits.
        Not resent after a lost answer (a second request would take a second item)."""
        pool_id = pool_id.removeprefix("HealthcareService/")
        body = {
            "resourceType": "Parameters",
            "parameter": [{"name": "pool", "valueReference": {"reference": f"HealthcareService/{pool_id}"}}],
        }
        sent = await self._send("POST", self.url("Task/$claim-next"), json=body, safe_to_resend=False)
        try:
            data = _checked(sent.response)
        except Conflict as c:
            if c.reason == "nothing-waiting":
                return None
            raise
        return await self.task(_s_id(data), now)  # with its subject and patient, as the list shows it

    async def unclaim(self, item: InboxItem) -> InboxItem:
        """Put a claimed item back in its pool."""
        return await self._operation(
            item, "unclaim", None, lambda t: t.status == "requested" and t.owner_ref.startswith("HealthcareService/")
        )

    async def complete(self, item: InboxItem, note: str | None = None) -> InboxItem:
        params = [{"name": "note", "valueString": note}] if note else None
        me = await self._my_ref()
        return await self._operation(item, "complete", params, lambda t: t.status == "completed" and t.owner_ref == me)

    async def add_note(self, item: InboxItem, text: str) -> InboxItem:
        """An internal note on the item (staff only); owner and state stay as they are."""
        n = len(item.notes)
        return await self._operation(
            item,
            "note",
            [{"name": "text", "valueString": text}],
            lambda t: len(t.notes) > n and t.notes[-1].text == text.strip(),
        )

    async def message_patient(self, item: InboxItem, text: str, message_id: str | None = None) -> InboxItem:
        """A new message to the patient from any item (exactly once per `message_id`)."""
        message_id = message_id or str(uuid.uuid4())
        return await self._operation(
            item,
            "message",
            [{"name": "text", "valueString": text}, {"name": "messageId", "valueString": message_id}],
            lambda t: t.version > item.version,
        )

    async def reopen(self, item: InboxItem, note: str = "") -> InboxItem:
        """A completed item back in work, claimed by the caller."""
        params = [{"name": "note", "valueString": note}] if note else None
        me = await self._my_ref()
        return await self._operation(item, "reopen", params, lambda t: t.status == "in-progress" and t.owner_ref == me)

    async def forward(self, item: InboxItem, target_ref: str, note: str = "") -> InboxItem:
        """Send an item to another inbox (HealthcareService/<id>) or a person (Practitioner/<id>),
        with an internal note."""
        params: list[Json] = [{"name": "target", "valueReference": {"reference": target_ref}}]
        if note:
            params.append({"name": "note", "valueString": note})
        return await self._operation(item, "forward", params, lambda t: t.owner_ref == target_ref)

    async def reply(
        self, item: InboxItem, text: str, message_id: str | None = None, attachments: Sequence[str] = ()
    ) -> ReplyResult:
        """Reply to the patient in the item's thread. `message_id` (a UUID made once per reply, and
        kept for every resend) makes it exactly-once: a resend returns the first result.
        `attachments`: library documents (DocumentReference/<id>) sent with it."""
        message_id = message_id or str(uuid.uuid4())
        body = {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "text", "valueString": text},
                {"name": "messageId", "valueString": message_id},
                *[{"name": "attachment", "valueReference": {"reference": ref}} for ref in attachments],
            ],
        }
        sent = await self._send(
            "POST", self.url(f"Task/{item.id}/$reply"), json=body, headers={"If-Match": item.etag}, safe_to_resend=True
        )
        try:
            data = _checked(sent.response)
        except Conflict as c:
            if c.current_raw and c.current_raw.get("resourceType") == "Task":
                c.current = item.with_task(c.current_raw)
            raise
        task: Json | None = None
        msg: Json | None = None
        for prm in data.get("parameter") or []:
            if isinstance(prm, dict) and isinstance(prm.get("resource"), dict):
                if prm.get("name") == "task":
                    task = prm["resource"]
                elif prm.get("name") == "message":
                    msg = prm["resource"]
        if task is None or msg is None:
            raise PortalError(
                sent.response.status_code,
                "The portal's answer to the reply was incomplete.",
                reason="incomplete-answer",
            )
        return ReplyResult(item.with_task(task), Message.from_fhir(msg))

    # -- the document library ------------------------------------------------------------------

    async def search_library(
        self, words: str = "", topic: str = "", service_ref: str = "", count: int = 50
    ) -> list[LibraryDocument]:
        """Current documents of the services' libraries whose title has `words` (each starts a word
        of the title) and, if given, of `topic`; of one service's library with `service_ref`."""
        params: list[tuple[str, str]] = [("status", "current"), ("_count", str(count))]
        for word in words.split()[:5]:
            params.append(("title", word[:60]))
        if topic:
            params.append(("category", topic))
        if service_ref:
            params.append(("service", service_ref))
        data = await self.get("DocumentReference", params)
        matches, _ = split_bundle(data)
        return [LibraryDocument.from_fhir(r) for r in matches if r.get("resourceType") == "DocumentReference"]

    # -- drafts ------------------------------------------------------------------------------

    async def save_draft(
        self,
        thread_ref: str,
        text: str,
        draft: Message | str | None = None,
        documents: Sequence[LibraryDocument] = (),
    ) -> Message:
        """Keep a reply draft on the portal (visible only to its author): a new draft the first
        time, then an update (PUT with If-Match) of the same one. `draft` is the Message the last
        save returned (a bare id is accepted and re-read). `documents`: the library documents
        attached to the reply, kept with the draft (the returned Message's `documents`)."""
        body = Message.draft_to_fhir(thread_ref, text, documents)
        if isinstance(draft, str) and draft:
            data = await self.get(f"Communication/{draft}")
            draft = Message.from_fhir(data)
        if isinstance(draft, Message) and draft.id:
            body["id"] = draft.id
            data = await self._json(
                "PUT",
                self.url(f"Communication/{draft.id}"),
                json=body,
                headers={"If-Match": f'W/"{draft.version}"'},
                safe_to_resend=False,
            )
            return Message.from_fhir(data)
        data = await self._json("POST", self.url("Communication"), json=body, safe_to_resend=False)
        return Message.from_fhir(data)

    async def load_draft(self, thread_ref: str) -> Message | None:
        """The caller's newest draft in a thread, or None."""
        data = await self.get(
            "Communication",
            [("part-of", thread_ref), ("status", "preparation"), ("_sort", "-_lastUpdated"), ("_count", "1")],
        )
        matches, _ = split_bundle(data)
        drafts = [Message.from_fhir(m) for m in matches if m.get("status") == "preparation"]
        return drafts[0] if drafts else None

    # -- switchboard: patients, phone messages; absence -------------------------------------

    async def search_patients(
        self, name: str, birth_date: dt.date | None = None, *, count: int = 20, today: dt.date | None = None
    ) -> list[PatientSummary]:
        """Find a patient by name (words) and birth date (each look-up is in the access log)."""
        params: list[tuple[str, str]] = [("name", name.strip()), ("_count", str(count))]
        if birth_date is not None:
            params.append(("birthdate", birth_date.isoformat()))
        data = await self.get("Patient", params)
        return page_from_bundle(data, lambda r: PatientSummary.from_fhir(r, today), "Patient").items

    async def phone_message(
        self,
        patient_ref: str,
        target_ref: str,
        subject: str,
        text: str,
        message_id: str,
        *,
        now: dt.datetime | None = None,
    ) -> PhoneMessageResult:
        """Register what a caller said on the phone, as a new item in an inbox
        (HealthcareService/<id>) or with a person (Practitioner/<id>). `message_id` is made once
        per message and kept for every resend: the portal makes it exactly once."""
        params: list[Json] = [{"name": "patient", "valueReference": {"reference": patient_ref}}]
        kind = "inbox" if target_ref.startswith("HealthcareService/") else "practitioner"
        params += [
            {"name": kind, "valueReference": {"reference": target_ref}},
            {"name": "subject", "valueString": subject},
            {"name": "text", "valueString": text},
            {"name": "messageId", "valueString": message_id},
        ]
        sent = await self._send(
            "POST",
            self.url("Task/$phone-message"),
            json={"resourceType": "Parameters", "parameter": params},
            safe_to_resend=True,
        )
        data = _checked(sent.response)
        parts = {
            p.get("name"): p.get("resource")
            for p in data.get("parameter") or []
            if isinstance(p, dict) and isinstance(p.get("resource"), dict)
        }
        thread, msg, task = parts.get("thread"), parts.get("message"), parts.get("task")
        if not isinstance(msg, dict) or not isinstance(thread, dict):
            raise PortalError(
                sent.response.status_code,
                "The portal's answer to the phone message was incomplete.",
                reason="incomplete-answer",
            )
        item = None
        if isinstance(task, dict):
            item = InboxItem.from_fhir(task, {f"Communication/{thread.get('id')}": thread}, now)
        return PhoneMessageResult(
            item=item,
            thread_ref=f"Communication/{thread.get('id')}",
            message=Message.from_fhir(msg),
            replayed=sent.response.status_code == 200,
        )

    async def absence(self) -> Absence:
        """Whether the caller is marked away, and with which delegate."""
        me = await self._my_ref()
        return Absence.from_fhir(await self.get(me))

    async def set_absence(self, away: bool, delegate_ref: str | None = None) -> tuple[Absence, int]:
        """Mark the caller away (with a delegate, Practitioner/<id>, or none) or back. Returns
        the new state and how many of the caller's items were handed over."""
        me = await self._my_ref()
        params: list[Json] = [{"name": "away", "valueBoolean": away}]
        if away and delegate_ref:
            params.append({"name": "delegate", "valueReference": {"reference": delegate_ref}})
        data = await self._json(
            "POST",
            self.url(f"{me}/$absence"),
            json={"resourceType": "Parameters", "parameter": params},
            safe_to_resend=True,
        )  # setting the same state twice is the same state
        prac: Json = {}
        moved = 0
        for p in data.get("parameter") or []:
            if isinstance(p, dict) and p.get("name") == "practitioner" and isinstance(p.get("resource"), dict):
                prac = p["resource"]
            elif isinstance(p, dict) and p.get("name") == "moved" and isinstance(p.get("valueInteger"), int):
                moved = p["valueInteger"]
        return Absence.from_fhir(prac), moved
