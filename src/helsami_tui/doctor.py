"""`helsami-tui doctor`: checks what the app needs, and prints a report safe to paste into a ticket.

Checked: the portal address (reachable, its time and software), TLS (certificate and host name for
https; plain http is said to be unencrypted, acceptable only on this machine), OIDC discovery, sign-in
(the device endpoint answers; a saved session works: whoami), clock skew against the portal's HTTP
`Date`, the keyring, and the terminal (TERM, colours, NO_COLOR, size, UTF-8, SSH, tmux/screen).

The report holds no patient data and no tokens: only the portal's address, software, staff user
name and roles, and facts about this machine. Every text from the portal is cut to one short,
printable line first.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import locale
import os
import platform
import shutil
import socket
import ssl
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from . import __version__
from .i18n import short_date, t

OK, WARN, FAIL, INFO = "ok", "warn", "fail", "info"
DISCOVERY_FIELDS = ("issuer", "token_endpoint", "device_authorization_endpoint", "revocation_endpoint", "fhir_base_url")
MAX_SKEW = 60.0
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


@dataclass
class Check:
    name: str  # catalog key of the area ("doctor.portal")
    status: str  # ok | warn | fail | info
    lines: list[str] = field(default_factory=list)


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, status: str, *lines: str) -> Check:
        c = Check(name, status, list(lines))
        self.checks.append(c)
        return c

    @property
    def failures(self) -> int:
        return sum(c.status == FAIL for c in self.checks)

    @property
    def warnings(self) -> int:
        return sum(c.status == WARN for c in self.checks)

    def render(self) -> str:
        out = [
            t("doctor.title"),
            t(
                "doctor.version",
                version=__version__,
                python=platform.python_version(),
                platform=f"{platform.system()} {platform.machine()}",
            ),
            "",
        ]
        width = max((len(t(c.name)) for c in self.checks), default=10)
        for c in self.checks:
            label = t(f"doctor.{c.status}")
            first, *rest = c.lines or [""]
            out.append(f"{label:<9} {t(c.name):<{width}}  {first}")
            out.extend(f"{'':<9} {'':<{width}}  {line}" for line in rest)
        out.append("")
        out.append(
            t("doctor.summary_ok")
            if not self.failures and not self.warnings
            else t("doctor.summary", fail=self.failures, warn=self.warnings)
        )
        return "\n".join(out)


def _clean(value: Any, limit: int = 160) -> str:
    """A short, printable, one-line version of a text from elsewhere (an error, a header)."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Status(ValueError):
    """An answer with an HTTP status that the check did not want."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _error(e: Exception) -> str:
    """What went wrong, in the user's language: never an exception's text or type (the report
    is read by people, in the language of the app)."""
    if isinstance(e, httpx.TimeoutException | TimeoutError):
        return t("doctor.error.timeout")
    if isinstance(e, httpx.ConnectError | ConnectionError):
        return t("doctor.error.connect")
    if isinstance(e, httpx.HTTPStatusError):
        return t("doctor.error.status", status=e.response.status_code)
    if isinstance(e, _Status):
        return t("doctor.error.status", status=e.status)
    if isinstance(e, httpx.HTTPError):
        return t("doctor.error.http")
    if isinstance(e, ValueError | AttributeError):
        return t("doctor.error.bad_answer")
    return t("doctor.error.unknown")


# OpenSSL's verification codes (X509_V_ERR_*) that have a sentence of their own.
_TLS_VERIFY = {10: "expired", 18: "self_signed", 19: "self_signed", 62: "hostname"}


def _tls_error(e: Exception) -> str:
    """Why the TLS connection failed, in the user's language."""
    if isinstance(e, ssl.SSLCertVerificationError):
        return t(f"doctor.error.tls_{_TLS_VERIFY.get(e.verify_code or 0, 'untrusted')}")
    if isinstance(e, ssl.SSLError):
        return t("doctor.error.tls")
    return _error(e)


# -- the checks ---------------------------------------------------------------------------------


