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
import dataclasses
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
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


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
    return {
        "machine": platform.node(),
        "arch": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "textual": getattr(textual, "__version__", "?"),
        "load_avg": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


# -- data ---------------------------------------------------------------------------------------------


def db_url(pool: int) -> str:
    (HERE / "data").mkdir(exist_ok=True)
    return f"sqlite:///{HERE / 'data' / f'tui-pool-{pool}.sqlite3'}"


def ensure_pool(url: str, pool_size: int) -> float | None:
    """Seed the world and N open message threads in one pool of the demo physician; once."""
    import sqlalchemy as sa

    from helsami_portal.fhir import conventions as c, timeutil
    from helsami_portal.seed import load, seed
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.schema import account, resource, task
    from helsami_portal.store.store import Store
    from helsami_portal.synth import texts

    store = Store(make_engine(url))
    store.create_schema()
    with store.read() as tx:
        have = tx.conn.execute(
            sa.select(sa.func.count()).select_from(task).where(task.c.id.like("bench-task-%"))
        ).scalar_one()
    if have >= pool_size:
        return None
    if have:
        store.drop_schema()
        store.create_schema()
    started = time.perf_counter()
    seed(store, patients=2000, tasks=200)
    with store.read() as tx:
        lege = tx.conn.execute(sa.select(account.c.resource).where(account.c.username == "lege")).scalar_one()
        roles = [
            json.loads(r)
            for r in tx.conn.execute(
                sa.select(resource.c.content).where(resource.c.rtype == "PractitionerRole")
            ).scalars()
        ]
        pool_ids = [
            s["reference"].split("/", 1)[1]
            for r in roles
            if r.get("practitioner", {}).get("reference") == lege
            for s in r.get("healthcareService", [])
        ]
        services = {
            r["id"]: r
            for r in (
                json.loads(x)
                for x in tx.conn.execute(
                    sa.select(resource.c.content).where(resource.c.rtype == "HealthcareService")
                ).scalars()
            )
        }
        patients = (
            tx.conn.execute(sa.select(resource.c.id).where(resource.c.rtype == "Patient").order_by(resource.c.id))
            .scalars()
            .all()
        )
    svc = services[pool_ids[0]]
    svc_ref = {"reference": f"HealthcareService/{svc['id']}", "display": svc.get("name", "")}
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    topics = [t for t in texts.TOPICS if t.get("family") == "gp"] or list(texts.TOPICS)

    def resources() -> Any:
        for i in range(pool_size):
            pid = patients[i % len(patients)]
            topic = topics[i % len(topics)]
            when = timeutil.instant(now - dt.timedelta(seconds=rng.uniform(60, 30 * 86400)))
            header_id, msg_id = f"bench-thread-{i:07d}", f"bench-msg-{i:07d}"
            yield {
                "resourceType": "Communication",
                "id": header_id,
                "status": "in-progress",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
                "subject": {"reference": f"Patient/{pid}"},
                "topic": {"text": topic["subject"]},
                "recipient": [svc_ref],
                "sent": when,
            }
            yield {
                "resourceType": "Communication",
                "id": msg_id,
                "status": "completed",
                "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "patient-message"}]}],
                "partOf": [{"reference": f"Communication/{header_id}"}],
                "subject": {"reference": f"Patient/{pid}"},
                "sender": {"reference": f"Patient/{pid}"},
                "recipient": [svc_ref],
                "sent": when,
                "medium": [{"coding": [{"system": c.MEDIUM_SYSTEM, "code": c.MEDIUM_PORTAL}]}],
                "payload": [{"contentString": rng.choice(topic["patient"])}],
            }
            yield {
                "resourceType": "Task",
                "id": f"bench-task-{i:07d}",
                "status": c.STATUS_WAITING,
                "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}], "text": "new"},
                "intent": "order",
                "priority": "urgent" if rng.random() < 0.05 else "routine",
                "code": {"coding": [{"system": c.TASK_TYPE, "code": "message"}]},
                "description": topic["subject"][:200],
                "focus": {"reference": f"Communication/{header_id}"},
                "for": {"reference": f"Patient/{pid}"},
                "authoredOn": when,
                "lastModified": when,
                "owner": dict(svc_ref),
                "extension": [{"url": c.EXT_TASK_POOL, "valueReference": dict(svc_ref)}],
            }

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


def frame_bytes(app: Any, update: Any) -> int:
    """The bytes Textual's Linux driver writes for one frame (App._display): the update's
    segments and the cursor move after them (the synchronized-output brackets, 16 bytes, aside)."""
    from rich.control import Control
    from textual._compositor import CompositorUpdate

    if not isinstance(update, CompositorUpdate):
        return 0
    text = update.render_segments(app.console)
    text += Control.move_to(*app.screen.outer_size.clamp_offset(app.cursor_position)).segment.text
    return len(text.encode("utf-8"))


async def measure_app(base_url: str, moves: int, pages: int, scroll: int) -> dict[str, Any]:
    t_import = time.perf_counter()
    from helsami_tui.app import HelsamiApp
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import TokenSession, demo_login
    from helsami_tui.config import Settings
    from helsami_tui.i18n import set_language
    from helsami_tui.screens.inbox import InboxScreen
    from helsami_tui.widgets.virtual_list import VirtualList

    import_s = time.perf_counter() - t_import

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

        frames: list[tuple[float, int]] = []  # (when, bytes) of every frame handed to the driver
        from textual.app import App

        display = App._display  # what reaches Textual's own writer, after anything the app does

        def timed_display(self_: Any, screen_: Any, renderable: Any) -> None:
            display(self_, screen_, renderable)
            if renderable is not None and not self_._batch_count:
                frames.append((time.perf_counter(), frame_bytes(app, renderable)))

        App._display = timed_display  # type: ignore[method-assign]

        async def timed(key: str, n: int, settle: float = 0.0) -> list[dict[str, Any]]:
            """Per press: first frame, last frame, frames, bytes, whether the list scrolled."""
            out = []
            for _ in range(n):
                render_time[0] = 0.0
                frames.clear()
                top = lst.scroll_offset.y
                c = time.process_time()
                t = time.perf_counter()
                await pilot.press(key)
                while not frames and time.perf_counter() - t < 1.0:  # a key that changes nothing writes nothing
                    await asyncio.sleep(0.0005)
                cpu = time.process_time() - c
                await pilot.pause()
                if settle:  # a bench may wait: every frame this key caused is in by then
                    await asyncio.sleep(max(0.0, t + settle - time.perf_counter()))
                if not frames:
                    continue
                out.append(
                    {
                        "first": frames[0][0] - t,
                        "last": frames[-1][0] - t,
                        "frames": len(frames),
                        "bytes": sum(b for _, b in frames),
                        "render": render_time[0],
                        "cpu": cpu,
                        "scrolled": lst.scroll_offset.y - top,
                    }
                )
            return out

        # Cursor moves within the screen (no scroll), then one-line scrolls past its bottom.
        rows_on_screen = lst._page_rows
        moved: list[dict[str, Any]] = []
        while len(moved) < moves:
            await timed("home", 1, 0.05)
            moved += await timed("down", min(rows_on_screen - 2, moves - len(moved)), 0.05)
        await timed("home", 1, 0.05)
        await timed("down", rows_on_screen - 1, 0.05)  # the cursor on the last row on screen
        scrolled = await timed("down", moves, 0.05)
        assert not any(r["scrolled"] for r in moved) and all(r["scrolled"] == 1 for r in scrolled), "layout changed?"
        page = await timed("pagedown", pages, 0.05)
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
        return {
            "mean_ms": statistics.mean(v) * 1e3,
            "median_ms": statistics.median(v) * 1e3,
            "p99_ms": pct(v, 99) * 1e3,
            "max_ms": max(v) * 1e3,
        }

    def keyset(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "n": len(rows),
            **stats([r["first"] for r in rows]),
            "finished": stats([r["last"] for r in rows]),
            "frames_mean": statistics.mean(r["frames"] for r in rows),
            "frames_max": max(r["frames"] for r in rows),
            "bytes_median": statistics.median(r["bytes"] for r in rows),
            "bytes_max": max(r["bytes"] for r in rows),
            "render": stats([r["render"] for r in rows]),
            "cpu": stats([r["cpu"] for r in rows]),
        }

    return {
        "import_s": import_s,
        "pool_total": pool_total,
        "start_to_first_row_s": first_row,
        "start_to_first_row_painted_s": painted,
        "cursor_down": keyset(moved),
        "cursor_down_list_render": stats([r["render"] for r in moved]),
        "cursor_down_cpu": stats([r["cpu"] for r in moved]),
        "scroll_line": keyset(scrolled),
        "page_down": keyset(page),
        "page_down_list_render": stats([r["render"] for r in page]),
        "page_down_cpu": stats([r["cpu"] for r in page]),
        "rss_start_mib": mem_before["VmRSS"] / 1024,
        "rss_first_row_mib": mem_first["VmRSS"] / 1024,
        "rss_after_scroll_mib": mem_scrolled["VmRSS"] / 1024,
        "rss_peak_mib": mem_scrolled["VmHWM"] / 1024,
        "scrolled_to_row": cursor + 1,
        "items_held": loaded,
    }


# -- the same app on a real terminal (a pty), and neomutt beside it --------------------------------

PTY_MOVES_FROM, PTY_MOVES_TO = 3, 28  # presses that move the cursor within the first screen (40 rows)
PTY_SCROLL_FROM = 45  # from here on every press scrolls the list by one line


def pty_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELSAMI_", "TEXTUAL", "XDG_", "TMUX"))}
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".data"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".state"),
            "HELSAMI_LANG": "en",
            "HELSAMI_IDLE_LOCK_MINUTES": "0",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "xterm-256color",
        }
    )
    return env


