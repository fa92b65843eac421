"""The sign-in policy (issue 11): throttling an attacker cannot turn against the user, atomic on both
databases; trusted proxies; device-authorisation and user-code limits; absolute session lifetime;
Argon2id with upgrade of old hashes; the clean-up job; decisions logged with ids only."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from helsami_portal.api.app import create_app
from helsami_portal.api.settings import Settings
from helsami_portal.auth import throttle
from helsami_portal.embedded import free_port
from helsami_portal.fhir import timeutil
from helsami_portal.jobs import JobRunner
from helsami_portal.seed import seed
from helsami_portal.store.db import make_engine
from helsami_portal.store.schema import account, device_code, login_attempt, refresh_token
from helsami_portal.store.store import Store

from ..conftest import drop_pg_database, make_pg_database
from ..waiting import wait_until

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Site:
    url: str
    store: Store
    settings: Settings


@pytest.fixture(scope="module")
def site(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A portal behind a 'proxy' on 127.0.0.1 (trusted), so tests can come from many addresses."""
    pg_name = None
    if db_url.startswith("postgresql"):
        url, pg_name = make_pg_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('signin') / 'p.sqlite3'}"
    store = Store(make_engine(url))
    seed(store, patients=8, tasks=20)
    port = free_port()
    settings = Settings(
        issuer=f"http://127.0.0.1:{port}",
        trusted_proxies=["127.0.0.1"],
        run_jobs=False,
        device_authorizations_per_address=5,
        code_lookups_per_address=5,
    )
    app = create_app(store, settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            proxy_headers=False,
            server_header=False,
        )
    )
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    wait_until(lambda: server.started, "the portal started")
    try:
        yield Site(settings.issuer, store, settings)
    finally:
        server.should_exit = True
        t.join(10)
        store.engine.dispose()
        if pg_name:
            drop_pg_database(pg_name)


def start(site: Site, addr: str) -> dict[str, Any]:
    r = httpx.post(
        f"{site.url}/oauth/device_authorization", data={"client_id": "pytest"}, headers={"X-Forwarded-For": addr}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def approve(site: Site, dev: dict[str, Any], user: str, password: str, addr: str) -> httpx.Response:
    return httpx.post(
        f"{site.url}/device",
        timeout=60,
        headers={"X-Forwarded-For": addr},
        data={"user_code": dev["user_code"], "username": user, "password": password, "decision": "approve"},
    )


def tokens(site: Site, dev: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(
        f"{site.url}/oauth/token", data={"grant_type": DEVICE, "device_code": dev["device_code"], "client_id": "pytest"}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_progressive_delay_doubles_and_is_capped() -> None:
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    at = [timeutil.instant(now - dt.timedelta(seconds=1))]
    assert throttle.wait_seconds(at * 4, now, 5, 30, 900) == 0
    assert throttle.wait_seconds(at * 5, now, 5, 30, 900) == 29
    assert throttle.wait_seconds(at * 6, now, 5, 30, 900) == 59
    assert throttle.wait_seconds(at * 7, now, 5, 30, 900) == 119
    assert throttle.wait_seconds(at * 30, now, 5, 30, 900) == 899


def test_forty_simultaneous_wrong_passwords_check_at_most_the_limit(site: Site) -> None:
    dev = start(site, "10.0.40.1")
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: approve(site, dev, "sentralbord", "wrong", "10.0.40.1"), range(40)))
    codes = [a.status_code for a in answers]
    limit = site.settings.signin_account_address_limit
    assert codes.count(401) <= limit and codes.count(401) + codes.count(429) == 40, codes
    assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)
    # Even the right password waits out the delay from this address ...
    assert approve(site, dev, "sentralbord", "demo", "10.0.40.1").status_code == 429
    # ... but not from another: the real user elsewhere is not locked out.
    other = start(site, "10.0.41.1")
    assert approve(site, other, "sentralbord", "demo", "10.0.41.1").status_code == 200


