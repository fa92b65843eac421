"""Terminal app benchmark: start to first row, time per cursor move, and memory, for one shared
inbox (pool) of 100,000 open items.

    python bench/tui.py [--pool 100000] [--pool 10000] [--moves 200] [--pages 40] [--scroll 5000] [--json F]

Data (bench only, kept under bench/data/ between runs): a small synthetic world from
`helsami_portal.seed.seed` (staff, demo sign-ins, pools, patients), plus N patient message threads
bulk-loaded with `helsami_portal.seed.load` into one pool of the demo physician ("lege"): each a
real thread header Communication, one patient message Communication and a Task shaped exactly
as the portal's own `POST /patient/threads` makes it (status requested, owner and pool the
HealthcareService, focus the thread, for the patient), spread over 30 days, some urgent.

Each pool size is measured in a fresh Python process (so memory figures compare), with the
portal in another process (so its memory and CPU are not counted as the app's). The real
`HelsamiApp` runs headless in-process with `App.run_test(size=(120, 40))`, signed in as "lege",
and opens in the fullest pool (the bench pool). Figures:

* start to first row: from entering `run_test` (app start) until the inbox's VirtualList has
  rows and its first row is loaded, and then until the next frame was processed (painted);
* cursor move, key to frame: from `pilot.press("down")` until the app hands the next frame to
  its (headless) driver, mean and p99 over `--moves` presses. This includes Textual's frame
  scheduling (it batches refreshes, up to 60 per second) and the pilot's own bookkeeping, so it
  is an upper bound on what a user waits; the time spent in the list's own `render_lines` per
  move (what the list costs in a frame) and the process CPU time per move are shown beside it;
* page down: the same for `--pages` page-downs;
* memory: RSS (VmRSS) of the app process after the first row and after scrolling `--scroll`
  rows down the pool, and its peak (VmHWM). The app pages: what it holds grows with the rows
  visited, not with the pool's size, so the 10,000 and 100,000 pools should match.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZE = (120, 40)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def conditions() -> dict[str, Any]:
    import textual
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"machine": platform.node(), "arch": platform.machine(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "textual": getattr(textual, "__version__", "?"),
            "load_avg": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


# -- data ---------------------------------------------------------------------------------------------

def db_url(pool: int) -> str:
    (HERE / "data").mkdir(exist_ok=True)
    return f"sqlite:///{HERE / 'data' / f'tui-pool-{pool}.sqlite3'}"


def ensure_pool(url: str, pool_size: int) -> float | None:
    """Seed the world and N open message threads in one pool of the demo physician; once."""
    import sqlalchemy as sa

    from helsami_portal.fhir import conventions as c
    from helsami_portal.fhir import timeutil
    from helsami_portal.seed import load, seed
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.schema import account, resource, task
    from helsami_portal.store.store import Store
    from helsami_portal.synth import texts

    store = Store(make_engine(url))
    store.create_schema()
    with store.read() as tx:
        have = tx.conn.execute(sa.select(sa.func.count()).select_from(task).where(
            task.c.id.like("bench-task-%"))).scalar_one()
    if have >= pool_size:
        return None
    if have:
        store.drop_schema()
        store.create_schema()
    started = time.perf_counter()
    seed(store, patients=2000, tasks=200)
    with store.read() as tx:
        lege = tx.conn.execute(sa.select(account.c.resource).where(account.c.username == "lege")).scalar_one()
        roles = [json.loads(r) for r in tx.conn.execute(
            sa.select(resource.c.content).where(resource.c.rtype == "PractitionerRole")).scalars()]
        pool_ids = [s["reference"].split("/", 1)[1] for r in roles
                    if r.get("practitioner", {}).get("reference") == lege for s in r.get("healthcareService", [])]
        services = {r["id"]: r for r in (json.loads(x) for x in tx.conn.execute(
            sa.select(resource.c.content).where(resource.c.rtype == "HealthcareService")).scalars())}
        patients = tx.conn.execute(sa.select(resource.c.id).where(resource.c.rtype == "Patient")
                                   .order_by(resource.c.id)).scalars().all()
    svc = services[pool_ids[0]]
    svc_ref = {"reference": f"HealthcareService/{svc['id']}", "display": svc.get("name", "")}
    rng = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc)
    topics = [t for t in texts.TOPICS if t.get("family") == "gp"] or list(texts.TOPICS)

    def resources() -> Any:
        for i in range(pool_size):
            pid = patients[i % len(patients)]
            topic = topics[i % len(topics)]
            when = timeutil.instant(now - dt.timedelta(seconds=rng.uniform(60, 30 * 86400)))
            header_id, msg_id = f"bench-thread-{i:07d}", f"bench-msg-{i:07d}"
            yield {"resourceType": "Communication", "id": header_id, "status": "in-progress",
                   "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
                   "subject": {"reference": f"Patient/{pid}"}, "topic": {"text": topic["subject"]},
                   "recipient": [svc_ref], "sent": when}
            yield {"resourceType": "Communication", "id": msg_id, "status": "completed",
                   "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "patient-message"}]}],
                   "partOf": [{"reference": f"Communication/{header_id}"}],
                   "subject": {"reference": f"Patient/{pid}"}, "sender": {"reference": f"Patient/{pid}"},
                   "recipient": [svc_ref], "sent": when,
                   "medium": [{"coding": [{"system": c.MEDIUM_SYSTEM, "code": c.MEDIUM_PORTAL}]}],
                   "payload": [{"contentString": rng.choice(topic["patient"])}]}
            yield {"resourceType": "Task", "id": f"bench-task-{i:07d}", "status": c.STATUS_WAITING,
                   "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}], "text": "new"},
                   "intent": "order", "priority": "urgent" if rng.random() < 0.05 else "routine",
                   "code": {"coding": [{"system": c.TASK_TYPE, "code": "message"}]},
                   "description": topic["subject"][:200], "focus": {"reference": f"Communication/{header_id}"},
                   "for": {"reference": f"Patient/{pid}"}, "authoredOn": when, "lastModified": when,
                   "owner": dict(svc_ref), "extension": [{"url": c.EXT_TASK_POOL, "valueReference": dict(svc_ref)}]}

    load(store, resources(), progress=lambda m: print(f"  loading: {m}", file=sys.stderr, flush=True))
    store.engine.dispose()
    return time.perf_counter() - started


# -- the portal, in a process of its own -----------------------------------------------------------------

def _portal_main(url: str, conn: Any) -> None:
    from helsami_portal.embedded import EmbeddedPortal
    portal = EmbeddedPortal(url, demo=True, seed=False, run_jobs=False).start()
    conn.send(portal.base_url)
    conn.recv()  # until told to stop
    portal.stop()


# -- one measurement (a fresh process per pool size) -------------------------------------------------

def rss_kib() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1])
    return out


async def measure_app(base_url: str, moves: int, pages: int, scroll: int) -> dict[str, Any]:
    from helsami_tui.app import HelsamiApp
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import TokenSession, demo_login
    from helsami_tui.config import Settings
    from helsami_tui.i18n import set_language
    from helsami_tui.screens.inbox import InboxScreen
    from helsami_tui.widgets.virtual_list import VirtualList

    set_language("en")
    render_time = [0.0]
    original = VirtualList.render_lines

    def timed_render_lines(self: Any, crop: Any) -> Any:
        t = time.perf_counter()
        try:
            return original(self, crop)
        finally:
            render_time[0] += time.perf_counter() - t

    VirtualList.render_lines = timed_render_lines  # type: ignore[method-assign]
    tokens = await demo_login(base_url, "lege")
    client = PortalClient(base_url, TokenSession(base_url, tokens))
    app = HelsamiApp(client, Settings(portal=base_url, idle_lock_minutes=0), demo_user="lege")
    mem_before = rss_kib()
    t0 = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 60
        while True:
            screen = app.screen
            if isinstance(screen, InboxScreen) and screen.source is not None and screen.source.item(0) is not None:
                lst = screen.query_one(VirtualList)
                if lst.row_count > 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("no rows within 60 s")
            await asyncio.sleep(0.001)
        first_row = time.perf_counter() - t0
        await pilot.pause()
        painted = time.perf_counter() - t0
        assert isinstance(screen, InboxScreen) and screen.source is not None
        pool_total = len(screen.source)
        mem_first = rss_kib()
        lst = screen.query_one(VirtualList)

        frames: list[float] = []
        display = app._display

        def timed_display(screen_: Any, renderable: Any) -> None:
            display(screen_, renderable)
            frames.append(time.perf_counter())

        app._display = timed_display  # type: ignore[method-assign]

        async def timed(key: str, n: int) -> tuple[list[float], list[float], list[float]]:
            to_frame, renders, cpu = [], [], []
            for _ in range(n):
                render_time[0] = 0.0
                frames.clear()
                c = time.process_time()
                t = time.perf_counter()
                await pilot.press(key)
                while not frames:
                    await asyncio.sleep(0.0005)
                to_frame.append(frames[0] - t)
                cpu.append(time.process_time() - c)
                await pilot.pause()
                renders.append(render_time[0])
            return to_frame, renders, cpu

        await timed("down", 5)  # warm up
        down_frame, down_render, down_cpu = await timed("down", moves)
        page_frame, page_render, page_cpu = await timed("pagedown", pages)
        # Scroll on to `scroll` rows down the pool, letting pages arrive as they are wanted.
        deadline = time.monotonic() + 120
        while lst.cursor_index < scroll - 1 and time.monotonic() < deadline:
            await pilot.press("pagedown")
            if screen.source.loading:
                await pilot.pause(0.01)
        await pilot.pause(0.2)
        mem_scrolled = rss_kib()
        loaded = len(screen.source.items)
        cursor = lst.cursor_index
    VirtualList.render_lines = original  # type: ignore[method-assign]

    def stats(v: list[float]) -> dict[str, float]:
        return {"mean_ms": statistics.mean(v) * 1e3, "p99_ms": pct(v, 99) * 1e3, "max_ms": max(v) * 1e3}

    return {
        "pool_total": pool_total,
        "start_to_first_row_s": first_row,
        "start_to_first_row_painted_s": painted,
        "cursor_down": {"n": moves, **stats(down_frame)},
        "cursor_down_list_render": stats(down_render),
        "cursor_down_cpu": stats(down_cpu),
        "page_down": {"n": pages, **stats(page_frame)},
        "page_down_list_render": stats(page_render),
        "page_down_cpu": stats(page_cpu),
        "rss_start_mib": mem_before["VmRSS"] / 1024,
        "rss_first_row_mib": mem_first["VmRSS"] / 1024,
        "rss_after_scroll_mib": mem_scrolled["VmRSS"] / 1024,
        "rss_peak_mib": mem_scrolled["VmHWM"] / 1024,
        "scrolled_to_row": cursor + 1,
        "items_held": loaded,
    }


def child(url: str, moves: int, pages: int, scroll: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=_portal_main, args=(url, child_conn), daemon=True)
    proc.start()
    try:
        base_url = parent_conn.recv()
        return asyncio.run(measure_app(base_url, moves, pages, scroll))
    finally:
        parent_conn.send("stop")
        proc.join(timeout=15)
        if proc.is_alive():
            proc.kill()


def run(pool: int, *, moves: int = 200, pages: int = 40, scroll: int = 5000) -> dict[str, Any]:
    """Seed (once) and measure one pool size in a fresh process; returns the figures."""
    url = db_url(pool)
    took = ensure_pool(url, pool)
    if took is not None:
        print(f"  seeded a pool of {pool:,} items in {took:.0f} s", file=sys.stderr, flush=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", url, "--moves", str(moves),
           "--pages", str(pages), "--scroll", str(scroll)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"pool": pool, "seed_seconds": took, **result}


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"{'pool':>8} {'first row s':>11} {'painted s':>9}  {'down mean/p99 ms':>17}  {'list render/move ms':>19}  "
          f"{'pgdn mean/p99 ms':>16}  {'RSS first/after/peak MiB':>25}  {'rows held':>9}")
    for r in results:
        d, dr, p = r["cursor_down"], r["cursor_down_list_render"], r["page_down"]
        print(f"{r['pool_total']:>8,} {r['start_to_first_row_s']:>11.3f} {r['start_to_first_row_painted_s']:>9.3f}  "
              f"{d['mean_ms']:>7.1f} / {d['p99_ms']:>7.1f}  {dr['mean_ms']:>8.2f} / {dr['p99_ms']:>7.2f}  "
              f"{p['mean_ms']:>6.1f} / {p['p99_ms']:>7.1f}  {r['rss_first_row_mib']:>7.0f} / "
              f"{r['rss_after_scroll_mib']:>5.0f} / {r['rss_peak_mib']:>5.0f}  {r['items_held']:>9,}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=int, action="append", help="pool sizes (repeatable); default 10000 and 100000")
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--scroll", type=int, default=5000)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.moves, args.pages, args.scroll)))
        return 0
    cond = conditions()
    print(f"machine: {cond['machine']} {cond['arch']} ({cond['cpu']}), {cond['cores']} cores, load {cond['load_avg']:.1f}, "
          f"Python {cond['python']}, Textual {cond['textual']}, terminal {SIZE[0]}x{SIZE[1]} (headless)")
    results = [run(n, moves=args.moves, pages=args.pages, scroll=args.scroll) for n in (args.pool or [10_000, 100_000])]
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps({"conditions": cond, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
