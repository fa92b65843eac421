"""`PortalClient`: the terminal app's only way to the portal (docs/api.md), over httpx.

Async, so Textual workers can await it without blocking the UI. It retries what is safe to retry
and interprets what a retry means:

* GETs are retried with backoff on network errors and 502/503/504.
* Task operations carry `If-Match`; they are retried after a network error even when the request
  may have reached the portal. A retry after a lost answer then meets 409/412, which is read
  against the item's current state: if the item is already where the operation would have put it
  (e.g. claimed by me after a lost claim answer), that is the success it looks like.
* `$reply` is made exactly-once by its client-made `messageId`: a resend returns the first result.
* Anything else that is not idempotent (creating a draft) is retried only when the connection was
  never made, so it cannot have happened twice.

Every failure is one of the typed exceptions in `errors`; the messages are the portal's own plain
words (untrusted text: show them through the UI's safe-text function).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .. import __version__
from .auth import TokenSession
from .errors import AccessDenied, ClientError, Conflict, NotFound, NotSignedIn, Offline, PortalError
from .models import (
    Absence,
    PhoneMessageResult,
    PortalStatus,
    Queue,
    Target,
    Allergy,
    Condition,
    InboxItem,
    Me,
    Medication,
    Message,
    Observation,
    OperationOutcome,
    Page,
    PatientSummary,
    Pool,
    Thread,
    inbox_page_from_bundle,
    page_from_bundle,
    parse_instant,
    split_bundle,
)
from .reviews import (
    AppointmentRequest,
    QuestionnaireReview,
    RenewalReview,
    ResultReview,
    patient_thread_ref,
)

log = logging.getLogger("helsami_tui.client")

Json = dict[str, Any]
TokenProvider = Callable[[], "str | Awaitable[str]"]
FHIR_JSON = "application/fhir+json"
INBOX_INCLUDES = (("_include", "Task:focus"), ("_include", "Task:patient"))
DEFAULT_SORT = "priority,authored-on"
THREAD_PAGE = 500
MAX_THREAD_PAGES = 20  # 10,000 messages: far beyond any real conversation


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


@dataclass(slots=True)
class _Sent:
    response: httpx.Response
    resent: bool  # the request was sent again after an attempt that may have reached the portal


# -- the client ---------------------------------------------------------------------------------------

class PortalClient:
    """An async client of one portal for one signed-in user.

    `base_url` is the portal's address (`https://portal.example`; a trailing `/fhir` is
    accepted). `auth` gives the access token: a `TokenSession` (renewed ahead of expiry and
    after a 401, single flight), a plain token string, or a callable returning the current
    token (sync or async); with a callable, pass `refresh` (async, takes the stale token, returns
    a new one) to renew after a 401.
    """

    def __init__(self, base_url: str, auth: TokenSession | TokenProvider | str | None = None, *,
                 refresh: Callable[[str], Awaitable[str]] | None = None,
                 timeout: float = 15.0, connect_timeout: float = 5.0,
                 retries: int = 2, backoff: float = 0.2, max_backoff: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 http: httpx.AsyncClient | None = None) -> None:
        base = base_url.rstrip("/")
        if base.endswith("/fhir"):
            base = base[: -len("/fhir")]
        self.portal_url = base
        self.fhir_url = f"{base}/fhir"
        self._origin = httpx.URL(base)
        self._auth = auth
        self._refresh = refresh
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            timeout=self.timeout, transport=transport, follow_redirects=False,
            headers={"User-Agent": f"helsami-tui/{__version__}", "Accept": FHIR_JSON})
        self.me: Me | None = None
        self._me_lock = asyncio.Lock()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> PortalClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- addresses and tokens ----------------------------------------------------------------

    def url(self, path: str) -> str:
        """An absolute URL for a path under /fhir ("Task", "$whoami") or an absolute URL of this
        portal. An absolute URL of another origin is re-based onto this portal, so the token is
        never sent elsewhere (a `next` link keeps its path and query exactly)."""
        if path.startswith(("http://", "https://")):
            u = httpx.URL(path)
            if (u.scheme, u.host, u.port) == (self._origin.scheme, self._origin.host, self._origin.port):
                return path
            log.warning("a link pointed at another origin; following it on this portal instead")
            return str(self._origin.copy_with(path=u.path, query=u.query or None, fragment=None))
        return f"{self.fhir_url}/{path.lstrip('/')}"

    async def access_token(self) -> str | None:
        a = self._auth
        if a is None:
            return None
        if isinstance(a, str):
            return a
        if isinstance(a, TokenSession):
            return await a.access_token()
        v = a()
        if inspect.isawaitable(v):
            v = await v
        return str(v) if v else None

    async def renew_token(self, stale: str | None) -> str:
        """Get a new access token after a 401 (single flight through the session)."""
        a = self._auth
        if isinstance(a, TokenSession):
            return await a.refresh(stale)
        if self._refresh is not None:
            return await self._refresh(stale or "")
        raise NotSignedIn("The session has expired. Sign in again.")

    async def auth_headers(self) -> dict[str, str]:
        token = await self.access_token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    # -- the request loop --------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * (2 ** attempt))
        return base * (0.5 + random.random() / 2)

    async def _send(self, method: str, url: str, *, params: Any = None, json: Any = None,
                    headers: dict[str, str] | None = None, safe_to_resend: bool) -> _Sent:
        """Send, retrying as the kind of request allows; returns the final response of any status
        (except 401, which is handled here). `safe_to_resend`: a request that may have reached the
        portal may be sent again (GETs, operations with If-Match, replies with a messageId)."""
        attempt = 0
        resent = False
        maybe_sent = False
        renewed = False
        idempotent = method == "GET"
        while True:
            token = await self.access_token()
            h = dict(headers or {})
            if token:
                h["Authorization"] = f"Bearer {token}"
            if json is not None:
                h.setdefault("Content-Type", FHIR_JSON)
            try:
                if maybe_sent:
                    resent = True
                resp = await self.http.request(method, url, params=params, json=json, headers=h)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                # The request never left: always safe to try again.
                if attempt >= self.retries:
                    raise Offline(_offline_text(e)) from e
            except httpx.TransportError as e:
                # Sent (perhaps) but the answer was lost.
                maybe_sent = True
                if not safe_to_resend or attempt >= self.retries:
                    raise Offline(_offline_text(e)) from e
            else:
                if resp.status_code == 401 and not renewed and token is not None:
                    renewed = True
                    await resp.aread()
                    await self.renew_token(token)
                    continue
                if resp.status_code in (502, 503, 504) and idempotent and attempt < self.retries:
                    await resp.aread()
                else:
                    return _Sent(resp, resent)
            await asyncio.sleep(self._delay(attempt))
            attempt += 1

    async def _json(self, method: str, url: str, *, params: Any = None, json: Any = None,
                    headers: dict[str, str] | None = None, safe_to_resend: bool | None = None) -> Json:
        sent = await self._send(method, url, params=params, json=json, headers=headers,
                                safe_to_resend=method == "GET" if safe_to_resend is None else safe_to_resend)
        return _checked(sent.response)

    async def get(self, path_or_url: str, params: Any = None) -> Json:
        """GET any address of the portal's FHIR API (relative to /fhir, or absolute) as JSON."""
        return await self._json("GET", self.url(path_or_url), params=params)

    # -- who am I, which inboxes -------------------------------------------------------------

    async def whoami(self) -> Me:
        me = Me.from_fhir(await self.get("$whoami"))
        self.me = me
        return me

    async def _my_ref(self) -> str:
        if self.me is None:
            async with self._me_lock:
                if self.me is None:
                    await self.whoami()
        assert self.me is not None
        return self.me.resource

    async def pools(self) -> list[Pool]:
        """The caller's inboxes with counts; the first entry (personal, empty id) counts the
        caller's own open items."""
        data = await self.get("$pools")
        return [Pool.from_fhir(p) for p in data.get("pools") or [] if isinstance(p, dict)]

    # -- the inbox ---------------------------------------------------------------------------

    async def inbox_page(self, pool_id: str | None, *, status: str | Sequence[str] | None = None,
                         code: str | Sequence[str] | None = None, sort: str = DEFAULT_SORT,
                         count: int = 50, cursor_url: str | None = None, whole_pool: bool = False,
                         total: bool = False, now: dt.datetime | None = None, owner: str | None = None,
                         text: str | None = None) -> Page[InboxItem]:
        """One page of an inbox, with each item's thread subject and patient.

        `pool_id` None lists the caller's personal items (owner = me). For a pool, the default
        lists what waits in it (owner = the pool, status requested), as $pools counts it;
        `whole_pool=True` lists every item that belongs to the pool, whoever holds it.
        `status` defaults to requested for a pool and to requested + in-progress for personal
        items. `cursor_url` is the previous page's `next_url`: it is followed exactly as given
        and the other arguments are ignored. `owner`: "mine" (held by me) or "pool" (unclaimed,
        still owned by the pool) narrows a whole-pool list; `text` searches words of the subject."""
        if cursor_url:
            data = await self.get(cursor_url)
            return inbox_page_from_bundle(data, now)
        params: list[tuple[str, str]] = []
        if pool_id is None:
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
        if sort:
            params.append(("_sort", sort))
        params.append(("_count", str(count)))
        if total:
            params.append(("_total", "accurate"))
        params.extend(INBOX_INCLUDES)
        data = await self.get("Task", params)
        return inbox_page_from_bundle(data, now)

    async def forward_targets(self) -> list[Target]:
        """Where an item can be forwarded: every active inbox, then every staff member."""
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
        return out

    async def queues(self) -> list[Queue]:
        """Inbox set-up and queue depths for IT support (no patient data)."""
        data = await self.get("$queues")
        return [Queue.from_json(q) for q in data.get("inboxes") or data.get("queues") or [] if isinstance(q, dict)]

    async def portal_status(self) -> PortalStatus:
        """The portal's software version and health: whether /fhir/metadata answers, and how fast."""
        start = time.perf_counter()
        try:
            data = await self.get("metadata")
        except ClientError as e:
            return PortalStatus.unreachable(str(e))
        return PortalStatus.from_fhir(data, (time.perf_counter() - start) * 1000)

    # -- switchboard: patients, phone messages; absence -------------------------------------

    async def search_patients(self, name: str, birth_date: dt.date | None = None, *, count: int = 20,
                              today: dt.date | None = None) -> list[PatientSummary]:
        """Find a patient by name (words) and birth date (each look-up is in the access log)."""
        params: list[tuple[str, str]] = [("name", name.strip()), ("_count", str(count))]
        if birth_date is not None:
            params.append(("birthdate", birth_date.isoformat()))
        data = await self.get("Patient", params)
        return page_from_bundle(data, lambda r: PatientSummary.from_fhir(r, today), "Patient").items

    async def phone_message(self, patient_ref: str, target_ref: str, subject: str, text: str,
                            message_id: str, *, now: dt.datetime | None = None) -> PhoneMessageResult:
        """Register what a caller said on the phone, as a new item in an inbox
        (HealthcareService/<id>) or with a person (Practitioner/<id>). `message_id` is made once
        per message and kept for every resend: the portal makes it exactly once."""
        params: list[Json] = [{"name": "patient", "valueReference": {"reference": patient_ref}}]
        kind = "inbox" if target_ref.startswith("HealthcareService/") else "practitioner"
        params += [{"name": kind, "valueReference": {"reference": target_ref}},
                   {"name": "subject", "valueString": subject}, {"name": "text", "valueString": text},
                   {"name": "messageId", "valueString": message_id}]
        sent = await self._send("POST", self.url("Task/$phone-message"),
                                json={"resourceType": "Parameters", "parameter": params}, safe_to_resend=True)
        data = _checked(sent.response)
        parts = {p.get("name"): p.get("resource") for p in data.get("parameter") or []
                 if isinstance(p, dict) and isinstance(p.get("resource"), dict)}
        thread, msg, task = parts.get("thread"), parts.get("message"), parts.get("task")
        if not isinstance(msg, dict) or not isinstance(thread, dict):
            raise PortalError(sent.response.status_code, "The portal's answer to the phone message was incomplete.")
        item = None
        if isinstance(task, dict):
            item = InboxItem.from_fhir(task, {f"Communication/{thread.get('id')}": thread}, now)
        return PhoneMessageResult(item=item, thread_ref=f"Communication/{thread.get('id')}",
                                  message=Message.from_fhir(msg), replayed=sent.response.status_code == 200)

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
        data = await self._json("POST", self.url(f"{me}/$absence"),
                                json={"resourceType": "Parameters", "parameter": params},
                                safe_to_resend=True)  # setting the same state twice is the same state
        prac: Json = {}
        moved = 0
        for p in data.get("parameter") or []:
            if isinstance(p, dict) and p.get("name") == "practitioner" and isinstance(p.get("resource"), dict):
                prac = p["resource"]
            elif isinstance(p, dict) and p.get("name") == "moved" and isinstance(p.get("valueInteger"), int):
                moved = p["valueInteger"]
        return Absence.from_fhir(prac), moved

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
        """A thread: its header and every message, oldest first (plus the caller's drafts)."""
        if not focus_ref.startswith("Communication/"):
            raise ValueError(f"not a thread reference: {focus_ref!r}")
        params = [("part-of", focus_ref), ("_sort", "sent"), ("_count", str(THREAD_PAGE))]
        header, data = await asyncio.gather(self.get(focus_ref), self.get("Communication", params))
        messages: list[Json] = []
        for _ in range(MAX_THREAD_PAGES):
            matches, _inc = split_bundle(data)
            messages.extend(m for m in matches if m.get("resourceType") == "Communication")
            url = _next_link(data)
            if not url:
                break
            data = await self.get(url)
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

    async def break_glass(self, patient_id: str, reason: str) -> BreakGlass:
        """Ask for emergency access to a patient without a care relation (logged and reviewed).
        A portal without the endpoint answers `BreakGlass(supported=False, ...)`."""
        pid = patient_id.removeprefix("Patient/")
        body = {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]}
        sent = await self._send("POST", self.url(f"Patient/{pid}/$break-the-glass"), json=body,
                                safe_to_resend=True)  # granting twice grants the same thing
        resp = sent.response
        if resp.status_code in (404, 405, 501):
            return BreakGlass(False, False, "Breaking the glass is not supported by this portal.")
        data = _checked(resp)
        expires = data.get("expires")
        for prm in data.get("parameter") or []:
            if isinstance(prm, dict) and prm.get("name") == "expires":
                expires = prm.get("valueInstant") or prm.get("valueDateTime") or prm.get("valueString")
        return BreakGlass(True, True, "Access granted.", parse_instant(expires))

    # -- operations on items -----------------------------------------------------------------

    async def _operation(self, item: InboxItem, op: str, params: list[Json] | None,
                         settled: Callable[[InboxItem], bool]) -> InboxItem:
        body = {"resourceType": "Parameters", "parameter": params} if params else None
        sent = await self._send("POST", self.url(f"Task/{item.id}/${op}"), json=body,
                                headers={"If-Match": item.etag}, safe_to_resend=True)
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
        return await self._operation(item, "claim", None,
                                     lambda t: t.status == "in-progress" and t.owner_ref == me)

    async def unclaim(self, item: InboxItem) -> InboxItem:
        """Put a claimed item back in its pool."""
        return await self._operation(item, "unclaim", None,
                                     lambda t: t.status == "requested"
                                     and t.owner_ref.startswith("HealthcareService/"))

    async def complete(self, item: InboxItem, note: str | None = None) -> InboxItem:
        params = [{"name": "note", "valueString": note}] if note else None
        me = await self._my_ref()
        return await self._operation(item, "complete", params,
                                     lambda t: t.status == "completed" and t.owner_ref == me)

    async def forward(self, item: InboxItem, target_ref: str, note: str = "") -> InboxItem:
        """Send an item to another inbox (HealthcareService/<id>) or a person (Practitioner/<id>),
        with an internal note."""
        params: list[Json] = [{"name": "target", "valueReference": {"reference": target_ref}}]
        if note:
            params.append({"name": "note", "valueString": note})
        return await self._operation(item, "forward", params, lambda t: t.owner_ref == target_ref)

    async def reply(self, item: InboxItem, text: str, message_id: str | None = None) -> ReplyResult:
        """Reply to the patient in the item's thread. `message_id` (a UUID made once per reply, and
        kept for every resend) makes it exactly-once: a resend returns the first result."""
        message_id = message_id or str(uuid.uuid4())
        body = {"resourceType": "Parameters", "parameter": [
            {"name": "text", "valueString": text}, {"name": "messageId", "valueString": message_id}]}
        sent = await self._send("POST", self.url(f"Task/{item.id}/$reply"), json=body,
                                headers={"If-Match": item.etag}, safe_to_resend=True)
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
            raise PortalError(sent.response.status_code, "The portal's answer to the reply was incomplete.")
        return ReplyResult(item.with_task(task), Message.from_fhir(msg))

    # -- drafts ------------------------------------------------------------------------------

    async def save_draft(self, thread_ref: str, text: str, draft: Message | str | None = None) -> Message:
        """Keep a reply draft on the portal (visible only to its author): a new draft the first
        time, then an update (PUT with If-Match) of the same one. `draft` is the Message the last
        save returned (a bare id is accepted and re-read)."""
        body = Message.draft_to_fhir(thread_ref, text)
        if isinstance(draft, str) and draft:
            data = await self.get(f"Communication/{draft}")
            draft = Message.from_fhir(data)
        if isinstance(draft, Message) and draft.id:
            body["id"] = draft.id
            data = await self._json("PUT", self.url(f"Communication/{draft.id}"), json=body,
                                    headers={"If-Match": f'W/"{draft.version}"'}, safe_to_resend=False)
            return Message.from_fhir(data)
        data = await self._json("POST", self.url("Communication"), json=body, safe_to_resend=False)
        return Message.from_fhir(data)

    async def load_draft(self, thread_ref: str) -> Message | None:
        """The caller's newest draft in a thread, or None."""
        data = await self.get("Communication", [("part-of", thread_ref), ("status", "preparation"),
                                                ("_sort", "-_lastUpdated"), ("_count", "1")])
        matches, _ = split_bundle(data)
        drafts = [Message.from_fhir(m) for m in matches if m.get("status") == "preparation"]
        return drafts[0] if drafts else None


    # -- decisions: renewals, results, questionnaires, appointment requests (docs/api.md) -----

    async def renewal_review(self, item: InboxItem) -> RenewalReview:
        """What a prescriber needs to decide a renewal (the read is in the patient's access log)."""
        return RenewalReview.from_json(await self.get(f"Task/{item.id}/$renewal-review"))

    async def result_review(self, item: InboxItem) -> ResultReview:
        """Each value with unit, range, flag and earlier values; the release category and state."""
        return ResultReview.from_json(await self.get(f"Task/{item.id}/$result-review"))

    async def questionnaire_review(self, item: InboxItem) -> QuestionnaireReview:
        """Questions and answers, the answers that need attention marked."""
        return QuestionnaireReview.from_json(await self.get(f"Task/{item.id}/$questionnaire-review"))

    async def appointment_request(self, item: InboxItem) -> AppointmentRequest:
        """The appointment an appointment-request item is about, and what the patient asked."""
        if not item.focus_ref.startswith("Appointment/"):
            raise NotFound("This item has no appointment request.")
        return AppointmentRequest.from_fhir(await self.get(item.focus_ref), item.description or item.subject)

    async def decision_thread(self, item: InboxItem) -> Thread | None:
        """The conversation with the patient about a decision item: the item's own thread, else
        the thread the portal made for messages about it (after a question or a decision)."""
        if item.has_thread:
            return await self.thread(item.focus_ref)
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
        return await self._operation(item, "pend", params,
                                     lambda t: t.business_status == "pended" and t.owner_ref == physician_ref)

    async def ask_info(self, item: InboxItem, question: str) -> InboxItem:
        """Ask the patient for more information; the item waits for the answer."""
        return await self._decide(item, "ask-info", [{"name": "text", "valueString": question}],
                                  "waiting-for-patient")

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

    async def decline_appointment(self, item: InboxItem, reason: str) -> InboxItem:
        """Decline the request with a reason the patient reads."""
        return await self._decide(item, "decline-appointment", [{"name": "reason", "valueString": reason}],
                                  "declined")

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
            out.extend(x for x in (Target.from_practitioner(r) for r in matches
                                   if r.get("resourceType") == "Practitioner") if x.active and x.ref in refs)
            url = _next_link(data)
            if not url:
                break
            data = await self.get(url)
        return out


