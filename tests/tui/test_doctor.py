"""`helsami-tui doctor`: a report safe to paste into a ticket, and a failing exit code when the
portal cannot be reached."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal, free_port
from helsami_portal.store.schema import resource
from helsami_tui import doctor
from helsami_tui.cli import main
from helsami_tui.client.auth import TokenStore, demo_login
from helsami_tui.i18n import current_language, set_language


@pytest.fixture(autouse=True)
def _nb() -> Any:
    before = current_language()
    set_language("nb")
    yield
    set_language(before)


def patient_identities(portal: EmbeddedPortal) -> list[str]:
    """Every seeded patient's full name, family name and national id."""
    out: list[str] = []
    with portal.store.read() as tx:
        for (content,) in tx.conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "Patient")):
            p = json.loads(content)
            for n in p.get("name") or []:
                if n.get("text"):
                    out.append(n["text"])
            for i in p.get("identifier") or []:
                if i.get("value"):
                    out.append(i["value"])
    assert len(out) > 100
    return out


def memory_store() -> TokenStore:
    store = TokenStore(backend=object())  # not a keyring: memory only
    store.memory_only, store._backend = True, None  # noqa: SLF001
    return store


def test_doctor_against_a_portal_is_safe_to_paste(demo_portal: EmbeddedPortal) -> None:
    tokens = asyncio.run(demo_login(demo_portal.base_url, "sentralbord"))
    store = memory_store()
    store.save(demo_portal.base_url, tokens)
    out = io.StringIO()
    code = doctor.main(
        demo_portal.base_url,
        out=out,
        store=store,
        env={
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "LANG": "nb_NO.UTF-8",
            "SSH_CONNECTION": "10.0.0.1 5555 10.0.0.2 22",
            "TMUX": "/tmp/tmux-1/default,1,0",
        },
        size=(120, 40),
    )
    text = out.getvalue()
    assert code == 0, text
    # Every area is reported.
    for area in ("Portaladresse", "TLS", "OIDC-oppsett", "Innlogging", "Klokke", "Nøkkelring", "Terminal"):
        assert area in text
    assert "helsami-portal 0.1.0" in text or "Portalprogram" in text
    assert "http uten kryptering" in text and "localhost" in text
    assert "sentralbord" in text and "switchboard" in text  # whoami with the saved session worked
    assert "truecolor: ja" in text and "SSH: ja" in text and "tmux" in text and "120×40" in text
    assert "UTF-8: ja" in text
    # No tokens, no patient data.
    for secret in (tokens.access_token, tokens.refresh_token, tokens.access_token[:24], tokens.access_token[-24:]):
        assert secret and secret not in text
    assert "device_code" not in text and "user_code" not in text
    for ident in patient_identities(demo_portal):
        assert ident not in text, "patient data in the doctor report"


def test_doctor_cli_in_english_without_a_session(
    demo_portal: EmbeddedPortal, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELSAMI_LANG", "en")
    monkeypatch.setattr(doctor, "run_checks", _with_store(doctor.run_checks, memory_store()))
    code = main(["--portal", demo_portal.base_url, "doctor"])
    text = capsys.readouterr().out
    assert code == 0  # no saved sign-in and no keyring are warnings, not failures
    assert "No saved sign-in" in text and "WARNING" in text


def _with_store(fn: Any, store: TokenStore) -> Any:
    def run(portal: str | None, **kw: Any) -> Any:
        kw["store"] = store
        return fn(portal, **kw)

    return run


def test_doctor_fails_when_the_portal_is_unreachable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "run_checks", _with_store(doctor.run_checks, memory_store()))
    url = f"http://127.0.0.1:{free_port()}"
    code = main(["--portal", url, "doctor"])
    text = capsys.readouterr().out
    assert code != 0
    assert "FEIL" in text or "FAIL" in text
    assert url in text


def test_doctor_warns_about_clock_skew_small_terminal_and_plain_http_to_another_host() -> None:
    import httpx

    skewed = "Mon, 01 Jan 2024 00:00:00 GMT"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fhir/metadata":
            return httpx.Response(
                200,
                json={"resourceType": "CapabilityStatement", "software": {"name": "x", "version": "1"}},
                headers={"Date": skewed},
            )
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json={"issuer": "x"})
        return httpx.Response(404)

    report = doctor.run_checks(
        "http://portal.example",
        store=memory_store(),
        env={"TERM": "dumb", "LANG": "C"},
        size=(60, 20),
        transport=httpx.MockTransport(handler),
    )
    text = report.render()
    by = {c.name: c for c in report.checks}
    assert by["doctor.clock"].status == doctor.WARN and "NTP" in text
    assert by["doctor.tls"].status == doctor.WARN
    assert by["doctor.terminal"].status == doctor.WARN and "80×24" in text and "UTF-8" in text
    assert by["doctor.discovery"].status == doctor.FAIL and "token_endpoint" in text
    assert report.failures >= 1


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_doctor_says_what_failed_in_the_language_never_the_exception(lang: str) -> None:
    import httpx

    from .test_one_language import foreign_words

    set_language(lang)
    # Nothing listens: the connection is refused.
    refused = doctor.run_checks(
        f"http://127.0.0.1:{free_port()}", store=memory_store(), env={"TERM": "xterm", "LANG": "C.UTF-8"}, size=(80, 24)
    ).render()
    assert {"nb": "kan ikke koble til", "en": "cannot connect ("}[lang] in refused

    # The portal answers, slowly or wrongly: a timeout, a non-JSON discovery, a failing device endpoint.
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fhir/metadata":
            return httpx.Response(200, json={"software": {"name": "x", "version": "1"}})
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, text="<html>Not JSON, Kari Nordmann</html>")
        raise httpx.ReadTimeout("timed out reading", request=request)

    slow = doctor.run_checks(
        "http://localhost:9",
        store=memory_store(),
        env={"TERM": "xterm", "LANG": "C.UTF-8"},
        size=(80, 24),
        transport=httpx.MockTransport(handler),
    ).render()
    assert {"nb": "fikk ikke svar i tide", "en": "no answer in time"}[lang] in slow
    assert {"nb": "ikke gyldig JSON", "en": "not valid JSON"}[lang] in slow
    for text in (refused, slow):
        for raw in ("ConnectError", "ReadTimeout", "JSONDecodeError", "Errno", "Expecting value", "timed out", "Kari"):
            assert raw not in text, (raw, text)
        assert not foreign_words(text, lang), (foreign_words(text, lang), text)


@pytest.mark.parametrize(
    ("lang", "says", "foreign"),
    [("nb", "ingen nøkkelring-tjeneste", "no usable keyring backend"), ("en", "no keyring service", "nøkkelring")],
)
def test_why_the_keyring_is_not_used_is_said_in_the_users_language(lang: str, says: str, foreign: str) -> None:
    """The reason once came from the token store as English text ("no usable keyring backend (Keyring)")
    in the bokmål report too; it is a code the report translates, with the technical cause beside it."""
    before = current_language()
    set_language(lang)
    try:
        report = doctor.Report()
        from keyring.backends import fail

        doctor.check_keyring(report, TokenStore(backend=fail.Keyring()))
        (check,) = report.checks
        text = " ".join(check.lines)
        assert says in text and "(Keyring)" in text and foreign not in text
        by_choice = doctor.Report()
        doctor.check_keyring(by_choice, TokenStore.in_memory())
        assert foreign not in " ".join(by_choice.checks[0].lines)
    finally:
        set_language(before)
