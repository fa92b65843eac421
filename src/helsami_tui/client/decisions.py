"""`PortalClient`'s decisions (renewals, results, questionnaires, appointment requests) and batch
triage."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import ClientError, NotFound
from .models import (
    FreeSlot,
    InboxItem,
    Target,
    Thread,
    page_from_bundle,
    split_bundle,
)
from .operations import Operations
from .transport import MAX_THREAD_PAGES, Json, _checked, _next_link, _practitioner_of

if TYPE_CHECKING:  # the reviews and batch triage load when first used, not at start-up (issue 15)
    from . import batch
    from .reviews import AppointmentRequest, QuestionnaireReview, RenewalReview, ResultReview


class Decisions(Operations):
    """The decisions and batch triage of `PortalClient`."""

    # -- decisions: renewals, results, questionnaires, appointment requests (docs/api.md) -----

    async def renewal_review(self, item: InboxItem) -> RenewalReview:
        """What a prescriber needs to decide a renewal (the read is in the patient's access log)."""
        from .reviews import RenewalReview

        return RenewalReview.from_json(await self.get(f"Task/{item.id}/$renewal-review"))

    async def result_review(self, item: InboxItem) -> ResultReview:
        """Each value with unit, range, flag and earlier values; the release category and state."""
        from .reviews import ResultReview

        return ResultReview.from_json(await self.get(f"Task/{item.id}/$result-review"))

    async def questionnaire_review(self, item: InboxItem) -> QuestionnaireReview:
        """Questions and answers, the answers that need attention marked."""
        from .reviews import QuestionnaireReview

        return QuestionnaireReview.from_json(await self.get(f"Task/{item.id}/$questionnaire-review"))

    async def appointment_request(self, item: InboxItem) -> AppointmentRequest:
        """The appointment an appointment-request item is about, and what the patient asked."""
        if not item.focus_ref.startswith("Appointment/"):
            raise NotFound("This item has no appointment request.", reason="item-incomplete")
        from .reviews import AppointmentRequest

        return AppointmentRequest.from_fhir(await self.get(item.focus_ref), item.description or item.subject)

    async def decision_thread(self, item: InboxItem) -> Thread | None:
        """The conversation with the patient about a decision item: the item's own thread, else
        the thread the portal made for messages about it (after a question or a decision)."""
        if item.has_thread:
            return await self.thread(item.focus_ref)
        if item.patient_thread_ref.startswith("Communication/"):
            return await self.thread(item.patient_thread_ref)  # known from the Task: no second round
        from .reviews import patient_thread_ref

        ref = patient_thread_ref(await self.get(f"Task/{item.id}"))
        return await self.thread(ref) if ref.startswith("Communication/") else None

    async def _decide(self, item: InboxItem, op: str, params: list[Json], status: str) -> InboxItem:
        return await self._operation(item, op, params, lambda t: t.business_status == status)

    async def approve(self, item: InboxItem, acknowledge: Sequence[str] = (), comment: str = "") -> InboxItem:
        """Approve a renewal (prescribers). `acknowledge`: the code of every warning shown; a warning
        not acknowledged gets Conflict naming it."""
        params: list[Json] = [{"name": "acknowledge", "valueString": c} for c in acknowledge]
        if comment:
            params.append({"name": "comment", "valueString": comment})
        return await self._decide(item, "approve", params, "approved")

    async def deny(self, item: InboxItem, reason: str) -> InboxItem:
        """Deny a renewal with a reason the patient reads (prescribers)."""
        return await self._decide(item, "deny", [{"name": "reason", "valueString": reason}], "denied")

    async def pend(self, item: InboxItem, physician_ref: str, note: str = "") -> InboxItem:
        """Prepare a renewal and pend it to a prescriber (Practitioner/<id>), with an internal note."""
        params: list[Json] = [{"name": "target", "valueReference": {"reference": physician_ref}}]
        if note:
            params.append({"name": "note", "valueString": note})
        return await self._operation(
            item, "pend", params, lambda t: t.business_status == "pended" and t.owner_ref == physician_ref
        )

    async def ask_info(self, item: InboxItem, question: str) -> InboxItem:
        """Ask the patient for more information; the item waits for the answer."""
        return await self._decide(item, "ask-info", [{"name": "text", "valueString": question}], "waiting-for-patient")

    async def release(self, item: InboxItem, comment: str = "") -> InboxItem:
        """Release a result to the patient with a plain-language comment (physicians)."""
        params = [{"name": "comment", "valueString": comment}] if comment else []
        return await self._decide(item, "release", params, "released")

    async def mark_reviewed(self, item: InboxItem, note: str = "") -> InboxItem:
        """A result or questionnaire reviewed, nothing released."""
        params = [{"name": "note", "valueString": note}] if note else []
        return await self._decide(item, "mark-reviewed", params, "reviewed")

    @staticmethod
    def _when(when: dt.datetime | str) -> str:
        return when.isoformat() if isinstance(when, dt.datetime) else str(when)

    async def confirm_appointment(self, item: InboxItem, when: dt.datetime | str, comment: str = "") -> InboxItem:
        """Book the requested appointment at `when` (aware datetime); the patient is told."""
        params: list[Json] = [{"name": "start", "valueDateTime": self._when(when)}]
        if comment:
            params.append({"name": "comment", "valueString": comment})
        return await self._decide(item, "confirm-appointment", params, "confirmed")

    async def propose_appointment(self, item: InboxItem, when: dt.datetime | str, comment: str = "") -> InboxItem:
        """Propose another time; the patient answers in the thread."""
        params: list[Json] = [{"name": "start", "valueDateTime": self._when(when)}]
        if comment:
            params.append({"name": "comment", "valueString": comment})
        return await self._decide(item, "propose-appointment", params, "time-proposed")

    async def confirm_cancellation(self, item: InboxItem) -> InboxItem:
        """Cancel the booked time the patient asked to cancel; the patient is told it is cancelled."""
        return await self._decide(item, "confirm-cancellation", [], "cancelled")

    async def free_slots(
        self, service_ref: str, start: dt.datetime, end: dt.datetime, count: int = 60
    ) -> list[FreeSlot]:
        """Free times in a service's calendar between `start` and `end` (GET Slot), earliest first."""
        data = await self.get(
            "Slot",
            [
                ("service", service_ref),
                ("start", "ge" + start.isoformat()),
                ("start", "lt" + end.isoformat()),
                ("_count", str(count)),
            ],
        )
        return [s for s in page_from_bundle(data, FreeSlot.from_fhir, "Slot").items if s is not None]

    async def decline_appointment(self, item: InboxItem, reason: str) -> InboxItem:
        """Decline the request with a reason the patient reads."""
        return await self._decide(item, "decline-appointment", [{"name": "reason", "valueString": reason}], "declined")

    # -- batch triage: one action on many items, as one FHIR batch Bundle (client/batch.py) ----

    async def plan_batch(self, items: Sequence[InboxItem], action: str, *, target: str = "") -> list[batch.Step]:
        """What will happen to each item and what the portal will refuse and why, before anything
        runs. Results and renewals are looked at as the portal will judge them (the release category,
        the renewal protocol's verdict): those reads are in the patients' access logs, as opening the
        item would be."""
        from . import batch

        if action not in batch.ACTIONS:
            raise ValueError(f"unknown batch action {action!r}")
        me = await self._my_ref()
        roles = set(self.me.roles) if self.me is not None else set()
        gate = asyncio.Semaphore(6)

        async def one(item: InboxItem) -> batch.Step:
            step = batch.predict(item, action, me, roles, target=target)
            if not step.runs or action not in ("release", "approve"):
                return step
            try:
                async with gate:
                    review: RenewalReview | ResultReview = (
                        await self.result_review(item) if action == "release" else await self.renewal_review(item)
                    )
            except ClientError as e:
                return batch.Step(item, action, e.reason or "uncoded", dict(e.reason_args))
            return batch.predict(item, action, me, roles, target=target, review=review)

        return list(await asyncio.gather(*(one(i) for i in items)))

    async def run_batch(
        self, steps: Sequence[batch.Step], *, comment: str = "", target: str = "", note: str = ""
    ) -> list[batch.Outcome]:
        """Run the steps that will run as one batch Bundle (POST /fhir); one outcome per step, in
        order. Each entry is decided by the portal on its own; a refusal does not stop the rest."""
        from . import batch

        body = batch.bundle(steps, comment=comment, target=target, note=note)
        if not body["entry"]:
            return batch.outcomes(steps, {"entry": []})
        # Not resent after a lost answer: the entries that ran would meet 409/412 and read as refused.
        sent = await self._send("POST", self.fhir_url, json=body, safe_to_resend=False)
        return batch.outcomes(steps, _checked(sent.response))

    async def physicians(self) -> list[Target]:
        """Staff a renewal can be pended to: active staff members with the physician role."""
        refs: set[str] = set()
        data = await self.get("PractitionerRole", [("role", "physician"), ("_count", "500")])
        for _ in range(MAX_THREAD_PAGES):
            matches, _inc = split_bundle(data)
            refs.update(_practitioner_of(r) for r in matches if r.get("resourceType") == "PractitionerRole")
            url = _next_link(data)
            if not url:
                break
            data = await self.get(url)
        out: list[Target] = []
        data = await self.get("Practitioner", [("_count", "500")])
        for _ in range(MAX_THREAD_PAGES):
            matches, _inc = split_bundle(data)
            out.extend(
                x
                for x in (Target.from_practitioner(r) for r in matches if r.get("resourceType") == "Practitioner")
                if x.active and x.ref in refs
            )
            url = _next_link(data)
            if not url:
                break
            data = await self.get(url)
        return out