def check_portal(report: Report, http: httpx.Client, base: str) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        resp = http.get(f"{base}/fhir/metadata", headers={"Accept": "application/fhir+json"})
    except httpx.HTTPError as e:
        report.add("doctor.portal", FAIL, t("doctor.portal_down", url=base, error=_error(e)))
        return None
    ms = round((time.perf_counter() - start) * 1000)
    status = OK if resp.status_code == 200 else FAIL
    lines = [
        t("doctor.portal_ok", url=base, status=resp.status_code, ms=ms, time=_clean(resp.headers.get("date", "–"), 40))
    ]
    try:
        sw = resp.json().get("software") or {}
        lines.append(
            t("doctor.portal_version", name=_clean(sw.get("name", "?"), 40), version=_clean(sw.get("version", "?"), 40))
        )
    except (ValueError, AttributeError):
        status = FAIL
    report.add("doctor.portal", status, *lines)
    return resp


def check_tls(report: Report, base: str, timeout: float) -> None:
    url = httpx.URL(base)
    host = url.host or ""
    if url.scheme == "http":
        if host in LOCAL_HOSTS or host.startswith("127."):
            report.add("doctor.tls", INFO, t("doctor.tls_http_local"))
        else:
            report.add("doctor.tls", WARN, t("doctor.tls_http_remote"))
        return
    port = url.port or 443
    ctx = ssl.create_default_context()
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            ctx.wrap_socket(sock, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert() or {}
    except (ssl.SSLError, ssl.CertificateError, OSError) as e:
        report.add("doctor.tls", FAIL, t("doctor.tls_bad", error=_tls_error(e)))
        return
    expires = cert.get("notAfter", "?")
    try:
        when = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(str(expires)), dt.UTC)
        expires = short_date(when)
        status = WARN if when - dt.datetime.now(dt.UTC) < dt.timedelta(days=14) else OK
    except ValueError:
        status = OK
    report.add("doctor.tls", status, t("doctor.tls_ok", host=_clean(host, 80), expires=expires))


def check_discovery(report: Report, http: httpx.Client, base: str) -> dict[str, Any] | None:
    try:
        resp = http.get(f"{base}/.well-known/openid-configuration", headers={"Accept": "application/json"})
        resp.raise_for_status()
        data = resp.json()
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (httpx.HTTPError, ValueError) as e:
        report.add("doctor.discovery", FAIL, t("doctor.discovery_fail", error=_error(e)))
        return None
    missing = [f for f in DISCOVERY_FIELDS if not isinstance(data.get(f), str) or not data.get(f)]
    if missing:
        report.add("doctor.discovery", FAIL, t("doctor.discovery_missing", fields=", ".join(missing)))
    else:
        report.add("doctor.discovery", OK, t("doctor.discovery_ok"))
    return data


def check_signin(report: Report, http: httpx.Client, base: str, discovery: dict[str, Any] | None, store: Any) -> None:
    from .client.auth import CLIENT_ID

    lines: list[str] = []
    status = OK
    endpoint = (discovery or {}).get("device_authorization_endpoint") or f"{base}/oauth/device_authorization"
    try:
        resp = http.post(str(endpoint), data={"client_id": CLIENT_ID})
        body = resp.json() if resp.status_code == 200 else {}
        if resp.status_code != 200 or not isinstance(body, dict) or "device_code" not in body:
            raise _Status(resp.status_code)
        lines.append(t("doctor.device_ok"))  # the codes themselves are never printed
    except (httpx.HTTPError, ValueError) as e:
        status = FAIL
        lines.append(t("doctor.device_fail", error=_error(e)))
    tokens = store.load(base) if store is not None else None
    if tokens is None:
        lines.append(t("doctor.token_none"))
        status = WARN if status == OK else status
    else:
        try:
            resp = http.get(
                f"{base}/fhir/$whoami",
                headers={"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/fhir+json"},
            )
            if resp.status_code != 200:
                raise _Status(resp.status_code)
            me = resp.json()
            roles = ", ".join(_clean(r, 30) for r in me.get("roles") or []) or "–"
            lines.append(t("doctor.token_ok", user=_clean(me.get("username", "?"), 60), roles=roles))
        except (httpx.HTTPError, ValueError, AttributeError) as e:
            lines.append(t("doctor.token_bad", error=_error(e)))
            status = WARN if status == OK else status
    report.add("doctor.signin", status, *lines)


def check_clock(report: Report, resp: httpx.Response | None, received: float | None) -> None:
    if resp is None:
        return
    date = resp.headers.get("date")
    parsed = email.utils.parsedate_to_datetime(date) if date else None
    if parsed is None:
        report.add("doctor.clock", WARN, t("doctor.clock_unknown"))
        return
    local = received if received is not None else time.time()
    # The header has whole seconds: up to one second of the difference is its rounding.
    skew = local - parsed.timestamp()
    shown = f"{skew:+.0f}"
    if abs(skew) > MAX_SKEW:
        report.add("doctor.clock", WARN, t("doctor.clock_skew", seconds=shown))
    else:
        report.add("doctor.clock", OK, t("doctor.clock_ok", seconds=shown))


