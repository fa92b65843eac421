"""Portal settings as an operator meets them: file < environment < flags, `config`, refusals at start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from helsami_portal.seed import seed
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store

from ..clock import machine_time
from .served import clean_env, run_portal, served
from .test_auth import _idp_token, idp  # noqa: F401  (the fixture: a tiny OpenID Connect issuer)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('settings') / 'p.sqlite3'}"
    store = Store(make_engine(url))
    seed(store, patients=6, tasks=12)
    store.engine.dispose()
    return url


def test_serve_keeps_the_oidc_issuer_from_the_environment(
    small_db: str,
    idp: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The reported defect: `serve` without --oidc-* flags wiped HELSAMI_OIDC_* set by systemd or a container."""
    env = clean_env(HELSAMI_OIDC_ISSUER=idp["url"], HELSAMI_OIDC_AUDIENCE="helsami-test", HELSAMI_DB=small_db)
    with served(tmp_path, env=env) as s:
        # The served portal is another process, on the machine's own clock: the token is made on it too.
        now = int(machine_time())
        token = _idp_token(idp, iat=now, exp=now + 300)
        r = httpx.get(f"{s.base_url}/fhir/$whoami", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        assert r.json()["resource"] == "Practitioner/prac-0001"


def test_order_is_file_then_environment_then_flags(tmp_path: Path) -> None:
    conf = tmp_path / "portal.toml"
    conf.write_text(
        'port = 9100\nhost = "0.0.0.0"\noidc_claim = "from-file"\nworkers = 1\n'
        'db = "postgresql://helsami:s3cret@db.example.no/helsami"\n',
        encoding="utf-8",
    )
    env = clean_env(
        HELSAMI_CONFIG=str(conf),
        HELSAMI_PORT="9200",
        HELSAMI_OIDC_CLAIM="from-env",
        HELSAMI_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8",
    )
    out = run_portal("config", "--port", "9300", env=env)
    assert out.returncode == 0, out.stderr
    lines = {ln.split("=")[0].strip(): ln for ln in out.stdout.splitlines() if "=" in ln}
    assert "9300" in lines["port"] and "[flag]" in lines["port"]
    assert "from-env" in lines["oidc_claim"] and "[env HELSAMI_OIDC_CLAIM]" in lines["oidc_claim"]
    assert "0.0.0.0" in lines["host"] and "[file]" in lines["host"]
    assert "http://0.0.0.0:9300" in lines["issuer"]
    assert "['127.0.0.1', '10.0.0.0/8']" in lines["trusted_proxies"]  # comma-separated, as systemd files have it
    # The database password never shows.
    assert "s3cret" not in out.stdout and "helsami:***@db.example.no" in lines["db"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["serve", "--workers", "0"], "invalid setting workers"),
        (["serve", "--port", "70000"], "invalid setting port"),
        (["serve", "--db", "mysql://x/y"], "unsupported database URL scheme"),
        (["serve", "--workers", "3", "--db", "sqlite:///x.sqlite3"], "more than one worker needs PostgreSQL"),
        (["serve", "--trusted-proxy", "nginx.local"], "is not an IP address or network"),
        (["serve", "--port", "eighty"], "invalid int value"),
        (["serve", "--config", "/nonexistent/portal.toml"], "does not exist"),
    ],
)
def test_bad_settings_are_refused_at_start_without_a_traceback(args: list[str], expected: str) -> None:
    out = run_portal(*args, timeout=60)
    assert out.returncode == 2
    assert expected in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_a_bad_settings_file_is_named(tmp_path: Path) -> None:
    conf = tmp_path / "portal.toml"
    conf.write_text("prot = 8080\n", encoding="utf-8")  # a typo: refused, not ignored
    out = run_portal("config", "--config", str(conf))
    assert out.returncode == 2 and "prot" in out.stderr and "Traceback" not in out.stderr
    conf.write_text("port = \n", encoding="utf-8")
    out = run_portal("config", "--config", str(conf))
    assert out.returncode == 2 and str(conf) in out.stderr and "Traceback" not in out.stderr


def test_the_embedded_portal_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from helsami_portal.api.settings import Settings, SettingsError, load_settings

    monkeypatch.setenv("HELSAMI_OIDC_ISSUER", "https://idp.example.no")
    monkeypatch.setenv("HELSAMI_EMBEDDED_DEMO", "true")
    assert Settings(issuer="http://127.0.0.1:1").oidc_issuer is None
    # ...and a deployed portal cannot be made into the demo by any variable or file.
    with pytest.raises(SettingsError, match="embedded_demo"):
        load_settings()


def test_the_shipped_settings_file_is_valid() -> None:
    out = run_portal("config", "--config", str(Path(__file__).resolve().parents[2] / "deploy" / "portal.toml"))
    assert out.returncode == 0, out.stderr
    assert "[file]" in out.stdout and "trusted_proxies  = ['127.0.0.1']" in out.stdout