def test_the_delay_grows_with_each_failure_past_the_limit(site: Site) -> None:
    dev = start(site, "10.0.42.1")
    for _ in range(5):
        assert approve(site, dev, "sykepleier", "wrong", "10.0.42.1").status_code == 401
    first = approve(site, dev, "sykepleier", "wrong", "10.0.42.1")
    assert first.status_code == 429
    _travel(site, seconds=int(first.headers["retry-after"]) + 1)  # wait out the delay
    assert approve(site, dev, "sykepleier", "wrong", "10.0.42.1").status_code == 401  # checked again
    second = approve(site, dev, "sykepleier", "wrong", "10.0.42.1")
    assert second.status_code == 429 and int(second.headers["retry-after"]) > int(first.headers["retry-after"])


def _travel(site: Site, *, seconds: int) -> None:
    """Move every stored attempt back in time (the clock of the throttle is the database rows)."""
    with site.store.write() as tx:
        rows = tx.conn.execute(sa.select(login_attempt.c.id, login_attempt.c.at)).all()
        for rid, at in rows:
            tx.conn.execute(
                login_attempt.update()
                .where(login_attempt.c.id == rid)
                .values(at=timeutil.instant(timeutil.parse(at) - dt.timedelta(seconds=seconds)))
            )


def test_guessing_one_account_from_many_addresses_spares_its_known_address(site: Site) -> None:
    home = "10.0.50.1"
    assert approve(site, start(site, home), "personvern", "demo", home).status_code == 200  # a known place

    def fail_from(i: int) -> int:
        addr = f"10.1.{i}.9"
        return approve(site, start(site, addr), "personvern", "wrong", addr).status_code

    with ThreadPoolExecutor(10) as pool:
        fails = list(pool.map(fail_from, range(site.settings.signin_account_limit)))
    assert fails == [401] * site.settings.signin_account_limit
    stranger = "10.2.0.9"
    assert approve(site, start(site, stranger), "personvern", "demo", stranger).status_code == 429
    # The real user, from where they signed in before, gets in: a fresh approval from a known place.
    dev = start(site, home)
    assert approve(site, dev, "personvern", "demo", home).status_code == 200
    assert tokens(site, dev)["access_token"]


def test_many_failures_behind_one_address_spare_those_who_signed_in_from_it(site: Site) -> None:
    office = "10.0.55.1"

    def code(i: int) -> dict[str, Any]:  # device codes asked for from elsewhere (their own limit)
        return start(site, f"10.3.{i}.1")

    assert approve(site, code(0), "fullmakt", "demo", office).status_code == 200  # known here
    with ThreadPoolExecutor(10) as pool:  # (each failure takes a second; the count is atomic)
        fails = list(
            pool.map(
                lambda i: approve(site, code(i + 1), f"nobody-{i}", "wrong", office).status_code,
                range(site.settings.signin_address_limit),
            )
        )
    assert fails == [401] * site.settings.signin_address_limit
    # A name never used from here waits (password spraying from one address) ...
    assert approve(site, code(99), "pasient", "demo", office).status_code == 429
    # ... a colleague who signs in from here does not.
    assert approve(site, code(98), "fullmakt", "demo", office).status_code == 200


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(site: Site, portal: Any) -> None:
    # Through the trusted proxy: the page shows the address the proxy gave.
    dev = start(site, "10.0.60.7")
    page = httpx.get(
        f"{site.url}/device", params={"user_code": dev["user_code"]}, headers={"X-Forwarded-For": "10.0.60.7"}
    )
    assert page.status_code == 200 and "10.0.60.7" in page.text
    # The default portal trusts no proxy: a rotated X-Forwarded-For changes nothing.
    with httpx.Client(base_url=portal.base_url, timeout=60) as http:
        dev = http.post("/oauth/device_authorization", data={"client_id": "pytest"}).json()
        for i in range(5):
            r = http.post(
                "/device",
                headers={"X-Forwarded-For": f"192.0.2.{i}"},
                data={"user_code": dev["user_code"], "username": "fullmakt", "password": "wrong"},
            )
            assert r.status_code == 401
        r = http.post(
            "/device",
            headers={"X-Forwarded-For": "192.0.2.99"},
            data={"user_code": dev["user_code"], "username": "fullmakt", "password": "wrong"},
        )
        assert r.status_code == 429 and "192.0.2" not in r.text and "127.0.0.1" in r.text
        with portal.store.write() as tx:  # leave the shared portal as it was
            tx.conn.execute(login_attempt.delete())


