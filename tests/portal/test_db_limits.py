"""No statement can hold the database: a statement timeout on both databases (issue 11), and the
caps on event streams per process. Trusted proxies come from `serve`'s flag and setting."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helsami_portal.api.events import EventHub
from helsami_portal.fhir.outcome import FhirError
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store


def test_a_long_statement_is_stopped_by_the_statement_timeout(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1, statement_timeout_ms=200)
    slow = (
        "SELECT pg_sleep(120)"
        if engine.dialect.name == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"
    )
    try:
        with pytest.raises(sa.exc.OperationalError), engine.connect() as conn:
            conn.execute(sa.text(slow)).all()
        with engine.connect() as conn:  # the connection is usable again afterwards
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_event_streams_are_capped_per_process(db_url: str) -> None:
    hub = EventHub(Store(make_engine(db_url, pool_size=1)), per_user=2, per_process=3)
    hub.admit("Practitioner/a")
    hub.admit("Practitioner/a")
    with pytest.raises(FhirError) as user_cap:
        hub.admit("Practitioner/a")
    assert user_cap.value.status == 429 and user_cap.value.reason_args["scope"] == "user"
    hub.admit("Practitioner/b")
    with pytest.raises(FhirError) as process_cap:
        hub.admit("Practitioner/c")
    assert process_cap.value.status == 429 and process_cap.value.reason_args["scope"] == "process"
    assert process_cap.value.headers["Retry-After"]
    hub.release("Practitioner/a")
    hub.admit("Practitioner/c")  # a place was given back


def test_trusted_proxies_come_from_the_serve_flag_and_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from helsami_portal.api import factory

    monkeypatch.setenv("HELSAMI_DB", f"sqlite:///{tmp_path}/f.sqlite3")
    monkeypatch.setenv("HELSAMI_TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/16")
    app = factory.app_from_env()
    assert app.state.portal.settings.trusted_proxies == ["10.0.0.5", "192.168.0.0/16"]
    monkeypatch.delenv("HELSAMI_TRUSTED_PROXIES")
    assert factory.app_from_env().state.portal.settings.trusted_proxies == []


def test_serve_has_a_trusted_proxy_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from helsami_portal.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--trusted-proxy" in out and "HELSAMI_TRUSTED_PROXIES" in out and "--statement-timeout-ms" in out
