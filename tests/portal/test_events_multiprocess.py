"""The event stream is correct when several portal processes share one database.

Two portal instances (separate stores, engines and event hubs, as two processes would have) serve
the same database: a patient writes through one, a clinician follows the stream of the other.
On PostgreSQL the wake-up travels by LISTEN/NOTIFY; on SQLite by the stream's periodic poll.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import httpx

from helsami_portal.embedded import EmbeddedPortal

from .conftest import device_sign_in


def test_event_written_through_one_process_reaches_a_follower_of_another(portal: EmbeddedPortal, db_url: str) -> None:
    other = EmbeddedPortal(db_url, demo=True, seed=False).start()
    try:
        with (
            httpx.Client(base_url=portal.base_url, timeout=30) as a,
            httpx.Client(base_url=other.base_url, timeout=30) as b,
        ):
            # Tokens are signed with keys in the shared database, so either process accepts them.
            lege = device_sign_in(a, "lege")["access_token"]
            pas = device_sign_in(b, "pasient")["access_token"]
            pools = a.get("/fhir/$whoami", headers={"Authorization": f"Bearer {lege}"}).json()["pools"]
            got: list[dict[str, Any]] = []
            ready = threading.Event()

            def follow() -> None:
                with (
                    httpx.Client(base_url=portal.base_url, timeout=30) as c,
                    c.stream("GET", "/fhir/$events", headers={"Authorization": f"Bearer {lege}"}) as r,
                ):
                    for line in r.iter_lines():
                        if line == ": connected":  # the stream's start position is fixed by now
                            ready.set()
                        if line.startswith("data: "):
                            ev = json.loads(line[6:])
                            if ev.get("action") == "new":
                                got.append(ev)
                                return

            t = threading.Thread(target=follow, daemon=True)
            t.start()
            assert ready.wait(30)
            me = b.get("/patient/me", headers={"Authorization": f"Bearer {pas}"}).json()
            r = b.post(
                "/patient/threads",
                headers={"Authorization": f"Bearer {pas}"},
                json={
                    "patient": me["actsFor"][0]["patient"].split("/")[1],
                    "service": pools[0],
                    "subject": "Via den andre prosessen",
                    "text": "Hei",
                    "messageId": str(uuid.uuid4()),
                },
            )
            assert r.status_code == 201, r.text
            t.join(15)
            assert got, "the follower of the other process saw no event"
            assert got[0]["pool"] == pools[0]
    finally:
        other.stop()