# Why the tokens are in memory only (TokenStore.reason), as catalog keys.
KEYRING_REASONS = {
    "missing": "doctor.keyring_reason.missing",
    "unusable": "doctor.keyring_reason.unusable",
    "by-choice": "doctor.keyring_reason.by_choice",
    "failed": "doctor.keyring_reason.failed",
}


def check_keyring(report: Report, store: Any) -> None:
    if store is None or store.memory_only:
        code = getattr(store, "reason", "") or "missing"
        detail = _clean(getattr(store, "reason_detail", "") or "–", 100)
        reason = t(KEYRING_REASONS.get(code, "doctor.keyring_reason.missing"), detail=detail)
        report.add("doctor.keyring", WARN, t("doctor.keyring_memory", reason=reason))
        return
    backend = getattr(store, "_backend", None)
    name = f"{type(backend).__module__}.{type(backend).__name__}" if backend is not None else "?"
    report.add("doctor.keyring", OK, t("doctor.keyring_ok", backend=_clean(name, 100)))


def check_terminal(report: Report, env: dict[str, str] | None = None, size: tuple[int, int] | None = None) -> None:
    e = dict(os.environ) if env is None else env
    yes, no = t("doctor.yes"), t("doctor.no")
    colorterm = e.get("COLORTERM", "")
    cols, rows = size or tuple(shutil.get_terminal_size((0, 0)))
    enc = e.get("LC_ALL") or e.get("LC_CTYPE") or e.get("LANG") or ""
    utf8 = "utf-8" in enc.lower().replace("utf8", "utf-8") or (
        env is None and (locale.getpreferredencoding(False) or "").lower().replace("_", "-") in ("utf-8", "utf8")
    )
    mux = [
        n
        for n, present in (("tmux", "TMUX" in e), ("screen", "STY" in e or e.get("TERM", "").startswith("screen")))
        if present
    ]
    line = t(
        "doctor.term_info",
        term=_clean(e.get("TERM", "–"), 40),
        colorterm=_clean(colorterm or "–", 40),
        truecolor=yes if colorterm.lower() in ("truecolor", "24bit") else no,
        no_color=yes if "NO_COLOR" in e else no,
        size=f"{cols}×{rows}" if cols else "–",
        utf8=yes if utf8 else no,
        ssh=yes if e.get("SSH_CONNECTION") or e.get("SSH_TTY") else no,
        mux=", ".join(mux) or no,
    )
    lines = [line]
    status = OK
    if cols and (cols < 80 or rows < 24):
        lines.append(t("doctor.term_small"))
        status = WARN
    if not utf8:
        lines.append(t("doctor.term_no_utf8"))
        status = WARN
    report.add("doctor.terminal", status, *lines)


# -- running it ---------------------------------------------------------------------------------


def run_checks(
    portal: str | None,
    *,
    store: Any = None,
    timeout: float = 5.0,
    env: dict[str, str] | None = None,
    size: tuple[int, int] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Report:
    """Every check; `store` is a TokenStore (None: the system's)."""
    report = Report()
    if store is None:
        from .client.auth import TokenStore

        store = TokenStore(discover=True)  # what is usable now, not what was last time
    if not portal:
        report.add("doctor.portal", FAIL, t("doctor.portal_none"))
    else:
        base = portal.rstrip("/")
        if base.endswith("/fhir"):
            base = base[: -len("/fhir")]
        with httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": f"helsami-tui/{__version__} doctor"},
        ) as http:
            resp = check_portal(report, http, base)
            received = time.time()
            check_tls(report, base, timeout)
            if resp is not None:
                discovery = check_discovery(report, http, base)
                check_signin(report, http, base, discovery, store)
            check_clock(report, resp, received)
    check_keyring(report, store)
    check_terminal(report, env, size)
    return report


def main(portal: str | None, *, out: TextIO | None = None, **kw: Any) -> int:
    """Print the report; 0 when nothing failed (warnings allowed), 1 otherwise."""
    report = run_checks(portal, **kw)
    print(report.render(), file=out or sys.stdout)
    return 1 if report.failures else 0
