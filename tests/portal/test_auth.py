"""Sign-in over real HTTP: the device flow from start to revocation, refresh-token reuse, bad and
hostile tokens, brute force on the approval page, and an external OpenID Connect issuer."""

from __future__ import annotations

import logging
import pathlib
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from helsami_portal.api.app import create_app
from helsami_portal.api.settings import Settings
from helsami_portal.auth.tokens import AUDIENCE, KeyRing
from helsami_portal.embedded import free_port
from helsami_portal.seed import seed
from helsami_portal.store.db import make_engine
from helsami_portal.store.schema import device_code
from helsami_portal.store.store import Store

from ..conftest import drop_pg_database, make_pg_database
from ..waiting import wait_until
from .conftest import device_sign_in, new_thread

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def poll(http: httpx.Client, dev: dict[str, Any], client_id: str = "pytest-auth") -> httpx.Response:
    return http.post(
        "/oauth/token", data={"grant_type": DEVICE, "device_code": dev["device_code"], "client_id": client_id}
    )


def start(http: httpx.Client, client_id: str = "pytest-auth") -> dict[str, Any]:
    r = http.post(
        "/oauth/device_authorization", data={"client_id": client_id}, headers={"User-Agent": "helsami-tui/test"}
    )
    assert r.status_code == 200
    return dict(r.json())


def test_discovery_gives_everything_a_client_needs(portal: Any) -> None:
    conf = httpx.get(f"{portal.base_url}/.well-known/openid-configuration").json()
    for key in (
        "issuer",
        "device_authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "jwks_uri",
        "fhir_base_url",
    ):
        assert conf[key].startswith(portal.base_url)
    assert conf["helsami_demo_login"] is True
    keys = httpx.get(conf["jwks_uri"]).json()["keys"]
    assert keys and all("d" not in k for k in keys)  # public keys only


def test_device_flow_from_start_to_tokens_to_refresh_to_revocation(portal: Any) -> None:
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        dev = start(http)
        assert dev["verification_uri_complete"].endswith(dev["user_code"]) and dev["interval"] >= 1
        assert poll(http, dev).json()["error"] == "authorization_pending"
        assert poll(http, dev).json()["error"] == "slow_down"  # polled again at once
        # The approval page shows which device asked, and when (RFC 8628 section 5.4).
        page = http.get("/device", params={"user_code": dev["user_code"]})
        assert page.status_code == 200 and "helsami-tui/test" in page.text and "UTC" in page.text
        assert "pytest-auth" in page.text
        ok = http.post(
            "/device",
            data={"user_code": dev["user_code"], "username": "lege", "password": "demo", "decision": "approve"},
        )
        assert ok.status_code == 200
        tokens = poll(http, dev).json()
        assert tokens["token_type"] == "Bearer" and tokens["expires_in"] <= 900
        assert poll(http, dev).json()["error"] == "invalid_grant"  # a device code gives tokens once
        who = http.get("/fhir/$whoami", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
        assert who["resource"] == "Practitioner/prac-0001" and who["roles"] == ["physician"]

        # Refresh rotates: a new refresh token each time, the old one is spent.
        r1 = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "pytest-auth"},
        ).json()
        assert r1["refresh_token"] != tokens["refresh_token"]
        assert http.get("/fhir/$whoami", headers={"Authorization": f"Bearer {r1['access_token']}"}).status_code == 200
        wrong_client = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": r1["refresh_token"], "client_id": "other"},
        )
        assert wrong_client.status_code == 400

        # Sign-out revokes the session: the refresh token and every access token of it stop working.
        assert http.post("/oauth/revoke", data={"token": r1["refresh_token"]}).status_code == 200
        for t in (tokens["access_token"], r1["access_token"]):
            r = http.get("/fhir/$whoami", headers={"Authorization": f"Bearer {t}"})
            assert r.status_code == 401 and r.json()["resourceType"] == "OperationOutcome"
        r = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": r1["refresh_token"], "client_id": "pytest-auth"},
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_reusing_a_spent_refresh_token_signs_the_whole_session_out(portal: Any) -> None:
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        tokens = device_sign_in(http, "sykepleier")
        fresh = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "client_id": "pytest", "refresh_token": tokens["refresh_token"]},
        ).json()
        # Someone replays the first (spent) refresh token: refused, and the session ends for everyone.
        stolen = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "client_id": "pytest", "refresh_token": tokens["refresh_token"]},
        )
        assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
        assert (
            http.get("/fhir/$whoami", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 401
        )
        again = http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "client_id": "pytest", "refresh_token": fresh["refresh_token"]},
        )
        assert again.status_code == 400


def test_denied_and_expired_device_codes(portal: Any) -> None:
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        dev = start(http)
        r = http.post(
            "/device", data={"user_code": dev["user_code"], "username": "lege", "password": "demo", "decision": "deny"}
        )
        assert r.status_code == 200
        assert poll(http, dev).json()["error"] == "access_denied"

        dev = start(http)
        with portal.store.write() as tx:
            tx.conn.execute(
                device_code.update()
                .where(device_code.c.user_code == dev["user_code"])
                .values(expires="2000-01-01T00:00:00.000000Z")
            )
        assert poll(http, dev).json()["error"] == "expired_token"
        page = http.get("/device", params={"user_code": dev["user_code"]})
        assert page.status_code == 404
        assert poll(http, {"device_code": "made-up"}).json()["error"] == "invalid_grant"


