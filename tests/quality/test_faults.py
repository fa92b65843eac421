"""Faults between the terminal app's client and the portal: lost answers, a slow network, the
network dropping, the portal killed while a reply is on its way, PostgreSQL restarting under load.
In every case the reply reaches the patient exactly once and no draft is lost."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from helsami_portal import loadtest
from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.seed import seed
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store
from helsami_tui.client.api import Outbox, PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.client.errors import Offline
from tests.waiting import async_wait_until, wait_until

from ..conftest import drop_pg_database, make_pg_database, pg_available
from .proxy import Proxy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _new_message(portal_url: str, pool: str) -> str:
    with httpx.Client(base_url=portal_url) as http:
        tok = http.post("/auth/demo-login", data={"username": "pasient"}).json()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        me = http.get("/patient/me", headers=h).json()
        r = http.post(
            "/patient/threads",
            headers=h,
            json={
                "patient": me["actsFor"][0]["patient"].split("/")[1],
                "service": pool,
                "subject": "Feiltest",
                "text": "Hei",
                "messageId": str(uuid.uuid4()),
            },
        )
        assert r.status_code == 201, r.text
        return str(r.json()["thread"]["id"])


def _staff_replies(portal_url: str, thread_id: str) -> list[str]:
    """What the patient sees: the staff replies in the thread."""
    with httpx.Client(base_url=portal_url) as http:
        tok = http.post("/auth/demo-login", data={"username": "pasient"}).json()["access_token"]
        data = http.get(f"/patient/threads/{thread_id}", headers={"Authorization": f"Bearer {tok}"}).json()
    return [
        m["payload"][0]["contentString"]
        for m in data["messages"]
        if m["category"][0]["coding"][0]["code"] == "staff-reply"
    ]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("faults") / "portal.sqlite3"
    with EmbeddedPortal(f"sqlite:///{db}", demo=True, seed=True) as p:
        yield p


async def _client(portal_url: str, via: str, **kw: Any) -> PortalClient:
    tokens = await demo_login(portal_url, "lege")
    return PortalClient(via, TokenSession(portal_url, tokens), **kw)


async def _claimed_item(client: PortalClient, portal_url: str) -> tuple[Any, str]:
    me = await client.whoami()
    thread = _new_message(portal_url, me.pools[0])
    page = await client.inbox_page(me.pools[0], count=50, sort="-authored-on")
    item = next(i for i in page.items if i.focus_ref == f"Communication/{thread}")
    return await client.claim(item), thread


async def test_lost_answer_to_a_reply_is_resent_and_arrives_once(portal: EmbeddedPortal) -> None:
    proxy = Proxy(portal.port).start()
    try:
        client = await _client(portal.base_url, proxy.url)
        item, thread = await _claimed_item(client, portal.base_url)
        proxy.drop_answers = 1  # the portal stores the reply, but its answer is lost on the way back
        result = await client.reply(item, "Svar som mistet kvitteringen", str(uuid.uuid4()))
        assert result.message.text == "Svar som mistet kvitteringen"
        assert _staff_replies(portal.base_url, thread) == ["Svar som mistet kvitteringen"]
        await client.aclose()
    finally:
        proxy.stop()


async def test_slow_network_still_works_and_sends_once(portal: EmbeddedPortal) -> None:
    proxy = Proxy(portal.port).start()
    proxy.delay = 0.25  # a quarter second each way, per chunk
    try:
        client = await _client(portal.base_url, proxy.url)
        item, thread = await _claimed_item(client, portal.base_url)
        mid = str(uuid.uuid4())
        await client.reply(item, "Svar over treg linje", mid)
        assert _staff_replies(portal.base_url, thread) == ["Svar over treg linje"]
        await client.aclose()
    finally:
        proxy.stop()


async def test_network_drops_reply_waits_in_the_outbox_and_no_draft_is_lost(portal: EmbeddedPortal) -> None:
    proxy = Proxy(portal.port).start()
    try:
        client = await _client(portal.base_url, proxy.url, retries=0)
        item, thread = await _claimed_item(client, portal.base_url)
        draft = await client.save_draft(f"Communication/{thread}", "Utkast før bruddet")
        proxy.down = True
        proxy.cut_all()
        with pytest.raises(Offline):
            await client.save_draft(f"Communication/{thread}", "Utkast under bruddet", draft)
        outbox = Outbox(client, retry_interval=0.2, max_interval=0.5)
        entry = await outbox.send(item, "Svar skrevet mens nettet var nede")
        assert entry.state == "pending"
        stop = asyncio.Event()
        runner = asyncio.create_task(outbox.run(stop))
        await async_wait_until(lambda: entry.attempts >= 3, what="the outbox tried again while down")
        assert _staff_replies(portal.base_url, thread) == []
        proxy.down = False  # the network is back: the outbox sends by itself
        await async_wait_until(lambda: not outbox.pending, what="the outbox sent the reply")
        stop.set()
        await runner
        assert _staff_replies(portal.base_url, thread) == ["Svar skrevet mens nettet var nede"]
        # The draft saved before the drop is still on the portal (the reply closed it afterwards).
        assert draft.text == "Utkast før bruddet"
        await client.aclose()
    finally:
        proxy.stop()


def _serve(db: str, port: int) -> subprocess.Popen[bytes]:
    exe = shutil.which("helsami-portal", path=str(Path(sys.executable).parent)) or shutil.which("helsami-portal")
    cmd = [exe] if exe else [sys.executable, "-m", "helsami_portal.cli"]
    proc = subprocess.Popen(
        [*cmd, "serve", "--db", db, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, what="the portal started")
    except AssertionError:
        proc.kill()
        raise
    return proc


async def test_portal_killed_while_a_reply_is_on_its_way(tmp_path: Path) -> None:
    """The portal process dies (kill -9) with a reply in flight; a new one starts on the same
    database; the reply, resent with the same messageId, arrives exactly once."""
    db = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    store = Store(make_engine(db))
    seed(store)
    store.engine.dispose()
    port = _free_port()
    proc = _serve(db, port)
    proxy = Proxy(port).start()
    try:
        # A served portal has no demo sign-in: sign in as a person does (device flow).
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            session = await loadtest._sign_in(http, "lege")
        client = PortalClient(proxy.url, session.access, retries=0)
        me = await client.whoami()
        page = await client.inbox_page(me.pools[0], count=20)
        item = await client.claim(page.items[0])
        proxy.delay = 0.5  # the reply is slow on its way: the portal dies meanwhile
        outbox = Outbox(client, retry_interval=0.3, max_interval=1.0)
        arrived = proxy.requests_arrived
        send = asyncio.create_task(outbox.send(item, "Svar mens portalen falt ut", str(uuid.uuid4())))
        await async_wait_until(lambda: proxy.requests_arrived > arrived, what="the reply is on its way")
        proc.kill()
        proc.wait(10)
        entry = await send
        assert entry.state == "pending", entry.error
        proxy.delay = 0.0
        proc = _serve(db, port)  # the portal comes back on the same database
        stop = asyncio.Event()
        runner = asyncio.create_task(outbox.run(stop))
        await async_wait_until(lambda: not outbox.pending, what="the outbox sent the reply")
        stop.set()
        await runner
        assert not outbox.pending
        replies = await client.thread(item.focus_ref)
        texts = [m.text for m in replies.messages if m.category == "staff-reply"]
        assert texts.count("Svar mens portalen falt ut") == 1, texts
        await client.aclose()
    finally:
        proxy.stop()
        proc.kill()
        proc.wait(10)


@pytest.mark.postgres
@pytest.mark.skipif(
    not pg_available() or not shutil.which("pg_ctlcluster"),
    reason="needs the local PostgreSQL cluster and pg_ctlcluster",
)
def test_postgresql_restarts_under_load() -> None:
    """Staff keep working while PostgreSQL restarts: requests during the restart get 503 (never
    wrong data), the portal reconnects, and the end state has no double claims, no lost or
    duplicated replies, and every item completed once."""
    url, name = make_pg_database()
    try:
        store = Store(make_engine(url))
        seed(store)
        loadtest.prepare(store, staff=6, items=120)
        with EmbeddedPortal(url, demo=True, seed=False, run_jobs=False) as portal:

            def restart() -> None:
                # Once the staff are at work (items being completed), pull the database away.
                import sqlalchemy as sa

                from helsami_portal.store.schema import task as task_table

                def completed() -> int:
                    with store.read() as tx:
                        return int(
                            tx.conn.execute(
                                sa.select(sa.func.count())
                                .select_from(task_table)
                                .where(task_table.c.status == "completed")
                            ).scalar_one()
                        )

                before = completed()
                wait_until(lambda: completed() > before + 3, what="the load is under way", timeout=60)
                version = sorted(os.listdir("/etc/postgresql"))[-1]
                subprocess.run(
                    ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                    check=False,
                    capture_output=True,
                    timeout=60,
                )

            t = threading.Thread(target=restart)
            t.start()
            result = loadtest.run(portal.base_url, staff=6, max_seconds=120)
            t.join(60)
        wait_until(pg_available, what="PostgreSQL is back", timeout=120)
        v = loadtest.verify(store, result)
        assert v["double claims"] == 0 and v["duplicated replies"] == 0 and v["lost replies"] == 0, v
        assert v["completed without exactly one reply"] == 0, v
        assert v.get("final completed", 0) == 120, (v, result.summary())
        assert not [k for k in result.outcomes if k.split()[-1] in ("500", "502")], result.outcomes
        store.engine.dispose()
    finally:
        wait_until(pg_available, what="PostgreSQL is back", timeout=120)
        drop_pg_database(name)
