"""`helsami-portal simulate`: patient traffic through the same HTTP API patients use.

Each simulated patient signs in with the device flow (approving its own code on the portal's
sign-in page, as a person would in a browser), then writes new messages, follow-ups in its
threads, and renewal requests, at the requested overall rate.
"""

from __future__ import annotations

import random
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

SUBJECTS = [
    "Spørsmål om blodprøvesvar",
    "Fornyelse av resept",
    "Bivirkninger av ny medisin",
    "Trenger sykmelding",
    "Endre time",
    "Vondt i ryggen etter trening",
    "Feber hos barnet",
    "Oppfølging etter operasjon",
    "Spørsmål om vaksine",
    "Søvnvansker",
    "Hoste som ikke gir seg",
    "Kontroll av blodtrykk",
]
TEXTS = [
    "Hei! Jeg lurer på om dere har fått svar på blodprøvene mine fra forrige uke?",
    "Jeg har gått tom for tablettene mine og trenger ny resept. På forhånd takk.",
    "Etter at jeg begynte på den nye medisinen har jeg fått hodepine og kvalme. Er dette normalt?",
    "Kan jeg få forlenget sykmeldingen med en uke? Jeg er fortsatt ikke i form.",
    "Jeg kommer dessverre ikke på timen min torsdag. Kan jeg få en ny time neste uke?",
    "Øvelsene fra fysioterapeuten gjør vondt i korsryggen. Skal jeg fortsette?",
    "Datteren min (4 år) har hatt 39 i feber i tre dager. Bør vi komme inn?",
    "Såret etter operasjonen er litt rødt og varmt. Hva bør jeg gjøre?",
    "Takk for svar! Jeg følger rådet deres og tar kontakt igjen om det ikke blir bedre.",
    "Jeg sover dårlig og våkner flere ganger hver natt. Finnes det noe som kan hjelpe?",
]


@dataclass
class SimPatient:
    username: str
    token: str = ""
    threads: list[str] = field(default_factory=list)


def sign_in(client: httpx.Client, username: str, password: str) -> str:
    """Device flow, as the terminal and a browser would do it together."""
    r = client.post("/oauth/device_authorization", data={"client_id": "helsami-simulator"})
    r.raise_for_status()
    dev = r.json()
    page = client.post(
        "/device",
        data={"user_code": dev["user_code"], "username": username, "password": password, "decision": "approve"},
    )
    if page.status_code != 200:
        raise RuntimeError(f"sign-in of {username} was refused ({page.status_code})")
    tok = client.post(
        "/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": dev["device_code"],
            "client_id": "helsami-simulator",
        },
    )
    tok.raise_for_status()
    return str(tok.json()["access_token"])


def find_usernames(client: httpx.Client, n: int) -> list[str]:
    """The demo patient accounts, plus any listed in HELSAMI_SIM_USERS (comma-separated usernames,
    e.g. synthetic national ids of seeded patients, which sign in with the demo password)."""
    import os

    names = ["pasient", "pasient2", "fullmakt"]
    extra = [u for u in os.environ.get("HELSAMI_SIM_USERS", "").split(",") if u]
    return (names + extra)[: max(n, 1)]


def run(
    portal: str,
    *,
    rate: float,
    duration: float,
    patients: int,
    password: str,
    usernames: list[str] | None = None,
    rng: random.Random | None = None,
    stats: dict[str, int] | None = None,
    stop: Any = None,
    quiet: bool = False,
) -> int:
    """Send traffic at `rate` actions per second for `duration` seconds (0 = until interrupted,
    or until `stop`, a threading.Event, is set)."""
    rng = rng or random.Random()
    stats = stats if stats is not None else {}
    stats.update({"threads": 0, "messages": 0, "renewals": 0, "errors": 0})
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    with httpx.Client(base_url=portal.rstrip("/"), timeout=30) as client:
        names = usernames or find_usernames(client, patients)
        sims: list[SimPatient] = []
        for name in names:
            try:
                sims.append(SimPatient(name, sign_in(client, name, password)))
            except (httpx.HTTPError, RuntimeError) as e:
                print(f"could not sign in patient account {len(sims) + 1} ({type(e).__name__})", file=sys.stderr)
        if not sims:
            print("no patient could sign in; is the portal seeded?", file=sys.stderr)
            return 1
        services: list[dict[str, Any]] = client.get(
            "/patient/services", headers={"Authorization": f"Bearer {sims[0].token}"}
        ).json()["services"]
        start = time.monotonic()
        n = 0
        while (duration <= 0 or time.monotonic() - start < duration) and not (stop is not None and stop.is_set()):
            sim = rng.choice(sims)
            headers = {"Authorization": f"Bearer {sim.token}"}
            try:
                me = client.get("/patient/me", headers=headers).json()
                acts = me.get("actsFor") or []
                if not acts:
                    continue
                patient = re.sub("^Patient/", "", acts[0]["patient"])
                roll = rng.random()
                if roll < 0.15:
                    meds = (
                        client.get("/patient/medications", headers=headers, params={"patient": patient})
                        .json()
                        .get("entry")
                        or []
                    )
                    if not meds:
                        continue
                    r = client.post(
                        "/patient/renewals",
                        headers=headers,
                        json={
                            "medication": rng.choice(meds)["resource"]["id"],
                            "messageId": str(uuid.uuid4()),
                            "text": "Jeg har snart brukt opp pakningen.",
                        },
                    )
                    stats["renewals"] += r.status_code == 201
                elif sim.threads and roll < 0.5:
                    r = client.post(
                        f"/patient/threads/{rng.choice(sim.threads)}/messages",
                        headers=headers,
                        json={"text": rng.choice(TEXTS), "messageId": str(uuid.uuid4())},
                    )
                    stats["messages"] += r.status_code == 201
                else:
                    r = client.post(
                        "/patient/threads",
                        headers=headers,
                        json={
                            "patient": patient,
                            "service": rng.choice(services)["id"],
                            "subject": rng.choice(SUBJECTS),
                            "text": rng.choice(TEXTS),
                            "messageId": str(uuid.uuid4()),
                        },
                    )
                    if r.status_code == 201:
                        sim.threads.append(r.json()["thread"]["id"])
                        stats["threads"] += 1
                if r.status_code >= 400:
                    stats["errors"] += 1
                    if r.status_code == 401:
                        sim.token = sign_in(client, sim.username, password)
            except httpx.HTTPError:
                stats["errors"] += 1
            n += 1
            next_at = start + n / max(rate, 0.001)
            time.sleep(max(0.0, next_at - time.monotonic()))
            if n % 20 == 0 and not quiet:
                print(f"sent {stats}", file=sys.stderr, flush=True)
    print(f"done: {stats}")
    return 0
