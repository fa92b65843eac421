"""`helsami-tui serve-web`: the app in a web browser, through textual-serve.

Each browser tab that opens the page gets its own app process (`helsami-tui --portal URL
--web-session`), which opens on the sign-in screen (screens/sign_in.py) and keeps its tokens in
memory only: the server account's keyring is not the user's, and two staff members on one server
never share a session. When the tab goes away the process is told to quit, and killed if it has not
ended a few seconds later: nothing is left polling the portal.

textual-serve's own page loads a font from Google; this one serves its own page (web_assets/) that
loads only from this server (textual-serve's script, styles and font, and ours), with a Content
Security Policy that lets the browser load nothing from anywhere else. The web socket answers only
pages of this server (the Origin header), so another web site cannot drive a signed-in app.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from .config import Settings
from .i18n import current_language, t

log = logging.getLogger("helsami_tui.web")

ASSETS = Path(__file__).parent / "web_assets"
TEXTUAL_STATIC = Path(textual_serve.__file__).parent / "static"
STOP_GRACE = 5.0  # seconds an app process has to end after its browser tab went away
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _bounded(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def _not_a_name(host: str) -> bool:
    """An IP address or localhost: what no other site can make its own name resolve to."""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _Session(AppService):
    """One browser tab's app process; ends for certain when the tab goes away."""

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment["TEXTUAL_DRIVER"] = "helsami_tui.web_driver:SessionDriver"  # ends with serve-web too
        return environment

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(super().stop(), STOP_GRACE)
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            process = self._process
            if process is not None and process.returncode is None:
                try:
                    await asyncio.wait_for(process.wait(), STOP_GRACE)
                except TimeoutError:
                    log.warning("an app process did not end when its browser tab closed; killing it")
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()


class WebServer(Server):
    """textual-serve's server with HelsaMi's page, headers, origin check and session limit."""

    def __init__(
        self, command: str, *, host: str, port: int, public_url: str | None = None, max_sessions: int = 20
    ) -> None:
        super().__init__(
            command,
            host=host,
            port=port,
            title=t("app.title"),
            public_url=public_url,
            statics_path=TEXTUAL_STATIC,
            templates_path=ASSETS,
        )
        self.max_sessions = max_sessions
        self.sessions: set[_Session] = set()
        # Its public address (textual-serve's default is http://host:port when none is given).
        self.allowed_origins = {urlsplit(self.public_url).netloc.lower()} - {""}

    def initialize_logging(self) -> None:
        # Plain lines; never Rich tracebacks with local variables (they would hold what the app showed).
        logging.basicConfig(
            level=logging.DEBUG if self.debug else logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )

    async def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(ASSETS), autoescape=True)
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.static("/static", TEXTUAL_STATIC, name="static"),
                web.static("/helsami", ASSETS / "static", name="helsami"),
            ]
        )
        app.on_response_prepare.append(self._headers)
        app.on_startup.append(self.on_startup)
        return app

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["Server"] = "helsami-tui"  # not the server software's name and version

    async def on_startup(self, app: web.Application) -> None:
        print(t("web.serving", url=self.public_url), flush=True)

    async def handle_index(self, request: web.Request) -> web.Response:
        return aiohttp_jinja2.render_template(
            "index.html",
            request,
            {
                "lang": current_language(),
                "title": t("app.title"),
                "loading": t("web.loading"),
                "open": t("web.open"),
                "ended": t("web.session_ended"),
                "restart": t("web.restart"),
                "font_size": _bounded(request.query.get("fontsize"), 16, 8, 48),
            },
        )

    def _origin_ok(self, request: web.Request) -> bool:
        """A page of this server: its public address, or the address the browser used when that is an
        IP address or localhost. Never merely "the Origin is the Host": another site whose name is made
        to point at this server (DNS rebinding) sends its own name in both."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser: no other site's page can be behind it
        netloc = urlsplit(origin).netloc.lower()
        if not netloc:
            return False
        if netloc in self.allowed_origins:
            return True
        return netloc == request.host.lower() and _not_a_name(urlsplit(origin).hostname or "")

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self._origin_ok(request):
            raise web.HTTPForbidden(text="This page is not served here.")
        if len(self.sessions) >= self.max_sessions:
            raise web.HTTPServiceUnavailable(
                text="Too many sessions at once; try again later.", headers={"Retry-After": "30"}
            )
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=64 * 1024)
        width = _bounded(request.query.get("width"), 80, 20, 500)
        height = _bounded(request.query.get("height"), 24, 10, 200)
        session: _Session | None = None

        async def close() -> None:
            await websocket.close()

        try:
            # The place is taken before the first await: sessions arriving at once cannot all pass the check.
            session = _Session(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            self.sessions.add(session)
            await websocket.prepare(request)
            await session.start(width, height)
            await self._relay(websocket, session)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as e:  # noqa: BLE001 - deliberate: one browser's failure must not end the server
            # the kind only is logged, no message (it could hold screen text)
            log.warning("a browser session failed: %s", type(e).__name__)
        finally:
            if session is not None:
                try:
                    await session.stop()
                finally:  # also when the handler is cancelled (the tab went away): the place is free again
                    self.sessions.discard(session)
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, session: _Session) -> None:
        """Keys, sizes and focus from the browser to the app (textual-serve's protocol)."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind = envelope[0]
            data = envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                await session.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await session.set_terminal_size(
                    _bounded(str(data.get("width")), 80, 20, 500), _bounded(str(data.get("height")), 24, 10, 200)
                )
            elif kind == "ping" and isinstance(data, str):
                await websocket.send_json(["pong", data[:40]])
            elif kind == "blur":
                await session.blur()
            elif kind == "focus":
                await session.focus()


def app_command(settings: Settings, demo_role: str | None) -> str:
    """The command each browser tab runs (a shell line: textual-serve starts it with the shell;
    `exec` so that the process it stops is the app itself)."""
    base = [sys.executable, "-m", "helsami_tui.cli"]
    if demo_role is not None:
        args = [*base, "demo", "--as", demo_role]
    else:
        args = [*base, "--portal", settings.portal, "--web-session"]
    return "exec " + shlex.join(args)


def serve_web(
    settings: Settings, *, host: str, port: int, public_url: str | None, max_sessions: int, demo_role: str | None
) -> int:
    if demo_role is None and not settings.portal:
        print(t("cli.no_portal", path=str(settings.path)), file=sys.stderr)
        return 2
    server = WebServer(
        app_command(settings, demo_role),
        host=host,
        port=port,
        public_url=public_url.rstrip("/") if public_url else None,
        max_sessions=max_sessions,
    )
    server.serve()
    return 0
