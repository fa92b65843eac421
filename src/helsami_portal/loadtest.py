"""Load test: many staff triage one pool at once through the HTTP API, while patients write.

`prepare` adds a load-test inbox with its own staff members and items to a seeded database;
`run` signs the staff in (device flow, as people would) and lets each claim, reply to and
complete items until the pool is empty; `verify` reads the database afterwards and counts double
claims, lost or duplicated replies and items not in exactly one final state. Used by the test
suite with small numbers and by `bench/` with 50 staff and 10,000 items.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa

from .fhir import conventions as c
from .fhir import timeutil
from .store.schema import history, resource, task
from .store.store import Store

POOL_ID = "hs-loadtest"
PASSWORD = "demo"


def staff_username(i: int) -> str:
    return f"last{i:03d}"


def prepare(store: Store, *, staff: int = 50, items: int = 10_000, seed_value: int = 7) -> None:
    """Add the load-test inbox, `staff` physicians working in it (with accounts) and `items`
    waiting message items for existing patients. The database must already be seeded."""
    from .seed import add_accounts, load

    rng = random.Random(seed_value)
    with store.read() as tx:
        patients = [r[0] for r in tx.conn.execute(sa.select(resource.c.id).where(
            resource.c.rtype == "Patient").order_by(resource.c.id).limit(500))]
        org = tx.conn.execute(sa.select(resource.c.id).where(resource.c.rtype == "Organization")).first()
    if not patients or org is None:
        raise RuntimeError("seed the database first")
    now = timeutil.utcnow()

    def resources() -> Any:
        yield {"resourceType": "HealthcareService", "id": POOL_ID, "active": True, "name": "Lasttest – felles innboks",
               "providedBy": {"reference": f"Organization/{org[0]}"},
               "type": [{"coding": [{"system": c.INBOX_KIND, "code": "clinical"}]}]}
        for i in range(staff):
            pid = f"prac-load-{i:03d}"
            yield {"resourceType": "Practitioner", "id": pid, "active": True,
                   "name": [{"given": ["Last"], "family": f"Tester {i:03d}"}],
                   "identifier": [{"system": c.USERNAME_SYSTEM, "value": staff_username(i)}]}
            yield {"resourceType": "PractitionerRole", "id": f"role-load-{i:03d}", "active": True,
                   "practitioner": {"reference": f"Practitioner/{pid}"},
                   "organization": {"reference": f"Organization/{org[0]}"},
                   "code": [{"coding": [{"system": c.STAFF_ROLE, "code": "physician"}]}],
                   "healthcareService": [{"reference": f"HealthcareService/{POOL_ID}"}]}
        for k in range(items):
            pat = rng.choice(patients)
            hid, mid = f"com-load-h{k:06d}", f"com-load-m{k:06d}"
            sent = timeutil.instant(now - dt.timedelta(minutes=items - k))
            yield {"resourceType": "Communication", "id": hid, "status": "in-progress",
                   "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "thread"}]}],
                   "subject": {"reference": f"Patient/{pat}"}, "topic": {"text": f"Lasttest {k}"}, "sent": sent}
            yield {"resourceType": "Communication", "id": mid, "status": "completed",
                   "category": [{"coding": [{"system": c.COMM_CATEGORY, "code": "patient-message"}]}],
                   "partOf": [{"reference": f"Communication/{hid}"}], "subject": {"reference": f"Patient/{pat}"},
                   "sender": {"reference": f"Patient/{pat}"}, "sent": sent,
                   "payload": [{"contentString": "Hei, jeg har et spørsmål."}]}
            yield {"resourceType": "Task", "id": f"task-load-{k:06d}", "status": "requested", "intent": "order",
                   "priority": "routine", "authoredOn": sent, "description": f"Lasttest {k}",
                   "code": {"coding": [{"system": c.TASK_TYPE, "code": "message"}]},
                   "businessStatus": {"coding": [{"system": c.TASK_BUSINESS_STATUS, "code": "new"}]},
                   "focus": {"reference": f"Communication/{hid}"}, "for": {"reference": f"Patient/{pat}"},
                   "owner": {"reference": f"HealthcareService/{POOL_ID}"}}

    load(store, resources())

    @dataclass
    class U:
        username: str
        password: str
        kind: str
        resource: str
        display: str

    add_accounts(store, [U(staff_username(i), PASSWORD, "staff", f"Practitioner/prac-load-{i:03d}",
                           f"Last Tester {i:03d}") for i in range(staff)])


@dataclass
class Result:
    staff: int
    seconds: float = 0.0
    completed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    replies: dict[str, str] = field(default_factory=dict)  # task id -> messageId the client sent

    def note(self, op: str, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)

    def summary(self) -> dict[str, Any]:
        def pct(v: list[float], p: float) -> float:
            s = sorted(v)
            return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1e3

        return {
            "staff": self.staff, "seconds": round(self.seconds, 2), "completed": self.completed,
            "items_per_second": round(self.completed / self.seconds, 1) if self.seconds else 0.0,
            "outcomes": dict(self.outcomes),
            "latency_ms": {op: {"n": len(v), "p50": round(statistics.median(v) * 1e3, 1), "p95": round(pct(v, 95), 1),
                                "p99": round(pct(v, 99), 1)} for op, v in sorted(self.latencies.items())},
        }


@dataclass
class Session:
    """One staff member's tokens; renewed with the refresh token when the access token expires."""

    access: str
    refresh: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    async def renew(self, http: httpx.AsyncClient) -> None:
        r = await http.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": self.refresh,
                                                  "client_id": "loadtest"})
        r.raise_for_status()
        data = r.json()
        self.access, self.refresh = data["access_token"], data["refresh_token"]