# -- the outbox ----------------------------------------------------------------------------------

@dataclass(slots=True)
class OutboxEntry:
    item: InboxItem
    text: str
    message_id: str
    queued_at: float = field(default_factory=time.time)
    attempts: int = 0
    state: str = "pending"  # pending | sent | failed
    result: ReplyResult | None = None
    error: ClientError | None = None


class Outbox:
    """Replies written while the portal cannot be reached, resent until it answers.

    Each entry keeps the `messageId` it was made with, so however many times it is sent the
    patient gets it once. Kept in memory only (drafts live on the portal). Entries leave the
    outbox when the portal answers: `on_sent(entry)` on success, `on_failed(entry)` when it
    refuses (the item was taken over, access withdrawn, ...); `entry.error` says why.
    """

    def __init__(self, client: PortalClient, *, on_sent: Callable[[OutboxEntry], Any] | None = None,
                 on_failed: Callable[[OutboxEntry], Any] | None = None,
                 retry_interval: float = 2.0, max_interval: float = 60.0) -> None:
        self.client = client
        self.on_sent = on_sent
        self.on_failed = on_failed
        self.retry_interval = retry_interval
        self.max_interval = max_interval
        self._entries: list[OutboxEntry] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def pending(self) -> list[OutboxEntry]:
        return [e for e in self._entries if e.state == "pending"]

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, item: InboxItem, text: str, message_id: str | None = None) -> OutboxEntry:
        entry = OutboxEntry(item, text, message_id or str(uuid.uuid4()))
        self._entries.append(entry)
        self._wake.set()
        return entry

    def wake(self) -> None:
        """Try the queued replies now (e.g. the portal is reachable again), not at the next tick."""
        self._wake.set()

    async def send(self, item: InboxItem, text: str, message_id: str | None = None) -> OutboxEntry:
        """Send now if the portal answers; otherwise keep it queued. Raises nothing for the
        network: look at `entry.state`. Refusals come back as state "failed" with `error`."""
        entry = self.add(item, text, message_id)
        await self.flush()
        return entry

    async def _try(self, entry: OutboxEntry) -> bool:
        """One attempt; False when the portal could not be reached (stop flushing)."""
        entry.attempts += 1
        try:
            entry.result = await self.client.reply(entry.item, entry.text, entry.message_id)
        except Offline as e:
            entry.error = e
            return False
        except NotSignedIn as e:
            entry.error = e  # keep it: it goes out once the user signs in again
            return False
        except Conflict as c:
            cur = c.current
            me = self.client.me.resource if self.client.me else None
            if c.stale and cur is not None and cur.claimed and me is not None and cur.owner_ref == me:
                # The item changed while we were away (e.g. the patient wrote again) but is still
                # mine: send against the current version, same messageId.
                entry.item = cur
                return await self._try(entry) if entry.attempts < 5 else self._fail(entry, c)
            return self._fail(entry, c)
        except ClientError as e:
            return self._fail(entry, e)
        entry.state = "sent"
        entry.error = None
        self._entries.remove(entry)
        if self.on_sent is not None:
            self.on_sent(entry)
        return True

    def _fail(self, entry: OutboxEntry, e: ClientError) -> bool:
        entry.state = "failed"
        entry.error = e
        self._entries.remove(entry)
        if self.on_failed is not None:
            self.on_failed(entry)
        return True

    async def flush(self) -> int:
        """Try every queued reply once, oldest first; stop at the first network failure so the
        order is kept. Returns how many were sent."""
        sent = 0
        async with self._lock:
            for entry in list(self.pending):
                if not await self._try(entry):
                    break
                if entry.state == "sent":
                    sent += 1
        return sent

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Resend in the background until `stop` is set (or the task is cancelled), backing off
        while the portal stays away and waking at once when a reply is added."""
        delay = self.retry_interval
        while stop is None or not stop.is_set():
            self._wake.clear()
            if self.pending:
                await self.flush()
                delay = self.retry_interval if not self.pending else min(delay * 2, self.max_interval)
            timeout = delay if self.pending else None
            waiters = [asyncio.ensure_future(self._wake.wait())]
            if stop is not None:
                waiters.append(asyncio.ensure_future(stop.wait()))
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()


# -- helpers -------------------------------------------------------------------------------------

def _task_of(data: Json) -> Json:
    """The Task of an operation's answer: the answer itself, or the `task` of a Parameters answer
    (decision operations answer with the Task followed by what they made)."""
    if data.get("resourceType") == "Parameters":
        for prm in data.get("parameter") or []:
            if isinstance(prm, dict) and prm.get("name") == "task" and isinstance(prm.get("resource"), dict):
                return dict(prm["resource"])
        raise PortalError(200, "The portal's answer to the operation had no task.")
    return data


def _practitioner_of(role: Json) -> str:
    p = role.get("practitioner")
    r = p.get("reference") if isinstance(p, dict) else None
    return r if isinstance(r, str) else ""


def _offline_text(e: Exception) -> str:
    if isinstance(e, httpx.TimeoutException):
        return "The portal did not answer in time."
    return "The portal cannot be reached."


def _next_link(bundle: Json) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _checked(resp: httpx.Response) -> Json:
    """The JSON body of a successful answer, or the typed error of a failed one."""
    status = resp.status_code
    try:
        data = resp.json()
    except ValueError:
        data = None
    if 200 <= status < 300:
        if not isinstance(data, dict):
            raise PortalError(status, "The portal sent an answer that is not a JSON object.")
        return data
    if isinstance(data, dict) and data.get("resourceType") == "OperationOutcome":
        raise OperationOutcome.from_fhir(data).to_error(status)
    if status in (502, 503, 504):
        raise Offline("The portal is not available right now.")
    raise OperationOutcome.from_fhir({}).to_error(status, _GENERIC.get(status, ""))


_GENERIC = {
    401: "Sign in again.",
    403: "You are not allowed to do this.",
    404: "Not found.",
    409: "The item changed; reload it.",
    412: "The item changed since you opened it; reload it.",
}


__all__ = ["BreakGlass", "Clinical", "Conflict", "NotFound", "Outbox", "OutboxEntry", "PortalClient",
           "ReplyResult"]
