"""Patient notifications (varsler, issue 17): a real SMTP relay (aiosmtpd, STARTTLS and a login) and a
real HTTP SMS gateway in this process; the portal sends through them from its outbox.

Each test owns its patients (made here, with their own addresses and proxies). The outbox job runs
on the test's clock (`Clock`), never on its own timer (`run_jobs=False`), and every wait is for a
condition.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from helsami_portal.delivery import TEXTS, Delivery
from helsami_portal.embedded import EmbeddedPortal, free_port
from helsami_portal.fhir import conventions as c, timeutil
from helsami_portal.jobs import JobRunner, default_jobs
from helsami_portal.seed import add_accounts
from helsami_portal.store.db import make_engine
from helsami_portal.store.schema import notification
from helsami_portal.store.store import Store
from helsami_portal.synth.fnr import make_fnr
from helsami_portal.workflow import notify
from tests.clock import machine_now
from tests.conftest import SEED, drop_pg_database, make_pg_database
from tests.waiting import wait_until

from .conftest import Api, device_sign_in, new_thread, task_for_thread
from .decision_helpers import GP, POOL, op

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

LINK = "https://helsami.example/logg-inn"
SMTP_USER, SMTP_PASSWORD = "helsami-relay", "relay-secret"
SMS_TOKEN = "gateway-token-123"
PROXY_LEVEL = f"{c.BASE}/CodeSystem/proxy-level"


# -- the relay and the gateway -----------------------------------------------------------------


def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the relay's), and its key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = machine_now()  # OpenSSL checks validity on the machine's clock, not the suite's
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "relay.pem", tmp / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Relay:
    """The SMTP relay: STARTTLS required, login required; `answers` are the replies to DATA to give
    before it accepts again (e.g. "451 ..." to make a try fail)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.answers: list[str] = []
        self.tries = 0
        self.logins: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.tries += 1
            if self.answers:
                return self.answers.pop(0)
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(msg)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and data.password.decode() == SMTP_PASSWORD
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m, (_f, rcpt) in zip(self.messages, self.envelopes, strict=True) if address in rcpt]


class Gateway:
    """The SMS gateway: JSON POSTs with a bearer token; `answers` are statuses to give first."""

    def __init__(self) -> None:
        self.sms: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with gateway.lock:
                    status = gateway.answers.pop(0) if gateway.answers else 202
                    if self.headers.get("Authorization") != f"Bearer {SMS_TOKEN}":
                        status = 401
                    elif status == 202:
                        gateway.sms.append(json.loads(body))
                        gateway.headers.append(dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status":"queued"}' if status == 202 else b'{"error":"no"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def to(self, number: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.sms if m["to"] == number]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Relay, Path, int]]:
    cert, key = _certificate(tmp_path_factory.mktemp("relay"))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    handler = Relay()
    port = free_port()
    ctl = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=handler.authenticate,
    )
    ctl.start()
    try:
        yield handler, cert, port
    finally:
        ctl.stop()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    g = Gateway()
    yield g
    g.close()


@pytest.fixture(autouse=True)
def _fresh_answers(relay: tuple[Relay, Path, int], gateway: Gateway) -> Iterator[None]:
    """Each test starts with a relay and a gateway that accept: answers a test queued and did not use
    (e.g. when it failed half way) never reach the next test."""
    relay[0].answers.clear()
    gateway.answers.clear()
    yield
    relay[0].answers.clear()
    gateway.answers.clear()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def nportal(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    reference: dt.datetime,
    relay: tuple[Relay, Path, int],
    gateway: Gateway,
) -> Iterator[EmbeddedPortal]:
    """A portal of its own (its own database), set up to notify by e-mail and SMS, jobs off."""
    _handler, cert, port = relay
    if request.param == "sqlite":
        url, name = f"sqlite:///{tmp_path_factory.mktemp('ndb') / 'portal.sqlite3'}", None
    else:
        url, name = make_pg_database()
    settings = {
        "device_authorizations_per_address": 2000,
        "notify_link": LINK,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "starttls",
        "smtp_username": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
        "smtp_ca_file": str(cert),
        "smtp_from": "HelsaMi <ikke-svar@helsami.example>",
        "sms_url": gateway.url,
        "sms_token": SMS_TOKEN,
        "notify_timeout_seconds": 10,
    }
    p = EmbeddedPortal(
        url,
        demo=True,
        seed=True,
        patients=40,
        tasks=40,
        seed_value=SEED,
        reference=reference,
        run_jobs=False,
        settings=settings,
    )
    try:
        with p:
            yield p
    finally:
        p.store.engine.dispose()
        if name:
            drop_pg_database(name)


class Clock:
    """The outbox job's clock, frozen at the instant it is made; only the test moves it (so a slow
    machine never changes what "now" is between two steps of a test)."""

    def __init__(self) -> None:
        self.now = timeutil.utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


def runner(portal: EmbeddedPortal, clock: Clock) -> JobRunner:
    """The portal's own outbox job (the one `run_jobs` would start), on the test's clock."""
    delivery = portal.app.state.portal.delivery
    assert delivery is not None
    return JobRunner(portal.store, clock=clock, jobs={"notifications": default_jobs(delivery)["notifications"]})


