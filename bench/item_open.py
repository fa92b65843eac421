"""Item open alone, many times: the key to the filled screen, and the CPU it costs the app and the portal.

    python bench/item_open.py [--rounds 60] [--profile app.prof]

As bench/clinic.py (its database, the demo world; the portal in a process of its own over real
HTTP; the real `HelsamiApp` headless at 120x40, signed in as the demo physician), but only the item
open, repeated: one new message thread is made through the patient API and found in the inbox, then
opened `--rounds` times (Enter, until banner, thread and context are filled; Escape back to the inbox).

Printed: done p50 / p95 (Enter until the screen is filled), the parts of it (Enter until the first
request leaves: the screen composed and mounted; the first request until the last answer: the
portal; the last answer until done: the app drawing), requests per open, and CPU per open of the
app's process and of the portal's process (from /proc), with the load average. `--profile` writes
the app process's profile of the opens (pstats; CPU time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clinic  # noqa: E402

import tui as tui_bench  # noqa: E402


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    base_url: str, portal_pid: int, rounds: int, profile: str | None, until_first: bool = False
) -> dict[str, Any]:
    import httpx

    from helsami_tui.app import HelsamiApp
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import TokenSession, demo_login
    from helsami_tui.config import Settings
    from helsami_tui.i18n import set_language
    from helsami_tui.screens.inbox import InboxScreen
    from helsami_tui.screens.item import ItemScreen

    prof = cProfile.Profile(time.process_time) if profile else None
    set_language("en")
    patients = clinic.Patients(base_url)
    tokens = await demo_login(base_url, "lege")
    sent: list[float] = []
    answers: list[float] = []

    async def on_request(request: Any) -> None:
        sent.append(time.perf_counter())
        if prof is not None and until_first:
            prof.disable()  # the profile of the key until the first request only

    async def on_response(response: Any) -> None:
        answers.append(time.perf_counter())

    http = httpx.AsyncClient(timeout=30, event_hooks={"request": [on_request], "response": [on_response]})
    client = PortalClient(base_url, TokenSession(base_url, tokens), http=http)
    app = HelsamiApp(client, Settings(portal=base_url, idle_lock_minutes=0, language="en"), demo_user="lege")
    out: dict[str, list[float]] = {"done": [], "to_first": [], "portal": [], "drawing": [], "requests": []}
    cpu_app = cpu_portal = 0.0
    async with app.run_test(size=clinic.SIZE) as pilot:
        await clinic.until(
            lambda: isinstance(app.screen, InboxScreen) and app.screen.source is not None and app.screen.source.started,
            "the inbox",
        )
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        word = f"bench{uuid.uuid4().hex[:8]}"
        await patients.thread(f"Question {word}", f"Can I take this with my other medicine? {word}")
        await pilot.press("slash", *word, "enter")
        await clinic.until(
            lambda: inbox.source is not None and len(inbox.source.items) == 1 and inbox.current_item() is not None,
            "the item found",
        )
        await pilot.pause()

        def loaded() -> bool:
            s = app.screen
            return (
                isinstance(s, ItemScreen) and s.patient is not None and s.thread is not None and s.clinical is not None
            )

        for i in range(rounds + 3):  # the first three warm up
            await pilot.pause()
            n = len(sent)
            c_app, c_portal = time.process_time(), proc_cpu(portal_pid)
            if prof is not None and i >= 3:
                prof.enable()
            t = time.perf_counter()
            await pilot.press("enter")
            done = await clinic.until(loaded, "item open")
            await clinic.until(lambda: not [w for w in app.screen.workers if not w.is_finished], "item drawn")
            if prof is not None:
                prof.disable()
            if i >= 3:
                cpu_app += time.process_time() - c_app
                cpu_portal += proc_cpu(portal_pid) - c_portal
                out["done"].append(done - t)
                out["to_first"].append(sent[n] - t)
                last = max(a for a in answers if a >= sent[n])
                out["portal"].append(last - sent[n])
                out["drawing"].append(done - last)
                out["requests"].append(len(sent) - n)
            await pilot.press("escape")
            await clinic.until(lambda: app.screen is inbox, "back in the inbox")
            # The inbox catches up on its return (its page, the counts): settled before the next open.
            await clinic.until(lambda: not [w for w in app.workers if not w.is_finished], "the inbox settled")
            await asyncio.sleep(0.05)
    await patients.aclose()
    if prof is not None and profile:
        prof.dump_stats(profile)
    return {
        "rounds": rounds,
        **{
            k: {"p50_ms": statistics.median(v) * 1e3, "p95_ms": tui_bench.pct(v, 95) * 1e3}
            for k, v in out.items()
            if k != "requests"
        },
        "requests": statistics.median(out["requests"]),
        "cpu_app_ms": cpu_app / rounds * 1e3,
        "cpu_portal_ms": cpu_portal / rounds * 1e3,
    }


def child(url: str, rounds: int, profile: str | None, until_first: bool = False) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=tui_bench._portal_main, args=(url, child_conn), daemon=True)
    proc.start()
    try:
        base_url = parent_conn.recv()
        assert proc.pid is not None
        return asyncio.run(measure(base_url, proc.pid, rounds, profile, until_first))
    finally:
        parent_conn.send("stop")
        proc.join(timeout=15)
        if proc.is_alive():
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--profile", help="write the app process's profile of the opens here (pstats, CPU time)")
    ap.add_argument("--until-first", action="store_true", help="profile from the key until the first request only")
    args = ap.parse_args(argv)
    url = clinic.db_url()
    clinic.ensure_seeded(url)
    load0 = os.getloadavg()[0]
    r = child(url, args.rounds, args.profile, args.until_first)
    load1 = os.getloadavg()[0]
    print(
        f"item open x{r['rounds']}: done p50 {r['done']['p50_ms']:.1f} / p95 {r['done']['p95_ms']:.1f} ms; "
        f"key→first request {r['to_first']['p50_ms']:.1f} / {r['to_first']['p95_ms']:.1f}, "
        f"portal (first request→last answer) {r['portal']['p50_ms']:.1f} / {r['portal']['p95_ms']:.1f}, "
        f"drawing (last answer→done) {r['drawing']['p50_ms']:.1f} / {r['drawing']['p95_ms']:.1f}; "
        f"{r['requests']:.0f} requests; CPU per open: app {r['cpu_app_ms']:.1f} ms, portal {r['cpu_portal_ms']:.1f} ms; "
        f"load {load0:.2f}→{load1:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
