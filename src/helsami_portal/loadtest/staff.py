"""The staff at work: each signs in with the device flow and claims, replies to and completes items over
the HTTP API until the pool is empty (`run`)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from .pool import PASSWORD, POOL_ID, staff_username
from .results import Result


@dataclass
class Session:
    """One staff member's tokens; renewed with the refresh token when the access token expires."""

    access: str
    refresh: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    async def renew(self, http: httpx.AsyncClient) -> None:
        r = await http.post(
            "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": self.refresh, "client_id": "loadtest"}
        )
        r.raise_for_status()
        data = r.json()
        self.access, self.refresh = data["access_token"], data["refresh_token"]


async def _sign_in(http: httpx.AsyncClient, username: str) -> Session:
    dev = (await http.post("/oauth/device_authorization", data={"client_id": "loadtest"})).json()
    page = await http.post(
        "/device",
        data={"user_code": dev["user_code"], "username": username, "password": PASSWORD, "decision": "approve"},
    )
    if page.status_code != 200:
        raise RuntimeError(f"sign-in refused for {username}: {page.status_code}")
    tok = await http.post(
        "/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": dev["device_code"],
            "client_id": "loadtest",
        },
    )
    tok.raise_for_status()
    data = tok.json()
    return Session(str(data["access_token"]), str(data["refresh_token"]))


async def _send(
    http: httpx.AsyncClient,
    session: Session,
    res: Result,
    op: str,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> httpx.Response | None:
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


async def _claim_next(http: httpx.AsyncClient, session: Session, res: Result) -> dict[str, Any] | Literal[False] | None:
    """One `$claim-next`: the claimed Task; None when nothing waits; False when it failed."""
    res.outcomes["claims tried"] += 1
    r = await _send(
        http,
        session,
        res,
        "claim",
        "POST",
        "/fhir/Task/$claim-next",
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "pool", "valueReference": {"reference": f"HealthcareService/{POOL_ID}"}}],
        },
    )
    if r is not None and r.status_code == 200:
        res.outcomes["claim 200"] += 1
        return dict(r.json())
    if r is not None and r.status_code == 409 and "nothing-waiting" in r.text:
        res.outcomes["claims tried"] -= 1  # the pool is empty: not a claim that failed
        return None
    res.outcomes[f"claim {r.status_code if r is not None else 'lost'}"] += 1
    res.outcomes["claims wasted"] += 1
    return False


class Thinking:
    """A staff member's reading and typing time before each request: uniform between half and one
    and a half times `mean` seconds, drawn from the member's own seeded generator (the same pauses
    in every run); no pause when `mean` is 0."""

    def __init__(self, mean: float, seed_value: int) -> None:
        self.mean = mean
        self.rng = random.Random(seed_value)

    async def pause(self) -> None:
        if self.mean > 0:
            await asyncio.sleep(self.mean * self.rng.uniform(0.5, 1.5))


async def _worker(
    http: httpx.AsyncClient,
    session: Session,
    me: str,
    res: Result,
    deadline: float,
    rng: random.Random,
    claim_next: bool = False,
    think: Thinking | None = None,
) -> None:
    think = think or Thinking(0, 0)
    empty_rounds = 0
    while time.monotonic() < deadline:
        await think.pause()  # the next item: look at the inbox, pick up the next one
        if claim_next:  # the server picks the item: no list, no race for one row
            got = await _claim_next(http, session, res)
            if got is None:
                empty_rounds += 1
                if empty_rounds >= 3:
                    return
                await asyncio.sleep(0.2)
                continue
            if got is False:
                continue
            empty_rounds = 0
            await _finish(http, session, res, got, got, think)
            continue
        r = await _send(
            http,
            session,
            res,
            "page",
            "GET",
            "/fhir/Task",
            params={"owner": f"HealthcareService/{POOL_ID}", "status": "requested", "_count": "20"},
        )
        entries = (r.json().get("entry") or []) if r is not None and r.status_code == 200 else []
        if not entries:
            empty_rounds += 1 if r is not None else 0
            if empty_rounds >= 3:
                return
            await asyncio.sleep(0.2)
            continue
        empty_rounds = 0
        item = rng.choice(entries)["resource"]
        res.outcomes["claims tried"] += 1
        r = await _send(
            http,
            session,
            res,
            "claim",
            "POST",
            f"/fhir/Task/{item['id']}/$claim",
            headers={"If-Match": f'W/"{item["meta"]["versionId"]}"'},
        )
        if r is None:  # the answer was lost: did the claim happen?
            claimed = await _current(http, session, item["id"])
            if not claimed or claimed.get("status") != "in-progress" or claimed["owner"]["reference"] != me:
                res.outcomes["claims wasted"] += 1
                continue
        elif r.status_code != 200:
            res.outcomes[f"claim {r.status_code}"] += 1
            res.outcomes["claims wasted"] += 1
            continue
        else:
            claimed = r.json()
        res.outcomes["claim 200"] += 1
        await _finish(http, session, res, item, claimed, think)


