"""A TCP proxy on loopback for fault tests: add latency, go down, or lose answers.

It sits between a client and the portal (both on 127.0.0.1) and runs its own event loop in a
thread, so tests can switch its behaviour while requests are in flight.
"""

from __future__ import annotations

import asyncio
import socket
import threading


class Proxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0  # seconds added before each chunk is passed on, each way
        self.down = False  # refuse new connections and cut open ones
        self.drop_answers = 0  # this many upstream answers are swallowed and the connection cut
        self.requests_seen = 0  # request chunks passed on to the portal
        self.requests_arrived = 0  # request chunks read from clients (before any delay)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Proxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._conns):
            w.close()
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def cut_all(self) -> None:
        """Close every open connection (the network drops)."""

        def cut() -> None:
            for w in list(self._conns):
                w.close()

        self._loop.call_soon_threadsafe(cut)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, sock=sock))
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self._conns.update((writer, up_writer))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, answers: bool) -> None:
            try:
                while True:
                    data = await src.read(65536)
                    if not data or self.down:
                        break
                    if not answers:
                        self.requests_arrived += 1
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    if answers and self.drop_answers > 0:
                        self.drop_answers -= 1
                        break  # the portal answered, but the answer never arrives
                    if not answers:
                        self.requests_seen += 1
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                for w in (writer, up_writer):
                    w.close()
                    self._conns.discard(w)

        await asyncio.gather(pump(reader, up_writer, False), pump(up_reader, writer, True))
