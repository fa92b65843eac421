"""`PortalClient`'s reads: who am I and my inboxes, the inbox, the switchboard, a task with its
thread, patient and clinical context, the access log, proxies, break-the-glass."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from .auth import TokenSession
from .errors import AccessDenied, ClientError, NotFound, reason_of
from .models import (
    AccessEntry,
    Allergy,
    Condition,
    InboxItem,
    Me,
    Medication,
    NotificationHealth,
    Observation,
    Page,
    PatientSummary,
    Pools,
    PortalStatus,
    Proxy,
    Queue,
    StaffProfile,
    Target,
    Thread,
    inbox_page_from_bundle,
    order_targets,
    page_from_bundle,
    parse_instant,
    proxies_from,
    route_suggestions_from,
    split_bundle,
)
from .results import BreakGlass, Clinical
from .transport import (
    DEFAULT_SORT,
    INBOX_INCLUDES,
    MAX_THREAD_PAGES,
    THREAD_PAGE,
    Json,
    Transport,
    _checked,
    _next_link,
    _with_count,
    _without_total,
)


class Reading(Transport):
    """The reads of `PortalClient`."""

    # -- who am I, which inboxes -------------------------------------------------------------

    async def whoami(self) -> Me:
        me = Me.from_fhir(await self.get("$whoami"))
        self.me = me
        return me

    async def identify(self, access_token: str) -> Me:
        """Who an access token belongs to (a new sign-in), without making it this client's token:
        the app compares it with the user signed in before it lets the new token in."""
        resp = await self.http.get(self.url("$whoami"), headers={"Authorization": f"Bearer {access_token}"})
        return Me.from_fhir(_checked(resp))

    async def sign_out(self) -> None:
        """Revoke this client's session on the portal and forget it, and everything of the user's
        (`forget_user`)."""
        a = self._auth
        if isinstance(a, TokenSession):
            await a.sign_out()
        else:
            self._auth = None
        self.forget_user()

    def use_tokens(self, tokens: Any, *, same_user: Me | None = None) -> None:
        """Sign in with `tokens` (from a new sign-in). Everything of the user signed in before is
        forgotten (`forget_user`), unless `same_user` says the tokens are theirs (the same user
        unlocking): then their state is kept and `same_user` is who is signed in."""
        a = self._auth
        if isinstance(a, TokenSession):
            a.use(tokens)
        else:
            self._auth = tokens.access_token
        if same_user is None:
            self.forget_user()
        else:
            self.me = same_user

    async def _my_ref(self) -> str:
        if self.me is None:
            async with self._me_lock:
                if self.me is None:
                    await self.whoami()
        assert self.me is not None
        return self.me.resource

    async def staff_profile(self) -> StaffProfile:
        """The signed-in staff member's name, title and unit (for the signature under a reply),
        read once per sign-in: the Practitioner and its PractitionerRoles, together."""
        me = self.me or await self.whoami()
        cached = self._profile
        if cached is not None and cached[0] == me.resource:
            return cached[1]
        practitioner, roles = await asyncio.gather(
            self.get(me.resource), self.get("PractitionerRole", [("practitioner", me.resource), ("_count", "20")])
        )
        profile = StaffProfile.from_fhir(practitioner, split_bundle(roles)[0], me)
        self._profile = (me.resource, profile)
        return profile

    async def pools(self) -> Pools:
        """The caller's inboxes with counts; the first entry (personal, empty id) counts the
        caller's own open items. With the event stream's position before they were read."""
        return Pools.from_fhir(await self.get("$pools"))

    # -- the inbox ---------------------------------------------------------------------------

    async def inbox_page(
        self,
        pool_id: str | None,
        *,
        status: str | Sequence[str] | None = None,
        code: str | Sequence[str] | None = None,
        sort: str = DEFAULT_SORT,
        count: int = 50,
        cursor_url: str | None = None,
        whole_pool: bool = False,
        total: bool = False,
        now: dt.datetime | None = None,
        owner: str | None = None,
        text: str | None = None,
        match: str | None = None,
        everywhere: bool = False,
        next_count: int | None = None,
    ) -> Page[InboxItem]:
        """One page of an inbox, with each item's thread subject and patient.

        `pool_id` None lists the caller's personal items (owner = me). For a pool, the default
        lists what waits in it (owner = the pool, status requested), as $pools counts it;
        `whole_pool=True` lists every item that belongs to the pool, whoever holds it.
        `status` defaults to requested for a pool and to requested + in-progress for personal
        items. `cursor_url` is the previous page's `next_url`: it is followed exactly as given
        and the other arguments are ignored. `owner`: "mine" (held by me) or "pool" (unclaimed,
        still owned by the pool) narrows a whole-pool list; `text` searches words of the subject.
        `match` finds items by subject words or by the patient's name, national id or birth date;
        with `everywhere=True` across all the caller's inboxes and own items (no pool, no owner).
        `next_count`, with `cursor_url`: ask for that many rows instead of the link's own `_count`
        (a short first page, quick to fill the screen, is followed by full ones)."""
        if cursor_url:
            # The total came with the first page: a next page never asks the portal to count again.
            data = await self.get(_with_count(_without_total(cursor_url), next_count))
            return inbox_page_from_bundle(data, now)
        params: list[tuple[str, str]] = []
        if everywhere:
            statuses = status if status is not None else ("requested", "in-progress")
            if owner == "mine":
                params.append(("owner", await self._my_ref()))
        elif pool_id is None:
            params.append(("owner", await self._my_ref()))
            statuses = status if status is not None else ("requested", "in-progress")
        else:
            pool_id = pool_id.removeprefix("HealthcareService/")
            if whole_pool:
                params.append(("pool", f"HealthcareService/{pool_id}"))
                statuses = status if status is not None else ("requested", "in-progress")
                if owner == "mine":
                    params.append(("owner", await self._my_ref()))
                elif owner == "pool":
                    params.append(("owner", f"HealthcareService/{pool_id}"))
            else:
                params.append(("owner", f"HealthcareService/{pool_id}"))
                statuses = status if status is not None else ("requested",)
        if statuses:
            params.append(("status", statuses if isinstance(statuses, str) else ",".join(statuses)))
        if code:
            params.append(("code", code if isinstance(code, str) else ",".join(code)))
        if text:
            params.append(("description", text))
        if match:
            params.append(("match", match))
        if sort:
            params.append(("_sort", sort))
        params.append(("_count", str(count)))
        if total:
            params.append(("_total", "accurate"))
        params.extend(INBOX_INCLUDES)
        data = await self.get("Task", params)
        return inbox_page_from_bundle(data, now)

    async def route_suggestions(self, item: InboxItem) -> list[tuple[str, str]]:
        """The routing table's suggestions for routing this item by hand: (target ref, matched word)."""
        return route_suggestions_from(await self.get(f"Task/{item.id}/$route-suggestion"))

    async def forward_targets(self) -> list[Target]:
        """Where an item can be forwarded: shared inboxes first, then personal ones (direct inboxes, staff)."""
        out: list[Target] = []
        for rtype, convert in (("HealthcareService", Target.from_service), ("Practitioner", Target.from_practitioner)):
            data = await self.get(rtype, [("_count", "500")])
            while True:
                matches, _ = split_bundle(data)
                out.extend(t for t in (convert(r) for r in matches if r.get("resourceType") == rtype) if t.active)
                url = _next_link(data)
                if not url:
                    break
                data = await self.get(url)
        return order_targets(out)

    async def queues(self) -> list[Queue]:
        """Inbox set-up and queue depths for IT support (no patient data)."""
        data = await self.get("$queues")
        return [Queue.from_json(q) for q in data.get("inboxes") or data.get("queues") or [] if isinstance(q, dict)]

    async def notifications(self) -> NotificationHealth:
        """The patient notification outbox for IT support (counts and error codes, no patient data).
        A portal without the endpoint answers `NotificationHealth(supported=False)`."""
        try:
            data = await self.get("$notifications")
        except NotFound:
            return NotificationHealth(supported=False)
        return NotificationHealth.from_json(data)

    async def portal_status(self) -> PortalStatus:
        """The portal's software version and health: whether /fhir/metadata answers, and how fast."""
        start = time.perf_counter()
        try:
            data = await self.get("metadata")
        except ClientError as e:
            return PortalStatus.unreachable(str(e), *reason_of(e))
        return PortalStatus.from_fhir(data, (time.perf_counter() - start) * 1000)

    async def task(self, task_id: str, now: dt.datetime | None = None) -> InboxItem:
        """One item, with its subject and patient (a search by id with the includes)."""
        task_id = task_id.removeprefix("Task/")
        data = await self.get("Task", [("_id", task_id), *INBOX_INCLUDES])
        page = inbox_page_from_bundle(data, now)
        for item in page.items:
            if item.id == task_id:
                return item
        # Not in the caller's scope or not there at all: a read gives the precise reason.
        return InboxItem.from_fhir(await self.get(f"Task/{task_id}"), None, now)

    async def thread(self, focus_ref: str) -> Thread:
        """A thread: its header and every message, oldest first (plus the caller's drafts).

        One request: the messages with their header included (`_include=Communication:part-of`).
        The header is read on its own only when it did not come with them (a thread without a
        message the caller may see), so that its refusal or absence is the portal's own answer."""
        if not focus_ref.startswith("Communication/"):
            raise ValueError(f"not a thread reference: {focus_ref!r}")
        params = [
            ("part-of", focus_ref),
            ("_sort", "sent"),
            ("_count", str(THREAD_PAGE)),
            ("_include", "Communication:part-of"),
        ]
        data = await self.get("Communication", params)
        header: Json | None = None
        messages: list[Json] = []
        for _ in range(MAX_THREAD_PAGES):
            matches, included = split_bundle(data)
            header = header or included.get(focus_ref)
            messages.extend(m for m in matches if m.get("resourceType") == "Communication")
            url = _next_link(data)
            if not url:
                break
            data = await self.get(url)
        if header is None:
            header = await self.get(focus_ref)
        return Thread.from_fhir(header, messages)

    async def patient(self, patient_id: str, today: dt.date | None = None) -> PatientSummary:
        patient_id = patient_id.removeprefix("Patient/")
        return PatientSummary.from_fhir(await self.get(f"Patient/{patient_id}"), today)

    async def clinical(self, patient_id: str, *, observations: int = 20) -> Clinical:
        """Allergies, active medications, recent results and conditions of a patient, fetched
        together. A refusal becomes an `AccessDenied` value in its place, not an exception."""
        pid = patient_id.removeprefix("Patient/")
        pref = f"Patient/{pid}"

        async def part(rtype: str, convert: Any, extra: list[tuple[str, str]]) -> Any:
            try:
                data = await self.get(rtype, [("patient", pref), *extra])
            except AccessDenied as e:
                return e
            return page_from_bundle(data, convert, rtype).items

        allergies, meds, obs, conds = await asyncio.gather(
            part("AllergyIntolerance", Allergy.from_fhir, [("_count", "100")]),
            part("MedicationRequest", Medication.from_fhir, [("status", "active"), ("_count", "100")]),
            part("Observation", Observation.from_fhir, [("_sort", "-date"), ("_count", str(observations))]),
            part("Condition", Condition.from_fhir, [("_count", "100")]),
        )
        return Clinical(pid, allergies, meds, obs, conds)

    async def access_log(
        self,
        *,
        patient: str = "",
        agent: str = "",
        break_glass: bool = False,
        cursor_url: str | None = None,
        count: int = 50,
    ) -> Page[AccessEntry]:
        """A page of the access log, newest first (privacy officers only): by patient
        ("Patient/id") or by staff member ("Practitioner/id"), optionally only break-the-glass."""
        if cursor_url:
            data = await self.get(cursor_url)
        else:
            params: list[tuple[str, str]] = [("_count", str(count))]
            if patient or agent:
                params.append(("_total", "accurate"))  # counted only for one person, never the whole log
            if patient:
                params.append(("patient", patient))
            if agent:
                params.append(("agent", agent))
            if break_glass:
                params.append(("break-glass", "true"))
            data = await self.get("AuditEvent", params)
        return page_from_bundle(data, AccessEntry.from_fhir, "AuditEvent")

    async def proxies(self, patient_id: str, *, today: dt.date | None = None) -> list[Proxy]:
        """Who holds proxy access (fullmakt) for the patient, with relation and level (in the access log)."""
        pref = f"Patient/{patient_id.removeprefix('Patient/')}"
        # One request: the active grants with the people they name included (`Consent:actor`).
        data = await self.get(
            "Consent", [("patient", pref), ("status", "active"), ("_count", "100"), ("_include", "Consent:actor")]
        )
        consents, included = split_bundle(data)
        people = [r for r in included.values() if r.get("resourceType") == "RelatedPerson"]
        return proxies_from(consents, people, today)

    def break_glass_until(self, patient_id: str, now: dt.datetime) -> dt.datetime | None:
        """When this session's emergency access to the patient ends, if it is in force now."""
        until = self._break_glass.get(patient_id.removeprefix("Patient/"))
        return until if until is not None and until > now else None

    async def break_glass(self, patient_id: str, reason: str) -> BreakGlass:
        """Ask for emergency access to a patient without a care relation (logged and reviewed).
        A portal without the endpoint answers `BreakGlass(supported=False, ...)`."""
        pid = patient_id.removeprefix("Patient/")
        body = {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]}
        sent = await self._send(
            "POST", self.url(f"Patient/{pid}/$break-the-glass"), json=body, safe_to_resend=True
        )  # granting twice grants the same thing
        resp = sent.response
        if resp.status_code in (404, 405, 501):
            return BreakGlass(False, False, "Breaking the glass is not supported by this portal.")
        data = _checked(resp)
        expires = data.get("expires")
        for prm in data.get("parameter") or []:
            if isinstance(prm, dict) and prm.get("name") == "expires":
                expires = prm.get("valueInstant") or prm.get("valueDateTime") or prm.get("valueString")
        granted = BreakGlass(True, True, "Access granted.", parse_instant(expires))
        if granted.expires is not None:
            self._break_glass[pid] = granted.expires
        return granted