async def _finish(
    http: httpx.AsyncClient,
    session: Session,
    res: Result,
    item: dict[str, Any],
    claimed: dict[str, Any],
    think: Thinking | None = None,
) -> None:
    """Reply once (retried with the same messageId) and complete a claimed item (after reading and
    typing the reply, and after looking it over, when the staff member thinks)."""
    think = think or Thinking(0, 0)
    mid = str(uuid.uuid4())
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "text", "valueString": "Takk for meldingen, vi ser på dette."},
            {"name": "messageId", "valueString": mid},
        ],
    }
    r = None
    await think.pause()  # read the message, type the reply
    for attempt in range(30):  # a lost answer is retried with the same messageId: sent once
        r = await _send(
            http,
            session,
            res,
            "reply",
            "POST",
            f"/fhir/Task/{item['id']}/$reply",
            json=body,
            headers={"If-Match": f'W/"{claimed["meta"]["versionId"]}"'},
        )
        if r is not None:
            break
        await asyncio.sleep(min(1.0, 0.1 * (attempt + 1)))
    if r is None or r.status_code != 200:
        res.outcomes[f"reply {r.status_code if r is not None else 'failed'}"] += 1
        return
    res.replies[item["id"]] = mid
    after = r.json()["parameter"][0]["resource"]
    await think.pause()  # look it over, mark it done
    for attempt in range(30):
        r = await _send(
            http,
            session,
            res,
            "complete",
            "POST",
            f"/fhir/Task/{item['id']}/$complete",
            headers={"If-Match": f'W/"{after["meta"]["versionId"]}"'},
        )
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


async def run_async(
    base_url: str,
    *,
    staff: int,
    max_seconds: float,
    seed_value: int = 11,
    claim_next: bool = False,
    think_ms: float = 0,
) -> Result:
    res = Result(staff)
    limits = httpx.Limits(max_connections=staff + 10, max_keepalive_connections=staff + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        tokens = []
        for i in range(staff):  # one after another, as people sign in
            tokens.append(await _sign_in(http, staff_username(i)))
        started = time.monotonic()
        deadline = started + max_seconds
        await asyncio.gather(
            *(
                _worker(
                    http,
                    tok,
                    f"Practitioner/prac-load-{i:03d}",
                    res,
                    deadline,
                    random.Random(seed_value + i),
                    claim_next,
                    Thinking(think_ms / 1000, 1_000_003 * (seed_value + i) + 17),
                )
                for i, tok in enumerate(tokens)
            )
        )
        res.seconds = time.monotonic() - started
    return res


def run(base_url: str, *, staff: int, max_seconds: float, claim_next: bool = False, think_ms: float = 0) -> Result:
    """`claim_next`: each takes the next item with `$claim-next`; else each lists the pool and claims
    one of the first 20 rows with `$claim` (and may lose it to a colleague). `think_ms`: each staff
    member's mean reading and typing time before each request (`Thinking`; three per item)."""
    return asyncio.run(
        run_async(base_url, staff=staff, max_seconds=max_seconds, claim_next=claim_next, think_ms=think_ms)
    )
