"""The portal behind nginx (Debian's) with TLS, set up from deploy/: the certificate is made here,
the proxy is trusted, the portal sees the client's own address, and `helsami-tui doctor` checks
the certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shlex
import shutil
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helsami_portal.embedded import free_port
from helsami_portal.seed import seed
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store

from ..clock import machine_now
from ..waiting import wait_until
from .served import clean_env, run_portal, served

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
CLIENT_ADDRESS = "127.0.0.5"  # the test's client connects from here; nginx from 127.0.0.1

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx; .ci/run does)"),
]


def make_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A certificate authority of this test and a server certificate for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    # OpenSSL (in nginx, httpx and the doctor) checks validity on the machine's clock, not the suite's;
    # a wide window keeps it valid whatever the suite's reference time.
    now = machine_now()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "HelsaMi test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_pem, cert_pem, key_pem


def site_config(portal_port: int, tls_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx-helsami-portal.conf with this test's ports and certificate (and nothing else changed)."""
    text = (DEPLOY / "nginx-helsami-portal.conf").read_text(encoding="utf-8")
    for old, new in [
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{portal_port};"),
        ("listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl"),
        ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
        ("/etc/ssl/certs/helsami-portal.pem", str(cert)),
        ("/etc/ssl/private/helsami-portal.key", str(key)),
    ]:
        assert old in text, f"deploy/nginx-helsami-portal.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    """nginx in the foreground with a prefix of its own; yields (CA file, TLS port, portal port)."""
    ca, cert, key = make_certificate(tmp_path)
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    portal_port, tls_port = free_port(), free_port()
    (prefix / "site.conf").write_text(site_config(portal_port, tls_port, cert, key), encoding="utf-8")
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers read the test's private temp dir
    (prefix / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log {prefix}/logs/access.log;\n"
        + "".join(f"  {d}_temp_path {prefix}/{d}_temp;\n" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {prefix}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "logs" / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        ctx = ssl.create_default_context(cafile=str(ca))

        def answers() -> bool:  # up when the TLS port answers a handshake (the portal may not be up yet: 502)
            if proc.poll() is not None:
                raise AssertionError(
                    f"nginx exited: {proc.stderr.read().decode(errors='replace') if proc.stderr else ''}"
                    f"{(prefix / 'logs' / 'error.log').read_text(errors='replace')}"
                )
            try:
                httpx.get(f"https://127.0.0.1:{tls_port}/healthz", verify=ctx, timeout=2)
            except httpx.HTTPError:
                return False
            return True

        wait_until(answers, "nginx answers a TLS handshake")
        yield ca, tls_port, portal_port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def unit_commands(config: Path) -> tuple[list[str], list[str]]:
    """The arguments of ExecStartPre and ExecStart in deploy/helsami-portal.service (after the
    program, which must be helsami-portal), with this test's settings file for /etc/helsami/portal.toml."""
    lines = (DEPLOY / "helsami-portal.service").read_text(encoding="utf-8").splitlines()
    found: dict[str, list[str]] = {}
    for key in ("ExecStartPre", "ExecStart"):
        [value] = [ln.split("=", 1)[1] for ln in lines if ln.startswith(f"{key}=")]
        program, *args = shlex.split(value)
        assert program == "/opt/helsami/bin/helsami-portal", f"{key} runs {program}"
        assert "/etc/helsami/portal.toml" in args, f"{key} no longer reads /etc/helsami/portal.toml"
        found[key] = [str(config) if a == "/etc/helsami/portal.toml" else a for a in args]
    return found["ExecStartPre"], found["ExecStart"]


def test_portal_behind_nginx_with_tls_sees_the_client_and_doctor_checks_the_certificate(
    nginx: tuple[Path, int, int], tmp_path: Path
) -> None:
    ca, tls_port, portal_port = nginx
    db = tmp_path / "portal.sqlite3"
    store = Store(make_engine(f"sqlite:///{db}"))
    seed(store, patients=4, tasks=8)
    store.engine.dispose()
    public = f"https://127.0.0.1:{tls_port}"
    # As systemd runs it: the shipped settings file, then portal.env (this test's database, ports and
    # address; one worker on SQLite), then the unit's own flags.
    config = tmp_path / "portal.toml"
    shutil.copy(DEPLOY / "portal.toml", config)
    unit_env = clean_env(
        HELSAMI_DB=f"sqlite:///{db}",
        HELSAMI_PORT=str(portal_port),
        HELSAMI_ISSUER=public,
        HELSAMI_WORKERS="1",
        HELSAMI_LOG_FORMAT="plain",
    )
    pre, start = unit_commands(config)
    checked = run_portal(*pre, env=unit_env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert start[0] == "serve", start
    with served(tmp_path, *start[1:], env=unit_env, port=portal_port) as portal:
        ctx = ssl.create_default_context(cafile=str(ca))
        transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS, verify=ctx)
        with httpx.Client(base_url=public, transport=transport, timeout=30) as http:
            r = http.get("/readyz")
            assert r.status_code == 200 and r.json()["status"] == "ready"
            meta = http.get("/fhir/metadata")
            assert meta.status_code == 200
            assert meta.json()["implementation"]["url"].startswith(public)
            # The access line names the client's own address, not the proxy's.
            rid = meta.headers["x-request-id"]
            line = portal.wait_for_log(lambda t: rid in t).splitlines()
            assert any(f"from {CLIENT_ADDRESS} id {rid}" in ln for ln in line)
            # The sign-in throttle counts the client's address too.
            dev = http.post("/oauth/device_authorization", data={"client_id": "pytest"}).json()
            assert dev["verification_uri"].startswith(public)
            bad = http.post("/device", data={"user_code": dev["user_code"], "username": "lege", "password": "feil"})
            assert bad.status_code == 401
            # Metrics stay behind the proxy: only this machine's monitoring may read them.
            assert http.get("/metrics").status_code == 403
        with sqlite3.connect(db) as conn:
            keys = {k for (k,) in conn.execute("SELECT key FROM login_attempt")}
        assert f"addr:{CLIENT_ADDRESS}" in keys and "addr:127.0.0.1" not in keys

        # helsami-tui doctor: the certificate checks out when this CA is trusted...
        env = {
            **clean_env(),
            "SSL_CERT_FILE": str(ca),
            "HELSAMI_LANG": "en",
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }
        doc = subprocess.run(
            [sys.executable, "-m", "helsami_tui.cli", "--portal", public, "doctor"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert "The certificate is valid for 127.0.0.1" in doc.stdout, doc.stdout + doc.stderr
        # ...and is refused, in plain words, when it is not.
        env.pop("SSL_CERT_FILE")
        doc = subprocess.run(
            [sys.executable, "-m", "helsami_tui.cli", "--portal", public, "doctor"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert doc.returncode == 1 and "The certificate was not accepted" in doc.stdout
        assert "Traceback" not in doc.stdout + doc.stderr
