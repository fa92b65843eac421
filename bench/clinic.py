"""Clinical work in the terminal app, timed over HTTP: item open, reply open, send, decision (p50
and p95), and the common job in keys and seconds.

    python bench/clinic.py [--rounds 30] [--jobs 10] [--json F]

The portal runs in a process of its own (bench/tui.py's `_portal_main`) on a SQLite file under
bench/data/ seeded once with the demo world (`helsami_portal.seed.seed`, 2,000 patients and
2,000 tasks). The real `HelsamiApp` runs headless in this process (`App.run_test(size=(120, 40))`),
signed in as the demo physician ("lege"), against that portal over real HTTP, with keys pressed as
a user presses them. Fresh work is made for each round through the patient API, as patients make it:
a new message thread (`POST /patient/threads`) for the message rounds, a renewal request
(`POST /patient/renewals`) for the decisions.

* item open: from Enter on the item in the inbox until its screen has drawn the banner (patient),
  the thread and the clinical context (one round of parallel requests);
* reply open: from `r` on the item until the reply editor shows the message it answers and has
  read the signature;
* send: from F5 in the editor (a template filled in, F3 1) until the editor is gone and the item's
  thread shows the sent reply;
* decision: from Enter on the reason of a refusal (`x` on a renewal) until the screen shows the item
  decided (the portal answered and the item was read again);
* the common job: from the inbox, the first new message is answered with a template, completed and
  the next one opened: keys `r` (open it, editor at once), `F3` `1` (template 1, filled), `F6` (send,
  complete, next). Counted are the keys pressed; timed is each job, from the first key until the next
  item's screen is loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

import tui as tui_bench  # noqa: E402  (bench/tui.py: conditions, percentiles, the portal process)

SIZE = (120, 40)
POOL = "hs-fjordvik-legesenter"  # the demo physician's first inbox, where the demo patients write


def db_url() -> str:
    (HERE / "data").mkdir(exist_ok=True)
    return f"sqlite:///{HERE / 'data' / 'clinic.sqlite3'}"


def ensure_seeded(url: str) -> float | None:
    import sqlalchemy as sa

    from helsami_portal.seed import seed
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.schema import task
    from helsami_portal.store.store import Store

    store = Store(make_engine(url))
    store.create_schema()
    with store.read() as tx:
        have = tx.conn.execute(sa.select(sa.func.count()).select_from(task)).scalar_one()
    if have:
        store.engine.dispose()
        return None
    started = time.perf_counter()
    seed(store, patients=2000, tasks=2000)
    store.engine.dispose()
    return time.perf_counter() - started


# -- work made as patients make it -------------------------------------------------------------------


class Patients:
    def __init__(self, base_url: str) -> None:
        import httpx

        self.base = base_url
        self.http = httpx.AsyncClient(timeout=30)
        self.headers: dict[str, dict[str, str]] = {}

    async def h(self, user: str) -> dict[str, str]:
        if user not in self.headers:
            r = await self.http.post(f"{self.base}/auth/demo-login", data={"username": user})
            r.raise_for_status()
            self.headers[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.headers[user]

    async def patient_id(self, user: str) -> str:
        me = (await self.http.get(f"{self.base}/patient/me", headers=await self.h(user))).json()
        return str(me["actsFor"][0]["patient"].split("/")[1])

    async def thread(self, subject: str, text: str, user: str = "pasient") -> None:
        """A new message thread to the physician's inbox (the portal makes its Task)."""
        r = await self.http.post(
            f"{self.base}/patient/threads",
            headers=await self.h(user),
            json={
                "patient": await self.patient_id(user),
                "service": POOL,
                "subject": subject,
                "text": text,
                "messageId": str(uuid.uuid4()),
            },
        )
        r.raise_for_status()

    async def renewal(self, user: str = "pasient") -> str:
        """A renewal request of the patient's first active prescription; returns the Task id."""
        h = await self.h(user)
        pid = await self.patient_id(user)
        meds = (await self.http.get(f"{self.base}/patient/medications", headers=h, params={"patient": pid})).json()
        med = next(e["resource"] for e in meds.get("entry", []) if e["resource"].get("status") == "active")
        r = await self.http.post(
            f"{self.base}/patient/renewals", headers=h, json={"medication": med["id"], "messageId": str(uuid.uuid4())}
        )
        r.raise_for_status()
        focus = f"MedicationRequest/{r.json()['request']['id']}"
        found = await self.http.get(f"{self.base}/fhir/Task", headers=await self.h("lege"), params={"focus": focus})
        found.raise_for_status()
        return str(next(e["resource"]["id"] for e in found.json()["entry"] if e["resource"]["resourceType"] == "Task"))

    async def aclose(self) -> None:
        await self.http.aclose()