def deliver(portal: EmbeddedPortal, clock: Clock | None = None) -> int:
    """Run the outbox job until nothing more is due; how many were sent."""
    run, total = runner(portal, clock or Clock()), 0
    while (n := run.run_once()["notifications"]) > 0:
        total += n
    assert n == 0, "the job failed"
    return total


# -- patients of the tests' own --------------------------------------------------------------------

_n = [0]


def person(given: str, family: str, birth: dt.date, *, email_: bool, phone: bool) -> dict[str, Any]:
    _n[0] += 1
    tag = uuid.uuid4().hex[:8]
    telecom = []
    if phone:
        telecom.append({"system": "phone", "value": f"+47 4{_n[0]:03d}{int(tag[:4], 16) % 10000:04d}", "use": "mobile"})
    if email_:
        telecom.append({"system": "email", "value": f"{given.lower()}.{tag}@example.no", "use": "home"})
    return {
        "name": [{"family": family, "given": [given], "text": f"{given} {family}"}],
        "birthDate": birth.isoformat(),
        "telecom": telecom,
    }


def make_patient(
    portal: EmbeddedPortal,
    *,
    email_: bool = True,
    phone: bool = True,
    proxies: tuple[str, ...] = (),
    english: bool = False,
) -> SimpleNamespace:
    """An adult patient of the test pool's GP with an account ("demo"), an e-mail address and a
    mobile number, and one proxy (with an e-mail address and a mobile number) per level in `proxies`."""
    import random

    rng = random.Random(uuid.uuid4().int)
    pid = f"n-{uuid.uuid4().hex[:12]}"
    birth = dt.date(1950 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
    fnr = make_fnr(birth, False, rng)
    me = person("Vilde", f"Varselsen{pid[-4:]}", birth, email_=email_, phone=phone)
    out = SimpleNamespace(id=pid, fnr=fnr, username=f"n-{pid}", record=me, proxies={})
    with portal.store.write() as tx:
        rec: dict[str, Any] = {
            "resourceType": "Patient",
            "id": pid,
            "active": True,
            "identifier": [{"system": c.FNR_SYSTEM, "value": fnr}],
            "gender": "female",
            "generalPractitioner": [{"reference": f"Practitioner/{GP}"}],
            **me,
        }
        if english:
            rec["communication"] = [
                {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}, "preferred": True}
            ]
        tx.create(rec, keep_id=True)
        for level in proxies:
            rp_id = f"nrp-{uuid.uuid4().hex[:10]}"
            rp = person("Per", f"Fullmektig{rp_id[-4:]}", dt.date(1975, 5, 5), email_=True, phone=True)
            tx.create(
                {
                    "resourceType": "RelatedPerson",
                    "id": rp_id,
                    "active": True,
                    "patient": {"reference": f"Patient/{pid}"},
                    "relationship": [{"coding": [{"code": "SON"}]}],
                    **rp,
                },
                keep_id=True,
            )
            tx.create(
                {
                    "resourceType": "Consent",
                    "status": "active",
                    "patient": {"reference": f"Patient/{pid}"},
                    "dateTime": "2025-01-01",
                    "performer": [{"reference": f"Patient/{pid}"}],
                    "provision": {
                        "type": "permit",
                        "period": {"start": "2025-01-01"},
                        "actor": [{"reference": {"reference": f"RelatedPerson/{rp_id}"}}],
                        "code": [{"coding": [{"system": PROXY_LEVEL, "code": level}]}],
                    },
                }
            )
            out.proxies[level] = SimpleNamespace(id=rp_id, record=rp)
    add_accounts(
        portal.store,
        [
            SimpleNamespace(
                username=out.username,
                password="demo",
                kind="patient",
                resource=f"Patient/{pid}",
                display=me["name"][0]["text"],
            )
        ],
    )
    return out


def addresses(rec: dict[str, Any]) -> tuple[str, str]:
    have = notify.addresses(rec)
    return have["email"], have["sms"]


def sign_in(portal: EmbeddedPortal, username: str) -> Api:
    http = httpx.Client(base_url=portal.base_url, timeout=30)
    return Api(http, username, device_sign_in(http, username)["access_token"])


@pytest.fixture(scope="module")
def staff(nportal: EmbeddedPortal) -> Iterator[dict[str, Api]]:
    users = {name: sign_in(nportal, name) for name in ("lege", "it", "sykepleier")}
    yield users
    for u in users.values():
        u.http.close()


def reply_to_new_thread(portal: EmbeddedPortal, lege: Api, patient: Api, text: str) -> dict[str, Any]:
    thread = new_thread(patient, POOL, subject="Hodepine", text="Jeg har hatt vondt i hodet i en uke.")
    t = task_for_thread(lege, thread["thread"]["id"])
    r = op(lege, t, "claim")
    assert r.status_code == 200, r.text
    t = r.json() if r.json().get("resourceType") == "Task" else task_for_thread(lege, thread["thread"]["id"])
    r = op(lege, t, "reply", text=text, messageId=str(uuid.uuid4()))
    assert r.status_code == 200, r.text
    return thread


def outbox(portal: EmbeddedPortal, **where: str) -> list[Any]:
    with portal.store.read() as tx:
        q = sa.select(notification)
        for k, v in where.items():
            q = q.where(notification.c[k] == v)
        return list(tx.conn.execute(q.order_by(notification.c.created, notification.c.id)).all())