def pty_app_main(url: str, tokens_file: str) -> int:
    """The app as `helsami-tui` runs it (real Linux driver), with tokens handed over in a file (the
    keyring look-up of the real command is left out)."""
    from helsami_tui.app import HelsamiApp
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import Tokens, TokenSession
    from helsami_tui.config import load

    tokens = Tokens(**json.loads(Path(tokens_file).read_text()))
    settings = load()
    settings.portal = url
    app = HelsamiApp(PortalClient(url, TokenSession(url, tokens)), settings, demo_user="lege")
    if os.environ.get("BENCH_TRACE_FILE"):
        trace_keys(app, Path(os.environ["BENCH_TRACE_FILE"]), float(os.environ.get("BENCH_TRACE_MS", "33")))
    app.run()
    return app.return_code or 0


def trace_keys(app: Any, out: Path, slow_ms: float) -> None:
    """`--trace`: in the pty app's process, every garbage collection over 2 ms (generation, ms,
    objects collected), and for a key whose first frame came more than `slow_ms` after it, the
    profile of what ran in between (cProfile, on for every key: the times are inflated, read the
    shares). Written to `out`, printed by the bench after the run."""
    import cProfile
    import gc
    import io
    import pstats

    from textual import events

    log = out.open("w", buffering=1)
    gc_start = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_start[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - gc_start[0]) * 1e3
        if ms > 2 or info["generation"] == 2:
            log.write(
                f"gc gen {info['generation']}: {ms:.1f} ms, {info['collected']} collected, at {time.perf_counter():.3f}\n"
            )

    gc.callbacks.append(on_gc)
    state: dict[str, Any] = {"profile": None, "key": 0.0}
    cls = type(app)
    on_event, display = cls.on_event, cls._display

    async def traced_on_event(self: Any, event: Any) -> None:
        if isinstance(event, events.Key) and state["profile"] is None:
            state["key"] = time.perf_counter()
            state["profile"] = cProfile.Profile()
            state["profile"].enable()
        await on_event(self, event)

    def traced_display(self: Any, screen: Any, renderable: Any) -> None:
        display(self, screen, renderable)
        prof = state["profile"]
        if prof is not None and renderable is not None:
            prof.disable()
            state["profile"] = None
            ms = (time.perf_counter() - state["key"]) * 1e3
            if ms > slow_ms:
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
                log.write(f"slow key: {ms:.1f} ms to its first frame, at {time.perf_counter():.3f}\n{buf.getvalue()}\n")

    cls.on_event, cls._display = traced_on_event, traced_display