# -- measuring ---------------------------------------------------------------------------------------


async def until(cond: Any, what: str, timeout: float = 30.0) -> float:
    """Wait (polling the app's loop every 0.5 ms) until `cond()`; returns the time it became true."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {what}")
        await asyncio.sleep(0.0005)
    return time.perf_counter()


class FirstMark:
    """When `cond()` first held, polled beside the key press (the app's visible answer or progress mark)."""

    def __init__(self, cond: Any) -> None:
        self.cond = cond
        self.at: float | None = None
        self.task = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.cond():
                    self.at = time.perf_counter()
                    return
            except Exception:  # noqa: BLE001 - a screen half built: try again
                pass
            await asyncio.sleep(0.0005)

    async def since(self, t: float) -> float:
        await self.task
        if self.at is None:
            raise RuntimeError("no visible answer or progress mark")
        return self.at - t


def stats(v: list[float]) -> dict[str, float]:
    return {
        "n": len(v),
        "p50_ms": statistics.median(v) * 1e3,
        "p95_ms": tui_bench.pct(v, 95) * 1e3,
        "max_ms": max(v) * 1e3,
    }


async def measure(base_url: str, rounds: int, jobs: int) -> dict[str, Any]:
    from textual.widgets import TextArea

    from helsami_tui.app import HelsamiApp
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import TokenSession, demo_login
    from helsami_tui.config import Settings
    from helsami_tui.i18n import set_language
    from helsami_tui.screens.inbox import InboxScreen
    from helsami_tui.screens.item import ItemScreen
    from helsami_tui.screens.renewal import RenewalScreen
    from helsami_tui.screens.reply import ReplyScreen, answered_message
    from helsami_tui.widgets.virtual_list import VirtualList

    set_language("en")
    patients = Patients(base_url)
    tokens = await demo_login(base_url, "lege")
    sent: list[tuple[float, str]] = []  # every request the app makes: when, what
    answers: list[tuple[float, str]] = []

    async def on_request(request: Any) -> None:
        sent.append((time.perf_counter(), request.url.path))

    async def on_response(response: Any) -> None:
        answers.append((time.perf_counter(), response.request.url.path))

    import httpx

    http = httpx.AsyncClient(timeout=30, event_hooks={"request": [on_request], "response": [on_response]})
    client = PortalClient(base_url, TokenSession(base_url, tokens), http=http)
    app = HelsamiApp(client, Settings(portal=base_url, idle_lock_minutes=0, language="en"), demo_user="lege")
    marks: dict[str, list[float]] = {"item_open": [], "reply_open": [], "send": [], "decision": []}
    item_open: list[float] = []
    reply_open: list[float] = []
    send: list[float] = []
    decision: list[float] = []
    job_seconds: list[float] = []
    job_keys: list[int] = []
    debug = bool(os.environ.get("HELSAMI_BENCH_DEBUG"))
    requests: dict[str, list[int]] = {"item_open": [], "reply_open": [], "send": [], "decision": []}

    def count(phase: str, since: int) -> None:
        requests[phase].append(len(sent) - since)
        if debug:
            first = sent[since][0] if len(sent) > since else 0.0
            print(phase, "sent", [(round((w - first) * 1e3), path[-24:]) for w, path in sent[since:]], file=sys.stderr)
            print(
                phase,
                "answered",
                [(round((w - first) * 1e3), path[-24:]) for w, path in answers if w >= first],
                file=sys.stderr,
            )

    async with app.run_test(size=SIZE) as pilot:
        await until(
            lambda: (
                isinstance(app.screen, InboxScreen)
                and app.screen.source is not None
                and app.screen.source.started
                and bool(app.screen.pools)
            ),
            "the inbox",
        )
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)

        async def search(word: str, n: int) -> None:
            await pilot.press("slash", *word, "enter")
            await until(
                lambda: (
                    inbox.source is not None
                    and inbox.source.started
                    and len(inbox.source.items) == n
                    and inbox.current_item() is not None
                ),
                f"{n} items found for {word}",
            )
            await pilot.pause()

        def loaded(s: Any) -> bool:
            return (
                isinstance(s, ItemScreen) and s.patient is not None and s.thread is not None and s.clinical is not None
            )

        # Item open, reply open, send: one new thread per round.
        for _ in range(rounds):
            word = f"bench{uuid.uuid4().hex[:8]}"
            await patients.thread(f"Question {word}", f"Can I take this with my other medicine? {word}")
            await search(word, 1)
            mark = FirstMark(lambda: isinstance(app.screen, ItemScreen))  # banner and thread say "Loading …"
            done = FirstMark(lambda: loaded(app.screen))
            parts = (
                {
                    k: FirstMark(lambda k=k: isinstance(app.screen, ItemScreen) and getattr(app.screen, k) is not None)
                    for k in ("patient", "thread", "clinical")
                }
                if debug
                else {}
            )
            n, t = len(sent), time.perf_counter()
            await pilot.press("enter")
            item_open.append(await done.since(t))
            if debug:
                print(
                    "item_open parts",
                    {k: round(await m.since(t) * 1e3) for k, m in parts.items()},
                    "done",
                    round(item_open[-1] * 1e3),
                    "first sent",
                    round((sent[n][0] - t) * 1e3),
                    "last answer",
                    round((answers[-1][0] - t) * 1e3),
                    file=sys.stderr,
                )
            marks["item_open"].append(await mark.since(t))
            count("item_open", n)
            await until(lambda: not [w for w in app.screen.workers if not w.is_finished], "item drawn")
            item_screen = app.screen
            mark = FirstMark(
                lambda: isinstance(app.screen, ReplyScreen) and answered_message(app.screen.thread) is not None
            )
            done = FirstMark(
                lambda: (
                    isinstance(app.screen, ReplyScreen)
                    and app.screen.profile is not None
                    and answered_message(app.screen.thread) is not None
                    and not [
                        w
                        for w in app.screen.workers
                        if w.group in ("draft-load", "reply-context") and not w.is_finished
                    ]
                )
            )
            n, t = len(sent), time.perf_counter()
            await pilot.press("r")
            reply_open.append(await done.since(t))
            count("reply_open", n)
            marks["reply_open"].append(await mark.since(t))
            reply = app.screen
            assert isinstance(reply, ReplyScreen)
            reply.query_one(TextArea).cursor_blink = False
            await pilot.press("f3", "1")
            text = reply.query_one(TextArea).text.strip()
            mark = FirstMark(lambda reply=reply: reply.sending)  # "Sending …" under the editor
            done = FirstMark(
                lambda item_screen=item_screen, text=text: (
                    app.screen is item_screen
                    and item_screen.thread is not None
                    and any(m.category == "staff-reply" and m.text == text for m in item_screen.thread.messages)
                )
            )
            n, t = len(sent), time.perf_counter()
            await pilot.press("f5")
            send.append(await done.since(t))
            count("send", n)
            marks["send"].append(await mark.since(t))
            await pilot.press("escape")
            await until(lambda: app.screen is inbox, "back in the inbox")

        # Decisions: a renewal refused with a reason, one new renewal request per round.
        for _ in range(rounds):
            item = await client.task(await patients.renewal())
            app.push_screen(RenewalScreen(item))  # as Enter on it in the inbox opens it
            await until(lambda: isinstance(app.screen, RenewalScreen) and app.screen.review is not None, "renewal")
            screen = app.screen
            await pilot.press("x")
            await pilot.press(*"Needs a check-up first")
            mark = FirstMark(lambda screen=screen: app.screen is screen and screen.busy)  # "Waiting for the portal …"
            done = FirstMark(
                lambda screen=screen: app.screen is screen and not screen.busy and screen.item.status == "completed"
            )
            n, t = len(sent), time.perf_counter()
            await pilot.press("enter")
            decision.append(await done.since(t))
            count("decision", n)
            marks["decision"].append(await mark.since(t))
            await pilot.press("escape")
            await until(lambda: app.screen is inbox, "back in the inbox")

        # The common job, `jobs` times in a row over new messages found by one search.
        word = f"shift{uuid.uuid4().hex[:8]}"
        for i in range(jobs + 1):
            await patients.thread(f"Shift {i:02d} {word}", f"Hello, a question {i} {word}")
        await search(word, jobs + 1)
        inbox.query_one(VirtualList).move_cursor(0)
        await pilot.pause()
        for _ in range(jobs):
            before = app.screen.item.id if isinstance(app.screen, ItemScreen) else inbox.current_item().id
            keys = ["r", "f3", "1", "f6"]
            done = FirstMark(
                lambda before=before: (
                    loaded(app.screen) and app.screen.item.id != before and not isinstance(app.screen, ReplyScreen)
                )
            )
            t = time.perf_counter()
            await pilot.press(keys[0])
            await until(lambda: isinstance(app.screen, ReplyScreen) and app.screen.profile is not None, "editor")
            await pilot.press(*keys[1:3])
            await pilot.press(keys[3])
            job_seconds.append(await done.since(t))
            job_keys.append(len(keys))
    await client.aclose()
    await patients.aclose()
    return {
        "item_open": stats(item_open),
        "reply_open": stats(reply_open),
        "send": stats(send),
        "decision": stats(decision),
        "first_mark": {k: stats(v) for k, v in marks.items()},
        "requests": {k: statistics.median(v) if v else 0 for k, v in requests.items()},
        "requests_total": len(sent),
        "common_job": {
            "jobs": jobs,
            "keys": max(job_keys),
            "keys_list": ["r", "F3", "1", "F6"],
            **{k.replace("_ms", "_s"): v / 1e3 for k, v in stats(job_seconds).items() if k != "n"},
        },
    }


