"""Where the CPU of one inbox page goes: N first pages through the ASGI app in-process, profiled.

    python bench/page_profile.py [--tasks 20000] [--db sqlite|postgres] [--requests 400] [--top 40] [--query inbox|app]

The database is bench/portal.py's (seeded there once). The app, built as a served process builds it
(`api.factory.app_from_env`), is called directly as an ASGI
callable (no HTTP, no server), signed in as the demo physician, on the fullest pool; its worker
thread hops run inline so that cProfile sees the whole request. `--query inbox` (default): the brief's
inbox page (50 rows, `status=requested`, by owner); `--query app`: the terminal app's own list page
(100 rows, two statuses, sorted, `_total=accurate`, as bench/counts.py asks for it). Prints the wall time per page
unprofiled (with the hops, and inline), then the profile's top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(__file__))
import portal as bench_portal


async def call(
    app: Any, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "root_path": "",
        "state": {},
    }
    sent = False
    status = 0
    out: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        nonlocal status
        if msg["type"] == "http.response.start":
            status = msg["status"]
        elif msg["type"] == "http.response.body":
            out.append(msg.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(out)


def inline_threads() -> None:
    """Run the app's worker-thread hops inline, so that the profiler (main thread only) sees them."""
    import starlette.concurrency

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("helsami_portal") and getattr(mod, "run_in_threadpool", None):
            mod.run_in_threadpool = inline  # type: ignore[attr-defined]
    starlette.concurrency.run_in_threadpool = inline  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--out", help="also write the raw profile (pstats) here")
    ap.add_argument(
        "--cpu", action="store_true", help="profile CPU time (time.process_time), not wall time: waits on disk left out"
    )
    ap.add_argument(
        "--query", choices=["inbox", "app"], default="inbox", help="the brief's inbox page or the app's own list page"
    )
    ap.add_argument("--url", help="this database instead (already seeded), e.g. a copy for the code before a change")
    args = ap.parse_args(argv)

    import orjson

    from helsami_portal.api import factory
    from helsami_portal.api.settings import Settings

    url = args.url or bench_portal.db_url(args.db, args.tasks)
    if not args.url:
        bench_portal.ensure_seeded(url, args.tasks)
    # Built as each process of `helsami-portal serve` builds it (api.factory, its settings as JSON).
    settings = Settings(issuer="http://127.0.0.1", embedded_demo=True, run_jobs=False, db=url)
    os.environ[factory.SETTINGS_ENV] = settings.model_dump_json()
    app = factory.app_from_env()
    app.state.portal.tokens.keys.ensure()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")

    async def run() -> None:
        form = [(b"content-type", b"application/x-www-form-urlencoded")]
        st, body = await call(app, "POST", "/auth/demo-login", "", form, b"username=lege")
        assert st == 200, (st, body[:200])
        h = [(b"authorization", f"Bearer {orjson.loads(body)['access_token']}".encode())]
        st, body = await call(app, "GET", "/fhir/$pools", "", h)
        pools = orjson.loads(body)["pools"]
        pool = max((p for p in pools if p.get("id")), key=lambda p: p["waiting"])
        if args.query == "app":  # the terminal app's first page (bench/counts.py)
            params = [
                ("pool", f"HealthcareService/{pool['id']}"),
                ("status", "requested,in-progress"),
                ("_sort", "priority,authored-on"),
                ("_count", "100"),
                ("_total", "accurate"),
            ]
        else:
            params = [("owner", f"HealthcareService/{pool['id']}"), ("status", "requested"), ("_count", "50")]
        query = urlencode([*params, ("_include", "Task:focus"), ("_include", "Task:patient")])

        async def pages(n: int) -> list[float]:
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                st, body = await call(app, "GET", "/fhir/Task", query, h)
                times.append(time.perf_counter() - t0)
                assert st == 200, (st, body[:300])
            return times

        await pages(20)  # warm
        hop = await pages(args.requests)
        inline_threads()
        gc_time = [0.0, 0.0, 0.0]  # CPU in the collector, by generation
        gc_runs = [0, 0, 0]
        gc_start = [0.0]

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_start[0] = time.process_time()
            else:
                gc_time[info["generation"]] += time.process_time() - gc_start[0]
                gc_runs[info["generation"]] += 1

        gc.callbacks.append(on_gc)
        cpu0 = time.process_time()
        flat = await pages(args.requests)
        cpu = (time.process_time() - cpu0) / args.requests
        gc.callbacks.remove(on_gc)
        print(
            f"page p50 {statistics.median(hop) * 1e3:.2f} ms with thread hops, "
            f"{statistics.median(flat) * 1e3:.2f} ms inline, CPU {cpu * 1e3:.2f} ms per page inline "
            f"({args.query} page, {args.requests} requests, pool of {pool['waiting']:,}, load average {os.getloadavg()[0]:.2f})"
        )
        print(
            f"GC {sum(gc_time) / args.requests * 1e3:.2f} ms per page (generation 0/1/2: "
            + " / ".join(f"{n} runs {t * 1e3:.0f} ms" for n, t in zip(gc_runs, gc_time, strict=True))
            + f"; {len(gc.get_objects())} tracked objects, {gc.get_freeze_count()} frozen)"
        )
        if not args.top and not args.out:
            return
        prof = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        prof.enable()
        await pages(args.requests)
        prof.disable()
        if args.out:
            prof.dump_stats(args.out)
        for key in ("cumulative", "tottime"):
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats(key).print_stats(args.top)
            print(s.getvalue())

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