def drive(program: Any, first: bytes, down: bytes, moves: int, home: bytes | None = None) -> dict[str, Any]:
    """Start -> first row, then bytes and key -> last byte for moves and one-line scrolls."""
    from ptyrun import Burst

    first_row = program.wait_for(first, timeout=120)
    program.settle(0.5)
    if home:
        program.key(home)
        program.settle(0.3)
    bursts: list[tuple[int, Burst]] = []
    press = 0
    while press < PTY_SCROLL_FROM + moves:
        press += 1
        b = program.key(down)
        if PTY_MOVES_FROM <= press <= PTY_MOVES_TO or press > PTY_SCROLL_FROM:
            bursts.append((press, b))
    moved = [b for p, b in bursts if p <= PTY_MOVES_TO]
    scrolled = [b for p, b in bursts if p > PTY_SCROLL_FROM]

    def summary(v: list[Burst]) -> dict[str, Any]:
        secs = [b.seconds for b in v]
        return {
            "n": len(v),
            "median_ms": statistics.median(secs) * 1e3,
            "p99_ms": pct(secs, 99) * 1e3,
            "bytes_median": statistics.median(b.nbytes for b in v),
            "bytes_max": max(b.nbytes for b in v),
        }

    return {"start_to_first_row_s": first_row, "cursor_down": summary(moved), "scroll_line": summary(scrolled)}