def shown(m: Any) -> list[str]:
    """What a notification tells beyond its address: every header but To and the decoded body of an
    e-mail, every field but "to" of an SMS."""
    if isinstance(m, dict):
        return [str(v) for k, v in m.items() if k != "to"]
    return [f"{k}: {v}" for k, v in m.items() if k.lower() != "to"] + [m.get_content()]


def assert_no_health_data(texts: list[str], *secrets: str) -> None:
    for t in texts:
        low = t.lower()
        for s in secrets:
            if s:
                assert s.lower() not in low, (s, t)


# -- tests -----------------------------------------------------------------------------------------


def test_a_staff_reply_notifies_the_patient_once_by_email_and_sms_with_no_health_data(
    nportal: EmbeddedPortal, staff: dict[str, Api], relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    smtp = relay[0]
    pat = make_patient(nportal)
    mail, mobile = addresses(pat.record)
    api = sign_in(nportal, pat.username)
    secret = f"Blodprøven viser lav hemoglobin {uuid.uuid4().hex[:6]}"
    reply_to_new_thread(nportal, staff["lege"], api, secret)
    rows = outbox(nportal, recipient=f"Patient/{pat.id}")
    assert sorted((r.channel, r.state, r.kind) for r in rows) == [
        ("email", "pending", "message"),
        ("sms", "pending", "message"),
    ]
    assert deliver(nportal) >= 2
    wait_until(lambda: smtp.to(mail) and gateway.to(mobile), "the e-mail and the SMS")
    deliver(nportal)  # a second run sends nothing again
    mails, sms = smtp.to(mail), gateway.to(mobile)
    assert len(mails) == 1 and len(sms) == 1
    m = mails[0]
    assert m["Subject"] == TEXTS["nb"]["subject"] and m["Content-Language"] == "nb"
    assert m["Auto-Submitted"] == "auto-generated" and m["Message-ID"].endswith("@helsami.example>")
    body = m.get_content().replace("\r\n", "\n")
    assert body == TEXTS["nb"]["email"].format(link=LINK)
    assert "Du har fått en ny melding i HelsaMi" in body and LINK in body
    assert sms[0]["text"] == TEXTS["nb"]["sms"].format(link=LINK)
    assert gateway.headers[-1]["Authorization"] == f"Bearer {SMS_TOKEN}"
    assert smtp.logins and smtp.logins[-1] == SMTP_USER  # logged in, after STARTTLS (the relay demands it)
    name = pat.record["name"][0]
    everything = shown(m) + shown(sms[0])
    assert_no_health_data(
        everything, secret, "hemoglobin", "hodepine", "vondt", name["family"], name["given"][0], pat.fnr, pat.id
    )
    assert all(r.state == "sent" for r in outbox(nportal, recipient=f"Patient/{pat.id}"))
    api.http.close()


def test_a_released_result_notifies_once_and_says_nothing_of_the_result(
    nportal: EmbeddedPortal, staff: dict[str, Api], relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    from .test_results import make_report

    smtp = relay[0]
    pat = make_patient(nportal, english=True)
    mail, mobile = addresses(pat.record)
    rid, tid = make_report(nportal, pat.id, "clinician", [6.1], name="Kalium og natrium")
    lege = staff["lege"]
    t = lege.get(f"/fhir/Task/{tid}").json()
    r = op(lege, t, "release", comment="Litt høy kalium, vi tar en ny prøve.")
    assert r.status_code == 200, r.text
    assert deliver(nportal) >= 2
    wait_until(lambda: smtp.to(mail) and gateway.to(mobile), "the e-mail and the SMS")
    mails, sms = smtp.to(mail), gateway.to(mobile)
    assert len(mails) == 1 and len(sms) == 1
    # in the language the record prefers (English)
    assert mails[0]["Subject"] == TEXTS["en"]["subject"] and sms[0]["text"] == TEXTS["en"]["sms"].format(link=LINK)
    assert_no_health_data(
        shown(mails[0]) + shown(sms[0]),
        "kalium",
        "natrium",
        "prøve",
        "result",
        rid,
        tid,
        pat.record["name"][0]["family"],
        pat.fnr,
    )


def test_a_patient_who_chose_none_gets_none_and_settings_are_kept(
    nportal: EmbeddedPortal, staff: dict[str, Api], relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    smtp = relay[0]
    pat = make_patient(nportal)
    mail, mobile = addresses(pat.record)
    api = sign_in(nportal, pat.username)
    got = api.get("/patient/settings").json()
    assert got == {
        "notifications": {"email": True, "sms": True},
        "language": "nb",
        "default": True,
        "contact": {"email": mail, "sms": mobile},
    }
    bad = api.http.put("/patient/settings", headers=api.h(), json={"notifications": {"email": "yes"}})
    assert bad.status_code == 400 and "invalid-parameter" in bad.text
    assert api.http.put("/patient/settings", headers=api.h(), json={"language": "sv"}).status_code == 400
    r = api.http.put("/patient/settings", headers=api.h(), json={"notifications": {"email": False, "sms": False}})
    assert r.status_code == 200, r.text
    assert r.json()["notifications"] == {"email": False, "sms": False} and r.json()["default"] is False
    assert api.get("/patient/settings").json()["notifications"] == {"email": False, "sms": False}
    reply_to_new_thread(nportal, staff["lege"], api, "Du kan hente resepten.")
    assert outbox(nportal, recipient=f"Patient/{pat.id}") == []
    deliver(nportal)
    assert smtp.to(mail) == [] and gateway.to(mobile) == []
    # SMS only, in English
    r = api.http.put("/patient/settings", headers=api.h(), json={"notifications": {"sms": True}, "language": "en"})
    assert r.json()["notifications"] == {"email": False, "sms": True} and r.json()["language"] == "en"
    reply_to_new_thread(nportal, staff["lege"], api, "Velkommen til time.")
    deliver(nportal)
    wait_until(lambda: gateway.to(mobile), "the SMS")
    assert smtp.to(mail) == [] and [m["text"] for m in gateway.to(mobile)] == [TEXTS["en"]["sms"].format(link=LINK)]
    # staff have no notification settings
    assert staff["lege"].get("/patient/settings").status_code == 403
    api.http.close()


def test_proxies_are_notified_according_to_their_level(
    nportal: EmbeddedPortal, relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    pat = make_patient(nportal, proxies=("full", "read", "messages"))
    ref = {lv: f"RelatedPerson/{p.id}" for lv, p in pat.proxies.items()}
    with nportal.store.write() as tx:  # a staff message, and a result released automatically
        assert notify.enqueue(tx, f"Patient/{pat.id}", "message", f"Communication/test-{uuid.uuid4().hex}") == 8
    with nportal.store.write() as tx:
        assert notify.enqueue(tx, f"Patient/{pat.id}", "result", f"DiagnosticReport/test-{uuid.uuid4().hex}") == 6
    by_kind: dict[str, set[str]] = {}
    for r in outbox(nportal):
        if r.recipient in (f"Patient/{pat.id}", *ref.values()):
            by_kind.setdefault(r.kind, set()).add(r.recipient)
    assert by_kind["message"] == {f"Patient/{pat.id}", *ref.values()}  # every level reads messages
    assert by_kind["result"] == {f"Patient/{pat.id}", ref["full"], ref["read"]}  # "messages" sees no results
    deliver(nportal)
    smtp = relay[0]
    for level, proxy in pat.proxies.items():
        mail, mobile = addresses(proxy.record)
        want = 2 if level != "messages" else 1
        wait_until(
            lambda m=mail, n=mobile, w=want: len(smtp.to(m)) == w and len(gateway.to(n)) == w,
            f"{want} of each for the {level} proxy",
        )
        texts = [t for x in smtp.to(mail) for t in shown(x)] + [t for x in gateway.to(mobile) for t in shown(x)]
        assert_no_health_data(texts, pat.record["name"][0]["family"], pat.record["name"][0]["given"][0], pat.fnr)
    # the same event again: nothing new
    with nportal.store.write() as tx:
        first = outbox(nportal, kind="result")[-1].event
        assert notify.enqueue(tx, f"Patient/{pat.id}", "result", first) == 0


def test_the_automatic_release_notifies_in_the_same_transaction(nportal: EmbeddedPortal) -> None:
    from helsami_portal.workflow import results

    from .test_results import make_report

    pat = make_patient(nportal, proxies=("messages",))
    rid, _ = make_report(nportal, pat.id, "clinician-or-14d", [4.0], days_ago=16, task=False)
    assert results.release_due(nportal.store) >= 1
    rows = outbox(nportal, event=f"DiagnosticReport/{rid}")
    assert sorted((r.recipient, r.channel) for r in rows) == [
        (f"Patient/{pat.id}", "email"),
        (f"Patient/{pat.id}", "sms"),
    ]
    assert {r.kind for r in rows} == {"result"}


def test_a_failing_relay_is_retried_with_backoff_and_it_support_sees_failures(
    nportal: EmbeddedPortal, staff: dict[str, Api], relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    smtp = relay[0]
    pat = make_patient(nportal)
    mail, mobile = addresses(pat.record)
    deliver(nportal)  # nothing else due
    with nportal.store.write() as tx:
        notify.enqueue(tx, f"Patient/{pat.id}", "message", f"Communication/test-{uuid.uuid4().hex}")
    clock = Clock()  # frozen from here on: the backoff is measured against it, never the wall clock
    run = runner(nportal, clock)
    smtp.answers = ["451 4.3.0 Try again later", "421 4.7.0 Busy"]
    gateway.answers = [503]
    before = smtp.tries
    run.run_once()
    wait_until(lambda: smtp.tries == before + 1, "the first try")
    mail_row = outbox(nportal, recipient=f"Patient/{pat.id}", channel="email")[0]
    sms_row = outbox(nportal, recipient=f"Patient/{pat.id}", channel="sms")[0]
    t0 = clock()
    assert (mail_row.state, mail_row.attempts, mail_row.error) == ("pending", 1, "smtp-451")
    assert (sms_row.state, sms_row.attempts, sms_row.error) == ("pending", 1, "sms-503")
    assert timeutil.parse(mail_row.next_attempt) == timeutil.parse(timeutil.instant(t0 + dt.timedelta(seconds=30)))
    run.run_once()  # not due yet: no new try
    assert smtp.tries == before + 1 and not gateway.to(mobile)
    clock.advance(seconds=31)
    run.run_once()  # second try: the relay fails again (421); the gateway accepts
    wait_until(lambda: gateway.to(mobile), "the SMS on the second try")
    mail_row = outbox(nportal, recipient=f"Patient/{pat.id}", channel="email")[0]
    assert (mail_row.state, mail_row.attempts) == ("pending", 2)
    t1 = clock()
    assert timeutil.parse(mail_row.next_attempt) == timeutil.parse(
        timeutil.instant(t1 + dt.timedelta(seconds=60))
    )  # doubled
    clock.advance(seconds=61)
    run.run_once()
    wait_until(lambda: smtp.to(mail), "the e-mail on the third try")
    assert len(smtp.to(mail)) == 1 and len(gateway.to(mobile)) == 1
    assert outbox(nportal, recipient=f"Patient/{pat.id}", channel="email")[0].state == "sent"

    # A permanent refusal fails at once; IT support sees it without any patient data.
    with nportal.store.write() as tx:
        notify.enqueue(tx, f"Patient/{pat.id}", "message", f"Communication/test-{uuid.uuid4().hex}")
    smtp.answers = ["550 5.1.1 Mailbox unavailable"]
    run.run_once()
    failed = [r for r in outbox(nportal, recipient=f"Patient/{pat.id}", channel="email") if r.state == "failed"]
    assert len(failed) == 1 and failed[0].error == "smtp-550" and failed[0].attempts == 1
    assert staff["lege"].get("/fhir/$notifications").status_code == 403
    r = staff["it"].get("/fhir/$notifications")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["channels"] == ["email", "sms"] and data["failedLast24h"] >= 1
    assert any(
        f["id"] == failed[0].id and f["error"] == "smtp-550" and f["channel"] == "email" for f in data["failures"]
    )
    from helsami_tui.client.models import NotificationHealth
    from helsami_tui.i18n import t
    from helsami_tui.screens.support import notifications_text

    screen = notifications_text(NotificationHealth.from_json(data)).plain  # the terminal app's support screen
    assert "smtp-550" in screen and t("support.notify.channel.email") in screen
    text = r.text + screen
    assert_no_health_data(
        [text],
        mail,
        mobile,
        pat.id,
        pat.fnr,
        pat.record["name"][0]["family"],
        "Patient/",
        "RelatedPerson/",
        "Communication/",
    )


def _pending(portal: EmbeddedPortal, n: int) -> list[str]:
    pat = make_patient(portal, phone=False)  # e-mail only: one row per event
    with portal.store.write() as tx:
        for _ in range(n):
            notify.enqueue(tx, f"Patient/{pat.id}", "message", f"Communication/race-{uuid.uuid4().hex}")
    return [r.id for r in outbox(portal, recipient=f"Patient/{pat.id}")]


def test_two_workers_racing_never_send_one_twice(nportal: EmbeddedPortal, relay: tuple[Relay, Path, int]) -> None:
    smtp = relay[0]
    deliver(nportal)  # the outbox is empty of anything due
    ids = _pending(nportal, 24)
    assert len(ids) == 24
    url = nportal.store.engine.url.render_as_string(hide_password=False)
    stores = [Store(make_engine(url, pool_size=2)) for _ in range(2)]  # as two worker processes
    template = nportal.app.state.portal.delivery
    workers = [Delivery(template.transports, link=LINK, batch=3) for _ in stores]
    start = threading.Barrier(2)
    sent: list[list[str]] = [[], []]

    def work(i: int) -> None:
        workers[i].on_sent = sent[i].append
        start.wait()
        while workers[i].run_once(stores[i], timeutil.utcnow()):
            pass

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for s in stores:
        s.engine.dispose()
    mine = set(ids)
    by_worker = [set(x) & mine for x in sent]
    assert not by_worker[0] & by_worker[1]
    assert by_worker[0] | by_worker[1] == mine
    assert all(r.state == "sent" and r.attempts == 1 for r in outbox(nportal) if r.id in mine)
    got = [m["Message-ID"] for m in smtp.messages if m["Message-ID"].strip("<>").split("@")[0] in mine]
    assert len(got) == len(set(got)) == 24  # each one once at the relay


def test_claims_of_racing_workers_never_overlap(nportal: EmbeddedPortal) -> None:
    """The claim itself, without sending: many claims at once never hand one row to two workers."""
    ids = set(_pending(nportal, 40))
    url = nportal.store.engine.url.render_as_string(hide_password=False)
    stores = [Store(make_engine(url, pool_size=2)) for _ in range(4)]
    now = timeutil.utcnow() + dt.timedelta(seconds=1)
    got: list[list[str]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))

    def work(i: int) -> None:
        start.wait()
        while batch := notify.claim(stores[i], now, f"w{i}", frozenset({"email"}), limit=2):
            got[i].extend(c.id for c in batch)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(stores))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for s in stores:
        s.engine.dispose()
    claimed = [x for g in got for x in g if x in ids]
    assert len(claimed) == len(set(claimed)) == len(ids)
    # a claim that was never finished (its worker died) is taken over after the lease, once
    later = now + notify.LEASE + dt.timedelta(seconds=1)
    again = notify.claim(nportal.store, later, "w-new", frozenset({"email"}), limit=100)
    assert ids <= {c.id for c in again} and all(c.attempts == 2 for c in again if c.id in ids)
    taken = next(c for c in again if c.id in ids)
    old_worker = next(f"w{i}" for i, g in enumerate(got) if taken.id in g)
    assert not notify.renew(nportal.store, taken, old_worker, later)  # the first worker may not send it now
    assert notify.renew(nportal.store, taken, "w-new", later)
    with nportal.store.write() as tx:  # leave nothing due for the other tests
        tx.conn.execute(
            notification.update().where(notification.c.id.in_(sorted(ids))).values(state="failed", error="test")
        )


def test_settings_refuse_a_password_in_clear() -> None:
    from pydantic import ValidationError

    from helsami_portal.api.settings import Settings, describe

    with pytest.raises(ValidationError):
        Settings(smtp_host="relay.example", smtp_username="u", smtp_password="p", smtp_security="none")
    s = Settings(
        smtp_host="relay.example",
        smtp_username="u",
        smtp_password="hemmelig",
        sms_url="https://sms.example/v1",
        sms_token="tok-hemmelig",
    )
    shown = describe(s)
    assert "hemmelig" not in shown and "smtp_password" in shown and "***" in shown


def test_only_plain_addresses_reach_a_mail_header_or_the_gateway() -> None:
    rec = {
        "telecom": [
            {"system": "phone", "value": "+47 484 74 337", "use": "mobile"},
            {"system": "email", "value": "ola.nordmann@example.no"},
        ]
    }
    assert notify.addresses(rec) == {"email": "ola.nordmann@example.no", "sms": "+4748474337"}
    bad = {
        "telecom": [
            {"system": "phone", "value": "ring meg", "use": "mobile"},
            {"system": "email", "value": "x@y.no\r\nBcc: z@q.no"},
        ]
    }
    assert notify.addresses(bad) == {"email": "", "sms": ""}
    home = {"telecom": [{"system": "phone", "value": "+47 22 33 44 55", "use": "home"}]}
    assert notify.addresses(home)["sms"] == ""  # SMS only to a mobile number


def test_appointment_decisions_notify_once_each(
    nportal: EmbeddedPortal, staff: dict[str, Api], relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    from .test_questionnaires_appointments import _future, _task, make_request

    smtp = relay[0]
    pat = make_patient(nportal)
    mail, mobile = addresses(pat.record)
    nurse = staff["sykepleier"]
    first, second = make_request(nportal, pat.id), make_request(nportal, pat.id)
    r = op(nurse, _task(nurse, first), "confirm-appointment", start=_future(3), comment="Ta med medisinlisten.")
    assert r.status_code == 200, r.text
    r = op(nurse, _task(nurse, second), "propose-appointment", start=_future(8, 14), minutes=45)
    assert r.status_code == 200, r.text
    deliver(nportal)
    wait_until(lambda: len(smtp.to(mail)) == 2 and len(gateway.to(mobile)) == 2, "two of each")
    deliver(nportal)
    assert len(smtp.to(mail)) == 2 and len(gateway.to(mobile)) == 2
    texts = [t for m in smtp.to(mail) for t in shown(m)] + [t for m in gateway.to(mobile) for t in shown(m)]
    assert {m["text"] for m in gateway.to(mobile)} == {TEXTS["nb"]["sms"].format(link=LINK)}
    assert_no_health_data(
        texts,
        "time",
        "fastlege",
        "medisinlisten",
        "kl.",
        "bekreftet",
        "foreslår",
        pat.record["name"][0]["family"],
        pat.fnr,
    )


def test_an_event_that_rolls_back_notifies_nobody(nportal: EmbeddedPortal) -> None:
    pat = make_patient(nportal)
    event = f"Communication/rolled-back-{uuid.uuid4().hex}"
    with pytest.raises(RuntimeError), nportal.store.write() as tx:
        assert notify.enqueue(tx, f"Patient/{pat.id}", "message", event) == 2
        raise RuntimeError("the event's transaction fails after the outbox rows were written")
    assert outbox(nportal, event=event) == []


def test_settings_refuse_what_cannot_be_set_and_a_channel_without_an_address(nportal: EmbeddedPortal) -> None:
    """Review: `default` and `contact` took any value (a 900 kB string, a new address that was never
    used) with 200, though docs/api.md says anything else is 400; and a patient with no e-mail address
    or mobile number in the record could turn those channels on and would never be told anything."""
    pat = make_patient(nportal)
    mail, mobile = addresses(pat.record)
    api = sign_in(nportal, pat.username)
    shown = api.get("/patient/settings").json()
    for body in (
        {"default": "x" * 900_000},
        {"contact": {"email": "someone.else@example.no", "sms": mobile}},
        {"contact": "x"},
        {"default": 1},
    ):
        r = api.http.put("/patient/settings", headers=api.h(), json=body)
        assert r.status_code == 400 and "invalid-parameter" in r.text, (str(body)[:80], r.text[:200])
    assert api.get("/patient/settings").json() == shown  # nothing changed
    # What GET answered can be sent back as it is (a client edits and returns the whole object).
    back = {**shown, "notifications": {"email": False, "sms": True}}
    r = api.http.put("/patient/settings", headers=api.h(), json=back)
    assert r.status_code == 200 and r.json()["notifications"] == {"email": False, "sms": True}
    assert r.json()["contact"] == {"email": mail, "sms": mobile}
    # No address in the record: that channel cannot be turned on (a clear 409), turning it off is fine.
    none = make_patient(nportal, email_=False, phone=True)
    api2 = sign_in(nportal, none.username)
    assert api2.get("/patient/settings").json()["notifications"] == {"email": False, "sms": True}
    r = api2.http.put("/patient/settings", headers=api2.h(), json={"notifications": {"email": True, "sms": True}})
    assert r.status_code == 409, r.text
    issue = r.json()["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "no-contact-address" and issue["expression"] == [
        "notifications.email"
    ]
    assert api2.get("/patient/settings").json()["default"] is True  # nothing stored
    r = api2.http.put("/patient/settings", headers=api2.h(), json={"notifications": {"email": False, "sms": False}})
    assert r.status_code == 200 and r.json()["notifications"] == {"email": False, "sms": False}
    api.http.close()
    api2.http.close()


def test_a_notification_waiting_in_the_outbox_is_not_sent_once_it_is_no_longer_wanted(
    nportal: EmbeddedPortal, relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    """Review: a row was sent as it was written, up to a day later with retries: to a proxy whose
    grant the patient had ended meanwhile, and by a channel the patient had turned off."""
    from helsami_portal.store.query import parse_query

    smtp = relay[0]
    pat = make_patient(nportal, proxies=("full",))
    proxy = pat.proxies["full"]
    with nportal.store.write() as tx:
        assert notify.enqueue(tx, f"Patient/{pat.id}", "message", f"Communication/test-{uuid.uuid4().hex}") == 4
    # Before the job runs: the patient ends the proxy's grant and turns e-mail off.
    with nportal.store.write() as tx:
        [grant] = tx.search("Consent", parse_query("Consent", [("patient", f"Patient/{pat.id}")]).where, count=5).rows
        grant["provision"]["period"]["end"] = "2026-11-01"
        tx.update(grant, expected_version=int(grant["meta"]["versionId"]))
    api = sign_in(nportal, pat.username)
    assert (
        api.http.put("/patient/settings", headers=api.h(), json={"notifications": {"email": False}}).status_code == 200
    )
    deliver(nportal)
    mail, mobile = addresses(pat.record)
    wait_until(lambda: gateway.to(mobile), "the patient's SMS")
    p_mail, p_mobile = addresses(proxy.record)
    assert smtp.to(mail) == [] and smtp.to(p_mail) == [] and gateway.to(p_mobile) == []
    states = {(r.recipient.split("/")[0], r.channel): r.state for r in outbox(nportal, recipient=f"Patient/{pat.id}")}
    states |= {
        (r.recipient.split("/")[0], r.channel): r.state for r in outbox(nportal, recipient=f"RelatedPerson/{proxy.id}")
    }
    assert states == {
        ("Patient", "sms"): "sent",
        ("Patient", "email"): "withdrawn",
        ("RelatedPerson", "sms"): "withdrawn",
        ("RelatedPerson", "email"): "withdrawn",
    }
    api.http.close()


def test_only_proxies_who_may_act_now_are_told(nportal: EmbeddedPortal) -> None:
    """Review (it held): a proxy whose grant has ended, a proxy of a patient recorded as lacking capacity
    to consent (the grant does not count), and a parent of a patient of 16 or more are not told; a
    parent of a child of 12 to 15 is told of messages, not of results."""
    from helsami_portal.store.query import parse_query

    ended = make_patient(nportal, proxies=("full",))
    no_capacity = make_patient(nportal, proxies=("full",))
    teen, child = make_patient(nportal), make_patient(nportal)
    with nportal.store.write() as tx:
        [grant] = tx.search("Consent", parse_query("Consent", [("patient", f"Patient/{ended.id}")]).where, count=5).rows
        grant["provision"]["period"]["end"] = "2026-11-01"
        tx.update(grant, expected_version=int(grant["meta"]["versionId"]))
        rec = tx.get("Patient", no_capacity.id)
        assert rec is not None
        rec["extension"] = [{"url": c.EXT_CONSENT_CAPACITY, "valueBoolean": False}]
        tx.update(rec, expected_version=int(rec["meta"]["versionId"]))
        for who, born in ((teen, "2009-06-01"), (child, "2013-06-01")):  # 17 and 13 on the test's day
            rec = tx.get("Patient", who.id)
            assert rec is not None
            rec["birthDate"] = born
            tx.update(rec, expected_version=int(rec["meta"]["versionId"]))
            parent = person("Mor", f"Forelder{who.id[-4:]}", dt.date(1980, 1, 1), email_=True, phone=True)
            tx.create(
                {
                    "resourceType": "RelatedPerson",
                    "id": f"par-{who.id}",
                    "active": True,
                    "patient": {"reference": f"Patient/{who.id}"},
                    "relationship": [{"coding": [{"code": "MTH"}]}],
                    **parent,
                },
                keep_id=True,
            )

    def recipients(pid: str, proxy: str, kind: str) -> set[str]:
        with nportal.store.write() as tx:
            notify.enqueue(tx, f"Patient/{pid}", kind, f"Communication/test-{uuid.uuid4().hex}")
        return {r.recipient for r in outbox(nportal, kind=kind) if r.recipient in (f"Patient/{pid}", proxy)}

    assert recipients(ended.id, f"RelatedPerson/{ended.proxies['full'].id}", "message") == {f"Patient/{ended.id}"}
    nc = f"RelatedPerson/{no_capacity.proxies['full'].id}"
    assert recipients(no_capacity.id, nc, "message") == {f"Patient/{no_capacity.id}"}
    assert recipients(teen.id, f"RelatedPerson/par-{teen.id}", "message") == {f"Patient/{teen.id}"}
    assert recipients(child.id, f"RelatedPerson/par-{child.id}", "message") == {
        f"Patient/{child.id}",
        f"RelatedPerson/par-{child.id}",
    }
    assert recipients(child.id, f"RelatedPerson/par-{child.id}", "result") == {f"Patient/{child.id}"}


def _renewal_task(portal: EmbeddedPortal, lege: Api, patient: Api, pid: str, atc: str, medicine: str) -> dict[str, Any]:
    """The patient has an active order of `medicine` and asks to renew it; the renewal item staff see."""
    with portal.store.write() as tx:
        order = tx.create(
            {
                "resourceType": "MedicationRequest",
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://www.whocc.no/atc", "code": atc}],
                    "text": medicine,
                },
                "subject": {"reference": f"Patient/{pid}"},
                "authoredOn": timeutil.instant(timeutil.utcnow() - dt.timedelta(days=100)),
                "requester": {"reference": f"Practitioner/{GP}", "display": "Marte Lien"},
                "dosageInstruction": [{"text": "1 tablett daglig"}],
            }
        )
    r = patient.post(
        "/patient/renewals",
        json={"medication": order["id"], "messageId": str(uuid.uuid4()), "text": "Har tabletter til fredag."},
    )
    assert r.status_code == 201, r.text
    found = lege.get("/fhir/Task", params={"focus": f"MedicationRequest/{r.json()['request']['id']}"}).json()
    [entry] = found["entry"]
    return dict(entry["resource"])


def test_renewal_decisions_notify_the_patient_per_settings_without_the_medicine(
    nportal: EmbeddedPortal, staff: dict[str, Api], relay: tuple[Relay, Path, int], gateway: Gateway
) -> None:
    """Audit (issues 16-17): a decided renewal reaches the patient as a staff message; the patient is
    told as of a reply (same outbox), by the channels the settings name, and the text says nothing of
    the medicine or the decision."""
    smtp = relay[0]
    pat = make_patient(nportal)
    mail, mobile = addresses(pat.record)
    api = sign_in(nportal, pat.username)
    lege = staff["lege"]
    approved = _renewal_task(nportal, lege, api, pat.id, "C10AA05", "Atorvastatin 20 mg tablett")
    denied = _renewal_task(nportal, lege, api, pat.id, "N05CF01", "Imovane 7,5 mg tablett")
    assert outbox(nportal, recipient=f"Patient/{pat.id}") == []  # asking tells the patient nothing
    # Approved, with both channels on (the default): one e-mail and one SMS.
    r = op(lege, approved, "approve", comment="Husk årskontroll av kolesterol i vår.")
    assert r.status_code == 200, r.text
    rows = outbox(nportal, recipient=f"Patient/{pat.id}")
    assert sorted((x.channel, x.kind) for x in rows) == [("email", "message"), ("sms", "message")]
    assert {x.event.split("/")[0] for x in rows} == {"Communication"}
    deliver(nportal)
    wait_until(lambda: smtp.to(mail) and gateway.to(mobile), "the e-mail and the SMS of the approval")
    deliver(nportal)
    assert len(smtp.to(mail)) == 1 and len(gateway.to(mobile)) == 1
    # Denied, after the patient turned e-mail off: one SMS and no e-mail.
    r = api.http.put("/patient/settings", headers=api.h(), json={"notifications": {"email": False, "sms": True}})
    assert r.status_code == 200, r.text
    r = op(lege, denied, "deny", reason="Sovemedisin bør ikke brukes fast. Bestill time så vi kan snakke om søvnen.")
    assert r.status_code == 200, r.text
    deliver(nportal)
    wait_until(lambda: len(gateway.to(mobile)) == 2, "the SMS of the denial")
    deliver(nportal)
    assert len(smtp.to(mail)) == 1 and len(gateway.to(mobile)) == 2
    assert [m["text"] for m in gateway.to(mobile)] == [TEXTS["nb"]["sms"].format(link=LINK)] * 2
    assert smtp.to(mail)[0].get_content().replace("\r\n", "\n") == TEXTS["nb"]["email"].format(link=LINK)
    assert all(x.state == "sent" for x in outbox(nportal, recipient=f"Patient/{pat.id}"))
    everything = shown(smtp.to(mail)[0]) + [t for m in gateway.to(mobile) for t in shown(m)]
    assert_no_health_data(
        everything,
        "atorvastatin",
        "imovane",
        "C10AA05",
        "N05CF01",
        "resept",
        "fornye",
        "kolesterol",
        "sovemedisin",
        "søvn",
        approved["id"],
        denied["id"],
        pat.record["name"][0]["family"],
        pat.fnr,
    )
    api.http.close()
