"""Patient data never reaches a log, a crash report or the terminal after a crash (issue 11).

A marker string travels in a patient's message; then the portal is made to fail with a 500 on a
request carrying it, and the terminal app crashes with it in a local variable and an exception
message. The marker must be in no log line, no file and no output."""

from __future__ import annotations

import logging
import logging.config
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from rich.console import Console

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.config import Settings
from helsami_tui.i18n import set_language
from tests.tui.test_workflows import inbox_ready
from tests.waiting import wait_for

MARKER = "Kari-Nordmann-" + uuid.uuid4().hex[:10]


def _post(portal: EmbeddedPortal, text: str) -> httpx.Response:
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:
        tok = http.post("/auth/demo-login", data={"username": "pasient"}).json()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        me = http.get("/patient/me", headers=h).json()
        service = http.get("/patient/services", headers=h).json()["services"][0]["id"]
        return http.post(
            "/patient/threads",
            headers=h,
            json={
                "patient": me["actsFor"][0]["patient"].split("/")[1],
                "service": service,
                "subject": "Spørsmål",
                "text": text,
                "messageId": str(uuid.uuid4()),
            },
        )


async def test_marker_in_no_log_file_or_output_after_a_500_and_a_tui_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    caplog.set_level(logging.DEBUG)
    with EmbeddedPortal(
        f"sqlite:///{tmp_path / 'p.sqlite3'}", demo=True, seed=True, patients=12, tasks=20, run_jobs=False
    ) as portal:
        assert _post(portal, f"Hei, dette er {MARKER}.").status_code == 201
        # From now on the database refuses any resource that holds the marker: a 500 with the
        # marker in the failing statement's parameters.
        with portal.store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"CREATE TRIGGER leak BEFORE INSERT ON resource WHEN NEW.content LIKE "
                    f"'%{MARKER}%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        failed = _post(portal, f"Igjen: {MARKER}")
        assert failed.status_code == 500 and MARKER not in failed.text

        # The terminal app, signed in, crashes with the marker in a local and in the message.
        set_language("nb")
        tokens = await demo_login(portal.base_url, "lege")
        client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens))
        app = HelsamiApp(client, Settings(portal=portal.base_url), demo_user="lege")

        def boom() -> None:
            patient_text = f"{MARKER} 01018012345"  # as a screen would hold it
            raise ValueError(patient_text)

        with pytest.raises(ValueError):
            async with app.run_test(size=(100, 30)) as pilot:
                await inbox_ready(app, pilot)
                app.call_later(boom)
                await wait_for(pilot, lambda: app._exception is not None, what="the app crashed")  # noqa: SLF001
        rendered = Console(record=True, width=200)
        for r in app._exit_renderables:
            rendered.print(r)
        shown = rendered.export_text()

    out, err = capfd.readouterr()
    logs = caplog.text
    files = [p.read_text(encoding="utf-8") for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert any("ValueError" in f and "boom" in f for f in files), files  # a report was written
    assert "incident" in logs  # the 500 was logged ...
    for where, text in {
        "stdout": out,
        "stderr": err,
        "logs": logs,
        "crash files": "\n".join(files),
        "exit output": shown,
    }.items():
        assert MARKER not in text, where  # ... without the marker anywhere
    assert "01018012345" not in "\n".join(files) + shown + out + err


def test_the_portal_engine_hides_sql_parameters(tmp_path: Path) -> None:
    from helsami_portal.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(sa.exc.IntegrityError) as info, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (v TEXT UNIQUE)"))
        conn.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": MARKER})
        conn.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": MARKER})
    assert MARKER not in str(info.value)


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """The process's logging as it was, after a test that applies a configuration of its own."""
    names = ["", *logging.root.manager.loggerDict]
    saved = {}
    for name in names:
        lg = logging.getLogger(name)
        saved[name] = (list(lg.handlers), lg.level, lg.propagate, lg.disabled)
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        lg = logging.getLogger(name)
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


def _fails_with_the_marker(name: str) -> None:
    patient = {"name": name, "fnr": "01018012345"}  # a local, as a route would hold it
    try:
        raise LookupError(f"no thread for {patient}")
    except LookupError as e:
        raise sa.exc.IntegrityError("INSERT INTO resource ...", {"text1": name}, e) from e


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_the_serve_log_configuration_writes_no_patient_data_from_a_traceback(
    fmt: str, capsys: pytest.CaptureFixture[str], logging_restored: None
) -> None:
    from helsami_portal import logging_setup

    logging.config.dictConfig(logging_setup.log_config(fmt, "INFO"))  # as `helsami-portal serve` hands uvicorn
    capsys.readouterr()
    try:
        _fails_with_the_marker(MARKER)
    except sa.exc.IntegrityError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("helsami_portal.api").error("request failed", exc_info=True, stack_info=True)
    err = capsys.readouterr().err
    assert err.count("Exception in ASGI application") == 1 and "request failed" in err
    # The traceback is there, as types and places (so a fault can be found) ...
    assert "_fails_with_the_marker" in err and "IntegrityError" in err and "LookupError" in err
    # ... without the exception's message, its SQL parameters or any local.
    assert MARKER not in err and "01018012345" not in err, err
