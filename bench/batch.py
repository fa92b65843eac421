"""Batch triage benchmark: keys and seconds to release 20 normal results one by one and as a batch.

    python bench/batch.py [--results 20] [--json F]

Data: a fresh SQLite portal with the demo world (`helsami_portal.seed`), plus N new patients, each
with one final, normal kalium result (release category clinician-only) and a result item for it in
the demo physician's second inbox ("Fjordvik legesenter – daglig leder (reserve)"), which holds no
other results. The portal runs in a process of its own; the real `HelsamiApp` runs headless in this
one (`App.run_test(size=(120, 40))`), signed in as "lege", in bokmål.

Both ways start the same: Tab to that inbox and `t` until the list shows results (the navigation
keys are counted apart). Then:

* one by one: for each item Enter (open the result), `g` (release), the comment typed, Enter (send),
  Esc (back to the list, where the next item is now under the cursor);
* as a batch: `*` (mark all in the filter), `b` (act on marked), Enter (the first action: release the normal results
  with one comment, the template "Prøvesvar normale" already filled in), Enter (run).

Seconds are the machine's: from the first key of the work to the last item released (the portal's
answers included), not a user's reading or typing time; the keys are what a user presses.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE = (120, 40)
POOL = "hs-fjordvik-legesenter-leder"
COMMENT = "Normale prøvesvar."  # typed for each item one by one (the batch uses the template)


def _add_results(portal: Any, n: int) -> list[str]:
    from helsami_portal.fhir import conventions as c, timeutil
    from helsami_portal.synth.fnr import make_fnr

    rng = random.Random(17)
    when = timeutil.instant(timeutil.utcnow() - dt.timedelta(days=1))
    ids = []
    with portal.store.write() as tx:
        for i in range(n):
            pid = f"bench-batch-{i:03d}"
            birth = dt.date(1950 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
            tx.create(
                {
                    "resourceType": "Patient",
                    "id": pid,
                    "active": True,
                    "identifier": [{"system": c.FNR_SYSTEM, "value": make_fnr(birth, False, rng)}],
                    "name": [{"family": f"Benkesen{i}", "given": ["Berit"], "text": f"Berit Benkesen{i}"}],
                    "gender": "female",
                    "birthDate": birth.isoformat(),
                    "generalPractitioner": [{"reference": "Practitioner/prac-0001"}],
                },
                keep_id=True,
            )
            obs = tx.create(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}], "text": "Kalium"},
                    "subject": {"reference": f"Patient/{pid}"},
                    "effectiveDateTime": when,
                    "issued": when,
                    "valueQuantity": {"value": round(3.8 + rng.random() * 0.5, 1), "unit": "mmol/L"},
                    "referenceRange": [
                        {"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 4.4, "unit": "mmol/L"}}
                    ],
                }
            )
            rep = tx.create(
                {
                    "resourceType": "DiagnosticReport",
                    "status": "final",
                    "code": {"text": "Elektrolytter"},
                    "subject": {"reference": f"Patient/{pid}"},
                    "effectiveDateTime": when,
                    "issued": when,
                    "result": [{"reference": f"Observation/{obs['id']}"}],
                    "extension": [{"url": c.EXT_RELEASE_CATEGORY, "valueCode": "clinician-only"}],
                }
            )
            svc = {"reference": f"HealthcareService/{POOL}"}
            t = tx.create(
                {
                    "resourceType": "Task",
                    "status": "requested",
                    "intent": "order",
                    "priority": "routine",
                    "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
                    "code": {"coding": [{"system": c.TASK_TYPE, "code": "result"}]},
                    "description": "Prøvesvar: Elektrolytter",
                    "focus": {"reference": f"DiagnosticReport/{rep['id']}"},
                    "for": {"reference": f"Patient/{pid}"},
                    "authoredOn": tx.now,
                    "owner": dict(svc),
                    "extension": [{"url": c.EXT_TASK_POOL, "valueReference": dict(svc)}],
                }
            )
            ids.append(str(t["id"]))
    return ids


def _portal_main(url: str, n: int, conn: Any) -> None:
    from helsami_portal.embedded import EmbeddedPortal

    portal = EmbeddedPortal(url, demo=True, seed=True, run_jobs=False).start()
    ids = _add_results(portal, n)
    conn.send((portal.base_url, ids))
    conn.recv()  # until told to stop
    portal.stop()


class Keys:
    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)


async def _until(pilot: Any, cond: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await pilot.pause(0.01)


async def measure(base_url: str, ids: list[str], how: str) -> dict[str, Any]:
    from helsami_tui.app import HelsamiApp
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import TokenSession, demo_login
    from helsami_tui.config import Settings
    from helsami_tui.i18n import set_language
    from helsami_tui.screens.batch import BatchActionPicker, BatchScreen
    from helsami_tui.screens.decision import TextPrompt
    from helsami_tui.screens.inbox import InboxScreen
    from helsami_tui.screens.result import ResultScreen

    set_language("nb")
    tokens = await demo_login(base_url, "lege")
    client = PortalClient(base_url, TokenSession(base_url, tokens))
    app = HelsamiApp(client, Settings(portal=base_url, idle_lock_minutes=0), demo_user="lege")
    async with app.run_test(size=SIZE) as pilot:
        await _until(
            pilot,
            lambda: (
                isinstance(app.screen, InboxScreen)
                and app.screen.pools
                and app.screen.source is not None
                and app.screen.source.started
            ),
            "the inbox",
        )
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        nav = Keys(pilot)
        while inbox.current_pool() is None or inbox.current_pool().id != POOL:  # type: ignore[union-attr]
            await nav.press("tab")
        while inbox.query_state.code != "result":
            await nav.press("t")
        await _until(
            pilot,
            lambda: inbox.source is not None and len(inbox.source.items) == len(ids) and not inbox.source.next_url,
            "the results listed",
        )
        work = Keys(pilot)
        t0 = time.perf_counter()
        if how == "one-by-one":
            for _ in ids:
                await work.press("enter")
                await _until(
                    pilot,
                    lambda: isinstance(app.screen, ResultScreen) and app.screen.review is not None,
                    "the result open",
                )
                s = app.screen
                await work.press("g")
                await _until(pilot, lambda: isinstance(app.screen, TextPrompt), "the comment prompt")
                await work.press(*COMMENT)
                await work.press("enter")
                await _until(pilot, lambda s=s: s.item.business_status == "released", "released")  # type: ignore[misc]
                await work.press("escape")
                await _until(pilot, lambda: app.screen is inbox, "back in the list")
        else:
            await work.press("asterisk", "b")
            await _until(pilot, lambda: isinstance(app.screen, BatchActionPicker), "the action picker")
            await work.press("enter")
            await _until(
                pilot, lambda: isinstance(app.screen, BatchScreen) and app.screen.state == "ready", "the confirmation"
            )
            s = app.screen
            await work.press("enter")
            await _until(pilot, lambda: s.state == "done", "the batch run")  # type: ignore[attr-defined]
        seconds = time.perf_counter() - t0
    released = 0
    for tid in ids:
        if (await client.task(tid)).business_status == "released":
            released += 1
    await client.aclose()
    return {
        "how": how,
        "items": len(ids),
        "released": released,
        "keys": work.count,
        "navigation_keys": nav.count,
        "comment_keys": len(COMMENT) * len(ids) if how == "one-by-one" else 0,
        "seconds": seconds,
    }


def run(how: str, n: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'portal.sqlite3'}"
        parent_conn, child_conn = ctx.Pipe()
        proc = ctx.Process(target=_portal_main, args=(url, n, child_conn), daemon=True)
        proc.start()
        try:
            base_url, ids = parent_conn.recv()
            return asyncio.run(measure(base_url, ids, how))
        finally:
            parent_conn.send("stop")
            proc.join(timeout=15)
            if proc.is_alive():
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=int, default=20)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    results = [run(how, args.results) for how in ("one-by-one", "batch")]
    print(f"Releasing {args.results} normal results (headless {SIZE[0]}x{SIZE[1]}, SQLite, portal in its own process)")
    print(f"{'how':<12} {'released':>8} {'keys':>6} {'of which comment':>16} {'+navigation':>11} {'seconds':>8}")
    for r in results:
        print(
            f"{r['how']:<12} {r['released']:>8} {r['keys']:>6} {r['comment_keys']:>16} {r['navigation_keys']:>11} "
            f"{r['seconds']:>8.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
