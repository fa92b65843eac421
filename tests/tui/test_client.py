"""The terminal app's client layer against a real embedded portal over HTTP.

The portal is imported only to start it; the client under test knows the HTTP contract only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal, free_port
from helsami_tui.client import (
    AccessDenied,
    Conflict,
    InboxItem,
    Message,
    NotSignedIn,
    NotSupported,
    Observation,
    Offline,
    OperationOutcome,
    Outbox,
    PortalClient,
    SignInError,
    Tokens,
    TokenSession,
    TokenStore,
    demo_login,
    discover,
    follow_events,
    poll_device_flow,
    revoke,
    start_device_flow,
)
from helsami_tui.client.errors import error_from
from helsami_tui.client.events import SseParser
from helsami_tui.client.models import TASK_TYPES, Me, inbox_page_from_bundle

POOL = "hs-fjordvik-legesenter"  # shared by lege (physician) and sykepleier (nurse)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPortal]:
    path = tmp_path_factory.mktemp("client") / "p.sqlite3"
    p = EmbeddedPortal(f"sqlite:///{path}", demo=True, seed=True).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def tokens(portal: EmbeddedPortal) -> Callable[[str], Tokens]:
    cache: dict[str, Tokens] = {}

    def get(username: str) -> Tokens:
        if username not in cache:  # called from inside running tests: sign in on a side thread
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                cache[username] = pool.submit(asyncio.run, demo_login(portal.base_url, username)).result()
        return cache[username]

    return get


@pytest.fixture
async def connect(
    portal: EmbeddedPortal, tokens: Callable[[str], Tokens]
) -> AsyncIterator[Callable[..., PortalClient]]:
    clients: list[PortalClient] = []

    def make(username: str, **kw: Any) -> PortalClient:
        c = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens(username)), **kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


@pytest.fixture
async def lege(connect: Callable[..., PortalClient]) -> PortalClient:
    return connect("lege")


@pytest.fixture
async def http(portal: EmbeddedPortal) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=portal.base_url, timeout=30) as c:
        yield c


_taken: set[str] = set()


async def fresh_item(client: PortalClient, code: str | None = "message") -> InboxItem:
    """A waiting item of the shared pool that no other test has used."""
    url = None
    while True:
        page = await client.inbox_page(POOL, code=code, count=50, cursor_url=url)
        for item in page.items:
            if item.id not in _taken and item.has_thread:
                _taken.add(item.id)
                return item
        url = page.next_url
        assert url, "ran out of waiting items"


async def start_thread(
    http: httpx.AsyncClient, tokens: Tokens, subject: str, text: str, service: str = POOL
) -> dict[str, Any]:
    h = {"Authorization": f"Bearer {tokens.access_token}"}
    me = (await http.get("/patient/me", headers=h)).json()
    r = await http.post(
        "/patient/threads",
        headers=h,
        json={
            "patient": me["actsFor"][0]["patient"].split("/")[1],
            "service": service,
            "subject": subject,
            "text": text,
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


class LoseAnswers(httpx.AsyncBaseTransport):
    """Lets requests whose path contains `marker` reach the portal, then loses the answer."""

    def __init__(self, marker: str, times: int = 1) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.marker = marker
        self.left = times
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        resp = await self.inner.handle_async_request(request)
        if self.left > 0 and self.marker in request.url.path:
            self.left -= 1
            self.lost += 1
            await resp.aread()
            await resp.aclose()
            raise httpx.ReadError("the answer was lost", request=request)
        return resp

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- who am I, pools, inbox ----------------------------------------------------------------------


async def test_whoami_and_pools(lege: PortalClient) -> None:
    me = await lege.whoami()
    assert me.username == "lege" and me.kind == "staff"
    assert me.resource.startswith("Practitioner/") and me.display
    assert me.has_role("physician") and me.sees_clinical and me.works_in_inbox
    assert POOL in me.pools
    pools = await lege.pools()
    assert pools[0].personal and pools[0].id == ""
    assert {p.id for p in pools[1:]} == set(me.pools)
    shared = next(p for p in pools if p.id == POOL)
    assert shared.name and shared.waiting > 10 and shared.ref == f"HealthcareService/{POOL}"


async def test_inbox_paging_follows_next_links_without_duplicates(lege: PortalClient) -> None:
    waiting = next(p.waiting for p in await lege.pools() if p.id == POOL)
    seen: list[str] = []
    pages = 0
    page = await lege.inbox_page(POOL, count=10)
    while True:
        pages += 1
        assert len(page.items) <= 10
        seen.extend(i.id for i in page.items)
        if not page.next_url:
            break
        page = await lege.inbox_page(POOL, cursor_url=page.next_url)
    assert len(seen) == len(set(seen)), "a keyset page repeated an item"
    assert len(seen) == waiting
    assert pages == -(-waiting // 10) or pages == -(-waiting // 10) + 1
    # sorted by priority, then arrival
    items = []
    page = await lege.inbox_page(POOL, count=50)
    items.extend(page.items)
    ranks = [(i.priority_rank, i.authored_on) for i in items]
    assert ranks == sorted(ranks)


async def test_inbox_item_parsing(lege: PortalClient) -> None:
    page = await lege.inbox_page(POOL, count=20, total=True)
    assert page.total is not None and page.total >= len(page.items)
    for item in page.items:
        assert item.type in TASK_TYPES
        assert item.status == "requested" and item.version >= 1
        assert item.owner_ref == f"HealthcareService/{POOL}" and item.pool_id == POOL
        assert item.patient_ref.startswith("Patient/")
        assert item.patient_name and item.patient_birth_date is not None
        assert item.patient_nid.isdigit() and len(item.patient_nid) == 11
        assert item.subject
        assert isinstance(item.authored_on, dt.datetime) and item.authored_on.tzinfo is not None
        assert item.etag == f'W/"{item.version}"'
        for note in item.notes:
            assert isinstance(note.text, str)
    item = next(i for i in page.items if i.has_thread)
    thread = await lege.thread(item.focus_ref)
    assert thread.subject == item.subject
    assert thread.patient_ref == item.patient_ref
    # task() reads one item with the same fields
    again = await lege.task(item.id)
    assert again == item.model_copy(update={"overdue": again.overdue})


async def test_personal_items(lege: PortalClient) -> None:
    me = await lege.whoami()
    page = await lege.inbox_page(None, count=50)
    assert all(i.owner_ref == me.resource and i.is_open for i in page.items)


async def test_thread_read(lege: PortalClient) -> None:
    item = await fresh_item(lege)
    thread = await lege.thread(item.focus_ref)
    assert thread.ref == item.focus_ref
    assert thread.messages, "a message thread has at least the patient's first message"
    sent = [m.sent for m in thread.messages]
    assert all(s is not None for s in sent) and sent == sorted(sent)  # type: ignore[type-var]
    first = thread.messages[0]
    assert first.text and first.thread_ref == thread.ref
    assert first.from_patient_side and first.medium in ("portal", "phone")
    assert not any(m.is_draft for m in thread.messages)


# -- operations ---------------------------------------------------------------------------------


async def test_claim_then_conflict_for_a_colleague(connect: Callable[..., PortalClient]) -> None:
    lege, nurse = connect("lege"), connect("sykepleier")
    me = await lege.whoami()
    item = await fresh_item(lege)
    # the nurse opened the same item before the physician claimed it
    nurse_copy = await nurse.task(item.id)
    claimed = await lege.claim(item)
    assert claimed.status == "in-progress" and claimed.owner_ref == me.resource
    assert claimed.version == item.version + 1 and claimed.business_status == "claimed"
    assert claimed.patient_name == item.patient_name and claimed.subject == item.subject
    assert claimed.pool_id == POOL

    with pytest.raises(Conflict) as info:
        await nurse.claim(nurse_copy)
    c = info.value
    assert c.status == 409 and not c.stale
    assert c.current is not None and c.current.owner_ref == me.resource
    assert c.current.owner_display == me.display
    assert me.display in c.message  # the portal's own plain words
    assert c.current.patient_name == item.patient_name  # kept from the copy the nurse had

    # a stale version on an action that is otherwise valid gives 412
    with pytest.raises(Conflict) as info2:
        await lege.unclaim(item)  # version from before the claim
    assert info2.value.stale and info2.value.current is not None
    back = await lege.unclaim(claimed)
    assert back.status == "requested" and back.owner_ref == f"HealthcareService/{POOL}"


async def test_lost_claim_answer_counts_as_success(connect: Callable[..., PortalClient]) -> None:
    transport = LoseAnswers("$claim")
    lege = connect("lege", transport=transport, backoff=0.01)
    me = await lege.whoami()
    item = await fresh_item(lege)
    claimed = await lege.claim(item)
    assert transport.lost == 1
    assert claimed.owner_ref == me.resource and claimed.status == "in-progress"
    assert claimed.version == item.version + 1
    done = await lege.complete(claimed, note="Besvart på telefon.")
    assert done.status == "completed" and done.notes[-1].text == "Besvart på telefon."


async def test_forward_with_note(lege: PortalClient) -> None:
    me = await lege.whoami()
    item = await fresh_item(lege)
    other = next(p for p in me.pools if p != POOL)
    moved = await lege.forward(item, f"HealthcareService/{other}", "Til leder.")
    assert moved.owner_ref == f"HealthcareService/{other}" and moved.pool_id == other
    assert moved.business_status == "forwarded"
    assert moved.notes[-1].text == "Til leder." and moved.notes[-1].author_ref == me.resource


async def test_reply_exactly_once(connect: Callable[..., PortalClient]) -> None:
    transport = LoseAnswers("$reply")
    lege = connect("lege", transport=transport, backoff=0.01)
    item = await lege.claim(await fresh_item(lege))
    mid = str(uuid.uuid4())
    text = "Hei! Ta kontakt om det ikke går over. [bold]ikke markup[/bold]"
    first = await lege.reply(item, text, mid)  # the first answer is lost; resent with the same id
    assert transport.lost == 1
    assert first.message.text == text and first.message.category == "staff-reply"
    assert first.item.business_status == "replied"
    again = await lege.reply(item, text, mid)  # the user pressed send twice (stale If-Match too)
    assert again.message.id == first.message.id
    thread = await lege.thread(item.focus_ref)
    assert [m.text for m in thread.messages].count(text) == 1


async def test_drafts_save_and_load(connect: Callable[..., PortalClient]) -> None:
    lege, nurse = connect("lege"), connect("sykepleier")
    item = await fresh_item(lege)
    assert await lege.load_draft(item.focus_ref) is None
    d1 = await lege.save_draft(item.focus_ref, "Første utkast")
    assert d1.is_draft and d1.thread_ref == item.focus_ref
    d2 = await lege.save_draft(item.focus_ref, "Andre utkast", d1.id)
    assert d2.id == d1.id and d2.version != d1.version  # the same draft, updated (not a second one)
    loaded = await lege.load_draft(item.focus_ref)
    assert loaded is not None and loaded.id == d2.id and loaded.text == "Andre utkast"
    assert await nurse.load_draft(item.focus_ref) is None  # drafts are the author's own
    thread = await lege.thread(item.focus_ref)
    assert thread.drafts and thread.drafts[0].id == d2.id
    assert all(not m.is_draft for m in thread.messages)


# -- clinical context and access ------------------------------------------------------------------


async def test_clinical_context_and_refusals(connect: Callable[..., PortalClient]) -> None:
    lege, switchboard = connect("lege"), connect("sentralbord")
    item = await fresh_item(lege, code=None)
    pid = item.patient_ref.split("/")[1]
    patient = await lege.patient(pid, today=dt.date(2026, 1, 1))
    assert patient.name == item.patient_name and patient.national_id == item.patient_nid
    assert patient.age == patient.age_on(dt.date(2026, 1, 1)) and patient.age is not None
    ctx = await lege.clinical(pid)
    assert ctx.denied is None
    assert isinstance(ctx.medications, list) and isinstance(ctx.observations, list)
    assert all(m.status == "active" for m in ctx.medications)
    for o in ctx.observations:
        assert isinstance(o, Observation) and o.text

    # switchboard staff have no clinical access: refused parts, not an exception
    refused = await switchboard.clinical(pid)
    assert isinstance(refused.allergies, AccessDenied) and isinstance(refused.observations, AccessDenied)
    assert refused.denied is not None and refused.denied.message

    # a patient without any care relation to this physician
    stranger = await _patient_without_relation(lege)
    assert stranger is not None
    ctx2 = await lege.clinical(stranger)
    assert isinstance(ctx2.allergies, AccessDenied) and isinstance(ctx2.medications, AccessDenied)
    assert "break the glass" in ctx2.allergies.message
    bg = await lege.break_glass(stranger, "Akutt innleggelse, trenger medisinliste.")
    if bg.supported:  # a portal with the operation grants access for a while
        assert bg.granted and (await lege.clinical(stranger)).denied is None
    else:
        assert not bg.granted and "not supported" in bg.message


async def _patient_without_relation(client: PortalClient) -> str | None:
    for n in range(199, 100, -1):
        pid = f"pat-{n:06d}"
        ctx = await client.clinical(pid)
        if isinstance(ctx.allergies, AccessDenied):
            return pid
    return None


async def test_break_glass_on_a_portal_without_the_endpoint(lege: PortalClient) -> None:
    bg = await lege.break_glass("pat-000001", "Akutt: pasienten er bevisstløs.")
    # This portal does not offer the operation yet; the client says so instead of failing.
    assert (not bg.supported and not bg.granted and "not supported" in bg.message) or bg.granted


async def test_a_free_slot_without_a_start_is_not_offered() -> None:
    """A Slot without a start is no time anyone could book: the time picker is never given one."""
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": {"resourceType": "Slot", "id": "a", "start": "2026-12-02T08:00:00+00:00"}},
            {"resource": {"resourceType": "Slot", "id": "b", "status": "free"}},
        ],
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=bundle))
    async with PortalClient("https://portal.example", "token", transport=transport) as c:
        at = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
        slots = await c.free_slots("HealthcareService/x", at, at + dt.timedelta(days=1))
    assert [s.id for s in slots] == ["a"]


# -- being offline ------------------------------------------------------------------------------


async def test_offline_when_the_portal_cannot_be_reached() -> None:
    port = free_port()
    async with PortalClient(f"http://127.0.0.1:{port}", "token", retries=1, backoff=0.01) as c:
        with pytest.raises(Offline):
            await c.whoami()
        with pytest.raises(Offline):
            await c.inbox_page("x")


async def test_outbox_resends_when_the_portal_is_back(tmp_path: Any) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path}/outbox.sqlite3"
    first = EmbeddedPortal(db, port=port, demo=True, seed=True, patients=40, tasks=80).start()
    client: PortalClient | None = None
    second: EmbeddedPortal | None = None
    try:
        tokens = await demo_login(first.base_url, "lege")
        client = PortalClient(first.base_url, TokenSession(first.base_url, tokens), retries=1, backoff=0.01)
        await client.whoami()
        page = await client.inbox_page(POOL, code="message", count=5)
        item = await client.claim(page.items[0])
        sent: list[Any] = []
        outbox = Outbox(client, on_sent=sent.append)

        first.stop()
        entry = await outbox.send(item, "Svar skrevet mens portalen var borte.")
        assert entry.state == "pending" and isinstance(entry.error, Offline)
        assert len(outbox) == 1
        assert await outbox.flush() == 0  # still away

        second = EmbeddedPortal(db, port=port, demo=True, seed=True).start()
        assert await outbox.flush() == 1
        assert entry.state == "sent" and sent == [entry] and len(outbox) == 0
        assert entry.result is not None and entry.result.message.text == entry.text

        # resending the same messageId (e.g. the answer of the flush was lost) changes nothing
        again = await client.reply(item, entry.text, entry.message_id)
        assert again.message.id == entry.result.message.id
        thread = await client.thread(item.focus_ref)
        assert [m.text for m in thread.messages].count(entry.text) == 1
    finally:
        if client is not None:
            await client.aclose()
        first.stop()
        if second is not None:
            second.stop()


async def test_outbox_run_loop_sends_when_added(lege: PortalClient) -> None:
    await lege.whoami()
    item = await lege.claim(await fresh_item(lege))
    outbox = Outbox(lege, retry_interval=0.05)
    stop = asyncio.Event()
    runner = asyncio.create_task(outbox.run(stop))
    done = asyncio.Event()
    outbox.on_sent = lambda e: done.set()
    outbox.add(item, "Fra bakgrunnen.")
    await asyncio.wait_for(done.wait(), 10)
    stop.set()
    await asyncio.wait_for(runner, 5)
    # a refusal leaves the outbox as failed, with the portal's reason
    failed: list[Any] = []
    outbox.on_failed = failed.append
    other = await fresh_item(lege)  # not claimed: the portal refuses a reply
    await outbox.send(other, "Uten å ha tatt saken.")
    assert failed and isinstance(failed[0].error, Conflict) and len(outbox) == 0


# -- events -------------------------------------------------------------------------------------


async def test_follow_events_sees_a_new_patient_message(
    portal: EmbeddedPortal, lege: PortalClient, http: httpx.AsyncClient, tokens: Callable[[str], Tokens]
) -> None:
    events: asyncio.Queue[Any] = asyncio.Queue()
    states: list[bool] = []
    online = asyncio.Event()

    def on_state(s: bool) -> None:
        states.append(s)
        if s:
            online.set()

    stop = asyncio.Event()
    follower = asyncio.create_task(follow_events(lege, events.put_nowait, on_state=on_state, stop=stop))
    try:
        await asyncio.wait_for(online.wait(), 10)
        started = await start_thread(
            http, tokens("fullmakt"), "Spørsmål om datteren", "Hei, jeg skriver på vegne av Sara."
        )
        thread_ref = f"Communication/{started['thread']['id']}"
        while True:
            ev = await asyncio.wait_for(events.get(), 10)
            if ev.event == "task" and ev.action == "new" and ev.data.get("pool") == POOL:
                break
        assert ev.seq is not None and ev.task_id
        item = await lege.task(ev.task_id)
        assert item.focus_ref == thread_ref and item.subject == "Spørsmål om datteren"
        assert item.business_status == "new" and item.type == "message"
        thread = await lege.thread(thread_ref)
        msg = thread.messages[0]
        assert msg.sender_ref.startswith("RelatedPerson/") and msg.on_behalf_of
        assert msg.text == "Hei, jeg skriver på vegne av Sara."
    finally:
        stop.set()
        last = await asyncio.wait_for(follower, 10)
    assert states == [True]
    assert last == ev.id


async def test_follow_events_resumes_after_last_event_id(lege: PortalClient) -> None:
    item = await fresh_item(lege)
    got: asyncio.Queue[Any] = asyncio.Queue()
    stop = asyncio.Event()
    online = asyncio.Event()
    follower = asyncio.create_task(follow_events(lege, got.put_nowait, stop=stop, on_state=lambda s: online.set()))
    await asyncio.wait_for(online.wait(), 10)
    claimed = await lege.claim(item)
    ev = await asyncio.wait_for(got.get(), 10)
    assert ev.task_id == item.id and ev.action == "claim" and ev.data.get("versionId") == str(claimed.version)
    stop.set()
    assert await asyncio.wait_for(follower, 10) == ev.id
    # a new stream that resumes from just before that event sees it again, first
    again: asyncio.Queue[Any] = asyncio.Queue()
    stop2 = asyncio.Event()
    follower2 = asyncio.create_task(follow_events(lege, again.put_nowait, int(ev.id) - 1, stop=stop2))
    try:
        first = await asyncio.wait_for(again.get(), 10)
        assert first.id == ev.id and first.task_id == item.id
    finally:
        stop2.set()
        await asyncio.wait_for(follower2, 10)


async def test_follow_events_reports_offline() -> None:
    port = free_port()
    states: list[bool] = []
    stop = asyncio.Event()

    def on_state(s: bool) -> None:
        states.append(s)
        stop.set()

    async with PortalClient(f"http://127.0.0.1:{port}", "token") as c:
        await asyncio.wait_for(follow_events(c, lambda e: None, on_state=on_state, stop=stop), 10)
    assert states == [False]


# -- sign-in ------------------------------------------------------------------------------------


async def test_discovery(portal: EmbeddedPortal) -> None:
    conf = await discover(portal.base_url)
    assert conf.demo_login and conf.token_endpoint.endswith("/oauth/token")
    assert conf.fhir_base_url == f"{portal.base_url}/fhir"


async def test_demo_login_unknown_user(portal: EmbeddedPortal) -> None:
    with pytest.raises(SignInError):
        await demo_login(portal.base_url, "nobody")


async def test_device_flow_honours_interval_and_slow_down(portal: EmbeddedPortal, http: httpx.AsyncClient) -> None:
    flow = await start_device_flow(portal.base_url, "helsami-tui-test")
    assert flow.user_code and flow.verification_uri.endswith("/device") and flow.interval >= 1
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:  # the user approves in the browser meanwhile
            page = await http.post(
                "/device",
                data={"user_code": flow.user_code, "username": "lege", "password": "demo", "decision": "approve"},
            )
            assert page.status_code == 200

    tokens = await poll_device_flow(flow, sleep=fake_sleep)
    # pending, then slow_down (we polled too fast) added 5 seconds, then the tokens
    assert sleeps == [flow.interval, flow.interval, flow.interval + 5]
    assert tokens.access_token and tokens.refresh_token and tokens.client_id == "helsami-tui-test"
    async with PortalClient(portal.base_url, TokenSession(portal.base_url, tokens)) as c:
        assert (await c.whoami()).username == "lege"


async def test_device_flow_denied(portal: EmbeddedPortal, http: httpx.AsyncClient) -> None:
    flow = await start_device_flow(portal.base_url, "helsami-tui-test")
    await http.post(
        "/device", data={"user_code": flow.user_code, "username": "lege", "password": "demo", "decision": "deny"}
    )

    async def no_sleep(seconds: float) -> None:
        return None

    with pytest.raises(SignInError) as info:
        await poll_device_flow(flow, sleep=no_sleep)
    assert info.value.error == "access_denied"


async def test_refresh_on_401_is_single_flight(portal: EmbeddedPortal) -> None:
    real = await demo_login(portal.base_url, "sykepleier")
    expired = Tokens(access_token="not-a-valid-token", refresh_token=real.refresh_token, client_id=real.client_id)
    session = TokenSession(portal.base_url, expired)
    async with PortalClient(portal.base_url, session) as c:
        results = await asyncio.gather(*(c.whoami() for _ in range(5)))
        assert {m.username for m in results} == {"sykepleier"}
        assert session.refresh_count == 1
        # signing out revokes the session: the next call needs a new sign-in
        await revoke(portal.base_url, session.tokens.refresh_token)  # type: ignore[union-attr]
        with pytest.raises(NotSignedIn):
            await c.whoami()


async def test_token_store_memory_only_without_a_keyring() -> None:
    from keyring.backends import fail

    store = TokenStore(backend=fail.Keyring())
    assert store.memory_only
    t = Tokens("a", "r", 1.0, client_id="x")
    store.save("http://p", t)
    assert store.load("http://p/") == t
    store.delete("http://p")
    assert store.load("http://p") is None


async def test_token_store_uses_the_keyring() -> None:
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.items.pop((service, username), None)

    kr = MemoryKeyring()
    store = TokenStore(backend=kr)
    assert not store.memory_only
    t = Tokens("a", "r", 2.0)
    store.save("https://portal.example", t)
    assert ("helsami-tui", "https://portal.example") in kr.items
    assert TokenStore(backend=kr).load("https://portal.example") == t


async def test_demo_login_is_not_offered_elsewhere(tmp_path: Any) -> None:
    p = EmbeddedPortal(f"sqlite:///{tmp_path}/nodemo.sqlite3", demo=False, seed=False).start()
    try:
        with pytest.raises(NotSupported):
            await demo_login(p.base_url, "lege")
    finally:
        p.stop()


# -- models without a portal ----------------------------------------------------------------------


def test_sse_parser() -> None:
    p = SseParser()
    lines = [
        "retry: 2000",
        ": connected",
        "",
        "id: 7",
        "event: task",
        'data: {"seq":7,"type":"Task","id":"t1",',
        'data: "action":"claim"}',
        "",
    ]
    out = [e for e in (p.feed_line(line) for line in lines) if e is not None]
    assert len(out) == 1
    ev = out[0]
    assert ev.id == "7" and ev.seq == 7 and ev.event == "task"
    assert ev.data == {"seq": 7, "type": "Task", "id": "t1", "action": "claim"}
    assert p.retry_ms == 2000 and p.last_event_id == "7"
    assert p.feed_line("data: not json") is None and p.feed_line("").data == {}  # type: ignore[union-attr]


def test_operation_outcome_conflict() -> None:
    task = {
        "resourceType": "Task",
        "id": "t1",
        "meta": {"versionId": "4"},
        "status": "in-progress",
        "owner": {"reference": "Practitioner/p9", "display": "Ada Lege"},
    }
    oo = OperationOutcome.from_fhir(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "business-rule", "diagnostics": "Ada Lege claimed this item."}],
            "contained": [task],
        }
    )
    err = error_from(oo, 409)
    assert isinstance(err, Conflict) and err.message == "Ada Lege claimed this item."
    assert err.current is not None and err.current.version == 4 and err.current.owner_display == "Ada Lege"
    assert isinstance(error_from(OperationOutcome.from_fhir({}), 403, "nope"), AccessDenied)


def test_operation_outcome_conflict_as_the_portal_sends_it() -> None:
    """The portal's 409/412: the contained Task without a version (dom-4), pointed at by the
    current-state extension (dom-3) that carries its version, the If-Match to retry with."""
    task = {
        "resourceType": "Task",
        "id": "t1",
        "status": "in-progress",
        "owner": {"reference": "Practitioner/p9", "display": "Ada Lege"},
    }
    state = {
        "url": "https://helsami.example/fhir/StructureDefinition/current-state",
        "extension": [
            {"url": "resource", "valueReference": {"reference": "#t1"}},
            {"url": "versionId", "valueId": "6"},
            {"url": "lastUpdated", "valueInstant": "2026-11-25T07:31:00Z"},
        ],
    }
    oo = OperationOutcome.from_fhir(
        {
            "resourceType": "OperationOutcome",
            "extension": [state],
            "issue": [{"severity": "error", "code": "conflict", "diagnostics": "Ada Lege claimed this item."}],
            "contained": [{"resourceType": "Patient", "id": "other"}, task],
        }
    )
    err = error_from(oo, 409)
    assert isinstance(err, Conflict) and err.current is not None
    assert err.current.id == "t1" and err.current.version == 6 and err.current.owner_display == "Ada Lege"


def test_untrusted_text_is_kept_verbatim() -> None:
    evil = "\x1b[2J\x1b]52;c;aGk=\x07[link=http://x]y[/link] \u202e"
    m = Message.from_fhir(
        {
            "resourceType": "Communication",
            "id": "c1",
            "status": "completed",
            "partOf": [{"reference": "Communication/h"}],
            "sender": {"reference": "RelatedPerson/r1", "display": evil},
            "payload": [{"contentString": evil}],
        }
    )
    assert m.text == evil and m.on_behalf_of == evil and m.medium == ""


def test_codes_are_read_into_the_contract_s_values() -> None:
    """Codes of the contract are kept; a code the client does not know reads as "" (priority: routine)."""
    task = {
        "resourceType": "Task",
        "id": "t",
        "status": "in-progress",
        "priority": "asap",
        "code": {"coding": [{"code": "renewal"}]},
        "businessStatus": {"coding": [{"code": "pended"}]},
    }
    item = InboxItem.from_fhir(task)
    assert (item.status, item.priority, item.type, item.business_status) == ("in-progress", "asap", "renewal", "pended")
    odd = InboxItem.from_fhir(
        {
            **task,
            "status": "x",
            "priority": "whenever",
            "code": {"text": "?"},
            "businessStatus": {"coding": [{"code": "y"}]},
        }
    )
    assert (odd.status, odd.priority, odd.type, odd.business_status) == ("", "routine", "", "")
    me = Me.from_fhir({"username": "u", "kind": "staff", "roles": ["nurse", "wizard", "library-editor"]})
    assert me.kind == "staff" and me.roles == ("nurse", "library-editor")


def test_malformed_resources_do_not_raise() -> None:
    item = InboxItem.from_fhir(
        {
            "resourceType": "Task",
            "id": "x",
            "meta": {"versionId": "zz"},
            "code": "message",
            "note": "text",
            "extension": [1, None],
            "restriction": {"period": {"end": "not a date"}},
        }
    )
    assert item.version == 0 and item.type == "" and item.notes == () and item.deadline is None
    obs = Observation.from_fhir(
        {
            "resourceType": "Observation",
            "id": "o",
            "valueQuantity": {"value": 7.2, "unit": "mmol/L"},
            "referenceRange": [{"low": {"value": 4}, "high": {"value": 6}}],
            "interpretation": [{"coding": [{"code": "H"}]}],
        }
    )
    assert obs.value == 7.2 and obs.flag == "H" and obs.abnormal and obs.reference_range == "4–6"


def test_overdue_against_a_given_now() -> None:
    task = {
        "resourceType": "Task",
        "id": "t",
        "status": "requested",
        "restriction": {"period": {"end": "2026-01-02T00:00:00Z"}},
    }
    before = InboxItem.from_fhir(task, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert not before.overdue
    assert before.is_overdue(dt.datetime(2026, 1, 3, tzinfo=dt.UTC))
    bundle = {
        "resourceType": "Bundle",
        "entry": [{"resource": task, "search": {"mode": "match"}}],
        "link": [{"relation": "next", "url": "http://p/fhir/Task?_cursor=abc"}],
    }
    page = inbox_page_from_bundle(bundle, dt.datetime(2026, 1, 3, tzinfo=dt.UTC))
    assert page.items[0].overdue and page.next_url == "http://p/fhir/Task?_cursor=abc"
    assert json.dumps(page.items[0].model_dump(mode="json"))  # serialisable for logs/debugging


async def test_client_never_sends_the_token_to_another_origin() -> None:
    c = PortalClient("http://127.0.0.1:9", "t")
    await c.aclose()
    assert c.url("http://127.0.0.1:9/fhir/Task?_cursor=a%2Cb") == "http://127.0.0.1:9/fhir/Task?_cursor=a%2Cb"
    assert c.url("http://evil.example/fhir/Task?_cursor=x") == "http://127.0.0.1:9/fhir/Task?_cursor=x"
    assert c.url("$whoami") == "http://127.0.0.1:9/fhir/$whoami"