def measure_pty_app(base_url: str, moves: int, trace_ms: float | None = None) -> dict[str, Any]:
    import tempfile

    from ptyrun import PtyProgram

    from helsami_tui.client.auth import demo_login

    tokens = asyncio.run(demo_login(base_url, "lege"))
    with tempfile.TemporaryDirectory() as home:
        tok = Path(home) / "tokens.json"
        tok.write_text(json.dumps(dataclasses.asdict(tokens)))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--pty-app", base_url, str(tok)]
        env = pty_env(Path(home))
        trace = Path(home) / "trace.txt"
        if trace_ms is not None:
            env.update({"BENCH_TRACE_FILE": str(trace), "BENCH_TRACE_MS": str(trace_ms)})
        with PtyProgram(cmd, env, cols=SIZE[0], rows=SIZE[1], cwd=str(HERE.parent)) as p:
            out = drive(p, rb"\b1 of [0-9]", b"\x1b[B", moves)
        if trace_ms is not None and trace.exists():
            print(trace.read_text(), file=sys.stderr, flush=True)
        return out


def ensure_maildir(n: int) -> Path:
    """A maildir of n read messages like the pool's (patient, subject, a day in the last 30)."""
    root = HERE / "data" / f"maildir-{n}"
    done = root / ".complete"
    if done.exists():
        return root
    for d in ("cur", "new", "tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    now = time.time()
    for i in range(n):
        when = now - rng.uniform(60, 30 * 86400)
        date = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        (root / "cur" / f"{int(when)}.{i}.bench:2,S").write_text(
            f"From: Pasient {i % 2000} <p{i % 2000}@example.no>\nTo: lege@example.no\n"
            f"Subject: Spørsmål om resept {i}\nDate: {date}\nMessage-ID: <{i}@bench.example>\n\nHei, lege.\n"
        )
    done.write_text("")
    return root


def measure_neomutt(n: int, moves: int) -> dict[str, Any] | None:
    import shutil
    import tempfile

    from ptyrun import PtyProgram

    exe = shutil.which("neomutt")
    if exe is None:
        return None
    maildir = ensure_maildir(n)
    cache = HERE / "data" / f"neomutt-hcache-{n}"
    with tempfile.TemporaryDirectory() as home:
        rc = Path(home) / "muttrc"
        rc.write_text(
            f"set mbox_type=Maildir\nset folder={maildir}\nset spoolfile={maildir}\n"
            f"set header_cache={cache}\nset sort=reverse-date\nset menu_scroll=yes\n"
            "set mail_check_stats=no\nset help=yes\n"
        )
        env = pty_env(Path(home))
        cmd = [exe, "-n", "-F", str(rc), "-f", str(maildir)]
        with PtyProgram(cmd, env, cols=SIZE[0], rows=SIZE[1]) as p:  # warms the header cache
            p.wait_for(rb"Msgs:", timeout=600)
        with PtyProgram(cmd, env, cols=SIZE[0], rows=SIZE[1]) as p:  # warm start, as measured
            out = drive(p, rb"Msgs:", b"j", moves, home=b"=")
    version = subprocess.run([exe, "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    return {"version": version, "messages": n, **out}


def child(
    url: str, moves: int, pages: int, scroll: int, *, pty_only: bool = False, trace_ms: float | None = None
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=_portal_main, args=(url, child_conn), daemon=True)
    proc.start()
    try:
        base_url = parent_conn.recv()
        result = {} if pty_only else asyncio.run(measure_app(base_url, moves, pages, scroll))
        try:
            result["pty"] = measure_pty_app(base_url, moves, trace_ms)
        except Exception as e:  # noqa: BLE001 - reported beside the other figures
            result["pty"] = {"error": f"{type(e).__name__}: {e}"}
        return result
    finally:
        parent_conn.send("stop")
        proc.join(timeout=15)
        if proc.is_alive():
            proc.kill()


def ensure_bytecode() -> None:
    """Compile the app's modules once, as an installed app has them (pip compiles a wheel's modules
    when it installs it). From a source checkout with PYTHONDONTWRITEBYTECODE set (as on the
    development VM) every start compiled them again, and that was counted as start-up."""
    import compileall

    compileall.compile_dir(str(HERE.parent / "src"), quiet=1, force=False)


def run(
    pool: int,
    *,
    moves: int = 200,
    pages: int = 40,
    scroll: int = 5000,
    pty_only: bool = False,
    trace_ms: float | None = None,
) -> dict[str, Any]:
    """Seed (once) and measure one pool size in a fresh process; returns the figures."""
    ensure_bytecode()
    url = db_url(pool)
    took = ensure_pool(url, pool)
    if took is not None:
        print(f"  seeded a pool of {pool:,} items in {took:.0f} s", file=sys.stderr, flush=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        url,
        "--moves",
        str(moves),
        "--pages",
        str(pages),
        "--scroll",
        str(scroll),
        *(["--pty-only"] if pty_only else []),
        *(["--trace", str(trace_ms)] if trace_ms is not None else []),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{out.stderr[-4000:]}")
    if trace_ms is not None:
        print(out.stderr, file=sys.stderr, flush=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if pty_only:
        return {"pool": pool, "seed_seconds": took, **result}
    try:
        anchor = measure_neomutt(pool, moves)
    except Exception as e:  # noqa: BLE001 - reported beside the other figures
        anchor = {"error": f"{type(e).__name__}: {e}"}
    return {"pool": pool, "seed_seconds": took, **result, "neomutt": anchor}


def print_pty_line(results: list[dict[str, Any]]) -> None:
    """`--pty-only`: one line per pool (app on a pty): start, cursor and scroll p50/p99, bytes."""
    for r in results:
        pty = r.get("pty") or {}
        if "error" in pty:
            print(f"pool {r['pool']:,}: pty run failed: {pty['error']}")
            continue
        d, s_ = pty["cursor_down"], pty["scroll_line"]
        print(
            f"pty pool {r['pool']:,}: start {pty['start_to_first_row_s']:.2f} s; "
            f"cursor p50 {d['median_ms']:.1f} p99 {d['p99_ms']:.1f} ms, {d['bytes_median']:,.0f} B; "
            f"scroll p50 {s_['median_ms']:.1f} p99 {s_['p99_ms']:.1f} ms, {s_['bytes_median']:,.0f} B",
            flush=True,
        )


def print_table(results: list[dict[str, Any]], indent: str = "") -> None:
    """The terminal app's figures beside neomutt's, with the goals of issue 15."""

    def f(d: dict[str, Any] | None, key: str, fmt: str) -> str:
        if not d or "error" in d or key not in d:
            return "-"
        return format(d[key], fmt)

    for r in results:
        if "error" in r:
            print(f"{indent}pool {r['pool']:,}: failed: {r['error']}")
            continue
        d, s_, pty, nm = r["cursor_down"], r["scroll_line"], r.get("pty") or {}, r.get("neomutt")
        print(f"{indent}pool of {r['pool_total']:,} items, {SIZE[0]}x{SIZE[1]}")
        print(f"{indent}  {'figure':<44} {'app, headless':>14} {'app, pty':>10} {'neomutt':>10} {'goal':>10}")
        rows = [
            (
                "start → first row (s)",
                f"{r['start_to_first_row_s'] + r.get('import_s', 0):.2f}",
                f(pty, "start_to_first_row_s", ".2f"),
                f(nm, "start_to_first_row_s", ".2f"),
                "≤ 0.5",
            ),
            ("  of which imports (s)", f"{r.get('import_s', 0):.2f}", "", "", ""),
            (
                "cursor down: key → screen finished p50 (ms)",
                f"{d['finished']['median_ms']:.1f}",
                f(pty.get("cursor_down"), "median_ms", ".1f"),
                f((nm or {}).get("cursor_down"), "median_ms", ".1f"),
                "≤ 16",
            ),
            (
                "cursor down: key → screen finished p99 (ms)",
                f"{d['finished']['p99_ms']:.1f}",
                f(pty.get("cursor_down"), "p99_ms", ".1f"),
                f((nm or {}).get("cursor_down"), "p99_ms", ".1f"),
                "≤ 33",
            ),
            ("cursor down: frames per key, mean / max", f"{d['frames_mean']:.2f} / {d['frames_max']}", "", "", "1"),
            (
                "bytes per cursor move (median)",
                f"{d['bytes_median']:,.0f}",
                f(pty.get("cursor_down"), "bytes_median", ",.0f"),
                f((nm or {}).get("cursor_down"), "bytes_median", ",.0f"),
                "≤ 700",
            ),
            (
                "one-line scroll: key → finished p50 / p99 (ms)",
                f"{s_['finished']['median_ms']:.1f} / {s_['finished']['p99_ms']:.1f}",
                f"{f(pty.get('scroll_line'), 'median_ms', '.1f')} / {f(pty.get('scroll_line'), 'p99_ms', '.1f')}",
                f"{f((nm or {}).get('scroll_line'), 'median_ms', '.1f')} / {f((nm or {}).get('scroll_line'), 'p99_ms', '.1f')}",
                "",
            ),
            (
                "bytes per one-line scroll (median)",
                f"{s_['bytes_median']:,.0f}",
                f(pty.get("scroll_line"), "bytes_median", ",.0f"),
                f((nm or {}).get("scroll_line"), "bytes_median", ",.0f"),
                "≤ 3,000",
            ),
            (
                "list render per move, mean / p99 (ms)",
                f"{r['cursor_down_list_render']['mean_ms']:.2f} / {r['cursor_down_list_render']['p99_ms']:.2f}",
                "",
                "",
                "",
            ),
            (
                "page down: key → finished p50 / p99 (ms)",
                f"{r['page_down']['finished']['median_ms']:.1f} / {r['page_down']['finished']['p99_ms']:.1f}",
                "",
                "",
                "",
            ),
            (
                "RSS first row / after scroll / peak (MiB)",
                f"{r['rss_first_row_mib']:.0f}/{r['rss_after_scroll_mib']:.0f}/{r['rss_peak_mib']:.0f}",
                "",
                "",
                "",
            ),
        ]
        for name, *cells in rows:
            print(f"{indent}  {name:<44} {cells[0]:>14} {cells[1]:>10} {cells[2]:>10} {cells[3]:>10}")
        if nm is None:
            print(f"{indent}  neomutt: not installed (apt-get install neomutt), its anchors are missing")
        elif "error" in nm:
            print(f"{indent}  neomutt: failed: {nm['error']}")
        else:
            print(f"{indent}  neomutt: {nm['version']}, a maildir of {nm['messages']:,} messages, warm header cache")
        if "error" in pty:
            print(f"{indent}  pty run failed: {pty['error']}")
        print(f"{indent}  scrolled to row {r['scrolled_to_row']:,}, {r['items_held']:,} items held", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=int, action="append", help="pool sizes (repeatable); default 10000 and 100000")
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--scroll", type=int, default=5000)
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--pty-only",
        action="store_true",
        help="only the app on a pty (no headless run, no neomutt): one line per pool, for paired runs",
    )
    ap.add_argument(
        "--trace",
        type=float,
        nargs="?",
        const=33.0,
        metavar="MS",
        help="print the pty app's garbage collections and the profile of each key slower than MS (default 33) "
        "to its first frame (profiling slows every key: use for where the time goes, not for the figures)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--pty-app", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.pty_app:
        return pty_app_main(*args.pty_app)
    if args.child:
        result = child(args.child, args.moves, args.pages, args.scroll, pty_only=args.pty_only, trace_ms=args.trace)
        print(json.dumps(result))
        return 0
    cond = conditions()
    print(
        f"machine: {cond['machine']} {cond['arch']} ({cond['cpu']}), {cond['cores']} cores, load {cond['load_avg']:.1f}, "
        f"Python {cond['python']}, Textual {cond['textual']}, terminal {SIZE[0]}x{SIZE[1]} (headless)"
    )
    results = [
        run(n, moves=args.moves, pages=args.pages, scroll=args.scroll, pty_only=args.pty_only, trace_ms=args.trace)
        for n in (args.pool or [10_000, 100_000])
    ]
    if args.pty_only:
        print_pty_line(results)
    else:
        print_table(results)
    if args.json:
        args.json.write_text(json.dumps({"conditions": cond, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