# -- hostile tokens -------------------------------------------------------------------------------


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "",
        "aud": AUDIENCE,
        "sub": "lege",
        "kind": "staff",
        "res": "Practitioner/prac-0001",
        "name": "x",
        "sid": uuid.uuid4().hex,
        "client_id": "evil",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    base.update(over)
    return base


def test_expired_forged_wrong_audience_and_revoked_tokens_get_401_and_are_logged(
    portal: Any, sign_in: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key = KeyRing(portal.store).signing()
    iss = portal.base_url
    header = {"alg": "ES256", "kid": key.kid}
    other = ECKey.generate_key("P-256", parameters={"kid": key.kid})  # same kid, another key
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        revoked = device_sign_in(http, "lege")
        http.post("/oauth/revoke", data={"token": revoked["access_token"]})
    cases = {
        "valid control": jwt.encode(header, _claims(iss=iss), key),
        "expired": jwt.encode(header, _claims(iss=iss, exp=int(time.time()) - 3600), key),
        "forged": jwt.encode(header, _claims(iss=iss), other),
        "wrong audience": jwt.encode(header, _claims(iss=iss, aud="another-service"), key),
        "wrong issuer": jwt.encode(header, _claims(iss="https://evil.example"), key),
        "revoked": revoked["access_token"],
        "not a jwt": "hello",
        "alg none": "eyJhbGciOiJub25lIn0." + jwt.encode(header, _claims(iss=iss), key).split(".")[1] + ".",
    }
    caplog.set_level(logging.WARNING, logger="helsami_portal.api")
    for name, token in cases.items():
        r = httpx.get(f"{portal.base_url}/fhir/Patient/pat-000001", headers={"Authorization": f"Bearer {token}"})
        if name == "valid control":
            assert r.status_code == 200, r.text
            continue
        assert r.status_code == 401, (name, r.status_code)
        assert r.json()["resourceType"] == "OperationOutcome" and "Nordmann" not in r.text, name
        assert "invalid_token" in r.headers.get("www-authenticate", ""), name
    lines = [rec.getMessage() for rec in caplog.records if rec.getMessage().startswith("refused 401")]
    assert len(lines) >= len(cases) - 1
    assert all("/fhir/Patient/pat-000001" in line and "eyJ" not in line for line in lines)


def test_patient_token_on_staff_endpoints_and_guessed_ids(sign_in: Any, portal: Any) -> None:
    pas, pas2, po = sign_in("pasient"), sign_in("pasient2"), sign_in("personvern")
    for path in (
        "/fhir/Task",
        "/fhir/Patient/pat-000002",
        "/fhir/Condition?patient=Patient/pat-000002",
        "/fhir/AuditEvent",
        "/fhir/$pools",
        "/fhir/$queues",
        "/fhir/$events",
    ):
        r = pas.get(path)
        assert r.status_code == 403, path
        assert r.json()["resourceType"] == "OperationOutcome" and "Ola" not in r.text
    # Kari guesses the id of Ola's conversation: answered as for an id that does not exist (404, so
    # the answer does not tell that it exists), with nothing in the body, and logged in Ola's log.
    ola_thread = new_thread(pas2, "hs-fjordvik-legesenter", subject="Privat")["thread"]["id"]
    before = po.get(
        "/fhir/AuditEvent", params={"patient": "Patient/pat-000002", "_total": "accurate", "_count": "1"}
    ).json()["total"]
    r = pas.get(f"/patient/threads/{ola_thread}")
    assert r.status_code == 404 and "Privat" not in r.text and "Ola" not in r.text
    assert r.json() == pas.get("/patient/threads/finnes-ikke").json()
    r = pas.post(f"/patient/threads/{ola_thread}/messages", json={"text": "hei", "messageId": str(uuid.uuid4())})
    assert r.status_code == 404
    r = pas.get("/patient/threads", params={"patient": "pat-000002"})
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"
    log = po.get("/fhir/AuditEvent", params={"patient": "Patient/pat-000002", "_count": "3"}).json()
    after = po.get(
        "/fhir/AuditEvent", params={"patient": "Patient/pat-000002", "_total": "accurate", "_count": "1"}
    ).json()["total"]
    assert after == before + 3
    assert all(
        e["resource"]["outcome"] == "4" and e["resource"]["agent"][0]["who"]["reference"] == "Patient/pat-000001"
        for e in log["entry"]
    )
    # Ola's own view of it does not name the other citizen.
    entries = pas2.get("/patient/access-log", params={"_count": "3"}).json()["entries"]
    assert all(not e["granted"] and e["who"] == "En annen HelsaMi-bruker" for e in entries)


# -- a second portal: not the embedded demo, trusting an external OIDC issuer --------------------


class _Server:
    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        wait_until(lambda: self.server.started, "the server started")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def idp() -> Iterator[dict[str, Any]]:
    """A tiny OpenID Connect issuer: discovery and a key set, with keys made here."""
    key = ECKey.generate_key("P-256", parameters={"kid": "idp-1", "alg": "ES256", "use": "sig"})
    state: dict[str, Any] = {"key": key}

    async def conf(request: Any) -> JSONResponse:
        return JSONResponse({"issuer": state["url"], "jwks_uri": f"{state['url']}/jwks"})

    async def jwks(request: Any) -> JSONResponse:
        return JSONResponse({"keys": [key.as_dict(private=False)]})

    app = Starlette(routes=[Route("/.well-known/openid-configuration", conf), Route("/jwks", jwks)])
    with _Server(app) as s:
        state["url"] = s.url
        yield state


_STRICT: dict[str, Any] = {}  # the Portal (shared state) of each strict portal, by its address


@pytest.fixture(scope="module")
def strict_portal(db_url: str, idp: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A portal made with create_app(Settings(embedded_demo=False)), on its own database."""
    pg_name = None
    if db_url.startswith("postgresql"):
        url, pg_name = make_pg_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('strict') / 'p.sqlite3'}"
    store = Store(make_engine(url))
    seed(store, patients=8, tasks=20)
    port = free_port()
    settings = Settings(
        issuer=f"http://127.0.0.1:{port}",
        embedded_demo=False,
        oidc_issuer=idp["url"],
        oidc_audience="helsami-test",
        oidc_claim="preferred_username",
    )
    app = create_app(store, settings)
    _STRICT[settings.issuer] = app.state.portal
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    wait_until(lambda: server.started, "the strict portal started")
    try:
        yield settings.issuer
    finally:
        _STRICT.pop(settings.issuer, None)
        server.should_exit = True
        t.join(10)
        store.engine.dispose()
        if pg_name:
            drop_pg_database(pg_name)


def _idp_token(idp: dict[str, Any], key: ECKey | None = None, **over: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": idp["url"],
        "aud": "helsami-test",
        "sub": "abc-123",
        "preferred_username": "lege",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    claims.update(over)
    k = key or idp["key"]
    return jwt.encode({"alg": "ES256", "kid": k.kid}, claims, k)


def test_external_oidc_tokens_are_accepted_and_mapped_to_staff(strict_portal: str, idp: dict[str, Any]) -> None:
    def whoami(token: str) -> httpx.Response:
        return httpx.get(f"{strict_portal}/fhir/$whoami", headers={"Authorization": f"Bearer {token}"})

    r = whoami(_idp_token(idp))
    assert r.status_code == 200, r.text
    assert r.json()["resource"] == "Practitioner/prac-0001" and r.json()["roles"] == ["physician"]
    assert whoami(_idp_token(idp, preferred_username="it")).json()["roles"] == ["it-support"]
    assert whoami(_idp_token(idp, aud="someone-else")).status_code == 401
    assert whoami(_idp_token(idp, exp=int(time.time()) - 3600)).status_code == 401
    stranger = ECKey.generate_key("P-256", parameters={"kid": "idp-1"})
    assert whoami(_idp_token(idp, key=stranger)).status_code == 401
    assert whoami(_idp_token(idp, preferred_username="nobody-here")).status_code == 403


def test_demo_login_does_not_exist_on_a_portal_that_is_not_the_embedded_demo(strict_portal: str, portal: Any) -> None:
    r = httpx.post(f"{strict_portal}/auth/demo-login", data={"username": "lege"})
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"
    assert httpx.get(f"{strict_portal}/.well-known/openid-configuration").json()["helsami_demo_login"] is False
    # The embedded demo portal does offer it.
    ok = httpx.post(f"{portal.base_url}/auth/demo-login", data={"username": "lege"})
    assert ok.status_code == 200 and ok.json()["access_token"]
    # No setting reachable from `serve` turns it on.
    from helsami_portal.api import factory

    assert "embedded_demo" not in pathlib.Path(factory.__file__).read_text(encoding="utf-8")


class _Clock:
    """A monotonic clock that moves only when the portal pauses: the pauses it asks for are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def test_sixth_try_after_five_wrong_passwords_waits_out_a_delay_even_with_the_right_password(
    strict_portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr(_STRICT[strict_portal], "monotonic", clock.monotonic)
    monkeypatch.setattr(_STRICT[strict_portal], "sleep", clock.sleep)
    with httpx.Client(base_url=strict_portal, timeout=30) as http:
        dev = start(http)
        for _ in range(5):
            r = http.post(
                "/device",
                data={
                    "user_code": dev["user_code"],
                    "username": "sykepleier",
                    "password": "wrong",
                    "decision": "approve",
                },
            )
            assert r.status_code == 401
        # Every failure is slowed down: its answer waits until a second after the request came in.
        assert clock.pauses == [pytest.approx(1.0)] * 5
        r = http.post(
            "/device",
            data={"user_code": dev["user_code"], "username": "sykepleier", "password": "demo", "decision": "approve"},
        )
        # Past the limit, this account from this address waits (progressive delay; docs/auth.md).
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "Try again in" in r.text
        assert poll(http, dev).json()["error"] in ("authorization_pending", "slow_down")