def child(url: str, rounds: int, jobs: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=tui_bench._portal_main, args=(url, child_conn), daemon=True)
    proc.start()
    try:
        base_url = parent_conn.recv()
        return asyncio.run(measure(base_url, rounds, jobs))
    finally:
        parent_conn.send("stop")
        proc.join(timeout=15)
        if proc.is_alive():
            proc.kill()


def run(rounds: int = 30, jobs: int = 10) -> dict[str, Any]:
    url = db_url()
    took = ensure_seeded(url)
    if took is not None:
        print(f"  seeded the demo world in {took:.0f} s", file=sys.stderr, flush=True)
    return {"rounds": rounds, **child(url, rounds, jobs)}


def print_result(r: dict[str, Any]) -> None:
    print(
        f"Clinical work: headless run_test {SIZE[0]}x{SIZE[1]}, the demo physician, over HTTP to a portal in "
        f"another process ({r['rounds']} rounds each)"
    )
    print(
        f"  {'action':<12} {'done p50':>9} {'p95':>7} {'max':>7}   {'shown p50':>9} {'p95':>6} {'max':>6}   requests"
        "   (ms; shown = the result or a progress mark on screen)"
    )
    for name, label in (
        ("item_open", "item open"),
        ("reply_open", "reply open"),
        ("send", "send"),
        ("decision", "decision"),
    ):
        s, m = r[name], r["first_mark"][name]
        print(
            f"  {label:<12} {s['p50_ms']:>9.1f} {s['p95_ms']:>7.1f} {s['max_ms']:>7.1f}   {m['p50_ms']:>9.1f} "
            f"{m['p95_ms']:>6.1f} {m['max_ms']:>6.1f}   {r['requests'][name]:>8.0f}"
        )
    j = r["common_job"]
    print(
        f"  common job (open the first new message, reply with a template, complete, land on the next): "
        f"{j['keys']} keys ({' '.join(j['keys_list'])}), {j['p50_s']:.2f} s p50 / {j['p95_s']:.2f} s p95 "
        f"over {j['jobs']} jobs"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=10)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    cond = tui_bench.conditions()
    print(
        f"machine: {cond['machine']} {cond['arch']} ({cond['cpu']}), {cond['cores']} cores, "
        f"load {cond['load_avg']:.1f}, Python {cond['python']}, Textual {cond['textual']}",
        flush=True,
    )
    r = run(args.rounds, args.jobs)
    r["conditions"] = cond
    print_result(r)
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
