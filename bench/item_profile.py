"""What an item open costs on the portal: the requests the item screen's reads make, each timed and
profiled in-process.

    python bench/item_profile.py [--rounds 200] [--top 30] [--cpu] [--url sqlite:///copy.sqlite3]

The database is bench/clinic.py's (the demo world, seeded there once). The portal's ASGI app runs in
this process; the terminal app's own `PortalClient` talks to it through `httpx.ASGITransport` (no
HTTP server, no socket), signed in as the demo physician, and makes the reads of an item open as the
item screen makes them (`patient`, `proxies`, `thread`, `clinical`, together). The item is the
newest message thread of the demo patient in the physician's inbox.

Printed, per request the client sends (in the order sent): wall p50 and CPU per request, with the
requests run one at a time (a lock around the transport) and the worker-thread hops run inline so
that CPU is counted where it is spent; then the whole item open as the screen runs it (its requests
together, thread hops as in production): wall p50 / p95 and CPU per open; then, with `--top`, the
profile of the item opens (cumulative and own time; `--cpu` profiles CPU time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
import clinic as bench_clinic
import page_profile


class Timed:
    """An httpx transport around the ASGI app that times every request (wall and CPU) by path;
    with `serial`, one request at a time, so that each one's CPU is its own."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.serial = False
        self.lock = asyncio.Lock()
        self.seen: list[tuple[str, float, float]] = []  # (what, wall, cpu)
        self.record = False

    async def handle_async_request(self, request: Any) -> Any:
        if not self.serial:
            return await self.inner.handle_async_request(request)
        async with self.lock:
            t0, c0 = time.perf_counter(), time.process_time()
            resp = await self.inner.handle_async_request(request)
            await resp.aread()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if self.record:
            what = request.url.path.removeprefix("/fhir/")
            if len(what) > 40:
                what = what[:12] + "…" + what[-12:]
            q = "&".join(k for k, _ in request.url.params.multi_items() if k.startswith("_") and k != "_count")
            self.seen.append((f"{request.method} {what}{'?' + q if q else ''}", wall, cpu))
        return resp

    async def aclose(self) -> None:
        await self.inner.aclose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--cpu", action="store_true", help="profile CPU time, not wall time")
    ap.add_argument("--out", help="also write the raw profile (pstats) here")
    ap.add_argument("--url", help="this database instead (already seeded), e.g. a copy for the code before a change")
    args = ap.parse_args(argv)

    import httpx

    from helsami_portal.api.app import create_app
    from helsami_portal.api.settings import Settings
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.store import Store
    from helsami_tui.client.api import PortalClient

    url = args.url or bench_clinic.db_url()
    if not args.url:
        bench_clinic.ensure_seeded(url)
    store = Store(make_engine(url))
    app = create_app(store, Settings(issuer="http://127.0.0.1", embedded_demo=True, run_jobs=False))
    app.state.portal.tokens.keys.ensure()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")

    async def run() -> None:
        timed = Timed(httpx.ASGITransport(app=app))
        http = httpx.AsyncClient(transport=timed, base_url="http://127.0.0.1", timeout=60)
        r = await http.post("/auth/demo-login", data={"username": "lege"})
        r.raise_for_status()
        client = PortalClient("http://127.0.0.1", r.json()["access_token"], http=http)
        me = await client.whoami()
        page = await client.inbox_page(bench_clinic.POOL, whole_pool=True, count=100)
        # The demo patient's newest thread (the one bench/clinic.py's patient writes), else any thread.
        threads = [i for i in page.items if i.has_thread and i.patient_ref]
        item = next((i for i in threads if i.patient_ref == "Patient/pat-000001"), threads[0])
        pid = item.patient_ref.removeprefix("Patient/")
        assert me.sees_clinical

        async def open_item() -> None:
            # As ItemScreen._load: the banner (patient, proxies), the thread and the clinical context together.
            async def banner() -> None:
                await asyncio.gather(client.patient(pid), client.proxies(pid))

            await asyncio.gather(banner(), client.thread(item.focus_ref), client.clinical(pid, observations=60))

        for _ in range(10):
            await open_item()  # warm
        # Per request, one at a time, thread hops inline.
        page_profile.inline_threads()
        timed.serial = True
        timed.record = True
        for _ in range(args.rounds):
            await open_item()
        timed.record = False
        by: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for what, wall, cpu in timed.seen:
            by[what].append((wall, cpu))
        n_req = len(timed.seen) / args.rounds
        print(f"\nper request, one at a time, inline ({args.rounds} item opens, {n_req:g} requests each):")
        print(f"  {'request':<58} {'wall p50':>9} {'CPU mean':>9}  (ms)")
        tot_w = tot_c = 0.0
        for what, v in by.items():
            w = statistics.median(x for x, _ in v) * 1e3
            cpu = statistics.fmean(x for _, x in v) * 1e3
            tot_w += w
            tot_c += cpu
            print(f"  {what:<58} {w:9.2f} {cpu:9.2f}")
        print(f"  {'sum':<58} {tot_w:9.2f} {tot_c:9.2f}")
        timed.serial = False

        # The whole open as the screen runs it: requests together (thread hops inline still).
        walls: list[float] = []
        c0 = time.process_time()
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            await open_item()
            walls.append(time.perf_counter() - t0)
        cpu = (time.process_time() - c0) / args.rounds
        walls.sort()
        p95 = walls[min(len(walls) - 1, int(0.95 * len(walls)))]
        print(
            f"\nitem open (client and portal in one process, requests together): wall p50 "
            f"{statistics.median(walls) * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms, CPU {cpu * 1e3:.2f} ms per open "
            f"({args.rounds} opens, load average {os.getloadavg()[0]:.2f})"
        )
        if args.top or args.out:
            prof = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
            prof.enable()
            for _ in range(args.rounds):
                await open_item()
            prof.disable()
            if args.out:
                prof.dump_stats(args.out)
            if args.top:
                for key in ("cumulative", "tottime"):
                    s = io.StringIO()
                    pstats.Stats(prof, stream=s).sort_stats(key).print_stats(args.top)
                    print(s.getvalue())
        await http.aclose()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