def test_device_authorisation_and_code_guessing_are_rate_limited(site: Site) -> None:
    addr = "10.0.70.1"
    for _ in range(site.settings.device_authorizations_per_address):
        start(site, addr)
    r = httpx.post(
        f"{site.url}/oauth/device_authorization", data={"client_id": "pytest"}, headers={"X-Forwarded-For": addr}
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.json()["issue"][0]["details"]["coding"][0]["code"] == "too-many-device-authorizations"
    guesser = "10.0.71.1"
    for i in range(site.settings.code_lookups_per_address):
        g = httpx.get(
            f"{site.url}/device", params={"user_code": f"BCDF-GH{i:02d}"}, headers={"X-Forwarded-For": guesser}
        )
        assert g.status_code == 404
    g = httpx.get(f"{site.url}/device", params={"user_code": "BCDF-GHJK"}, headers={"X-Forwarded-For": guesser})
    assert g.status_code == 429 and int(g.headers["retry-after"]) > 0
    # Guessing through the form instead of the page is held back the same way.
    p = httpx.post(
        f"{site.url}/device",
        headers={"X-Forwarded-For": guesser},
        data={"user_code": "BCDF-GHJL", "username": "lege", "password": "demo"},
    )
    assert p.status_code == 429 and int(p.headers["retry-after"]) > 0
    poster = "10.0.72.1"
    for i in range(site.settings.code_lookups_per_address):
        p = httpx.post(
            f"{site.url}/device",
            headers={"X-Forwarded-For": poster},
            data={"user_code": f"BCDF-GH{i:02d}", "username": "lege", "password": "demo"},
        )
        assert p.status_code == 404
    p = httpx.get(f"{site.url}/device", params={"user_code": "BCDF-GHJK"}, headers={"X-Forwarded-For": poster})
    assert p.status_code == 429


def test_sign_in_decisions_are_logged_with_ids_only(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="helsami_portal.signin")
    addr = "10.0.80.1"
    dev = start(site, addr)
    typed = "pasient2-typo-Secret!"
    assert approve(site, dev, typed, "hunter2-Secret", addr).status_code == 401
    assert approve(site, dev, "pasient2", "demo", addr).status_code == 200
    dev = start(site, addr)  # the typed name again, up to its limit from this address and past it
    for _ in range(site.settings.signin_account_address_limit - 1):
        assert approve(site, dev, typed, "hunter2-Secret", addr).status_code == 401
    assert approve(site, dev, typed, "hunter2-Secret", addr).status_code == 429
    lines = [r.getMessage() for r in caplog.records if r.name == "helsami_portal.signin"]
    assert any("failed" in x and throttle.account_id(typed) in x and addr in x for x in lines), lines
    assert any("approved" in x and "Patient/" in x for x in lines), lines
    throttled = [x for x in lines if "throttled" in x]
    assert any(throttle.account_id(typed) in x and addr in x and "account-address" in x for x in throttled), lines
    assert not any(typed in x or "hunter2" in x or "demo" in x.split() for x in lines), lines


def test_no_session_outlives_its_absolute_lifetime(site: Site) -> None:
    dev = start(site, "10.0.90.1")
    assert approve(site, dev, "lege", "demo", "10.0.90.1").status_code == 200
    tok = tokens(site, dev)
    ends = timeutil.parse(tok["session_expires"])
    assert ends - timeutil.utcnow() <= dt.timedelta(hours=site.settings.session_absolute_hours)
    # Nine hours later (one refresh a while ago): the new refresh token does not run past the end.
    _age_session(site, tok["session_id"], hours=9)
    fresh = httpx.post(
        f"{site.url}/oauth/token",
        data={"grant_type": "refresh_token", "client_id": "pytest", "refresh_token": tok["refresh_token"]},
    )
    assert fresh.status_code == 200, fresh.text
    with site.store.read() as tx:
        latest = tx.conn.execute(
            sa.select(refresh_token.c.expires)
            .where(refresh_token.c.family == tok["session_id"])
            .order_by(refresh_token.c.created.desc())
            .limit(1)
        ).scalar_one()
    assert timeutil.parse(latest) <= timeutil.parse(fresh.json()["session_expires"]) + dt.timedelta(seconds=1)
    # Past the absolute lifetime a refresh is refused, however recently the last one was.
    _age_session(site, tok["session_id"], hours=2)
    late = httpx.post(
        f"{site.url}/oauth/token",
        data={"grant_type": "refresh_token", "client_id": "pytest", "refresh_token": fresh.json()["refresh_token"]},
    )
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert "longest lifetime" in late.json()["error_description"]


def _age_session(site: Site, family: str, *, hours: int) -> None:
    with site.store.write() as tx:
        for row in tx.conn.execute(sa.select(refresh_token).where(refresh_token.c.family == family)).all():
            tx.conn.execute(
                refresh_token.update()
                .where(refresh_token.c.token_hash == row.token_hash)
                .values(created=timeutil.instant(timeutil.parse(row.created) - dt.timedelta(hours=hours)))
            )


def test_old_scrypt_hash_still_verifies_and_is_upgraded_to_argon2id(site: Site) -> None:
    salt = os.urandom(16)
    digest = hashlib.scrypt(b"gammelt", salt=salt, n=2**14, r=8, p=1, dklen=32)
    with site.store.write() as tx:
        tx.conn.execute(
            account.update()
            .where(account.c.username == "it")
            .values(password_hash=f"scrypt$16384$8$1${salt.hex()}${digest.hex()}")
        )
    dev = start(site, "10.0.95.1")
    assert approve(site, dev, "it", "gammelt", "10.0.95.1").status_code == 200
    with site.store.read() as tx:
        stored = tx.conn.execute(sa.select(account.c.password_hash).where(account.c.username == "it")).scalar_one()
    assert stored.startswith("$argon2id$")
    again = start(site, "10.0.95.1")
    assert approve(site, again, "it", "gammelt", "10.0.95.1").status_code == 200


def test_cleanup_job_removes_expired_codes_spent_tokens_and_old_attempts(site: Site) -> None:
    now = timeutil.utcnow()
    old = timeutil.instant(now - dt.timedelta(days=3))
    with site.store.write() as tx:
        tx.conn.execute(
            device_code.insert().values(
                device_code_hash="f" * 64,
                user_code="ZZZZ-ZZZZ",
                client_id="x",
                client_info="x",
                created=old,
                expires=old,
                interval=5,
                state="pending",
            )
        )
        tx.conn.execute(
            refresh_token.insert().values(
                token_hash="e" * 64,
                family="old-family",
                username="lege",
                client_id="x",
                created=old,
                expires=old,
                used=True,
            )
        )
        tx.conn.execute(login_attempt.insert().values(key="addr:192.0.2.200", at=old))
    live = start(site, "10.0.99.1")
    done = JobRunner(site.store).run_once()
    assert done["sign-in-cleanup"] >= 3
    with site.store.read() as tx:
        assert tx.conn.execute(sa.select(device_code).where(device_code.c.user_code == "ZZZZ-ZZZZ")).first() is None
        assert tx.conn.execute(sa.select(refresh_token).where(refresh_token.c.family == "old-family")).first() is None
        assert tx.conn.execute(sa.select(login_attempt).where(login_attempt.c.at == old)).first() is None
        assert tx.conn.execute(sa.select(device_code).where(device_code.c.user_code == live["user_code"])).first()
