"""serve-web's web socket, without a browser (review of issue 16): the session limit, and which
pages may open a session (the Origin check, DNS rebinding included). Each session's app process is
a real process (a shell command that waits); no browser and no Textual app are needed for these."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from helsami_tui import web
from helsami_tui.web import WebServer
from tests.waiting import async_wait_until


@pytest.fixture
async def serving(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[WebServer, TestServer]]:
    monkeypatch.setattr(web, "STOP_GRACE", 0.5)  # the waiting command ignores "quit": killed after this
    server = WebServer(
        "exec sleep 30", host="127.0.0.1", port=0, public_url="https://helsami.sykehus.example", max_sessions=2
    )
    test_server = TestServer(await server._make_app())
    await test_server.start_server()
    try:
        yield server, test_server
    finally:
        await test_server.close()


async def _open(
    session: aiohttp.ClientSession, test_server: TestServer, origin: str | None, host: str | None = None
) -> Any:
    headers = {"Origin": origin} if origin else {}
    if host:
        headers["Host"] = host
    try:
        return await session.ws_connect(test_server.make_url("/ws"), headers=headers)
    except aiohttp.WSServerHandshakeError as e:
        return e.status


async def test_no_more_sessions_than_the_limit_even_when_they_arrive_at_once(
    serving: tuple[WebServer, TestServer],
) -> None:
    server, test_server = serving
    origin = "https://helsami.sykehus.example"
    async with aiohttp.ClientSession() as session:
        opened = await asyncio.gather(*[_open(session, test_server, origin) for _ in range(5)])
        sockets = [o for o in opened if not isinstance(o, int)]
        assert len(sockets) == 2 and sorted(o for o in opened if isinstance(o, int)) == [503, 503, 503]
        assert await _open(session, test_server, origin) == 503
        async with session.get(
            test_server.make_url("/ws"),
            headers={
                "Origin": origin,
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        ) as r:
            assert r.status == 503 and r.headers["Retry-After"] == "30"
        # One tab closes: its place is free again.
        await sockets[0].close()
        await async_wait_until(lambda: len(server.sessions) < 2, "the closed tab's session ended")
        again = await _open(session, test_server, origin)
        assert not isinstance(again, int)
        for s in (again, *sockets[1:]):
            await s.close()


async def test_only_this_servers_pages_open_a_session(serving: tuple[WebServer, TestServer]) -> None:
    _server, test_server = serving
    here = f"{test_server.host}:{test_server.port}"
    async with aiohttp.ClientSession() as session:
        assert await _open(session, test_server, "https://evil.example") == 403
        # DNS rebinding: another site's name pointed at this server; its page's Origin and the Host
        # header are the same name. Only the public address (and this server's own IP) count.
        assert (
            await _open(session, test_server, "http://rebind.evil.example:8000", host="rebind.evil.example:8000") == 403
        )
        for origin in ("https://helsami.sykehus.example", f"http://{here}"):
            ws = await _open(session, test_server, origin)
            assert not isinstance(ws, int), origin
            await ws.close()