async def _sign_in(http: httpx.AsyncClient, username: str) -> Session:
    dev = (await http.post("/oauth/device_authorization", data={"client_id": "loadtest"})).json()
    page = await http.post("/device", data={"user_code": dev["user_code"], "username": username,
                                            "password": PASSWORD, "decision": "approve"})
    if page.status_code != 200:
        raise RuntimeError(f"sign-in refused for {username}: {page.status_code}")
    tok = await http.post("/oauth/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                                "device_code": dev["device_code"], "client_id": "loadtest"})
    tok.raise_for_status()
    data = tok.json()
    return Session(str(data["access_token"]), str(data["refresh_token"]))


async def _send(http: httpx.AsyncClient, session: Session, res: Result, op: str, method: str, url: str,
                headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response | None:
    """One request, timed; None when the connection failed (the caller then checks the state).
    An expired access token is renewed once and the request sent again."""
    for attempt in range(2):
        t0 = time.perf_counter()
        try:
            r = await http.request(method, url, headers={**(headers or {}), **session.headers()}, **kw)
        except httpx.TransportError:
            res.outcomes[f"{op} connection lost"] += 1
            return None
        if r.status_code == 401 and attempt == 0:
            res.outcomes["token renewed"] += 1
            await session.renew(http)
            continue
        res.note(op, time.perf_counter() - t0)
        if r.status_code == 503:  # the database is restarting: nothing was written, try again
            res.outcomes[f"{op} 503"] += 1
            return None
        if r.status_code >= 500:
            res.outcomes[f"{op} {r.status_code}"] += 1
        return r
    return r


async def _current(http: httpx.AsyncClient, session: Session, task_id: str) -> dict[str, Any] | None:
    for attempt in range(30):
        try:
            r = await http.get(f"/fhir/Task/{task_id}", headers=session.headers())
            if r.status_code == 200:
                return dict(r.json())
            if r.status_code != 503:
                return None
        except httpx.TransportError:
            pass
        await asyncio.sleep(min(1.0, 0.1 * (attempt + 1)))
    return None


async def _worker(http: httpx.AsyncClient, session: Session, me: str, res: Result, deadline: float,
                  rng: random.Random) -> None:
    empty_rounds = 0
    while time.monotonic() < deadline:
        r = await _send(http, session, res, "page", "GET", "/fhir/Task", params={
            "owner": f"HealthcareService/{POOL_ID}", "status": "requested", "_count": "20"})
        entries = (r.json().get("entry") or []) if r is not None and r.status_code == 200 else []
        if not entries:
            empty_rounds += 1 if r is not None else 0
            if empty_rounds >= 3:
                return
            await asyncio.sleep(0.2)
            continue
        empty_rounds = 0
        item = rng.choice(entries)["resource"]
        r = await _send(http, session, res, "claim", "POST", f"/fhir/Task/{item['id']}/$claim",
                        headers={"If-Match": f'W/"{item["meta"]["versionId"]}"'})
        if r is None:  # the answer was lost: did the claim happen?
            claimed = await _current(http, session, item["id"])
            if not claimed or claimed.get("status") != "in-progress" or claimed["owner"]["reference"] != me:
                continue
        elif r.status_code != 200:
            res.outcomes[f"claim {r.status_code}"] += 1
            continue
        else:
            claimed = r.json()
        res.outcomes["claim 200"] += 1
        mid = str(uuid.uuid4())
        body = {"resourceType": "Parameters", "parameter": [
            {"name": "text", "valueString": "Takk for meldingen, vi ser på dette."},
            {"name": "messageId", "valueString": mid}]}
        r = None
        for attempt in range(30):  # a lost answer is retried with the same messageId: sent once
            r = await _send(http, session, res, "reply", "POST", f"/fhir/Task/{item['id']}/$reply", json=body,
                            headers={"If-Match": f'W/"{claimed["meta"]["versionId"]}"'})
            if r is not None:
                break
            await asyncio.sleep(min(1.0, 0.1 * (attempt + 1)))
        if r is None or r.status_code != 200:
            res.outcomes[f"reply {r.status_code if r is not None else 'failed'}"] += 1
            continue
        res.replies[item["id"]] = mid
        after = r.json()["parameter"][0]["resource"]
        for attempt in range(30):
            r = await _send(http, session, res, "complete", "POST", f"/fhir/Task/{item['id']}/$complete",
                            headers={"If-Match": f'W/"{after["meta"]["versionId"]}"'})
            if r is not None:
                break
            now = await _current(http, session, item["id"])
            if now is not None and now.get("status") == "completed":
                r = httpx.Response(200)
                break
            await asyncio.sleep(min(1.0, 0.1 * (attempt + 1)))
        code = r.status_code if r is not None else "failed"
        res.outcomes[f"complete {code}"] += 1
        if code == 200:
            res.completed += 1


async def run_async(base_url: str, *, staff: int, max_seconds: float, seed_value: int = 11) -> Result:
    res = Result(staff)
    limits = httpx.Limits(max_connections=staff + 10, max_keepalive_connections=staff + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        tokens = []
        for i in range(staff):  # one after another, as people sign in
            tokens.append(await _sign_in(http, staff_username(i)))
        started = time.monotonic()
        deadline = started + max_seconds
        await asyncio.gather(*(_worker(http, tok, f"Practitioner/prac-load-{i:03d}", res, deadline,
                                       random.Random(seed_value + i)) for i, tok in enumerate(tokens)))
        res.seconds = time.monotonic() - started
    return res


def run(base_url: str, *, staff: int, max_seconds: float) -> Result:
    return asyncio.run(run_async(base_url, staff=staff, max_seconds=max_seconds))


def verify(store: Store, result: Result | None = None) -> dict[str, int]:
    """Count what must be zero: double claims, lost or duplicated replies, items not in exactly one
    final state; and what was done: claims and replies."""
    out = Counter[str]()
    with store.read() as tx:
        ids = [r[0] for r in tx.conn.execute(sa.select(task.c.id).where(task.c.pool == POOL_ID))]
        for tid in ids:
            versions = [json.loads(r[0]) for r in tx.conn.execute(
                sa.select(history.c.content).where(history.c.rtype == "Task", history.c.id == tid)
                .order_by(history.c.version_id))]
            current = tx.get("Task", tid) or {}
            if not versions:
                versions = [current]
            holder = None
            for v in versions:
                owner = (v.get("owner") or {}).get("reference", "")
                if v.get("status") == "in-progress":
                    if holder is not None and holder != owner:
                        out["double claims"] += 1
                    holder = owner
                elif v.get("status") == "requested":
                    holder = None
            claims = sum(1 for a, b in zip(versions, versions[1:])
                         if a.get("status") == "requested" and b.get("status") == "in-progress")
            out["claims"] += claims
            focus = (current.get("focus") or {}).get("reference", "")
            replies = tx.conn.execute(sa.select(sa.func.count()).select_from(resource).where(
                resource.c.rtype == "Communication", resource.c.ref1 == focus, resource.c.code == "staff-reply",
                resource.c.status == "completed")).scalar_one()
            out["replies"] += replies
            if replies > 1:
                out["duplicated replies"] += replies - 1
            status = current.get("status")
            out[f"final {status}"] += 1
            if status not in ("completed", "requested", "in-progress"):
                out["items in an unknown state"] += 1
            if status == "completed" and replies != 1:
                out["completed without exactly one reply"] += 1
            if result is not None and tid in result.replies:
                ident = f"{(current.get('owner') or {}).get('reference', '')}|{result.replies[tid]}"
                if tx.find_by_ident("Communication", ident) is None:
                    out["lost replies"] += 1
    for key in ("double claims", "duplicated replies", "lost replies", "items in an unknown state",
                "completed without exactly one reply"):
        out.setdefault(key, 0)
    return dict(out)
