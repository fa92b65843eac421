"""The app in a web browser (issue 16): `helsami-tui serve-web` against a real portal, driven in
headless Chromium (Debian's chromium and chromium-driver, through Selenium).

The portal is an embedded one WITHOUT the demo sign-in: the browser shows the device code on the
app's sign-in screen, the test approves it on the portal's own approval page over HTTP, as a user
would on their phone, and then opens the inbox, an item, and locks the screen. What the browser's
terminal received is rendered with pyte (xterm.js draws on a canvas, which has no text to read).
When the browser leaves, the app process ends: serve-web is left with no child process.

The page itself loads nothing from anywhere else: no http(s) address of another host in the served
HTML, a Content-Security-Policy that forbids it, and every resource the browser fetched came from
serve-web.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal, free_port
from helsami_tui.i18n import CATALOGS
from tests.conftest import SEED, SHARED_PORTAL_SETTINGS

from ..waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
EN = CATALOGS["en"]
CODE = re.compile(r"\b[B-DF-HJ-NP-TV-Z0-9]{4}-[B-DF-HJ-NP-TV-Z0-9]{4}\b")
# Records what the page's web socket receives (the terminal's byte stream), before the page's own
# script runs; the test renders it with pyte.
TAP = """
(function () {
  const Native = window.WebSocket;
  window.__frames = [];
  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("message", function (event) {
      if (typeof event.data === "string") return;
      const bytes = new Uint8Array(event.data);
      let text = "";
      for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
      window.__frames.push(btoa(text));
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
})();
"""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.fixture(scope="module")
def real_portal(tmp_path_factory: pytest.TempPathFactory, reference: dt.datetime) -> Iterator[EmbeddedPortal]:
    """A seeded portal without the demo sign-in: the device flow is the only way in."""
    db = tmp_path_factory.mktemp("browser") / "portal.sqlite3"
    with EmbeddedPortal(
        f"sqlite:///{db}",
        demo=False,
        seed=True,
        patients=60,
        tasks=160,
        seed_value=SEED,
        reference=reference,
        settings=SHARED_PORTAL_SETTINGS,
    ) as p:
        yield p


@pytest.fixture(scope="module")
def served(real_portal: EmbeddedPortal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    """`helsami-tui --portal URL serve-web` as a user starts it; (its address, its pid, its output)."""
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELSAMI_", "TEXTUAL", "XDG_"))}
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".data"),
            "HELSAMI_LANG": "en",
            "HELSAMI_IDLE_LOCK_MINUTES": "0",
            "PYTHONUNBUFFERED": "1",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
    )
    port = free_port()
    log = (home / "serve-web.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helsami_tui.cli",
            "--portal",
            real_portal.base_url,
            "serve-web",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, (home / "serve-web.log").read_text(errors="replace")
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, "serve-web answering")
        yield url, proc.pid, home / "serve-web.log"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_the_page_loads_nothing_from_other_hosts(served: tuple[str, int, Path]) -> None:
    url, _, _ = served
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200
    html = page.text
    hosts = {urlsplit(u).netloc for u in re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html)}
    assert hosts <= {urlsplit(url).netloc}, hosts  # no font, script or style from elsewhere
    assert "googleapis" not in html and "@import" not in html
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "font-src 'self'" in csp
    # The assets it names are served here.
    for ref in re.findall(r'(?:href|src)="([^"]+)"', html):
        if not ref.startswith("data:"):
            assert httpx.get(f"{url}/{ref}", timeout=10).status_code == 200, ref
    # Another site's page cannot open the app's web socket (it would drive a signed-in app).
    r = httpx.get(
        f"{url}/ws",
        headers={
            "Origin": "https://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        },
        timeout=10,
    )
    assert r.status_code == 403


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (apt-get install chromium "
            "chromium-driver; .ci/run installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1200,800",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TAP})
    try:
        yield driver
    finally:
        driver.quit()


class Terminal:
    """What the page's terminal shows, from the bytes its web socket received."""

    def __init__(self, driver: Any) -> None:
        import pyte

        self.driver = driver
        self.screen = pyte.Screen(200, 60)
        self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        for frame in self.driver.execute_script("return window.__frames ? window.__frames.splice(0) : []"):
            self.stream.feed(base64.b64decode(frame))
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait(self, what: str, cond: Any, timeout: float | None = None) -> str:
        try:
            return str(wait_until(lambda: (lambda s: s if cond(s) else None)(self.text()), what, timeout=timeout))
        except AssertionError:
            raise AssertionError(f"{what} did not show; the screen:\n{self.text()}") from None

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(*keys).perform()


def approve(portal: EmbeddedPortal, code: str) -> None:
    """What the user does on their phone: the portal's own approval page."""
    r = httpx.post(
        f"{portal.base_url}/device",
        data={"user_code": code, "username": "lege", "password": "demo", "decision": "approve"},
        timeout=30,
    )
    assert r.status_code == 200, r.text


def test_sign_in_open_an_item_and_lock_in_chromium(
    served: tuple[str, int, Path], real_portal: EmbeddedPortal, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, server_pid, output = served
    # A tab that leaves during the sign-in takes its app (and its polling) with it.
    browser.get(url)
    Terminal(browser).wait("the sign-in code", lambda s: EN["login.enter_code"] in s and CODE.search(s))
    assert len(children(server_pid)) == 1
    browser.get("about:blank")
    wait_until(lambda: not children(server_pid), "the app process of the tab that left ending")

    browser.get(url)
    term = Terminal(browser)
    screen = term.wait("the sign-in code", lambda s: EN["login.enter_code"] in s and CODE.search(s))
    assert f"{real_portal.base_url}/device" in screen and "█" in screen  # the address, the code in large letters
    match = CODE.search(screen)
    assert match is not None
    approve(real_portal, match.group(0))

    term.wait("the inbox", lambda s: EN["col.subject"] in s and EN["status.waiting"] in s)
    browser.find_element(By.ID, "terminal").click()
    term.keys("t")  # messages only: whatever the day, the first row is a patient's message
    term.wait("the message filter", lambda s: f"{EN['filter.type']}: {EN['type.message']}" in s)
    term.keys(Keys.ENTER)
    term.wait("the item", lambda s: f"{EN['col.subject']}: " in s and EN["msg.from_patient"] in s)
    term.keys(Keys.F12)
    locked = term.wait("the lock", lambda s: EN["lock.title"] in s and EN["lock.press_enter"] in s)
    assert f"{EN['col.subject']}: " not in locked  # nothing of the item shows through

    # Everything the page loaded came from serve-web.
    names = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert names and all(urlsplit(n).netloc == urlsplit(url).netloc for n in names), names
    # ... and the page's own policy blocked nothing it needs (a refused script or style would show here).
    console = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not console, console

    # The browser leaves: the app process ends, nothing is left behind.
    browser.get("about:blank")
    wait_until(lambda: not children(server_pid), "the app process ending")
    # ... because the app quit when told to, not because serve-web had to kill it; and nothing of
    # what the app showed (a Python traceback, screen text) went to serve-web's output.
    out = output.read_text(errors="replace")
    assert "killing it" not in out and "Traceback" not in out, out

    # Even when serve-web itself goes away (killed, no goodbye to its apps), an app waiting for its
    # sign-in ends: nothing keeps polling the portal.
    browser.get(url)
    Terminal(browser).wait("a new sign-in code", lambda s: EN["login.enter_code"] in s and CODE.search(s))
    (app_pid,) = children(server_pid)
    os.kill(server_pid, signal.SIGKILL)
    try:
        wait_until(lambda: not alive(app_pid), "the app ending without its serve-web")
    finally:
        if alive(app_pid):  # the test failed: leave nothing running
            os.kill(app_pid, signal.SIGKILL)
